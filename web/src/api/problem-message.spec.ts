import { describe, expect, it } from '@jest/globals';
import { en } from '../i18n/en';
import { sv } from '../i18n/sv';
import { translator } from '../i18n/translate';
import { problemMessage } from './problem-message';

describe("the hub's refusals in the reader's language", () => {
  const t = translator('sv', sv);

  it('a colleague acted first: Swedish, saying what to do, not the API title in English', () => {
    const text = problemMessage(t, {
      type: 'urn:samverkan:problem:referral-transition-not-allowed',
      title: 'The referral is not in a state that allows this',
      status: 409,
    });
    expect(text).toBe(sv['problem.changedMeanwhile']);
    expect(text).not.toMatch(/referral|state/i);
    expect(
      problemMessage(translator('en', en), { type: 'urn:samverkan:problem:rate-limited' }),
    ).toBe(en['problem.rateLimited']);
  });

  it("a refusal with no words of its own keeps the hub's text", () => {
    expect(problemMessage(t, { type: 'urn:samverkan:problem:other', detail: 'x' })).toBe('x');
  });
});
