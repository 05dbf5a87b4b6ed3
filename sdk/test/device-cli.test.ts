/**
 * Issue 13's "done when", with the `samverkan` binary as people run it, each person in their own
 * CLI home (their own device), against a fresh hub on a real port: a seeded caseworker enrols a
 * new device, a colleague approves it after comparing the code, the new device reads a referral
 * sent before it was enrolled, the colleague revokes it, the organisation admin rotates the unit
 * keys, and a referral sent afterwards is unreadable on the revoked device.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEMO_ORGANISATIONS as O, DEMO_UNITS as U, DEMO_USERS } from '@samverkan/shared';
import { buildCliBundle, type CliBundle } from './helpers/cli-bundle';
import { referralDocument, startHub, type RunningHub } from './helpers/hub';

let running: RunningHub;
/** The CLI compiled once (cli.test.ts also runs bin/samverkan.js itself). */
let bundle: CliBundle;
let root: string;
const homes: Record<string, string> = {};
const tokens: Record<string, string> = {};

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the binary as `person` (their token, their own home = their own device). */
function cli(person: string, args: string[]): Promise<Result> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [bundle.file, ...args],
      {
        env: {
          ...process.env,
          SAMVERKAN_HOME: homes[person],
          SAMVERKAN_URL: running.url,
          SAMVERKAN_DATA_DIR: running.hub.dataDir,
          SAMVERKAN_TOKEN: tokens[person],
          NO_COLOR: '1',
        },
        timeout: 60_000,
      },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

async function json(person: string, args: string[]): Promise<any> {
  const result = await cli(person, [...args, '--json']);
  if (result.code !== 0) {
    throw new Error(`samverkan ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
  }
  return JSON.parse(result.stdout);
}

const ROUTING = [
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
];

/** Police sends to Frideborg; after a rotation the referrals service learns the new keys from events. */
async function sendToFrideborg(marker: string): Promise<string> {
  const file = path.join(root, `${marker}.json`);
  fs.writeFileSync(file, JSON.stringify(referralDocument(marker)));
  for (let i = 0; ; i += 1) {
    const result = await cli('police', [
      'referral',
      'send',
      '--to',
      U.frideborg,
      '--document',
      file,
      ...ROUTING,
      '--json',
    ]);
    if (result.code === 0) {
      return JSON.parse(result.stdout).id as string;
    }
    if (i > 30) {
      throw new Error(result.stderr);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

beforeAll(async () => {
  [running, bundle] = await Promise.all([startHub(), buildCliBundle()]);
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'samverkan-devices-'));
  const mint = (claims: (typeof DEMO_USERS)[string]) =>
    running.hub.app.platform.devIssuer!.mint(claims, {
      audience: running.hub.config.AUTH_AUDIENCE,
    });
  for (const [person, claims] of Object.entries({
    police: DEMO_USERS['police.officer']!,
    admin: DEMO_USERS['norrkoping.admin']!,
    caseworker: DEMO_USERS['frideborg.caseworker']!,
    colleague: {
      sub: 'frideborg.colleague',
      org: O.norrkoping,
      units: [U.frideborg],
      roles: ['caseworker' as const],
    },
  })) {
    homes[person] = path.join(root, person);
    tokens[person] = await mint(claims);
  }
  // The colleague is a member of Frideborg (the organisation admin added them).
  const res = await running.hub.as('norrkoping.admin').post(`/v1/units/${U.frideborg}/members`, {
    userId: 'frideborg.colleague',
    roles: ['caseworker'],
  });
  expect(res.statusCode).toBe(201);
  // The police and the organisation admin hold the demo keys, as today.
  await json('police', ['keys', 'import-dev']);
  await json('admin', ['keys', 'import-dev']);
});

afterAll(async () => {
  await running?.close();
  bundle?.remove();
  if (root) {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

it('enrol, approve after comparing the code, read, revoke, rotate: the revoked device reads nothing new', async () => {
  const before = await sendToFrideborg('SENT-BEFORE');

  // The colleague's own device, approved by the organisation admin (who holds the unit keys).
  const colleagueDevice = await json('colleague', [
    'device',
    'enrol',
    '--label',
    'Kollegans dator',
  ]);
  await json('admin', [
    '--unit',
    U.frideborg,
    'device',
    'approve',
    colleagueDevice.deviceId,
    '--code',
    colleagueDevice.shortCode,
  ]);
  expect((await json('colleague', ['device', 'sync'])).opened).toEqual([
    expect.objectContaining({ unitId: U.frideborg, approvedBy: 'norrkoping.admin' }),
  ]);

  // The caseworker enrols a new laptop in one command; it shows the code.
  const enrol = await cli('caseworker', ['device', 'enrol', '--label', 'Ny laptop']);
  expect(enrol.code).toBe(0);
  const code = /Code: (\d{5} \d{5} \d{5} \d{5})/.exec(enrol.stdout)![1]!;
  const laptopId = /Enrolled this device as (\S+)/.exec(enrol.stdout)![1]!;
  expect(fs.statSync(path.join(homes.caseworker!, 'device.json')).mode & 0o777).toBe(0o600);

  // A code read wrongly is refused by the colleague's client: exit code 5 (crypto), nothing sealed.
  const wrong = await cli('colleague', [
    'device',
    'approve',
    laptopId,
    '--code',
    '12345 12345 12345 12345',
  ]);
  expect(wrong.code).toBe(5);
  expect(wrong.stderr).toMatch(/code/);

  const approved = await json('colleague', ['device', 'approve', laptopId, '--code', code]);
  expect(approved).toMatchObject({ deviceId: laptopId, unitId: U.frideborg, status: 'approved' });

  // The new device opens its box and reads the referral sent before it existed.
  const synced = await json('caseworker', ['device', 'sync']);
  expect(synced.opened[0]).toMatchObject({
    unitId: U.frideborg,
    approvedBy: 'frideborg.colleague',
  });
  const shown = await json('caseworker', ['referral', 'show', before]);
  expect(shown.document).toEqual(referralDocument('SENT-BEFORE'));

  const mine = await json('caseworker', ['device', 'list']);
  expect(mine.thisDevice).toBe(laptopId);

  // The colleague (its approver) revokes it; the unit needs a rotation until the admin rotates.
  const revoked = await json('colleague', ['device', 'revoke', laptopId, '--reason', 'Borttappad']);
  expect(revoked.revokedUnits).toEqual([U.frideborg]);
  const listing = await json('admin', ['device', 'list', '--of-unit', U.frideborg]);
  expect(listing.rotationRequired).toBe(true);
  expect(listing.items.find((d: any) => d.deviceId === laptopId)).toMatchObject({
    status: 'revoked',
    approvedBy: { subject: 'frideborg.colleague' },
    revokedBy: { subject: 'frideborg.colleague' },
  });

  const rotated = await json('admin', ['--unit', U.frideborg, 'unit', 'rotate']);
  // Resealed for the colleague's device and the unit's recovery key (the demo seeds one).
  expect(rotated).toMatchObject({ unitId: U.frideborg, boxes: 2, rotationRequired: false });
  expect(rotated.retired).toHaveLength(2);

  const after = await sendToFrideborg('SENT-AFTER');

  // The revoked device gets no boxes, and what it holds does not open the new referral.
  const refused = await cli('caseworker', ['device', 'sync', '--json']);
  expect(refused.code).toBe(3); // refused access (exit code 3)
  expect(JSON.parse(refused.stderr)).toMatchObject({ status: 403 });
  expect(refused.stderr).toContain('device-revoked');
  const unreadable = await cli('caseworker', ['referral', 'show', after]);
  expect(unreadable.code).toBe(5);

  // The colleague's device got the new keys sealed to it and reads both.
  await json('colleague', ['device', 'sync']);
  expect((await json('colleague', ['referral', 'show', after])).document).toEqual(
    referralDocument('SENT-AFTER'),
  );
  expect((await json('colleague', ['referral', 'show', before])).document).toEqual(
    referralDocument('SENT-BEFORE'),
  );
  // Some twenty CLI processes, each starting Node: on a loaded machine that takes minutes.
}, 480_000);

it('makes a recovery key that restores the unit keys for the organisation admin', async () => {
  const made = await json('admin', ['--unit', U.frideborg, 'unit', 'recovery-key']);
  expect(made.recoveryKey).toMatch(/^SVRK1-/);
  // A fresh admin CLI (every device lost) restores the unit keys with it.
  homes.admin2 = path.join(root, 'admin2');
  tokens.admin2 = tokens.admin!;
  const restored = await json('admin2', [
    '--unit',
    U.frideborg,
    'unit',
    'recover',
    '--recovery-key',
    made.recoveryKey,
  ]);
  expect(restored).toMatchObject({ unitId: U.frideborg, keys: 4 });
}, 240_000);
