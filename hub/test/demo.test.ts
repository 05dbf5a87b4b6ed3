/**
 * `npm run demo`, the real command from the repository root, as a newcomer runs it after reading
 * the README: it starts its own embedded hub, tells the story step by step, prints the report and
 * the statistics, and proves that the hub's database holds no plaintext of the referral. Then the
 * same story twice against one hub that is already running (`--url`, `--data-dir`) on Postgres:
 * once without a database to scan, once scanned with `--database-url`; and a clear refusal when
 * the data folder holds no demo keys. (The story on PGlite is the first case's own embedded hub;
 * the demo reaches a running hub over HTTP only, so one running hub serves both cases.)
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createTestDatabase, type TestDatabase } from '@samverkan/shared/src/testing';
import {
  cleanEnv,
  root,
  startEmbeddedHub,
  stopProcess,
  type RunningProcess,
} from './helpers/processes';

jest.setTimeout(240_000);

function npmRunDemo(args: string[] = []) {
  return new Promise<{ code: number | null; stdout: string; stderr: string; ms: number }>(
    (resolve, reject) => {
      const started = Date.now();
      const child = spawn(
        'npm',
        ['run', '--silent', 'demo', ...(args.length ? ['--', ...args] : [])],
        {
          cwd: root,
          env: { ...cleanEnv, NO_COLOR: '1' },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 200_000);
      child.once('error', reject);
      child.once('exit', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr, ms: Date.now() - started });
      });
    },
  );
}

const STORY = [
  /^ 1\. Polisen Region Öst, Människohandelsgruppen Region Öst \(police\.officer\) plans 'Insatsvecka Norrköping'/m,
  /^ 2\. .*\(norrkoping\.admin\) accept the invitation .* on shift/m,
  /^ 3\. During a raid, .*\(police\.officer\) requests a social worker on site/m,
  /^ 4\. Socialjouren Norrköping.*\(socialjour\.caseworker\), on shift, claims the request/m,
  /✔ claimed; address decrypted: ".*DEMO-[0-9a-f]{12}/,
  /^ 6\. .*sends a trafficking referral to Regionkoordinatorn Östergötland/m,
  /✔ referral [0-9a-f]{8} sent/,
  /^ 8\. .*\(coordinator\.ostergotland\) opens the referral .* forwards it to Frideborg and Novahuset/m,
  /✔ forwarded: [0-9a-f]{8} → Frideborg, [0-9a-f]{8} → Novahuset/,
  /^ 9\. .*\(novahuset\.caseworker\) decrypts its copy, accepts/m,
  /✔ accepted; handover planned/,
  /✔ handover confirmed; referral [0-9a-f]{8} closed/,
  /^11\. .*completes the operation; Länsstyrelsen Östergötland \(lansstyrelsen\.analyst\) reads the report/m,
  /✔ operation completed/,
];

it('npm run demo tells the story on its own embedded hub and proves no plaintext reached it', async () => {
  const run = await npmRunDemo();
  expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
  for (const line of STORY) {
    expect(run.stdout).toMatch(line);
  }
  // The report figures and the statistics.
  expect(run.stdout).toContain('Operation report — Insatsvecka Norrköping');
  expect(run.stdout).toMatch(/Field requests: 1 total, 1 completed/);
  expect(run.stdout).toMatch(
    /Response times: request → claim median \d+(\.\d)? (s|min), claim → on site median/,
  );
  expect(run.stdout).toMatch(/Encounters: 1 tally, people met <5/);
  expect(run.stdout).toMatch(
    /Socialjouren Norrköping \(participant\): 1 shifts, 1 claimed, 1 completed/,
  );
  expect(run.stdout).toMatch(/trafficking_sexual \/ support_started: <5 referrals/);
  // The proof: decrypted on the client, nowhere in the hub's database.
  const marker = /secret marker (DEMO-[0-9a-f]{12})/.exec(run.stdout)?.[1];
  expect(marker).toBeDefined();
  expect(run.stdout).toContain('the coordinator decrypted it on the client');
  expect(run.stdout).toContain(`"${marker}: met during the raid`);
  expect(run.stdout).toMatch(
    /Scanned the embedded hub's database .*: \d+ tables, \d+ text\/json\/bytea columns, \d+ rows/,
  );
  expect(run.stdout).toMatch(/✔ control: the referral id [0-9a-f]{8} .* is in [1-9]\d* rows/);
  expect(run.stdout).toContain('✔ no plaintext');
  expect(run.stdout).toMatch(/Demo complete in [\d.]+ s\./);
  // Its temporary data folder is gone.
  const dir = /data folder (\S+)\)/.exec(run.stdout)?.[1];
  expect(dir && fs.existsSync(dir)).toBe(false);
});

describe('against a running hub (--url)', () => {
  const dataDirs: string[] = [];
  const hubs: RunningProcess[] = [];
  let db: TestDatabase | undefined;
  const newDataDir = () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'samverkan-demo-url-'));
    dataDirs.push(dir);
    return dir;
  };
  /** The hub on Postgres that both stories below run against, started by the first that needs it. */
  let running: Promise<{ hub: RunningProcess; dataDir: string }> | undefined;
  const postgresHub = () =>
    (running ??= (async () => {
      db = await createTestDatabase('demo');
      const dataDir = newDataDir();
      const hub = await startEmbeddedHub(dataDir, { DATABASE_URL: db.url });
      hubs.push(hub);
      return { hub, dataDir };
    })());
  afterAll(async () => {
    await Promise.all(hubs.map((h) => stopProcess(h)));
    await db?.drop();
    for (const dir of dataDirs) {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses clearly without the demo keys of the hub', async () => {
    const run = await npmRunDemo(['--url', 'http://127.0.0.1:9', '--data-dir', newDataDir()]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('no demo key store');
  });

  it('tells the same story and says the database check was skipped', async () => {
    const { hub, dataDir } = await postgresHub();
    const run = await npmRunDemo(['--url', hub.base, '--data-dir', dataDir]);
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    for (const line of STORY) {
      expect(run.stdout).toMatch(line);
    }
    expect(run.stdout).toContain('The database check was skipped');
  });

  it('scans the Postgres of a hub run on DATABASE_URL (--database-url)', async () => {
    const { hub, dataDir } = await postgresHub();
    const run = await npmRunDemo([
      '--url',
      hub.base,
      '--data-dir',
      dataDir,
      '--database-url',
      db!.url,
    ]);
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    expect(run.stdout).toMatch(/✔ handover confirmed; referral [0-9a-f]{8} closed/);
    expect(run.stdout).toMatch(/Scanned the database at --database-url: \d+ tables/);
    expect(run.stdout).toMatch(/✔ control: the referral id [0-9a-f]{8} .* is in [1-9]\d* rows/);
    expect(run.stdout).toContain('✔ no plaintext');
  });
});
