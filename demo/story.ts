/**
 * The story of the design (docs/architecture.md#operation-weeks), told through the SDK as the agencies would live it: an
 * operation week in Norrköping is planned and staffed; during a raid an officer asks for a social
 * worker on site; the worker on shift claims it; after the encounter a trafficking referral goes
 * to the regional coordinator, who forwards it to Frideborg and Novahuset; Novahuset accepts and
 * both sides confirm the warm handover; the operation report and statistics show the result.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { loadDevIssuer } from '@samverkan/shared/src/auth/dev-issuer';
import { DEMO_UNITS as U, DEMO_USERS } from '@samverkan/shared/src/demo/demo-directory';
import {
  createAgency,
  createSamverkanClient,
  data,
  fromDevKeyStore,
  idempotency,
  SamverkanProblemError,
  type Agency,
  type KeyStoreContent,
  type ReferralCreate,
  type SamverkanClient,
} from '@samverkan/sdk/src';
import type { Printer } from './print';

const MINUTE = 60_000;

export interface StoryResult {
  operationId: string;
  referralId: string;
  /** The secret phrases that must never reach the hub in clear. */
  secrets: string[];
  marker: string;
  /** Unit names by id, as the directory gave them. */
  unitNames: Record<string, string>;
  report: {
    fieldRequests: { total: number; byStatus: Record<string, number> };
    responseTimes: {
      requestToClaim: { count: number; medianMinutes: number | null };
      claimToOnSite: { count: number; medianMinutes: number | null };
    };
    encounters: Record<string, unknown>;
    participation: Array<Record<string, unknown>>;
  };
  statistics: { rows: Array<{ key: Record<string, unknown>; count: number | string }> };
}

/** Retries a call the hub refuses while its read models still catch up with the directory. */
async function settled<T>(work: () => Promise<T>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await work();
    } catch (err) {
      const retriable =
        err instanceof SamverkanProblemError && [403, 404, 409, 422].includes(err.status);
      if (!retriable || Date.now() > deadline) {
        throw err;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

export async function runStory(options: {
  url: string;
  dataDir: string;
  print: Printer;
}): Promise<StoryResult> {
  const { url, dataDir, print: p } = options;
  const keyFile = path.join(dataDir, 'dev-keys', 'keys.json');
  if (!fs.existsSync(keyFile)) {
    throw new Error(`no demo key store at ${keyFile}: is --data-dir the hub's data folder?`);
  }
  const keys: KeyStoreContent = fromDevKeyStore(
    JSON.parse(fs.readFileSync(keyFile, 'utf8')) as Parameters<typeof fromDevKeyStore>[0],
  );
  const issuer = await loadDevIssuer(dataDir);
  const clients = new Map<string, SamverkanClient>();
  const as = (user: string): SamverkanClient => {
    let client = clients.get(user);
    if (!client) {
      const claims = DEMO_USERS[user]!;
      let cached: { token: string; until: number } | undefined;
      client = createSamverkanClient({
        url,
        token: async () => {
          if (!cached || cached.until < Date.now()) {
            const token = await issuer.mint(claims, {
              audience: process.env.AUTH_AUDIENCE ?? 'samverkan',
            });
            cached = { token, until: Date.now() + 5 * MINUTE };
          }
          return cached.token;
        },
      });
      clients.set(user, client);
    }
    return client;
  };
  const agency = (user: string, unitId: string): Agency =>
    createAgency({ client: as(user), keys, unitId });

  const units = new Map<string, { name: string; prefix: string }>();
  const unit = async (unitId: string) => {
    if (!units.has(unitId)) {
      const found = await settled(() =>
        data(
          as('police.officer').directory.GET('/v1/units/{id}', {
            params: { path: { id: unitId } },
          }),
        ),
      );
      units.set(unitId, {
        name: found.name,
        // The police are known by their region ("Polisen Region Öst"), the others by their unit.
        prefix: found.organisation.kind === 'police' ? `${found.organisation.name}, ` : '',
      });
    }
    return units.get(unitId)!;
  };
  const name = async (unitId: string): Promise<string> => (await unit(unitId)).name;
  const who = async (unitId: string, user: string) => {
    const u = await unit(unitId);
    return `${p.c.bold(`${u.prefix}${u.name}`)} (${user})`;
  };
  const short = (id: string) => p.c.cyan(id.slice(0, 8));

  // The secrets: a random marker in the field request's address and in the referral document.
  const marker = `DEMO-${randomBytes(6).toString('hex')}`;
  const address = `Bergsgatan 17, lgh 1102, Norrköping (${marker})`;
  const summary = `${marker}: met during the raid in Norrköping; wants to talk to someone about leaving and needs a safe place tonight.`;

  // 1. The police plan the week.
  const now = Date.now();
  const police = as('police.officer');
  p.step(
    `${await who(U.policeTraffickingOst, 'police.officer')} plans 'Insatsvecka Norrköping' for municipality 0581 this week, with ${await name(U.coordinator)} as coordinator, and invites ${await name(U.socialjour)} and ${await name(U.frideborg)}.`,
  );
  const operation = await settled(() =>
    data(
      police.referrals.POST('/v1/operations', {
        params: { header: idempotency() },
        body: {
          name: 'Insatsvecka Norrköping',
          municipalityCodes: ['0581'],
          startsAt: new Date(now - 5 * MINUTE).toISOString(),
          endsAt: new Date(now + 7 * 24 * 60 * MINUTE).toISOString(),
          organiserUnitId: U.policeTraffickingOst,
          coordinatorUnitId: U.coordinator,
          invitedUnitIds: [U.socialjour, U.frideborg],
        },
      }),
    ),
  );
  const opId = operation.id;
  p.result(`operation ${short(opId)} planned (${operation.status})`);

  // 2. Norrköping accepts for both units and puts a caseworker of each on call.
  const admin = as('norrkoping.admin');
  p.step(
    `${p.c.bold("Norrköping's social services")} (norrkoping.admin) accept the invitation for both units and put socialjour.caseworker and frideborg.caseworker on shift.`,
  );
  for (const unitId of [U.socialjour, U.frideborg]) {
    await settled(() =>
      data(
        admin.referrals.POST('/v1/operations/{id}/participants/{unitId}/accept', {
          params: { path: { id: opId, unitId }, header: idempotency() },
          body: {},
        }),
      ),
    );
  }
  for (const [unitId, userId] of [
    [U.socialjour, 'socialjour.caseworker'],
    [U.frideborg, 'frideborg.caseworker'],
  ] as const) {
    await settled(() =>
      data(
        admin.referrals.POST('/v1/operations/{id}/shifts', {
          params: { path: { id: opId }, header: idempotency() },
          body: {
            unitId,
            userId,
            startsAt: new Date(now - MINUTE).toISOString(),
            endsAt: operation.endsAt,
          },
        }),
      ),
    );
  }
  const activated = await data(
    police.referrals.POST('/v1/operations/{id}/activate', {
      params: { path: { id: opId }, header: idempotency() },
      body: {},
    }),
  );
  p.result(`2 units take part, 2 caseworkers on shift; the operation is ${activated.status}`);

  // 3. During a raid: a social worker on site, the address sealed for the units on call.
  const officer = agency('police.officer', U.policeTraffickingOst);
  const addressed = [U.socialjour, U.frideborg].sort();
  const requestId = randomUUID();
  p.step(
    `During a raid, ${await who(U.policeTraffickingOst, 'police.officer')} requests a social worker on site: acute, two adults, Romanian interpreter. The address is encrypted on the officer's device for the units on call.`,
  );
  const clear = {
    urgency: 'acute' as const,
    neededBy: new Date(Date.now() + 20 * MINUTE).toISOString(),
    estimatedPersons: { adults: 2, children: 0, unknown: 0 },
    languages: ['ro'],
    flags: { childSuspected: false, protectedHousingLikely: true, buyerPresent: false },
  };
  const envelope = await officer.sealFieldRequest(
    { fieldRequestId: requestId, operationId: opId, participantUnitIds: addressed, ...clear },
    { address, details: 'Two women in a flat; interpreter for Romanian needed.' },
  );
  const fieldRequest = await data(
    police.referrals.POST('/v1/operations/{id}/field-requests', {
      params: { path: { id: opId }, header: idempotency() },
      body: {
        id: requestId,
        requesterUnitId: U.policeTraffickingOst,
        ...clear,
        envelope: envelope as ReferralCreate['envelope'],
      },
    }),
  );
  p.result(
    `field request ${short(fieldRequest.id)} ${fieldRequest.status}, sent to ${fieldRequest.participantUnitIds.length} units on call`,
  );

  // 4. The worker on shift claims it and reads the address with the unit's own key.
  const worker = as('socialjour.caseworker');
  const workerAgency = agency('socialjour.caseworker', U.socialjour);
  p.step(
    `${await who(U.socialjour, 'socialjour.caseworker')}, on shift, claims the request (the first to claim gets it) and decrypts the address on their own device.`,
  );
  const claimed = await data(
    worker.referrals.POST('/v1/field-requests/{id}/claim', {
      params: { path: { id: requestId }, header: idempotency() },
      body: { unitId: U.socialjour },
    }),
  );
  const openedRequest = await workerAgency.openFieldRequest<{ address: string }>(requestId);
  if (!openedRequest.document.address.includes(marker)) {
    throw new Error('the decrypted field request does not hold the address the officer sealed');
  }
  p.result(
    `${claimed.status}; address decrypted: "${openedRequest.document.address}" (signed by the officer's unit, verified)`,
  );

  // 5. On the way, on site.
  p.step(`${await who(U.socialjour, 'socialjour.caseworker')} reports: en route, then on site.`);
  for (const step of ['en-route', 'on-site'] as const) {
    await data(
      worker.referrals.POST(`/v1/field-requests/{id}/${step}`, {
        params: { path: { id: requestId }, header: idempotency() },
        body: {},
      }),
    );
  }
  p.result('on site');

  // 6. After the encounter, with her consent, a trafficking referral to the regional coordinator.
  const document = {
    version: 1,
    person: {
      ageBand: 'adult',
      givenName: 'Ana',
      languages: ['ro', 'en'],
      interpreterNeeded: true,
    },
    situation: { summary, exploitation: ['trafficking_sexual'] },
    requests: ['support_talks', 'protected_housing'],
    consent: { given: true, scope: 'Sharing with the coordinator, social services and Novahuset' },
    senderContact: { role: 'social worker on call' },
  };
  p.step(
    `After the encounter, with the woman's consent, ${await who(U.socialjour, 'socialjour.caseworker')} sends a trafficking referral to ${p.c.bold(await name(U.coordinator))}, signed and encrypted on the device.`,
  );
  const sent = await workerAgency.sendReferral({
    recipientUnitId: U.coordinator,
    document,
    meta: {
      category: 'trafficking_sexual',
      urgency: 'urgent',
      ageBand: 'adult',
      gender: 'female',
      citizenshipGroup: 'eu',
      municipalityCode: '0581',
      legalBasis: 'consent',
    },
  });
  p.result(`referral ${short(sent.id)} ${sent.status}; the hub sees only its routing metadata`);

  // 7. The visit is done; the numbers of the encounter, linked to the referral.
  p.step(
    `${await who(U.socialjour, 'socialjour.caseworker')} completes the field request and records the encounter: 2 women met, both offered support, 1 accepted.`,
  );
  await data(
    worker.referrals.POST('/v1/field-requests/{id}/complete', {
      params: { path: { id: requestId }, header: idempotency() },
      body: {},
    }),
  );
  await data(
    worker.referrals.POST('/v1/field-requests/{id}/tally', {
      params: { path: { id: requestId }, header: idempotency() },
      body: {
        peopleMet: [{ gender: 'female', ageBand: 'adult', citizenshipGroup: 'eu', count: 2 }],
        supportOffered: 2,
        supportAccepted: 1,
        protectedHousingArranged: 1,
        buyersMet: 0,
        buyersOfferedClinic: 0,
        referralIds: [sent.id],
      },
    }),
  );
  p.result('completed; tally recorded and linked to the referral');

  // 8. The coordinator decrypts it on the client and forwards it, re-encrypted for each unit.
  const coordinator = agency('coordinator.ostergotland', U.coordinator);
  p.step(
    `${await who(U.coordinator, 'coordinator.ostergotland')} opens the referral on the client, verifies the signature and forwards it to ${await name(U.frideborg)} and ${await name(U.novahuset)}, re-encrypted for each.`,
  );
  const opened = await coordinator.openReferral<typeof document>(sent.id);
  const decryptedHoldsMarker = opened.document.situation.summary.includes(marker);
  if (!decryptedHoldsMarker) {
    throw new Error('the coordinator decrypted a referral without the marker it was sent with');
  }
  await data(
    as('coordinator.ostergotland').referrals.POST('/v1/referrals/{id}/acknowledge', {
      params: { path: { id: sent.id }, header: idempotency() },
      body: {},
    }),
  );
  const forwarded = await coordinator.forwardReferral(sent.id, [
    { recipientUnitId: U.frideborg },
    { recipientUnitId: U.novahuset },
  ]);
  const toNovahuset = forwarded.forwards.find((f) => f.recipientUnitId === U.novahuset)!;
  const toFrideborg = forwarded.forwards.find((f) => f.recipientUnitId === U.frideborg)!;
  p.result(
    `decrypted on the coordinator's client: "${opened.document.situation.summary.slice(0, 60)}…"`,
  );
  p.result(
    `forwarded: ${short(toFrideborg.id)} → ${await name(U.frideborg)}, ${short(toNovahuset.id)} → ${await name(U.novahuset)}`,
  );

  // 9. Novahuset reads it and accepts; the warm handover is planned.
  const novahusetAgency = agency('novahuset.caseworker', U.novahuset);
  const novahuset = as('novahuset.caseworker');
  p.step(
    `${await who(U.novahuset, 'novahuset.caseworker')} decrypts its copy, accepts, and plans a warm handover in person.`,
  );
  const novaDoc = await novahusetAgency.openReferral<typeof document>(toNovahuset.id);
  if (novaDoc.claims.iss !== U.coordinator && novaDoc.aad.from !== U.coordinator) {
    throw new Error("Novahuset's copy is not signed by the coordinator");
  }
  const post = (client: SamverkanClient, route: string, id: string, body: object = {}) =>
    data(
      client.referrals.POST(route as '/v1/referrals/{id}/accept', {
        params: { path: { id }, header: idempotency() },
        body: body as never,
      }),
    ) as Promise<{ id: string; status: string }>;
  await post(novahuset, '/v1/referrals/{id}/accept', toNovahuset.id);
  const planned = await post(novahuset, '/v1/referrals/{id}/handover', toNovahuset.id, {
    mode: 'in_person',
    plannedFor: new Date(Date.now() + 60 * MINUTE).toISOString(),
  });
  p.result(`accepted; ${planned.status.replace(/_/g, ' ')} (verified: signed by the coordinator)`);

  // 10. Both sides confirm the handover took place; closed with support started.
  p.step(
    `The handover happens: ${await who(U.coordinator, 'coordinator.ostergotland')} and ${await who(U.novahuset, 'novahuset.caseworker')} both confirm it; Novahuset closes the referral with support started.`,
  );
  await post(
    as('coordinator.ostergotland'),
    '/v1/referrals/{id}/confirm-handover',
    toNovahuset.id,
    {
      side: 'sender',
    },
  );
  const confirmed = await post(novahuset, '/v1/referrals/{id}/confirm-handover', toNovahuset.id, {
    side: 'recipient',
  });
  const closed = await post(novahuset, '/v1/referrals/{id}/close', toNovahuset.id, {
    outcome: 'support_started',
  });
  p.result(`${confirmed.status.replace(/_/g, ' ')}; referral ${short(closed.id)} ${closed.status}`);

  // 11. The week ends; the county board reads the report and the statistics.
  p.step(
    `${await who(U.policeTraffickingOst, 'police.officer')} completes the operation; ${p.c.bold('Länsstyrelsen Östergötland')} (lansstyrelsen.analyst) reads the report and the referral statistics.`,
  );
  const completed = await data(
    police.referrals.POST('/v1/operations/{id}/complete', {
      params: { path: { id: opId }, header: idempotency() },
      body: {},
    }),
  );
  const analyst = as('lansstyrelsen.analyst');
  const report = (await data(
    analyst.referrals.GET('/v1/operations/{id}/report', { params: { path: { id: opId } } }),
  )) as unknown as StoryResult['report'];
  const statistics = (await data(
    analyst.referrals.GET('/v1/statistics/referrals', {
      params: { query: { groupBy: ['category', 'outcome'] } },
    }),
  )) as unknown as StoryResult['statistics'];
  p.result(`operation ${completed.status}; report and statistics read`);

  return {
    operationId: opId,
    referralId: sent.id,
    secrets: [marker, summary, address],
    marker,
    unitNames: Object.fromEntries([...units].map(([id, u]) => [id, u.name])),
    report,
    statistics,
  };
}
