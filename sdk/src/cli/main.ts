import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Command, CommanderError, Option } from 'commander';
import { rootKeyFingerprint } from '../crypto/directory-keys';
import { validateReferralDocument } from '../crypto/referral-document';
import { generateRootKey } from '../crypto/unit-keys';
import {
  createAgency,
  idempotency,
  registerUnitKeys,
  type Agency,
  type ReferralCreate,
  type DeclineReason,
  type RoutingMeta,
} from '../agency';
import { createSamverkanClient, data, type SamverkanClient } from '../client';
import type { components } from '../generated/referrals';
import { KeyStoreError, SamverkanProblemError, UnknownUnitError } from '../errors';
import {
  emptyKeyStore,
  fromDevKeyStore,
  readKeyStore,
  writeKeyStore,
  type KeyStoreContent,
} from '../key-store';
import { notificationStream } from '../notifications';
import { registerDeviceCommands } from './device-commands';
import { cliHome, readSavedConfig, tokenClaims, writeSavedConfig } from './config';
import {
  colors,
  describeError,
  details,
  DOCUMENT_HINT,
  type DescribedError,
  EXIT,
  InactiveUnitError,
  NotLoggedInError,
  renderError,
  status,
  table,
  timeStyle,
  UsageError,
  when,
  withSpinner,
  type Colors,
  type TimeStyle,
} from './format';

type ReferralsSchemas = components['schemas'];

interface GlobalOptions {
  url?: string;
  token?: string;
  unit?: string;
  keystore?: string;
  json?: boolean;
  color?: boolean;
}

/** Everything a command needs, resolved from flags, environment and the saved login. */
export class Context {
  readonly home = cliHome();
  readonly saved = readSavedConfig(this.home);
  readonly json: boolean;
  readonly c: Colors;
  readonly tty = Boolean(process.stdout.isTTY);
  readonly time: TimeStyle = timeStyle();
  private cachedClient?: SamverkanClient;
  private cachedKeys?: KeyStoreContent;
  private readonly unitNames = new Map<string, Promise<string>>();

  constructor(private readonly opts: GlobalOptions) {
    this.json = Boolean(opts.json);
    this.c = colors(opts.color !== false && this.tty && !process.env.NO_COLOR && !this.json);
  }

  /** --url, SAMVERKAN_URL, the saved login's hub, or the local hub on PORT (default 3000). */
  get url(): string {
    return (
      this.opts.url ??
      process.env.SAMVERKAN_URL ??
      this.saved.url ??
      `http://localhost:${process.env.PORT || 3000}`
    );
  }

  get token(): string | undefined {
    return this.opts.token ?? process.env.SAMVERKAN_TOKEN ?? this.saved.token;
  }

  get keyStorePath(): string {
    return (
      this.opts.keystore ?? process.env.SAMVERKAN_KEYSTORE ?? path.join(this.home, 'keys.json')
    );
  }

  get passphrase(): string | undefined {
    return process.env.SAMVERKAN_KEYSTORE_PASSPHRASE || undefined;
  }

  /** The token, or the "log in first" error before any request is made without one. */
  requireToken(): string {
    const token = this.token;
    if (!token) {
      throw new NotLoggedInError(
        'no token: not logged in, and neither --token nor SAMVERKAN_TOKEN is set',
      );
    }
    return token;
  }

  /**
   * The unit to act as: --unit, SAMVERKAN_UNIT, or the token's unit when it has one. A person
   * with one unit never names it; with several, guessing would act for the wrong one.
   */
  unit(explicit?: string): string {
    const given = explicit ?? this.opts.unit ?? process.env.SAMVERKAN_UNIT;
    const token = this.requireToken();
    if (given) {
      return given;
    }
    const units = tokenClaims(token).units;
    if (units.length === 1) {
      return units[0]!;
    }
    throw new UsageError(
      units.length === 0
        ? `your login (${tokenClaims(token).sub ?? 'this token'}, roles: ${tokenClaims(token).roles.join(', ') || 'none'}) names no unit`
        : `you act for several units (${units.join(', ')}): pass --unit with one of them`,
      units.length === 0
        ? {
            title: 'No unit to act for',
            hint: "Referrals are sent and read by a unit's members (caseworker, officer, coordinator): log in as one, e.g. `samverkan login police.officer`. An organisation admin names the unit: --unit <unit id>.",
          }
        : { title: 'Which unit?' },
    );
  }

  /** A unit's name for people to read (its id when the directory does not say). */
  unitName(id: string | null | undefined): Promise<string> {
    if (!id) {
      return Promise.resolve('');
    }
    let name = this.unitNames.get(id);
    if (!name) {
      name = data(this.client().directory.GET('/v1/units/{id}', { params: { path: { id } } }))
        .then((u) => u.name)
        .catch(() => id);
      this.unitNames.set(id, name);
    }
    return name;
  }

  /** Names for several unit ids at once (looked up in parallel, each once). */
  async unitNamesOf(ids: Array<string | null | undefined>): Promise<Map<string, string>> {
    const unique = [...new Set(ids.filter((id): id is string => Boolean(id)))];
    const names = await Promise.all(unique.map((id) => this.unitName(id)));
    return new Map(unique.map((id, i) => [id, names[i]!]));
  }

  /**
   * A unit given by id or by name: an id must exist in the directory; a name is looked up by
   * search and must match one unit (an exact name first), else the candidates are listed.
   */
  async resolveUnit(value: string, flag: string): Promise<string> {
    const client = this.client();
    if (UUID.test(value)) {
      try {
        const unit = await data(
          client.directory.GET('/v1/units/{id}', { params: { path: { id: value } } }),
        );
        return unit.id;
      } catch (err) {
        if (err instanceof SamverkanProblemError && err.status === 404) {
          throw new UnknownUnitError(value, `${flag} ${value}: no such unit in the directory`);
        }
        throw err;
      }
    }
    const res = await data(
      client.directory.GET('/v1/units', { params: { query: { q: value } as never } }),
    );
    const found = (
      res as { items: Array<{ id: string; name: string; organisation?: { name?: string } }> }
    ).items;
    const norm = (text: string) => text.normalize('NFKC').trim().toLocaleLowerCase('sv');
    // Only an exact name picks a unit: a referral must not go to a unit that merely resembles
    // the name typed.
    const exact = found.filter((u) => norm(u.name) === norm(value));
    if (exact.length === 1) {
      return exact[0]!.id;
    }
    if (found.length === 0) {
      // The search lists active units only: a unit of exactly that name that was made inactive is
      // named as such, not "no such unit".
      const inactive = await data(
        client.directory.GET('/v1/units', {
          params: { query: { q: value, status: 'inactive' } as never },
        }),
      ).then(
        (r) =>
          (r as { items: Array<{ name: string }> }).items.filter(
            (u) => norm(u.name) === norm(value),
          ),
        () => [],
      );
      throw inactive.length > 0
        ? new InactiveUnitError(value, `${flag} ${value}: that unit is inactive`)
        : new UnknownUnitError(value, `${flag} ${value}: no unit of that name or id`);
    }
    const listed = (exact.length > 0 ? exact : found).map(
      (u) => `  ${u.id}  ${u.name}${u.organisation?.name ? ` (${u.organisation.name})` : ''}`,
    );
    throw new UsageError(
      [
        exact.length > 1
          ? `${flag} ${value}: ${exact.length} units have that name; pass the id of the one you mean:`
          : `${flag} ${value}: no unit has exactly that name; did you mean one of these (pass its name or id)?`,
        ...listed,
      ].join('\n'),
      {
        title: 'Which unit?',
        hint: 'Nothing was sent. Pass the whole name as listed (in quotes), or the id.',
      },
    );
  }

  resolveUnits(values: string[], flag: string): Promise<string[]> {
    return Promise.all(values.map((v) => this.resolveUnit(v, flag)));
  }

  client(): SamverkanClient {
    this.cachedClient ??= createSamverkanClient({ url: this.url, token: this.token });
    return this.cachedClient;
  }

  keys(): KeyStoreContent {
    this.cachedKeys ??= readKeyStore(this.keyStorePath, { passphrase: this.passphrase });
    return this.cachedKeys;
  }

  keysOrEmpty(): KeyStoreContent {
    return fs.existsSync(this.keyStorePath) ? this.keys() : emptyKeyStore();
  }

  saveKeys(content: KeyStoreContent): void {
    writeKeyStore(this.keyStorePath, content, { passphrase: this.passphrase });
    this.cachedKeys = content;
  }

  agency(unit?: string): Agency {
    // Who acts comes first: not logged in is the first thing to tell, before the key store.
    const unitId = this.unit(unit);
    return createAgency({ client: this.client(), keys: this.keys(), unitId });
  }

  /** Prints the JSON for scripts with --json, the human text otherwise. */
  print(json: unknown, human: string | (() => string)): void {
    if (this.json) {
      process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
    } else {
      process.stdout.write(`${typeof human === 'function' ? human() : human}\n`);
    }
  }

  step<T>(label: string, work: () => Promise<T>): Promise<T> {
    return withSpinner(label, this.tty && !this.json && Boolean(process.stderr.isTTY), work);
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Where a command's ids come from, by the command's group. */
const ID_SOURCES: Record<string, string> = {
  referral: '`samverkan referral list` (or `samverkan inbox`)',
  thread: '`samverkan referral list` (or `samverkan inbox`)',
  audit: '`samverkan referral list`',
  device: '`samverkan device list`',
};

/**
 * An id argument (`<id>`, `<referralId>`, …) that is not a whole UUID — the first part copied from
 * a table, a name typed where an id goes — is a usage mistake said as such, before any request
 * (the hub would answer "params.id must match format uuid").
 */
function checkIdArguments(action: Command): void {
  action.registeredArguments.forEach((argument, i) => {
    const value = action.processedArgs[i] as unknown;
    if (!/^(id|[a-z]+Id)$/.test(argument.name()) || typeof value !== 'string' || UUID.test(value)) {
      return;
    }
    const group = action.parent?.name() ?? '';
    throw new UsageError(
      `<${argument.name()}> ${value}: an id is a whole UUID, such as 31000000-0000-4000-8000-000000000001`,
      {
        title: 'Not an id',
        hint: `Copy the whole id from ${ID_SOURCES[group] ?? 'the output that showed it'}.`,
      },
    );
  });
}

function readJsonInput(source: string): Record<string, unknown> {
  let text: string;
  try {
    text = source === '-' ? fs.readFileSync(0, 'utf8') : fs.readFileSync(source, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(
      code === 'ENOENT'
        ? `${source}: no such file`
        : code === 'EISDIR'
          ? `${source} is a folder, not a JSON file`
          : `cannot read ${source}: ${code ?? (err as Error).message}`,
    );
  }
  try {
    const value = JSON.parse(text) as unknown;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new UsageError(`${source} must hold a JSON object`);
    }
    return value as Record<string, unknown>;
  } catch (err) {
    if (err instanceof UsageError) {
      throw err;
    }
    throw new UsageError(`${source} is not valid JSON`);
  }
}

function list(value: string, previous: string[] = []): string[] {
  return [
    ...previous,
    ...value
      .split(',')
      .map((v) => v.trim())
      .filter(Boolean),
  ];
}

const CATEGORIES =
  'trafficking_sexual | trafficking_labour | sex_for_compensation | child_sexual_exploitation | buyer_support | other';

export function buildProgram(): Command {
  const program = new Command('samverkan')
    .description('Samverkan hub: end-to-end encrypted referrals between agencies')
    .option(
      '--url <url>',
      'hub URL (SAMVERKAN_URL; default the saved login, else http://localhost:$PORT, PORT 3000)',
    )
    .option('--token <jwt>', 'bearer token (SAMVERKAN_TOKEN; default the saved login)')
    .option('--unit <id>', 'unit to act as (SAMVERKAN_UNIT; default the unit of your login)')
    .option('--keystore <file>', 'key store file (SAMVERKAN_KEYSTORE; default <home>/keys.json)')
    .option('--json', 'machine-readable JSON output')
    .option('--no-color', 'no colours')
    .showHelpAfterError()
    .exitOverride()
    .hook('preAction', (_program, action) => checkIdArguments(action));

  const ctx = () => new Context(program.opts<GlobalOptions>());

  // ----- login / token ------------------------------------------------------------------------
  const devDataDir = new Option('--data-dir <dir>', "the hub's data folder with the dev issuer")
    .env('SAMVERKAN_DATA_DIR')
    .default('./data');
  /**
   * A development token from the hub itself (`POST /v1/dev/tokens`, served only while its
   * development issuer is on): signed with the key of the hub's own data folder, so it cannot be
   * minted against the wrong folder, and the CLI needs none of the hub's code.
   */
  async function devToken(user: string, ttl?: string): Promise<string> {
    const c = ctx();
    const ttlSeconds = ttl === undefined ? undefined : Number(ttl);
    if (ttlSeconds !== undefined && (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0)) {
      throw new UsageError('--ttl takes a whole number of seconds');
    }
    const client = createSamverkanClient({ url: c.url });
    try {
      const res = await data(
        client.directory.POST('/v1/dev/tokens', {
          body: { user, ...(ttlSeconds === undefined ? {} : { ttlSeconds }) },
        }),
      );
      return res.token;
    } catch (err) {
      if (err instanceof SamverkanProblemError && err.status === 404) {
        throw new UsageError(
          `the hub at ${c.url} has no development token issuer (AUTH_DEV_ISSUER is off): get a token from your organisation's identity provider and pass it with --token or SAMVERKAN_TOKEN`,
        );
      }
      throw err;
    }
  }

  program
    .command('login')
    .description("log in as a seeded user through the hub's development issuer and save the token")
    .argument('<user>', 'seeded user, e.g. police.officer')
    .action(async (user: string) => {
      const c = ctx();
      const token = await devToken(user);
      writeSavedConfig(c.home, { ...c.saved, url: c.url, token, user });
      const claims = tokenClaims(token);
      c.print({ user, url: c.url, ...claims }, () =>
        [
          `${c.c.green('✔')} Logged in as ${c.c.bold(user)} at ${c.url}`,
          details(
            [
              ['organisation', claims.org],
              ['units', claims.units.join(', ')],
              ['roles', claims.roles.join(', ')],
            ],
            c.c,
          ),
        ].join('\n'),
      );
    });

  program
    .command('token')
    .description('print a development token for a seeded user (nothing else on stdout)')
    .argument('<user>')
    .option('--ttl <seconds>', 'lifetime in seconds')
    .action(async (user: string, o: { ttl?: string }) => {
      process.stdout.write(`${await devToken(user, o.ttl)}\n`);
    });

  program
    .command('logout')
    .description('forget the saved token')
    .action(() => {
      const c = ctx();
      writeSavedConfig(c.home, { url: c.saved.url });
      c.print({ loggedOut: true }, 'Logged out.');
    });

  // ----- keys ---------------------------------------------------------------------------------
  const keys = program.command('keys').description('your key store and the directory keys');

  keys
    .command('import-dev')
    .description('import the demo key store (<data dir>/dev-keys/keys.json) of the seeded units')
    .addOption(devDataDir)
    .action((o: { dataDir: string }) => {
      const c = ctx();
      const file = path.join(o.dataDir, 'dev-keys', 'keys.json');
      if (!fs.existsSync(file)) {
        // The hub may well be running, on another data folder than this shell's.
        throw new KeyStoreError(
          `no demo key store at ${path.resolve(file)}. The hub writes it into its data folder, the one ` +
            '`npm start` prints as "data folder" (SAMVERKAN_DATA_DIR, default ./data): pass ' +
            '--data-dir <that folder> or set SAMVERKAN_DATA_DIR, or start the hub first (npm start)',
        );
      }
      const imported = fromDevKeyStore(
        JSON.parse(fs.readFileSync(file, 'utf8')) as Parameters<typeof fromDevKeyStore>[0],
      );
      const current = c.keysOrEmpty();
      const merged: KeyStoreContent = {
        version: 1,
        roots: { ...current.roots, ...imported.roots },
        units: { ...current.units, ...imported.units },
        pins: { ...current.pins, ...imported.pins },
      };
      c.saveKeys(merged);
      c.print(
        {
          keyStore: c.keyStorePath,
          organisations: Object.keys(imported.roots).length,
          units: Object.keys(imported.units).length,
        },
        `${c.c.green('✔')} Imported ${Object.keys(imported.units).length} units and ${Object.keys(imported.roots).length} pinned roots into ${c.keyStorePath}`,
      );
    });

  keys
    .command('init')
    .description('generate unit keys, sign them with the organisation root key and register them')
    .option('--root', 'generate a new organisation root key instead (register it with a hub admin)')
    .option('--org <id>', 'organisation id (default: the organisation of the token or unit)')
    .option('--register', 'with --root: register the root key now (needs a hub admin token)')
    .action(async (o: { root?: boolean; org?: string; register?: boolean }) => {
      const c = ctx();
      const store = c.keysOrEmpty();
      if (o.root) {
        const org = o.org ?? tokenClaims(c.token).org;
        if (!org) {
          throw new UsageError('pass --org <organisation id>');
        }
        if (store.roots[org]) {
          throw new UsageError(`the key store already holds a root key for ${org}`);
        }
        const root = await generateRootKey();
        store.roots[org] = root;
        store.pins[org] = [...new Set([...(store.pins[org] ?? []), root.kid])];
        c.saveKeys(store);
        if (o.register) {
          const { kty, crv, x } = root.publicJwk;
          await data(
            c.client().directory.POST('/v1/organisations/{id}/root-keys', {
              params: { path: { id: org } },
              body: { jwk: { kty, crv, x } as never, fingerprint: root.kid },
            }),
          );
        }
        c.print(
          { organisationId: org, kid: root.kid, fingerprint: root.kid, registered: !!o.register },
          [
            `${c.c.green('✔')} Root key generated for ${org}`,
            `fingerprint ${c.c.bold(root.kid)}`,
            o.register
              ? 'registered with the hub'
              : 'Give the public key and this fingerprint to the hub administrator, and compare the fingerprint by phone.',
          ].join('\n'),
        );
        return;
      }
      const unitId = c.unit();
      const unit = await data(
        c.client().directory.GET('/v1/units/{id}', { params: { path: { id: unitId } } }),
      );
      const root = store.roots[unit.organisationId];
      if (!root) {
        throw new KeyStoreError(
          `the key store has no root key of organisation ${unit.organisationId}: run keys init --root first`,
        );
      }
      const generated = await c.step('Generating and registering unit keys', () =>
        registerUnitKeys(c.client(), root, { unitId, organisationId: unit.organisationId }),
      );
      const ring = store.units[unitId] ?? { enc: [], sig: [] };
      store.units[unitId] = {
        organisationId: unit.organisationId,
        enc: [...ring.enc, generated.enc],
        sig: [...ring.sig, generated.sig],
      };
      c.saveKeys(store);
      c.print(
        { unitId, encKid: generated.enc.kid, sigKid: generated.sig.kid },
        `${c.c.green('✔')} Registered keys for ${unit.name}\n${details(
          [
            ['encryption', generated.enc.kid],
            ['signing', generated.sig.kid],
          ],
          c.c,
        )}`,
      );
    });

  keys
    .command('rotate')
    .description(
      'register new unit keys and retire the previous ones (kept locally for old envelopes)',
    )
    .action(async () => {
      const c = ctx();
      const store = c.keys();
      const unitId = c.unit();
      const unit = await data(
        c.client().directory.GET('/v1/units/{id}', { params: { path: { id: unitId } } }),
      );
      const root = store.roots[unit.organisationId];
      if (!root) {
        throw new KeyStoreError(
          `the key store has no root key of organisation ${unit.organisationId}`,
        );
      }
      const previous = store.units[unitId] ?? { enc: [], sig: [] };
      const generated = await registerUnitKeys(c.client(), root, {
        unitId,
        organisationId: unit.organisationId,
      });
      store.units[unitId] = {
        organisationId: unit.organisationId,
        enc: [...previous.enc, generated.enc],
        sig: [...previous.sig, generated.sig],
      };
      c.saveKeys(store);
      const retired: string[] = [];
      for (const old of [...previous.enc, ...previous.sig]) {
        try {
          await data(
            c.client().directory.POST('/v1/units/{id}/keys/{kid}/retire', {
              params: { path: { id: unitId, kid: old.kid } },
            }),
          );
          retired.push(old.kid);
        } catch {
          // Already retired or revoked: nothing to do.
        }
      }
      c.print(
        { unitId, encKid: generated.enc.kid, sigKid: generated.sig.kid, retired },
        `${c.c.green('✔')} Rotated keys of ${unit.name}; retired ${retired.length} previous keys`,
      );
    });

  keys
    .command('list')
    .description("a unit's published keys, and which of them this key store holds")
    .action(async () => {
      const c = ctx();
      const unitId = c.unit();
      const local = fs.existsSync(c.keyStorePath) ? c.keys().units[unitId] : undefined;
      const held = new Set([...(local?.enc ?? []), ...(local?.sig ?? [])].map((k) => k.kid));
      const res = await data(
        c.client().directory.GET('/v1/units/{id}/keys', { params: { path: { id: unitId } } }),
      );
      const items = res.items.map((k) => ({
        kid: k.kid,
        use: k.use,
        status: k.status,
        publishedAt: k.publishedAt,
        privateKeyHere: held.has(k.kid),
      }));
      c.print({ unitId, keys: items }, () =>
        table(
          items,
          [
            { header: 'KID', value: (k) => k.kid },
            { header: 'USE', value: (k) => k.use },
            { header: 'STATUS', value: (k) => status(k.status, c.c) },
            { header: 'HERE', value: (k) => (k.privateKeyHere ? c.c.green('yes') : c.c.dim('no')) },
            { header: 'PUBLISHED', value: (k) => when(k.publishedAt, c.time, false) },
          ],
          c.c,
        ),
      );
    });

  keys
    .command('fingerprint')
    .description('root key fingerprints to compare out of band (your own, or --org)')
    .option('--org <id>', 'organisation id (default: the organisation of the token)')
    .action(async (o: { org?: string }) => {
      const c = ctx();
      const org = o.org ?? tokenClaims(c.token).org;
      if (!org) {
        throw new UsageError('pass --org <organisation id>');
      }
      const res = await data(
        c.client().directory.GET('/v1/organisations/{id}/root-keys', {
          params: { path: { id: org } },
        }),
      );
      const pins = fs.existsSync(c.keyStorePath) ? (c.keys().pins[org] ?? []) : [];
      const items: Array<{ kid: string; fingerprint: string; status: string; pinned: boolean }> =
        [];
      for (const k of res.items) {
        // Recomputed from the key, never the served value: the hub could serve any text there.
        const fingerprint = await rootKeyFingerprint(k.jwk);
        items.push({
          kid: k.kid,
          fingerprint,
          status: k.status,
          pinned: pins.includes(fingerprint),
        });
      }
      c.print({ organisationId: org, rootKeys: items }, () =>
        table(
          items,
          [
            { header: 'FINGERPRINT (SHA-256)', value: (k) => c.c.bold(k.fingerprint) },
            { header: 'STATUS', value: (k) => k.status },
            { header: 'PINNED', value: (k) => (k.pinned ? c.c.green('yes') : c.c.yellow('no')) },
          ],
          c.c,
        ),
      );
    });

  keys
    .command('pin')
    .description('trust a root key fingerprint of an organisation (after comparing it out of band)')
    .argument('<org>')
    .argument('<fingerprint>')
    .action((org: string, fingerprint: string) => {
      const c = ctx();
      const store = c.keysOrEmpty();
      store.pins[org] = [...new Set([...(store.pins[org] ?? []), fingerprint])];
      c.saveKeys(store);
      c.print(
        { organisationId: org, pins: store.pins[org] },
        `${c.c.green('✔')} Pinned ${fingerprint} for ${org}`,
      );
    });

  // ----- units --------------------------------------------------------------------------------
  program
    .command('units')
    .description('the directory of units')
    .command('search')
    .description('find units: who can take this case here?')
    .argument('[q]', 'free text')
    .option('--capability <c>')
    .option('--municipality <code>')
    .option('--kind <organisationKind>')
    .option('--age-band <band>')
    .action(
      async (
        q: string | undefined,
        o: { capability?: string; municipality?: string; kind?: string; ageBand?: string },
      ) => {
        const c = ctx();
        const query: Record<string, string> = {};
        if (q) {
          query.q = q;
        }
        if (o.capability) {
          query.capability = o.capability;
        }
        if (o.municipality) {
          query.municipality = o.municipality;
        }
        if (o.kind) {
          query.organisationKind = o.kind;
        }
        if (o.ageBand) {
          query.ageBand = o.ageBand;
        }
        const res = await data(
          c.client().directory.GET('/v1/units', { params: { query: query as never } }),
        );
        const items = (res as { items: Array<Record<string, unknown>> }).items;
        c.print(res, () =>
          table(
            items,
            [
              { header: 'ID', value: (u) => String(u.id) },
              { header: 'NAME', value: (u) => c.c.bold(String(u.name)) },
              {
                header: 'ORGANISATION',
                value: (u) => String((u.organisation as { name?: string } | undefined)?.name ?? ''),
              },
            ],
            c.c,
          ),
        );
      },
    );

  // ----- referrals ----------------------------------------------------------------------------
  const referral = program.command('referral').description('encrypted referrals');

  const referralRow = (r: {
    id: string;
    status: string;
    urgency: string;
    category: string;
    senderUnitId: string;
    recipientUnitId: string;
    createdAt: string;
  }) => r;

  referral
    .command('send')
    .description('validate, sign, encrypt and send a referral document')
    .requiredOption('--to <unit>', 'recipient unit: its name or id (see `units search`)')
    .option('--copy <units>', 'copy units, names or ids, comma-separated', list)
    .requiredOption('--document <file>', 'the referral document (JSON; - for stdin)')
    .requiredOption('--category <category>', CATEGORIES)
    .option('--urgency <urgency>', 'acute | urgent | routine', 'urgent')
    .option('--age-band <band>', 'child | adult | unknown (default from the document)')
    .option('--gender <gender>', 'female | male | non_binary | unknown (default from the document)')
    .option('--citizenship <group>', 'swedish | eu | non_eu | unknown', 'unknown')
    .requiredOption('--municipality <code>', 'municipality code, e.g. 0581')
    .requiredOption(
      '--legal-basis <basis>',
      'consent | child_protection | acute_protection | legal_duty',
    )
    .option(
      '--justification <text>',
      'why acute_protection applies (required for it); sealed for the parties, never sent in clear',
    )
    .action(
      async (o: {
        to: string;
        copy?: string[];
        document: string;
        category: string;
        urgency: string;
        ageBand?: string;
        gender?: string;
        citizenship: string;
        municipality: string;
        legalBasis: string;
        justification?: string;
      }) => {
        const c = ctx();
        const agency = c.agency();
        const document = readJsonInput(o.document);
        // The file's mistakes first, one line each, before any unit is looked up or key fetched.
        const problems = validateReferralDocument(document);
        if (problems.length > 0) {
          throw new UsageError(
            problems
              .map(
                (p) =>
                  `${p.path || '(the document)'}: ${
                    p.message.startsWith('must have required property') ? 'missing' : p.message
                  }`,
              )
              .join('\n'),
            { title: `${o.document} is not a valid referral document`, hint: DOCUMENT_HINT },
          );
        }
        const person = (document.person ?? {}) as { ageBand?: string; gender?: string };
        const recipientUnitId = await c.resolveUnit(o.to, '--to');
        const copyUnitIds = await c.resolveUnits(o.copy ?? [], '--copy');
        const sent = await c.step('Encrypting and sending', () =>
          agency.sendReferral({
            recipientUnitId,
            copyUnitIds,
            document,
            meta: {
              category: o.category,
              urgency: o.urgency,
              ageBand: o.ageBand ?? person.ageBand ?? 'unknown',
              gender: o.gender ?? person.gender ?? 'unknown',
              citizenshipGroup: o.citizenship,
              municipalityCode: o.municipality,
              legalBasis: o.legalBasis,
            } as RoutingMeta,
            ...(o.justification ? { justification: o.justification } : {}),
          }),
        );
        const toName = c.json ? '' : await c.unitName(sent.recipientUnitId);
        c.print(sent, () =>
          [
            `${c.c.green('✔')} Referral ${c.c.bold(sent.id)} sent, end-to-end encrypted`,
            details(
              [
                ['status', status(sent.status, c.c)],
                ['to', toName],
                ['acknowledge by', when(sent.acknowledgeBy, c.time)],
              ],
              c.c,
            ),
          ].join('\n'),
        );
      },
    );

  referral
    .command('list')
    .description('referrals of your unit')
    .option('--box <box>', 'inbox | outbox', 'inbox')
    .option('--status <status>')
    .action(async (o: { box: string; status?: string }) => {
      const c = ctx();
      c.requireToken();
      if (o.box !== 'inbox' && o.box !== 'outbox') {
        throw new UsageError(`--box is inbox or outbox, not ${o.box}`);
      }
      // Without --unit the hub lists every unit the caller acts for.
      const unit = program.opts<GlobalOptions>().unit ?? process.env.SAMVERKAN_UNIT;
      const res = await data(
        c.client().referrals.GET('/v1/referrals', {
          params: {
            query: {
              box: o.box,
              ...(unit ? { unit } : {}),
              ...(o.status ? { status: [o.status] as never } : {}),
            },
          },
        }),
      );
      const names = c.json
        ? new Map<string, string>()
        : await c.unitNamesOf(
            res.items.map((r) => (o.box === 'inbox' ? r.senderUnitId : r.recipientUnitId)),
          );
      c.print(res, () =>
        table(
          res.items.map(referralRow),
          [
            { header: 'ID', value: (r) => r.id },
            { header: 'STATUS', value: (r) => status(r.status, c.c) },
            {
              header: 'URGENCY',
              value: (r) => (r.urgency === 'acute' ? c.c.red(r.urgency) : r.urgency),
            },
            { header: 'CATEGORY', value: (r) => r.category },
            {
              header: o.box === 'inbox' ? 'FROM' : 'TO',
              value: (r) => {
                const id = o.box === 'inbox' ? r.senderUnitId : r.recipientUnitId;
                return names.get(id) ?? id;
              },
            },
            { header: 'CREATED', value: (r) => when(r.createdAt, c.time) },
          ],
          c.c,
        ),
      );
    });

  referral
    .command('show')
    .description('a referral, decrypted and verified locally')
    .argument('<id>')
    .option('--no-decrypt', 'only the routing metadata')
    .action(async (id: string, o: { decrypt: boolean }) => {
      const c = ctx();
      const agency = c.agency();
      const r = await agency.referral(id);
      const opened = o.decrypt
        ? await c.step('Decrypting and verifying', () => agency.openReferral(id))
        : undefined;
      const names = c.json
        ? new Map<string, string>()
        : await c.unitNamesOf([r.senderUnitId, r.recipientUnitId, ...r.copyUnitIds]);
      const named = (id: string) => `${names.get(id) ?? id} ${c.c.dim(id)}`;
      c.print(
        {
          referral: r,
          ...(opened
            ? {
                document: opened.document,
                verified: {
                  signedBy: opened.claims.iss,
                  version: opened.version,
                  aad: opened.aad,
                  metadata: opened.metadata,
                },
              }
            : {}),
        },
        () =>
          [
            details(
              [
                ['id', r.id],
                ['status', status(r.status, c.c)],
                ['category', r.category],
                ['urgency', r.urgency],
                ['from', named(r.senderUnitId)],
                ['to', named(r.recipientUnitId)],
                ['copies', r.copyUnitIds.map(named).join(', ')],
                ['created', when(r.createdAt, c.time)],
                ['acknowledge by', r.status === 'sent' ? when(r.acknowledgeBy, c.time) : undefined],
              ],
              c.c,
            ),
            opened
              ? `${c.c.green('✔')} signature of ${names.get(opened.claims.iss ?? '') ?? opened.claims.iss} verified; ${
                  opened.version === 2
                    ? "the hub's record matches every field the sender signed"
                    : 'recipients and referral id match (a version 1 envelope: the other fields were not signed)'
                }\n${JSON.stringify(opened.document, null, 2)}`
              : '',
          ]
            .filter(Boolean)
            .join('\n\n'),
      );
    });

  const transition = (
    name: string,
    description: string,
    call: (
      c: Context,
      id: string,
      o: Record<string, string>,
    ) => Promise<{ id: string; status: string }>,
    configure: (cmd: Command) => Command = (cmd) => cmd,
  ) =>
    configure(referral.command(name).description(description).argument('<id>')).action(
      async (id: string, o: Record<string, string>) => {
        const c = ctx();
        const r = await call(c, id, o);
        c.print(r, `${c.c.green('✔')} Referral ${r.id} is now ${status(r.status, c.c)}`);
      },
    );
  const post = (c: Context, p: string, id: string, body: Record<string, unknown> = {}) =>
    data(
      c.client().referrals.POST(p as '/v1/referrals/{id}/accept', {
        params: { path: { id }, header: idempotency() },
        body: body as never,
      }),
    ) as Promise<{ id: string; status: string }>;

  transition('ack', 'acknowledge receipt', (c, id) =>
    post(c, '/v1/referrals/{id}/acknowledge', id),
  );
  transition('accept', 'accept the referral', (c, id) => post(c, '/v1/referrals/{id}/accept', id));
  transition(
    'decline',
    'decline with a reason',
    (c, id, o) =>
      // A note is case content: sealed for the parties with the unit's keys, never sent in clear.
      o.note
        ? c.step('Sealing the note and declining', () =>
            c.agency().declineReferral(id, o.reason as DeclineReason, o.note),
          )
        : post(c, '/v1/referrals/{id}/decline', id, { reason: o.reason }),
    (cmd) =>
      cmd
        .requiredOption(
          '--reason <reason>',
          'no_capacity | outside_mandate | person_declined | unreachable | duplicate | other',
        )
        .option(
          '--note <text>',
          'a note for the sender (sealed for the parties; required with other)',
        ),
  );
  transition('withdraw', 'withdraw a referral you sent', (c, id) =>
    post(c, '/v1/referrals/{id}/withdraw', id),
  );
  transition(
    'handover',
    'plan the warm handover',
    (c, id, o) =>
      post(c, '/v1/referrals/{id}/handover', id, {
        mode: o.mode,
        plannedFor: new Date(o.at ?? Date.now()).toISOString(),
      }),
    (cmd) =>
      cmd
        .requiredOption('--mode <mode>', 'in_person | phone | video')
        .option('--at <time>', 'ISO time (default now)'),
  );
  transition(
    'confirm',
    'confirm the handover took place',
    (c, id, o) => post(c, '/v1/referrals/{id}/confirm-handover', id, { side: o.side }),
    (cmd) => cmd.requiredOption('--side <side>', 'sender | recipient'),
  );
  transition(
    'close',
    'close with an outcome',
    (c, id, o) => post(c, '/v1/referrals/{id}/close', id, { outcome: o.outcome }),
    (cmd) =>
      cmd.requiredOption(
        '--outcome <outcome>',
        'support_started | person_declined | unreachable | referred_elsewhere | other',
      ),
  );

  referral
    .command('forward')
    .description('coordinator: forward to further units, re-encrypted for each')
    .argument('<id>')
    .requiredOption('--to <units>', 'units, names or ids, comma-separated', list)
    .action(async (id: string, o: { to: string[] }) => {
      const c = ctx();
      const agency = c.agency();
      const to = await c.resolveUnits(o.to, '--to');
      const res = await c.step('Decrypting and re-encrypting for each unit', () =>
        agency.forwardReferral(
          id,
          to.map((recipientUnitId) => ({ recipientUnitId })),
        ),
      );
      const names = c.json ? new Map<string, string>() : await c.unitNamesOf(to);
      c.print(res, () =>
        [
          `${c.c.green('✔')} Forwarded ${id}`,
          ...res.forwards.map(
            (f) =>
              `  → ${names.get(f.recipientUnitId) ?? f.recipientUnitId}: referral ${c.c.bold(f.id)}`,
          ),
        ].join('\n'),
      );
    });

  // ----- thread -------------------------------------------------------------------------------
  const thread = program.command('thread').description("a referral's encrypted message thread");
  thread
    .command('post')
    .description('post an encrypted message')
    .argument('<referralId>')
    .argument('<text...>')
    .action(async (referralId: string, text: string[]) => {
      const c = ctx();
      const m = await c.agency().postMessage(referralId, text.join(' '));
      c.print(m, `${c.c.green('✔')} Message ${m.id} posted`);
    });
  thread
    .command('read')
    .description('read the thread, decrypting and verifying each message')
    .argument('<referralId>')
    .action(async (referralId: string) => {
      const c = ctx();
      const messages = await c.agency().readMessages(referralId);
      const names = c.json
        ? new Map<string, string>()
        : await c.unitNamesOf(messages.map((m) => m.senderUnitId));
      c.print({ referralId, items: messages }, () =>
        messages.length === 0
          ? c.c.dim('(no messages)')
          : messages
              .map((m) => {
                const head = `${c.c.dim(when(m.createdAt, c.time, false))} ${c.c.bold(names.get(m.senderUnitId) ?? m.senderUnitId)}`;
                const label =
                  m.verified && m.purpose
                    ? `${c.c.dim(m.purpose === 'justification' ? '[justification]' : '[decline note]')} `
                    : '';
                return m.verified
                  ? `${head}  ${label}${m.text}`
                  : `${head}  ${c.c.red('✖ not shown: this message failed verification')} (${m.problem.message})`;
              })
              .join('\n'),
      );
      const bad = messages.filter((m) => !m.verified);
      if (bad.length > 0) {
        // The valid messages are shown above; the exit code still tells scripts one was bad.
        process.stderr.write(
          `${c.c.red('✖')} ${bad.length} of ${messages.length} messages failed verification and are not shown: ${bad.map((m) => m.id).join(', ')}\n` +
            `${c.c.dim('→')} Do not trust them; tell the sender's unit and compare root fingerprints (\`samverkan keys fingerprint\`).\n`,
        );
        process.exitCode = EXIT.crypto;
      }
    });

  // ----- auditors ----------------------------------------------------------------------------
  const audit = program
    .command('audit')
    .description("an auditor's reading of what their organisation sent");
  audit
    .command('justification')
    .description(
      'open the sealed justification of a referral your organisation sent (as its audit unit; audited, the referral itself stays closed)',
    )
    .argument('<referralId>')
    .action(async (referralId: string) => {
      const c = ctx();
      const opened = await c.agency().openJustificationAsAuditor(referralId);
      const names = c.json ? new Map<string, string>() : await c.unitNamesOf([opened.senderUnitId]);
      c.print(
        { ...opened, signedAt: opened.signedAt.toISOString() },
        () =>
          `${c.c.dim(when(opened.signedAt.toISOString(), c.time, false))} ${c.c.bold(names.get(opened.senderUnitId) ?? opened.senderUnitId)}  ${c.c.dim('[justification]')} ${opened.text}\n` +
          c.c.dim(
            '(signature checked; this reading is in the audit log and the parties’ access log)',
          ),
      );
    });

  // ----- operations and field requests --------------------------------------------------------
  const operation = program.command('operation').description('joint operation weeks');
  const time = (value: string, name: string): string => {
    const at = new Date(value);
    if (Number.isNaN(at.getTime())) {
      throw new UsageError(`${name} is not a time: ${value}`);
    }
    return at.toISOString();
  };
  operation
    .command('create')
    .description('plan an operation week, organised by your unit')
    .requiredOption('--name <name>')
    .requiredOption('--municipality <codes>', 'comma-separated municipality codes', list)
    .requiredOption('--from <time>', 'start (ISO time)')
    .requiredOption('--to <time>', 'end (ISO time)')
    .option('--invite <units>', 'units to invite, names or ids, comma-separated', list)
    .option('--coordinator <unit>', 'the regional coordinator unit (name or id)')
    .action(
      async (o: {
        name: string;
        municipality: string[];
        from: string;
        to: string;
        invite?: string[];
        coordinator?: string;
      }) => {
        const c = ctx();
        const organiserUnitId = c.unit();
        const invitedUnitIds = await c.resolveUnits(o.invite ?? [], '--invite');
        const coordinatorUnitId = o.coordinator
          ? await c.resolveUnit(o.coordinator, '--coordinator')
          : undefined;
        const op = await data(
          c.client().referrals.POST('/v1/operations', {
            params: { header: idempotency() },
            body: {
              name: o.name,
              municipalityCodes: o.municipality,
              startsAt: time(o.from, '--from'),
              endsAt: time(o.to, '--to'),
              organiserUnitId,
              ...(coordinatorUnitId ? { coordinatorUnitId } : {}),
              invitedUnitIds,
            },
          }),
        );
        c.print(op, `${c.c.green('✔')} Operation ${c.c.bold(op.id)} planned: ${op.name}`);
      },
    );
  operation
    .command('invite')
    .description('invite further units')
    .argument('<id>')
    .requiredOption('--units <units>', 'units, names or ids, comma-separated', list)
    .action(async (id: string, o: { units: string[] }) => {
      const c = ctx();
      const unitIds = await c.resolveUnits(o.units, '--units');
      const op = await data(
        c.client().referrals.POST('/v1/operations/{id}/participants', {
          params: { path: { id }, header: idempotency() },
          body: { unitIds },
        }),
      );
      c.print(op, `${c.c.green('✔')} Invited ${o.units.length} units`);
    });
  operation
    .command('join')
    .description("accept an invitation for a unit (its organisation's admin or coordinator)")
    .argument('<id>')
    .action(async (id: string) => {
      const c = ctx();
      const unitId = c.unit();
      const op = await data(
        c.client().referrals.POST('/v1/operations/{id}/participants/{unitId}/accept', {
          params: { path: { id, unitId }, header: idempotency() },
          // The contract makes the body optional, but the hub refuses a POST without one.
          body: {},
        }),
      );
      c.print(op, `${c.c.green('✔')} Unit ${unitId} takes part in ${op.name}`);
    });
  for (const step of ['activate', 'complete', 'cancel'] as const) {
    operation
      .command(step)
      .description(`${step} the operation`)
      .argument('<id>')
      .action(async (id: string) => {
        const c = ctx();
        const op = await data(
          c.client().referrals.POST(`/v1/operations/{id}/${step}`, {
            params: { path: { id }, header: idempotency() },
            body: {},
          }),
        );
        c.print(op, `${c.c.green('✔')} Operation ${op.id} is ${op.status}`);
      });
  }
  operation
    .command('staff')
    .description('put a member of a participating unit on shift')
    .argument('<id>')
    .requiredOption('--user <userId>', "the member's user id (token sub)")
    .requiredOption('--from <time>')
    .requiredOption('--to <time>')
    .action(async (id: string, o: { user: string; from: string; to: string }) => {
      const c = ctx();
      const shift = await data(
        c.client().referrals.POST('/v1/operations/{id}/shifts', {
          params: { path: { id }, header: idempotency() },
          body: {
            unitId: c.unit(),
            userId: o.user,
            startsAt: time(o.from, '--from'),
            endsAt: time(o.to, '--to'),
          },
        }),
      );
      c.print(shift, `${c.c.green('✔')} ${o.user} on shift for unit ${shift.unitId}`);
    });
  operation
    .command('report')
    .description('totals, response times and participation')
    .argument('<id>')
    .option('--csv', 'the report as section,key,value rows')
    .action(async (id: string, o: { csv?: boolean }) => {
      const c = ctx();
      if (o.csv) {
        const csv = await data(
          c.client().referrals.GET('/v1/operations/{id}/report', {
            params: { path: { id }, header: { Accept: 'text/csv' } },
            parseAs: 'text',
          }),
        );
        process.stdout.write(String(csv));
        return;
      }
      const report = await data(
        c.client().referrals.GET('/v1/operations/{id}/report', { params: { path: { id } } }),
      );
      if (typeof report === 'string') {
        process.stdout.write(report);
        return;
      }
      c.print(report, () =>
        [
          c.c.bold(`${report.name} (${report.status})`),
          JSON.stringify(
            {
              fieldRequests: report.fieldRequests,
              responseTimes: report.responseTimes,
              encounters: report.encounters,
            },
            null,
            2,
          ),
        ].join('\n'),
      );
    });

  const fieldRequest = program.command('field-request').description('a social worker on site');
  fieldRequest
    .command('create')
    .description('officer: request a social worker; the address and details end-to-end encrypted')
    .argument('<operationId>')
    .requiredOption('--details <file>', 'JSON with the address and details (- for stdin)')
    .option(
      '--to <units>',
      'addressed units, names or ids (default: the accepted social services participants)',
      list,
    )
    .option('--urgency <urgency>', 'acute | urgent | routine', 'acute')
    .option('--needed-in <minutes>', 'minutes from now', '30')
    .option('--adults <n>', 'estimated adults', '1')
    .option('--children <n>', 'estimated children', '0')
    .option('--languages <codes>', 'comma-separated ISO 639 codes', list)
    .option('--child-suspected', 'a child may be present')
    .option('--protected-housing', 'protected housing is likely needed')
    .option('--buyer-present', 'a buyer is present')
    .action(
      async (
        operationId: string,
        o: {
          details: string;
          to?: string[];
          urgency: string;
          neededIn: string;
          adults: string;
          children: string;
          languages?: string[];
          childSuspected?: boolean;
          protectedHousing?: boolean;
          buyerPresent?: boolean;
        },
      ) => {
        const c = ctx();
        const agency = c.agency();
        const details = readJsonInput(o.details);
        const to = o.to
          ? await c.resolveUnits(o.to, '--to')
          : await socialServicesParticipants(c.client(), operationId);
        const id = randomUUID();
        const clear = {
          urgency: o.urgency as 'acute' | 'urgent' | 'routine',
          neededBy: new Date(Date.now() + Number(o.neededIn) * 60_000).toISOString(),
          estimatedPersons: {
            adults: Number(o.adults),
            children: Number(o.children),
            unknown: 0,
          },
          languages: o.languages ?? [],
          flags: {
            childSuspected: Boolean(o.childSuspected),
            protectedHousingLikely: Boolean(o.protectedHousing),
            buyerPresent: Boolean(o.buyerPresent),
          },
        };
        const envelope = await c.step('Encrypting for the units on call', () =>
          agency.sealFieldRequest(
            { fieldRequestId: id, operationId, participantUnitIds: to, ...clear },
            details,
          ),
        );
        const created = await data(
          c.client().referrals.POST('/v1/operations/{id}/field-requests', {
            params: { path: { id: operationId }, header: idempotency() },
            body: {
              id,
              requesterUnitId: agency.unitId,
              ...clear,
              envelope: envelope as ReferralCreate['envelope'],
            },
          }),
        );
        c.print(
          created,
          `${c.c.green('✔')} Field request ${c.c.bold(created.id)} sent to everyone on shift`,
        );
      },
    );
  fieldRequest
    .command('claim')
    .description('take the field request (the first to claim gets it)')
    .argument('<id>')
    .action(async (id: string) => {
      const c = ctx();
      const claimed = await data(
        c.client().referrals.POST('/v1/field-requests/{id}/claim', {
          params: { path: { id }, header: idempotency() },
          body: { unitId: c.unit() },
        }),
      );
      c.print(claimed, `${c.c.green('✔')} Claimed: it is yours (${claimed.status})`);
    });
  fieldRequest
    .command('show')
    .description('the field request, with the address decrypted if it is addressed to your unit')
    .argument('<id>')
    .action(async (id: string) => {
      const c = ctx();
      const agency = c.agency();
      const request = await data(
        c.client().referrals.GET('/v1/field-requests/{id}', { params: { path: { id } } }),
      );
      const opened = await agency.openFieldRequest(id);
      c.print({ fieldRequest: request, details: opened.document }, () =>
        [
          details(
            [
              ['id', request.id],
              ['status', request.status],
              ['urgency', request.urgency],
              ['needed by', when(request.neededBy, c.time)],
              ['claimed by', request.claimedBy],
            ],
            c.c,
          ),
          JSON.stringify(opened.document, null, 2),
        ].join('\n\n'),
      );
    });
  fieldRequest
    .command('status')
    .description('report progress: en-route, on-site, complete or cancel')
    .argument('<id>')
    .argument('<step>', 'en-route | on-site | complete | cancel')
    .action(async (id: string, step: string) => {
      const c = ctx();
      if (step !== 'en-route' && step !== 'on-site' && step !== 'complete' && step !== 'cancel') {
        throw new UsageError('step is en-route, on-site, complete or cancel');
      }
      const updated = await data(
        c.client().referrals.POST(`/v1/field-requests/{id}/${step}`, {
          params: { path: { id }, header: idempotency() },
          body: {},
        }),
      );
      c.print(updated, `${c.c.green('✔')} Field request ${id}: ${updated.status}`);
    });

  // ----- notifications ------------------------------------------------------------------------
  program
    .command('inbox')
    .description('your notifications')
    .option('--unread', 'only unread')
    .action(async (o: { unread?: boolean }) => {
      const c = ctx();
      c.requireToken();
      const res = await data(
        c.client().notifications.GET('/v1/notifications', {
          params: { query: (o.unread ? { state: 'unread' } : {}) as never },
        }),
      );
      const items = res.items as Array<{
        id: string;
        kind: string;
        severity: string;
        title: string;
        objectType: string;
        objectId: string;
        createdAt: string;
      }>;
      c.print(res, () =>
        table(
          items,
          [
            { header: 'WHEN', value: (n) => when(n.createdAt, c.time) },
            {
              header: 'SEVERITY',
              value: (n) => (n.severity === 'critical' ? c.c.red(n.severity) : n.severity),
            },
            { header: 'KIND', value: (n) => n.kind },
            // The id to go on with: `referral show <id>`, `field-request show <id>`, …
            { header: 'ID', value: (n) => n.objectId },
            { header: 'TITLE', value: (n) => n.title },
          ],
          c.c,
        ),
      );
    });

  program
    .command('watch')
    .description('live notifications (Server-Sent Events), resuming after a dropped connection')
    .option('--since <seq>', 'resume after this notification seq')
    .option('--count <n>', 'stop after n notifications')
    .action(async (o: { since?: string; count?: string }) => {
      const c = ctx();
      c.requireToken();
      const controller = new AbortController();
      process.once('SIGINT', () => controller.abort());
      if (!c.json) {
        // On stderr, so that piped output holds only the notifications.
        process.stderr.write(
          `${c.c.dim(`Waiting for notifications from ${c.url} (Ctrl-C to stop)…`)}\n`,
        );
      }
      let seen = 0;
      for await (const event of notificationStream(c.client(), {
        lastEventId: o.since,
        signal: controller.signal,
      })) {
        if (event.event !== 'notification') {
          continue;
        }
        const n = event.data as { title: string; kind: string; createdAt: string };
        if (c.json) {
          process.stdout.write(`${JSON.stringify(event.data)}\n`);
        } else {
          process.stdout.write(
            `${c.c.dim(when(n.createdAt, c.time, false))} ${c.c.bold(n.kind)}  ${n.title}\n`,
          );
        }
        seen += 1;
        if (o.count && seen >= Number(o.count)) {
          controller.abort();
          break;
        }
      }
    });

  program
    .command('stats')
    .description('referral statistics (cells under 5 suppressed)')
    .option(
      '--group-by <dimensions>',
      'month, category, gender, ageBand, citizenshipGroup, outcome, municipality',
      list,
    )
    .action(async (o: { groupBy?: string[] }) => {
      const c = ctx();
      const res = await data(
        c.client().referrals.GET('/v1/statistics/referrals', {
          params: {
            query: o.groupBy
              ? { groupBy: o.groupBy as Array<ReferralsSchemas['StatisticsDimension']> }
              : {},
          },
        }),
      );
      c.print(res, () =>
        table(
          res.rows,
          [
            ...res.groupBy.map((d) => ({
              header: d.toUpperCase(),
              value: (r: (typeof res.rows)[number]) =>
                String((r.key as Record<string, unknown>)[d]),
            })),
            { header: 'REFERRALS', value: (r) => String(r.count) },
          ],
          c.c,
        ),
      );
    });

  registerDeviceCommands(program, ctx);

  return program;
}

/** The accepted participants of an operation that are social services units. */
async function socialServicesParticipants(
  client: SamverkanClient,
  operationId: string,
): Promise<string[]> {
  const op = await data(
    client.referrals.GET('/v1/operations/{id}', { params: { path: { id: operationId } } }),
  );
  const units: string[] = [];
  for (const p of op.participants.filter((x) => x.status === 'accepted')) {
    const unit = await data(
      client.directory.GET('/v1/units/{id}', { params: { path: { id: p.unitId } } }),
    );
    if (unit.organisation.kind === 'social_services') {
      units.push(p.unitId);
    }
  }
  if (units.length === 0) {
    throw new UsageError('no social services unit has accepted to take part yet: pass --to');
  }
  return units.sort();
}

/**
 * A token refused (expired, not accepted) that came from SAMVERKAN_TOKEN or --token, not the saved
 * login: `samverkan login` again would not help, since that token still wins over the login.
 */
function withTokenSource(described: DescribedError, err: unknown, argv: string[]): DescribedError {
  if (!(err instanceof SamverkanProblemError) || err.status !== 401) {
    return described;
  }
  const flag = argv.some((a) => a === '--token' || a.startsWith('--token='));
  if (!flag && !process.env.SAMVERKAN_TOKEN) {
    return described;
  }
  return {
    ...described,
    hint: flag
      ? 'The token given with --token was refused: pass a new one, or leave --token out to use your saved login.'
      : 'The token in SAMVERKAN_TOKEN was refused (it wins over your saved login): `export SAMVERKAN_TOKEN=$(samverkan token <user>)` for a new one, or `unset SAMVERKAN_TOKEN`.',
  };
}

/** Runs the CLI and resolves to its exit code (see EXIT). */
export async function run(argv: string[]): Promise<number> {
  const program = buildProgram();
  const json = argv.includes('--json');
  try {
    await program.parseAsync(argv);
    // A command that printed its result but found part of it bad (a thread message that failed
    // verification) sets process.exitCode itself.
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version end with 0; commander already printed the usage error.
      return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    const described = withTokenSource(describeError(err), err, argv);
    if (json) {
      process.stderr.write(`${JSON.stringify(described.json)}\n`);
    } else {
      const c = colors(Boolean(process.stderr.isTTY) && !process.env.NO_COLOR);
      process.stderr.write(`${renderError(described, c)}\n`);
    }
    return described.exitCode;
  }
}
