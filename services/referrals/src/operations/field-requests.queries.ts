import { contentPurgedProblem } from '../records/purged-content';
import { CommonProblems, ProblemError, type Principal } from '@samverkan/shared';
import { deny, pipelineOf, type ReferralsContext } from '../services/context';
import { fieldRequestView } from './views';

import { latestFieldRequests } from './field-requests.repository';
import { createFieldRequestAccess, fieldRequestTarget, type OperationAccessRules } from './access';

/** Field requests' reads: an operation's requests, one request, its envelope (audited). */
export function createFieldRequestQueries(ctx: ReferralsContext, rules: OperationAccessRules) {
  const target = fieldRequestTarget;
  const { visible } = createFieldRequestAccess(ctx, rules);

  return {
    async list(principal: Principal, operationId: string) {
      await rules.visibleOperation(principal, operationId, 'field_request.list');
      const rows = await latestFieldRequests(ctx.dataSource.manager, operationId, 1000);
      return { items: rows.map(fieldRequestView) };
    },

    async get(principal: Principal, id: string) {
      const { request } = await visible(principal, id, 'field_request.read');
      return fieldRequestView(request);
    },

    /** The opaque envelope, to the addressed units and the requester's unit. Audited. */
    async envelope(principal: Principal, id: string) {
      const { request, access } = await visible(principal, id, 'field_request.envelope_read');
      const t = target('field_request.envelope_read', id, principal);
      const parties = [request.requesterUnitId, ...request.participantUnitIds];
      if (!access.units.some((u) => parties.includes(u))) {
        await deny(
          ctx,
          principal,
          t,
          new ProblemError(
            CommonProblems.forbidden,
            "Only the requester's unit and the units it is addressed to may read the envelope",
          ),
        );
      }
      const purged = contentPurgedProblem(request.envelope);
      if (purged) {
        await deny(ctx, principal, t, purged);
      }
      await pipelineOf(ctx).recordRead(principal, t);
      return { fieldRequestId: id, envelope: request.envelope };
    },
  };
}

export type FieldRequestQueries = ReturnType<typeof createFieldRequestQueries>;
