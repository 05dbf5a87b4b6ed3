/**
 * The README's "first referral" with the CLI against `npm start` (the embedded hub: PGlite,
 * in-process events, all three services on one port), and the live side: the recipient's
 * notifications through the SDK's SSE iterator, resumed with Last-Event-ID after a dropped
 * connection, and through `samverkan inbox` and `samverkan watch`.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEMO_UNITS } from '@samverkan/shared';
import { eventually, freePort } from '@samverkan/shared/src/testing';
import { createSamverkanClient, notificationStream, type StreamEvent } from '../src';
import { buildCliBundle, type CliBundle } from './helpers/cli-bundle';

const U = DEMO_UNITS;
const root = path.resolve(__dirname, '..', '..');
const cleanEnv = Object.fromEntries(
  Object.entries(process.env).filter(
    ([k]) => !['DATABASE_URL', 'NATS_URL', 'DIRECTORY_DATABASE_URL'].includes(k),
  ),
);

let dataDir: string;
let home: string;
let url: string;
let hub: ChildProcess;
/** The CLI compiled once (cli.test.ts also runs bin/samverkan.js itself). */
let bundle: CliBundle;

function cli(args: string[], env: Record<string, string> = {}) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      [bundle.file, ...args],
      {
        env: {
          ...cleanEnv,
          SAMVERKAN_HOME: home,
          SAMVERKAN_URL: url,
          SAMVERKAN_DATA_DIR: dataDir,
          NO_COLOR: '1',
          ...env,
        },
        timeout: 60_000,
      },
      (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }),
    );
  });
}

async function json(args: string[], env: Record<string, string> = {}): Promise<any> {
  const r = await cli([...args, '--json'], env);
  if (r.code !== 0) {
    throw new Error(`samverkan ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  }
  return JSON.parse(r.stdout);
}

beforeAll(async () => {
  bundle = await buildCliBundle();
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'samverkan-sdk-hub-'));
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'samverkan-sdk-home-'));
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  hub = spawn(path.join(root, 'node_modules', '.bin', 'tsx'), ['hub/src/main.ts'], {
    cwd: root,
    env: { ...cleanEnv, PORT: String(port), SAMVERKAN_DATA_DIR: dataDir, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`hub did not start:\n${out}`)), 90_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      if (out.includes('Samverkan hub running at')) {
        clearTimeout(timer);
        resolve();
      }
    };
    hub.stdout!.on('data', onData);
    hub.stderr!.on('data', onData);
    hub.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`hub exited with ${code}:\n${out}`));
    });
  });
});

afterAll(async () => {
  bundle?.remove();
  if (hub && hub.exitCode === null) {
    await new Promise((resolve) => {
      hub.once('exit', resolve);
      hub.kill('SIGTERM');
    });
  }
  for (const dir of [dataDir, home]) {
    if (dir) {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
});

/** The next event of the iterator that matches, skipping the others. */
async function next(
  events: AsyncIterator<StreamEvent>,
  match: (e: StreamEvent) => boolean,
): Promise<StreamEvent> {
  for (;;) {
    const { value, done } = await events.next();
    if (done) {
      throw new Error('the stream ended');
    }
    if (match(value)) {
      return value;
    }
  }
}

const isNotificationFor = (id: string) => (e: StreamEvent) =>
  e.event === 'notification' && (e.data as { objectId?: string }).objectId === id;

it('first referral with the CLI; the recipient is notified live, and resumes after a drop', async () => {
  // The README's walk-through sends this example document.
  const document = path.join(root, 'sdk', 'examples', 'first-referral.json');
  const expected = JSON.parse(fs.readFileSync(document, 'utf8')) as unknown;
  const coordinatorToken = (await cli(['token', 'coordinator.ostergotland'])).stdout.trim();
  const coordinator = createSamverkanClient({ url, token: coordinatorToken });

  // The walk-through: log in, take the demo keys, find the recipient, send.
  await json(['login', 'police.officer']);
  await json(['keys', 'import-dev']);
  const found = await json(['units', 'search', 'Regionkoordinatorn']);
  expect(found.items.map((u: { id: string }) => u.id)).toContain(U.coordinator);

  const controller = new AbortController();
  const events = notificationStream(coordinator, { signal: controller.signal, retryMs: 100 })[
    Symbol.asyncIterator
  ]();
  await next(events, (e) => e.event === 'counts');

  // As the README does it: the recipient by its name, resolved through the unit search.
  const send = [
    'referral',
    'send',
    '--to',
    'Regionkoordinatorn Östergötland',
    '--document',
    document,
    '--category',
    'trafficking_sexual',
    '--urgency',
    'acute',
    '--municipality',
    '0581',
    '--legal-basis',
    'consent',
  ];
  // The referrals read model follows the directory's events after a fresh start: retry until it knows the units.
  const first = await eventually(async () => {
    const r = await cli([...send, '--json']);
    return r.code === 0 ? (JSON.parse(r.stdout) as { id: string }) : undefined;
  }, 60_000);
  const notified = await next(events, isNotificationFor(first.id));
  expect(notified).toMatchObject({ event: 'notification', data: { kind: 'referral_received' } });
  const seq = (notified as { id: string }).id;
  expect(seq).toMatch(/^[0-9]+$/);
  controller.abort();
  await events.return?.(undefined);

  // While the coordinator is away, a second referral arrives; resuming replays it first.
  const second = await json(send);
  const resumed = notificationStream(coordinator, { lastEventId: seq })[Symbol.asyncIterator]();
  const replayed = await next(resumed, (e) => e.event === 'notification');
  expect(replayed).toMatchObject({ data: { objectId: second.id } });
  await resumed.return?.(undefined);

  // The same through the CLI: the inbox, and `watch` resuming after the first one.
  const inbox = await json(['inbox'], { SAMVERKAN_TOKEN: coordinatorToken });
  expect(inbox.items.map((n: { objectId: string }) => n.objectId)).toEqual(
    expect.arrayContaining([first.id, second.id]),
  );
  const watched = await cli(['watch', '--since', seq, '--count', '1', '--json'], {
    SAMVERKAN_TOKEN: coordinatorToken,
  });
  expect(watched.code).toBe(0);
  expect(JSON.parse(watched.stdout.trim().split('\n')[0]!)).toMatchObject({ objectId: second.id });
  // For people: the inbox table has the ids to go on with (`referral show <id>`), and `watch`
  // says it is waiting rather than printing nothing.
  const [inboxTable, watchedHuman] = await Promise.all([
    cli(['inbox'], { SAMVERKAN_TOKEN: coordinatorToken }),
    cli(['watch', '--since', seq, '--count', '1'], { SAMVERKAN_TOKEN: coordinatorToken }),
  ]);
  expect(inboxTable.stdout).toMatch(/WHEN\s+SEVERITY\s+KIND\s+ID\s+TITLE/);
  expect(inboxTable.stdout).toContain(first.id);
  expect(watchedHuman.stderr).toContain('Waiting for notifications');
  expect(watchedHuman.stdout).toContain('referral_received');

  // The coordinator reads it, decrypted and verified on this side only.
  const shown = await json(['referral', 'show', first.id], { SAMVERKAN_TOKEN: coordinatorToken });
  expect(shown.document).toEqual(expected);
});
