import { describe, expect, it } from '@jest/globals';
import { linkedView } from './linked';

// police → coordinator (the original), forwarded as coordinator → frideborg and → novahuset
const original = {
  senderUnitId: 'police',
  recipientUnitId: 'coordinator',
  forwardedToIds: ['leg-frideborg', 'leg-novahuset'],
  forwardedFromId: null,
};
const leg = {
  senderUnitId: 'coordinator',
  recipientUnitId: 'frideborg',
  forwardedToIds: [],
  forwardedFromId: 'original',
};

describe('links between a forwarded referral and its legs, by who looks', () => {
  it('the coordinator who forwarded it lists the legs and links back from each leg', () => {
    expect(linkedView(original, ['coordinator'])).toEqual({ legs: 'list', from: 'none' });
    expect(linkedView(leg, ['coordinator'])).toEqual({ legs: 'none', from: 'link' });
  });

  it("the original's sender is told it was forwarded, and loads no leg it cannot open", () => {
    expect(linkedView(original, ['police'])).toEqual({ legs: 'count', from: 'none' });
  });

  it("a leg's recipient is told where it came from, with no link to the original it cannot open", () => {
    expect(linkedView(leg, ['frideborg'])).toEqual({ legs: 'none', from: 'text' });
  });

  it('a referral never forwarded has no links', () => {
    const plain = { ...original, forwardedToIds: [] };
    expect(linkedView(plain, ['police'])).toEqual({ legs: 'none', from: 'none' });
  });
});
