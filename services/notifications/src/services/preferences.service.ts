import { ProblemError, type Principal } from '@samverkan/shared';
import { NotificationPreferenceEntity } from '../entities';
import { NotificationProblems } from '../domain/errors';
import {
  CRITICAL_KINDS,
  effectiveChannels,
  NOTIFICATION_KINDS,
  preferenceRefusal,
  type Channel,
  type NotificationKind,
} from '../domain/kinds';
import type { components } from '../generated/openapi';
import type { NotificationsContext } from './context';

type Preferences = components['schemas']['NotificationPreferences'];

/**
 * Per person (organisation and subject), per kind: the channels (in_app, webhook of their unit) a
 * kind arrives on.
 */
export function createPreferencesService(ctx: NotificationsContext) {
  async function get(principal: Principal): Promise<Preferences> {
    const rows = await ctx.dataSource
      .getRepository(NotificationPreferenceEntity)
      .findBy({ userOrganisationId: principal.org, userId: principal.sub });
    const chosen = new Map(rows.map((r) => [r.kind, r.channels]));
    return {
      preferences: NOTIFICATION_KINDS.map((kind) => ({
        kind,
        channels: effectiveChannels(kind, chosen.get(kind)),
        critical: CRITICAL_KINDS.has(kind),
      })),
    };
  }

  return {
    get,

    async put(
      principal: Principal,
      body: components['schemas']['NotificationPreferencesUpdate'],
    ): Promise<Preferences> {
      const target = {
        action: 'notification_preferences.update',
        objectType: 'notification_preferences',
        objectId: principal.sub,
      };
      await ctx.pipeline.transact(principal, target, async (tx) => {
        for (const p of body.preferences) {
          const kind = p.kind as NotificationKind;
          const channels = [...new Set(p.channels)] as Channel[];
          const refusal = preferenceRefusal(kind, channels);
          if (refusal) {
            throw new ProblemError(NotificationProblems.criticalKindRequired, refusal);
          }
          await tx
            .createQueryBuilder()
            .insert()
            .into(NotificationPreferenceEntity)
            .values({
              userOrganisationId: principal.org,
              userId: principal.sub,
              kind,
              channels,
              updatedAt: new Date(),
            })
            .orUpdate(['channels', 'updated_at'], ['user_organisation_id', 'user_id', 'kind'])
            .execute();
        }
        return { result: undefined, events: [] };
      });
      return get(principal);
    },
  };
}
