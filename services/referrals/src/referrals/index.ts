import type { ReferralsContext } from '../services/context';
import { pipelineOf } from '../services/context';
import { createReferralAccess } from './access';
import { createReferralCommands } from './commands';
import { createEnvelopeChecks } from './envelope-check';
import { createReferralQueries } from './queries';
import { createReferralsRepository } from './repository';

export {
  ENVELOPE_IAT_MAX_AGE_SECONDS,
  ENVELOPE_IAT_MAX_FUTURE_SECONDS,
  noteAddressees,
} from './envelope-check';
export {
  emptyHandover,
  eventData,
  isSameSend,
  type ReferralCreate,
  type ReferralListQuery,
  type SealedNote,
} from './model';

/**
 * The referral aggregate: its access rules (access.ts), the envelope checks (envelope-check.ts),
 * its SQL (repository.ts), its writes (commands.ts) and reads (queries.ts).
 */
export function createReferralsService(ctx: ReferralsContext) {
  const repository = createReferralsRepository(ctx);
  const access = createReferralAccess(ctx, repository);
  const envelopes = createEnvelopeChecks(ctx);
  const commands = createReferralCommands(ctx, pipelineOf(ctx), repository, access, envelopes);
  const queries = createReferralQueries(ctx, repository, access);
  return {
    /**
     * The access and envelope rules, shared with the services of things that hang off a referral
     * (its message thread) so that they cannot drift apart from the referral's own.
     */
    rules: {
      actingPrincipal: access.actingPrincipal,
      visible: access.visible,
      checkEnvelope: envelopes.checkEnvelope,
    },
    ...commands,
    ...queries,
  };
}

export type ReferralsService = ReturnType<typeof createReferralsService>;
