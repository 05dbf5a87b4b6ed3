/**
 * The hub admin's page: the organisations the hub knows, whether their organisation number was
 * checked against the register, and the fingerprints of their root keys (for the phone call in
 * which an organisation reads its fingerprint out before a hub admin registers it). Registering
 * an organisation, its root key or an identity provider is done through the API, whose reference
 * the hub serves at /docs; this page says so rather than leaving a hub admin with only
 * "Notiser".
 */
import { must } from '../api/client';
import { formatDateTime } from '../format';
import { useI18n, type MessageKey } from '../i18n';
import { Notice, useApp, useLoad } from '../ui/common';
import { formatOrganisationNumber, groupFingerprint } from './trust-organisation';

export function HubAdminPage() {
  const { api } = useApp();
  const { t, locale } = useI18n();
  const organisations = useLoad(async () => {
    const all = [];
    let cursor: string | undefined;
    do {
      const page = must(
        await api.directory.GET('/v1/organisations', {
          params: { query: { limit: 100, ...(cursor ? { cursor } : {}) } },
        }),
      );
      all.push(...page.items);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    const roots = await Promise.all(
      all.map(async (o) =>
        must(
          await api.directory.GET('/v1/organisations/{id}/root-keys', {
            params: { path: { id: o.id } },
          }),
        ).items.filter((k) => k.status === 'active'),
      ),
    );
    return all.map((o, i) => ({ ...o, roots: roots[i]! }));
  }, []);
  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title">{t('hub.title')}</h1>
      <p>
        {t('hub.intro')} <a href="/docs">{t('hub.docs')}</a>.
      </p>
      {organisations.error && (
        <Notice kind="error">{t('app.error', { detail: organisations.error })}</Notice>
      )}
      {organisations.loading && !organisations.data && <p role="status">{t('app.loading')}</p>}
      {organisations.data && (
        <table class="stack" data-testid="hub-organisations">
          <thead>
            <tr>
              <th scope="col">{t('hub.organisation')}</th>
              <th scope="col">{t('hub.number')}</th>
              <th scope="col">{t('hub.roots')}</th>
            </tr>
          </thead>
          <tbody>
            {organisations.data.map((o) => (
              <tr key={o.id} data-testid="hub-organisation">
                {/* One block a cell: on a phone the cell is a grid of its label and one value. */}
                <td data-label={t('hub.organisation')}>
                  <div>
                    <strong>{o.name}</strong>
                    <br />
                    <span class="muted">{t(`hub.kind.${o.kind}` as MessageKey)}</span>
                  </div>
                </td>
                <td data-label={t('hub.number')}>
                  <div>
                    {o.organisationNumber ? formatOrganisationNumber(o.organisationNumber) : '–'}
                    <br />
                    <span class="muted">
                      {o.organisationNumberVerification
                        ? t('hub.verified', {
                            when: formatDateTime(locale, o.organisationNumberVerification.at),
                          })
                        : t('hub.notVerified')}
                    </span>
                  </div>
                </td>
                <td data-label={t('hub.roots')}>
                  <div>
                    {o.roots.length === 0
                      ? t('hub.noRoot')
                      : o.roots.map((k) => (
                          <code key={k.kid} class="fingerprint">
                            {groupFingerprint(k.fingerprint)}
                          </code>
                        ))}
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
