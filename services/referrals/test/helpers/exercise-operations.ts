import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import * as fieldRequests from '../../src/operations/field-requests.repository';
import * as operations from '../../src/operations/operations.repository';
import * as tallies from '../../src/operations/tallies.repository';
import * as readModel from '../../src/read-model/repository';
import * as auditParties from '../../src/services/audit-parties.repository';
import { createMessagesRepository } from '../../src/services/messages.repository';

/**
 * Calls every function of the operations, field-request, tally, message-thread, audit-party and
 * directory read-model repositories on the migrated schema (test/migrations.test.ts records the
 * statements and checks them against the entities). The writes run in one transaction that is
 * rolled back: the sync database stays empty for the other statements. Rows are written first so
 * that the reads, locks and updates that need them find them.
 */
export async function exerciseOperationsRepositories(ds: DataSource): Promise<void> {
  const now = new Date();
  const later = new Date(now.getTime() + 60 * 60 * 1000);
  const org = randomUUID();
  const unit = randomUUID();
  const operationId = randomUUID();
  const fieldRequestId = randomUUID();
  const shiftId = randomUUID();
  const runner = ds.createQueryRunner();
  await runner.connect();
  await runner.startTransaction();
  try {
    const tx = runner.manager;
    // The directory read model (read-model/repository.ts).
    const at = now.toISOString();
    await readModel.upsertUnit(
      tx,
      {
        unitId: unit,
        organisationId: org,
        organisationKind: 'social_services',
        status: 'active',
        onCallUnitId: null,
        coverage: ['0580'],
        purpose: 'service',
      },
      at,
    );
    await readModel.upsertMember(
      tx,
      { unitId: unit, userId: 'someone', roles: ['caseworker'], active: true },
      at,
    );
    await readModel.upsertUnitKeys(
      tx,
      { unitId: unit, organisationId: org, activeEncryptionKids: ['kid'] },
      at,
    );
    await readModel.coordinatorUnitIds(tx, '0580');
    await readModel.actingUnitIds(tx, {
      sub: 'someone',
      org,
      iss: 'https://issuer.example',
      roles: ['caseworker'],
      units: [unit],
    } as never);
    await readModel.isActiveMember(tx, unit, 'someone');
    await readModel.activeAuditUnits(tx, org);
    await readModel.unitsByIds(tx, [unit]);

    // Operations, participants and shifts (operations/operations.repository.ts).
    const op = await operations.insertOperation(tx, {
      id: operationId,
      name: 'Insats',
      municipalityCodes: ['0580'],
      startsAt: now,
      endsAt: later,
      organiserUnitId: randomUUID(),
      organiserOrganisationId: randomUUID(),
      coordinatorUnitId: null,
      status: 'active',
      activatedAt: now,
      completedAt: null,
      cancelledAt: null,
      version: 1,
    });
    await operations.insertParticipants(tx, [
      {
        operationId,
        unitId: unit,
        organisationId: org,
        organisationKind: 'social_services',
        status: 'invited',
        invitedAt: now,
        answeredAt: null,
      },
    ]);
    await operations.findOperation(tx, operationId);
    await operations.operationOf(tx, operationId);
    const locked = await operations.lockOperation(tx, operationId);
    locked.version = op.version + 1;
    await operations.saveOperation(tx, locked);
    await operations.operationsByIds(tx, [operationId]);
    await operations.latestOperations(tx, 10);
    await operations.participantsOf(tx, operationId);
    await operations.participantsOfOperations(tx, [operationId]);
    await operations.acceptedParticipants(tx, operationId);
    const participant = await operations.participantOf(tx, operationId, unit);
    participant.status = 'accepted';
    participant.answeredAt = now;
    await operations.saveParticipant(tx, participant);
    await operations.insertShift(tx, {
      id: shiftId,
      operationId,
      unitId: unit,
      userId: 'someone',
      startsAt: now,
      endsAt: later,
      removedAt: null,
    });
    await operations.shiftsOf(tx, operationId);
    await operations.currentShiftsOf(tx, operationId);
    await operations.findShift(tx, operationId, shiftId);
    await operations.onShiftNow(tx, operationId, now, [unit]);
    const shift = await operations.lockShift(tx, shiftId);
    shift.removedAt = now;
    await operations.saveShift(tx, shift);
    await operations.visibleOperationIds(tx, {
      units: [unit],
      organisationId: org,
      officer: true,
      orgAdmin: true,
      status: 'active',
    });

    // Field requests (operations/field-requests.repository.ts).
    await fieldRequests.insertFieldRequest(tx, {
      id: fieldRequestId,
      operationId,
      requesterUnitId: randomUUID(),
      participantUnitIds: [unit],
      urgency: 'acute',
      neededBy: later,
      claimBy: now,
      estimatedPersons: { adults: 1, children: 0, unknown: 0 },
      languages: ['sv'],
      flags: { childSuspected: false, protectedHousingLikely: false, buyerPresent: false },
      envelope: { sealed: true },
      envelopeSize: 10,
    });
    await fieldRequests.fieldRequestExists(tx, fieldRequestId);
    await fieldRequests.findFieldRequest(tx, fieldRequestId);
    await fieldRequests.latestFieldRequests(tx, operationId, 10);
    await fieldRequests.fieldRequestsOf(tx, operationId);
    const due = await fieldRequests.claimUnclaimedFieldRequest(tx, now);
    if (due) {
      due.escalatedAt = now;
      await fieldRequests.saveFieldRequest(tx, due);
    }
    await fieldRequests.claimIfOpen(tx, fieldRequestId, {
      claimedBy: 'someone',
      claimedByUnitId: unit,
      claimedAt: now,
    });
    const request = await fieldRequests.lockFieldRequest(tx, fieldRequestId);
    await fieldRequests.fieldRequestOf(tx, request.id);

    // Tallies (operations/tallies.repository.ts).
    await tallies.tallyExists(tx, fieldRequestId);
    await tallies.lockReferral(tx, randomUUID());
    await tallies.linkReferral(tx, randomUUID(), { operationId, fieldRequestId });
    await tallies.insertTally(tx, {
      fieldRequestId,
      operationId,
      peopleMet: [],
      supportOffered: 0,
      supportAccepted: 0,
      protectedHousingArranged: 0,
      buyersMet: 0,
      buyersOfferedClinic: 0,
      referralIds: [],
    });
    await tallies.tallyOf(tx, fieldRequestId);
    await tallies.talliesOf(tx, operationId);

    // The parties of audited objects (services/audit-parties.repository.ts).
    await auditParties.referralPartyOrgs(tx, randomUUID());
    await auditParties.operationPartyOrgs(tx, operationId);
    await auditParties.fieldRequestPartyOrgs(tx, fieldRequestId);
    await auditParties.unitOrgs(tx, unit);

    // The message thread (services/messages.repository.ts): the message and its timeline row
    // (no foreign key asks for the referral), a sealed note and the id check; then the
    // referral's lock, which finds none.
    const thread = createMessagesRepository(ds);
    await thread.post(tx, {
      id: randomUUID(),
      referralId: randomUUID(),
      senderUnitId: unit,
      envelope: { sealed: true },
      envelopeSize: 10,
      createdAt: now,
    });
    const noteId = randomUUID();
    await thread.insertNote(tx, {
      id: noteId,
      referralId: randomUUID(),
      senderUnitId: unit,
      envelope: { sealed: true },
      envelopeSize: 10,
    });
    await thread.exists(tx, noteId);
    await thread.lockReferral(tx, randomUUID()).catch(() => undefined);
  } finally {
    await runner.rollbackTransaction();
    await runner.release();
  }
  await createMessagesRepository(ds).thread(randomUUID(), 10);
  await createMessagesRepository(ds).find(randomUUID(), randomUUID());
}
