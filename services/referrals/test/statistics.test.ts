/**
 * Aggregate referral statistics (docs/architecture.md#statistics) through the API on a real Postgres: counts by the
 * dimensions an analyst asks for, the median time to acknowledgement, and small cells suppressed
 * so that nobody can be singled out.
 */
import { DEMO_UNITS as U } from '@samverkan/shared';
import { agencyClient, referralDocument } from './helpers/agency-client';
import { buildHub, type TestHub } from './helpers/build';
import { cellKeyOf, perturbCount } from '../src/domain/cell-key';
import { recordKeySql, statisticsSecret } from '../src/services/statistics.service';

let hub: TestHub;
const problem = (slug: string) => `urn:samverkan:problem:${slug}`;
const stockholmDay = (d: Date) =>
  new Intl.DateTimeFormat('sv-SE', {
    timeZone: 'Europe/Stockholm',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(d);

/** Six trafficking referrals, all acknowledged, and two about sex for compensation, one closed. */
beforeAll(async () => {
  hub = await buildHub();
  const police = agencyClient(hub, 'police.officer', U.policeTraffickingOst);
  const send = async (meta: Record<string, string>) => {
    const body = await police.referral(
      { recipientUnitId: U.coordinator },
      referralDocument('stats'),
      meta,
    );
    const res = await hub.as('police.officer').post('/v1/referrals', body);
    expect(res.statusCode).toBe(201);
    return body.id;
  };
  for (let i = 0; i < 6; i++) {
    const id = await send({ category: 'trafficking_sexual' });
    const ack = await hub.as('coordinator.ostergotland').post(`/v1/referrals/${id}/acknowledge`);
    expect(ack.statusCode).toBe(200);
  }
  for (let i = 0; i < 2; i++) {
    const id = await send({ category: 'sex_for_compensation', gender: 'male' });
    if (i === 0) {
      await hub.as('coordinator.ostergotland').post(`/v1/referrals/${id}/accept`);
      const closed = await hub
        .as('coordinator.ostergotland')
        .post(`/v1/referrals/${id}/close`, { outcome: 'unreachable' });
      expect(closed.json().status).toBe('closed');
    }
  }
});
afterAll(async () => {
  await hub?.close();
});

/**
 * What the cell key method publishes for the referrals matching `where`: computed here from the
 * rows themselves (the record keys of docs and openapi), independently of the service's query.
 */
async function expected(where: string): Promise<number | string> {
  const [row] = (await hub.referrals.context.dataSource.query(
    `SELECT count(*)::int AS n, coalesce(sum(${recordKeySql('r', '$1')}), 0)::text AS keysum
       FROM referrals.referrals r WHERE ${where}`,
    [statisticsSecret(hub.referrals.context)],
  )) as Array<{ n: number; keysum: string }>;
  return perturbCount(row!.n, cellKeyOf(BigInt(row!.keysum)));
}

describe('GET /v1/statistics/referrals', () => {
  it('publishes every count perturbed by its cell key, and nothing under 5 as a number', async () => {
    // Acknowledged after 10, 20, …, 60 minutes: the median is 35.
    await hub.referrals.context.dataSource.query(
      `UPDATE referrals.referrals r SET acknowledged_at = r.created_at + interval '10 minutes' * o.n
         FROM (SELECT id, row_number() OVER (ORDER BY created_at, id) AS n
                 FROM referrals.referrals WHERE category = 'trafficking_sexual') o
        WHERE r.id = o.id`,
    );
    const res = await hub
      .as('lansstyrelsen.analyst')
      .get('/v1/statistics/referrals?groupBy=category');
    expect(res.statusCode).toBe(200);
    const body = res.json();
    const trafficking = await expected(`category = 'trafficking_sexual'`);
    expect(body).toEqual({
      groupBy: ['category'],
      suppressedBelow: 5,
      disclosureControl: expect.objectContaining({ method: 'cell_key', maxDeviation: 2 }),
      rows: [
        {
          key: { category: 'sex_for_compensation' },
          count: '<5',
          medianMinutesToAcknowledge: null,
        },
        {
          key: { category: 'trafficking_sexual' },
          count: trafficking,
          medianMinutesToAcknowledge: typeof trafficking === 'number' ? 35 : null,
        },
      ],
    });
    // 6 referrals: published within ±2, and never as a number under 5.
    expect(['<5', 5, 6, 7, 8]).toContain(trafficking);
    expect(body.disclosureControl.perturbationTable).toHaveLength(5);
  });

  it('groups by month in Swedish time by default, and by several dimensions on request', async () => {
    const month = stockholmDay(new Date()).slice(0, 7);
    const byMonth = await hub.as('coordinator.ostergotland').get('/v1/statistics/referrals');
    expect(byMonth.statusCode).toBe(200);
    const all = await expected('true');
    expect(byMonth.json()).toMatchObject({
      groupBy: ['month'],
      // Acknowledged after about 0 (the accepted one), 10, 20, …, 60 minutes: the median is 30.
      rows: [{ key: { month }, count: all, medianMinutesToAcknowledge: 30 }],
    });
    expect(typeof all === 'number' && Math.abs(all - 8) <= 2).toBe(true);

    const fine = await hub
      .as('lansstyrelsen.analyst')
      .get(
        '/v1/statistics/referrals?groupBy=month&groupBy=outcome&groupBy=gender&municipality=0581',
      );
    expect(fine.statusCode).toBe(200);
    expect(fine.json()).toMatchObject({
      groupBy: ['month', 'outcome', 'gender'],
      rows: [
        {
          key: { month, outcome: 'none', gender: 'female' },
          count: await expected(`outcome IS NULL AND gender = 'female'`),
        },
        { key: { month, outcome: 'none', gender: 'male' }, count: '<5' },
        { key: { month, outcome: 'unreachable', gender: 'male' }, count: '<5' },
      ],
    });
  });

  it('filters by municipality and by the days from and to, both included', async () => {
    const analyst = hub.as('lansstyrelsen.analyst');
    const elsewhere = await analyst.get('/v1/statistics/referrals?municipality=1480');
    expect(elsewhere.json().rows).toEqual([]);

    const today = stockholmDay(new Date());
    const onlyToday = await analyst.get(
      `/v1/statistics/referrals?groupBy=category&from=${today}&to=${today}`,
    );
    expect(onlyToday.json().rows.map((r: { count: unknown }) => r.count)).toEqual([
      '<5',
      await expected(`category = 'trafficking_sexual'`),
    ]);

    const lastYear = await analyst.get(
      '/v1/statistics/referrals?groupBy=category&from=2020-01-01&to=2020-12-31',
    );
    expect(lastYear.statusCode).toBe(200);
    expect(lastYear.json().rows).toEqual([]);
  });

  it('refuses a period that ends before it starts, a day that does not exist and an unknown dimension', async () => {
    const analyst = hub.as('lansstyrelsen.analyst');
    for (const query of [
      'from=2025-03-01&to=2025-02-01',
      'from=2025-02-30',
      'groupBy=person',
      'municipality=581',
    ]) {
      const res = await analyst.get(`/v1/statistics/referrals?${query}`);
      expect({ query, status: res.statusCode, type: res.json().type }).toEqual({
        query,
        status: 400,
        type: problem('validation-error'),
      });
    }
  });

  it('answers 403 to a caseworker, an officer and an auditor, and audits the refusals', async () => {
    for (const user of ['frideborg.caseworker', 'police.officer', 'norrkoping.auditor'] as const) {
      const res = await hub.as(user).get('/v1/statistics/referrals?groupBy=category');
      expect(res.statusCode).toBe(403);
      expect(res.json().type).toBe(problem('forbidden'));
    }
    const audit = await hub
      .as('hub.admin')
      .get('/v1/audit/referrals?action=statistics.referrals_read&limit=500');
    const entries = audit.json().items as Array<{ actorSub: string; outcome: string }>;
    expect(entries.filter((e) => e.outcome === 'denied').map((e) => e.actorSub)).toEqual(
      expect.arrayContaining(['frideborg.caseworker', 'police.officer', 'norrkoping.auditor']),
    );
    expect(entries.filter((e) => e.outcome === 'allowed').map((e) => e.actorSub)).toEqual(
      expect.arrayContaining(['lansstyrelsen.analyst', 'coordinator.ostergotland']),
    );
  });
});
