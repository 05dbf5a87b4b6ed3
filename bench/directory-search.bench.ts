/**
 * Directory read path under load, as ratios against baselines in the same run:
 * - GET /livez (Fastify + routing, no auth, no database): the floor of any route;
 * - for each of unit by id, search and keys, a bare Fastify route doing the one equivalent query
 *   with `pg` on the same database (same pool size): what the directory's route costs on top of
 *   one query (token verification, access rules, TypeORM, the view).
 * Run: `npm run bench` (needs the local Postgres; events in-process). Options: BENCH_SECONDS
 * (default 5), BENCH_CONNECTIONS (default 20). The last line is one line of JSON.
 */
import autocannon from 'autocannon';
import Fastify from 'fastify';
import { Pool } from 'pg';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createPlatformApp, DEMO_UNITS, DEMO_USERS, loadConfig } from '@samverkan/shared';
import { createTestDatabase } from '@samverkan/shared/src/testing';
import { directoryService } from '@samverkan/directory';

const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 20);

async function main(): Promise<void> {
  const db = await createTestDatabase('bench');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'samverkan-bench-'));
  const config = loadConfig({
    DATABASE_URL: db.url,
    LOG_LEVEL: 'silent',
    AUTH_DEV_ISSUER: 'true',
    SAMVERKAN_DATA_DIR: dataDir,
    RATE_LIMIT_MAX: '100000000',
    PORT: '0',
  });
  const app = await createPlatformApp({ config, logger: false });
  await app.register(directoryService, { seedDemo: true });
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  const token = await app.platform.devIssuer!.mint(DEMO_USERS['police.officer']!);
  const auth = { authorization: `Bearer ${token}` };

  // Bare routes: one equivalent query each, no auth, rows sent as they come.
  const pool = new Pool({ connectionString: db.url, max: config.DATABASE_POOL_SIZE });
  const bare = Fastify({ logger: false });
  bare.get('/unit/:id', async (request) => {
    const { rows } = await pool.query('SELECT * FROM directory.units WHERE id = $1', [
      (request.params as { id: string }).id,
    ]);
    return rows[0];
  });
  bare.get('/search', async () => {
    const { rows } = await pool.query(
      `SELECT * FROM directory.units WHERE $1 = ANY(coverage) AND 'adult' = ANY(age_bands)
        ORDER BY name LIMIT 50`,
      ['0581'],
    );
    return { items: rows };
  });
  bare.get('/keys', async () => {
    const { rows } = await pool.query(
      `SELECT * FROM directory.unit_keys WHERE unit_id = ANY($1::uuid[])`,
      [[DEMO_UNITS.socialjour, DEMO_UNITS.frideborg, DEMO_UNITS.elsa]],
    );
    return { items: rows };
  });
  const bareAddress = await bare.listen({ port: 0, host: '127.0.0.1' });

  const cases: Array<{
    name: string;
    path: string;
    headers?: Record<string, string>;
    url?: string;
    /** the bare case this one is compared with */
    vs?: string;
    key?: string;
  }> = [
    { name: 'baseline GET /livez', path: '/livez' },
    {
      name: 'bare: pg SELECT unit by id',
      url: bareAddress,
      path: `/unit/${DEMO_UNITS.frideborg}`,
      key: 'bareUnit',
    },
    {
      name: 'bare: pg SELECT units by coverage',
      url: bareAddress,
      path: '/search',
      key: 'bareSearch',
    },
    { name: 'bare: pg SELECT keys of 3 units', url: bareAddress, path: '/keys', key: 'bareKeys' },
    {
      name: 'auth only (token verified, then 400 on a bad id)',
      path: '/v1/units/not-a-uuid',
      headers: auth,
    },
    {
      name: 'GET /v1/units/{id}',
      path: `/v1/units/${DEMO_UNITS.frideborg}`,
      headers: auth,
      vs: 'bareUnit',
      key: 'unit',
    },
    {
      name: 'search: acute, adult woman, Norrköping, open now',
      path: '/v1/units?municipality=0581&ageBand=adult&gender=female&openNow=true',
      headers: auth,
      vs: 'bareSearch',
      key: 'search',
    },
    { name: 'search: Swedish full text', path: '/v1/units?q=skyddat%20boende', headers: auth },
    {
      name: 'GET /v1/keys (3 units)',
      path: `/v1/keys?units=${DEMO_UNITS.socialjour},${DEMO_UNITS.frideborg},${DEMO_UNITS.elsa}`,
      headers: auth,
      vs: 'bareKeys',
      key: 'keys',
    },
    {
      name: 'GET /v1/units/{id}/on-duty',
      path: `/v1/units/${DEMO_UNITS.socialjour}/on-duty`,
      headers: auth,
    },
  ];

  const rows: Array<{
    name: string;
    rps: number;
    p99: number;
    errors: number;
    vs?: string;
    key?: string;
  }> = [];
  for (const c of cases) {
    const result = await autocannon({
      url: `${c.url ?? address}${c.path}`,
      headers: c.headers,
      connections,
      duration: seconds,
    });
    const expected4xx = c.path.includes('not-a-uuid') ? result['4xx'] : 0;
    rows.push({
      name: c.name,
      rps: result.requests.average,
      p99: result.latency.p99,
      errors: result.non2xx - expected4xx + result.errors,
      vs: c.vs,
      key: c.key,
    });
  }
  const baseline = rows[0]!.rps;
  process.stdout.write(
    `\n${seconds}s × ${connections} connections, ${os.cpus().length} cores, node ${process.version}\n`,
  );
  process.stdout.write(
    `${'case'.padEnd(52)} ${'req/s'.padStart(8)} ${'p99 ms'.padStart(7)} ${'÷ baseline'.padStart(11)} errors\n`,
  );
  for (const r of rows) {
    process.stdout.write(
      `${r.name.padEnd(52)} ${r.rps.toFixed(0).padStart(8)} ${String(r.p99).padStart(7)} ${(r.rps / baseline).toFixed(3).padStart(11)} ${r.errors}\n`,
    );
  }
  const rss = process.memoryUsage().rss / 1024 / 1024;
  process.stdout.write(`RSS after run: ${rss.toFixed(0)} MiB\n`);
  // One line of JSON, last: each directory read against its bare one-query route.
  const byKey = new Map(rows.filter((r) => r.key).map((r) => [r.key!, r]));
  const compared: Record<string, unknown> = {};
  for (const r of rows.filter((row) => row.vs)) {
    const base = byKey.get(r.vs!)!;
    compared[r.key!] = {
      rps: Math.round(r.rps),
      baselineRps: Math.round(base.rps),
      ratio: Math.round((r.rps / base.rps) * 1000) / 1000,
      p99Ms: r.p99,
      baselineP99Ms: base.p99,
    };
  }
  process.stdout.write(
    `${JSON.stringify({ bench: 'directory-reads', seconds, connections, livezRps: Math.round(baseline), ...compared })}\n`,
  );
  await bare.close();
  await pool.end();
  await app.close();
  await db.drop();
  fs.rmSync(dataDir, { recursive: true, force: true });
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
