/**
 * A form open on a referral survives the live updates that re-render the page (Debian's Chromium
 * through playwright-core, against the embedded hub as `npm start` runs it). The sender sends a
 * referral to Frideborg and writes in its thread with the SDK; Frideborg's caseworker, on a phone,
 * has the handover plan and the close form open with what she chose and typed when each message
 * arrives over the notification stream:
 *
 * - a message while nothing else changed: both forms stay open, as typed;
 * - the referral moved on by a colleague (handover planned): the forms go, as their actions no
 *   longer apply; once the handover is confirmed the close form is back as it was left;
 * - the close form, sent, closes the referral and is gone for good.
 */
import { readDevKeyStore } from '@samverkan/directory/src/seed/dev-key-store';
import { createAgency, createSamverkanClient, fromDevKeyStore } from '@samverkan/sdk/src';
import { DEMO_UNITS as U } from '@samverkan/shared';
import type { Page } from 'playwright-core';
import { http, tokens } from './helpers/processes';
import { PHONE, startWebStory, step, stopWebStory, type WebStory } from './helpers/web';
import { openReferral, sendSupportReferral, signedInPage } from './helpers/web-referral';

let story: WebStory;

beforeAll(async () => {
  story = await startWebStory('samverkan-webforms-', () => false);
}, 400_000);

afterAll(async () => {
  await stopWebStory(story);
});

test('open action forms keep what was chosen and typed through live updates', async () => {
  const base = story.hub.base;
  const token = tokens(story.dataDir);
  const police = createAgency({
    client: createSamverkanClient({ url: base, token: await token('police.officer') }),
    keys: fromDevKeyStore(readDevKeyStore(story.dataDir)),
    unitId: U.policeTraffickingOst,
  });
  const frideborgApi = http(base, await token('frideborg.caseworker'));
  const policeApi = http(base, await token('police.officer'));

  const sent = await sendSupportReferral(police, {
    recipientUnitId: U.frideborg,
    summary: 'Stödsamtal önskas efter insatsen.',
    senderRole: 'polis',
    scope: 'Delning med Frideborg',
  });
  const id = sent.id;
  for (const action of ['acknowledge', 'accept']) {
    expect((await frideborgApi.post(`/v1/referrals/${id}/${action}`)).status).toBe(200);
  }

  const page = await signedInPage(story, 'frideborg.caseworker', PHONE);
  await openReferral(story, page, id, { status: 'Accepterad' });
  const status = page.getByTestId('referral-status');

  // The handover plan and the close form, both open, chosen and typed into.
  await page.getByRole('button', { name: 'Planera överlämning' }).click();
  const handover = page.getByTestId('handover-form');
  await handover.getByLabel('Sätt').selectOption('video');
  await handover.getByLabel(/När/).fill('2026-12-24T10:30');
  await page.getByRole('button', { name: 'Avsluta', exact: true }).click();
  const close = page.getByTestId('choice-form');
  await close.getByLabel('Utfall').selectOption('unreachable');

  /** The sender writes in the thread; Frideborg's page hears of it and loads the referral again. */
  const liveUpdate = async (text: string) => {
    const reloaded = page.waitForResponse(
      (res) => res.url().endsWith(`/v1/referrals/${id}`) && res.request().method() === 'GET',
      { timeout: 60_000 },
    );
    await police.postMessage(id, text);
    await page
      .getByTestId('live-alert')
      .filter({ hasText: 'Ny notis: Nytt meddelande i ett ärende' })
      .waitFor({ timeout: 60_000 });
    await reloaded;
    // the response rendered
    await page.waitForTimeout(300);
  };
  const expectOpenAsTyped = async (p: Page) => {
    await expect(p.getByTestId('handover-form').getByLabel('Sätt').inputValue()).resolves.toBe(
      'video',
    );
    await expect(p.getByTestId('handover-form').getByLabel(/När/).inputValue()).resolves.toBe(
      '2026-12-24T10:30',
    );
    await expect(p.getByTestId('choice-form').getByLabel('Utfall').inputValue()).resolves.toBe(
      'unreachable',
    );
  };

  await liveUpdate('Hör av er när ni har en tid.');
  await expectOpenAsTyped(page);
  await step(story, page, '60-forms-after-live-update');

  // A colleague plans the handover meanwhile: the next update shows it, and neither form applies.
  expect(
    (
      await frideborgApi.post(`/v1/referrals/${id}/handover`, {
        mode: 'phone',
        plannedFor: new Date(Date.now() + 86_400_000).toISOString(),
      })
    ).status,
  ).toBe(200);
  await liveUpdate('Vi ser att ni har planerat överlämningen.');
  await status.filter({ hasText: 'Överlämning planerad' }).waitFor({ timeout: 30_000 });
  await expect(page.getByTestId('choice-form').count()).resolves.toBe(0);
  await expect(page.getByTestId('handover-form').count()).resolves.toBe(0);

  // Both sides confirm it: closing applies again, and the close form is back as it was left.
  expect(
    (await policeApi.post(`/v1/referrals/${id}/confirm-handover`, { side: 'sender' })).status,
  ).toBe(200);
  expect(
    (await frideborgApi.post(`/v1/referrals/${id}/confirm-handover`, { side: 'recipient' })).status,
  ).toBe(200);
  await liveUpdate('Tack, då är överlämningen klar.');
  await status.filter({ hasText: 'Överlämning bekräftad' }).waitFor({ timeout: 30_000 });
  await expect(close.getByLabel('Utfall').inputValue()).resolves.toBe('unreachable');

  // Sent, it closes the referral, and the form is gone for good.
  await close.getByRole('button', { name: 'Avsluta' }).click();
  await status.filter({ hasText: 'Avslutad' }).waitFor({ timeout: 30_000 });
  await expect(page.getByTestId('choice-form').count()).resolves.toBe(0);
  await step(story, page, '61-closed-after-live-updates');
}, 400_000);
