/**
 * The `samverkan` binary as people and scripts run it (`node sdk/bin/samverkan.js …`, a child
 * process) against a real hub on a real port: login and tokens from the dev issuer, the key
 * store, directory look-ups, a referral sent, read, answered and forwarded, a thread, `--json`
 * output parsed here, and the exit codes scripts rely on.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { DEMO_ORGANISATIONS, DEMO_UNITS } from '@samverkan/shared';
import { createAgency, createSamverkanClient, data, fromDevKeyStore, idempotency } from '../src';
import { buildCliBundle, type CliBundle } from './helpers/cli-bundle';
import { referralDocument, ROUTING, startHub, type RunningHub } from './helpers/hub';

const U = DEMO_UNITS;
const bin = path.resolve(__dirname, '..', 'bin', 'samverkan.js');
let running: RunningHub;
/** The same CLI compiled once, so that each run below does not compile it again through tsx. */
let bundle: CliBundle;
let home: string;
let documentFile: string;

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the CLI asynchronously: the hub lives in this process and must keep answering. `script` is
 * the compiled CLI unless a test runs bin/samverkan.js itself.
 */
function cli(
  args: string[],
  env: Record<string, string> = {},
  script: string = bundle.file,
): Promise<Result> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [script, ...args],
      {
        env: {
          ...process.env,
          SAMVERKAN_HOME: home,
          SAMVERKAN_URL: running.url,
          SAMVERKAN_DATA_DIR: running.hub.dataDir,
          NO_COLOR: '1',
          ...env,
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

async function json(args: string[], env: Record<string, string> = {}): Promise<any> {
  const result = await cli([...args, '--json'], env);
  if (result.code !== 0) {
    throw new Error(`samverkan ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
  }
  return JSON.parse(result.stdout);
}

const tokens: Record<string, string> = {};
async function as(user: string): Promise<Record<string, string>> {
  if (!tokens[user]) {
    const result = await cli(['token', user]);
    expect(result.code).toBe(0);
    tokens[user] = result.stdout.trim();
  }
  return { SAMVERKAN_TOKEN: tokens[user] };
}

beforeAll(async () => {
  [running, bundle] = await Promise.all([startHub(), buildCliBundle()]);
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'samverkan-cli-'));
  documentFile = path.join(home, 'referral.json');
  fs.writeFileSync(documentFile, JSON.stringify(referralDocument('CLI-MARKER')));
});

afterAll(async () => {
  await running?.close();
  bundle?.remove();
  if (home) {
    fs.rmSync(home, { recursive: true, force: true });
  }
});

describe('samverkan CLI', () => {
  it('mints dev tokens, logs in and keeps the login and key store private (0600)', async () => {
    // bin/samverkan.js itself, as `node sdk/bin/samverkan.js` runs the sources in this repository.
    const token = await cli(['token', 'police.officer'], {}, bin);
    expect(token.code).toBe(0);
    expect(token.stdout.trim().split('.')).toHaveLength(3);

    const login = await json(['login', 'police.officer']);
    expect(login).toMatchObject({ user: 'police.officer', units: [U.policeTraffickingOst] });
    expect(fs.statSync(path.join(home, 'config.json')).mode & 0o777).toBe(0o600);

    const imported = await json(['keys', 'import-dev', '--data-dir', running.hub.dataDir]);
    expect(imported.units).toBeGreaterThanOrEqual(12);
    expect(fs.statSync(path.join(home, 'keys.json')).mode & 0o777).toBe(0o600);
  });

  it('lists keys and root fingerprints, and searches units', async () => {
    // The saved login (police.officer) is used when no token is given.
    const listed = await json(['keys', 'list']);
    expect(listed.unitId).toBe(U.policeTraffickingOst);
    expect(listed.keys.length).toBeGreaterThanOrEqual(2);
    expect(listed.keys.every((k: { privateKeyHere: boolean }) => k.privateKeyHere)).toBe(true);

    const fingerprints = await json(['keys', 'fingerprint']);
    expect(fingerprints.organisationId).toBe(DEMO_ORGANISATIONS.policeOst);
    expect(fingerprints.rootKeys[0]).toMatchObject({ pinned: true, status: 'active' });

    const found = await json(['units', 'search', 'Novahuset']);
    expect(found.items.map((u: { id: string }) => u.id)).toContain(U.novahuset);

    const human = await cli(['units', 'search', 'Novahuset']);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/ID\s+NAME\s+ORGANISATION/);
  });

  it("opens a sent justification for the sending organisation's auditor (audit justification)", async () => {
    const police = await as('police.officer');
    const text = 'Threatened tonight; CLI-AUDITED';
    const sent = await json(
      [
        'referral',
        'send',
        '--to',
        U.frideborg,
        '--document',
        documentFile,
        '--category',
        'trafficking_sexual',
        '--urgency',
        'acute',
        '--citizenship',
        'eu',
        '--municipality',
        '0581',
        '--legal-basis',
        'acute_protection',
        '--justification',
        text,
      ],
      police,
    );
    // The auditor's login acts for the organisation's audit unit, whose keys open it (another
    // organisation's auditor gets 404: hub/test/hostile/sealed-notes.test.ts, sdk.test.ts).
    const auditor = { SAMVERKAN_TOKEN: await running.token('police.auditor') };
    const opened = await json(['audit', 'justification', sent.id], auditor);
    expect(opened).toMatchObject({
      referralId: sent.id,
      text,
      senderUnitId: U.policeTraffickingOst,
    });
  });

  it('sends an encrypted referral, which the coordinator reads, answers and forwards', async () => {
    const police = await as('police.officer');
    const coordinator = await as('coordinator.ostergotland');
    const novahuset = await as('novahuset.caseworker');
    const routing = [
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

    const sent = await json(
      ['referral', 'send', '--to', U.coordinator, '--document', documentFile, ...routing],
      police,
    );
    expect(sent).toMatchObject({
      status: 'sent',
      recipientUnitId: U.coordinator,
      ageBand: 'adult',
      gender: 'female',
    });
    expect(JSON.stringify(sent)).not.toContain('CLI-MARKER');

    const human = await cli(
      ['referral', 'send', '--to', U.coordinator, '--document', documentFile, ...routing],
      police,
    );
    expect(human.code).toBe(0);
    expect(human.stdout).toContain('end-to-end encrypted');

    const inbox = await json(['referral', 'list', '--box', 'inbox'], coordinator);
    expect(inbox.items.map((r: { id: string }) => r.id)).toContain(sent.id);

    const shown = await json(['referral', 'show', sent.id], coordinator);
    expect(shown.document).toEqual(referralDocument('CLI-MARKER'));
    expect(shown.verified).toMatchObject({
      signedBy: U.policeTraffickingOst,
      aad: { rid: sent.id, to: [U.coordinator] },
    });

    expect((await json(['referral', 'ack', sent.id], coordinator)).status).toBe('received');

    await json(
      ['thread', 'post', sent.id, 'Received,', 'routing', 'to', 'Novahuset.'],
      coordinator,
    );
    await json(['thread', 'post', sent.id, 'Thanks.'], police);
    const thread = await json(['thread', 'read', sent.id], police);
    expect(thread.items.map((m: { text: string }) => m.text)).toEqual([
      'Received, routing to Novahuset.',
      'Thanks.',
    ]);

    const forwarded = await json(
      ['referral', 'forward', sent.id, '--to', `${U.frideborg},${U.novahuset}`],
      coordinator,
    );
    expect(forwarded.original.status).toBe('forwarded');
    const leg = forwarded.forwards.find(
      (f: { recipientUnitId: string }) => f.recipientUnitId === U.novahuset,
    );

    const opened = await json(['referral', 'show', leg.id], novahuset);
    expect(opened.document).toEqual(referralDocument('CLI-MARKER'));
    expect((await json(['referral', 'ack', leg.id], novahuset)).status).toBe('received');
    expect((await json(['referral', 'accept', leg.id], novahuset)).status).toBe('accepted');

    // Accepting twice is outside the lifecycle: a 409 problem, exit code 2, the problem on stderr.
    const again = await cli(['referral', 'accept', leg.id, '--json'], novahuset);
    expect(again.code).toBe(2);
    expect(JSON.parse(again.stderr)).toMatchObject({ error: 'problem', status: 409 });
    const againHuman = await cli(['referral', 'accept', leg.id], novahuset);
    expect(againHuman.code).toBe(2);
    expect(againHuman.stderr).toMatch(/✖ .+\n/);
    expect(againHuman.stderr).toContain('→');

    // The warm handover, confirmed by both sides, then closed; Frideborg declines its leg.
    const handover = ['referral', 'handover', leg.id, '--mode', 'in_person'];
    expect((await json(handover, novahuset)).status).toBe('handover_planned');
    await json(['referral', 'confirm', leg.id, '--side', 'recipient'], novahuset);
    const confirmed = await json(['referral', 'confirm', leg.id, '--side', 'sender'], coordinator);
    expect(confirmed.status).toBe('handover_confirmed');
    const closed = await json(
      ['referral', 'close', leg.id, '--outcome', 'support_started'],
      novahuset,
    );
    expect(closed).toMatchObject({ status: 'closed', outcome: 'support_started' });
    const frideborgLeg = forwarded.forwards.find(
      (f: { recipientUnitId: string }) => f.recipientUnitId === U.frideborg,
    );
    const frideborg = await as('frideborg.caseworker');
    await json(['referral', 'ack', frideborgLeg.id], frideborg);
    const declined = await json(
      ['referral', 'decline', frideborgLeg.id, '--reason', 'duplicate'],
      frideborg,
    );
    expect(declined.status).toBe('declined');
  });

  it('registers new unit keys signed by the organisation root key (keys init)', async () => {
    const admin = await as('norrkoping.admin');
    const registered = await json(['keys', 'init', '--unit', U.frideborg], admin);
    expect(registered.unitId).toBe(U.frideborg);
    const listed = await json(['keys', 'list', '--unit', U.frideborg], admin);
    const kids = listed.keys.map((k: { kid: string }) => k.kid);
    expect(kids).toEqual(expect.arrayContaining([registered.encKid, registered.sigKid]));

    // A referral sealed now goes to both active encryption keys, and Frideborg still reads it.
    const police = await as('police.officer');
    const sent = await json(
      [
        'referral',
        'send',
        '--to',
        U.frideborg,
        '--document',
        documentFile,
        '--category',
        'trafficking_sexual',
        '--municipality',
        '0581',
        '--legal-basis',
        'consent',
      ],
      police,
    );
    const shown = await json(['referral', 'show', sent.id], await as('frideborg.caseworker'));
    expect(shown.document).toEqual(referralDocument('CLI-MARKER'));
  });

  it('generates an organisation root key, registers it and shows its fingerprint for comparison', async () => {
    const store = path.join(home, 'nord-keys.json');
    const hubAdmin = await as('hub.admin');
    const root = await json(
      [
        'keys',
        'init',
        '--root',
        '--org',
        DEMO_ORGANISATIONS.policeNord,
        '--register',
        '--keystore',
        store,
      ],
      hubAdmin,
    );
    expect(root.fingerprint).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(fs.statSync(store).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(store, 'utf8')).toContain('"d"');

    const shown = await json(
      ['keys', 'fingerprint', '--org', DEMO_ORGANISATIONS.policeNord, '--keystore', store],
      await as('police-nord.officer'),
    );
    expect(shown.rootKeys).toContainEqual(
      expect.objectContaining({ fingerprint: root.fingerprint, pinned: true }),
    );
  });

  it('rotates unit keys: new keys registered, the previous retired, old and new envelopes readable', async () => {
    const police = await as('police.officer');
    const elsa = await as('elsa.caseworker');
    const send = [
      'referral',
      'send',
      '--to',
      U.elsa,
      '--document',
      documentFile,
      '--category',
      'trafficking_sexual',
      '--municipality',
      '0581',
      '--legal-basis',
      'consent',
    ];
    const before = await json(send, police);

    const rotated = await json(['keys', 'rotate', '--unit', U.elsa], await as('norrkoping.admin'));
    expect(rotated.retired).toHaveLength(2);
    const listed = await json(['keys', 'list', '--unit', U.elsa], elsa);
    const byKid = Object.fromEntries(
      listed.keys.map((k: { kid: string; status: string }) => [k.kid, k.status]),
    );
    expect(byKid[rotated.encKid]).toBe('active');
    expect(rotated.retired.map((kid: string) => byKid[kid])).toEqual(['retired', 'retired']);

    const after = await json(send, police);
    for (const id of [before.id, after.id]) {
      expect((await json(['referral', 'show', id], elsa)).document).toEqual(
        referralDocument('CLI-MARKER'),
      );
    }
  });

  it('plans and staffs an operation; an officer requests a social worker, the first to claim gets it', async () => {
    const police = await as('police.officer');
    const admin = await as('norrkoping.admin');
    const now = Date.now();
    const op = await json(
      [
        'operation',
        'create',
        '--name',
        'Insatsvecka Norrköping',
        '--municipality',
        '0581',
        '--from',
        new Date(now - 5 * 60_000).toISOString(),
        '--to',
        new Date(now + 7 * 86_400_000).toISOString(),
        '--invite',
        `${U.frideborg},${U.socialjour}`,
        '--coordinator',
        U.coordinator,
      ],
      police,
    );
    expect(op).toMatchObject({ status: 'planned', organiserUnitId: U.policeTraffickingOst });

    for (const [unit, user] of [
      [U.frideborg, 'frideborg.caseworker'],
      [U.socialjour, 'socialjour.caseworker'],
    ]) {
      await json(['operation', 'join', op.id, '--unit', unit!], admin);
      const shift = await json(
        [
          'operation',
          'staff',
          op.id,
          '--unit',
          unit!,
          '--user',
          user!,
          '--from',
          new Date(now - 60_000).toISOString(),
          '--to',
          op.endsAt,
        ],
        admin,
      );
      expect(shift).toMatchObject({ unitId: unit, userId: user });
    }
    expect((await json(['operation', 'activate', op.id], police)).status).toBe('active');

    const details = path.join(home, 'field-request.json');
    fs.writeFileSync(
      details,
      JSON.stringify({ address: 'FIELD-ADDRESS-MARKER', details: 'Two women; Romanian.' }),
    );
    // No --to: the CLI addresses the accepted social services participants itself.
    const request = await json(
      [
        'field-request',
        'create',
        op.id,
        '--details',
        details,
        '--adults',
        '2',
        '--languages',
        'ro',
        '--protected-housing',
      ],
      police,
    );
    expect(request).toMatchObject({
      status: 'open',
      participantUnitIds: [U.frideborg, U.socialjour].sort(),
    });
    expect(JSON.stringify(request)).not.toContain('FIELD-ADDRESS-MARKER');

    const frideborg = await as('frideborg.caseworker');
    expect((await json(['field-request', 'claim', request.id], frideborg)).status).toBe('claimed');
    const late = await cli(
      ['field-request', 'claim', request.id, '--json'],
      await as('socialjour.caseworker'),
    );
    expect(late.code).toBe(2);
    expect(JSON.parse(late.stderr)).toMatchObject({ status: 409 });

    const shown = await json(['field-request', 'show', request.id], frideborg);
    expect(shown.details).toMatchObject({ address: 'FIELD-ADDRESS-MARKER' });
    expect(
      (await json(['field-request', 'status', request.id, 'en-route'], frideborg)).status,
    ).toBe('en_route');

    const report = await json(['operation', 'report', op.id], police);
    expect(report).toMatchObject({ operationId: op.id, name: 'Insatsvecka Norrköping' });
    const csv = await cli(['operation', 'report', op.id, '--csv'], police);
    expect(csv.code).toBe(0);
    expect(csv.stdout.split('\n')[0]).toMatch(/^section,key,value/);
  });

  it('shows aggregate statistics with small cells suppressed', async () => {
    // The referrals sent by the tests above (run in order) are counted here.
    const analyst = await as('lansstyrelsen.analyst');
    const stats = await json(['stats', '--group-by', 'category'], analyst);
    expect(stats).toMatchObject({ groupBy: ['category'], suppressedBelow: 5 });
    const row = stats.rows.find(
      (r: { key: { category: string } }) => r.key.category === 'trafficking_sexual',
    );
    expect(row.count === '<5' || row.count >= 5).toBe(true);
    const human = await cli(['stats', '--group-by', 'category,month'], analyst);
    expect(human.stdout).toMatch(/CATEGORY\s+MONTH\s+REFERRALS/);
  });

  it('ends with exit codes scripts can rely on', async () => {
    // 2: a 4xx problem from the hub.
    // bin/samverkan.js passes the code on as the process's exit code.
    const missing = await cli(
      ['referral', 'ack', '99999999-0000-4000-8000-000000000000', '--json'],
      await as('frideborg.caseworker'),
      bin,
    );
    expect(missing.code).toBe(2);
    expect(JSON.parse(missing.stderr)).toMatchObject({ error: 'problem', status: 404 });

    // 3: not authenticated.
    const anonymous = await cli(['units', 'search', '--json', '--token', 'not-a-jwt']);
    expect(anonymous.code).toBe(3);
    expect(JSON.parse(anonymous.stderr)).toMatchObject({ status: 401 });

    // 4: the hub is unreachable (a port that was just free).
    const port = await new Promise<number>((resolve) => {
      const server = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (server.address() as net.AddressInfo).port;
        server.close(() => resolve(p));
      });
    });
    const down = await cli(['units', 'search', '--json', '--url', `http://127.0.0.1:${port}`]);
    expect(down.code).toBe(4);
    expect(JSON.parse(down.stderr)).toMatchObject({ error: 'unavailable' });
    const downHuman = await cli(['units', 'search', '--url', `http://127.0.0.1:${port}`]);
    expect(downHuman.stderr).toContain('The hub is unavailable');

    // 1: usage.
    expect((await cli(['referral', 'send'])).code).toBe(1);
    expect((await cli(['no-such-command'], {}, bin)).code).toBe(1);

    // 6: no key store where one is needed.
    const noStore = await cli(
      [
        'referral',
        'show',
        '99999999-0000-4000-8000-000000000000',
        '--keystore',
        path.join(home, 'none.json'),
      ],
      await as('frideborg.caseworker'),
    );
    expect(noStore.code).toBe(6);
    expect(noStore.stderr).toContain('samverkan keys import-dev');
  });

  it('meets ordinary mistakes with plain words and the exit code scripts expect', async () => {
    const police = await as('police.officer');
    const nobody = { SAMVERKAN_HOME: fs.mkdtempSync(path.join(os.tmpdir(), 'samverkan-nobody-')) };
    const routing = ['--category', 'trafficking_sexual', '--municipality', '0581'];
    const send = (to: string, ...more: string[]) => [
      'referral',
      'send',
      '--to',
      to,
      '--document',
      documentFile,
      ...routing,
      '--legal-basis',
      'consent',
      ...more,
    ];
    const unknownId = '31000000-0000-4000-8000-00000000dead';
    const [
      anonymousSend,
      anonymousList,
      anonymousInbox,
      unknownUnit,
      unknownJson,
      ambiguous,
      byName,
      noFile,
      invalid,
      noDevKeys,
    ] = await Promise.all([
      cli(send(U.coordinator), nobody),
      cli(['referral', 'list'], nobody),
      cli(['inbox'], nobody),
      cli(send(unknownId), police),
      cli(send(unknownId, '--json'), police),
      cli(send('Människohandelsgruppen'), police),
      cli(send('Regionkoordinatorn Östergötland', '--json'), police),
      cli(
        [
          'referral',
          'send',
          '--to',
          U.coordinator,
          '--document',
          '/no/such/file.json',
          ...routing,
          '--legal-basis',
          'consent',
        ],
        police,
      ),
      cli(['referral', 'list', '--status', 'lost'], police),
      cli(['keys', 'import-dev', '--data-dir', nobody.SAMVERKAN_HOME], police),
    ]);

    // Not logged in: the same words and exit code 3 for every command, before any request.
    for (const anonymous of [anonymousSend, anonymousList, anonymousInbox]) {
      expect(anonymous.code).toBe(3);
      expect(anonymous.stderr).toContain('✖ Authentication is required');
      expect(anonymous.stderr).toContain('→ samverkan login <user>');
      expect(anonymous.stderr).not.toContain('--unit');
    }

    // A mistyped unit id is "no such unit" with the way to find one, not a security alarm.
    expect(unknownUnit.code).toBe(2);
    expect(unknownUnit.stderr).toContain('✖ No such unit');
    expect(unknownUnit.stderr).toContain(unknownId);
    expect(unknownUnit.stderr).toContain('samverkan units search');
    expect(unknownUnit.stderr).not.toMatch(/Cryptographic|Do not trust/);
    expect(JSON.parse(unknownJson.stderr)).toMatchObject({
      error: 'unknown_unit',
      unit: unknownId,
    });

    // An exact name is resolved by search; a name that is not exactly one unit's lists the
    // candidates and sends nothing.
    expect(byName.code).toBe(0);
    expect(JSON.parse(byName.stdout)).toMatchObject({ recipientUnitId: U.coordinator });
    expect(ambiguous.code).toBe(1);
    expect(ambiguous.stderr).toContain('no unit has exactly that name; did you mean one of these');
    expect(ambiguous.stderr).toContain(U.policeTraffickingOst);
    expect(ambiguous.stderr).toContain(U.policeTraffickingNord);

    // A missing document file is named, without a stack trace or a raw ENOENT.
    expect(noFile.code).toBe(1);
    expect(noFile.stderr).toContain('/no/such/file.json: no such file');
    expect(noFile.stderr).not.toContain('ENOENT');

    // The hub's validation error is printed once, naming the field.
    expect(invalid.code).toBe(2);
    expect(invalid.stderr.match(/must be one of/g)).toHaveLength(1);
    expect(invalid.stderr).toContain('querystring.status');

    // The demo keys looked for in a folder that is not the running hub's: where they are, and
    // how to point there (not "start the hub first" while it runs).
    expect(noDevKeys.code).toBe(6);
    expect(noDevKeys.stderr).toContain(
      `no demo key store at ${path.join(nobody.SAMVERKAN_HOME, 'dev-keys', 'keys.json')}`,
    );
    expect(noDevKeys.stderr).toMatch(/--data-dir <that folder> or set SAMVERKAN_DATA_DIR/);
  });

  it("meets a newcomer's first-hour mistakes without an alarm or the hub's field names", async () => {
    const police = await as('police.officer');
    const sendTo = (to: string, document: string) => [
      'referral',
      'send',
      '--to',
      to,
      '--document',
      document,
      '--category',
      'trafficking_sexual',
      '--municipality',
      '0581',
      '--legal-basis',
      'consent',
    ];
    const invalidFile = path.join(home, 'invalid-referral.json');
    fs.writeFileSync(invalidFile, JSON.stringify({ version: 1, person: { ageBand: 'adult' } }));
    const analyst = await as('lansstyrelsen.analyst');
    const [
      invalidDocument,
      partOfAnId,
      threadId,
      sentNothing,
      noSuchReferral,
      refusedEnvToken,
      analystSend,
    ] = await Promise.all([
      cli(sendTo(U.coordinator, invalidFile), police),
      // the first column of a table, copied by half
      cli(['referral', 'show', '90ce2984'], police),
      cli(['thread', 'read', 'Frideborg'], police),
      cli(
        ['referral', 'forward', '99999999-0000-4000-8000-000000000000', '--to', 'Novahuset'],
        police,
      ),
      cli(['referral', 'show', '99999999-0000-4000-8000-000000000000'], police),
      // an exported token that has expired or is not one (the README exports one to act as the
      // coordinator), while a login is saved
      cli(['inbox'], { SAMVERKAN_TOKEN: 'not-a-jwt' }),
      cli(sendTo(U.coordinator, documentFile), analyst),
    ]);

    // A document that misses fields is the file's mistake, named field by field: before, exit 5
    // "Cryptographic check failed … Do not trust this content. Compare root fingerprints".
    expect(invalidDocument.code).toBe(1);
    expect(invalidDocument.stderr).toContain(`✖ ${invalidFile} is not a valid referral document`);
    expect(invalidDocument.stderr).toContain('/situation: missing');
    expect(invalidDocument.stderr).toContain('/consent: missing');
    expect(invalidDocument.stderr).toContain('sdk/examples/first-referral.json');
    expect(invalidDocument.stderr).not.toMatch(/Cryptographic|Do not trust|fingerprint/);

    // Part of an id: said before any request; before, 2 "params.id: must match format uuid".
    for (const [result, value] of [
      [partOfAnId, '90ce2984'],
      [threadId, 'Frideborg'],
    ] as const) {
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('✖ Not an id');
      expect(result.stderr).toContain(`${value}: an id is a whole UUID`);
      expect(result.stderr).toContain('samverkan referral list');
      expect(result.stderr).not.toContain('params.id');
    }

    // A name that is not exactly a unit's: which unit, and that nothing was sent (before: the
    // title "Usage" and "See `samverkan --help`").
    expect(sentNothing.code).toBe(1);
    expect(sentNothing.stderr).toContain('✖ Which unit?');
    expect(sentNothing.stderr).toContain('Novahuset stödsamtal');
    expect(sentNothing.stderr).toContain('Nothing was sent');
    expect(sentNothing.stderr).not.toContain('--help');

    // An id of no referral of yours: the two reasons, not the title alone.
    expect(noSuchReferral.code).toBe(2);
    expect(noSuchReferral.stderr).toContain('you only see objects of your own units');

    // The refused token came from SAMVERKAN_TOKEN, which wins over the saved login: logging in
    // again (the hint before) would change nothing.
    expect(refusedEnvToken.code).toBe(3);
    expect(refusedEnvToken.stderr).toContain('The token in SAMVERKAN_TOKEN was refused');
    expect(refusedEnvToken.stderr).toContain('unset SAMVERKAN_TOKEN');
    expect(refusedEnvToken.stderr).not.toContain('`samverkan login <user>` again');

    // An analyst sending has no unit: which roles have one (before: "Usage … pass --unit <unit
    // id>", which an analyst cannot).
    expect(analystSend.code).toBe(1);
    expect(analystSend.stderr).toContain('✖ No unit to act for');
    expect(analystSend.stderr).toContain('lansstyrelsen.analyst, roles: analyst');
    expect(analystSend.stderr).toContain('caseworker, officer, coordinator');

    // A unit named exactly that was made inactive: said so, not "No such unit".
    const admin = createSamverkanClient({
      url: running.url,
      token: (await as('hub.admin')).SAMVERKAN_TOKEN,
    });
    const umea = await data(
      admin.directory.GET('/v1/units/{id}', { params: { path: { id: U.umeaSocial } } }),
    );
    await data(
      admin.directory.PATCH('/v1/units/{id}', {
        params: { path: { id: U.umeaSocial }, header: idempotency() },
        body: { status: 'inactive' },
      } as never),
    );
    const toInactive = await cli(sendTo(umea.name, documentFile), police);
    expect(toInactive.code).toBe(2);
    expect(toInactive.stderr).toContain('✖ The unit is inactive');
    expect(toInactive.stderr).toContain(`--to ${umea.name}: that unit is inactive`);
    expect(toInactive.stderr).not.toContain('No such unit');
  });

  it('shows unit names, local times and the ids to go on with', async () => {
    const police = await as('police.officer');
    const outbox = await cli(['referral', 'list', '--box', 'outbox'], police);
    expect(outbox.code).toBe(0);
    // Unit names, not ids cut to 8 characters; times in Stockholm local time, not UTC ISO.
    expect(outbox.stdout).toContain('Regionkoordinatorn Östergötland');
    expect(outbox.stdout).not.toMatch(/\d{2}:\d{2}:\d{2}(\.\d+)?Z/);
    expect(outbox.stdout).toMatch(/\d{4}-\d{2}-\d{2} \d{2}:\d{2} \(\d+ (min|s|h|d) ago\)|\(now\)/);

    const sent = await cli(
      [
        'referral',
        'send',
        '--to',
        'Frideborg',
        '--document',
        documentFile,
        '--category',
        'trafficking_sexual',
        '--urgency',
        'acute',
        '--municipality',
        '0581',
        '--legal-basis',
        'consent',
      ],
      police,
    );
    expect(sent.code).toBe(0);
    expect(sent.stdout).toMatch(/to\s+Frideborg/);
    expect(sent.stdout).toMatch(/acknowledge by\s+\d{4}-\d{2}-\d{2} \d{2}:\d{2} \(in 1[45] min\)/);
    expect(
      (
        await cli(
          [
            'referral',
            'send',
            '--to',
            'Frideborg',
            '--document',
            documentFile,
            '--category',
            'trafficking_sexual',
            '--urgency',
            'acute',
            '--municipality',
            '0581',
            '--legal-basis',
            'consent',
          ],
          { ...police, LANG: 'sv_SE.UTF-8' },
        )
      ).stdout,
    ).toMatch(/\(om 1[45] min\)/);
  });

  it('shows the verified messages of a thread and flags the one that fails verification', async () => {
    const keys = fromDevKeyStore(running.hub.keys);
    const police = createAgency({
      client: createSamverkanClient({
        url: running.url,
        token: () => running.token('police.officer'),
      }),
      keys,
      unitId: U.policeTraffickingOst,
    });
    const sent = await police.sendReferral({
      recipientUnitId: U.coordinator,
      document: referralDocument('THREAD'),
      meta: ROUTING,
    });
    await police.postMessage(sent.id, 'First, genuine.');
    const forgedId = randomUUID();
    // Signed for another message id than the one it is filed under (a replayed message).
    const envelope = await police.seal(
      {
        kind: 'message',
        referralId: sent.id,
        messageId: forgedId,
        senderUnitId: U.policeTraffickingOst,
        recipientUnitIds: [U.coordinator],
      },
      { messageId: randomUUID(), text: 'REPLAYED-TEXT' },
    );
    await data(
      police.client.referrals.POST('/v1/referrals/{id}/messages', {
        params: { path: { id: sent.id }, header: idempotency() },
        body: { id: forgedId, senderUnitId: U.policeTraffickingOst, envelope: envelope as never },
      }),
    );
    await police.postMessage(sent.id, 'Third, genuine.');

    const coordinator = await as('coordinator.ostergotland');
    const [human, machine] = await Promise.all([
      cli(['thread', 'read', sent.id], coordinator),
      cli(['thread', 'read', sent.id, '--json'], coordinator),
    ]);
    expect(human.code).toBe(5);
    expect(human.stdout).toContain('First, genuine.');
    expect(human.stdout).toContain('Third, genuine.');
    expect(human.stdout).toContain('Människohandelsgruppen Region Öst');
    expect(human.stdout).toContain('✖ not shown: this message failed verification');
    expect(human.stdout).not.toContain('REPLAYED-TEXT');
    expect(human.stderr).toContain(
      `1 of 3 messages failed verification and are not shown: ${forgedId}`,
    );

    expect(machine.code).toBe(5);
    const items = JSON.parse(machine.stdout).items;
    expect(
      items.map((m: { verified: boolean; text: string | null }) => [m.verified, m.text]),
    ).toEqual([
      [true, 'First, genuine.'],
      [false, null],
      [true, 'Third, genuine.'],
    ]);
    expect(items[1]).toMatchObject({ id: forgedId, problem: { code: 'record_mismatch' } });
  });
});
