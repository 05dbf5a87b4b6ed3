/**
 * The load generator of the send bench (bench/referrals-send.bench.ts): autocannon POSTing
 * pre-built bodies, one body and one Idempotency-Key per request.
 *
 * It runs in the bench's own process by default. With BENCH_LOADER=process the bench forks this
 * file instead, and the CPU the bench counts is the server's alone (autocannon's is reported
 * apart); it receives one `LoadRequest` per run over IPC and answers with one `LoadResult`. On a
 * loaded machine every request then waits for two more wake-ups of a process, which lowers the
 * throughput of both sides and brings the ratio closer to 1: use that mode for the CPU figure,
 * the default one for the ratios. It is not a bench itself and prints nothing: it lives here, not
 * in bench/, where every file is a bench that ends with one JSON line.
 */
import autocannon from 'autocannon';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';

export interface LoadRequest {
  url: string;
  headers: Record<string, string>;
  /** a JSON file holding an array of body strings */
  bodiesFile: string;
  /** the part of the file's bodies to send: [start, end) */
  from: number;
  to: number;
  /** never reuse a body (referrals): stop before they run out */
  unique: boolean;
  connections: number;
  seconds: number;
  /** a warm-up of this many requests instead of a timed run */
  amount?: number;
}

export interface LoadResult {
  rps: number;
  p99: number;
  sent: number;
  errors: number;
  /** this process's CPU during the run (the load generator's own cost when it runs apart), ms */
  cpuMs: number;
}

const files = new Map<string, string[]>();

/** Runs one load; `all` the bodies (read from `bodiesFile` when not given). */
export async function runLoad(req: LoadRequest, all?: string[]): Promise<LoadResult> {
  if (!all) {
    all = files.get(req.bodiesFile);
    if (!all) {
      all = JSON.parse(fs.readFileSync(req.bodiesFile, 'utf8')) as string[];
      files.set(req.bodiesFile, all);
    }
  }
  const bodies = all.slice(req.from, req.to);
  let next = 0;
  const cpuBefore = process.cpuUsage();
  const result = await autocannon({
    url: req.url,
    connections: req.connections,
    ...(req.amount ? { amount: req.amount } : { duration: req.seconds }),
    // Each connection builds one request ahead: stop before the bodies run out.
    ...(req.unique && !req.amount
      ? { maxOverallRequests: bodies.length - 2 * req.connections }
      : {}),
    requests: [
      {
        method: 'POST',
        setupRequest: (request) => {
          // The baseline goes round the bodies again; the referrals never reuse one.
          const body = bodies[next % bodies.length]!;
          next += 1;
          return {
            ...request,
            headers: {
              ...request.headers,
              ...req.headers,
              'content-type': 'application/json',
              'idempotency-key': randomUUID(),
            },
            body,
          };
        },
      },
    ],
  });
  const cpu = process.cpuUsage(cpuBefore);
  return {
    rps: result.requests.average,
    p99: result.latency.p99,
    sent: result.requests.total,
    errors: result.non2xx + result.errors + result.timeouts,
    cpuMs: (cpu.user + cpu.system) / 1000,
  };
}

if (require.main === module && process.send) {
  process.on('message', (req: LoadRequest) => {
    runLoad(req).then(
      (result) => process.send!({ ok: true, result }),
      (err: unknown) => process.send!({ ok: false, error: String((err as Error).stack ?? err) }),
    );
  });
}
