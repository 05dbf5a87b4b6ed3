import {
  HubUnavailableError,
  KeyStoreError,
  SamverkanCryptoError,
  SamverkanProblemError,
} from '../errors';
import {
  colors,
  describeError,
  EXIT,
  renderError,
  table,
  UsageError,
  visibleLength,
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
    expect(invalid.detail).toContain('/box: must be inbox or outbox');
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
