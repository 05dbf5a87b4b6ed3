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
import { DEMO_UNITS as U } from '@samverkan/shared';
import {
  DESKTOP,
  PHONE,
  approveAsAdmin as approve,
  enrolWorker as enrol,
  scanDatabase as scan,
  sql as query,
  startWebStory,
  step as check,
  stopWebStory,
  waitForKeys as keysArrive,
  type WebStory,
} from './helpers/web';
import type { Page } from 'playwright-core';

/** typed into the browsers' forms; must never reach the hub in clear */
const MARKER = `MARK${Math.random().toString(36).slice(2, 10).toUpperCase()}`;

let story: WebStory;
const hub = {
  get base() {
    return story.hub.base;
  },
  output: () => story.hub.output(),
};

beforeAll(async () => {
  // the refusals people are meant to see: a wrong code, a wrong recovery key
  story = await startWebStory(
    'samverkan-webref-',
    (res) =>
      (res.status() === 422 || res.status() === 404) &&
      /\/v1\/(devices\/[^/]+\/approve|units\/[^/]+\/recovery-key)$/.test(res.url()),
  );
}, 400_000);

afterAll(async () => {
  await stopWebStory(story);
});

const step = (page: Page, name: string) => check(story, page, name);
const enrolWorker = (user: string, options: typeof PHONE | typeof DESKTOP = DESKTOP) =>
  enrol(story, user, options);
const approveAsAdmin = (
  admin: string,
  unitName: string,
  unitId: string,
  user: string,
  code: string,
  shot?: string,
) => approve(story, { admin, unitName, unitId, user, code, ...(shot ? { shot } : {}) });
const waitForKeys = (page: Page) => keysArrive(story, page);
const sql = (text: string, values: unknown[]) => query(story, text, values);
const scanDatabase = (marker: string) => scan(story, marker);

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
