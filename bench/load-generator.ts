/**
 * The load generator of the send bench (bench/referrals-send.bench.ts), in a process of its own:
 * autocannon's CPU (building requests, parsing answers) is then not counted as the server's, for
 * the baseline and the referrals alike, and it does not share the server's event loop (which
 * blurred both sides' latency the same way, but counted against whichever side was busier).
 *
 * Started with `fork` by the bench; receives one `LoadRequest` per run over IPC and answers with
 * one `LoadResult`. The bodies are read from a JSON file (an array of strings) whose path the
 * request names, once per file.
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
  /** this process's CPU during the run (the load generator's own cost), ms */
  cpuMs: number;
}

const files = new Map<string, string[]>();

async function run(req: LoadRequest): Promise<LoadResult> {
  let all = files.get(req.bodiesFile);
  if (!all) {
    all = JSON.parse(fs.readFileSync(req.bodiesFile, 'utf8')) as string[];
    files.set(req.bodiesFile, all);
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

process.on('message', (req: LoadRequest) => {
  run(req).then(
    (result) => process.send!({ ok: true, result }),
    (err: unknown) => process.send!({ ok: false, error: String((err as Error).stack ?? err) }),
  );
});
