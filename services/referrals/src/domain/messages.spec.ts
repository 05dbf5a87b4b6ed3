import { ProblemError, type Principal, type Role } from '@samverkan/shared';
import { assertMayPost, assertThreadOpen, messageAddressees, threadRevokedFor } from './messages';

const referral = { senderUnitId: 'sender', recipientUnitId: 'recipient', copyUnitIds: ['copy'] };
const who = (roles: Role[]): Principal => ({
  sub: 'someone',
  iss: 'https://issuer.example',
  org: 'org',
  units: [],
  roles,
  hubAdmin: false,
});

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof ProblemError ? err.definition.code : 'not a problem';
  }
  return undefined;
}

describe('messageAddressees', () => {
  it('is every other unit of the referral, copy units included', () => {
    expect(messageAddressees(referral, 'sender').sort()).toEqual(['copy', 'recipient']);
    expect(messageAddressees(referral, 'recipient').sort()).toEqual(['copy', 'sender']);
  });
});

describe('assertMayPost', () => {
  it('lets the sending and the receiving unit post', () => {
    expect(codeOf(() => assertMayPost(who(['caseworker']), referral, ['sender'], 'sender'))).toBe(
      undefined,
    );
    expect(
      codeOf(() => assertMayPost(who(['caseworker']), referral, ['recipient'], 'recipient')),
    ).toBe(undefined);
  });

  it('refuses a unit the caller does not act for, then a copy unit, then a role that only reads', () => {
    const notMine = codeOf(() => assertMayPost(who(['caseworker']), referral, ['copy'], 'sender'));
    const copy = codeOf(() => assertMayPost(who(['caseworker']), referral, ['copy'], 'copy'));
    const role = codeOf(() => assertMayPost(who(['analyst']), referral, ['sender'], 'sender'));
    expect([notMine, copy, role].every((c) => c !== undefined && c !== 'not a problem')).toBe(true);
    expect(new Set([notMine, copy, role]).size).toBe(3);
  });
});

describe('the thread by status', () => {
  it.each(['withdrawn', 'declined', 'forwarded'])('takes no new message once %s', (status) => {
    expect(codeOf(() => assertThreadOpen(status))).toBe('REFERRALS_REFERRAL_NOT_OPEN');
  });

  it.each(['sent', 'acknowledged', 'accepted', 'closed'])('takes messages while %s', (status) => {
    expect(codeOf(() => assertThreadOpen(status))).toBe(undefined);
  });

  it('is closed to recipient and copy units once declined or withdrawn, never to the sender', () => {
    expect(threadRevokedFor('recipient', 'declined')).toBe(true);
    expect(threadRevokedFor('copy', 'withdrawn')).toBe(true);
    expect(threadRevokedFor('sender', 'withdrawn')).toBe(false);
    expect(threadRevokedFor('recipient', 'accepted')).toBe(false);
  });
});
