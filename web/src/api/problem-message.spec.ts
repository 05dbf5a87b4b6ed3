import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { en } from '../i18n/en';
import { sv } from '../i18n/sv';
import { translator } from '../i18n/translate';
import { hasOwnWords, problemMessage, refusalText } from './problem-message';

const t = translator('sv', sv);
const problem = (slug: string, title: string, status: number) => ({
  type: `urn:samverkan:problem:${slug}`,
  title,
  detail: `${title} (detail)`,
  status,
});

describe("the hub's refusals in the reader's language", () => {
  it('a colleague acted first: Swedish, saying what to do, not the API title in English', () => {
    const text = problemMessage(
      t,
      problem(
        'referral-transition-not-allowed',
        'The referral is not in a state that allows this',
        409,
      ),
    );
    expect(text).toBe(sv['problem.changedMeanwhile']);
    expect(text).not.toMatch(/referral|state/i);
    expect(
      problemMessage(translator('en', en), { type: 'urn:samverkan:problem:rate-limited' }),
    ).toBe(en['problem.rateLimited']);
  });

  it('the field requests and the log reviews: each refusal in Swedish words of its own', () => {
    expect(
      problemMessage(
        t,
        problem(
          'not-on-shift',
          'Only members on an operation shift now at a participating unit may claim',
          403,
        ),
      ),
    ).toBe(sv['problem.notOnShift']);
    expect(
      problemMessage(
        t,
        problem(
          'log-review-incomplete',
          'Every item needs a finding before the review can be signed off',
          409,
        ),
      ),
    ).toBe(sv['problem.reviewIncomplete']);
    expect(
      problemMessage(
        t,
        problem(
          'operation-has-no-social-services',
          'No social services unit has accepted taking part in this operation',
          409,
        ),
      ),
    ).toMatch(/socialtjänstenhet/);
  });

  it("a refusal with no words of its own is told by its status, never in the hub's English", () => {
    const odd = problem('something-new', 'Something new went wrong', 409);
    expect(problemMessage(t, odd)).toBe(sv['problem.conflict']);
    expect(problemMessage(t, { ...odd, status: 422 })).toBe(sv['problem.invalid']);
    expect(problemMessage(t, { ...odd, status: 418 })).toBe(
      'hubben tog inte emot begäran (kod 418). Försök igen om en stund.',
    );
    // no body at all (a proxy's page): the response's status
    expect(problemMessage(t, 'Bad Gateway', 502)).toBe(sv['problem.unavailable']);
  });

  it("a failed step: the hub's refusal in words, the browser's own message as it is", () => {
    const refused = Object.assign(new Error('No such log review'), {
      status: 404,
      problem: problem('log-review-not-found', 'No such log review', 404),
    });
    expect(refusalText(t, refused)).toBe(sv['problem.reviewNotFound']);
    expect(refusalText(t, new Error('Koden stämmer inte.'))).toBe('Koden stämmer inte.');
  });

  it('every refusal the referrals service defines (referrals, operations, field requests, records) has words of its own', () => {
    const root = path.resolve(__dirname, '../../..');
    const slugs = [
      'services/referrals/src/domain/errors.ts',
      'services/referrals/src/records/records.errors.ts',
    ].flatMap((file) =>
      [...readFileSync(path.join(root, file), 'utf8').matchAll(/slug: '([a-z0-9-]+)'/g)].map(
        (m) => m[1]!,
      ),
    );
    expect(slugs.length).toBeGreaterThan(60);
    expect(slugs.filter((s) => !hasOwnWords(s))).toEqual([]);
  });
});
