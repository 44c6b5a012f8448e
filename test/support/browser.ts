// Headless Chromium for browser tests: Debian's /usr/bin/chromium driven by playwright-core (never a
// downloaded browser), the app served on an ephemeral port, screenshots under test-results/screenshots.
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { type Browser, chromium, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const SCREENSHOTS = 'test-results/screenshots';

/** The reason to skip, said loudly once; false when Chromium is there. */
export function chromiumMissing(): string | false {
  if (existsSync(CHROMIUM)) return false;
  const reason = `SKIPPED: browser tests need ${CHROMIUM} (Debian package "chromium"; ops/test.sh installs it when run as root)`;
  const bar = '#'.repeat(reason.length);
  console.warn(`\n${bar}\n${reason}\n${bar}\n`);
  return reason;
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/** Serves a Hono app (anything with `fetch`) on 127.0.0.1 and an ephemeral port. */
export async function serveApp(app: { fetch: (req: Request) => Response | Promise<Response> }) {
  const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Fails the test on any script error or dialog (an alert() would mean injected markup ran). */
export function watchPage(page: Page): string[] {
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('dialog', (dialog) => {
    problems.push(`dialog opened: ${dialog.message()}`);
    void dialog.dismiss();
  });
  return problems;
}

export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(SCREENSHOTS, { recursive: true });
  const file = `${SCREENSHOTS}/${name}.png`;
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** Polls `check` (in the test, not the page) until it holds; fails after `timeoutMs`. */
export async function waitUntil(
  check: () => Promise<boolean>,
  timeoutMs: number,
  everyMs = 250,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
