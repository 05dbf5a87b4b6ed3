/**
 * The web front door as people use it, in Debian's Chromium (playwright-core) against the
 * embedded hub (`npm start`'s entry): each person signs in through the development issuer's
 * OpenID provider (code flow + PKCE) in their own browser context — a police officer on a
 * desktop, two social workers on phones (390 × 844), a caseworker, an analyst, an auditor, an
 * organisation admin — and the test asserts what each of them sees. axe-core runs on every page
 * (no serious or critical violations), the pages must not break their Content-Security-Policy,
 * and screenshots of each step are kept in test-artifacts/web/.
 *
 * In the operation week every browser is a device (enrolled on first sign-in, approved by its
 * organisation admin in the web app with the code and the unit's recovery key): the officer's
 * browser seals the address for the units on call, the claimer's phone opens it. At the end a
 * marker typed into the forms is absent from every table of every schema (the embedded hub's
 * event outboxes included) and from the hub's logs. The caseworker's referral test still seals its
 * referrals with the SDK's crypto and the demo keys, as an agency system would.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { readDevKeyStore } from '@samverkan/directory/src/seed/dev-key-store';
import {
  DEMO_UNITS as U,
  referralMetadata,
  sealEnvelope,
  verifyKeysResponse,
} from '@samverkan/shared';
import { eventually } from '@samverkan/shared/src/testing';
import { http, tokens } from './helpers/processes';
import {
  DESKTOP,
  PHONE,
  approveAsAdmin as approve,
  artifacts,
  enrolWorker as enrol,
  newPage as open,
  scanDatabase as scan,
  signIn as login,
  startWebStory,
  step as check,
  stopWebStory,
  waitForKeys as keysArrive,
  type WebStory,
} from './helpers/web';

const MINUTE = 60_000;
/** typed into the browsers' forms; must never reach the hub in clear */
const MARKER = `MARK${Math.random().toString(36).slice(2, 10).toUpperCase()}`;

let story: WebStory;
let dataDir: string;
const hub = {
  get base() {
    return story.hub.base;
  },
  output: () => story.hub.output(),
};
/** the referral the caseworker works below; the auditor looks up its accesses */
let workedReferralId: string | undefined;

beforeAll(async () => {
  // the one refusal people are meant to see: a field request someone else claimed first
  // and the tally of a completed request, which is not there until it is recorded
  story = await startWebStory(
    'samverkan-web-',
    (res) =>
      (res.status() === 409 && /\/v1\/field-requests\/[^/]+\/claim$/.test(res.url())) ||
      (res.status() === 404 &&
        res.request().method() === 'GET' &&
        /\/v1\/field-requests\/[^/]+\/tally$/.test(res.url())),
  );
  dataDir = story.dataDir;
}, 400_000);

afterAll(async () => {
  await stopWebStory(story);
});

const newPage = (options: typeof PHONE | typeof DESKTOP, permissions: string[] = []) =>
  open(story, options, permissions);
const signIn = (page: Page, user: string) => login(story, page, user);
const step = (page: Page, name: string) => check(story, page, name);
const enrolWorker = (
  user: string,
  options: typeof PHONE | typeof DESKTOP,
  permissions: string[] = [],
) => enrol(story, user, options, permissions);
const approveAsAdmin = (
  admin: string,
  unitName: string,
  unitId: string,
  user: string,
  code: string,
) => approve(story, { admin, unitName, unitId, user, code });
const waitForKeys = (page: Page) => keysArrive(story, page);
const scanDatabase = (marker: string) => scan(story, marker);

/** `npm run token` once per user (each run starts a process). */
let token: ReturnType<typeof tokens> | undefined;
function as(user: string) {
  token ??= tokens(dataDir);
  return token(user).then((jwt) => http(hub.base, jwt));
}

async function unitKeys(units: string[]) {
  const store = readDevKeyStore(dataDir);
  const pinned = Object.fromEntries(
    Object.entries(store.roots).map(([org, rootKey]) => [org, [rootKey.kid]]),
  );
  const police = await as('police.officer');
  const res = await police.get(`/v1/keys?units=${units.join(',')}`);
  expect(res.status).toBe(200);
  return {
    store,
    keys: await verifyKeysResponse(res.body, {
      trustedRootFingerprints: pinned,
      requirePinnedRoots: true,
    }),
  };
}

test('sign-in page: Swedish by default, English on request, strict CSP, accessible', async () => {
  const page = await newPage(DESKTOP);
  const response = await page.goto(`${hub.base}/`);
  const csp = response!.headers()['content-security-policy']!;
  expect(csp).toContain("script-src 'self'");
  expect(csp).toContain("default-src 'none'");
  expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|https:\/\/(?!localhost)/);
  await page.getByRole('heading', { name: 'Logga in' }).waitFor();
  expect(await page.locator('html').getAttribute('lang')).toBe('sv');
  await step(page, '00-sign-in');
  await page.getByRole('button', { name: 'English' }).click();
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  expect(await page.locator('html').getAttribute('lang')).toBe('en');
  // The choice of language is a preference kept in the browser; nothing else is.
  await page.getByRole('button', { name: 'Svenska' }).click();

  // The provider's login page lists the seeded users by role.
  await page.getByRole('button', { name: /Logga in: Utvecklingsinloggning/ }).click();
  await page.waitForURL(/\/oidc\/interaction\//);
  await page.getByRole('heading', { name: 'Polis' }).waitFor();
  for (const role of ['Handläggare / socialsekreterare', 'Analytiker', 'Granskare']) {
    expect(await page.getByRole('heading', { name: role }).count()).toBe(1);
  }
  expect(await page.getByRole('button', { name: /frideborg\.caseworker/ }).innerText()).toContain(
    'Frideborg',
  );
  await step(page, '01-provider-login');

  // A sign-in page that is no longer current (the back button after signing in, an old tab)
  // leads back to the app, not to a problem+json page.
  await page.goto(`${hub.base}/oidc/interaction/no-longer-current`);
  await page.getByRole('button', { name: /Logga in: Utvecklingsinloggning/ }).waitFor();
  expect(new URL(page.url()).pathname).toBe('/');
});

test('the operation week: an officer on a desktop, two social workers on phones, one claims, the other is told it is taken', async () => {
  const police = await as('police.officer');
  const admin = await as('norrkoping.admin');
  const now = Date.now();
  const operation = await eventually(
    async () => {
      const res = await police.post('/v1/operations', {
        name: 'Insatsvecka Norrköping v. 49',
        municipalityCodes: ['0581'],
        startsAt: new Date(now - 5 * MINUTE).toISOString(),
        endsAt: new Date(now + 7 * 24 * 60 * MINUTE).toISOString(),
        organiserUnitId: U.policeTraffickingOst,
        coordinatorUnitId: U.coordinator,
        invitedUnitIds: [U.frideborg, U.socialjour],
      });
      return res.status === 201 ? res.body : undefined;
    },
    60_000,
    250,
  );
  const opId = operation.id as string;
  for (const unitId of [U.frideborg, U.socialjour]) {
    expect((await admin.post(`/v1/operations/${opId}/participants/${unitId}/accept`)).status).toBe(
      200,
    );
  }
  for (const [unitId, userId] of [
    [U.frideborg, 'frideborg.caseworker'],
    [U.socialjour, 'socialjour.caseworker'],
  ] as const) {
    await eventually(
      async () => {
        const res = await admin.post(`/v1/operations/${opId}/shifts`, {
          unitId,
          userId,
          startsAt: new Date(now - MINUTE).toISOString(),
          endsAt: operation.endsAt,
        });
        return res.status === 201 ? res : undefined;
      },
      60_000,
      250,
    );
  }
  expect((await police.post(`/v1/operations/${opId}/activate`)).body.status).toBe('active');

  // Everyone signs in, each in their own browser, which enrols itself as a device and shows its
  // code; each organisation's admin approves it in the web app with the unit's recovery key.
  const [officerDev, frideborgDev, socialjourDev] = await Promise.all([
    enrolWorker('police.officer', DESKTOP),
    enrolWorker('frideborg.caseworker', PHONE, ['notifications']),
    enrolWorker('socialjour.caseworker', PHONE),
  ]);
  await approveAsAdmin(
    'police.admin',
    'Människohandelsgruppen Region Öst',
    U.policeTraffickingOst,
    'police.officer',
    officerDev.code,
  );
  await approveAsAdmin(
    'norrkoping.admin',
    'Frideborg',
    U.frideborg,
    'frideborg.caseworker',
    frideborgDev.code,
  );
  await approveAsAdmin(
    'norrkoping.admin',
    'Socialjouren Norrköping',
    U.socialjour,
    'socialjour.caseworker',
    socialjourDev.code,
  );
  const [officer, frideborg, socialjour] = [officerDev.page, frideborgDev.page, socialjourDev.page];
  await Promise.all([officer, frideborg, socialjour].map(waitForKeys));

  await officer.goto(`${hub.base}/#/operations`);
  const opSection = officer.getByTestId('operation').filter({ hasText: operation.name });
  await opSection.waitFor();
  expect(await opSection.innerText()).toContain('Inga fältförfrågningar ännu.');
  expect(await opSection.innerText()).toContain('Pågår');
  const form = opSection.getByTestId('new-field-request');
  // The envelope goes to the operation's social services units on call, by name.
  const recipients = form.getByTestId('field-request-recipients');
  await recipients.getByText('Frideborg (Norrköpings kommun, Socialkontoret)').waitFor();
  await recipients
    .getByText('Socialjouren Norrköping (Norrköpings kommun, Socialkontoret)')
    .waitFor();
  await step(officer, '10-officer-operation');
  for (const phone of [frideborg, socialjour]) {
    await phone.goto(`${hub.base}/#/field-requests`);
    await phone.getByText('Inga öppna fältförfrågningar för dina enheter.').waitFor();
    await phone.locator('.stream-live').waitFor();
  }
  // Alerts as system notifications: turned on by the person (granted here), asked for on no load.
  await frideborg.getByTestId('notify-state').filter({ hasText: 'Aviseringar är på' }).waitFor();
  // Not granted: the page offers the button (or, where the browser blocks them, says how to allow).
  await socialjour
    .getByRole('button', { name: 'Slå på aviseringar för akuta förfrågningar' })
    .or(socialjour.getByText('Webbläsaren blockerar aviseringar'))
    .waitFor();
  expect(await socialjour.getByTestId('notify-state').count()).toBe(0);
  await step(frideborg, '11-phone-waiting');

  // During the raid the officer fills in the request on the desktop; the address and details
  // are sealed in the officer's browser for the units on call.
  const address = `Hotell Nattugglan rum 214, Norrköping ${MARKER}`;
  expect(await form.getByRole('radio', { name: 'Akut' }).isChecked()).toBe(true);
  await form.getByLabel('Behövs inom').selectOption('30');
  await form.getByLabel('Vuxna').fill('2');
  await form.getByRole('checkbox', { name: 'rumänska' }).check();
  // Each checkbox is drawn at its own size, centred on its text's line; the label around it is
  // the tap target (stretched to 44 px, the box sat above the text it belongs to).
  const [box, label] = await Promise.all([
    form.getByRole('checkbox', { name: 'rumänska' }).boundingBox(),
    form.locator('label.check', { hasText: 'rumänska' }).boundingBox(),
  ]);
  expect(box!.height).toBeLessThan(30);
  expect(label!.height).toBeGreaterThanOrEqual(44);
  expect(Math.abs(box!.y + box!.height / 2 - (label!.y + label!.height / 2))).toBeLessThan(4);
  await form.getByRole('checkbox', { name: 'Skyddat boende behövs troligen' }).check();
  await form.getByLabel('Adress', { exact: true }).fill(address);
  await form
    .getByLabel('Detaljer', { exact: true })
    .fill(`Fråga efter Lena i receptionen. ${MARKER}`);
  await step(officer, '10b-officer-field-request-form');
  await form.getByRole('button', { name: 'Skicka förfrågan' }).click();
  await form
    .getByText('Förfrågan är skickad, krypterad för 2 enheter i beredskap.')
    .waitFor({ timeout: 30_000 });
  const sent = opSection.getByTestId('field-request');
  await sent.waitFor({ timeout: 30_000 });
  expect(await sent.getByTestId('field-request-status').innerText()).toBe('Öppen');
  expect(await form.getByLabel('Adress', { exact: true }).inputValue()).toBe('');
  // What the hub keeps in clear: routing fields only.
  const requests = await police.get(`/v1/operations/${opId}/field-requests`);
  expect(requests.body.items).toHaveLength(1);
  expect(requests.body.items[0]).toMatchObject({
    urgency: 'acute',
    languages: ['ro'],
    estimatedPersons: { adults: 2, children: 0, unknown: 0 },
    participantUnitIds: [U.frideborg, U.socialjour].sort(),
    flags: { protectedHousingLikely: true },
  });

  // Both phones get the live alert and the request, without reloading.
  for (const phone of [frideborg, socialjour]) {
    await phone
      .getByTestId('live-alert')
      .filter({ hasText: 'Fältförfrågan: socialsekreterare behövs på plats' })
      .waitFor({ timeout: 30_000 });
    const card = phone.getByTestId('field-request');
    await card.getByRole('button', { name: 'Ta uppdraget' }).waitFor();
    // The requesting unit's name comes from the directory a moment after the card ("Laddar…").
    await card.getByText('Människohandelsgruppen Region Öst').waitFor();
    const text = await card.innerText();
    expect(text).toContain('Människohandelsgruppen Region Öst');
    expect(text).toContain('2 vuxna, 0 barn');
    expect(text).toMatch(/rumänska/i);
    expect(text).toContain('Skyddat boende behövs troligen');
    // Not claimed yet: no address on any phone.
    expect(text).not.toContain(MARKER);
  }
  await step(socialjour, '12-phone-alert');

  // Both tap at once, each twice in a hurry: exactly one gets it (and is not told, by their own
  // second tap, that someone else was first), the other is told at once that it is taken.
  await Promise.all(
    [frideborg, socialjour].map((p) =>
      p.getByTestId('field-request').getByRole('button', { name: 'Ta uppdraget' }).dblclick(),
    ),
  );
  const outcome = async (p: Page) => {
    const card = p.getByTestId('field-request');
    await card.getByRole('status').or(card.getByRole('alert')).first().waitFor();
    return card.innerText();
  };
  const [a, b] = await Promise.all([outcome(frideborg), outcome(socialjour)]);
  const winners = [a, b].filter((text) => text.includes('Du har tagit uppdraget.'));
  const losers = [a, b].filter((text) => text.includes('Någon annan tog uppdraget först.'));
  expect({ winners: winners.length, losers: losers.length }).toEqual({ winners: 1, losers: 1 });
  const [winner, loser, winnerUser] = a.includes('Du har tagit uppdraget.')
    ? [frideborg, socialjour, 'frideborg.caseworker']
    : [socialjour, frideborg, 'socialjour.caseworker'];
  await step(loser, '13-phone-taken');
  expect(await loser.getByRole('button', { name: 'Ta uppdraget' }).count()).toBe(0);
  expect(await loser.getByTestId('field-request').innerText()).not.toContain(MARKER);

  // The claimer's phone decrypts the address with the unit's key and verifies the officer's
  // signature and the hub's record against what was signed.
  const mine = winner.getByTestId('field-request');
  const opened = mine.getByTestId('field-address');
  await opened.getByText(address).waitFor({ timeout: 30_000 });
  expect(await opened.innerText()).toContain('Fråga efter Lena i receptionen.');
  await opened.getByText('Människohandelsgruppen Region Öst').waitFor();
  await step(winner, '14-phone-address');
  await mine.getByRole('button', { name: 'Jag är på väg' }).click();
  await mine.getByRole('button', { name: 'Jag är på plats' }).click();
  await mine.getByRole('button', { name: 'Avsluta uppdraget' }).waitFor();
  expect(await mine.getByTestId('field-request-status').innerText()).toBe('På plats');
  await step(winner, '14b-phone-on-site');

  // The officer reloads: still signed in (a silent sign-in, no token was stored) and sees who
  // claimed it and when they were on site.
  await officer.reload();
  await officer.getByTestId('signed-in-as').waitFor({ timeout: 30_000 });
  const request = officer.getByTestId('field-request');
  await request.getByTestId('on-site').waitFor({ timeout: 30_000 });
  expect(await request.getByTestId('claimed-by').innerText()).toContain(`Tagen av ${winnerUser}`);
  expect(await request.getByTestId('field-request-status').innerText()).toBe('På plats');
  expect(await request.getByTestId('on-site').innerText()).toMatch(/^På plats \d/);
  await step(officer, '15-officer-sees-on-site');
  // No token in any storage the page can read back.
  const stored = await officer.evaluate(() => {
    const g = globalThis as any;
    return JSON.stringify({ ...g.localStorage, ...g.sessionStorage });
  });
  expect(stored).not.toMatch(/eyJ/);

  // Done: the encounter tally, numbers only.
  await mine.getByRole('button', { name: 'Avsluta uppdraget' }).click();
  const tally = mine.getByTestId('tally-form');
  await tally.waitFor({ timeout: 30_000 });
  await step(winner, '16-phone-tally-form');
  expect(await tally.getByLabel('Antal').inputValue()).toBe('2');
  await tally.getByLabel('Erbjöds stöd').fill('2');
  await tally.getByLabel('Tackade ja till stöd').fill('1');
  await tally.getByLabel('Skyddat boende ordnat').fill('1');
  await tally.getByRole('button', { name: 'Spara siffrorna' }).click();
  await mine
    .getByTestId('tally-recorded')
    .filter({ hasText: '2 personer mötta, 2 erbjöds stöd, 1 tackade ja, 1 skyddat boende' })
    .waitFor({ timeout: 30_000 });
  const recorded = await police.get(`/v1/field-requests/${requests.body.items[0].id}/tally`);
  expect(recorded.body).toMatchObject({
    peopleMet: [{ gender: 'female', ageBand: 'adult', citizenshipGroup: 'eu', count: 2 }],
    supportOffered: 2,
    supportAccepted: 1,
    protectedHousingArranged: 1,
  });
  // Once the visit is done the address is no longer shown on the phone, and the time it was
  // needed by no longer counts down ("om 30 min") as if someone were still awaited.
  expect(await mine.getByTestId('field-address').count()).toBe(0);
  expect(await mine.innerText()).not.toMatch(/\((om|försenad) \d/);
  await step(winner, '17-phone-tally-recorded');

  // Nothing typed into the forms reached the hub in clear: not any table of any schema (the
  // embedded hub's event outboxes included), not its logs.
  expect(await scanDatabase(MARKER)).toEqual([]);
  expect(await scanDatabase('Insatsvecka Norrköping')).not.toEqual([]);
  expect(hub.output()).not.toContain(MARKER);
  expect(hub.output().length).toBeGreaterThan(0);
}, 900_000);

test('a caseworker works a referral from the inbox through the warm handover to closing', async () => {
  const { store, keys } = await unitKeys([U.policeTraffickingOst, U.frideborg]);
  const police = await as('police.officer');
  const send = async (urgency: 'acute' | 'routine') => {
    const id = randomUUID();
    const own = store.units[U.policeTraffickingOst]!;
    const body = {
      id,
      senderUnitId: U.policeTraffickingOst,
      recipientUnitId: U.frideborg,
      copyUnitIds: [],
      category: urgency === 'acute' ? 'trafficking_sexual' : 'sex_for_compensation',
      urgency,
      ageBand: 'adult',
      gender: 'female',
      citizenshipGroup: 'non_eu',
      municipalityCode: '0581',
      legalBasis: 'legal_duty',
    };
    const sealed = await sealEnvelope({
      meta: referralMetadata(body),
      document: {
        version: 1,
        person: { ageBand: 'adult' },
        situation: { summary: 'Mött under en insats i Norrköping' },
        requests: ['support_talks'],
        consent: { given: true },
        senderContact: { role: 'officer' },
      },
      sender: { signingKey: { kid: own.sig.kid, privateJwk: own.sig.privateJwk } },
      recipients: [{ unitId: U.frideborg, encryptionKeys: keys.get(U.frideborg)!.encryptionKeys }],
      senderEncryptionKeys: keys.get(U.policeTraffickingOst)!.encryptionKeys,
    });
    const res = await eventually(async () => {
      const r = await police.post('/v1/referrals', { ...body, envelope: sealed.jwe });
      return r.status === 201 ? r : undefined;
    });
    return res.body.id as string;
  };
  await send('routine');
  const acuteId = await send('acute');
  workedReferralId = acuteId;

  const caseworker = await newPage(DESKTOP);
  await signIn(caseworker, 'frideborg.caseworker');
  await caseworker.goto(`${hub.base}/#/inbox`);
  const cards = caseworker.getByTestId('referral');
  await cards.nth(1).waitFor();
  // Acute first, with its deadline counting down; the sender by name.
  await cards
    .first()
    .getByText('Människohandelsgruppen Region Öst (Polisen Region Öst)')
    .waitFor({ timeout: 30_000 });
  const first = await cards.first().innerText();
  expect(first).toContain('Akut');
  expect(first).toContain('Människohandel för sexuella ändamål');
  expect(first).toContain('Människohandelsgruppen Region Öst (Polisen Region Öst)');
  expect(first).toMatch(/om 1[0-5] min/);
  expect(await cards.nth(1).innerText()).toContain('Rutin');
  await caseworker.getByText('1 akut remiss väntar på kvittens').waitFor();
  await step(caseworker, '20-inbox');

  await cards.first().getByRole('button', { name: /Öppna/ }).click();
  await caseworker.waitForURL(new RegExp(`#/referral/${acuteId}`));
  await caseworker.getByTestId('no-unit-keys').waitFor();
  // Without the unit's keys this browser cannot read it: acknowledging or accepting ("we have
  // read it") is not offered; the page says what to do instead.
  await caseworker.getByTestId('keys-first').waitFor();
  await expect(
    caseworker.getByRole('button', { name: 'Kvittera', exact: true }).count(),
  ).resolves.toBe(0);
  await step(caseworker, '21-referral-no-keys');
  const status = caseworker.getByTestId('referral-status');
  // (a colleague acknowledges and accepts it on a browser that holds the keys)
  const colleague = await as('frideborg.caseworker');
  for (const action of ['acknowledge', 'accept']) {
    expect((await colleague.post(`/v1/referrals/${acuteId}/${action}`)).status).toBe(200);
  }
  await caseworker.reload();
  await status.filter({ hasText: 'Accepterad' }).waitFor({ timeout: 30_000 });
  await caseworker.getByRole('button', { name: 'Planera överlämning' }).click();
  await caseworker.getByLabel('Sätt').selectOption('in_person');
  await caseworker.getByRole('button', { name: 'Spara' }).click();
  await status.filter({ hasText: 'Överlämning planerad' }).waitFor();
  await caseworker.getByRole('button', { name: 'Bekräfta överlämning' }).click();
  await caseworker.getByText('Bekräftad av mottagaren').waitFor();
  await step(caseworker, '22-handover-planned');

  // The officer confirms the sending side from the outbox.
  const officer = await newPage(DESKTOP);
  await signIn(officer, 'police.officer');
  await officer.goto(`${hub.base}/#/referral/${acuteId}`);
  await officer.getByRole('button', { name: 'Bekräfta överlämning' }).click();
  await officer
    .getByTestId('referral-status')
    .filter({ hasText: 'Överlämning bekräftad' })
    .waitFor();
  await step(officer, '23-officer-confirms');

  await caseworker.reload();
  await caseworker.getByRole('button', { name: 'Avsluta' }).click();
  await caseworker.getByLabel('Utfall').selectOption('support_started');
  await caseworker.getByRole('button', { name: 'Avsluta' }).last().click();
  await status.filter({ hasText: 'Avslutad' }).waitFor({ timeout: 30_000 });
  const closed = await police.get(`/v1/referrals/${acuteId}`);
  expect(closed.body).toMatchObject({ status: 'closed', outcome: 'support_started' });
  await step(caseworker, '24-closed');
}, 300_000);

test('the analyst, the auditor and the organisation admin', async () => {
  const analyst = await newPage(DESKTOP);
  await signIn(analyst, 'lansstyrelsen.analyst');
  await analyst.goto(`${hub.base}/#/statistics`);
  const table = analyst.getByTestId('statistics');
  await table.waitFor({ timeout: 30_000 });
  expect(await table.innerText()).toContain('<5');
  const [download] = await Promise.all([
    analyst.waitForEvent('download'),
    analyst.getByRole('button', { name: 'Ladda ner CSV' }).click(),
  ]);
  const csv = fs.readFileSync((await download.path())!, 'utf8');
  expect(csv.split('\r\n')[0]).toBe('Månad,Kategori,Antal,Median till kvittens (min)');
  expect(csv).toContain('<5');
  // The same rows as bars; a count under 5 is a dashed bar labelled <5, never a number.
  const chart = analyst.getByTestId('chart').first();
  expect(await chart.locator('svg title').textContent()).toBe('Antal per Månad · Kategori');
  expect(await chart.locator('rect.chart-bar-small').count()).toBeGreaterThan(0);
  // The operation report, chosen by the operation's name (an analyst takes no part in it).
  const report = analyst.getByTestId('operation-report');
  await report.getByLabel('Insats').waitFor({ timeout: 30_000 });
  expect(await report.getByLabel('Insats').innerText()).toContain('Insatsvecka Norrköping v. 49');
  await report.getByTestId('report-encounters').waitFor({ timeout: 30_000 });
  // Two women met, from the tally on the phone: a small cell, shown as <5.
  expect(await report.getByTestId('report-encounters').innerText()).toMatch(
    /Personer ni mötte\s+<5/,
  );
  expect(await report.getByTestId('report-times').innerText()).toMatch(/Till tagen\s+1\s/);
  const [reportCsv] = await Promise.all([
    analyst.waitForEvent('download'),
    report.getByRole('button', { name: 'Ladda ner rapporten (CSV)' }).click(),
  ]);
  const reportText = fs.readFileSync((await reportCsv.path())!, 'utf8');
  expect(reportText.split('\r\n')[0]).toBe('section,key,value');
  await step(analyst, '30-statistics');

  // The county board's mapping report: referrals per municipality as bars and a table, the
  // operation weeks in the county, and the CSV and printable page as downloads.
  const mapping = analyst.getByTestId('mapping-report');
  await mapping.getByRole('combobox', { name: /^Län/ }).selectOption('05');
  await mapping.getByRole('button', { name: 'Visa rapporten' }).click();
  const mappingTable = mapping.getByTestId('mapping-table');
  await mappingTable.waitFor({ timeout: 30_000 });
  expect(await mappingTable.innerText()).toContain('Norrköping');
  expect(await mapping.locator('svg title').first().textContent()).toBe('Remisser per kommun');
  await mapping
    .getByTestId('mapping-operations')
    .getByText('Insatsvecka Norrköping v. 49')
    .waitFor({ timeout: 30_000 });
  const [mappingCsv] = await Promise.all([
    analyst.waitForEvent('download'),
    mapping.getByRole('button', { name: 'Ladda ner kartläggningen (CSV)' }).click(),
  ]);
  expect(fs.readFileSync((await mappingCsv.path())!, 'utf8')).toContain('Norrköping');
  const [printable] = await Promise.all([
    analyst.waitForEvent('download'),
    mapping.getByRole('button', { name: /Ladda ner utskriftsversionen/ }).click(),
  ]);
  const printableHtml = fs.readFileSync((await printable.path())!, 'utf8');
  expect(printableHtml).toMatch(/<svg/);
  expect(printableHtml).not.toMatch(/<script/);
  await step(analyst, '30b-mapping-report');

  const auditor = await newPage(DESKTOP);
  /** an audit action's code, as the log must not show it */
  const CODE = /\b(referral|field_request|operation|audit|unit|device|notification)\.[a-z_]+\b/;
  await signIn(auditor, 'norrkoping.auditor');
  await auditor.goto(`${hub.base}/#/audit`);
  await auditor.getByTestId('audit').waitFor({ timeout: 30_000 });
  // What Frideborg's caseworker did with the referral above is in Norrköping's audit trail.
  expect(await auditor.getByTestId('audit').innerText()).toContain('frideborg.caseworker');
  // Actions and objects in words ("Skicka ärende", "Ärende"), not codes (`referral.send`);
  // the labels load on first use, the object type's with the actions'.
  await auditor.getByTestId('audit').getByText('Ärende', { exact: true }).first().waitFor();
  expect(await auditor.getByTestId('audit').innerText()).not.toMatch(CODE);
  await auditor.getByRole('button', { name: 'Verifiera kedjan' }).click();
  await auditor
    .getByTestId('verification')
    .filter({ hasText: /Kedjan är hel: \d+ poster kontrollerade/ })
    .waitFor();
  // Wider, a table with its column headers (as screen readers announce them).
  await auditor.getByTestId('audit').getByRole('columnheader', { name: 'Vad' }).waitFor();
  await step(auditor, '31-audit');
  await auditor.setViewportSize(PHONE.viewport);
  // On a phone each entry is a card of label–value lines: nothing scrolls sideways, and no
  // device-key banner stands above a log that needs no unit keys.
  await auditor
    .getByTestId('audit')
    .locator('td[data-label="Vad"]')
    .first()
    .waitFor({ timeout: 10_000 });
  await expect(
    auditor.evaluate(() => {
      const doc = (globalThis as any).document;
      return doc.documentElement.scrollWidth - doc.documentElement.clientWidth;
    }),
  ).resolves.toBe(0);
  await expect(
    auditor
      .getByTestId('audit')
      .evaluate((table) => (globalThis as any).getComputedStyle(table).display),
  ).resolves.toBe('block');
  await expect(auditor.getByTestId('device-banner').count()).resolves.toBe(0);
  await step(auditor, '31-audit-phone');
  await auditor.setViewportSize(DESKTOP.viewport);
  // Every access to one referral: who opened or acted on it, when.
  const access = auditor.getByTestId('referral-access');
  // From an entry of the log, without typing the referral's id: its accesses below.
  await auditor
    .getByTestId('audit')
    .getByRole('button', { name: /^visa åtkomsten/ })
    .first()
    .click();
  await access.getByTestId('access-log').waitFor({ timeout: 30_000 });
  await expect(access.getByLabel('Ärendets id').inputValue()).resolves.toMatch(
    /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
  );
  await access.getByLabel('Ärendets id').fill(workedReferralId!);
  await access.getByRole('button', { name: 'Visa åtkomstloggen' }).click();
  const accessLog = access.getByTestId('access-log');
  await accessLog.waitFor({ timeout: 30_000 });
  const accessText = await accessLog.innerText();
  expect(accessText).toContain('frideborg.caseworker');
  expect(accessText).toContain('police.officer');
  expect(accessText).toMatch(/(Läsa|Öppna|Skicka|Kvittera|Acceptera|Vidarebefordra) /);
  expect(accessText).not.toMatch(CODE);
  await step(auditor, '31b-audit-referral-access');
  // A legal hold on the referral, placed and lifted by the auditor of a party organisation.
  const hold = access.getByTestId('legal-hold');
  await hold.getByTestId('hold-none').waitFor({ timeout: 30_000 });
  await hold.getByLabel('Skäl').selectOption('supervisory_inspection');
  await hold.getByRole('button', { name: 'Spärra mot gallring' }).click();
  await hold.getByText('Spärren är lagd').waitFor({ timeout: 30_000 });
  await hold
    .getByTestId('hold')
    .filter({ hasText: /^Norrköpings kommun[^:]*: Tillsyn\. Lagd av norrkoping\.auditor \d/ })
    .waitFor({ timeout: 30_000 });
  await step(auditor, '31c-audit-legal-hold');
  await hold.getByRole('button', { name: 'Häv spärren' }).click();
  await hold.getByText('Er spärr är hävd').waitFor({ timeout: 30_000 });
  await hold.getByTestId('hold-none').waitFor();

  // A log review: generated for the last month, each item judged, signed off, exported.
  const reviews = auditor.getByTestId('log-reviews');
  await reviews.getByLabel('Urvalets storlek').fill('5');
  await reviews.getByRole('button', { name: 'Skapa granskning' }).click();
  await reviews.getByText(/Granskningen är skapad: \d+ poster/).waitFor({ timeout: 30_000 });
  const review = reviews.getByTestId('log-review');
  const items = review.getByTestId('review-item');
  await items.first().waitFor({ timeout: 30_000 });
  const count = await items.count();
  expect(count).toBeGreaterThan(0);
  for (let i = 1; i <= count; i++) {
    if (i === 1) {
      // (a label around a select also names it with the options' text)
      await review
        .getByRole('combobox', { name: /^Bedömning av post 1(?!\d)/ })
        .selectOption('needs_follow_up');
      await review.getByLabel(`Er referens för post ${i} (valfri)`).fill('GR-2026/4');
    }
    await review
      .getByRole('button', { name: `Spara bedömningen av post ${i}`, exact: true })
      .click();
    await review.getByText(`Bedömningen av post ${i} är sparad.`).waitFor({ timeout: 30_000 });
  }
  await review
    .getByTestId('review-finding')
    .filter({ hasText: 'följs upp (norrkoping.auditor) (GR-2026/4)' })
    .waitFor();
  await step(auditor, '31d-log-review-judged');
  await review.getByLabel('Slutsats').selectOption('remarks');
  await review.getByRole('button', { name: 'Skriv under granskningen' }).click();
  await review.getByText('Granskningen är underskriven').first().waitFor({ timeout: 30_000 });
  await review.getByText(/Underskriven av norrkoping\.auditor .*: Med anmärkning\./).waitFor();
  const [reviewCsv] = await Promise.all([
    auditor.waitForEvent('download'),
    review.getByRole('button', { name: 'Ladda ner granskningen (CSV)' }).click(),
  ]);
  expect(fs.readFileSync((await reviewCsv.path())!, 'utf8')).toContain('GR-2026/4');
  const [reviewHtml] = await Promise.all([
    auditor.waitForEvent('download'),
    review.getByRole('button', { name: 'Ladda ner utskriftsversionen (HTML)' }).click(),
  ]);
  expect(fs.readFileSync((await reviewHtml.path())!, 'utf8')).toContain('<html');
  await step(auditor, '31e-log-review-signed-off');

  const admin = await newPage(PHONE);
  await signIn(admin, 'norrkoping.admin');
  await admin.goto(`${hub.base}/#/admin`);
  const frideborg = admin.getByTestId('unit-admin').filter({ hasText: 'Frideborg' });
  // (the members table, and the devices table once it has loaded, both name the caseworker)
  await frideborg
    .locator('td', { hasText: 'frideborg.caseworker' })
    .first()
    .waitFor({ timeout: 30_000 });
  // A double click adds one shift, not two.
  await frideborg.getByRole('button', { name: 'Lägg till pass' }).dblclick();
  await frideborg.getByText('Passet är inlagt.').waitFor();
  await frideborg.locator('li', { hasText: 'frideborg.caseworker:' }).first().waitFor();
  await expect(frideborg.locator('li', { hasText: 'frideborg.caseworker:' }).count()).resolves.toBe(
    1,
  );
  // The unit's published keys, with their status and fingerprints.
  const keysTable = frideborg.getByTestId('unit-keys');
  await keysTable.getByRole('cell', { name: 'Kryptering' }).first().waitFor({ timeout: 30_000 });
  expect(await keysTable.innerText()).toContain('Signering');
  expect(await keysTable.innerText()).toContain('aktiv');
  // A fresh hub: no browser holds Frideborg's keys, so the page says how to approve the first;
  // the organisation's root fingerprint to read out to other organisations.
  await admin.getByTestId('own-root').locator('code').first().waitFor();
  // A unit nobody is a member of yet (KAST) says so, and why no shift can be added there.
  const kast = admin.getByTestId('unit-admin').filter({ hasText: 'KAST Norrköping' });
  await kast.getByText('Inga medlemmar.').waitFor();
  await expect(kast.getByRole('button', { name: 'Lägg till pass' }).count()).resolves.toBe(0);
  await step(admin, '32-admin');

  // The hub admin is not left with only "Notiser": the first page lists the organisations, their
  // checked organisation numbers and root fingerprints, and says where they are registered.
  const hubAdmin = await newPage(PHONE);
  await signIn(hubAdmin, 'hub.admin');
  await hubAdmin.waitForURL(/#\/hub$/);
  const norrkoping = hubAdmin
    .getByTestId('hub-organisation')
    .filter({ hasText: 'Norrköpings kommun, Socialkontoret' });
  await norrkoping.waitFor({ timeout: 30_000 });
  expect(await norrkoping.innerText()).toMatch(
    /Socialtjänst[\s\S]*212000-0456[\s\S]*kontrollerat mot registret \d{1,2} \S+ \d{4} \d{2}:\d{2}/,
  );
  await norrkoping.locator('code.fingerprint').first().waitFor();
  // On the phone each cell is its label beside its value: the check of the number stands under
  // the number, not in the label's column.
  const numberCell = await norrkoping.locator('td').nth(1).boundingBox();
  const checked = await norrkoping.getByText(/kontrollerat mot registret/).boundingBox();
  expect(checked!.x).toBeGreaterThan(numberCell!.x + numberCell!.width * 0.3);
  // …and the label "Organisationsnummer" breaks only where Swedish breaks it ("Organisations-/
  // nummer"): the card's label column is as wide as the label's longest unbreakable piece.
  const label = await norrkoping
    .locator('td')
    .nth(1)
    .evaluate((td: any) => {
      const page = globalThis as any;
      const ctx = page.document.createElement('canvas').getContext('2d');
      ctx.font = page.getComputedStyle(td, '::before').font;
      const pieces: string[] = td.dataset.label.split(/[\s\u00ad]/);
      return {
        text: td.dataset.label.replace(/\u00ad/g, ''),
        column: parseFloat(page.getComputedStyle(td.parentElement).gridTemplateColumns),
        widest: Math.max(
          ...pieces.map((p, i) => ctx.measureText(i < pieces.length - 1 ? `${p}-` : p).width),
        ),
      };
    });
  expect(label.text).toBe('Organisationsnummer');
  expect(label.column).toBeGreaterThanOrEqual(label.widest - 1);
  await hubAdmin.getByRole('link', { name: 'API-dokumentationen' }).waitFor();
  await step(hubAdmin, '33-hub-admin-phone');
}, 300_000);

test('first load on a phone: size and time to interactive', async () => {
  const page = await newPage(PHONE);
  const started = Date.now();
  await page.goto(`${hub.base}/`);
  await page.getByRole('button', { name: /Logga in: Utvecklingsinloggning/ }).waitFor();
  const interactiveMs = Date.now() - started;
  // What went over the wire for the page and everything it loaded (compressed bodies).
  const transferred = await page.evaluate(() => {
    const perf = (globalThis as any).performance;
    return [...perf.getEntriesByType('navigation'), ...perf.getEntriesByType('resource')].reduce(
      (sum: number, e: { encodedBodySize: number }) => sum + e.encodedBodySize,
      0,
    );
  });
  const figures = { firstLoadBytesCompressed: transferred, timeToInteractiveMs: interactiveMs };
  fs.writeFileSync(
    path.join(artifacts, 'first-load.json'),
    `${JSON.stringify(figures, null, 2)}\n`,
  );
  // Figures are reported, not asserted (speed lives in bench/); the page must have loaded.
  expect(transferred).toBeGreaterThan(0);
});
