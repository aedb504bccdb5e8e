import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/**
 * Debian's Chromium, driven headless through playwright-core (no browser download). Flags keep it
 * quiet and offline: no first-run, sync, component updates or background requests.
 */
export const CHROMIUM_PATH = process.env.CHARTHOUSE_CHROMIUM ?? '/usr/bin/chromium';

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** A fresh context (own localStorage) at the console's widest supported size. */
export function newContext(browser: Browser, baseURL: string): Promise<BrowserContext> {
  return browser.newContext({ viewport: { width: 1280, height: 800 }, baseURL });
}

export const SCREENSHOT_DIR = path.resolve(import.meta.dirname, '../../test-output/screenshots');

/** Saves test-output/screenshots/<name>.png and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/**
 * Collects what a page should never produce: uncaught exceptions, console errors (a CSP violation is
 * one) and failed loads. `expected(text, url)` lets a test accept some, e.g. API answers of 4xx.
 */
export function watchForProblems(
  page: Page,
  expected: (text: string, url: string) => boolean = () => false,
): string[] {
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    const url = message.location().url;
    if (!expected(message.text(), url)) problems.push(`console error: ${message.text()} (${url})`);
  });
  return problems;
}
