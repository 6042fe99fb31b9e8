import type { IncomingMessage } from 'node:http';
import type { RunningAuthority } from '../../apps/health-authority/src/app';

/** What the gateway asked the health authority: method and path, in arrival order. */
export interface AuthorityRequests {
  /** Requests since start() (or since the last take()), and forgets them. */
  take(): string[];
  stop(): void;
}

/**
 * Counts every HTTP request the authority stand-in receives, whichever handler answers it (the
 * lean batch route answers before Nest does), by listening on its server.
 */
export function countAuthorityRequests(authority: RunningAuthority): AuthorityRequests {
  const server = authority.app.getHttpServer();
  let seen: string[] = [];
  const listener = (req: IncomingMessage) => {
    seen.push(`${req.method ?? '?'} ${(req.url ?? '').split('?')[0]}`);
  };
  server.on('request', listener);
  return {
    take() {
      const out = seen;
      seen = [];
      return out;
    },
    stop() {
      server.off('request', listener);
    },
  };
}
