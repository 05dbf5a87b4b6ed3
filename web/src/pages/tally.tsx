/**
 * The encounter tally, after a completed field request: numbers only, never who — people met by
 * gender, age band and citizenship group, support offered and accepted, protected housing,
 * buyers met and offered the clinic. A short form for the phone; the hub checks that it adds up
 * (422 `tally-invalid`) and takes it once (409 `tally-already-recorded`).
 */
import { useState } from 'preact/hooks';
import { idempotent, type FieldRequest, type ReferralSchemas } from '../api/client';
import { problemMessage } from '../api/problem-message';
import { formatDateTime } from '../format';
import { useI18n } from '../i18n';
import { Notice, useApp, useLoad } from '../ui/common';

type Cell = ReferralSchemas['PeopleMetCell'];
type Tally = ReferralSchemas['EncounterTally'];
const GENDERS: Cell['gender'][] = ['female', 'male', 'non_binary', 'unknown'];
const AGE_BANDS: Cell['ageBand'][] = ['adult', 'child', 'unknown'];
const CITIZENSHIP: Cell['citizenshipGroup'][] = ['eu', 'non_eu', 'swedish', 'unknown'];
const COUNTS = [
  ['supportOffered', 'tally.supportOffered'],
  ['supportAccepted', 'tally.supportAccepted'],
  ['protectedHousingArranged', 'tally.protectedHousing'],
  ['buyersMet', 'tally.buyersMet'],
  ['buyersOfferedClinic', 'tally.buyersClinic'],
] as const;
type CountKey = (typeof COUNTS)[number][0];

export function TallyPanel({ request }: { request: FieldRequest }) {
  const { api } = useApp();
  const { t, locale } = useI18n();
  const recorded = useLoad(async () => {
    const res = await api.referrals.GET('/v1/field-requests/{id}/tally', {
      params: { path: { id: request.id } },
    });
    return res.data ?? null;
  }, [request.id]);
  const [saved, setSaved] = useState<Tally>();
  const tally = saved ?? recorded.data;
  if (recorded.loading && !saved) {
    return null;
  }
  if (tally) {
    const met = tally.peopleMet.reduce((n, c) => n + c.count, 0);
    return (
      <p class="tally-recorded" data-testid="tally-recorded">
        {t('tally.recorded', {
          when: formatDateTime(locale, tally.recordedAt),
          met,
          offered: tally.supportOffered,
          accepted: tally.supportAccepted,
          housing: tally.protectedHousingArranged,
        })}
      </p>
    );
  }
  return <TallyForm request={request} onSaved={setSaved} />;
}

function TallyForm({ request, onSaved }: { request: FieldRequest; onSaved(t: Tally): void }) {
  const { api } = useApp();
  const { t } = useI18n();
  const [rows, setRows] = useState<Cell[]>([
    {
      gender: 'female',
      ageBand: 'adult',
      citizenshipGroup: 'eu',
      count: Math.max(1, request.estimatedPersons.adults),
    },
  ]);
  const [counts, setCounts] = useState<Record<CountKey, number>>({
    supportOffered: 0,
    supportAccepted: 0,
    protectedHousingArranged: 0,
    buyersMet: 0,
    buyersOfferedClinic: 0,
  });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const id = request.id;

  const setRow = (i: number, patch: Partial<Cell>) =>
    setRows((rs) => rs.map((r, j) => (j === i ? { ...r, ...patch } : r)));

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    const res = await api.referrals.POST('/v1/field-requests/{id}/tally', {
      params: { path: { id }, header: idempotent() },
      body: { peopleMet: rows.filter((r) => r.count > 0), ...counts, referralIds: [] },
    });
    setBusy(false);
    if (res.error || !res.data) {
      setError(t('action.refused', { detail: problemMessage(t, res.error, res.response.status) }));
      return;
    }
    onSaved(res.data);
  };

  const select = <V extends string>(
    label: string,
    value: V,
    options: V[],
    key: 'gender' | 'ageBand' | 'citizenshipGroup',
    i: number,
  ) => (
    <label class="field">
      <span>{label}</span>
      <select
        value={value}
        onChange={(e) => setRow(i, { [key]: (e.target as HTMLSelectElement).value } as never)}
      >
        {options.map((o) => (
          <option key={o} value={o}>
            {t(`${key}.${o}` as never)}
          </option>
        ))}
      </select>
    </label>
  );

  return (
    <form class="tally-form" onSubmit={submit} data-testid="tally-form">
      <h3>{t('tally.title')}</h3>
      <p class="subtle">{t('tally.intro')}</p>
      <fieldset>
        <legend>{t('tally.peopleMet')}</legend>
        {rows.map((r, i) => (
          <fieldset key={i} class="tally-row">
            <legend class="visually-hidden">{t('tally.row', { n: i + 1 })}</legend>
            {select(t('tally.gender'), r.gender, GENDERS, 'gender', i)}
            {select(t('tally.ageBand'), r.ageBand, AGE_BANDS, 'ageBand', i)}
            {select(t('tally.citizenship'), r.citizenshipGroup, CITIZENSHIP, 'citizenshipGroup', i)}
            <label class="field">
              <span>{t('tally.count')}</span>
              <input
                type="number"
                inputMode="numeric"
                min={0}
                max={1000}
                value={r.count}
                onInput={(e) =>
                  setRow(i, { count: Number((e.target as HTMLInputElement).value) || 0 })
                }
              />
            </label>
            {rows.length > 1 && (
              <button
                type="button"
                class="link"
                onClick={() => setRows((rs) => rs.filter((_, j) => j !== i))}
              >
                {t('tally.removeRow', { n: i + 1 })}
              </button>
            )}
          </fieldset>
        ))}
        <button
          type="button"
          class="secondary"
          onClick={() =>
            setRows((rs) => [
              ...rs,
              { gender: 'unknown', ageBand: 'unknown', citizenshipGroup: 'unknown', count: 1 },
            ])
          }
        >
          {t('tally.addRow')}
        </button>
      </fieldset>
      <div class="tally-counts">
        {COUNTS.map(([key, label]) => (
          <label key={key} class="field inline">
            <span>{t(label)}</span>
            <input
              type="number"
              inputMode="numeric"
              min={0}
              max={1000}
              value={counts[key]}
              onInput={(e) =>
                setCounts((c) => ({
                  ...c,
                  [key]: Number((e.target as HTMLInputElement).value) || 0,
                }))
              }
            />
          </label>
        ))}
      </div>
      {error && <Notice kind="error">{error}</Notice>}
      <button type="submit" class="big" disabled={busy}>
        {t('tally.save')}
      </button>
    </form>
  );
}
