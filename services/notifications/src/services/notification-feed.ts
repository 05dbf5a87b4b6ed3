import { randomUUID } from 'node:crypto';
import { personKey, type Person } from '@samverkan/shared';
import type { FastifyBaseLogger } from 'fastify';
import type { PoolClient } from 'pg';
import type { DataSource, EntityManager } from 'typeorm';

/**
 * Postgres channel on which every replica hears which people have something new (each payload is
 * the sending process's feed id, a space, and a `personKey`: organisation id, space, subject).
 */
export const FEED_CHANNEL = 'samverkan_notifications';

/**
 * Wakes the live streams of users whose notifications or counts changed. A wake-up carries no
 * data — the stream reads what is new from Postgres — so a duplicate or missed one does no harm
 * (streams also look again at every heartbeat). Wake-ups come from this process after its own
 * commits, and from the other replicas through Postgres `LISTEN/NOTIFY` (the embedded PGlite
 * delivers none, but there the one process wakes itself).
 */
export class NotificationFeed {
  private readonly listeners = new Map<string, Set<() => void>>();
  /** who was signalled in each open transaction */
  private readonly signalled = new WeakMap<EntityManager, Set<string>>();
  private client: PoolClient | undefined;
  /**
   * Marks this process's signals: it has woken its own streams after its commit already, so its
   * own NOTIFY, which Postgres delivers to its listening connection too, is not a second wake-up
   * (and a second read by every stream of the person).
   */
  private readonly origin = randomUUID();
  private stopped = false;
  private retry: NodeJS.Timeout | undefined;

  constructor(
    private readonly dataSource: DataSource,
    private readonly log: FastifyBaseLogger,
    /**
     * false on the embedded PGlite: one process, and one database session behind every
     * connection, which delivers no NOTIFY to another connection anyway
     */
    private readonly acrossProcesses = true,
  ) {}

  async start(): Promise<void> {
    this.stopped = false;
    if (this.acrossProcesses) {
      await this.listen();
    }
  }

  /**
   * In the transaction that changed users' notifications or counts: the other replicas hear of
   * it when it commits (this process wakes its own streams after the commit).
   */
  async signal(tx: EntityManager, people: Person[]): Promise<void> {
    const keys = this.unsignalled(tx, people);
    if (keys.length > 0) {
      await tx.query(this.notifySql('$1::text[]'), [keys]);
      this.markSignalled(tx, keys);
    }
  }

  /**
   * The people (their `personKey`s) a signal in `tx` must name: those not signalled in it yet
   * (Postgres sends a transaction's identical notifications once, and a consumer batch writes for
   * the same people event after event); none on the embedded PGlite. For a caller that sends the
   * signal in a statement of its own (`notifySql`), then says whom it named (`markSignalled`).
   */
  unsignalled(tx: EntityManager, people: Person[]): string[] {
    if (!this.acrossProcesses) {
      return [];
    }
    const sent = this.signalled.get(tx);
    return [...new Set(people.map(personKey))].filter((k) => !sent?.has(k));
  }

  /** The SQL that signals the `personKey`s of a `text[]` (`keys`: the SQL of it, e.g. `$1::text[]`). */
  notifySql(keys: string): string {
    // (the channel and this process's id are constants of ours: no quoting needed)
    return `SELECT pg_notify('${FEED_CHANNEL}', '${this.origin} ' || k) FROM unnest(${keys}) AS k`;
  }

  /** Records that `tx` signalled these people (see `unsignalled`). */
  markSignalled(tx: EntityManager, keys: string[]): void {
    let sent = this.signalled.get(tx);
    if (!sent) {
      sent = new Set();
      if (tx.queryRunner?.isTransactionActive) {
        this.signalled.set(tx, sent);
      }
    }
    for (const k of keys) {
      sent.add(k);
    }
  }

  private async listen(): Promise<void> {
    if (this.stopped) {
      return;
    }
    const pool = (
      this.dataSource.driver as unknown as { master: { connect(): Promise<PoolClient> } }
    ).master;
    let client: PoolClient | undefined;
    try {
      client = await pool.connect();
      client.on('notification', (n) => {
        if (n.channel !== FEED_CHANNEL || !n.payload) {
          return;
        }
        const space = n.payload.indexOf(' ');
        const origin = space === -1 ? '' : n.payload.slice(0, space);
        if (origin !== this.origin) {
          this.wakeKeys([n.payload.slice(space + 1)]);
        }
      });
      client.on('error', (err) => {
        this.log.warn({ err }, 'notification feed connection failed; listening again');
        this.drop(client, err);
        this.retry = setTimeout(() => void this.listen(), 1000);
      });
      await client.query(`LISTEN ${FEED_CHANNEL}`);
      this.client = client;
    } catch (err) {
      this.drop(client, err as Error);
      this.log.warn({ err }, 'could not listen for notifications of other replicas; will retry');
      this.retry = setTimeout(() => void this.listen(), 1000);
    }
  }

  private drop(client: PoolClient | undefined, err?: Error): void {
    if (client) {
      try {
        client.release(err ?? true);
      } catch {
        // already released
      }
    }
    if (this.client === client) {
      this.client = undefined;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    const client = this.client;
    this.client = undefined;
    if (client) {
      await client.query(`UNLISTEN ${FEED_CHANNEL}`).catch(() => undefined);
      client.release();
    }
  }

  subscribe(person: Person, listener: () => void): () => void {
    const key = personKey(person);
    let set = this.listeners.get(key);
    if (!set) {
      set = new Set();
      this.listeners.set(key, set);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.listeners.get(key) === set) {
        this.listeners.delete(key);
      }
    };
  }

  wake(people: Iterable<Person>): void {
    this.wakeKeys([...people].map(personKey));
  }

  private wakeKeys(keys: Iterable<string>): void {
    for (const key of new Set(keys)) {
      for (const listener of this.listeners.get(key) ?? []) {
        listener();
      }
    }
  }

  get subscribers(): number {
    let n = 0;
    for (const set of this.listeners.values()) {
      n += set.size;
    }
    return n;
  }
}
