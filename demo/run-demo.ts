/**
 * `npm run demo`: the story of the design against the embedded hub (started here with a fresh
 * data folder) or, with `--url`, a running one; each step printed as a person would read it, then
 * the operation report, the statistics and the proof that the hub's database holds no plaintext.
 *
 *   npm run demo                                   # starts and stops its own embedded hub
 *   npm run demo -- --keep                         # …and keeps its data folder
 *   npm run demo -- --url http://localhost:3000 --data-dir ./data [--database-url postgres://…]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  HubUnavailableError,
  SamverkanCryptoError,
  SamverkanProblemError,
} from '@samverkan/sdk/src';
import { startHub, type HubProcess } from './hub-process';
import { scanPglite, scanPostgres, type ScanResult } from './plaintext-scan';
import { printer, type Printer } from './print';
import { runStory, type StoryResult } from './story';

const USAGE = `usage: npm run demo [-- --keep] | [-- --url <hub> --data-dir <dir> [--database-url <postgres url>]]`;

function describe(err: unknown): string {
  if (err instanceof SamverkanProblemError) {
    return `the hub refused: ${err.title} (${err.status})${err.detail ? `: ${err.detail}` : ''}`;
  }
  if (err instanceof HubUnavailableError) {
    return `the hub is not reachable: ${err.message}`;
  }
  if (err instanceof SamverkanCryptoError) {
    return `cryptography failed: ${err.message}`;
  }
  return err instanceof Error ? err.message : String(err);
}

const fmt = (v: unknown) => (v === null || v === undefined ? '–' : String(v));
const minutes = (v: number | null | undefined) =>
  v === null || v === undefined ? '–' : v < 1 ? `${Math.round(v * 60)} s` : `${v.toFixed(1)} min`;

function summary(p: Printer, story: StoryResult): void {
  const { report, statistics } = story;
  const e = report.encounters;
  p.heading('Operation report — Insatsvecka Norrköping');
  p.line(
    `  Field requests: ${report.fieldRequests.total} total, ${report.fieldRequests.byStatus.completed ?? 0} completed`,
  );
  p.line(
    `  Response times: request → claim median ${minutes(report.responseTimes.requestToClaim.medianMinutes)}, claim → on site median ${minutes(report.responseTimes.claimToOnSite.medianMinutes)}`,
  );
  p.line(
    `  Encounters: ${fmt(e.talliesRecorded)} tally, people met ${fmt(e.peopleMet)}, support offered ${fmt(e.supportOffered)}, accepted ${fmt(e.supportAccepted)}, protected housing ${fmt(e.protectedHousingArranged)}, referrals created ${fmt(e.referralsCreated)}`,
  );
  for (const unit of report.participation) {
    p.line(
      `  ${story.unitNames[String(unit.unitId)] ?? String(unit.unitId).slice(0, 8)} (${fmt(unit.role)}): ${fmt(unit.shifts)} shifts, ${fmt(unit.fieldRequestsClaimed)} claimed, ${fmt(unit.fieldRequestsCompleted)} completed`,
    );
  }
  p.line(p.c.dim('  (small numbers show as "<5": no one can be singled out)'));
  p.heading('Referral statistics (by category and outcome, cells under 5 suppressed)');
  if (statistics.rows.length === 0) {
    p.line('  (no rows)');
  }
  for (const row of statistics.rows) {
    p.line(`  ${fmt(row.key.category)} / ${fmt(row.key.outcome)}: ${fmt(row.count)} referrals`);
  }
}

function proof(p: Printer, story: StoryResult, scan: ScanResult, where: string): boolean {
  p.heading('Proof: no plaintext on the server');
  p.line(
    `  The secret marker ${p.c.bold(story.marker)} was in the referral document and in the field request's address.`,
  );
  p.line(
    `  ${p.c.green('✔')} the coordinator decrypted it on the client: the marker is in the decrypted document`,
  );
  p.line(
    `  Scanned ${where}: ${scan.tables} tables, ${scan.columns} text/json/bytea columns, ${scan.rows} rows`,
  );
  if (scan.controlRows === 0) {
    p.fail(
      `the scan did not even find the referral id ${story.referralId}, which the hub keeps in clear: it cannot be trusted`,
    );
    return false;
  }
  p.line(
    `  ${p.c.green('✔')} control: the referral id ${story.referralId.slice(0, 8)} (routing metadata, in clear) is in ${scan.controlRows} rows, so the scan sees the data`,
  );
  if (scan.hits.length > 0) {
    for (const hit of scan.hits) {
      p.fail(`plaintext found in ${hit.table} (${hit.rows} rows)`);
    }
    return false;
  }
  p.line(
    `  ${p.c.green('✔')} no plaintext: the marker, the summary and the address were found nowhere in the database`,
  );
  return true;
}

async function main(): Promise<number> {
  const p = printer();
  let args;
  try {
    args = parseArgs({
      options: {
        url: { type: 'string' },
        'data-dir': { type: 'string' },
        'database-url': { type: 'string' },
        keep: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    }).values;
  } catch (err) {
    p.fail(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    p.line(USAGE);
    return 0;
  }
  const started = Date.now();
  let hub: HubProcess | undefined;
  let tempDir: string | undefined;
  let url: string;
  let dataDir: string;
  if (args.url) {
    url = args.url.replace(/\/$/, '');
    dataDir = path.resolve(args['data-dir'] ?? process.env.SAMVERKAN_DATA_DIR ?? './data');
  } else {
    tempDir = fs.mkdtempSync(path.join(os.tmpdir(), 'samverkan-demo-'));
    dataDir = tempDir;
    p.line(p.c.dim(`Starting the embedded hub (data folder ${dataDir}) …`));
    try {
      hub = await startHub(dataDir);
    } catch (err) {
      p.fail(`could not start the embedded hub: ${describe(err)}`);
      if (!args.keep) {
        fs.rmSync(tempDir, { recursive: true, force: true });
      }
      return 1;
    }
    url = hub.url;
  }
  p.heading(`Samverkan — the story of the design, against ${url}`);

  let story: StoryResult | undefined;
  let ok = true;
  try {
    story = await runStory({ url, dataDir, print: p });
  } catch (err) {
    p.fail(`the story stopped: ${describe(err)}`);
    ok = false;
  }
  try {
    if (hub) {
      const code = await hub.stop();
      if (ok && code !== 0) {
        p.fail(`the hub did not stop cleanly (exit ${code}):\n${hub.output()}`);
        ok = false;
      }
    }
    if (ok && story) {
      summary(p, story);
      if (hub) {
        const scan = await scanPglite(
          path.join(dataDir, 'pgdata'),
          story.secrets,
          story.referralId,
        );
        ok = proof(p, story, scan, "the embedded hub's database (PGlite, opened directly)");
      } else if (args['database-url']) {
        const scan = await scanPostgres(args['database-url'], story.secrets, story.referralId);
        ok = proof(p, story, scan, 'the database at --database-url');
      } else {
        p.heading('Proof: no plaintext on the server');
        p.line(
          `  ${p.c.green('✔')} the coordinator decrypted the marker ${story.marker} on the client`,
        );
        p.line(
          p.c.yellow(
            "  The database check was skipped: pass --database-url to scan the hub's Postgres.",
          ),
        );
      }
    }
  } catch (err) {
    p.fail(`the check failed: ${describe(err)}`);
    ok = false;
  } finally {
    if (tempDir) {
      if (args.keep) {
        p.line(p.c.dim(`\nData folder kept: ${tempDir}`));
      } else {
        fs.rmSync(tempDir, { recursive: true, force: true });
      }
    }
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (ok) {
    p.line(`\n${p.c.green(p.c.bold('Demo complete'))} in ${seconds} s.`);
    return 0;
  }
  p.fail(`demo failed after ${seconds} s`);
  return 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`demo: ${describe(err)}\n`);
    process.exitCode = 1;
  },
);
