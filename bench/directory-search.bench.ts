/**
 * Directory read path under load, as ratios against a baseline in the same run:
 * baseline = GET /livez (Fastify + routing, no auth, no database). The other rows add token
 * verification and Postgres work. Run: `npm run bench` (needs the local Postgres; events
 * in-process). Options: BENCH_SECONDS (default 5), BENCH_CONNECTIONS (default 20).
 */
import autocannon from 'autocannon';
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

  const cases: Array<{ name: string; path: string; headers?: Record<string, string> }> = [
    { name: 'baseline GET /livez', path: '/livez' },
    {
      name: 'auth only (token verified, then 400 on a bad id)',
      path: '/v1/units/not-a-uuid',
      headers: auth,
    },
    { name: 'GET /v1/units/{id}', path: `/v1/units/${DEMO_UNITS.frideborg}`, headers: auth },
    {
      name: 'search: acute, adult woman, Norrköping, open now',
      path: '/v1/units?municipality=0581&ageBand=adult&gender=female&openNow=true',
      headers: auth,
    },
    { name: 'search: Swedish full text', path: '/v1/units?q=skyddat%20boende', headers: auth },
    {
      name: 'GET /v1/keys (3 units)',
      path: `/v1/keys?units=${DEMO_UNITS.socialjour},${DEMO_UNITS.frideborg},${DEMO_UNITS.elsa}`,
      headers: auth,
    },
    {
      name: 'GET /v1/units/{id}/on-duty',
      path: `/v1/units/${DEMO_UNITS.socialjour}/on-duty`,
      headers: auth,
    },
  ];

  const rows: Array<{ name: string; rps: number; p99: number; errors: number }> = [];
  for (const c of cases) {
    const result = await autocannon({
      url: `${address}${c.path}`,
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
  await app.close();
  await db.drop();
  fs.rmSync(dataDir, { recursive: true, force: true });
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
