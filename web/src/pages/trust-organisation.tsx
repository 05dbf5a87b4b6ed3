/**
 * Trust on first use of another organisation's root key, as `samverkan keys fingerprint --org`
 * and `samverkan keys pin` do in the CLI: a referral from an organisation whose root this browser
 * has not pinned shows "unknown key" and nothing of its content. Here the person sees the
 * organisation by name with its organisation number (and whether a hub admin verified it against
 * the official register), and each of its root keys' fingerprints — computed in this browser from
 * the key the directory serves — to compare with that organisation out of band (a phone call to
 * a number they already know). Only after they confirm is the fingerprint pinned in this browser.
 */
import { useState } from 'preact/hooks';
import { must } from '../api/client';
import { cryptoChanged } from '../crypto/adapter';
import { formatDateTime } from '../format';
import { useI18n } from '../i18n';
import { Notice, useApp, useLoad } from '../ui/common';

/** `5566778899` as `556677-8899`, as Swedish organisation numbers are written. */
export function formatOrganisationNumber(n: string): string {
  return /^\d{10}$/.test(n) ? `${n.slice(0, 6)}-${n.slice(6)}` : n;
}

/** `abcdefgh…` in groups of four, easier to read out over the phone. */
export function groupFingerprint(f: string): string {
  return f.match(/.{1,4}/g)?.join(' ') ?? f;
}

export function TrustOrganisation({
  organisationId,
  otherRootsPinned,
}: {
  organisationId: string;
  /** the browser trusts another root of this organisation already (a root rotation, or a swap) */
  otherRootsPinned: boolean;
}) {
  const { api, device } = useApp();
  const { t, locale } = useI18n();
  const [confirmed, setConfirmed] = useState(false);
  const [message, setMessage] = useState<{ kind: 'success' | 'error'; text: string }>();
  const org = useLoad(
    async () =>
      must(
        await api.directory.GET('/v1/organisations/{id}', {
          params: { path: { id: organisationId } },
        }),
      ),
    [organisationId],
  );
  const roots = useLoad(
    async () => (device ? device.rootKeys(organisationId) : []),
    [organisationId, device],
  );

  const pin = async (fingerprint: string) => {
    if (!device) {
      return;
    }
    try {
      await device.pinRoot(organisationId, fingerprint);
      setMessage({ kind: 'success', text: t('trust.pinned') });
      roots.reload();
      cryptoChanged();
    } catch (err) {
      setMessage({ kind: 'error', text: t('app.error', { detail: (err as Error).message }) });
    }
  };

  const o = org.data;
  const active = (roots.data ?? []).filter((r) => r.status === 'active');
  return (
    <section
      class="card"
      aria-labelledby={`trust-${organisationId}`}
      data-testid="trust-organisation"
    >
      <h3 id={`trust-${organisationId}`}>{t('trust.title')}</h3>
      {org.error && <Notice kind="error">{t('app.error', { detail: org.error })}</Notice>}
      {o && (
        <dl class="meta">
          <dt>{t('trust.organisation')}</dt>
          <dd data-testid="trust-name">{o.name}</dd>
          <dt>{t('trust.number')}</dt>
          <dd data-testid="trust-number">
            {formatOrganisationNumber(o.organisationNumber)}{' '}
            {o.organisationNumberVerification
              ? t('trust.verified', {
                  when: formatDateTime(locale, o.organisationNumberVerification.at),
                })
              : t('trust.unverified')}
          </dd>
        </dl>
      )}
      {otherRootsPinned ? (
        <Notice kind="warning">{t('trust.otherPinned')}</Notice>
      ) : (
        <p>{t('trust.help')}</p>
      )}
      {roots.error && <Notice kind="error">{t('app.error', { detail: roots.error })}</Notice>}
      {roots.data && active.length === 0 && <p>{t('trust.noRoots')}</p>}
      {active.map((r, i) => (
        <div key={r.fingerprint} class="trust-root">
          <p>
            {t('trust.fingerprint')}{' '}
            <code class="fingerprint" data-testid="trust-fingerprint">
              {groupFingerprint(r.fingerprint)}
            </code>
          </p>
          {r.pinned ? (
            <p>{t('trust.alreadyPinned')}</p>
          ) : (
            <>
              <label class="check" for={`trust-${organisationId}-confirm-${i}`}>
                <input
                  id={`trust-${organisationId}-confirm-${i}`}
                  type="checkbox"
                  checked={confirmed}
                  onChange={(e) => setConfirmed((e.target as HTMLInputElement).checked)}
                />{' '}
                {t('trust.confirm', { organisation: o?.name ?? '' })}
              </label>
              <div class="actions">
                <button type="button" disabled={!confirmed} onClick={() => void pin(r.fingerprint)}>
                  {t('trust.pin')}
                </button>
              </div>
            </>
          )}
        </div>
      ))}
      {message && <Notice kind={message.kind}>{message.text}</Notice>}
    </section>
  );
}
