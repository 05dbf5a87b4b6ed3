/**
 * The county mapping report (GET /v1/statistics/mapping-report) and the differencing attack of
 * issue 16 repeated across the report, the statistics endpoint and the operation report: every
 * count goes through the cell key method with the same record keys, so the same cell has the same
 * value wherever it is asked for, and no cell under 5 can be worked out by subtracting answers.
 */
import { DEMO_UNITS as U } from '@samverkan/shared';
import { agencyClient, referralDocument } from './helpers/agency-client';
import { buildHub, type TestHub } from './helpers/build';
import { activeOperation, fieldRequestBody, ok, putOnShift } from './helpers/operations';

let hub: TestHub;
type Published = number | string;
interface Cell {
  key: string;
  count: Published;
}
const DEVIATION = 2;
const THRESHOLD = 5;

/** The true counts a published value allows; `zeroPossible` where an empty cell shows `<5` too. */
function range(published: Published | undefined, zeroPossible = false): [number, number] {
  if (published === undefined) {
    return [0, 0];
  }
  if (typeof published === 'number') {
    return [Math.max(THRESHOLD, published - DEVIATION), published + DEVIATION];
  }
  expect(published).toBe('<5');
  return [zeroPossible ? 0 : 1, THRESHOLD - 1 + DEVIATION];
}
const cell = (cells: Cell[], key: string) => cells.find((c) => c.key === key)?.count;

const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Stockholm' }).format(new Date());
const period = `from=${today.slice(0, 4)}-01-01&to=${today}`;
let operationId: string;

beforeAll(async () => {
  hub = await buildHub();
  const police = agencyClient(hub, 'police.officer', U.policeTraffickingOst);
  const send = async (meta: Record<string, string>) => {
    const body = await police.referral(
      { recipientUnitId: U.coordinator },
      referralDocument('map'),
      meta,
    );
    expect((await hub.as('police.officer').post('/v1/referrals', body)).statusCode).toBe(201);
  };
  for (let i = 0; i < 12; i += 1) {
    await send({ gender: 'female', municipalityCode: '0581' });
  }
  for (let i = 0; i < 6; i += 1) {
    await send({ gender: 'male', municipalityCode: '0581' });
  }
  await send({ gender: 'female', municipalityCode: '0580' }); // Linköping: one
  await send({ gender: 'female', municipalityCode: '2480', citizenshipGroup: 'unknown' }); // Umeå: one

  // An operation week in Norrköping: one field request, met 6 women and 2 men, 3 buyers.
  const op = await activeOperation(hub);
  operationId = op.id;
  await putOnShift(hub, op, U.frideborg, 'frideborg.caseworker', 'frideborg.caseworker');
  const request = ok(
    await hub
      .as('police.officer')
      .post(`/v1/operations/${op.id}/field-requests`, await fieldRequestBody(hub, op.id)),
    201,
  );
  const frideborg = hub.as('frideborg.caseworker');
  for (const step of ['claim', 'en-route', 'on-site', 'complete']) {
    ok(await frideborg.post(`/v1/field-requests/${request.id}/${step}`));
  }
  ok(
    await frideborg.post(`/v1/field-requests/${request.id}/tally`, {
      peopleMet: [
        { gender: 'female', ageBand: 'adult', citizenshipGroup: 'eu', count: 6 },
        { gender: 'male', ageBand: 'adult', citizenshipGroup: 'eu', count: 2 },
      ],
      supportOffered: 6,
      supportAccepted: 5,
      protectedHousingArranged: 1,
      buyersMet: 3,
      buyersOfferedClinic: 3,
      referralIds: [],
    }),
    201,
  );
});
afterAll(async () => {
  await hub?.close();
});

async function report(
  query = `county=05&${period}`,
  user: 'lansstyrelsen.analyst' = 'lansstyrelsen.analyst',
) {
  const res = await hub.as(user).get(`/v1/statistics/mapping-report?${query}`);
  expect(res.statusCode).toBe(200);
  return res.json() as {
    county: { code: string; name: string };
    municipalities: Array<{
      code: string;
      name: string;
      referrals: Published;
      byGender: Cell[];
      byCitizenshipGroup: Cell[];
    }>;
    operations: Array<{
      operationId: string;
      fieldRequests: number;
      encounters: Record<string, unknown>;
    }>;
    operationTotals: {
      encounters: { peopleMet: Published; byGender: Cell[] } & Record<string, unknown>;
    };
  };
}

async function statistics(query: string) {
  const res = await hub
    .as('lansstyrelsen.analyst')
    .get(`/v1/statistics/referrals?${query}&${period}`);
  expect(res.statusCode).toBe(200);
  return res.json() as { rows: Array<{ key: Record<string, string>; count: Published }> };
}
const statCell = (
  answer: { rows: Array<{ key: Record<string, string>; count: Published }> },
  key: Record<string, string>,
) => answer.rows.find((r) => Object.entries(key).every(([k, v]) => r.key[k] === v))?.count;

describe('the report', () => {
  it("lists every municipality of the county with its referrals by gender, and the county's operations", async () => {
    const r = await report();
    expect(r.county).toEqual({ code: '05', name: 'Östergötland' });
    const codes = r.municipalities.map((m) => m.code);
    expect(codes).toEqual(expect.arrayContaining(['0580', '0581']));
    expect(codes).not.toContain('2480');
    const norrkoping = r.municipalities.find((m) => m.code === '0581')!;
    expect(norrkoping.name).toBe('Norrköping');
    const [low, high] = range(norrkoping.referrals);
    expect(low <= 18 && 18 <= high).toBe(true);
    expect(r.municipalities.find((m) => m.code === '0580')!.referrals).toBe('<5');
    expect(r.operations.map((o) => o.operationId)).toEqual([operationId]);
    expect(r.operations[0]!.fieldRequests).toBe(1);
  });

  it('gives a cell the same value as the statistics endpoint gives the same cell', async () => {
    const r = await report();
    const norrkoping = r.municipalities.find((m) => m.code === '0581')!;
    const byGender = await statistics('groupBy=gender&municipality=0581');
    expect(cell(norrkoping.byGender, 'female')).toBe(statCell(byGender, { gender: 'female' }));
    expect(cell(norrkoping.byGender, 'male')).toBe(statCell(byGender, { gender: 'male' }));
    const byMunicipality = await statistics('groupBy=municipality');
    expect(norrkoping.referrals).toBe(statCell(byMunicipality, { municipality: '0581' }));
  });

  it("gives an operation's people the same values as the operation report", async () => {
    const r = await report();
    const opReport = ok(
      await hub.as('lansstyrelsen.analyst').get(`/v1/operations/${operationId}/report`),
    );
    expect(r.operations[0]!.encounters).toEqual(opReport.encounters);
    // One operation: the county's totals are the same people, so the same cells.
    expect(r.operationTotals.encounters).toEqual(opReport.encounters);
    expect(opReport.disclosureControl).toBe('cell_key');
  });
});

describe('differencing across the report and the statistics', () => {
  it('cannot work out the one referral from Umeå: all women minus the county report', async () => {
    const all = await statistics('groupBy=gender');
    const r = await report();
    const [allMin, allMax] = range(statCell(all, { gender: 'female' }));
    let sumMin = 0;
    let sumMax = 0;
    for (const m of r.municipalities) {
      const [lo, hi] = range(cell(m.byGender, 'female'));
      sumMin += lo;
      sumMax += hi;
    }
    const low = Math.max(0, allMin - sumMax);
    const high = allMax - sumMin;
    expect(low <= 1 && 1 <= high).toBe(true); // the truth is in the range…
    expect(high - low).toBeGreaterThanOrEqual(2); // …and not pinned down
  });

  it("cannot work out Linköping's one referral: all women minus Norrköping's minus Umeå's", async () => {
    const all = await statistics('groupBy=gender');
    const r = await report();
    const umea = await statistics('groupBy=gender&municipality=2480');
    const [allMin, allMax] = range(statCell(all, { gender: 'female' }));
    const [nMin, nMax] = range(
      cell(r.municipalities.find((m) => m.code === '0581')!.byGender, 'female'),
    );
    const [uMin, uMax] = range(statCell(umea, { gender: 'female' }));
    const low = Math.max(0, allMin - nMax - uMax);
    const high = allMax - nMin - uMin;
    expect(low <= 1 && 1 <= high).toBe(true);
    expect(high - low).toBeGreaterThanOrEqual(2);
  });

  it('cannot work out the two men met: people met minus women met, in either report', async () => {
    const r = await report();
    const opReport = ok(
      await hub.as('lansstyrelsen.analyst').get(`/v1/operations/${operationId}/report`),
    );
    for (const e of [r.operationTotals.encounters, opReport.encounters] as Array<{
      peopleMet: Published;
      byGender: Cell[];
    }>) {
      const [tMin, tMax] = range(e.peopleMet);
      const [fMin, fMax] = range(cell(e.byGender, 'female'));
      const low = Math.max(0, tMin - fMax);
      const high = tMax - fMin;
      expect(low <= 2 && 2 <= high).toBe(true);
      expect(high - low).toBeGreaterThanOrEqual(2);
      expect(cell(e.byGender, 'male')).toBe('<5');
    }
  });
});

describe('exports', () => {
  it('CSV rows per municipality, dimension and value', async () => {
    const res = await hub
      .as('lansstyrelsen.analyst')
      .get(`/v1/statistics/mapping-report?county=05&${period}`, { accept: 'text/csv' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    const lines = res.body.split('\r\n');
    expect(lines[0]).toBe('section,municipality_or_operation,dimension,value,count');
    expect(lines).toContain('referrals,0580,total,,<5');
    expect(lines.some((l) => l.startsWith('referrals,0581,gender,female,'))).toBe(true);
    expect(lines.some((l) => l.startsWith(`operation,${operationId},buyersMet,,`))).toBe(true);
  });

  it('a printable page with inline SVG charts, no script, under its own strict CSP', async () => {
    const res = await hub
      .as('lansstyrelsen.analyst')
      .get(`/v1/statistics/mapping-report?county=05&${period}`, { accept: 'text/html' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toMatch(/default-src 'none'/);
    expect(csp).toMatch(/style-src 'sha256-[A-Za-z0-9+/=]+'/);
    expect(csp).not.toContain('unsafe-inline');
    expect(res.body).toContain('<svg');
    expect(res.body).toContain('Östergötland');
    expect(res.body).not.toMatch(/<script|\sstyle="|\son[a-z]+=/i);
    // The style element's hash is the one the CSP allows.
    const style = /<style>([\s\S]*?)<\/style>/.exec(res.body)![1]!;
    const { createHash } = await import('node:crypto');
    expect(csp).toContain(`'sha256-${createHash('sha256').update(style).digest('base64')}'`);
  });
});

describe('access and errors', () => {
  it('is for analysts and coordinators; a caseworker is refused and audited', async () => {
    const res = await hub.as('frideborg.caseworker').get(`/v1/statistics/mapping-report?county=05`);
    expect(res.statusCode).toBe(403);
    const coordinator = await hub
      .as('coordinator.ostergotland')
      .get(`/v1/statistics/mapping-report?county=05`);
    expect(coordinator.statusCode).toBe(200);
    await hub.referrals.context.audit.chainPending(); // entries are chained after commit
    const rows = (await hub.referrals.context.dataSource.query(
      `SELECT outcome FROM referrals.audit_log WHERE action = 'statistics.mapping_report_read'`,
    )) as Array<{ outcome: string }>;
    expect(rows.map((r) => r.outcome)).toEqual(expect.arrayContaining(['allowed', 'denied']));
  });

  it('an unknown county or a reversed period is a problem naming the field', async () => {
    const unknown = await hub
      .as('lansstyrelsen.analyst')
      .get('/v1/statistics/mapping-report?county=99');
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json()).toMatchObject({ type: 'urn:samverkan:problem:county-unknown' });
    const reversed = await hub
      .as('lansstyrelsen.analyst')
      .get('/v1/statistics/mapping-report?county=05&from=2026-05-01&to=2026-04-01');
    expect(reversed.statusCode).toBe(400);
    expect(JSON.stringify(reversed.json().errors)).toContain('from');
    const missing = await hub.as('lansstyrelsen.analyst').get('/v1/statistics/mapping-report');
    expect(missing.statusCode).toBe(400);
  });
});
