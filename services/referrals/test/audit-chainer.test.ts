/**
 * The audit chain off the request path (docs/audit.md, "Unchained entries and the chainer"):
 * requests write their entries unchained, without the chain's lock; a chainer links them into the
 * hash chain right after commit; `verify` reports how many wait; a chainer that dies loses
 * nothing and another one takes over; tampering is still found. The same suite runs against the
 * directory (audit.test.ts) and notifications (records.test.ts).
 */
import { describeAuditChainer } from '@samverkan/shared/src/testing';
import { buildHub, type TestHub } from './helpers/build';

let hub: TestHub;

beforeAll(async () => {
  hub = await buildHub();
});
afterAll(async () => {
  await hub?.close();
});

describeAuditChainer({
  service: 'referrals',
  refusedUser: 'police.officer',
  target: () => ({
    dataSource: hub.referrals.context.dataSource,
    audit: hub.referrals.context.audit,
    databaseUrl: hub.db.url,
    get: (user, url) => hub.as(user).get(url),
  }),
});
