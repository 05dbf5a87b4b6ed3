/**
 * The analyst's statistics (small cells shown as `<5`, CSV download), the auditor's audit logs
 * with chain verification, and the organisation admin's members and on-call shifts.
 */
import { useState } from 'preact/hooks';
import { must, type ReferralSchemas } from '../api/client';
import { problemMessage } from '../api/problem-message';
import { formatDateTime, stockholmDate } from '../format';
import { useI18n, type MessageKey, type Translate } from '../i18n';
import { municipalityText, type MunicipalityList } from '../municipalities';
import { AuditActionName, AuditObjectName } from '../ui/audit-label';
import { useMunicipalities } from '../ui/municipality';
import { Notice, useApp, useLoad, useOneAtATime } from '../ui/common';
import { stockholmInputToIso, toLocalInput } from './inbox';
import { UnitDevicesPanel } from './device';
import { BarChart, OperationReportPanel, ReferralAccessPanel } from './analysis';
import { UnitKeysPanel } from './unit-keys';
import { RecoveryKeyField, RotateUnitKeys } from './unit-admin-keys';
import { LogReviewsPanel } from './log-reviews';
import { MappingReportPanel } from './mapping-report';
import { groupFingerprint } from './trust-organisation';

type Dimension = ReferralSchemas['StatisticsDimension'];
type Row = ReferralSchemas['StatisticsRow'];
const DIMENSIONS: Dimension[] = [
  'month',
  'category',
  'gender',
  'ageBand',
  'citizenshipGroup',
  'outcome',
  'municipality',
];

/** A dimension's value in words (enum values translated, municipalities by name, months as they are). */
function cellText(
  t: Translate,
  dimension: Dimension,
  value: string | undefined,
  municipalities: MunicipalityList | undefined,
): string {
  if (value === undefined) {
    return '';
  }
  switch (dimension) {
    case 'month':
      return value;
    case 'municipality':
      return municipalityText(t, value, municipalities);
    default:
      return t(`${dimension}.${value}` as MessageKey);
  }
}

/** A count as published: a perturbed number, or `<5` (the cell key method, openapi/referrals.yaml). */
function countText(count: Row['count']): string {
  return String(count);
}

/** RFC 4180 CSV of what the table shows, headers in the chosen language. */
export function statisticsCsv(
  t: Translate,
  groupBy: Dimension[],
  rows: Row[],
  municipalities: MunicipalityList | undefined,
): string {
  const quote = (v: string) => (/[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  const header = [
    ...groupBy.map((d) => t(`dimension.${d}`)),
    t('statistics.count'),
    t('statistics.median'),
  ];
  const lines = rows.map((row) => [
    ...groupBy.map((d) => cellText(t, d, row.key[d], municipalities)),
    countText(row.count),
    row.medianMinutesToAcknowledge === null ? '' : String(row.medianMinutesToAcknowledge),
  ]);
  return [header, ...lines].map((line) => line.map(quote).join(',')).join('\r\n') + '\r\n';
}

export function StatisticsPage() {
  const { api } = useApp();
  const { t } = useI18n();
  const today = stockholmDate(new Date());
  const [from, setFrom] = useState(`${today.slice(0, 4)}-01-01`);
  const [to, setTo] = useState(today);
  const [groupBy, setGroupBy] = useState<Dimension[]>(['month', 'category']);
  const [query, setQuery] = useState({ from, to, groupBy });
  const stats = useLoad(
    async () =>
      must(
        await api.referrals.GET('/v1/statistics/referrals', {
          params: { query: { from: query.from, to: query.to, groupBy: query.groupBy } },
        }),
      ),
    [query],
  );
  const [csvUrl, setCsvUrl] = useState<string>();
  const municipalities = useMunicipalities();

  const download = () => {
    if (!stats.data) {
      return;
    }
    const blob = new Blob([statisticsCsv(t, query.groupBy, stats.data.rows, municipalities)], {
      type: 'text/csv;charset=utf-8',
    });
    if (csvUrl) {
      URL.revokeObjectURL(csvUrl);
    }
    const url = URL.createObjectURL(blob);
    setCsvUrl(url);
    const a = document.createElement('a');
    a.href = url;
    a.download = `samverkan-statistik-${query.from}-${query.to}.csv`;
    a.click();
  };

  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title">{t('statistics.title')}</h1>
      <form
        class="filters"
        onSubmit={(e) => {
          e.preventDefault();
          setQuery({ from, to, groupBy });
        }}
      >
        <label class="field">
          <span>{t('statistics.from')}</span>
          <input
            type="date"
            value={from}
            onInput={(e) => setFrom((e.target as HTMLInputElement).value)}
          />
        </label>
        <label class="field">
          <span>{t('statistics.to')}</span>
          <input
            type="date"
            value={to}
            onInput={(e) => setTo((e.target as HTMLInputElement).value)}
          />
        </label>
        <fieldset>
          <legend>{t('statistics.groupBy')}</legend>
          {DIMENSIONS.map((d) => (
            <label key={d} class="check">
              <input
                type="checkbox"
                checked={groupBy.includes(d)}
                onChange={(e) =>
                  setGroupBy((g) =>
                    (e.target as HTMLInputElement).checked
                      ? DIMENSIONS.filter((x) => g.includes(x) || x === d)
                      : g.filter((x) => x !== d),
                  )
                }
              />{' '}
              {t(`dimension.${d}`)}
            </label>
          ))}
        </fieldset>
        <button type="submit">{t('statistics.show')}</button>
      </form>
      <p class="subtle">{t('statistics.suppressedNote')}</p>
      {stats.error && <Notice kind="error">{t('app.error', { detail: stats.error })}</Notice>}
      {stats.data && stats.data.rows.length === 0 && <p>{t('statistics.empty')}</p>}
      {stats.data && stats.data.rows.length > 0 && (
        <>
          <BarChart
            id="statistics-chart"
            title={t('chart.title', {
              dimension: query.groupBy.map((d) => t(`dimension.${d}`)).join(' · '),
            })}
            bars={stats.data.rows.map((row) => ({
              label: query.groupBy
                .map((d) => cellText(t, d, row.key[d], municipalities))
                .join(' · '),
              count: row.count,
            }))}
          />
          <div class="table-wrap">
            <table data-testid="statistics">
              <caption class="visually-hidden">{t('statistics.title')}</caption>
              <thead>
                <tr>
                  {query.groupBy.map((d) => (
                    <th key={d} scope="col">
                      {t(`dimension.${d}`)}
                    </th>
                  ))}
                  <th scope="col" class="num">
                    {t('statistics.count')}
                  </th>
                  <th scope="col" class="num">
                    {t('statistics.median')}
                  </th>
                </tr>
              </thead>
              <tbody>
                {stats.data.rows.map((row, i) => (
                  <tr key={i}>
                    {query.groupBy.map((d) => (
                      <td key={d}>{cellText(t, d, row.key[d], municipalities)}</td>
                    ))}
                    <td class="num">{countText(row.count)}</td>
                    <td class="num">{row.medianMinutesToAcknowledge ?? ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <button type="button" class="secondary" onClick={download}>
            {t('statistics.download')}
          </button>
        </>
      )}
      <OperationReportPanel />
      <MappingReportPanel />
    </section>
  );
}

type AuditService = 'referrals' | 'directory' | 'notifications';

export function AuditPage() {
  const { api } = useApp();
  const { t, locale } = useI18n();
  const [service, setService] = useState<AuditService>('referrals');
  const [verification, setVerification] = useState<{ kind: 'success' | 'error'; text: string }>();
  const [accessFor, setAccessFor] = useState<{ id: string; n: number }>();
  const entries = useLoad(async () => {
    const query = { params: { query: { limit: 100 } } };
    const res =
      service === 'referrals'
        ? await api.referrals.GET('/v1/audit/referrals', query)
        : service === 'directory'
          ? await api.directory.GET('/v1/audit/directory', query)
          : await api.notifications.GET('/v1/audit/notifications', query);
    return must(
      res as {
        data?: { items: ReferralSchemas['AuditEntry'][] };
        error?: unknown;
        response: Response;
      },
    ).items;
  }, [service]);

  const verify = async () => {
    setVerification(undefined);
    const res =
      service === 'referrals'
        ? await api.referrals.GET('/v1/audit/referrals/verify')
        : service === 'directory'
          ? await api.directory.GET('/v1/audit/directory/verify')
          : await api.notifications.GET('/v1/audit/notifications/verify');
    if (res.error || !res.data) {
      setVerification({
        kind: 'error',
        text: t('action.refused', { detail: problemMessage(t, res.error, res.response.status) }),
      });
      return;
    }
    const v = res.data as ReferralSchemas['AuditVerification'];
    setVerification(
      v.valid
        ? { kind: 'success', text: t('audit.valid', { entries: v.entries }) }
        : {
            kind: 'error',
            text: t('audit.invalid', { seq: v.firstInvalidSeq ?? '?', reason: v.reason ?? '' }),
          },
    );
  };

  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title">{t('audit.title')}</h1>
      <div class="filters">
        <label class="field">
          <span>{t('audit.service')}</span>
          <select
            value={service}
            onChange={(e) => {
              setService((e.target as HTMLSelectElement).value as AuditService);
              setVerification(undefined);
            }}
          >
            <option value="referrals">{t('audit.log.referrals')}</option>
            <option value="directory">{t('audit.log.directory')}</option>
            <option value="notifications">{t('audit.log.notifications')}</option>
          </select>
        </label>
        <button type="button" onClick={verify}>
          {t('audit.verify')}
        </button>
      </div>
      {verification && (
        <div data-testid="verification">
          <Notice kind={verification.kind}>{verification.text}</Notice>
        </div>
      )}
      {entries.error && <Notice kind="error">{t('app.error', { detail: entries.error })}</Notice>}
      {entries.data && entries.data.length === 0 && <p>{t('audit.empty')}</p>}
      {entries.data && entries.data.length > 0 && (
        <div class="table-wrap" tabIndex={0} role="region" aria-label={t('audit.title')}>
          <table data-testid="audit" class="stack">
            <caption class="visually-hidden">{t('audit.title')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('audit.at')}</th>
                <th scope="col">{t('audit.actor')}</th>
                <th scope="col">{t('audit.action')}</th>
                <th scope="col">{t('audit.object')}</th>
                <th scope="col">{t('audit.outcome')}</th>
              </tr>
            </thead>
            <tbody>
              {entries.data.map((e) => (
                <tr key={e.id} class={e.outcome === 'denied' ? 'denied' : ''}>
                  <td data-label={t('audit.at')}>{formatDateTime(locale, e.at)}</td>
                  <td data-label={t('audit.actor')}>{e.actorSub}</td>
                  <td data-label={t('audit.action')}>
                    <AuditActionName code={e.action} />
                  </td>
                  <td data-label={t('audit.object')}>
                    {/* one box (the value beside its label on a phone), the name in its own span */}
                    <span>
                      <span>
                        <AuditObjectName code={e.objectType} />
                      </span>
                      {e.objectType === 'referral' && e.objectId && (
                        <>
                          {' '}
                          <button
                            type="button"
                            class="link"
                            onClick={() =>
                              setAccessFor({ id: e.objectId!, n: (accessFor?.n ?? 0) + 1 })
                            }
                          >
                            {t('access.fromLog')}
                            <span class="visually-hidden"> ({formatDateTime(locale, e.at)})</span>
                          </button>
                        </>
                      )}
                    </span>
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
      <ReferralAccessPanel ask={accessFor} />
      <LogReviewsPanel />
    </section>
  );
}

export function AdminPage() {
  const { api, session } = useApp();
  const { t } = useI18n();
  // The organisation's units and its audit unit (whose members are its auditors).
  const units = useLoad(async () => {
    const [service, audit] = await Promise.all(
      (['service', 'audit'] as const).map(async (purpose) =>
        must(
          await api.directory.GET('/v1/units', {
            params: { query: { organisationId: session.claims.org, purpose } },
          }),
        ),
      ),
    );
    return [...service!.items, ...audit!.items];
  }, []);
  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title">{t('admin.title')}</h1>
      {units.error && <Notice kind="error">{t('app.error', { detail: units.error })}</Notice>}
      {units.data && units.data.length === 0 && <p>{t('admin.noUnits')}</p>}
      <OwnRootFingerprints />
      {(units.data ?? []).map((u) => (
        <UnitAdmin
          key={u.id}
          unitId={u.id}
          name={u.name}
          organisationName={u.organisation.name}
          organisationId={u.organisationId}
        />
      ))}
    </section>
  );
}

function UnitAdmin({
  unitId,
  name,
  organisationName,
  organisationId,
}: {
  unitId: string;
  name: string;
  organisationName: string;
  organisationId: string;
}) {
  const { api, device } = useApp();
  const { t, locale } = useI18n();
  const [message, setMessage] = useState<{ kind: 'success' | 'error'; text: string }>();
  // The unit's recovery key, from the printed sheet: approves first browsers, opens the unit's
  // keys for a rotation. Kept in this page's memory only.
  const [recovery, setRecovery] = useState('');
  const [rotationRequired, setRotationRequired] = useState(false);
  const [keysTick, setKeysTick] = useState(0);
  const members = useLoad(
    async () =>
      must(await api.directory.GET('/v1/units/{id}/members', { params: { path: { id: unitId } } }))
        .items,
    [unitId],
  );
  const shifts = useLoad(
    async () =>
      must(
        await api.directory.GET('/v1/units/{id}/shifts', {
          params: { path: { id: unitId }, query: { from: new Date().toISOString() } },
        }),
      ).items,
    [unitId],
  );
  const [userId, setUserId] = useState('');
  const [starts, setStarts] = useState(() => toLocalInput(new Date()));
  const [ends, setEnds] = useState(() => toLocalInput(new Date(Date.now() + 8 * 3600_000)));

  const [adding, oneAtATime] = useOneAtATime();
  const addShift = (e: Event) => {
    e.preventDefault();
    void oneAtATime(() => postShift());
  };
  const postShift = async () => {
    setMessage(undefined);
    const res = await api.directory.POST('/v1/units/{id}/shifts', {
      params: { path: { id: unitId } },
      body: {
        userId: userId || members.data?.[0]?.userId || '',
        startsAt: stockholmInputToIso(starts),
        endsAt: stockholmInputToIso(ends),
      },
    });
    setMessage(
      res.error
        ? {
            kind: 'error',
            text: t('action.refused', {
              detail: problemMessage(t, res.error, res.response.status),
            }),
          }
        : { kind: 'success', text: t('done.addShift') },
    );
    shifts.reload();
  };

  const headingId = `unit-${unitId}`;
  return (
    <section class="card" aria-labelledby={headingId} data-testid="unit-admin">
      <h2 id={headingId}>{name}</h2>
      <RecoveryKeyField
        idBase={headingId}
        unitName={name}
        organisationName={organisationName}
        value={recovery}
        onChange={setRecovery}
      />
      {device ? (
        <UnitDevicesPanel
          unitId={unitId}
          device={device}
          asAdmin
          recoverySecret={recovery}
          reloadTick={keysTick}
          onListed={(l) => setRotationRequired(l.rotationRequired)}
        />
      ) : (
        <p role="status">{t('app.loading')}</p>
      )}
      <h3>{t('admin.members')}</h3>
      {members.error && <Notice kind="error">{t('app.error', { detail: members.error })}</Notice>}
      {members.data && members.data.length === 0 && (
        <p data-testid="no-members">{t('admin.noMembers')}</p>
      )}
      {members.data && members.data.length > 0 && (
        <table class="stack">
          <thead>
            <tr>
              <th scope="col">{t('admin.user')}</th>
              <th scope="col">{t('admin.roles')}</th>
            </tr>
          </thead>
          <tbody>
            {members.data.map((m) => (
              <tr key={m.userId}>
                <td data-label={t('admin.user')}>{m.userId}</td>
                <td data-label={t('admin.roles')}>
                  {m.roles.map((r) => t(`role.${r}` as MessageKey)).join(', ')}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h3>{t('admin.shifts')}</h3>
      {shifts.error && <Notice kind="error">{t('app.error', { detail: shifts.error })}</Notice>}
      {shifts.data && shifts.data.length === 0 && <p>{t('admin.noShifts')}</p>}
      {shifts.data && shifts.data.length > 0 && (
        <ul class="plain">
          {shifts.data.map((s) => (
            <li key={s.id}>
              {s.userId}: {formatDateTime(locale, s.startsAt)} – {formatDateTime(locale, s.endsAt)}
            </li>
          ))}
        </ul>
      )}
      {members.data && members.data.length > 0 && (
        <form class="inline-form" onSubmit={addShift}>
          <label class="field">
            <span>{t('admin.user')}</span>
            {/* the first member until another is chosen (what is sent): not a blank select */}
            <select
              value={userId || members.data[0]!.userId}
              onChange={(e) => setUserId((e.target as HTMLSelectElement).value)}
            >
              {members.data.map((m) => (
                <option key={m.userId} value={m.userId}>
                  {m.userId}
                </option>
              ))}
            </select>
          </label>
          <label class="field">
            <span>{t('admin.starts')}</span>
            <input
              type="datetime-local"
              required
              value={starts}
              onInput={(e) => setStarts((e.target as HTMLInputElement).value)}
            />
          </label>
          <label class="field">
            <span>{t('admin.ends')}</span>
            <input
              type="datetime-local"
              required
              value={ends}
              onInput={(e) => setEnds((e.target as HTMLInputElement).value)}
            />
          </label>
          <button type="submit" disabled={adding}>
            {t('admin.addShift')}
          </button>
        </form>
      )}
      {message && <Notice kind={message.kind}>{message.text}</Notice>}
      <UnitKeysPanel key={keysTick} unitId={unitId} />
      {device && (
        <RotateUnitKeys
          idBase={headingId}
          unitId={unitId}
          organisationId={organisationId}
          device={device}
          recoverySecret={recovery}
          rotationRequired={rotationRequired}
          onRotated={() => setKeysTick((n) => n + 1)}
        />
      )}
    </section>
  );
}

/** The organisation's own root fingerprints, for the admin to read out to other organisations. */
function OwnRootFingerprints() {
  const { device } = useApp();
  const { t } = useI18n();
  const own = device?.status.ownRootFingerprints ?? [];
  if (own.length === 0) {
    return null;
  }
  return (
    <section class="card" aria-labelledby="own-root-title" data-testid="own-root">
      <h2 id="own-root-title">{t('device.rootTitle')}</h2>
      <p>{t('trust.ownHelp')}</p>
      <ul class="plain">
        {own.map((f) => (
          <li key={f}>
            <code class="fingerprint">{groupFingerprint(f)}</code>
          </li>
        ))}
      </ul>
    </section>
  );
}
