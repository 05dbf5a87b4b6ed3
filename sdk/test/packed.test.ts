/**
 * The SDK as an agency installs it: `npm pack`, installed from the tarball into an empty folder
 * outside this repository (dependencies from the registry), run as plain JavaScript by Node. It
 * logs in through the hub's development issuer, sends a referral and opens it, and refuses it
 * once the hub's record of it is changed; none of the server stack comes with it.
 */
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { DEMO_UNITS as U, loadDevIssuer, DEMO_USERS } from '@samverkan/shared';
import { referralDocument, startHub, type RunningHub } from './helpers/hub';

const run = promisify(execFile);
const sdkDir = path.resolve(__dirname, '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

let running: RunningHub;
let work: string;
let agencyDir: string;
let bin: string;

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** The installed `samverkan` binary, with its own home, as a person at an agency runs it. */
function samverkan(args: string[], env: Record<string, string> = {}): Promise<Result> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [bin, ...args],
      {
        cwd: agencyDir,
        env: {
          PATH: process.env.PATH ?? '',
          HOME: work,
          SAMVERKAN_HOME: path.join(work, 'home'),
          SAMVERKAN_URL: running.url,
          NO_COLOR: '1',
          ...env,
        },
        timeout: 90_000,
      },
      (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
      },
    );
  });
}

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'samverkan-packed-'));
  agencyDir = path.join(work, 'agency');
  fs.mkdirSync(agencyDir);
  fs.writeFileSync(
    path.join(agencyDir, 'package.json'),
    JSON.stringify({ name: 'agency-system', private: true }),
  );
  const quiet = { env: { ...process.env, npm_config_loglevel: 'error' }, maxBuffer: 1 << 24 };
  // The hub first: its start must not compete with the compiler for the CPU.
  running = await startHub();
  // `npm pack` runs prepack, which compiles src/ to dist/.
  const packed = await run(npm, ['pack', '--pack-destination', work, '--json'], {
    ...quiet,
    cwd: sdkDir,
  });
  const { filename } = (JSON.parse(packed.stdout) as Array<{ filename: string }>)[0]!;
  await run(npm, ['install', path.join(work, filename), '--no-audit', '--no-fund', '--omit=dev'], {
    ...quiet,
    cwd: agencyDir,
  });
  bin = path.join(agencyDir, 'node_modules', '@samverkan', 'sdk', 'bin', 'samverkan.js');
}, 600_000);

afterAll(async () => {
  await running?.close();
  if (work) {
    fs.rmSync(work, { recursive: true, force: true });
  }
  fs.rmSync(path.join(sdkDir, 'dist'), { recursive: true, force: true });
});

it('installs compiled JavaScript only, without the server stack', () => {
  const installed = path.join(agencyDir, 'node_modules', '@samverkan', 'sdk');
  expect(fs.existsSync(path.join(installed, 'dist', 'index.js'))).toBe(true);
  expect(fs.existsSync(path.join(installed, 'src'))).toBe(false);
  const tree = JSON.parse(
    execFileSync(npm, ['ls', '--omit=dev', '--all', '--json'], {
      cwd: agencyDir,
      encoding: 'utf8',
    }),
  ) as { dependencies?: Record<string, unknown> };
  const names = new Set<string>();
  const walk = (deps: Record<string, unknown> | undefined) => {
    for (const [name, node] of Object.entries(deps ?? {})) {
      names.add(name);
      walk((node as { dependencies?: Record<string, unknown> }).dependencies);
    }
  };
  walk(tree.dependencies);
  expect(names).toContain('@samverkan/sdk');
  expect(names).toContain('jose');
  const server = [...names].filter((n) =>
    /^(fastify|@fastify\/|typeorm|@electric-sql\/pglite|@nats-io\/|pg$|tsx$|@samverkan\/shared)/.test(
      n,
    ),
  );
  expect(server).toEqual([]);
});

it('logs in, sends a referral and opens it; refuses it, naming the field, once the hub changes its record', async () => {
  const login = await samverkan(['login', 'police.officer', '--json']);
  expect(login.stderr).toBe('');
  expect(JSON.parse(login.stdout)).toMatchObject({ user: 'police.officer' });
  // The demo key store of the seeded units (an agency would have its own).
  const imported = await samverkan(['keys', 'import-dev', '--data-dir', running.hub.dataDir]);
  expect(imported.code).toBe(0);

  const document = path.join(work, 'referral.json');
  fs.writeFileSync(document, JSON.stringify(referralDocument('PACKED-MARKER')));
  const sent = await samverkan([
    'referral',
    'send',
    '--to',
    U.coordinator,
    '--document',
    document,
    '--category',
    'trafficking_sexual',
    '--urgency',
    'urgent',
    '--citizenship',
    'eu',
    '--municipality',
    '0581',
    '--legal-basis',
    'consent',
    '--json',
  ]);
  expect(sent.stderr).toBe('');
  const referral = JSON.parse(sent.stdout) as { id: string; status: string };
  expect(referral.status).toBe('sent');

  const coordinatorToken = (await samverkan(['token', 'coordinator.ostergotland'])).stdout.trim();
  const asCoordinator = { SAMVERKAN_TOKEN: coordinatorToken };
  const shown = await samverkan(['referral', 'show', referral.id, '--json'], asCoordinator);
  expect(shown.code).toBe(0);
  const opened = JSON.parse(shown.stdout);
  expect(opened.document).toEqual(referralDocument('PACKED-MARKER'));
  expect(opened.verified).toMatchObject({ signedBy: U.policeTraffickingOst, version: 2 });

  // A key store that has not pinned the police organisation's root yet: told what to do.
  const unpinnedHome = path.join(work, 'unpinned');
  fs.mkdirSync(unpinnedHome, { mode: 0o700 });
  const store = JSON.parse(fs.readFileSync(path.join(work, 'home', 'keys.json'), 'utf8')) as {
    pins: Record<string, string[]>;
  };
  const policeOrg = Object.keys(store.pins).find(
    (org) => org === DEMO_USERS['police.officer']!.org,
  )!;
  const policeRoot = store.pins[policeOrg]![0]!;
  delete store.pins[policeOrg];
  fs.writeFileSync(path.join(unpinnedHome, 'keys.json'), JSON.stringify(store), { mode: 0o600 });
  const unpinned = await samverkan(['referral', 'show', referral.id], {
    ...asCoordinator,
    SAMVERKAN_HOME: unpinnedHome,
  });
  expect(unpinned.code).toBe(5);
  expect(unpinned.stderr).toContain(`organisation ${policeOrg}'s root key is not pinned`);
  expect(unpinned.stderr).toContain(`compare fingerprint ${policeRoot}`);
  expect(unpinned.stderr).toContain(`samverkan keys pin ${policeOrg} ${policeRoot}`);
  expect(unpinned.stderr).not.toContain('(none)');

  // A compromised hub changes what it shows in clear: the category and the sender.
  await running.hub.referrals.context.dataSource.query(
    `UPDATE referrals.referrals SET category = 'other' WHERE id = $1`,
    [referral.id],
  );
  const refused = await samverkan(['referral', 'show', referral.id], asCoordinator);
  expect(refused.code).toBe(5);
  expect(refused.stderr).toContain("The hub's record differs from what the sender signed");
  expect(refused.stderr).toContain('field: category');
  expect(refused.stdout).not.toContain('PACKED-MARKER');
});

it('names a development token minted against another data folder, and what to do', async () => {
  const elsewhere = fs.mkdtempSync(path.join(work, 'other-data-'));
  const foreign = await (
    await loadDevIssuer(elsewhere)
  ).mint(DEMO_USERS['police.officer']!, { audience: running.hub.config.AUTH_AUDIENCE });
  const result = await samverkan(['units', 'search', '--municipality', '0581'], {
    SAMVERKAN_TOKEN: foreign,
  });
  expect(result.code).toBe(3);
  expect(result.stderr).toContain('signed with the key of another data folder');
  expect(result.stderr).toContain(`SAMVERKAN_DATA_DIR=${path.resolve(running.hub.dataDir)}`);
  expect(result.stderr).toContain('samverkan login');
});
