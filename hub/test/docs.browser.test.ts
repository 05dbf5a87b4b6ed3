/**
 * The API docs as a person sees them: the embedded hub (`npm start`) serves Swagger UI at /docs
 * for every service's OpenAPI document and the events at /docs/events. A real headless Chromium
 * (Debian's `chromium`, driven by playwright-core, no browser download) opens the page, expands
 * an operation, sees its schema, switches to another service's document, and opens the events
 * page — failing if the page is blank or the browser reports an error.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startEmbeddedHub, stopProcess, type RunningProcess } from './helpers/processes';

const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

let hub: RunningProcess;
let dataDir: string;
let browser: Browser;

beforeAll(async () => {
  if (!fs.existsSync(executablePath)) {
    throw new Error(
      `Chromium is not installed at ${executablePath}: apt-get install -y chromium (or set CHROMIUM_PATH)`,
    );
  }
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'samverkan-docs-'));
  [hub, browser] = await Promise.all([
    startEmbeddedHub(dataDir),
    chromium.launch({ executablePath, args: ['--no-sandbox', '--disable-gpu'] }),
  ]);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  if (hub) {
    await stopProcess(hub);
  }
  fs.rmSync(dataDir, { recursive: true, force: true });
});

/** A page that records what the browser complains about. */
async function openPage(): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage();
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') {
      problems.push(`console: ${msg.text()}`);
    }
  });
  page.on('response', (res) => {
    if (res.status() >= 400) {
      problems.push(`${res.status()} ${res.url()}`);
    }
  });
  return { page, problems };
}

test('Swagger UI shows every service, an operation expands to its parameters and schema', async () => {
  const { page, problems } = await openPage();
  await page.goto(`${hub.base}/docs`);
  await page.waitForSelector('.swagger-ui .opblock', { timeout: 30_000 });
  expect(await page.locator('.swagger-ui .info .title').first().innerText()).toMatch(/Samverkan/i);

  // The directory's unit search: expand it and see its parameters and its response schema.
  const search = page.locator('.opblock-get', { hasText: '/v1/units' }).first();
  await search.locator('.opblock-summary').first().click();
  await page.waitForSelector('.opblock.is-open .parameters', { timeout: 10_000 });
  const opened = page.locator('.opblock.is-open').first();
  expect(await opened.innerText()).toMatch(/municipality/);
  await opened.locator('button.tablinks[data-name="model"]').first().click();
  await page.waitForSelector('.opblock.is-open .model-box', { timeout: 10_000 });

  // Every service's document is offered in the top bar; switching loads the referrals API.
  const options = await page.locator('.topbar select option').allInnerTexts();
  expect(options).toEqual(expect.arrayContaining(['directory', 'referrals']));
  await page.locator('.topbar select').selectOption({ label: 'referrals' });
  await page.waitForSelector('.opblock-post:has-text("/v1/referrals")', { timeout: 30_000 });

  expect(problems).toEqual([]);
  await page.close();
});

test('the events page lists each subject with its payload schema', async () => {
  const { page, problems } = await openPage();
  await page.goto(`${hub.base}/docs/events`);
  const sent = page.locator('details.event', { hasText: 'samverkan.referrals.referral.sent' });
  await sent.locator('summary').click();
  expect(await sent.locator('pre').innerText()).toContain('recipientUnitId');
  expect(await page.locator('details.event').count()).toBeGreaterThan(20);
  expect(problems).toEqual([]);
  await page.close();
});
