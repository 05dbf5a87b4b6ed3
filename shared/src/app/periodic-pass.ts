import type { FastifyBaseLogger } from 'fastify';

/**
 * A pass that runs every `intervalMs` on each replica — deadline and escalation watchers claim
 * their due rows with `FOR UPDATE SKIP LOCKED`, so replicas share the work. A pass never
 * overlaps the previous one; a failed pass is logged and the next one retries; `stop()` waits
 * for the pass in flight, so the database can be closed after it.
 */
export abstract class PeriodicPass {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  protected constructor(
    private readonly intervalMs: number,
    protected readonly log: FastifyBaseLogger,
    /** named in the log line of a failed pass */
    private readonly what: string,
  ) {}

  /** One pass; returns how many items it handled. */
  abstract tick(now?: Date): Promise<number>;

  start(): void {
    this.timer = setInterval(() => {
      if (!this.running) {
        this.running = this.tick()
          .then(() => undefined)
          .catch((err: unknown) => this.log.warn({ err }, `${this.what} pass failed; will retry`))
          .finally(() => {
            this.running = undefined;
          });
      }
    }, this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
