/**
 * The auditor's log reviews (docs/log-review.md): generate one for a period (a random sample of
 * content reads plus everything unusual), go through its items and record a finding on each
 * (with the organisation's own follow-up reference, never free text about a case), sign it off
 * with a conclusion, and download it as CSV or as the printable report — fetched with the
 * session's token, which never goes into a link.
 */
import { useState } from 'preact/hooks';
import { idempotent, must, type ReferralSchemas } from '../api/client';
import { problemMessage } from '../api/problem-message';
import { formatDateTime } from '../format';
import { useI18n, type MessageKey } from '../i18n';
import { AuditActionName } from '../ui/audit-label';
import { Notice, useApp, useLoad } from '../ui/common';
import { saveFile, stockholmToday } from './mapping-report';
import { OrganisationName } from './referral-records';

/** A person as the review names them: the subject their identity provider gave (issuer aside). */
function personText(
  p: string | { issuer: string | null; subject: string } | null | undefined,
): string {
  if (!p) {
    return '';
  }
  return typeof p === 'string' ? p : p.subject;
}

type LogReview = ReferralSchemas['LogReview'];
type Finding = ReferralSchemas['LogReviewFinding'];
const FINDINGS: Finding[] = ['appropriate', 'needs_follow_up', 'inappropriate'];
const REFERENCE = /^[A-Za-z0-9 ._/:#-]{1,100}$/;

/** Midnight of a Stockholm calendar day, as an instant. */
function stockholmMidnight(day: string): string {
  // The offset of Stockholm at noon that day (+01:00 or +02:00), applied to 00:00.
  const noon = new Date(`${day}T12:00:00Z`);
  const local = new Intl.DateTimeFormat('en-GB', {
    timeZone: 'Europe/Stockholm',
    hour: '2-digit',
    hourCycle: 'h23',
  }).format(noon);
  const offset = Number(local) - 12;
  return new Date(Date.parse(`${day}T00:00:00Z`) - offset * 3600_000).toISOString();
}

export function LogReviewsPanel() {
  const { api } = useApp();
  const { t, locale } = useI18n();
  const today = stockholmToday();
  const monthAgo = stockholmToday(new Date(Date.now() - 30 * 86_400_000));
  const [from, setFrom] = useState(monthAgo);
  const [sampleSize, setSampleSize] = useState('20');
  const [openId, setOpenId] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ kind: 'success' | 'error'; text: string }>();
  const list = useLoad(async () => must(await api.referrals.GET('/v1/audit/reviews')).items, []);

  const create = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setMessage(undefined);
    const res = await api.referrals.POST('/v1/audit/reviews', {
      params: { header: idempotent() },
      body: {
        from: stockholmMidnight(from),
        to: new Date().toISOString(),
        sampleSize: Number(sampleSize) || 0,
      },
    });
    setBusy(false);
    if (res.error || !res.data) {
      setMessage({
        kind: 'error',
        text: t('action.refused', { detail: problemMessage(t, res.error, res.response.status) }),
      });
      return;
    }
    setMessage({
      kind: 'success',
      text: t('review.created', { items: res.data.items.length, reads: res.data.readsInPeriod }),
    });
    setOpenId(res.data.id);
    list.reload();
  };

  return (
    <section aria-labelledby="reviews-title" data-testid="log-reviews">
      <h2 id="reviews-title">{t('review.title')}</h2>
      <p class="subtle">{t('review.help')}</p>
      <form class="filters" onSubmit={(e) => void create(e)}>
        <label class="field">
          <span>{t('review.from')}</span>
          <input
            type="date"
            required
            max={today}
            value={from}
            onInput={(e) => setFrom((e.target as HTMLInputElement).value)}
          />
        </label>
        <label class="field">
          <span>{t('review.sampleSize')}</span>
          <input
            type="number"
            min={0}
            max={200}
            value={sampleSize}
            onInput={(e) => setSampleSize((e.target as HTMLInputElement).value)}
          />
        </label>
        <button type="submit" disabled={busy}>
          {t('review.create')}
        </button>
      </form>
      {message && <Notice kind={message.kind}>{message.text}</Notice>}
      {list.error && <Notice kind="error">{t('app.error', { detail: list.error })}</Notice>}
      {list.data && list.data.length === 0 && <p>{t('review.none')}</p>}
      {list.data && list.data.length > 0 && (
        <ul class="plain" data-testid="review-list">
          {list.data.map((r) => (
            <li key={r.id}>
              <button
                type="button"
                class="link"
                aria-expanded={openId === r.id}
                onClick={() => setOpenId(openId === r.id ? undefined : r.id)}
              >
                {t('review.summary', {
                  from: formatDateTime(locale, r.from),
                  to: formatDateTime(locale, r.to),
                  by: personText(r.createdBy),
                })}
              </button>{' '}
              <span class="badge badge-status">{t(`review.status.${r.status}` as MessageKey)}</span>
            </li>
          ))}
        </ul>
      )}
      {openId && <LogReviewView key={openId} id={openId} onChanged={() => list.reload()} />}
    </section>
  );
}

function LogReviewView({ id, onChanged }: { id: string; onChanged(): void }) {
  const { api } = useApp();
  const { t, locale } = useI18n();
  const [review, setReview] = useState<LogReview>();
  const loaded = useLoad(async () => {
    const r = must(
      await api.referrals.GET('/v1/audit/reviews/{id}', { params: { path: { id } } }),
    ) as LogReview;
    setReview(r);
    return r;
  }, [id]);
  const [choices, setChoices] = useState<Record<number, Finding>>({});
  const [refs, setRefs] = useState<Record<number, string>>({});
  const [conclusion, setConclusion] = useState<'no_remarks' | 'remarks'>('no_remarks');
  const [message, setMessage] = useState<{ kind: 'success' | 'error'; text: string }>();
  const [busy, setBusy] = useState(false);

  const record = async (itemNo: number) => {
    const ref = (refs[itemNo] ?? '').trim();
    if (ref && !REFERENCE.test(ref)) {
      setMessage({ kind: 'error', text: t('hold.referenceInvalid') });
      return;
    }
    setBusy(true);
    setMessage(undefined);
    const res = await api.referrals.POST('/v1/audit/reviews/{id}/items/{itemNo}/finding', {
      params: { path: { id, itemNo }, header: idempotent() },
      body: { finding: choices[itemNo] ?? 'appropriate', reference: ref || null },
    });
    setBusy(false);
    if (res.error || !res.data) {
      setMessage({
        kind: 'error',
        text: t('action.refused', { detail: problemMessage(t, res.error, res.response.status) }),
      });
      return;
    }
    setReview(res.data);
    setMessage({ kind: 'success', text: t('review.findingSaved', { item: itemNo }) });
  };

  const signOff = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setMessage(undefined);
    const res = await api.referrals.POST('/v1/audit/reviews/{id}/sign-off', {
      params: { path: { id }, header: idempotent() },
      body: { conclusion },
    });
    setBusy(false);
    if (res.error || !res.data) {
      setMessage({
        kind: 'error',
        text: t('action.refused', { detail: problemMessage(t, res.error, res.response.status) }),
      });
      return;
    }
    setReview(res.data);
    setMessage({ kind: 'success', text: t('review.signedOff') });
    onChanged();
  };

  const exportAs = async (kind: 'csv' | 'html') => {
    setMessage(undefined);
    const res = await api.referrals.GET('/v1/audit/reviews/{id}', {
      params: { path: { id }, header: { Accept: kind === 'csv' ? 'text/csv' : 'text/html' } },
      parseAs: 'text',
    });
    if (res.error || typeof res.data !== 'string') {
      setMessage({
        kind: 'error',
        text: t('action.refused', { detail: problemMessage(t, res.error, res.response.status) }),
      });
      return;
    }
    saveFile(
      `samverkan-loggranskning-${id}.${kind}`,
      res.data,
      kind === 'csv' ? 'text/csv;charset=utf-8' : 'text/html;charset=utf-8',
    );
  };

  const r = review;
  const open = r?.status === 'open';
  return (
    <div class="card" data-testid="log-review">
      {loaded.error && <Notice kind="error">{t('app.error', { detail: loaded.error })}</Notice>}
      {r && (
        <>
          <h3>
            {t('review.heading', {
              from: formatDateTime(locale, r.from),
              to: formatDateTime(locale, r.to),
            })}
          </h3>
          <p data-testid="review-counts">
            {t('review.counts', {
              items: r.items.length,
              reads: r.readsInPeriod,
              appropriate: r.findings.appropriate,
              followUp: r.findings.needs_follow_up,
              inappropriate: r.findings.inappropriate,
              open: r.findings.open,
            })}
          </p>
          {r.status === 'signed_off' && (
            <Notice kind="info">
              {t('review.signedOffBy', {
                by: personText(r.signedOffBy),
                when: r.signedOffAt ? formatDateTime(locale, r.signedOffAt) : '',
                conclusion: t(`review.conclusion.${r.conclusion ?? 'no_remarks'}` as MessageKey),
              })}
            </Notice>
          )}
          <div class="actions">
            <button type="button" class="secondary" onClick={() => void exportAs('csv')}>
              {t('review.csv')}
            </button>
            <button type="button" class="secondary" onClick={() => void exportAs('html')}>
              {t('review.printable')}
            </button>
          </div>
          {r.items.length === 0 && <p>{t('review.noItems')}</p>}
          <ol class="review-items">
            {r.items.map((item) => {
              const fid = `review-${id}-${item.itemNo}`;
              return (
                <li key={item.itemNo} data-testid="review-item">
                  <p>
                    <strong>{formatDateTime(locale, item.at)}</strong> — {item.person}
                    {item.organisationId && (
                      <>
                        {' '}
                        (<OrganisationName id={item.organisationId} />)
                      </>
                    )}
                    : <AuditActionName code={item.action} />{' '}
                    {item.outcome === 'denied' ? t('audit.denied') : t('audit.allowed')}
                  </p>
                  <p class="subtle">
                    {t('review.why')}{' '}
                    {item.reasons.map((x) => t(`review.reason.${x}` as MessageKey)).join(', ')}
                  </p>
                  {item.finding && (
                    <p data-testid="review-finding">
                      {t('review.findingBy', {
                        finding: t(`review.finding.${item.finding}` as MessageKey),
                        by: personText(item.foundBy),
                      })}
                      {item.findingReference && ` (${item.findingReference})`}
                    </p>
                  )}
                  {open && (
                    <form
                      class="inline-form"
                      onSubmit={(e) => {
                        e.preventDefault();
                        void record(item.itemNo);
                      }}
                    >
                      <label class="field">
                        <span>{t('review.findingLabel', { item: item.itemNo })}</span>
                        <select
                          id={`${fid}-finding`}
                          value={choices[item.itemNo] ?? item.finding ?? 'appropriate'}
                          onChange={(e) =>
                            setChoices({
                              ...choices,
                              [item.itemNo]: (e.target as HTMLSelectElement).value as Finding,
                            })
                          }
                        >
                          {FINDINGS.map((f) => (
                            <option key={f} value={f}>
                              {t(`review.finding.${f}` as MessageKey)}
                            </option>
                          ))}
                        </select>
                      </label>
                      <label class="field">
                        <span>{t('review.referenceLabel', { item: item.itemNo })}</span>
                        <input
                          type="text"
                          autoComplete="off"
                          maxLength={100}
                          value={refs[item.itemNo] ?? ''}
                          onInput={(e) =>
                            setRefs({
                              ...refs,
                              [item.itemNo]: (e.target as HTMLInputElement).value,
                            })
                          }
                        />
                      </label>
                      <button type="submit" disabled={busy}>
                        {t('review.record', { item: item.itemNo })}
                      </button>
                    </form>
                  )}
                </li>
              );
            })}
          </ol>
          {open && (
            <form class="inline-form" onSubmit={(e) => void signOff(e)}>
              <label class="field">
                <span>{t('review.conclusion')}</span>
                <select
                  value={conclusion}
                  onChange={(e) =>
                    setConclusion((e.target as HTMLSelectElement).value as 'no_remarks' | 'remarks')
                  }
                >
                  <option value="no_remarks">{t('review.conclusion.no_remarks')}</option>
                  <option value="remarks">{t('review.conclusion.remarks')}</option>
                </select>
              </label>
              <button type="submit" disabled={busy || r.findings.open > 0}>
                {t('review.signOff')}
              </button>
              {r.findings.open > 0 && (
                <small>{t('review.openLeft', { open: r.findings.open })}</small>
              )}
            </form>
          )}
          {message && <Notice kind={message.kind}>{message.text}</Notice>}
        </>
      )}
    </div>
  );
}
