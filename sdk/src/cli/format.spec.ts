import {
  HubUnavailableError,
  KeyStoreError,
  SamverkanCryptoError,
  SamverkanProblemError,
  UnknownUnitError,
} from '../errors';
import {
  colors,
  describeError,
  EXIT,
  NotLoggedInError,
  relativeTime,
  renderError,
  table,
  UsageError,
  visibleLength,
  when,
} from './format';

const problem = (status: number, slug: string, extra: Record<string, unknown> = {}) =>
  new SamverkanProblemError({
    type: `urn:samverkan:problem:${slug}`,
    title: `Title of ${slug}`,
    status,
    code: slug.toUpperCase(),
    ...extra,
  });

describe('table', () => {
  it('pads columns to their widest cell and ignores colour codes when measuring', () => {
    const c = colors(true);
    const out = table(
      [
        { id: 'a', name: c.green('Frideborg') },
        { id: 'bbbb', name: 'Novahuset' },
      ],
      [
        { header: 'ID', value: (r) => r.id },
        { header: 'NAME', value: (r) => r.name },
      ],
      colors(false),
    );
    const lines = out.split('\n');
    expect(lines[0]).toBe('ID    NAME');
    expect(lines[1]).toBe('────  ─────────');
    expect(lines[2]).toBe(`a     ${c.green('Frideborg')}`);
    expect(lines[3]).toBe('bbbb  Novahuset');
    expect(visibleLength(c.red('abc'))).toBe(3);
  });

  it('says (none) for no rows', () => {
    expect(table([], [{ header: 'ID', value: () => '' }])).toBe('(none)');
  });
});

describe('describeError', () => {
  it('maps problems to exit codes by status, with the title, detail, field errors and a hint', () => {
    const invalid = describeError(
      problem(400, 'validation-error', {
        detail: 'The request is invalid',
        errors: [{ field: '/box', message: 'must be inbox or outbox' }],
      }),
    );
    expect(invalid.exitCode).toBe(EXIT.problem);
    expect(invalid.title).toBe('Title of validation-error');
    expect(invalid.detail).toBe('/box: must be inbox or outbox');
    expect(invalid.hint).toMatch(/Fix the fields/);
    expect(invalid.json).toMatchObject({ error: 'problem', status: 400, code: 'VALIDATION-ERROR' });

    expect(describeError(problem(401, 'unauthenticated')).exitCode).toBe(EXIT.auth);
    expect(describeError(problem(403, 'forbidden')).exitCode).toBe(EXIT.auth);
    expect(describeError(problem(409, 'referral-invalid-transition')).hint).toMatch(
      /referral show/,
    );
    expect(describeError(problem(503, 'service-unavailable')).exitCode).toBe(EXIT.unavailable);
  });

  it('maps local failures to their own exit codes', () => {
    expect(describeError(new HubUnavailableError('http://x', 'down')).exitCode).toBe(
      EXIT.unavailable,
    );
    expect(describeError(new SamverkanCryptoError('bad_signature', 'no')).exitCode).toBe(
      EXIT.crypto,
    );
    expect(describeError(new KeyStoreError('none')).exitCode).toBe(EXIT.keyStore);
    expect(describeError(new UsageError('pass --unit')).exitCode).toBe(EXIT.usage);
  });

  it('a referral document that fails its schema is a mistake in the file, not a cryptographic alarm', () => {
    const invalid = describeError(
      new SamverkanCryptoError('invalid_document', 'the referral document is invalid: …'),
    );
    expect(invalid.exitCode).toBe(EXIT.usage);
    expect(invalid.title).toBe('The referral document is not valid');
    expect(`${invalid.title} ${invalid.hint}`).not.toMatch(/Cryptographic|trust|fingerprint/);
    expect(invalid.json).toMatchObject({ error: 'crypto', code: 'invalid_document' });
  });

  it('a 404 of any kind says why an id may not be found, and a 409 does not repeat its title', () => {
    expect(describeError(problem(404, 'referral-not-found')).hint).toMatch(/your own units/);
    const conflict = describeError(problem(409, 'referral-invalid-transition'));
    expect(conflict.hint).not.toMatch(/not in a state/);
  });

  it('prints a validation error once: the field lines, not the detail that repeats them', () => {
    const text = renderError(
      describeError(
        problem(400, 'validation-error', {
          detail: 'querystring.units must match pattern "^[0-9a-f-]{36}$"',
          errors: [{ field: 'querystring.units', message: 'must match pattern "^[0-9a-f-]{36}$"' }],
        }),
      ),
      colors(false),
    );
    expect(text.match(/must match pattern/g)).toHaveLength(1);
  });

  it('says "log in" for a missing token and "no such unit" for an unknown unit, not a crypto alarm', () => {
    const anonymous = describeError(new NotLoggedInError());
    expect(anonymous).toMatchObject({ exitCode: EXIT.auth, title: 'Authentication is required' });
    expect(anonymous.hint).toMatch(/^samverkan login/);
    const unknown = describeError(new UnknownUnitError('31000000-0000-4000-8000-00000000dead'));
    expect(unknown).toMatchObject({ exitCode: EXIT.problem, title: 'No such unit' });
    expect(unknown.hint).toContain('samverkan units search');
    expect(unknown.json).toMatchObject({ error: 'unknown_unit' });
  });

  it('renders a problem for people: mark, title, indented detail, hint', () => {
    const text = renderError(
      describeError(problem(404, 'not-found', { detail: 'No such referral' })),
      colors(false),
    );
    expect(text).toBe(
      '✖ Title of not-found\n  No such referral\n→ Check the id; you only see objects of your own units.',
    );
  });
});

describe('times for people', () => {
  const now = new Date('2026-12-01T21:10:42Z');
  const en = { timeZone: 'Europe/Stockholm', locale: 'en' as const, now };
  const sv = { ...en, locale: 'sv' as const };

  it('shows Stockholm local time and how far away a deadline is', () => {
    // 15 minutes after a send at 22:10 local time (UTC+1 in December).
    expect(when('2026-12-01T21:25:42Z', en)).toBe('2026-12-01 22:25 (in 15 min)');
    expect(when('2026-12-01T21:25:42Z', sv)).toBe('2026-12-01 22:25 (om 15 min)');
    // Summer time: UTC+2.
    expect(when('2026-07-01T10:00:00Z', en, false)).toBe('2026-07-01 12:00');
  });

  it('says how long ago, in minutes, hours or days', () => {
    expect(relativeTime(new Date(now.getTime() - 3 * 3600_000), en)).toBe('3 h ago');
    expect(relativeTime(new Date(now.getTime() - 3 * 3600_000), sv)).toBe('för 3 tim sedan');
    expect(relativeTime(new Date(now.getTime() + 3 * 86_400_000), en)).toBe('in 3 d');
    expect(relativeTime(new Date(now.getTime() + 20_000), sv)).toBe('nu');
  });
});
