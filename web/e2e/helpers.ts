// Helpers for the browser tests: sign in through the provider's page, mint
// API tokens with `rentroll token` to compare pages with the API, check
// accessibility, and write screenshots as test artifacts.
import AxeBuilder from '@axe-core/playwright';
import { expect, type Page } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { mkdirSync, appendFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { env } from './env';

const repo = resolve(import.meta.dirname, '..', '..');
export const shots = join(import.meta.dirname, '..', 'test-results', 'screens');

/** signIn opens the console, which sends the browser to the provider's sign-in page. */
export async function signIn(page: Page, email: string, password: string) {
  await page.goto(env().url + '/');
  await expect(page.getByLabel('E-mail')).toBeVisible();
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('button', { name: 'Sign out' })).toBeVisible();
}

/** token mints a local API token for comparisons with what pages show. */
export function token(sub: string, role: string, client?: string): string {
  const e = env();
  const args = [...e.bin.slice(1), 'token', '--sub', sub, '--role', role, '--data', e.data, '--ttl', '10m'];
  if (client) args.push('--client', client);
  return execFileSync(e.bin[0]!, args, { cwd: repo, encoding: 'utf8' }).trim();
}

/** api calls the platform with a token. */
export async function api<T>(path: string, tok: string): Promise<{ status: number; body: T }> {
  const res = await fetch(env().url + path, { headers: { Authorization: `Bearer ${tok}` } });
  return { status: res.status, body: (await res.json()) as T };
}

/** noSeriousA11y runs axe on the page and fails on serious or critical findings. */
export async function noSeriousA11y(page: Page, what: string) {
  const r = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  const bad = r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(bad.map((v) => `${what}: ${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`)).toEqual([]);
}

/** shoot saves a full-page screenshot at 1280 and 390 pixels wide. */
export async function shoot(page: Page, name: string) {
  mkdirSync(shots, { recursive: true });
  for (const width of [1280, 390]) {
    await page.setViewportSize({ width, height: width === 390 ? 844 : 900 });
    await page.waitForTimeout(150);
    await page.screenshot({ path: join(shots, `${name}-${width}.png`), fullPage: true });
    // At 390 px nothing may overflow sideways except the scrollable tables.
    if (width === 390) {
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow, `${name} overflows ${overflow}px at 390 px`).toBeLessThanOrEqual(1);
    }
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}

/** figure records a measurement for the report. */
export function figure(name: string, value: number, unit: string) {
  mkdirSync(join(import.meta.dirname, '..', 'test-results'), { recursive: true });
  appendFileSync(join(import.meta.dirname, '..', 'test-results', 'figures.txt'), `${name}\t${value}\t${unit}\n`);
  console.log(`figure: ${name} = ${value} ${unit}`);
}

/** samples is the repository's testdata. */
export const samples = join(repo, 'testdata');
