import { CommonProblems, ProblemError, type Principal } from '@samverkan/shared';
import { EncounterTallyEntity, OperationEntity, ReferralEntity } from '../entities';
import { ReferralProblems as P } from '../domain/errors';
import { checkTally, type TallyInput } from '../domain/field-requests';
import { FieldRequestEvents } from '../events/operation-events';
import { deny, type ReferralsContext } from '../services/context';
import { fieldRequestEventData, tallyView } from './views';

import {
  auditedChange,
  createFieldRequestAccess,
  fieldRequestTarget,
  type OperationAccessRules,
} from './access';
import { lockFieldRequest } from './operations.repository';

/** The encounter tally of a completed field request: counts only, never about a person (docs/architecture.md#operation-weeks). */
export function createTallies(ctx: ReferralsContext, rules: OperationAccessRules) {
  const target = fieldRequestTarget;
  const { visible } = createFieldRequestAccess(ctx, rules);
  const lock = lockFieldRequest;

  return {
    /** The claimer records the encounter tally of a completed field request, once. */
    async recordTally(principal: Principal, id: string, input: TallyInput) {
      const { request, access } = await visible(principal, id, 'field_request.tally');
      const t = target('field_request.tally', id, principal);
      if (
        request.claimedBy !== principal.sub ||
        request.claimedByUnitId === null ||
        !access.units.includes(request.claimedByUnitId)
      ) {
        await deny(ctx, principal, t, new ProblemError(P.notTheClaimer));
      }
      return auditedChange(ctx, principal, t, async (tx) => {
        const row = await lock(tx, id);
        if (row.status !== 'completed') {
          throw new ProblemError(
            P.fieldRequestTransitionNotAllowed,
            `A tally is recorded once the field request is completed; it is ${row.status}`,
            { extensions: { currentStatus: row.status } },
          );
        }
        if (await tx.existsBy(EncounterTallyEntity, { fieldRequestId: id })) {
          throw new ProblemError(P.tallyAlreadyRecorded);
        }
        checkTally(input);
        const unit = row.claimedByUnitId!;
        for (const referralId of input.referralIds) {
          const referral = await tx.findOne(ReferralEntity, {
            where: { id: referralId },
            lock: { mode: 'pessimistic_write' },
          });
          const party =
            referral &&
            (referral.senderUnitId === unit ||
              referral.recipientUnitId === unit ||
              referral.copyUnitIds.includes(unit));
          if (!referral || !party || (referral.fieldRequestId && referral.fieldRequestId !== id)) {
            throw new ProblemError(
              P.tallyReferralInvalid,
              `Referral ${referralId} cannot be linked`,
              {
                errors: [{ field: 'body.referralIds', message: `${referralId} cannot be linked` }],
              },
            );
          }
          referral.operationId = row.operationId;
          referral.fieldRequestId = id;
          await tx.save(ReferralEntity, referral);
        }
        await tx.insert(EncounterTallyEntity, {
          fieldRequestId: id,
          operationId: row.operationId,
          peopleMet: input.peopleMet,
          supportOffered: input.supportOffered,
          supportAccepted: input.supportAccepted,
          protectedHousingArranged: input.protectedHousingArranged,
          buyersMet: input.buyersMet,
          buyersOfferedClinic: input.buyersOfferedClinic,
          referralIds: input.referralIds,
        });
        const saved = await tx.findOneByOrFail(EncounterTallyEntity, { fieldRequestId: id });
        const operation = await tx.findOneByOrFail(OperationEntity, { id: row.operationId });
        return {
          result: tallyView(saved),
          events: [
            {
              type: FieldRequestEvents.tallyRecorded,
              data: fieldRequestEventData(row, operation, {
                claimedBy: row.claimedBy,
                claimedByUnitId: row.claimedByUnitId,
              }),
            },
          ],
        };
      });
    },

    async tally(principal: Principal, id: string) {
      await visible(principal, id, 'field_request.tally_read');
      const row = await ctx.dataSource
        .getRepository(EncounterTallyEntity)
        .findOneBy({ fieldRequestId: id });
      if (!row) {
        throw new ProblemError(CommonProblems.notFound, 'No tally has been recorded yet');
      }
      return tallyView(row);
    },
  };
}

export type Tallies = ReturnType<typeof createTallies>;
