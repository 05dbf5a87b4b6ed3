/**
 * The person's notifications, newest first, kept live by the stream (app.tsx feeds `live`);
 * critical ones ask for an acknowledgement.
 */
import { useState } from 'preact/hooks';
import { idempotent, must, type Notification } from '../api/client';
import { problemMessage } from '../api/problem-message';
import { formatDateTime } from '../format';
import { useI18n, type MessageKey } from '../i18n';
import { Notice, useApp, useLoad, useOneAtATime } from '../ui/common';

/**
 * A notification's words in the chosen language. The hub writes them in English (and a
 * notification never carries personal data), so in Swedish they are told by their kind.
 */
export function notificationText(
  t: (k: MessageKey) => string,
  locale: string,
  n: Notification,
): { title: string; body: string } {
  if (locale === 'en') {
    return { title: n.title, body: n.body };
  }
  return { title: t(`notificationKind.${n.kind}`), body: t(`notificationBody.${n.kind}`) };
}

export function NotificationsPage({ onOpen }: { onOpen(n: Notification): void }) {
  const { api, liveTick } = useApp();
  const { t, locale } = useI18n();
  const [error, setError] = useState<string>();
  const list = useLoad(
    async () =>
      must(await api.notifications.GET('/v1/notifications', { params: { query: { limit: 50 } } }))
        .items,
    [liveTick],
  );

  const [busy, oneAtATime] = useOneAtATime();
  const acknowledge = (n: Notification) =>
    oneAtATime(async () => {
      setError(undefined);
      const res = await api.notifications.POST('/v1/notifications/{id}/acknowledge', {
        params: { path: { id: n.id }, header: idempotent() },
      });
      if (res.error) {
        setError(problemMessage(t, res.error, res.response.status));
      }
      list.reload();
    });
  const read = (n: Notification) =>
    oneAtATime(async () => {
      await api.notifications.POST('/v1/notifications/{id}/read', {
        params: { path: { id: n.id }, header: idempotent() },
      });
      list.reload();
    });

  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title">{t('notifications.title')}</h1>
      {error && <Notice kind="error">{t('action.refused', { detail: error })}</Notice>}
      {list.error && <Notice kind="error">{t('app.error', { detail: list.error })}</Notice>}
      {list.data && list.data.length === 0 && <p>{t('notifications.empty')}</p>}
      <ul class="cards">
        {(list.data ?? []).map((n) => (
          <li
            key={n.id}
            class={`card severity-${n.severity} ${n.readAt ? 'read' : 'unread'}`}
            data-testid="notification"
          >
            <div class="card-head">
              <span class={`badge badge-severity-${n.severity}`}>
                {t(`severity.${n.severity}`)}
              </span>
              <time dateTime={n.createdAt}>{formatDateTime(locale, n.createdAt)}</time>
            </div>
            <h2 class="card-title">{notificationText(t, locale, n).title}</h2>
            <p>{notificationText(t, locale, n).body}</p>
            <div class="actions">
              {(n.objectType === 'referral' || n.objectType === 'field_request') && (
                <button type="button" class="secondary" onClick={() => onOpen(n)}>
                  {t('inbox.open')}
                </button>
              )}
              {n.requiresAcknowledgement && !n.acknowledgedAt && (
                <button type="button" disabled={busy} onClick={() => acknowledge(n)}>
                  {t('notifications.acknowledge')}
                </button>
              )}
              {n.acknowledgedAt && (
                <span class="subtle">
                  {t('notifications.acknowledged', {
                    when: formatDateTime(locale, n.acknowledgedAt),
                  })}
                </span>
              )}
              {!n.readAt && !n.requiresAcknowledgement && (
                <button type="button" class="secondary" disabled={busy} onClick={() => read(n)}>
                  {t('notifications.markRead')}
                </button>
              )}
            </div>
          </li>
        ))}
      </ul>
    </section>
  );
}
