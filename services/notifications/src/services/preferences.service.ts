import { personOf, ProblemError, type Principal } from '@samverkan/shared';
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
import { preferencesOfPerson, savePreference } from '../repositories/notifications.repository';
import type { NotificationsContext } from './context';

type Preferences = components['schemas']['NotificationPreferences'];

/**
 * Per person (organisation and subject), per kind: the channels (in_app, webhook of their unit) a
 * kind arrives on.
 */
export function createPreferencesService(ctx: NotificationsContext) {
  async function get(principal: Principal): Promise<Preferences> {
    const rows = await preferencesOfPerson(ctx.dataSource.manager, personOf(principal));
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
      // Decided before anything is written: a critical kind keeps its in-app channel (422).
      const chosen = body.preferences.map((p) => {
        const kind = p.kind as NotificationKind;
        const channels = [...new Set(p.channels)] as Channel[];
        return { kind, channels, refusal: preferenceRefusal(kind, channels) };
      });
      await ctx.pipeline.transact(principal, target, async (tx) => {
        for (const { kind, channels, refusal } of chosen) {
          if (refusal) {
            throw new ProblemError(NotificationProblems.criticalKindRequired, refusal);
          }
          await savePreference(tx, personOf(principal), kind, channels, new Date());
        }
        return { result: undefined, events: [] };
      });
      return get(principal);
    },
  };
}
