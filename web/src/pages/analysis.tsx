/**
 * The analyst's charts and the operation report, and the auditor's view of one referral's
 * accesses. Charts are inline SVG drawn here (no chart library: a bar chart is a few rectangles,
 * and the CSP allows no inline style or script anyway); every chart has the table beside it. A
 * suppressed count is never drawn as a number: `<5` is a dashed bar up to 5, `dold` no bar.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { must, type ReferralSchemas } from '../api/client';
import { problemMessage, refusalText } from '../api/problem-message';
import { formatDateTime } from '../format';
import { useI18n, type MessageKey } from '../i18n';
import { AuditActionName } from '../ui/audit-label';
import { Notice, UnitName, useApp, useLoad } from '../ui/common';
import { cryptoAdapter } from '../crypto/adapter';
import { LegalHoldPanel } from './referral-records';

type Count = number | string;

export interface Bar {
  label: string;
  count: Count;
}

/** A published count as shown: a number, `<5`, or `dold` when hidden to protect a small cell. */
export function countLabel(t: (k: MessageKey) => string, count: Count): string {
  return count === 'suppressed' ? t('statistics.suppressed') : String(count);
}

/** Horizontal bars, one per row; scales to the width of a phone or a desktop. */
export function BarChart({ id, title, bars }: { id: string; title: string; bars: Bar[] }) {
  const { t } = useI18n();
  const shown = bars.slice(0, 40);
  const max = Math.max(10, ...shown.map((b) => (typeof b.count === 'number' ? b.count : 0)));
  const row = 26;
  const labelWidth = 250;
  const barSpace = 290;
  const height = shown.length * row + 8;
  return (
    <figure class="chart" data-testid="chart">
      <svg
        viewBox={`0 0 620 ${height}`}
        role="img"
        aria-labelledby={`${id}-title`}
        preserveAspectRatio="xMinYMin meet"
      >
        <title id={`${id}-title`}>{title}</title>
        {shown.map((b, i) => {
          const y = i * row + 4;
          const small = b.count === '<5';
          const value = typeof b.count === 'number' ? b.count : small ? 4 : 0;
          const width = Math.max(value > 0 ? 2 : 0, (value / max) * barSpace);
          return (
            <g key={i}>
              <text x={labelWidth - 6} y={y + 16} text-anchor="end" class="chart-label">
                {b.label.length > 34 ? `${b.label.slice(0, 33)}…` : b.label}
              </text>
              {width > 0 && (
                <rect
                  x={labelWidth}
                  y={y + 3}
                  width={width}
                  height={row - 8}
                  class={small ? 'chart-bar chart-bar-small' : 'chart-bar'}
                />
              )}
              <text x={labelWidth + width + 6} y={y + 16} class="chart-value">
                {countLabel(t, b.count)}
              </text>
            </g>
          );
        })}
      </svg>
      <figcaption class="subtle">
        {title}. {t('chart.suppressed')}
      </figcaption>
    </figure>
  );
}

type Report = ReferralSchemas['OperationReport'];

function download(name: string, text: string, type = 'text/csv;charset=utf-8') {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** An operation's report: field requests by outcome, response times, encounters, units. */
export function OperationReportPanel() {
  const { api } = useApp();
  const { t, locale } = useI18n();
  const operations = useLoad(
    async () => must(await api.referrals.GET('/v1/reports/operations')).items,
    [],
  );
  const [chosen, setChosen] = useState('');
  const operationId = chosen || operations.data?.[0]?.id || '';
  const report = useLoad(
    async () =>
      operationId
        ? must(
            await api.referrals.GET('/v1/operations/{id}/report', {
              params: { path: { id: operationId } },
            }),
          )
        : undefined,
    [operationId],
  );
  const [error, setError] = useState<string>();

  const csv = async () => {
    setError(undefined);
    const res = await api.referrals.GET('/v1/operations/{id}/report', {
      params: { path: { id: operationId }, header: { Accept: 'text/csv' } },
      parseAs: 'text',
    });
    if (res.error || typeof res.data !== 'string') {
      setError(t('action.refused', { detail: problemMessage(t, res.error, res.response.status) }));
      return;
    }
    download(`samverkan-insatsrapport-${operationId}.csv`, res.data);
  };

  const r = report.data as Report | undefined;
  const breakdown = (
    items: { key: string; count: Count }[],
    prefix: 'gender' | 'ageBand' | 'citizenshipGroup',
  ): Bar[] => items.map((x) => ({ label: t(`${prefix}.${x.key}` as MessageKey), count: x.count }));
  return (
    <section aria-labelledby="report-title" data-testid="operation-report">
      <h2 id="report-title">{t('report.title')}</h2>
      {operations.error && (
        <Notice kind="error">{t('app.error', { detail: operations.error })}</Notice>
      )}
      {operations.data && operations.data.length === 0 && <p>{t('report.none')}</p>}
      {operations.data && operations.data.length > 0 && (
        <label class="field">
          <span>{t('report.choose')}</span>
          <select
            value={operationId}
            onChange={(e) => setChosen((e.target as HTMLSelectElement).value)}
          >
            {operations.data.map((o) => (
              <option key={o.id} value={o.id}>
                {o.name} ({t(`operationStatus.${o.status}` as MessageKey)},{' '}
                {formatDateTime(locale, o.startsAt)})
              </option>
            ))}
          </select>
        </label>
      )}
      {report.error && <Notice kind="error">{t('app.error', { detail: report.error })}</Notice>}
      {r && (
        <>
          <p class="subtle">
            {t('report.generated', {
              when: formatDateTime(locale, r.generatedAt),
              threshold: r.smallCellThreshold,
            })}
          </p>
          <h3>{t('report.fieldRequests')}</h3>
          <BarChart
            id="report-fr"
            title={`${t('report.fieldRequests')}: ${r.fieldRequests.total}`}
            bars={(
              Object.keys(r.fieldRequests.byStatus) as (keyof typeof r.fieldRequests.byStatus)[]
            ).map((s) => ({
              label: t(`fieldStatus.${s}` as MessageKey),
              count: r.fieldRequests.byStatus[s],
            }))}
          />
          <h3>{t('report.responseTimes')}</h3>
          <div class="table-wrap" tabIndex={0} role="region" aria-label={t('report.responseTimes')}>
            <table data-testid="report-times">
              <thead>
                <tr>
                  <th scope="col">{t('report.measure')}</th>
                  <th scope="col" class="num">
                    {t('statistics.count')}
                  </th>
                  <th scope="col" class="num">
                    {t('report.median')}
                  </th>
                  <th scope="col" class="num">
                    {t('report.p90')}
                  </th>
                </tr>
              </thead>
              <tbody>
                {(
                  [
                    ['report.timeToClaim', r.responseTimes.requestToClaim],
                    ['report.timeToOnSite', r.responseTimes.claimToOnSite],
                  ] as const
                ).map(([label, x]) => (
                  <tr key={label}>
                    <th scope="row">{t(label)}</th>
                    <td class="num">{x.count}</td>
                    <td class="num">{x.medianMinutes ?? '–'}</td>
                    <td class="num">{x.p90Minutes ?? '–'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <h3>{t('report.encounters')}</h3>
          <div class="table-wrap" tabIndex={0} role="region" aria-label={t('report.encounters')}>
            <table data-testid="report-encounters">
              <thead>
                <tr>
                  <th scope="col">{t('report.measure')}</th>
                  <th scope="col" class="num">
                    {t('report.value')}
                  </th>
                </tr>
              </thead>
              <tbody>
                {(
                  [
                    ['tally.peopleMet', r.encounters.peopleMet],
                    ['tally.supportOffered', r.encounters.supportOffered],
                    ['tally.supportAccepted', r.encounters.supportAccepted],
                    ['tally.protectedHousing', r.encounters.protectedHousingArranged],
                    ['tally.buyersMet', r.encounters.buyersMet],
                    ['tally.buyersClinic', r.encounters.buyersOfferedClinic],
                  ] as const
                ).map(([label, v]) => (
                  <tr key={label}>
                    <th scope="row">{t(label)}</th>
                    <td class="num">{countLabel(t, v)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {r.encounters.byGender.length > 0 && (
            <BarChart
              id="report-gender"
              title={`${t('tally.peopleMet')} – ${t('tally.gender')}`}
              bars={breakdown(r.encounters.byGender, 'gender')}
            />
          )}
          {r.encounters.byCitizenshipGroup.length > 0 && (
            <BarChart
              id="report-citizenship"
              title={`${t('tally.peopleMet')} – ${t('tally.citizenship')}`}
              bars={breakdown(r.encounters.byCitizenshipGroup, 'citizenshipGroup')}
            />
          )}
          <h3>{t('report.participation')}</h3>
          <ul class="plain">
            {r.participation.map((p) => (
              <li key={p.unitId}>
                <UnitName id={p.unitId} />
              </li>
            ))}
          </ul>
          <button type="button" class="secondary" onClick={() => void csv()}>
            {t('report.download')}
          </button>
          {error && <Notice kind="error">{error}</Notice>}
        </>
      )}
    </section>
  );
}

type AuditEntry = ReferralSchemas['AuditEntry'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * For the auditor of the organisation that sent a referral: its sealed `acute_protection`
 * justification, fetched (audited) and decrypted in this browser with the organisation's audit
 * unit keys that this device holds (docs/envelope.md "Sealed notes"). The referral itself stays
 * closed to the auditor.
 */
function JustificationForAuditor({ referralId }: { referralId: string }) {
  const { session, deviceTick } = useApp();
  const { t, locale } = useI18n();
  const [busy, setBusy] = useState(false);
  const [opened, setOpened] = useState<{ senderUnitId: string; text: string; signedAt: Date }>();
  const [error, setError] = useState<string>();
  void deviceTick;
  const agency = session.claims.units
    .map((u) => cryptoAdapter.agency(u))
    .find((a) => a !== undefined);
  const open = async () => {
    setError(undefined);
    setOpened(undefined);
    if (!agency) {
      setError(t('access.justificationNoKeys'));
      return;
    }
    setBusy(true);
    try {
      setOpened(await agency.openJustificationAsAuditor(referralId));
    } catch (err) {
      setError(
        (err as { status?: number }).status === 404
          ? t('access.justificationNone')
          : t('app.error', { detail: refusalText(t, err) }),
      );
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="justification" data-testid="auditor-justification">
      <p class="muted">{t('access.justificationHelp')}</p>
      <button type="button" class="secondary" disabled={busy} onClick={() => void open()}>
        {t('access.justification')}
      </button>
      {error && <Notice kind="warning">{error}</Notice>}
      {opened && (
        <blockquote data-testid="justification-text">
          <p class="muted">
            {t('access.justificationText', {
              when: formatDateTime(locale, opened.signedAt.toISOString()),
            })}{' '}
            <UnitName id={opened.senderUnitId} />
          </p>
          <p class="prose">{opened.text}</p>
        </blockquote>
      )}
    </div>
  );
}

/**
 * For the auditor: every entry of the referrals audit log about one referral (openings of its
 * envelope and thread, actions, refused attempts), read through the whole log the auditor sees.
 */
export function ReferralAccessPanel({ ask }: { ask?: { id: string; n: number } } = {}) {
  const { api } = useApp();
  const { t, locale } = useI18n();
  const [input, setInput] = useState('');
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ id: string; entries: AuditEntry[] }>();
  const [error, setError] = useState<string>();

  const heading = useRef<HTMLHeadingElement>(null);
  // A referral picked in the audit log above: shown at once, and the panel scrolled to.
  useEffect(() => {
    if (ask) {
      setInput(ask.id);
      heading.current?.scrollIntoView();
      void showFor(ask.id);
    }
  }, [ask?.n]);

  const show = (e: Event) => {
    e.preventDefault();
    void showFor(input);
  };
  const showFor = async (given: string) => {
    const id = given.trim().toLowerCase();
    setResult(undefined);
    if (!UUID.test(id)) {
      setError(t('access.invalidId'));
      return;
    }
    setError(undefined);
    setBusy(true);
    const entries: AuditEntry[] = [];
    let after: number | null = 0;
    try {
      for (let page = 0; page < 50 && after !== null; page++) {
        const res: ReferralSchemas['AuditPage'] = must(
          await api.referrals.GET('/v1/audit/referrals', {
            params: { query: { after, limit: 500 } },
          }),
        );
        entries.push(...res.items.filter((x: AuditEntry) => x.objectId === id));
        after = res.nextAfter;
      }
      setResult({ id, entries });
    } catch (err) {
      setError(t('app.error', { detail: refusalText(t, err) }));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="access-title" data-testid="referral-access">
      <h2 id="access-title" ref={heading} tabIndex={-1}>
        {t('access.title')}
      </h2>
      <form class="filters" onSubmit={show}>
        <label class="field">
          <span>{t('access.referralId')}</span>
          <input
            type="text"
            autoComplete="off"
            spellcheck={false}
            value={input}
            onInput={(e) => setInput((e.target as HTMLInputElement).value)}
          />
        </label>
        <button type="submit" disabled={busy}>
          {t('access.show')}
        </button>
      </form>
      {error && <Notice kind="error">{error}</Notice>}
      {result && <JustificationForAuditor referralId={result.id} />}
      {result && result.entries.length === 0 && <p>{t('access.empty')}</p>}
      {result && result.entries.length > 0 && (
        <div class="table-wrap" tabIndex={0} role="region" aria-label={t('access.title')}>
          <table data-testid="access-log" class="stack">
            <caption class="visually-hidden">{t('access.title')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('audit.at')}</th>
                <th scope="col">{t('audit.actor')}</th>
                <th scope="col">{t('audit.action')}</th>
                <th scope="col">{t('audit.outcome')}</th>
              </tr>
            </thead>
            <tbody>
              {result.entries.map((e) => (
                <tr key={e.id} class={e.outcome === 'denied' ? 'denied' : ''}>
                  <td data-label={t('audit.at')}>{formatDateTime(locale, e.at)}</td>
                  <td data-label={t('audit.actor')}>{e.actorSub}</td>
                  <td data-label={t('audit.action')}>
                    <AuditActionName code={e.action} />
                  </td>
                  <td data-label={t('audit.outcome')}>
                    {t(e.outcome === 'denied' ? 'audit.denied' : 'audit.allowed')}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {result && <LegalHoldPanel referralId={result.id} />}
    </section>
  );
}
