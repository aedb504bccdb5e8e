import assert from 'node:assert/strict';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { newContext, watchForProblems } from './browser.js';

/**
 * Steps the browser tests share. They drive the console as a person does, by labels, roles and
 * visible text, so a test fails when a label or a message is missing, not only when markup moves.
 */

/**
 * Chromium logs every non-2xx fetch as a console error. The API's refusals (401, 422, ...) are part of
 * the scenarios; a failed script, style or image load is not.
 */
const expectedConsoleError = (text: string, url: string): boolean =>
  /^Failed to load resource: the server responded with a status of [45]\d\d/.test(text) &&
  new URL(url).pathname.startsWith('/api/');

export interface ConsolePage {
  context: BrowserContext;
  page: Page;
  /** Page errors and console errors (CSP violations included) seen so far. */
  problems: string[];
}

export async function openConsole(browser: Browser, baseURL: string): Promise<ConsolePage> {
  const context = await newContext(browser, baseURL);
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  const problems = watchForProblems(page, expectedConsoleError);
  return { context, page, problems };
}

export async function signIn(page: Page, username: string, password: string): Promise<void> {
  if (!page.url().includes('/login')) await page.goto('/login');
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => !url.pathname.startsWith('/login'));
}

/** Credentials of the users createTenant() makes. */
export const tenantUser = (tenant: string, role: 'admin' | 'member') => ({
  username: `${tenant}-${role}`,
  password: `${tenant}-${role}-password`,
});

export async function openRegistries(page: Page, tenant: string): Promise<void> {
  await page.goto(`/t/${tenant}/settings/registries`);
  await page.getByRole('heading', { level: 1, name: 'Registries' }).waitFor();
  // Wait for the list (or its empty state), not just the frame.
  await page.locator('.registry-table, .empty').first().waitFor();
}

export const registryRow = (page: Page, name: string): Locator => page.locator(`tr[data-registry="${name}"]`);

/** The text of one cell of a registry's row, by column header. */
export async function cellText(page: Page, name: string, column: string): Promise<string> {
  const headers = await page.locator('.registry-table thead th').allInnerTexts();
  const index = headers.findIndex((h) => h.replace(/[▲▼↕]/g, '').trim() === column);
  assert.ok(index >= 0, `no column "${column}" in ${JSON.stringify(headers)}`);
  return (await registryRow(page, name).locator('th, td').nth(index).innerText()).trim();
}

export const addDialog = (page: Page): Locator => page.getByRole('dialog', { name: 'Add New Helm Registry' });

export async function fillRegistryForm(
  dialog: Locator,
  fields: { name?: string; endpoint?: string; protected?: boolean; username?: string; password?: string },
): Promise<void> {
  if (fields.name !== undefined) await dialog.getByLabel('Registry name').fill(fields.name);
  if (fields.endpoint !== undefined) await dialog.getByLabel('Endpoint').fill(fields.endpoint);
  if (fields.protected !== undefined)
    await dialog.getByRole('switch', { name: 'Protected' }).setChecked(fields.protected);
  if (fields.username !== undefined) {
    await dialog.getByRole('switch', { name: 'No Authentication' }).setChecked(false);
    await dialog.getByLabel('Username').fill(fields.username);
    await dialog.getByLabel('Password').fill(fields.password ?? '');
  }
}

export function assertNoProblems(problems: string[]): void {
  assert.deepEqual(problems, [], 'the page logged errors');
}

/**
 * Retries an assertion until it passes or `timeoutMs` ends (playwright-core has no `expect`): a click
 * is followed by a React render, and reading the DOM right away may see the one before.
 */
export async function eventually(check: () => Promise<void>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}
