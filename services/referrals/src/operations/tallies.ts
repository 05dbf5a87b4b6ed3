import { CommonProblems, ProblemError, type Principal } from '@samverkan/shared';
import { ReferralProblems as P } from '../domain/errors';
import { checkTally, tallyMayLink, type TallyInput } from '../domain/field-requests';
import { isClaimer } from '../domain/operation-access';
import { FieldRequestEvents } from '../events/operation-events';
import { deny, pipelineOf, type ReferralsContext } from '../services/context';
import { fieldRequestEventData, tallyView } from './views';

import { createFieldRequestAccess, fieldRequestTarget, type OperationAccessRules } from './access';
import { lockFieldRequest } from './field-requests.repository';
import { operationOf } from './operations.repository';
import {
  insertTally,
  linkReferral,
  lockReferral,
  tallyExists,
  tallyOf,
} from './tallies.repository';

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
      if (!isClaimer(principal, access.units, request)) {
        await deny(ctx, principal, t, new ProblemError(P.notTheClaimer));
      }
      return pipelineOf(ctx).transact(principal, t, async (tx) => {
        const row = await lock(tx, id);
        if (row.status !== 'completed') {
          throw new ProblemError(
            P.fieldRequestTransitionNotAllowed,
            `A tally is recorded once the field request is completed; it is ${row.status}`,
            { extensions: { currentStatus: row.status } },
          );
        }
        if (await tallyExists(tx, id)) {
          throw new ProblemError(P.tallyAlreadyRecorded);
        }
        checkTally(input);
        const unit = row.claimedByUnitId!;
        for (const referralId of input.referralIds) {
          const referral = await lockReferral(tx, referralId);
          if (!referral || !tallyMayLink(referral, unit, id)) {
            throw new ProblemError(
              P.tallyReferralInvalid,
              `Referral ${referralId} cannot be linked`,
              {
                errors: [{ field: 'body.referralIds', message: `${referralId} cannot be linked` }],
              },
            );
          }
          await linkReferral(tx, referralId, { operationId: row.operationId, fieldRequestId: id });
        }
        const saved = await insertTally(tx, {
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
        const operation = await operationOf(tx, row.operationId);
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
      const row = await tallyOf(ctx.dataSource.manager, id);
      if (!row) {
        throw new ProblemError(CommonProblems.notFound, 'No tally has been recorded yet');
      }
      return tallyView(row);
    },
  };
}

export type Tallies = ReturnType<typeof createTallies>;
