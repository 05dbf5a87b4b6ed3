import type {
  EncounterTallyEntity,
  FieldRequestEntity,
  OperationEntity,
  OperationParticipantEntity,
  OperationShiftEntity,
} from '../entities';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** Entity → API representations (openapi/referrals.yaml `Operation`, `Shift`, …). */
export function operationView(op: OperationEntity, participants: OperationParticipantEntity[]) {
  return {
    id: op.id,
    name: op.name,
    municipalityCodes: op.municipalityCodes,
    startsAt: op.startsAt.toISOString(),
    endsAt: op.endsAt.toISOString(),
    organiserUnitId: op.organiserUnitId,
    coordinatorUnitId: op.coordinatorUnitId,
    status: op.status,
    participants: [...participants]
      .sort(
        (a, b) => a.invitedAt.getTime() - b.invitedAt.getTime() || a.unitId.localeCompare(b.unitId),
      )
      .map((p) => ({
        unitId: p.unitId,
        status: p.status,
        invitedAt: p.invitedAt.toISOString(),
        answeredAt: iso(p.answeredAt),
      })),
    createdAt: op.createdAt.toISOString(),
    updatedAt: op.updatedAt.toISOString(),
    activatedAt: iso(op.activatedAt),
    completedAt: iso(op.completedAt),
    cancelledAt: iso(op.cancelledAt),
    version: op.version,
  };
}

export function shiftView(s: OperationShiftEntity) {
  return {
    id: s.id,
    operationId: s.operationId,
    unitId: s.unitId,
    userId: s.userId,
    startsAt: s.startsAt.toISOString(),
    endsAt: s.endsAt.toISOString(),
    removedAt: iso(s.removedAt),
    createdAt: s.createdAt.toISOString(),
  };
}

export function fieldRequestView(f: FieldRequestEntity) {
  return {
    id: f.id,
    operationId: f.operationId,
    requesterUnitId: f.requesterUnitId,
    participantUnitIds: f.participantUnitIds,
    urgency: f.urgency,
    neededBy: f.neededBy.toISOString(),
    claimBy: f.claimBy.toISOString(),
    estimatedPersons: f.estimatedPersons,
    languages: f.languages,
    flags: f.flags,
    status: f.status,
    claimedBy: f.claimedBy,
    claimedByUnitId: f.claimedByUnitId,
    claimedAt: iso(f.claimedAt),
    enRouteAt: iso(f.enRouteAt),
    onSiteAt: iso(f.onSiteAt),
    completedAt: iso(f.completedAt),
    cancelledAt: iso(f.cancelledAt),
    escalatedAt: iso(f.escalatedAt),
    createdAt: f.createdAt.toISOString(),
    updatedAt: f.updatedAt.toISOString(),
    envelopeSizeBytes: f.envelopeSize,
    version: f.version,
  };
}

export function tallyView(t: EncounterTallyEntity) {
  return {
    fieldRequestId: t.fieldRequestId,
    operationId: t.operationId,
    peopleMet: t.peopleMet,
    supportOffered: t.supportOffered,
    supportAccepted: t.supportAccepted,
    protectedHousingArranged: t.protectedHousingArranged,
    buyersMet: t.buyersMet,
    buyersOfferedClinic: t.buyersOfferedClinic,
    referralIds: t.referralIds,
    recordedAt: t.recordedAt.toISOString(),
  };
}

/** What every operation event carries. */
export function operationEventBase(op: OperationEntity) {
  return {
    operationId: op.id,
    organiserUnitId: op.organiserUnitId,
    coordinatorUnitId: op.coordinatorUnitId,
  };
}

/** What every field-request event carries: units, urgency, times and status, never content. */
export function fieldRequestEventData(
  f: FieldRequestEntity,
  op: OperationEntity,
  extra: Record<string, unknown> = {},
) {
  return {
    fieldRequestId: f.id,
    operationId: op.id,
    organiserUnitId: op.organiserUnitId,
    requesterUnitId: f.requesterUnitId,
    participantUnitIds: f.participantUnitIds,
    coordinatorUnitId: op.coordinatorUnitId,
    urgency: f.urgency,
    neededBy: f.neededBy.toISOString(),
    status: f.status,
    ...extra,
  };
}

export function shiftEventData(s: OperationShiftEntity) {
  return {
    operationId: s.operationId,
    shiftId: s.id,
    unitId: s.unitId,
    userId: s.userId,
    startsAt: s.startsAt.toISOString(),
    endsAt: s.endsAt.toISOString(),
  };
}
