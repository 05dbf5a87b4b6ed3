/**
 * What the browser stories share (hub/test/web*.browser.test.ts): one embedded hub and one
 * Debian Chromium per file, pages that record what the browser complained about, sign-in through
 * the development OpenID provider, the axe-core check and a screenshot per step, enrolling a
 * worker's browser and approving it as the organisation admin, and the database scan for a marker
 * typed into the forms.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import {
  chromium,
  type Browser,
  type BrowserContext,
  type Page,
  type Response,
} from 'playwright-core';
import { readDevKeyStore } from '@samverkan/directory/src/seed/dev-key-store';
import { root, startEmbeddedHub, stopProcess, type RunningProcess } from './processes';

export const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const artifacts = path.join(root, 'test-artifacts', 'web');
const axeSource = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
export const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true };
export const DESKTOP = { viewport: { width: 1280, height: 860 } };

export interface WebStory {
  hub: RunningProcess;
  dataDir: string;
  browser: Browser;
  contexts: BrowserContext[];
  /** what the browser complained about, per page: errors, CSP violations, failed requests */
  problems: Map<Page, string[]>;
  /** the refusals people are meant to see in this story (not counted as problems) */
  expected(res: Response): boolean;
}

const webDir = path.join(root, 'web');
const buildLock = path.join(webDir, '.test-build.lock');
const buildStamp = path.join(webDir, 'dist', '.test-build-stamp');

/** The newest change to the web app's sources (all of web/ but its build and node_modules). */
function newestSource(dir = webDir): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (['dist', 'node_modules'].includes(entry.name) || entry.name.startsWith('.test-build')) {
      continue;
    }
    const at = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(at) : fs.statSync(at).mtimeMs);
  }
  return newest;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Builds web/dist when its sources changed since the last build a test made, one test file at a
 * time. The build `npm install` made may be older than the sources under test; and a build
 * empties web/dist first, so a hub of another test file starting meanwhile would serve a page
 * without its scripts (the browser then never shows the sign-in button): test files running in
 * parallel wait for each other's build here, and build only once.
 */
async function buildWebOnce(): Promise<void> {
  for (;;) {
    try {
      fs.writeFileSync(buildLock, String(process.pid), { flag: 'wx' });
      break;
    } catch {
      const holder = Number(fs.readFileSync(buildLock, 'utf8') || 'NaN');
      if (Number.isInteger(holder) && !alive(holder)) {
        fs.rmSync(buildLock, { force: true }); // left by a test run that was killed
        continue;
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  try {
    const built = fs.existsSync(buildStamp) ? fs.statSync(buildStamp).mtimeMs : 0;
    if (built <= newestSource()) {
      await promisify(execFile)('npm', ['run', 'build', '--workspace', 'web'], { cwd: root });
      fs.writeFileSync(buildStamp, new Date().toISOString());
    }
  } finally {
    fs.rmSync(buildLock, { force: true });
  }
}

/** Builds the web app, starts the embedded hub and Chromium (in beforeAll). */
export async function startWebStory(
  prefix: string,
  expected: (res: Response) => boolean,
): Promise<WebStory> {
  if (!fs.existsSync(executablePath)) {
    throw new Error(
      `Chromium is not installed at ${executablePath}: apt-get install -y chromium (or set CHROMIUM_PATH)`,
    );
  }
  fs.mkdirSync(artifacts, { recursive: true });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  await buildWebOnce();
  // One after the other: on a busy machine the hub's start is the slow part.
  const hub = await startEmbeddedHub(dataDir, { LOG_LEVEL: 'info' });
  const browser = await chromium.launch({
    executablePath,
    args: ['--no-sandbox', '--disable-gpu'],
  });
  return { hub, dataDir, browser, contexts: [], problems: new Map(), expected };
}

export async function stopWebStory(story: WebStory | undefined, dataDir?: string): Promise<void> {
  if (story) {
    await Promise.all(story.contexts.map((c) => c.close().catch(() => undefined)));
    await story.browser?.close();
    await stopProcess(story.hub);
  }
  const dir = story?.dataDir ?? dataDir;
  if (dir) {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** A new browser context (a person's own browser) with one page whose problems are recorded. */
export async function newPage(
  story: WebStory,
  options: typeof PHONE | typeof DESKTOP,
  permissions: string[] = [],
): Promise<Page> {
  const context = await story.browser.newContext({
    ...options,
    locale: 'sv-SE',
    acceptDownloads: true,
    permissions,
  });
  story.contexts.push(context);
  const page = await context.newPage();
  const seen: string[] = [];
  story.problems.set(page, seen);
  page.on('pageerror', (err) => seen.push(`page error: ${err.message}`));
  page.on('console', (msg) => {
    // failed requests are judged below, by URL
    if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource')) {
      seen.push(`console: ${msg.text()}`);
    }
  });
  page.on('response', (res) => {
    if (res.status() >= 400 && !story.expected(res)) {
      seen.push(`${res.status()} ${res.request().method()} ${res.url()}`);
    }
  });
  return page;
}

/** Signs in through the development OpenID provider's login page, as a person would. */
export async function signIn(story: WebStory, page: Page, user: string): Promise<void> {
  await page.goto(`${story.hub.base}/`);
  await page.getByRole('button', { name: /Logga in: Utvecklingsinloggning/ }).click();
  await page.waitForURL(/\/oidc\/interaction\//, { timeout: 30_000 });
  await page.getByRole('button', { name: new RegExp(`^${user.replace('.', '\\.')}\\b`) }).click();
  await page.getByTestId('signed-in-as').filter({ hasText: user }).waitFor({ timeout: 30_000 });
  // The code never stays in the address bar.
  expect(page.url()).not.toMatch(/[?&]code=/);
}

/** axe-core in the page: no serious or critical WCAG 2.1 A/AA violations. */
export async function expectAccessible(page: Page, name: string): Promise<void> {
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    // runs in the page (no DOM types in the test's own compilation)
    const page = globalThis as any;
    const result = await page.axe.run(page.document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
    });
    return (result.violations as any[])
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n: any) => n.target.join(' ')).join(', ')})`);
  });
  expect({ page: name, violations }).toEqual({ page: name, violations: [] });
}

/** A screenshot of the step, axe-core on it, and nothing the browser complained about. */
export async function step(story: WebStory, page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(artifacts, `${name}.png`), fullPage: true });
  await expectAccessible(page, name);
  expect({ page: name, problems: story.problems.get(page) }).toEqual({ page: name, problems: [] });
}

/** A worker signs in; the browser enrols itself and shows the code to read out. */
export async function enrolWorker(
  story: WebStory,
  user: string,
  options: typeof PHONE | typeof DESKTOP = DESKTOP,
  permissions: string[] = [],
): Promise<{ page: Page; code: string }> {
  const page = await newPage(story, options, permissions);
  await signIn(story, page, user);
  await page.getByTestId('device-banner').waitFor({ timeout: 60_000 });
  await page.goto(`${story.hub.base}/#/device`);
  const code = (await page.getByTestId('short-code').innerText()).trim();
  expect(code).toMatch(/^\d{5} \d{5} \d{5} \d{5}$/);
  // The page that shows the code has no banner above it pointing to the code.
  await expect(page.getByTestId('device-banner').count()).resolves.toBe(0);
  await expect(page.getByTestId('device-unit').first().innerText()).resolves.toContain(
    'väntar på godkännande',
  );
  return { page, code };
}

/** The demo's printed recovery sheet, as the admin picks it from disk in the browser. */
export function recoverySheet(story: WebStory): string {
  return path.join(story.dataDir, 'dev-keys', 'recovery-keys.txt');
}

/**
 * The organisation admin approves a colleague's browser in the web app: the unit's recovery key
 * from the printed sheet (picked as a file, or typed), then the code read out by the colleague.
 * With `shot`, a code one digit off is tried first (refused by the approving browser).
 */
export async function approveAsAdmin(
  story: WebStory,
  input: {
    admin: string;
    unitName: string;
    unitId: string;
    user: string;
    code: string;
    shot?: string;
    /** type the key instead of picking the sheet */
    typeKey?: boolean;
  },
): Promise<Page> {
  const page = await newPage(story, DESKTOP);
  await signIn(story, page, input.admin);
  await page.goto(`${story.hub.base}/#/admin`);
  const card = page.getByTestId('unit-admin').filter({
    has: page.getByRole('heading', { name: input.unitName, exact: true }),
  });
  const pending = card.getByTestId('pending-device').filter({ hasText: input.user });
  await pending.waitFor({ timeout: 30_000 });
  if (input.typeKey) {
    const secret = readDevKeyStore(story.dataDir).recovery![input.unitId]!.secret;
    await card.getByLabel('Enhetens återställningsnyckel').fill(secret);
  } else {
    await card.getByLabel('Återställningsbladet (fil)').setInputFiles(recoverySheet(story));
    await card.getByText('Nyckeln för enheten hittades i filen').waitFor({ timeout: 10_000 });
  }
  if (input.shot) {
    // A code that differs by one digit is refused by the approving browser itself.
    const wrong = input.code.replace(/\d$/, (d) => String((Number(d) + 1) % 10));
    await pending.getByLabel(/Koden som visas på/).fill(wrong);
    await pending.getByRole('button', { name: 'Jämför och godkänn' }).click();
    await card.getByText('Koden stämmer inte med den webbläsare som är registrerad').waitFor();
    await step(story, page, `${input.shot}-code-mismatch`);
  }
  await pending.getByLabel(/Koden som visas på/).fill(input.code);
  await pending.getByRole('button', { name: 'Jämför och godkänn' }).click();
  await card.getByText('Koden stämde. Webbläsaren är godkänd').waitFor({ timeout: 30_000 });
  if (input.shot) {
    await step(story, page, input.shot);
  }
  return page;
}

export async function waitForKeys(story: WebStory, page: Page): Promise<void> {
  await page.goto(`${story.hub.base}/#/device`);
  await page
    .getByTestId('device-unit')
    .filter({ hasText: 'godkänd – nycklarna finns i den här webbläsaren' })
    .waitFor({ timeout: 60_000 });
}

/** The embedded hub's database (its Unix socket in the data folder). */
export function database(story: WebStory): Client {
  return new Client({
    host: path.join(story.dataDir, 'run'),
    user: 'postgres',
    database: 'postgres',
  });
}

export async function sql<T extends object = Record<string, unknown>>(
  story: WebStory,
  text: string,
  values: unknown[],
): Promise<T[]> {
  const client = database(story);
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}

/** The tables (every schema) of the embedded hub's database whose rows contain `marker`. */
export async function scanDatabase(story: WebStory, marker: string): Promise<string[]> {
  const client = database(story);
  await client.connect();
  try {
    const tables = await client.query<{ s: string; t: string }>(
      `SELECT table_schema AS s, table_name AS t FROM information_schema.tables
        WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')`,
    );
    expect(tables.rows.length).toBeGreaterThan(20);
    const hits: string[] = [];
    for (const { s, t } of tables.rows) {
      const q = `SELECT count(*)::int AS n FROM "${s}"."${t}" x WHERE x::text ILIKE $1`;
      const res = await client.query<{ n: number }>(q, [`%${marker}%`]);
      if (res.rows[0]!.n > 0) {
        hits.push(`${s}.${t}`);
      }
    }
    return hits;
  } finally {
    await client.end();
  }
}
