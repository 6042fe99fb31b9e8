import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/*
 * Browser tests drive Debian's Chromium with playwright-core (never a downloaded browser).
 * The packages are loaded at run time and typed here by the few calls the tests make, so the
 * tree type-checks on a machine that has not installed them yet.
 */

export interface Locator {
  click(): Promise<void>;
  fill(value: string): Promise<void>;
  check(): Promise<void>;
  uncheck(): Promise<void>;
  selectOption(value: string): Promise<unknown>;
  textContent(): Promise<string | null>;
  inputValue(): Promise<string>;
  getAttribute(name: string): Promise<string | null>;
  isVisible(): Promise<boolean>;
  waitFor(options?: { state?: 'attached' | 'visible' | 'hidden'; timeout?: number }): Promise<void>;
  screenshot(options?: { path?: string }): Promise<Buffer>;
  locator(selector: string): Locator;
  getByRole(role: string, options?: { name?: string | RegExp; exact?: boolean }): Locator;
  getByLabel(text: string | RegExp, options?: { exact?: boolean }): Locator;
  first(): Locator;
  count(): Promise<number>;
}

export interface Page extends Pick<Locator, 'locator' | 'getByRole' | 'getByLabel'> {
  goto(url: string): Promise<unknown>;
  url(): string;
  waitForURL(url: (u: URL) => boolean, options?: { timeout?: number }): Promise<void>;
  screenshot(options?: { fullPage?: boolean }): Promise<Buffer>;
  on(event: 'console' | 'pageerror', listener: (arg: { toString(): string }) => void): void;
  on(event: 'dialog', listener: (dialog: { accept(): Promise<void> }) => void): void;
  evaluate(expression: string): Promise<unknown>;
}

export interface Browser {
  newPage(options?: {
    viewport?: { width: number; height: number };
    locale?: string;
  }): Promise<Page>;
  close(): Promise<void>;
}

interface PlaywrightCore {
  chromium: {
    launch(options: {
      executablePath: string;
      headless: boolean;
      args: string[];
    }): Promise<Browser>;
  };
}

/** Loads an optional package by a name TypeScript does not resolve at compile time. */
async function load<T>(name: string, install: string): Promise<T> {
  try {
    return (await import(name)) as T;
  } catch {
    throw new Error(`${name} is not installed: npm install --save-dev ${install}`);
  }
}

export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(`no Chromium at ${CHROMIUM}: apt-get install chromium (or set CHROMIUM_PATH)`);
  const pw = await load<PlaywrightCore>('playwright-core', 'playwright-core');
  return pw.chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

/** A page that fails the test on any script error, in English, at a tablet's size. */
export async function openConsole(browser: Browser, url: string, token: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.toString()));
  await page.goto(url);
  if (errors.length > 0) throw new Error(`page errors: ${errors.join('\n')}`);
  await page.locator('#lang').click(); // the consoles open in Chinese
  await page.getByLabel('Access token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  return page;
}

/** Retries an assertion until it passes or the time runs out (the page updates on its own). */
export async function eventually(
  assertion: () => Promise<void>,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await assertion();
      return;
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

export const text = async (l: Locator): Promise<string> => (await l.textContent()) ?? '';

/**
 * Keeps a console's screenshot for the README when UPDATE_SCREENSHOTS=1, so ordinary test runs
 * leave the tracked images alone.
 */
export async function keepScreenshot(name: string, page: Page, part?: string): Promise<void> {
  if (process.env.UPDATE_SCREENSHOTS !== '1') return;
  await page.evaluate('window.scrollTo(0, 0)');
  // A part of the page (a CSS selector) when what matters is below the fold.
  const png = part ? await page.locator(part).screenshot() : await page.screenshot();
  const dir = join(__dirname, '..', '..', '..', 'apps', 'console', 'screenshots');
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, `${name}.png`), png);
}

interface DecodedPng {
  width: number;
  height: number;
  data: Buffer;
}
interface PngJs {
  PNG: { sync: { read(png: Buffer): DecodedPng } };
}
type JsQr = (data: Uint8ClampedArray, width: number, height: number) => { data: string } | null;

/** Reads the QR code in a PNG screenshot, as a gate's scanner would read the phone. */
export async function decodeQr(png: Buffer): Promise<string | null> {
  const { PNG } = await load<PngJs>('pngjs', 'pngjs @types/pngjs');
  const jsqr = await load<{ default: JsQr | { default: JsQr } }>('jsqr', 'jsqr');
  const read = typeof jsqr.default === 'function' ? jsqr.default : jsqr.default.default;
  const image = PNG.sync.read(png);
  const rgba = new Uint8ClampedArray(image.data.buffer, image.data.byteOffset, image.data.length);
  return read(rgba, image.width, image.height)?.data ?? null;
}
