/**
 * The escalation rule is the platform's, in one place (shared/src/domain/escalation.ts): the
 * referrals service's deadline watcher and our timers both take it from there, so that they
 * cannot drift apart.
 */
export {
  escalatesToCoordinator,
  escalationTargets,
  onCallTargets,
  sameOrganisationCover,
  TRAFFICKING_CATEGORIES,
} from '@samverkan/shared';
