import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Response } from 'express';
import type { Logger } from '../common/logger';

/** The pages only talk to this gateway; tokens never leave it, and no page may frame them. */
const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy':
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-cache',
};

const setSecurityHeaders = (res: Response): void => {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
};

/** apps/console, found upwards from here: beside the sources (ts-node) or beside dist/. */
export function findConsoleDir(from: string = __dirname): string | null {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'apps', 'console');
    if (existsSync(join(candidate, 'staff.html'))) return candidate;
    if (dirname(dir) === dir) return null;
  }
}

/** The QR library's browser build (an ES module with no imports), when it is installed. */
function qrModule(): string | null {
  try {
    const file = join(dirname(require.resolve('uqr')), 'index.mjs');
    return existsSync(file) ? file : null;
  } catch {
    return null;
  }
}

/**
 * Serves the consoles at /console/ as static files. They are public; every API call they make
 * carries the user's bearer token, and the guard checks it as for any other client.
 */
export function mountConsole(app: NestExpressApplication, log: Logger): void {
  const dir = findConsoleDir();
  if (!dir) {
    log.warn('apps/console not found: the web consoles are not served');
    return;
  }
  const qr = qrModule();
  app.use('/console/vendor/uqr.mjs', (_req: unknown, res: Response) => {
    setSecurityHeaders(res);
    if (qr) res.type('text/javascript').sendFile(qr);
    else res.status(404).type('text/plain').send('the uqr package is not installed');
  });
  app.useStaticAssets(dir, {
    prefix: '/console/',
    index: 'index.html',
    dotfiles: 'ignore',
    setHeaders: setSecurityHeaders,
  });
}
