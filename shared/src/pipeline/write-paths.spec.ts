/**
 * Every write of the three services goes through the write pipeline (command-pipeline.ts; issue
 * 15): this reads the services' sources and fails when a write takes another way — a transaction
 * of its own, SQL or a TypeORM write outside a repository, an audit entry or outbox row appended by
 * hand, a denied entry written without `pipeline.deny`. What is deliberately off the pipeline is
 * listed below with its reason; a new exception has to be added here, where a reviewer sees it.
 */
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../../..');
const SERVICES = ['directory', 'notifications', 'referrals'];

/** A repository: where SQL lives (CONVENTIONS.md, "Persistence"). */
const isRepository = (file: string) => /(^|[/.])repository\.ts$/.test(file);

/**
 * Writes a command builds as its own statement: the persist step of `CommandPipeline.run`, whose
 * CTEs it returns to the pipeline (the send, owned by its helper; its SQL is still to move into a
 * repository's statement builder, as the records feature's is).
 */
const PERSIST_STEPS = new Set(['services/referrals/src/commands/send-referral.ts']);

/**
 * Files that append audit entries or outbox rows themselves, and why that is not a write off the
 * pipeline.
 */
const OWN_APPENDS: Record<string, string> = {
  // Audited reads append their entry after the read (the others call pipeline.recordRead).
  'services/referrals/src/referrals/queries.ts': 'audited reads (envelope, justification, log)',
  // Consumers run in the consumer framework's transaction (shared/src/events/consumer.ts).
  'services/notifications/src/services/notifier.ts':
    'notifications created in a consumer’s or an escalation drain’s transaction',
};

/**
 * Repository functions that write on the data source's own connections rather than in a
 * transaction the pipeline hands them, and why (file → how many such calls, the reason).
 */
const POOL_WRITES: Record<string, [number, string]> = {
  'services/directory/src/devices/repository.ts': [
    2,
    'the DPoP replay cache (a proof’s jti, and its pruning): authentication state, no record',
  ],
  'services/notifications/src/webhooks/repository.ts': [
    2,
    'the delivery worker’s lease claim and the delivery log’s pruning: its own queue',
  ],
  'services/referrals/src/services/rollups.repository.ts': [
    1,
    'the counters’ compaction: folds rows of a derived table, sums unchanged',
  ],
  'services/referrals/src/services/statistics.repository.ts': [
    2,
    'the cells’ read transaction (set_config), and the record keys’ rebuild at start: derived',
  ],
};

const WRITE_SQL = /\bINSERT\s+INTO\b|\bUPDATE\s+\S+\s+(AS\s+\w+\s+)?SET\b|\bDELETE\s+FROM\b/;
const TYPEORM_WRITE =
  /\b(tx|manager|ds|dataSource|em)(\.manager)?\.(save|insert|update|delete|upsert|remove|softDelete|increment|decrement)\(|\.(insert|delete)\(\)|\.update\(\s*[A-Z]\w*Entity\s*\)/;
const OWN_TRANSACTION = /\.transaction\(/;
const APPENDS = /\b(audit|outbox)\.append(Many)?\(/;
const DENIED = /outcome:\s*['"]denied['"]/;
/** A call on the data source itself, and the first lines of what it runs. */
const POOL_CALL =
  /\b(ds|dataSource)(\.manager)?\.(query|save|insert|update|delete|upsert|remove|transaction)\(/g;

interface Finding {
  file: string;
  line: number;
  rule: string;
}

/** What in `source` (the file `file`, relative to the root) takes a way around the pipeline. */
function offPipeline(file: string, source: string): Finding[] {
  const found: Finding[] = [];
  const lines = source.split('\n');
  const repository = isRepository(file);
  lines.forEach((text, i) => {
    const at = (rule: string) => found.push({ file, line: i + 1, rule });
    if (/^\s*(\*|\/\/)/.test(text)) {
      return; // a comment
    }
    if (
      !repository &&
      !PERSIST_STEPS.has(file) &&
      (WRITE_SQL.test(text) || TYPEORM_WRITE.test(text))
    ) {
      at('a write outside a repository: persist through a repository, inside the pipeline');
    }
    if (!repository && OWN_TRANSACTION.test(text)) {
      at('a transaction of its own: use pipeline.transact, drain or systemChange');
    }
    if (APPENDS.test(text) && !(file in OWN_APPENDS)) {
      at('an audit entry or outbox row appended by hand: the pipeline writes them with the change');
    }
    if (DENIED.test(text)) {
      at('a denied entry written by hand: use pipeline.deny (or a refusal in transact/run)');
    }
  });
  if (repository) {
    let pool = 0;
    for (const match of source.matchAll(POOL_CALL)) {
      // The call's statement: up to the end of its first template literal.
      const call = source.slice(match.index, match.index + 3000);
      const open = call.indexOf('`');
      const close = open < 0 ? -1 : call.indexOf('`', open + 1);
      const statement = close < 0 ? call : call.slice(0, close + 1);
      const write =
        match[3] === 'transaction' || (match[3] === 'query' ? WRITE_SQL.test(statement) : true);
      if (write) {
        pool += 1;
      }
    }
    const allowed = POOL_WRITES[file]?.[0] ?? 0;
    if (pool !== allowed) {
      found.push({
        file,
        line: 0,
        rule: `${pool} write(s) on the data source's own connections, ${allowed} listed: a write runs in the transaction the pipeline hands the repository`,
      });
    }
  }
  return found;
}

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      return ['migrations', 'generated', 'seed'].includes(entry.name) ? [] : sources(full);
    }
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') ? [full] : [];
  });
}

describe('every write of the services goes through the write pipeline', () => {
  const files = SERVICES.flatMap((s) => sources(path.join(ROOT, 'services', s, 'src'))).map(
    (full) => path.relative(ROOT, full).split(path.sep).join('/'),
  );

  it('finds no write off the pipeline in the services’ sources', () => {
    expect(files.length).toBeGreaterThan(100);
    const findings = files.flatMap((file) =>
      offPipeline(file, fs.readFileSync(path.join(ROOT, file), 'utf8')),
    );
    expect(findings).toEqual([]);
  });

  it('lists only exceptions that still exist', () => {
    for (const file of [
      ...Object.keys(OWN_APPENDS),
      ...Object.keys(POOL_WRITES),
      ...PERSIST_STEPS,
    ]) {
      expect(files).toContain(file);
    }
  });

  it('catches each way around the pipeline', () => {
    const service = 'services/notifications/src/webhooks/delivery-worker.ts';
    const rules = (file: string, source: string) => offPipeline(file, source).map((f) => f.rule);
    expect(rules(service, 'await events.transaction(async (tx) => {')).toEqual([
      expect.stringContaining('a transaction of its own'),
    ]);
    expect(rules(service, "await tx.query(`UPDATE ${t} SET status = 'dead'`);")).toEqual([
      expect.stringContaining('outside a repository'),
    ]);
    expect(rules(service, 'await tx.save(WebhookEndpointEntity, row);')).toEqual([
      expect.stringContaining('outside a repository'),
    ]);
    expect(rules(service, 'await this.deps.audit.append({ action }, tx);')).toEqual([
      expect.stringContaining('appended by hand'),
    ]);
    expect(rules(service, "await events.outbox.append(tx, 'x', {});")).toEqual([
      expect.stringContaining('appended by hand'),
    ]);
    expect(rules(service, "  outcome: 'denied',")).toEqual([
      expect.stringContaining('pipeline.deny'),
    ]);
    const repository = 'services/notifications/src/records/repository.ts';
    expect(
      rules(
        repository,
        'const [, n] = await ds.query(\n  `DELETE FROM ${t} WHERE id = $1`, [id]);',
      ),
    ).toEqual([expect.stringContaining("data source's own connections")]);
    // A repository's read on the data source, and its writes in a transaction it is handed, pass.
    expect(
      rules(
        repository,
        'await ds.query(`SELECT 1 FROM ${t}`);\nawait tx.query(`DELETE FROM ${t} WHERE id = $1`);',
      ),
    ).toEqual([]);
  });
});
