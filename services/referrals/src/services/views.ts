import type { ReferralEntity } from '../entities';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** Entity → API representation (openapi/referrals.yaml `Referral`): metadata and state, no content. */
export function referralView(r: ReferralEntity) {
  return {
    id: r.id,
    senderUnitId: r.senderUnitId,
    recipientUnitId: r.recipientUnitId,
    copyUnitIds: r.copyUnitIds,
    category: r.category,
    urgency: r.urgency,
    ageBand: r.ageBand,
    gender: r.gender,
    citizenshipGroup: r.citizenshipGroup,
    municipalityCode: r.municipalityCode,
    legalBasis: r.legalBasis,
    justificationMessageId: r.justificationMessageId ?? null,
    status: r.status,
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
    acknowledgeBy: r.acknowledgeBy.toISOString(),
    acknowledgedAt: iso(r.acknowledgedAt),
    acceptedAt: iso(r.acceptedAt),
    declinedAt: iso(r.declinedAt),
    declineReason: r.declineReason,
    declineNoteMessageId: r.declineNoteMessageId ?? null,
    closedAt: iso(r.closedAt),
    outcome: r.outcome,
    forwardedFromId: r.forwardedFromId,
    forwardedToIds: r.forwardedToIds,
    handover: r.handover,
    envelopeSizeBytes: r.envelopeSize,
    operationId: r.operationId ?? null,
    fieldRequestId: r.fieldRequestId ?? null,
    version: r.version,
  };
}
