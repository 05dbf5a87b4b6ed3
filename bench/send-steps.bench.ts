/**
 * The CPU of the pure steps a send (`POST /v1/referrals`) takes with its ~4 KB sealed body, each
 * timed alone in a loop (µs of this process's CPU per call, `process.cpuUsage`): the JSON
 * parse and its depth and non-finite checks (create-app.ts), the Idempotency-Key's request hash
 * (canonical JSON + SHA-256), the envelope's shape check (`envelopeRoutingInfo`) and the size
 * count. No database, no HTTP, one process: where `bench:referrals` is swamped by a busy
 * machine (its CPU per request moves by a third between runs at load 12–16 on two cores), these
 * figures move by a few per cent, so a change to one step can be measured before and after.
 *
 * Run: `npx tsx bench/send-steps.bench.ts` (BENCH_CALLS, default 5000 per step). Ends with one
 * line of JSON, each step's µs per call.
 */
import { createHash, randomUUID } from 'node:crypto';
import {
  envelopeRoutingInfo,
  generateUnitEncryptionKey,
  generateUnitSigningKey,
  jsonDepthExceeds,
  MAX_JSON_DEPTH,
  nonFiniteNumberAt,
  referralMetadata,
  sealEnvelope,
  utf8Length,
} from '@samverkan/shared';
import { canonicalJson } from '@samverkan/shared/src/audit/hash-chain';
import {
  DEFAULT_REFERRAL_META,
  referralDocument,
} from '@samverkan/referrals/test/helpers/agency-client';

const calls = Number(process.env.BENCH_CALLS ?? 5000);

/** µs of CPU per call of `step`, after a warm-up of a tenth as many calls. */
function cpuMicros(step: () => unknown): number {
  for (let i = 0; i < Math.ceil(calls / 10); i++) {
    step();
  }
  const before = process.cpuUsage();
  for (let i = 0; i < calls; i++) {
    step();
  }
  const used = process.cpuUsage(before);
  return Math.round(((used.user + used.system) / calls) * 10) / 10;
}

async function main(): Promise<void> {
  const from = randomUUID();
  const to = randomUUID();
  const id = randomUUID();
  const [signing, senderEnc, recipientEnc] = await Promise.all([
    generateUnitSigningKey(),
    generateUnitEncryptionKey(),
    generateUnitEncryptionKey(),
  ]);
  const sealed = await sealEnvelope({
    meta: referralMetadata({
      ...DEFAULT_REFERRAL_META,
      id,
      senderUnitId: from,
      recipientUnitId: to,
    }),
    document: referralDocument('bench'),
    sender: { signingKey: { kid: signing.kid, privateJwk: signing.privateJwk } },
    recipients: [{ unitId: to, encryptionKeys: [recipientEnc.publicJwk] }],
    senderEncryptionKeys: [senderEnc.publicJwk],
  });
  const text = JSON.stringify({
    id,
    senderUnitId: from,
    recipientUnitId: to,
    copyUnitIds: [],
    ...DEFAULT_REFERRAL_META,
    envelope: sealed.jwe,
  });
  const body = JSON.parse(text) as { envelope: unknown };
  const envelopeJson = JSON.stringify(body.envelope);

  const steps: Record<string, number> = {
    jsonParse: cpuMicros(() => JSON.parse(text)),
    jsonDepth: cpuMicros(() => jsonDepthExceeds(text, MAX_JSON_DEPTH)),
    nonFiniteNumbers: cpuMicros(() => nonFiniteNumberAt(body)),
    requestHash: cpuMicros(() =>
      createHash('sha256').update('POST /v1/referrals\n').update(canonicalJson(body)).digest('hex'),
    ),
    envelopeRoutingInfo: cpuMicros(() => envelopeRoutingInfo(body.envelope)),
    envelopeSize: cpuMicros(() => utf8Length(envelopeJson)),
  };
  process.stdout.write(`body ${Buffer.byteLength(text)} B, ${calls} calls per step\n`);
  for (const [step, micros] of Object.entries(steps)) {
    process.stdout.write(`${step.padEnd(24)} ${String(micros).padStart(7)} µs\n`);
  }
  process.stdout.write(`${JSON.stringify({ bench: 'send-steps', calls, microsPerCall: steps })}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
