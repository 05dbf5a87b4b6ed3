import type { DataSource, EntityManager } from 'typeorm';
import { AuditLog, type AuditRecord } from '../audit/audit-log';
import { poolQuery } from '../db/data-source';
import { OutboxEventEntity } from '../entities/platform.entities';
import { CommonProblems, ProblemError } from '../errors/problem';
import type { EventEnvelope } from '../events/event-catalog';
import type { ServiceEvents } from '../events/service-events';

/** Who acts: a person's principal, or a worker's `system:…` subject. */
export type AuditActor = AuditRecord['actor'];
/** The audited action and object of a write. */
export type AuditTarget = Pick<
  AuditRecord,
  'action' | 'objectType' | 'objectId' | 'objectOrg' | 'detail'
>;

/** An event of a change, written to the outbox in the change's transaction or statement. */
export interface PendingEvent {
  type: string;
  data: Record<string, unknown>;
}

/**
 * One write pipeline (issue 15, docs/architecture.md "The write pipeline"). Every write of the
 * services takes one of its entry points (write-paths.spec.ts fails when one does not):
 * `deny`/`authorize` (audited refusals), `run` (a command in one statement, below), `transact`
 * (a command in one transaction), `drain` and `systemChange` (a worker's changes), `recordRead`
 * (an audited read) and `within` (a change's outbox rows and audit entry in a transaction another
 * opened: an event consumer's).
 *
 * `run`: authorize → load → decide (pure) → persist + outbox + audit in ONE statement → answer
 *
 * - `load` reads what the decision needs in one statement, outside any transaction.
 * - `authorize` and `decide` are pure: they see the loaded state and the input, and refuse by
 *   throwing a 4xx `ProblemError`. A refusal is audited as a denied attempt — one INSERT of an
 *   unchained entry, no lock — and then answered.
 * - `persist` returns the statement's data-modifying CTEs; the pipeline adds the outbox rows and
 *   the audit entry, each guarded so that they are written only when the change's guard CTE
 *   returned a row, and runs it all as a single statement: atomic without BEGIN/COMMIT, one round
 *   trip. When the guard returns no row (the change did not apply: an id already taken, a version
 *   moved on), `onNoChange` decides what to answer.
 * - the relay and the audit chainer are woken after it.
 *
 * Requires an AuditLog with a deferred chain (`audit_pending`): audit rows never take the
 * chain's lock inside a request.
 */

/** Builds one SQL statement out of CTEs, numbering the parameters as they are added. */
export class StatementBuilder {
  readonly params: unknown[] = [];
  private readonly ctes: string[] = [];

  /** A placeholder for `value`, with an optional cast (`uuid[]`, `jsonb`, …). */
  p(value: unknown, cast?: string): string {
    this.params.push(value);
    return `$${this.params.length}${cast ? `::${cast}` : ''}`;
  }

  with(name: string, sql: string): this {
    this.ctes.push(`${name} AS (${sql})`);
    return this;
  }

  sql(finalSelect: string): string {
    return this.ctes.length ? `WITH ${this.ctes.join(',\n')}\n${finalSelect}` : finalSelect;
  }
}

/**
 * The Idempotency-Key's record of a write, completed by the change's own statement
 * (shared/src/app/idempotency.plugin.ts `idempotentAnswer`): the answer as the route serialises
 * it, written only when the change applies, so the change and its answer commit together and the
 * key costs no round trip of its own after the change.
 */
export interface AnswerRecord {
  /** the idempotency table (schema-qualified) */
  table: string;
  principal: string;
  key: string;
  /** the request's hash, for a record inserted finished (`claimed` false) */
  hash: string;
  /** a pending record holds the key (completed by an UPDATE); otherwise the record is inserted */
  claimed: boolean;
  status: number;
  type: string;
  body: string;
  /** called once the statement wrote the record with the change */
  written(): void;
}

/**
 * The statement that records an Idempotency-Key's answer — the one text of it, used by the
 * idempotency plugin after a reply and by a command's own statement (`answerRecord`), with the
 * parameters added to `sql` and `condition` (SQL) as a further guard: an UPDATE that completes a
 * claimed (pending) record, or else the INSERT of the record, finished. That INSERT has no ON
 * CONFLICT in a command's statement: should a request racing with the same key have recorded it
 * first, the whole statement fails (`isAnswerRecordTaken`) and nothing of the change is written;
 * after a reply (`afterReply`) the first record stays.
 */
export function completeAnswerRecordSql(
  sql: StatementBuilder,
  record: Pick<
    AnswerRecord,
    'table' | 'principal' | 'key' | 'hash' | 'claimed' | 'status' | 'type' | 'body'
  >,
  condition?: string,
  afterReply = false,
): string {
  if (!record.claimed) {
    return `INSERT INTO ${record.table} (principal, key, request_hash, state, response_status,
              response_body, response_type, locked_until)
            SELECT ${sql.p(record.principal)}, ${sql.p(record.key)}, ${sql.p(record.hash)}, 'done',
                   ${sql.p(record.status, 'int')}, ${sql.p(record.body)}, ${sql.p(record.type)}, NULL${
                     condition ? ` WHERE ${condition}` : ''
                   }${afterReply ? ' ON CONFLICT DO NOTHING' : ''}`;
  }
  return `UPDATE ${record.table} SET state = 'done', response_status = ${sql.p(record.status, 'int')},
            response_body = ${sql.p(record.body)}, response_type = ${sql.p(record.type)},
            locked_until = NULL
      WHERE principal = ${sql.p(record.principal)} AND key = ${sql.p(record.key)}${
        condition ? ` AND ${condition}` : ''
      }`;
}

export interface RunOptions<Answer> {
  /** the Idempotency-Key's record of `answer`, to write in the change's statement */
  answerRecord?(answer: Answer): AnswerRecord;
  /**
   * For a key not looked up before the write (`idempotentKeyHeld`): throws what the key's record
   * answers, if it has one. Called only when the request wrote nothing — refused, its change not
   * applied, or its record's insert failing on the key — before anything else is answered or
   * audited.
   */
  keyHeld?(): Promise<void>;
}

export interface OutboxRow {
  envelope: EventEnvelope;
  headers: Record<string, string>;
}

export interface PipelineContext {
  dataSource: DataSource;
  events: ServiceEvents;
  audit: AuditLog;
}

export interface CommandDefinition<Input, Loaded, Decision, Answer> {
  /** the audited action and object, from the input (before anything is loaded) */
  target(input: Input): AuditTarget;
  /** one read statement (no transaction) */
  load(input: Input, actor: AuditActor, db: EntityManager): Promise<Loaded>;
  /** pure: throws a 4xx ProblemError when the actor may not do this */
  authorize(input: Input, actor: AuditActor, loaded: Loaded): void;
  /** pure: throws a 4xx ProblemError when a rule is broken; the change to make otherwise */
  decide(input: Input, loaded: Loaded, now: Date): Decision | Promise<Decision>;
  /**
   * The change's CTEs on `sql`; returns the name of the CTE whose row proves the change applied
   * (the outbox and audit rows are written only then).
   */
  persist(decision: Decision, sql: StatementBuilder): { guard: string };
  /** the events of the change */
  events(decision: Decision): PendingEvent[];
  /** audit detail and the organisations of the object's parties */
  audit(decision: Decision): Pick<AuditRecord, 'detail' | 'partyOrgs' | 'objectOrg'>;
  answer(decision: Decision): Answer;
  /**
   * The change did not apply (its guard returned no row): answer (a replay of the same change;
   * audited as allowed again), or throw a refusal (audited as denied).
   */
  onNoChange?(input: Input, actor: AuditActor, decision: Decision): Promise<Answer>;
}

/** What one change of a worker did (`CommandPipeline.systemChange`, `drain`). */
export interface SystemChange<T> {
  /** the audited action and object; null for bookkeeping that changes no record (not audited) */
  target: AuditTarget | null;
  /** the change's events, written to the outbox in its transaction */
  events: PendingEvent[];
  result: T;
}

/** The statement failed on the unique key of `record`'s table: the key was recorded meanwhile. */
export function isAnswerRecordTaken(err: unknown, record: Pick<AnswerRecord, 'table'>): boolean {
  const e = err as { code?: string; schema?: string; table?: string };
  return (
    e?.code === '23505' &&
    typeof e.table === 'string' &&
    record.table.replace(/"/g, '') === (e.schema ? `${e.schema}.${e.table}` : e.table)
  );
}

export function isRefusal(err: unknown): err is ProblemError {
  return err instanceof ProblemError && err.statusCode >= 400 && err.statusCode < 500;
}

export class CommandPipeline {
  private readonly outboxTable: string;
  private readonly pendingTable: string;

  constructor(
    private readonly ctx: PipelineContext,
    /** serialises an event into its envelope (validated against the catalog) */
    private readonly envelope: (event: PendingEvent) => OutboxRow,
  ) {
    if (!ctx.audit.chainer) {
      throw new Error('the write pipeline needs an audit log with a deferred chain');
    }
    this.outboxTable = ctx.dataSource.getMetadata(OutboxEventEntity).tablePath;
    this.pendingTable = ctx.audit.chainer.pendingTable;
  }

  /** The pipeline of a service whose events are enveloped by its own outbox (the usual case). */
  static forService(ctx: PipelineContext): CommandPipeline {
    return new CommandPipeline(ctx, (event) => ctx.events.outbox.envelope(event.type, event.data));
  }

  /** Records a refused attempt (one INSERT, no lock) and rethrows it. */
  async refuse(actor: AuditActor, target: AuditTarget, err: ProblemError): Promise<never> {
    await this.ctx.audit.append({
      ...target,
      actor,
      outcome: 'denied',
      detail: { ...target.detail, refused: err.definition.code },
    });
    throw err;
  }

  /**
   * An audited read (an envelope, a thread, a report): after the read, one INSERT of an allowed
   * entry — no transaction, no lock, nothing changed. A read that is refused goes through `deny`.
   */
  async recordRead(
    actor: AuditActor,
    target: AuditTarget & Pick<AuditRecord, 'partyOrgs'>,
  ): Promise<void> {
    await this.ctx.audit.append({ ...target, actor, outcome: 'allowed' });
  }

  /**
   * The authorize step on its own, for checks that need a read of their own (a destination's
   * address, a related object): a 4xx refusal they end in is audited as a denied attempt, without
   * any lock, and rethrown.
   */
  async authorize(
    actor: AuditActor,
    target: AuditTarget,
    checks: () => void | Promise<void>,
  ): Promise<void> {
    try {
      await checks();
    } catch (err) {
      if (isRefusal(err)) {
        return this.refuse(actor, target, err);
      }
      throw err;
    }
  }

  /**
   * Refuses before anything is read or locked (the authorize step of a write done with
   * `transact`): audits the denied attempt and throws 403, or the problem given.
   */
  async deny(
    actor: AuditActor,
    target: AuditTarget,
    refusal: string | ProblemError = new ProblemError(CommonProblems.forbidden),
  ): Promise<never> {
    return this.refuse(
      actor,
      target,
      typeof refusal === 'string' ? new ProblemError(CommonProblems.forbidden, refusal) : refusal,
    );
  }

  /**
   * The pipeline for a write that must read under `FOR UPDATE` and write several statements (a
   * lifecycle transition, an operation's change): the work, its outbox rows and its unchained
   * audit entry in one transaction; a refusal the work ends in (a 4xx problem) rolls it back and is
   * audited as a denied attempt, without any lock. Replaces the `try { change() } catch {
   * recordRefusal() }` each service wrote by hand.
   */
  async transact<T>(
    actor: AuditActor,
    target: AuditTarget,
    work: (tx: EntityManager) => Promise<{ result: T; events: PendingEvent[] }>,
  ): Promise<T> {
    try {
      const result = await this.ctx.events.transaction(async (tx) => {
        const { result, events } = await work(tx);
        await this.within(tx, actor, { target, events });
        return result;
      });
      this.ctx.audit.poke();
      return result;
    } catch (err) {
      if (isRefusal(err)) {
        return this.refuse(actor, target, err);
      }
      throw err;
    }
  }

  /**
   * One change a worker makes on its own (a webhook worker recording what a delivery attempt
   * came to): `work` runs in one transaction with its outbox rows and, when it names an audit
   * target, its unchained audit entry (actor `system:…`), as `transact` writes them. A target of
   * `null` is a worker's bookkeeping of its own queue that changes no record anyone answers for (an
   * attempt logged, a lease released): nothing is audited then. Nothing here turns an error into
   * a refusal: a system change has nobody to answer.
   */
  async systemChange<T>(
    actor: AuditActor,
    work: (tx: EntityManager) => Promise<SystemChange<T>>,
  ): Promise<T> {
    const { result, audited } = await this.ctx.events.transaction(async (tx) => {
      const change = await work(tx);
      await this.within(tx, actor, change);
      return { result: change.result, audited: change.target !== null };
    });
    if (audited) {
      this.ctx.audit.poke();
    }
    return result;
  }

  /**
   * A system pass on the pipeline (a deadline watcher, a retention purger): `step` claims one due
   * item — a `FOR UPDATE SKIP LOCKED` read, so replicas share the work and an item is handled
   * once — and returns its change's events and audit target, or null when nothing is due. Each
   * item is one transaction with its outbox rows and its unchained audit entry, as
   * `systemChange` writes them (what `step` wrote before it found nothing due commits too).
   * Returns how many items were handled.
   */
  async drain(
    actor: AuditActor,
    step: (tx: EntityManager) => Promise<Omit<SystemChange<unknown>, 'result'> | null>,
  ): Promise<number> {
    let handled = 0;
    for (;;) {
      const done = await this.systemChange(actor, async (tx) => {
        const item = await step(tx);
        return item ? { ...item, result: true } : { target: null, events: [], result: false };
      });
      if (!done) {
        return handled;
      }
      handled += 1;
    }
  }

  /**
   * A change's outbox rows (one statement) and audit entry, in a transaction someone else opened:
   * the pipeline's own paths, and an event consumer's effect in the consumer framework's
   * transaction (shared/src/events/consumer.ts owns its BEGIN/COMMIT and `processed_events`).
   * The caller wakes the audit chainer after its commit (`AuditLog.poke`), or the chainer links
   * the entry on its next round.
   */
  async within(
    tx: EntityManager,
    actor: AuditActor,
    change: Omit<SystemChange<unknown>, 'result'>,
  ): Promise<void> {
    if (change.events.length > 0) {
      await this.ctx.events.outbox.appendMany(tx, change.events);
    }
    if (change.target) {
      await this.ctx.audit.append({ ...change.target, actor, outcome: 'allowed' }, tx);
    }
  }

  async run<Input, Loaded, Decision, Answer>(
    def: CommandDefinition<Input, Loaded, Decision, Answer>,
    actor: AuditActor,
    input: Input,
    options: RunOptions<Answer> = {},
  ): Promise<Answer> {
    const target = def.target(input);
    const loaded = await def.load(input, actor, this.ctx.dataSource.manager);
    let decision: Decision;
    try {
      def.authorize(input, actor, loaded);
      decision = await def.decide(input, loaded, new Date());
    } catch (err) {
      if (isRefusal(err)) {
        await options.keyHeld?.();
        return this.refuse(actor, target, err);
      }
      throw err;
    }
    const sql = new StatementBuilder();
    const { guard } = def.persist(decision, sql);
    const rows = def.events(decision).map(this.envelope);
    if (rows.length > 0) {
      sql.with(
        'outbox_rows',
        `INSERT INTO ${this.outboxTable} (id, type, payload, headers)
         SELECT (e->>'id')::uuid, e->>'type', e->'payload', e->'headers'
           FROM jsonb_array_elements(${sql.p(
             JSON.stringify(
               rows.map((r) => ({
                 id: r.envelope.id,
                 type: r.envelope.type,
                 payload: r.envelope,
                 headers: r.headers,
               })),
             ),
             'jsonb',
           )}) AS e
          WHERE EXISTS (SELECT 1 FROM ${guard})
         RETURNING 1`,
      );
    }
    const audited = def.audit(decision);
    const entry = AuditLog.pendingEntry(
      {
        ...target,
        ...audited,
        detail: { ...target.detail, ...audited.detail },
        actor,
        outcome: 'allowed',
      },
      audited.partyOrgs ?? [],
    );
    sql.with(
      'audit_row',
      `INSERT INTO ${this.pendingTable} (entry)
       SELECT ${sql.p(JSON.stringify(entry), 'jsonb')} WHERE EXISTS (SELECT 1 FROM ${guard})
       RETURNING 1`,
    );
    // The answer is known before the statement (no read-back): the Idempotency-Key's record of
    // it is completed by the same statement when the change applies.
    const answer = def.answer(decision);
    const record = options.answerRecord?.(answer);
    if (record) {
      sql.with(
        'answer_record',
        `${completeAnswerRecordSql(sql, record, `EXISTS (SELECT 1 FROM ${guard})`)} RETURNING 1`,
      );
    }
    const result = await poolQuery<{ applied: number }>(
      this.ctx.dataSource,
      sql.sql(`SELECT (SELECT count(*) FROM ${guard})::int AS applied`),
      sql.params,
      // A command's statement has one text per shape (a note or none, a key or none): prepared.
      { prepare: true },
    ).catch(async (err: unknown) => {
      if (record && isAnswerRecordTaken(err, record)) {
        // The key was recorded first (a retry, or a request racing with the same key): this one
        // wrote nothing, and answers as the record does.
        await options.keyHeld?.();
        throw new ProblemError(CommonProblems.idempotencyInProgress);
      }
      throw err;
    });
    if ((result[0]?.applied ?? 0) === 0) {
      await options.keyHeld?.();
      if (!def.onNoChange) {
        throw new ProblemError(CommonProblems.conflict);
      }
      try {
        const answer = await def.onNoChange(input, actor, decision);
        await this.ctx.audit.append({
          ...target,
          ...audited,
          detail: { ...target.detail, ...audited.detail },
          actor,
          outcome: 'allowed',
        });
        return answer;
      } catch (err) {
        if (isRefusal(err)) {
          return this.refuse(actor, target, err);
        }
        throw err;
      }
    }
    record?.written();
    if (rows.length > 0) {
      this.ctx.events.relay.poke();
    }
    this.ctx.audit.poke();
    return answer;
  }
}
