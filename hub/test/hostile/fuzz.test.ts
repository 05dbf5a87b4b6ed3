/**
 * Schema-based fuzzing of every operation of the OpenAPI documents whose routes the app under test
 * serves: valid, boundary and invalid path values, query strings, headers and bodies, sent with
 * real tokens of seeded users. Per request: never a 5xx; every refusal is problem+json with a
 * `urn:samverkan:problem:` type and the response's status; a refused write leaves every table
 * as it was.
 *
 * FUZZ_RUNS sets the requests per operation (default 40; `FUZZ_RUNS=2000 npm run test:hostile`
 * for a long run), FUZZ_SEED replays a run, FUZZ_DOCUMENTS picks the documents.
 */
import path from 'node:path';
import fc from 'fast-check';
import { DEMO_ORGANISATIONS, DEMO_UNITS, DEMO_USERS } from '@samverkan/shared';
import {
  loadOperations,
  openApiDocuments,
  operationName,
  requestArbitrary,
  type FuzzOperation,
  type FuzzRequest,
  type FuzzSeeds,
} from '@samverkan/shared/src/testing/fuzz';
import type { TestHub } from '@samverkan/referrals/test/helpers/build';
import { buildAppUnderTest } from './helpers/app-under-test';
import { prepareReferral } from '@samverkan/referrals/test/helpers/lifecycle';
import type { LightMyRequestResponse } from 'fastify';
import { countRows, diffRows, ownRows, type RowCounts } from './helpers/row-counts';
import { checkProblem } from './helpers/problems';

// The services of the app under test; `FUZZ_DOCUMENTS=directory,referrals,notifications` fuzzes
// notifications too (the app is then built with all three; operations of services the app does
// not serve are skipped).
const DOCUMENTS = (process.env.FUZZ_DOCUMENTS ?? 'directory,referrals').split(',');
const withNotifications = DOCUMENTS.includes('notifications');
const RUNS = Number(process.env.FUZZ_RUNS ?? 40);
const SEED =
  process.env.FUZZ_SEED === undefined ? Date.now() % 2 ** 31 : Number(process.env.FUZZ_SEED);
const OPENAPI_DIR = path.resolve(__dirname, '../../../openapi');

/** The callers whose tokens are sent: every kind of role, inside and outside the objects' units. */
const USERS = [
  'hub.admin',
  'norrkoping.admin',
  'frideborg.caseworker',
  'police.officer',
  'coordinator.ostergotland',
  'novahuset.caseworker',
  'norrkoping.auditor',
  'lansstyrelsen.analyst',
];

/**
 * Bugs found by fuzzing in code this suite may not change (owned elsewhere right now): reported
 * when hit, not failed. Each names the route, the input and the fix.
 */
interface KnownIssue {
  route: string;
  reason: string;
  matches(request: FuzzRequest, response: LightMyRequestResponse): boolean;
}
const KNOWN_ISSUES: KnownIssue[] = [];

interface RouteStats {
  route: string;
  requests: number;
  valid: number;
  boundary: number;
  invalid: number;
  accepted: number;
  refused: number;
  statuses: Record<string, number>;
  knownIssues: number;
}

let hub: TestHub;
let tokens: Record<string, string>;
const stats: RouteStats[] = [];

// Every service document repeats /livez and /readyz: fuzz each method and path once.
const operations = loadOperations(openApiDocuments(OPENAPI_DIR, DOCUMENTS)).filter(
  (operation, i, all) =>
    all.findIndex((o) => o.method === operation.method && o.path === operation.path) === i,
);

/** Values of one column, or none when the table is not there (yet). */
async function column(sql: string): Promise<string[]> {
  try {
    const rows = (await hub.referrals.context.dataSource.query(sql)) as Array<{ v: string }>;
    return rows.map((r) => r.v);
  } catch {
    return [];
  }
}

let referralIds: string[] = [];

/**
 * Real ids for path parameters, read again before each operation so that objects created by
 * earlier operations' valid requests (an operation, a field request) are reached too.
 */
async function currentSeeds(): Promise<FuzzSeeds> {
  const units = Object.values(DEMO_UNITS);
  return {
    organisations: Object.values(DEMO_ORGANISATIONS),
    units,
    participants: units,
    referrals: referralIds,
    keys: await column('SELECT kid AS v FROM directory.unit_keys LIMIT 20'),
    'root-keys': await column('SELECT kid AS v FROM directory.root_keys LIMIT 20'),
    members: await column('SELECT user_id AS v FROM directory.members LIMIT 20'),
    shifts: [
      ...(await column('SELECT id::text AS v FROM directory.shifts LIMIT 10')),
      ...(await column('SELECT id::text AS v FROM referrals.operation_shifts LIMIT 10')),
    ],
    issuers: await column('SELECT id::text AS v FROM directory.issuers LIMIT 20'),
    operations: await column('SELECT id::text AS v FROM referrals.operations LIMIT 20'),
    'field-requests': await column('SELECT id::text AS v FROM referrals.field_requests LIMIT 20'),
  };
}

beforeAll(async () => {
  // No scheduled audit checkpoint during the run: it writes a chain_checkpoints row and its
  // outbox event in the background (every 10 minutes by default), which a long run (FUZZ_RUNS=120:
  // about 14 minutes) then blamed on whichever refused request was being sent (seed 2024). The
  // longest interval the setting takes: a day.
  hub = await buildAppUnderTest(DOCUMENTS, {
    env: { AUDIT_CHECKPOINT_INTERVAL_MS: String(86_400_000) },
  });
  tokens = {};
  for (const user of USERS) {
    tokens[user] = await hub.app.platform.devIssuer!.mint(DEMO_USERS[user]!, {
      audience: hub.config.AUTH_AUDIENCE,
    });
  }
  const police = { user: 'police.officer', unitId: DEMO_UNITS.policeTraffickingOst };
  const frideborg = { user: 'frideborg.caseworker', unitId: DEMO_UNITS.frideborg };
  referralIds = [];
  for (const state of ['sent', 'received', 'accepted', 'handover_planned'] as const) {
    referralIds.push(
      (await prepareReferral(hub, { sender: police, recipient: frideborg, state })).id,
    );
  }
  // A joint operation too, where the service has them (best effort: its routes are new).
  const operation = await hub.as('police.officer').post('/v1/operations', {
    name: 'Insatsvecka fuzz',
    municipalityCodes: ['0581'],
    startsAt: new Date().toISOString(),
    endsAt: new Date(Date.now() + 7 * 86_400_000).toISOString(),
    organiserUnitId: DEMO_UNITS.policeTraffickingOst,
    invitedUnitIds: [DEMO_UNITS.frideborg, DEMO_UNITS.socialjour],
  });
  if (operation.statusCode !== 201) {
    console.log(
      `fuzz: no operation seeded (${operation.statusCode} ${operation.body.slice(0, 200)})`,
    );
  }
}, 120_000);

afterAll(async () => {
  if (stats.length > 0) {
    const total = stats.reduce((n, s) => n + s.requests, 0);
    const lines = stats.map(
      (s) =>
        `${s.route.padEnd(58)} ${String(s.requests).padStart(6)}  valid ${s.valid} boundary ${s.boundary} invalid ${s.invalid}  accepted ${s.accepted} refused ${s.refused}  ${JSON.stringify(s.statuses)}${s.knownIssues ? `  known issues ${s.knownIssues}` : ''}`,
    );
    // The fuzz counts per route are part of what this suite reports.
    console.log(
      `fuzz: ${total} requests over ${stats.length} operations (seed ${SEED}, ${RUNS} per operation)\n${lines.join('\n')}`,
    );
  }
  await hub?.close();
});

function served(operation: FuzzOperation): boolean {
  return hub.app.hasRoute({ method: operation.method as 'GET', url: operation.route });
}

async function send(request: FuzzRequest): Promise<LightMyRequestResponse> {
  return hub.app.inject({
    method: request.method as 'GET',
    url: request.url,
    headers: { authorization: `Bearer ${tokens[request.user]}`, ...request.headers },
    ...(request.payload !== undefined ? { payload: request.payload } : {}),
  });
}

it('finds the operations of the documents', () => {
  expect(operations.length).toBeGreaterThan(40);
  expect(new Set(operations.map((o) => o.service))).toEqual(new Set(DOCUMENTS));
});

it('a NUL character in any query value, path value or string member is refused as 4xx (found by fuzzing)', async () => {
  const wrong: string[] = [];
  let sent = 0;
  for (const operation of operations.filter((o) => served(o) && !o.streaming)) {
    const id = DEMO_UNITS.frideborg;
    const path = operation.path.replace(/\{[^}]+\}/g, id);
    const urls = [
      ...operation.parameters
        .filter((p) => p.in === 'query')
        .map((p) => `${path}?${encodeURIComponent(p.name)}=a%00b`),
      ...(operation.path.includes('{') ? [operation.path.replace(/\{[^}]+\}/g, 'a%00b')] : []),
    ];
    for (const url of urls) {
      const res = await send({
        kind: 'invalid',
        method: operation.method,
        url,
        headers: operation.method === 'GET' ? {} : { 'content-type': 'application/json' },
        ...(operation.method === 'GET' ? {} : { payload: '{"name":"a\\u0000b"}' }),
        user: 'hub.admin',
      });
      sent += 1;
      if (res.statusCode >= 500 || (res.statusCode >= 400 && checkProblem(res).length > 0)) {
        wrong.push(`${operation.method} ${url} → ${res.statusCode}`);
      }
    }
  }
  expect(sent).toBeGreaterThan(50);
  expect(wrong).toEqual([]);
});

describe.each(operations.map((o) => [operationName(o), o] as const))('%s', (name, operation) => {
  it(
    `${RUNS} fuzzed requests: no 5xx, problem+json refusals, no row written when refused`,
    async () => {
      if (!served(operation)) {
        console.log(`fuzz: ${name} is not served by the app under test; skipped`);
        return;
      }
      if (operation.streaming) {
        // An accepted stream never ends, so inject() would wait for ever; its refusals are
        // covered by the token attacks (tokens.test.ts).
        console.log(`fuzz: ${name} is a stream; skipped`);
        return;
      }
      const route: RouteStats = {
        route: name,
        requests: 0,
        valid: 0,
        boundary: 0,
        invalid: 0,
        accepted: 0,
        refused: 0,
        statuses: {},
        knownIssues: 0,
      };
      stats.push(route);
      const seeds = await currentSeeds();
      const violations: string[] = [];
      const write = operation.method !== 'GET';
      await fc.assert(
        fc.asyncProperty(requestArbitrary(operation, { seeds, users: USERS }), async (request) => {
          const before: RowCounts | undefined = write
            ? await countRows(hub.referrals.context.dataSource)
            : undefined;
          const response = await send(request);
          route.requests += 1;
          route[request.kind] += 1;
          route.statuses[response.statusCode] = (route.statuses[response.statusCode] ?? 0) + 1;
          const problems: string[] = [];
          if (response.statusCode >= 500) {
            problems.push(`status ${response.statusCode}`);
          }
          if (response.statusCode >= 400) {
            route.refused += 1;
            problems.push(...checkProblem(response));
            if (before) {
              // With notifications in the app, its consumers write in the background after
              // earlier successes: judge only the tables of the operation's own service then.
              const after = await countRows(hub.referrals.context.dataSource);
              const changed = withNotifications
                ? diffRows(ownRows(before, operation.service), ownRows(after, operation.service))
                : diffRows(before, after);
              if (changed.length > 0) {
                problems.push(`rows written by a refused request: ${changed.join(', ')}`);
              }
            }
          } else {
            route.accepted += 1;
          }
          if (problems.length === 0) {
            return;
          }
          const known = KNOWN_ISSUES.find((k) => k.route === name && k.matches(request, response));
          const summary = `${request.method} ${request.url.slice(0, 300)} as ${request.user} headers ${JSON.stringify(request.headers).slice(0, 300)} body ${String(request.payload).slice(0, 300)} → ${response.statusCode} ${response.body.slice(0, 300)}: ${problems.join('; ')}`;
          if (known) {
            route.knownIssues += 1;
            console.log(`fuzz: known issue (${known.reason}): ${summary}`);
          } else if (violations.length < 10) {
            violations.push(summary);
          }
        }),
        { numRuns: RUNS, seed: SEED, endOnFailure: true },
      );
      expect(violations).toEqual([]);
    },
    // Audit verification reads the whole chain, which every audited refusal lengthens.
    Math.max(120_000, RUNS * 600),
  );
});
