/**
 * The trafficking story in the web app, with all cryptography in the browsers (Debian's Chromium
 * through playwright-core, against the embedded hub as `npm start` runs it):
 *
 * - each worker's browser becomes a device on first sign-in (non-extractable keys in IndexedDB)
 *   and shows its code; the organisation admin approves it in the web app with the unit's recovery
 *   key (the demo's printed sheet) after typing the code — a wrong code is refused;
 * - the police officer writes a trafficking referral in the form generated from the referral
 *   document schema (a reload keeps the encrypted draft; the sharing rules are explained before
 *   sending) and it is signed and encrypted in the browser;
 * - the coordinator reads it (decrypted and verified, the sender named), answers in the secure
 *   thread, searches units by need and area and forwards it to Frideborg and Novahuset, re-encrypted
 *   in the browser; Novahuset accepts, both sides confirm the warm handover, Novahuset closes it,
 *   and the coordinator follows the linked referrals to their outcome;
 * - a referral whose clear record the hub changed is shown with a warning and no actions.
 *
 * axe-core runs on every page; screenshots go to test-artifacts/web/. At the end a marker typed
 * into the forms is absent from every table of every schema (events included: the embedded hub
 * keeps them in its outboxes) and from the hub's logs.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { readDevKeyStore } from '@samverkan/directory/src/seed/dev-key-store';
import { DEMO_UNITS as U } from '@samverkan/shared';
import { root, startEmbeddedHub, stopProcess, type RunningProcess } from './helpers/processes';

const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const artifacts = path.join(root, 'test-artifacts', 'web');
const axeSource = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true };
const DESKTOP = { viewport: { width: 1280, height: 860 } };
/** typed into the browsers' forms; must never reach the hub in clear */
const MARKER = `MARK${Math.random().toString(36).slice(2, 10).toUpperCase()}`;

let hub: RunningProcess;
let dataDir: string;
let browser: Browser;
const contexts: BrowserContext[] = [];
const problems = new Map<Page, string[]>();

beforeAll(async () => {
  if (!fs.existsSync(executablePath)) {
    throw new Error(
      `Chromium is not installed at ${executablePath}: apt-get install -y chromium (or set CHROMIUM_PATH)`,
    );
  }
  fs.mkdirSync(artifacts, { recursive: true });
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'samverkan-webref-'));
  await promisify(execFile)('npm', ['run', 'build', '--workspace', 'web'], { cwd: root });
  hub = await startEmbeddedHub(dataDir, { LOG_LEVEL: 'info' });
  browser = await chromium.launch({ executablePath, args: ['--no-sandbox', '--disable-gpu'] });
}, 400_000);

afterAll(async () => {
  await Promise.all(contexts.map((c) => c.close().catch(() => undefined)));
  await browser?.close();
  if (hub) {
    await stopProcess(hub);
  }
  fs.rmSync(dataDir, { recursive: true, force: true });
});

async function newPage(options: typeof PHONE | typeof DESKTOP): Promise<Page> {
  const context = await browser.newContext({ ...options, locale: 'sv-SE' });
  contexts.push(context);
  const page = await context.newPage();
  const seen: string[] = [];
  problems.set(page, seen);
  page.on('pageerror', (err) => seen.push(`page error: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource')) {
      seen.push(`console: ${msg.text()}`);
    }
  });
  page.on('response', (res) => {
    // the refusals people are meant to see: a wrong code, a wrong recovery key
    const expected =
      (res.status() === 422 || res.status() === 404) &&
      /\/v1\/(devices\/[^/]+\/approve|units\/[^/]+\/recovery-key)$/.test(res.url());
    if (res.status() >= 400 && !expected) {
      seen.push(`${res.status()} ${res.request().method()} ${res.url()}`);
    }
  });
  return page;
}

async function signIn(page: Page, user: string): Promise<void> {
  await page.goto(`${hub.base}/`);
  await page.getByRole('button', { name: /Logga in: Utvecklingsinloggning/ }).click();
  await page.waitForURL(/\/oidc\/interaction\//, { timeout: 30_000 });
  await page.getByRole('button', { name: new RegExp(`^${user.replace('.', '\\.')}\\b`) }).click();
  await page.getByTestId('signed-in-as').filter({ hasText: user }).waitFor({ timeout: 30_000 });
}

async function expectAccessible(page: Page, name: string): Promise<void> {
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
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

async function step(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(artifacts, `${name}.png`), fullPage: true });
  await expectAccessible(page, name);
  expect({ page: name, problems: problems.get(page) }).toEqual({ page: name, problems: [] });
}

/** A worker signs in; the browser enrols itself and shows the code to read out. */
async function enrolWorker(user: string, options = DESKTOP): Promise<{ page: Page; code: string }> {
  const page = await newPage(options);
  await signIn(page, user);
  await page.getByTestId('device-banner').waitFor({ timeout: 60_000 });
  await page.goto(`${hub.base}/#/device`);
  const code = (await page.getByTestId('short-code').innerText()).trim();
  expect(code).toMatch(/^\d{5} \d{5} \d{5} \d{5}$/);
  await expect(page.getByTestId('device-unit').first().innerText()).resolves.toContain(
    'väntar på godkännande',
  );
  return { page, code };
}

/** The organisation admin approves a colleague's browser in the web app with the recovery key. */
async function approveAsAdmin(
  admin: string,
  unitName: string,
  unitId: string,
  user: string,
  code: string,
  shot?: string,
): Promise<Page> {
  const page = await newPage(DESKTOP);
  await signIn(page, admin);
  await page.goto(`${hub.base}/#/admin`);
  const card = page.getByTestId('unit-admin').filter({
    has: page.getByRole('heading', { name: unitName, exact: true }),
  });
  const pending = card.getByTestId('pending-device').filter({ hasText: user });
  await pending.waitFor({ timeout: 30_000 });
  const secret = readDevKeyStore(dataDir).recovery![unitId]!.secret;
  await card.getByLabel('Enhetens återställningsnyckel').fill(secret);
  if (shot) {
    // A code that differs by one digit is refused by the approving browser itself.
    const wrong = code.replace(/\d$/, (d) => String((Number(d) + 1) % 10));
    await pending.getByLabel(/Koden som visas på/).fill(wrong);
    await pending.getByRole('button', { name: 'Jämför och godkänn' }).click();
    await card.getByText('Koden stämmer inte med den enhet som är registrerad').waitFor();
    await step(page, `${shot}-code-mismatch`);
  }
  await pending.getByLabel(/Koden som visas på/).fill(code);
  await pending.getByRole('button', { name: 'Jämför och godkänn' }).click();
  await card.getByText('Koden stämde. Enheten är godkänd').waitFor({ timeout: 30_000 });
  if (shot) {
    await step(page, shot);
  }
  return page;
}

async function waitForKeys(page: Page): Promise<void> {
  await page.goto(`${hub.base}/#/device`);
  await page
    .getByTestId('device-unit')
    .filter({ hasText: 'godkänd – nycklarna finns i den här webbläsaren' })
    .waitFor({ timeout: 60_000 });
}

function database(): Client {
  return new Client({ host: path.join(dataDir, 'run'), user: 'postgres', database: 'postgres' });
}

async function sql(text: string, values: unknown[]): Promise<void> {
  const client = database();
  await client.connect();
  try {
    await client.query(text, values);
  } finally {
    await client.end();
  }
}

async function scanDatabase(marker: string): Promise<string[]> {
  const client = database();
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

test('the trafficking story: police → coordinator → Frideborg and Novahuset → warm handover → closed, all sealed in the browsers', async () => {
  // ----- devices: each browser enrols, its organisation admin approves it with the code -------
  const police = await enrolWorker('police.officer');
  await step(police.page, '40-device-code');
  const coordinator = await enrolWorker('coordinator.ostergotland');
  const frideborg = await enrolWorker('frideborg.caseworker');
  const novahuset = await enrolWorker('novahuset.caseworker', PHONE);

  await approveAsAdmin(
    'police.admin',
    'Människohandelsgruppen Region Öst',
    U.policeTraffickingOst,
    'police.officer',
    police.code,
    '41-admin-approves',
  );
  await approveAsAdmin(
    'coordinator.admin',
    'Regionkoordinatorn Östergötland',
    U.coordinator,
    'coordinator.ostergotland',
    coordinator.code,
  );
  await approveAsAdmin(
    'norrkoping.admin',
    'Frideborg',
    U.frideborg,
    'frideborg.caseworker',
    frideborg.code,
  );
  await approveAsAdmin(
    'novahuset.admin',
    'Novahuset stödsamtal',
    U.novahuset,
    'novahuset.caseworker',
    novahuset.code,
  );
  for (const w of [police, coordinator, frideborg, novahuset]) {
    await waitForKeys(w.page);
  }
  await step(police.page, '42-device-approved');

  // ----- the officer writes the referral; a reload keeps the encrypted draft -----------------
  const p = police.page;
  await p.goto(`${hub.base}/#/new-referral`);
  const form = p.getByTestId('new-referral-form');
  await form.waitFor();
  await p
    .getByLabel('Sammanfattning')
    .fill(`Kvinna mött vid insats, ${MARKER}, rädd för sin hallick.`);
  await p.getByLabel('Kallas (namn personen använder)').fill(`Alias ${MARKER}`);
  await p.waitForTimeout(600);
  await p.reload();
  await p.getByText('Ett utkast från tidigare återställdes').waitFor({ timeout: 30_000 });
  await expect(p.getByLabel('Sammanfattning').inputValue()).resolves.toContain(MARKER);

  // The sharing rules, explained before sending: an NGO needs consent.
  await p
    .getByLabel('Mottagande enhet')
    .selectOption({ label: 'Novahuset stödsamtal (Novahuset)' });
  await p.getByLabel('Rättslig grund').selectOption('legal_duty');
  await p.getByTestId('sharing-advice').getByText('delning kräver personens samtycke').waitFor();
  await expect(
    p.getByRole('button', { name: 'Signera, kryptera och skicka' }).isDisabled(),
  ).resolves.toBe(true);
  await step(p, '43-new-referral-rules');

  await p.getByLabel('Mottagande enhet').selectOption({
    label:
      'Regionkoordinatorn Östergötland (Regionkoordinator mot prostitution och människohandel, Östergötland)',
  });
  await p.getByLabel('Rättslig grund').selectOption('consent');
  await p.getByLabel('Brådska').selectOption('urgent');
  await p.locator('#f-person-gender').selectOption('female');
  await p.getByRole('checkbox', { name: 'Skyddsbedömning' }).check();
  await p.getByRole('checkbox', { name: 'Stödsamtal' }).check();
  await p.getByRole('checkbox', { name: 'Människohandel för sexuella ändamål' }).check();
  await p.getByRole('checkbox', { name: 'Personen har samtyckt till delningen' }).check();
  await p.getByLabel('Din roll').fill('polis');
  await step(p, '44-new-referral-filled');
  await p.getByRole('button', { name: 'Signera, kryptera och skicka' }).click();
  await p.waitForURL(/#\/referral\/[0-9a-f-]{36}$/, { timeout: 60_000 });
  const referralId = p.url().split('/').at(-1)!;
  await p.getByTestId('document-summary').filter({ hasText: MARKER }).waitFor({ timeout: 60_000 });

  // ----- the coordinator reads it, verified, answers in the thread, and routes it --------------
  const c = coordinator.page;
  await c.goto(`${hub.base}/#/referral/${referralId}`);
  await c.getByTestId('document-summary').filter({ hasText: MARKER }).waitFor({ timeout: 60_000 });
  await expect(c.getByTestId('verified-sender').innerText()).resolves.toContain(
    'Människohandelsgruppen Region Öst (Polisen Region Öst)',
  );
  await step(c, '45-coordinator-reads');
  await c.getByLabel('Nytt meddelande').fill(`Vi tar det härifrån. ${MARKER}`);
  // A message being written survives a reload too (an encrypted draft in this browser).
  await c.waitForTimeout(600);
  await c.reload();
  await c.getByText('Ett utkast från tidigare återställdes').waitFor({ timeout: 60_000 });
  await expect(c.getByLabel('Nytt meddelande').inputValue()).resolves.toContain(MARKER);
  await c.getByRole('button', { name: 'Skicka krypterat' }).click();
  await c.getByTestId('thread-message').filter({ hasText: MARKER }).waitFor({ timeout: 30_000 });

  const panel = c.getByTestId('forward-panel');
  await panel.getByLabel('Behov').selectOption('support_talks');
  await panel.getByRole('button', { name: 'Sök enheter' }).click();
  await panel.getByRole('checkbox', { name: /^Frideborg / }).check();
  await panel.getByRole('checkbox', { name: /^Novahuset stödsamtal / }).check();
  await step(c, '46-coordinator-routes');
  await panel.getByRole('button', { name: 'Slussa till 2 enhet(er)' }).click();
  await c
    .getByTestId('referral-status')
    .filter({ hasText: 'Vidarebefordrad' })
    .waitFor({ timeout: 60_000 });
  const linked = c.getByTestId('linked-referrals');
  await linked.getByRole('link').nth(1).waitFor({ timeout: 30_000 });
  await linked.getByRole('link', { name: /^Frideborg \(Norrköpings kommun/ }).waitFor();
  await linked.getByRole('link', { name: /^Novahuset stödsamtal \(Novahuset\)/ }).waitFor();

  // The officer reads the coordinator's answer in the thread.
  await p.reload();
  await p.getByTestId('thread-message').filter({ hasText: MARKER }).waitFor({ timeout: 60_000 });

  // ----- Novahuset (on a phone) accepts and plans the warm handover ---------------------------
  const n = novahuset.page;
  await n.goto(`${hub.base}/#/inbox`);
  await n.getByTestId('referral').first().getByRole('button', { name: /Öppna/ }).click();
  await n.getByTestId('document-summary').filter({ hasText: MARKER }).waitFor({ timeout: 60_000 });
  await expect(n.getByTestId('verified-sender').innerText()).resolves.toContain(
    'Regionkoordinatorn Östergötland',
  );
  await step(n, '47-novahuset-reads');
  const novaId = n.url().split('/').at(-1)!;
  const status = n.getByTestId('referral-status');
  await n.getByRole('button', { name: 'Kvittera', exact: true }).click();
  await status.filter({ hasText: 'Mottagen' }).waitFor();
  await n.getByRole('button', { name: 'Acceptera', exact: true }).click();
  await status.filter({ hasText: 'Accepterad' }).waitFor();
  await n.getByRole('button', { name: 'Planera överlämning' }).click();
  await n.getByLabel('Sätt').selectOption('in_person');
  await n.getByRole('button', { name: 'Spara' }).click();
  await status.filter({ hasText: 'Överlämning planerad' }).waitFor();
  await n.getByRole('button', { name: 'Bekräfta överlämning' }).click();
  await n.getByText('Bekräftad av mottagaren').waitFor();

  // Frideborg has its own linked referral, readable there.
  const f = frideborg.page;
  await f.goto(`${hub.base}/#/inbox`);
  await f.getByTestId('referral').first().getByRole('button', { name: /Öppna/ }).click();
  await f.getByTestId('document-summary').filter({ hasText: MARKER }).waitFor({ timeout: 60_000 });
  await f.getByRole('button', { name: 'Kvittera', exact: true }).waitFor();
  await step(f, '48-frideborg-reads');
  const frideborgId = f.url().split('/').at(-1)!;

  // ----- the coordinator confirms the sending side; Novahuset closes -------------------------
  await c.goto(`${hub.base}/#/referral/${novaId}`);
  await c.getByRole('button', { name: 'Bekräfta överlämning' }).click();
  await c.getByTestId('referral-status').filter({ hasText: 'Överlämning bekräftad' }).waitFor();
  await n.reload();
  await n.getByRole('button', { name: 'Avsluta' }).click();
  await n.getByLabel('Utfall').selectOption('support_started');
  await n.getByRole('button', { name: 'Avsluta' }).last().click();
  await status.filter({ hasText: 'Avslutad' }).waitFor({ timeout: 30_000 });
  await step(n, '49-novahuset-closed');

  await c.goto(`${hub.base}/#/referral/${referralId}`);
  await c
    .getByTestId('linked-referrals')
    .getByTestId('linked-status')
    .filter({ hasText: 'Avslutad' })
    .waitFor({ timeout: 30_000 });
  await step(c, '50-coordinator-follows');

  // ----- a hub that changes the clear record is caught, and nothing can be done on it ----------
  await sql('UPDATE referrals.referrals SET category = $1 WHERE id = $2', [
    'sex_for_compensation',
    frideborgId,
  ]);
  await f.reload();
  const warning = f.getByTestId('envelope-warning');
  await warning.waitFor({ timeout: 60_000 });
  expect(await warning.innerText()).toContain('Hubben visar andra uppgifter (Kategori)');
  await expect(f.getByTestId('document-summary').count()).resolves.toBe(0);
  await expect(f.getByRole('button', { name: 'Kvittera', exact: true }).count()).resolves.toBe(0);
  await step(f, '51-frideborg-mismatch-warning');

  // ----- with the hub's record put right again, Frideborg declines its leg with a note sealed
  // in its browser; the coordinator (the leg's sender) reads it decrypted on the thread -------
  await sql(
    'UPDATE referrals.referrals SET category = (SELECT category FROM referrals.referrals WHERE id = $2) WHERE id = $1',
    [frideborgId, referralId],
  );
  await f.reload();
  await f.getByTestId('document-summary').filter({ hasText: MARKER }).waitFor({ timeout: 60_000 });
  await f.getByRole('button', { name: 'Kvittera', exact: true }).click();
  await f.getByTestId('referral-status').filter({ hasText: 'Mottagen' }).waitFor();
  await f.getByRole('button', { name: 'Avböj', exact: true }).click();
  const declineForm = f.getByTestId('decline-form');
  await declineForm.getByLabel('Skäl').selectOption('other');
  await declineForm.getByLabel(/Meddelande till avsändaren/).fill(`Vi har inte plats. ${MARKER}`);
  await declineForm.getByRole('button', { name: 'Avböj', exact: true }).click();
  await f.getByTestId('referral-status').filter({ hasText: 'Avböjd' }).waitFor({ timeout: 30_000 });
  await c.goto(`${hub.base}/#/referral/${frideborgId}`);
  const declineNote = c
    .getByTestId('thread-message')
    .filter({ hasText: `Vi har inte plats. ${MARKER}` });
  await declineNote.waitFor({ timeout: 60_000 });
  await expect(declineNote.getByTestId('note-purpose').innerText()).resolves.toBe(
    'Skäl till avböjandet',
  );
  await step(c, '51b-coordinator-reads-decline-note');

  // ----- a colleague's approved browser approves another device (here the caseworker's new
  // phone) on #/devices after comparing the code, and revokes it again --------------------------
  const phone = await enrolWorker('frideborg.caseworker', PHONE);
  await f.goto(`${hub.base}/#/devices`);
  const devices = f.getByTestId('unit-devices');
  const pendingPhone = devices.getByTestId('pending-device');
  await pendingPhone.waitFor({ timeout: 30_000 });
  await pendingPhone.getByLabel(/Koden som visas på/).fill(phone.code);
  await pendingPhone.getByRole('button', { name: 'Jämför och godkänn' }).click();
  await devices.getByText('Koden stämde. Enheten är godkänd').waitFor({ timeout: 30_000 });
  await step(f, '52-colleague-approves');
  await waitForKeys(phone.page);
  await step(phone.page, '53-phone-approved');
  await devices
    .getByRole('row', { name: /\(mobil\)/ })
    .getByRole('button', { name: 'Återkalla' })
    .click();
  await devices.getByText('Enheten är återkallad.').waitFor({ timeout: 30_000 });
  await devices.getByText('enhetens nycklar behöver bytas').waitFor({ timeout: 30_000 });
  await phone.page.reload();
  await phone.page
    .getByTestId('device-unit')
    .filter({ hasText: 'återkallad' })
    .waitFor({ timeout: 30_000 });
  await step(phone.page, '54-phone-revoked');

  // ----- nothing typed reached the hub in clear -------------------------------------------------
  expect(await scanDatabase(MARKER)).toEqual([]);
  // The scan does find what the hub does store in clear (so it would find the marker).
  expect(await scanDatabase('Regionkoordinatorn')).not.toEqual([]);
  expect(hub.output()).not.toContain(MARKER);
  expect(hub.output().length).toBeGreaterThan(0);
}, 900_000);
