/**
 * Two records of one referral, on its page: the legal holds (who placed one, by name, why, with
 * the organisation's own matter number; place or change your organisation's hold with a reason
 * code, lift it as its organisation's admin or auditor) with where the referral stands in
 * retention, and the parties' access log (`/v1/referrals/{id}/access-log`: every opening of
 * the envelope, thread, record and timeline and every refused attempt — who, for which
 * organisation and unit, when in Stockholm time). The auditor's page shows the holds too.
 */
import { useEffect, useState } from 'preact/hooks';
import { idempotent, must, type ReferralSchemas } from '../api/client';
import { problemMessage } from '../api/problem-message';
import { formatDateTime } from '../format';
import { useI18n, type MessageKey } from '../i18n';
import { AuditActionName } from '../ui/audit-label';
import { Notice, UnitName, useApp, useLoad } from '../ui/common';

type LegalHoldReason = ReferralSchemas['LegalHoldReason'];
const HOLD_REASONS: LegalHoldReason[] = [
  'court_proceedings',
  'police_investigation',
  'supervisory_inspection',
  'complaint',
  'data_subject_request',
  'other_legal_obligation',
];
const REFERENCE = /^[A-Za-z0-9 ._/:#-]{1,100}$/;

const organisationNames = new Map<string, Promise<string>>();

/** An organisation's name from the directory (cached for the session). */
export function useOrganisationName(id: string | null | undefined): string {
  const { api } = useApp();
  const [name, setName] = useState('');
  useEffect(() => {
    if (!id) {
      return;
    }
    let cached = organisationNames.get(id);
    if (!cached) {
      cached = api.directory
        .GET('/v1/organisations/{id}', { params: { path: { id } } })
        .then(({ data }) => data?.name ?? '');
      organisationNames.set(id, cached);
    }
    let live = true;
    void cached.then((n) => live && setName(n));
    return () => {
      live = false;
    };
  }, [id]);
  return name;
}

export function OrganisationName({ id }: { id: string | null | undefined }) {
  const name = useOrganisationName(id);
  const { t } = useI18n();
  if (!id) {
    return <span>–</span>;
  }
  return <span class="organisation-name">{name || t('app.loading')}</span>;
}

/** The legal holds on a referral, and placing or lifting your organisation's. */
export function LegalHoldPanel({ referralId }: { referralId: string }) {
  const { api, session, liveTick } = useApp();
  const { t, locale } = useI18n();
  const roles = session.claims.roles;
  const mayLift = roles.includes('org_admin') || roles.includes('auditor');
  const [reason, setReason] = useState<LegalHoldReason>('court_proceedings');
  const [reference, setReference] = useState('');
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ kind: 'success' | 'error'; text: string }>();
  const state = useLoad(
    async () =>
      must(
        await api.referrals.GET('/v1/referrals/{id}/legal-hold', {
          params: { path: { id: referralId } },
        }),
      ),
    [referralId, liveTick],
  );
  const own = state.data?.holds.find((h) => h.organisationId === session.claims.org);

  const place = async (e: Event) => {
    e.preventDefault();
    const ref = reference.trim();
    if (ref && !REFERENCE.test(ref)) {
      setMessage({ kind: 'error', text: t('hold.referenceInvalid') });
      return;
    }
    setBusy(true);
    setMessage(undefined);
    const res = await api.referrals.POST('/v1/referrals/{id}/legal-hold', {
      params: { path: { id: referralId }, header: idempotent() },
      body: { reason, reference: ref || null },
    });
    setBusy(false);
    if (res.error) {
      setMessage({
        kind: 'error',
        text: t('action.refused', { detail: problemMessage(t, res.error, res.response.status) }),
      });
    } else {
      setMessage({ kind: 'success', text: t('hold.placed') });
      state.reload();
    }
  };
  const lift = async () => {
    setBusy(true);
    setMessage(undefined);
    const res = await api.referrals.DELETE('/v1/referrals/{id}/legal-hold', {
      params: { path: { id: referralId }, header: idempotent() },
    });
    setBusy(false);
    if (res.error) {
      setMessage({
        kind: 'error',
        text: t('action.refused', { detail: problemMessage(t, res.error, res.response.status) }),
      });
    } else {
      setMessage({ kind: 'success', text: t('hold.lifted') });
      state.reload();
    }
  };

  const s = state.data;
  const headingId = `hold-${referralId}`;
  return (
    <section class="card" aria-labelledby={headingId} data-testid="legal-hold">
      <h2 id={headingId}>{t('hold.title')}</h2>
      <p class="subtle">{t('hold.help')}</p>
      {state.error && <Notice kind="error">{t('app.error', { detail: state.error })}</Notice>}
      {s && s.holds.length === 0 && <p data-testid="hold-none">{t('hold.none')}</p>}
      {s && s.holds.length > 0 && (
        <ul class="plain">
          {s.holds.map((h) => (
            <li key={h.organisationId} data-testid="hold">
              <strong>
                <OrganisationName id={h.organisationId} />
              </strong>
              : {t(`hold.reason.${h.reason}` as MessageKey)}
              {h.reference && ` (${t('hold.reference')}: ${h.reference})`}.{' '}
              {t('hold.placedBy', {
                person: h.placedBy,
                when: formatDateTime(locale, h.placedAt),
              })}
              {mayLift && h.organisationId === session.claims.org && (
                <>
                  {' '}
                  <button
                    type="button"
                    class="secondary"
                    disabled={busy}
                    onClick={() => void lift()}
                  >
                    {t('hold.lift')}
                  </button>
                </>
              )}
            </li>
          ))}
        </ul>
      )}
      {s && (
        <p class="subtle" data-testid="retention">
          {s.retention.contentPurgedAt
            ? t('hold.purged', { when: formatDateTime(locale, s.retention.contentPurgedAt) })
            : s.held
              ? t('hold.keptWhileHeld')
              : s.retention.contentPurgeDueAt
                ? t('hold.purgeDue', {
                    when: formatDateTime(locale, s.retention.contentPurgeDueAt),
                  })
                : t('hold.notFinal', { days: s.retention.contentRetentionDays })}
        </p>
      )}
      {s && !s.retention.contentPurgedAt && (
        <form class="inline-form" onSubmit={(e) => void place(e)}>
          <label class="field">
            <span>{t('hold.reasonLabel')}</span>
            <select
              value={reason}
              onChange={(e) => setReason((e.target as HTMLSelectElement).value as LegalHoldReason)}
            >
              {HOLD_REASONS.map((r) => (
                <option key={r} value={r}>
                  {t(`hold.reason.${r}` as MessageKey)}
                </option>
              ))}
            </select>
          </label>
          <label class="field">
            <span>{t('hold.referenceLabel')}</span>
            <input
              type="text"
              autoComplete="off"
              maxLength={100}
              value={reference}
              onInput={(e) => setReference((e.target as HTMLInputElement).value)}
              aria-describedby={`${headingId}-ref`}
            />
            <small id={`${headingId}-ref`}>{t('hold.referenceHelp')}</small>
          </label>
          <button type="submit" disabled={busy}>
            {own ? t('hold.change') : t('hold.place')}
          </button>
        </form>
      )}
      {message && <Notice kind={message.kind}>{message.text}</Notice>}
    </section>
  );
}

type AccessEntry = ReferralSchemas['ReferralAccessLog']['items'][number];

const KNOWN_ACTIONS = [
  'referral.envelope_read',
  'referral.messages_read',
  'referral.read',
  'referral.timeline_read',
];

function actionText(t: (k: MessageKey) => string, e: AccessEntry) {
  return KNOWN_ACTIONS.includes(e.action) ? (
    t(`partyAccess.action.${e.action.replace('referral.', '')}` as MessageKey)
  ) : (
    <AuditActionName code={e.action} />
  );
}

/** The parties' own access log of the referral: who opened what, when, and refused attempts. */
export function PartyAccessLog({ referralId }: { referralId: string }) {
  const { api } = useApp();
  const { t, locale } = useI18n();
  const [open, setOpen] = useState(false);
  const log = useLoad(
    async () =>
      open
        ? must(
            await api.referrals.GET('/v1/referrals/{id}/access-log', {
              params: { path: { id: referralId } },
            }),
          ).items
        : undefined,
    [referralId, open],
  );
  const headingId = `party-access-${referralId}`;
  return (
    <section class="card" aria-labelledby={headingId} data-testid="party-access-log">
      <h2 id={headingId}>{t('partyAccess.title')}</h2>
      <p class="subtle">{t('partyAccess.help')}</p>
      {!open && (
        <button type="button" class="secondary" onClick={() => setOpen(true)}>
          {t('partyAccess.show')}
        </button>
      )}
      {open && log.loading && <p role="status">{t('app.loading')}</p>}
      {log.error && <Notice kind="error">{t('app.error', { detail: log.error })}</Notice>}
      {log.data && log.data.length === 0 && <p>{t('partyAccess.empty')}</p>}
      {log.data && log.data.length > 0 && (
        <div class="table-wrap" tabIndex={0} role="region" aria-labelledby={headingId}>
          <table>
            <thead>
              <tr>
                <th scope="col">{t('audit.at')}</th>
                <th scope="col">{t('partyAccess.who')}</th>
                <th scope="col">{t('partyAccess.as')}</th>
                <th scope="col">{t('audit.action')}</th>
                <th scope="col">{t('audit.outcome')}</th>
              </tr>
            </thead>
            <tbody>
              {log.data.map((e, i) => (
                <tr
                  key={`${e.at}-${i}`}
                  class={e.outcome === 'denied' ? 'denied' : ''}
                  data-testid="party-access"
                >
                  <td>{formatDateTime(locale, e.at)}</td>
                  <td>
                    {e.person}
                    {e.organisationId && (
                      <>
                        {' '}
                        (<OrganisationName id={e.organisationId} />)
                      </>
                    )}
                  </td>
                  <td>
                    {e.side
                      ? t(`partyAccess.side.${e.side}` as MessageKey)
                      : t('partyAccess.outsider')}
                    {e.unitId && (
                      <>
                        {': '}
                        <UnitName id={e.unitId} />
                      </>
                    )}
                  </td>
                  <td>{actionText(t, e)}</td>
                  <td>
                    {e.outcome === 'denied'
                      ? `${t('audit.denied')}${e.refused ? ` (${e.refused})` : ''}`
                      : t('audit.allowed')}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
