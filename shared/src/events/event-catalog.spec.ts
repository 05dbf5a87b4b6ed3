import path from 'node:path';
import { EventCatalog, EventValidationError } from './event-catalog';

const OPENAPI = path.resolve(__dirname, '../../../openapi');
const DOCS = ['directory', 'referrals', 'notifications'].map((s) =>
  path.join(OPENAPI, `${s}.events.yaml`),
);

describe('EventCatalog', () => {
  it('compiles every event schema of every service (they are compiled lazily at run time)', () => {
    const catalog = EventCatalog.fromFiles(...DOCS);
    expect(catalog.types().length).toBeGreaterThan(10);
    expect(() => catalog.compileAll()).not.toThrow();
  });

  it('validates on first use, and refuses an event that does not match its schema', () => {
    const catalog = EventCatalog.fromFiles(...DOCS);
    const type = 'samverkan.referrals.referral.sent';
    expect(catalog.has(type)).toBe(true);
    expect(() =>
      catalog.validate({
        id: '4f5c1e1e-8a53-4b6e-9c43-3c8a3a0b0e11',
        type,
        source: 'referrals',
        time: new Date().toISOString(),
        data: { referralId: 'not-a-uuid' },
      }),
    ).toThrow(EventValidationError);
    expect(() =>
      catalog.validate({ id: 'x', type: 'samverkan.nothing', source: 'x', time: 'x', data: {} }),
    ).toThrow(/no schema is registered/);
  });

  it('parses a document once for every catalog that reads it', () => {
    const a = EventCatalog.fromFiles(DOCS[0]!);
    const b = EventCatalog.fromFiles(DOCS[0]!);
    expect(a.types()).toEqual(b.types());
  });
});
