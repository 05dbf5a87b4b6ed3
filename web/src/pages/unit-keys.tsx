/**
 * The organisation admin's view of a unit's keys: each public key the directory publishes for
 * it (encryption and signing), its status and when it was published, with its fingerprint (the
 * RFC 7638 thumbprint, as the CLI and the key log show it) to compare out of band.
 */
import { must } from '../api/client';
import { formatDateTime } from '../format';
import { useI18n, type MessageKey } from '../i18n';
import { Notice, useApp, useLoad } from '../ui/common';

export function UnitKeysPanel({ unitId }: { unitId: string }) {
  const { api } = useApp();
  const { t, locale } = useI18n();
  const keys = useLoad(
    async () =>
      must(await api.directory.GET('/v1/units/{id}/keys', { params: { path: { id: unitId } } }))
        .items,
    [unitId],
  );
  return (
    <div data-testid="unit-keys">
      <h3>{t('unitKeys.title')}</h3>
      <p class="subtle">{t('unitKeys.help')}</p>
      {keys.error && <Notice kind="error">{t('app.error', { detail: keys.error })}</Notice>}
      {keys.data && keys.data.length === 0 && <p>{t('unitKeys.none')}</p>}
      {keys.data && keys.data.length > 0 && (
        <div class="table-wrap" tabIndex={0} role="region" aria-label={t('unitKeys.title')}>
          <table class="stack">
            <thead>
              <tr>
                <th scope="col">{t('unitKeys.use')}</th>
                <th scope="col">{t('unitKeys.status')}</th>
                <th scope="col">{t('unitKeys.published')}</th>
                <th scope="col">{t('unitKeys.fingerprint')}</th>
              </tr>
            </thead>
            <tbody>
              {keys.data.map((k) => (
                <tr key={k.kid} class={k.status === 'revoked' ? 'denied' : ''}>
                  <td data-label={t('unitKeys.use')}>{t(`unitKeys.use.${k.use}` as MessageKey)}</td>
                  <td data-label={t('unitKeys.status')}>
                    {t(`unitKeys.status.${k.status}` as MessageKey)}
                  </td>
                  <td data-label={t('unitKeys.published')}>
                    {formatDateTime(locale, k.publishedAt)}
                  </td>
                  <td data-label={t('unitKeys.fingerprint')}>
                    <code class="fingerprint">{k.kid}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
