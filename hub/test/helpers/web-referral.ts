/**
 * The referral steps the browser stories share (hub/test/web*.browser.test.ts): a referral sent
 * with the SDK as another agency's system would (support talks for an adult woman, under
 * consent), a person signing in to a browser of their own, and a referral opened in it.
 */
import type { Agency } from '@samverkan/sdk/src';
import { eventually } from '@samverkan/shared/src/testing';
import type { Page } from 'playwright-core';
import { DESKTOP, PHONE, newPage, signIn, type WebStory } from './web';

/**
 * Sends a referral for support talks to `recipientUnitId` with the SDK, retried until the
 * referrals service knows the sender's unit and keys (it learns them from the directory's events).
 */
export async function sendSupportReferral(
  sender: Agency,
  input: { recipientUnitId: string; summary: string; senderRole: string; scope: string },
): Promise<{ id: string }> {
  return eventually(
    () =>
      sender
        .sendReferral({
          recipientUnitId: input.recipientUnitId,
          document: {
            version: 1,
            person: { ageBand: 'adult', gender: 'female', languages: ['sv'] },
            situation: { summary: input.summary },
            requests: ['support_talks'],
            consent: { given: true, scope: input.scope },
            senderContact: { role: input.senderRole },
          },
          meta: {
            category: 'trafficking_sexual',
            urgency: 'routine',
            ageBand: 'adult',
            gender: 'female',
            citizenshipGroup: 'eu',
            municipalityCode: '0581',
            legalBasis: 'consent',
          },
        })
        .catch(() => undefined),
    60_000,
    500,
  );
}

/** A person's own browser (a new context), signed in through the development OpenID provider. */
export async function signedInPage(
  story: WebStory,
  user: string,
  options: typeof PHONE | typeof DESKTOP = DESKTOP,
): Promise<Page> {
  const page = await newPage(story, options);
  await signIn(story, page, user);
  return page;
}

/**
 * Opens a referral in the page and waits until it shows: its decrypted summary containing
 * `summary`, or (without it) its status containing `status`.
 */
export async function openReferral(
  story: WebStory,
  page: Page,
  id: string,
  shown: { summary: string } | { status: string },
): Promise<void> {
  await page.goto(`${story.hub.base}/#/referral/${id}`);
  if ('summary' in shown) {
    await page
      .getByTestId('document-summary')
      .filter({ hasText: shown.summary })
      .waitFor({ timeout: 60_000 });
  } else {
    await page
      .getByTestId('referral-status')
      .filter({ hasText: shown.status })
      .waitFor({ timeout: 30_000 });
  }
}
