/**
 * The county board's mapping report (`/v1/statistics/mapping-report`) for the analyst: a county
 * and a period, referrals per municipality as a chart with its table beside it (cells under 5
 * as `<5`, the cell key method as on the other statistics), the operation weeks in the county
 * with their field requests and people met, and the CSV and the printable page (with its
 * charts) as downloads — fetched with the session's token, which never goes into a link.
 */
import { useState } from 'preact/hooks';
import { must, type ReferralSchemas } from '../api/client';
import { problemMessage } from '../api/problem-message';
import { formatDateTime } from '../format';
import { useI18n, type MessageKey } from '../i18n';
import { Notice, useApp, useLoad } from '../ui/common';
import { BarChart, countLabel } from './analysis';

type MappingReport = ReferralSchemas['MappingReport'];

/** The counties (SCB codes) by name. */
export const COUNTIES: Array<[string, string]> = [
  ['01', 'Stockholms län'],
  ['03', 'Uppsala län'],
  ['04', 'Södermanlands län'],
  ['05', 'Östergötlands län'],
  ['06', 'Jönköpings län'],
  ['07', 'Kronobergs län'],
  ['08', 'Kalmar län'],
  ['09', 'Gotlands län'],
  ['10', 'Blekinge län'],
  ['12', 'Skåne län'],
  ['13', 'Hallands län'],
  ['14', 'Västra Götalands län'],
  ['17', 'Värmlands län'],
  ['18', 'Örebro län'],
  ['19', 'Västmanlands län'],
  ['20', 'Dalarnas län'],
  ['21', 'Gävleborgs län'],
  ['22', 'Västernorrlands län'],
  ['23', 'Jämtlands län'],
  ['24', 'Västerbottens län'],
  ['25', 'Norrbottens län'],
];

/** Today in Stockholm as YYYY-MM-DD. */
export function stockholmToday(now = new Date()): string {
  return new Intl.DateTimeFormat('sv-SE', {
    timeZone: 'Europe/Stockholm',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(now);
}

export function saveFile(name: string, text: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function MappingReportPanel() {
  const { api } = useApp();
  const { t, locale } = useI18n();
  const today = stockholmToday();
  const [county, setCounty] = useState('05');
  const [from, setFrom] = useState(`${today.slice(0, 4)}-01-01`);
  const [to, setTo] = useState(today);
  const [query, setQuery] = useState({ county, from, to });
  const [error, setError] = useState<string>();
  const report = useLoad(
    async () =>
      must(
        await api.referrals.GET('/v1/statistics/mapping-report', {
          params: { query },
        }),
      ) as MappingReport,
    [query.county, query.from, query.to],
  );

  const exportAs = async (kind: 'csv' | 'html') => {
    setError(undefined);
    const res = await api.referrals.GET('/v1/statistics/mapping-report', {
      params: { query, header: { Accept: kind === 'csv' ? 'text/csv' : 'text/html' } },
      parseAs: 'text',
    });
    if (res.error || typeof res.data !== 'string') {
      setError(t('action.refused', { detail: problemMessage(t, res.error, res.response.status) }));
      return;
    }
    saveFile(
      `samverkan-kartlaggning-${query.county}-${query.from}-${query.to}.${kind}`,
      res.data,
      kind === 'csv' ? 'text/csv;charset=utf-8' : 'text/html;charset=utf-8',
    );
  };

  const r = report.data;
  return (
    <section aria-labelledby="mapping-title" data-testid="mapping-report">
      <h2 id="mapping-title">{t('mapping.title')}</h2>
      <p class="subtle">{t('mapping.help')}</p>
      <form
        class="filters"
        onSubmit={(e) => {
          e.preventDefault();
          setQuery({ county, from, to });
        }}
      >
        <label class="field">
          <span>{t('mapping.county')}</span>
          <select value={county} onChange={(e) => setCounty((e.target as HTMLSelectElement).value)}>
            {COUNTIES.map(([code, name]) => (
              <option key={code} value={code}>
                {name}
              </option>
            ))}
          </select>
        </label>
        <label class="field">
          <span>{t('mapping.from')}</span>
          <input
            type="date"
            required
            value={from}
            onInput={(e) => setFrom((e.target as HTMLInputElement).value)}
          />
        </label>
        <label class="field">
          <span>{t('mapping.to')}</span>
          <input
            type="date"
            required
            max={today}
            value={to}
            onInput={(e) => setTo((e.target as HTMLInputElement).value)}
          />
        </label>
        <button type="submit">{t('mapping.show')}</button>
      </form>
      {report.error && <Notice kind="error">{t('app.error', { detail: report.error })}</Notice>}
      {error && <Notice kind="error">{error}</Notice>}
      {r && (
        <>
          <p>
            {t('mapping.period', {
              county: r.county.name,
              from: r.from,
              to: r.to,
              generated: formatDateTime(locale, r.generatedAt),
            })}
          </p>
          <div class="actions">
            <button type="button" class="secondary" onClick={() => void exportAs('csv')}>
              {t('mapping.csv')}
            </button>
            <button type="button" class="secondary" onClick={() => void exportAs('html')}>
              {t('mapping.printable')}
            </button>
          </div>
          <BarChart
            id="mapping-municipalities"
            title={t('mapping.chartTitle')}
            bars={r.municipalities.map((m) => ({ label: m.name, count: m.referrals }))}
          />
          <div class="table-wrap" tabIndex={0} role="region" aria-labelledby="mapping-table-cap">
            <table data-testid="mapping-table">
              <caption id="mapping-table-cap">{t('mapping.tableTitle')}</caption>
              <thead>
                <tr>
                  <th scope="col">{t('mapping.municipality')}</th>
                  <th scope="col">{t('mapping.referrals')}</th>
                  <th scope="col">{t('mapping.median')}</th>
                </tr>
              </thead>
              <tbody>
                {r.municipalities.map((m) => (
                  <tr key={m.code}>
                    <td>{m.name}</td>
                    <td>{countLabel(t, m.referrals)}</td>
                    <td>
                      {m.medianMinutesToAcknowledge === null
                        ? '–'
                        : Math.round(m.medianMinutesToAcknowledge)}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <h3>{t('mapping.operations')}</h3>
          {r.operations.length === 0 && <p>{t('mapping.noOperations')}</p>}
          {r.operations.length > 0 && (
            <div class="table-wrap" tabIndex={0} role="region" aria-labelledby="mapping-ops-cap">
              <table data-testid="mapping-operations">
                <caption id="mapping-ops-cap">{t('mapping.operations')}</caption>
                <thead>
                  <tr>
                    <th scope="col">{t('mapping.operation')}</th>
                    <th scope="col">{t('mapping.when')}</th>
                    <th scope="col">{t('mapping.status')}</th>
                    <th scope="col">{t('mapping.fieldRequests')}</th>
                    <th scope="col">{t('mapping.peopleMet')}</th>
                  </tr>
                </thead>
                <tbody>
                  {r.operations.map((o) => (
                    <tr key={o.operationId}>
                      <td>{o.name}</td>
                      <td>
                        {formatDateTime(locale, o.startsAt)} – {formatDateTime(locale, o.endsAt)}
                      </td>
                      <td>{t(`operationStatus.${o.status}` as MessageKey)}</td>
                      <td>{o.fieldRequests}</td>
                      <td>{countLabel(t, o.encounters.peopleMet)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          <p class="subtle">
            {t('mapping.totals', {
              operations: r.operationTotals.operations,
              fieldRequests: r.operationTotals.fieldRequests,
              peopleMet: countLabel(t, r.operationTotals.encounters.peopleMet),
            })}
          </p>
        </>
      )}
    </section>
  );
}
