/**
 * The police officer's request for a social worker on site, during an active operation, made to
 * be filled in in under a minute on a phone or a desktop: urgency, needed within, how many
 * persons, languages, what the situation is, and the address and details — which are sealed in
 * this browser (the SDK's agency, signed with the officer's unit key) for the operation's social
 * services units on call. The hub receives only the clear routing fields and the envelope.
 */
import { useState } from 'preact/hooks';
import { idempotent, type FieldRequest, type Operation } from '../api/client';
import { problemMessage } from '../api/problem-message';
import { asEnvelopeWarning, cryptoAdapter } from '../crypto/adapter';
import { useI18n } from '../i18n';
import { Notice, UnitName, UnitPicker, useApp, useLoad } from '../ui/common';

const URGENCIES = ['acute', 'urgent', 'routine'] as const;
const NEEDED_IN_MINUTES = [15, 30, 60, 120, 240];
/** The languages most often needed in the operations (ISO 639-1); others by code. */
const COMMON_LANGUAGES = ['ro', 'bg', 'hu', 'en', 'es', 'ru', 'th', 'zh', 'ar', 'so'];
const FLAGS = ['childSuspected', 'protectedHousingLikely', 'buyerPresent'] as const;

/**
 * The units the envelope is sealed for: the operation's accepted participants that are social
 * services, sorted — exactly the set the hub checks the envelope against.
 */
export function useFieldRecipients(operation: Operation): {
  data?: string[];
  error?: string;
} {
  const { api } = useApp();
  return useLoad(async () => {
    const accepted = operation.participants.filter((p) => p.status === 'accepted');
    const units = await Promise.all(
      accepted.map(async (p) => {
        const res = await api.directory.GET('/v1/units/{id}', {
          params: { path: { id: p.unitId } },
        });
        return res.data?.organisation.kind === 'social_services' ? p.unitId : undefined;
      }),
    );
    return units.filter((u): u is string => Boolean(u)).sort();
  }, [operation.id, operation.version]);
}

function languageName(locale: string, code: string): string {
  try {
    return (
      new Intl.DisplayNames([locale === 'en' ? 'en' : 'sv'], { type: 'language' }).of(code) ?? code
    );
  } catch {
    return code;
  }
}

export function NewFieldRequestForm({
  operation,
  onSent,
}: {
  operation: Operation;
  onSent(request: FieldRequest): void;
}) {
  const { api, session, deviceTick } = useApp();
  const { t, locale } = useI18n();
  const recipients = useFieldRecipients(operation);
  const keyed = useLoad(
    async () =>
      (await cryptoAdapter.unitKeys(session.claims.units))
        .filter((k) => k.canOpen)
        .map((k) => k.unitId),
    [deviceTick],
  );
  const [unitId, setUnitId] = useState('');
  const [urgency, setUrgency] = useState<(typeof URGENCIES)[number]>('acute');
  const [neededIn, setNeededIn] = useState(30);
  const [persons, setPersons] = useState({ adults: 1, children: 0, unknown: 0 });
  const [languages, setLanguages] = useState<string[]>([]);
  const [otherLanguage, setOtherLanguage] = useState('');
  const [flags, setFlags] = useState({
    childSuspected: false,
    protectedHousingLikely: false,
    buyerPresent: false,
  });
  const [address, setAddress] = useState('');
  const [details, setDetails] = useState('');
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ kind: 'success' | 'error' | 'warning'; text: string }>();

  const from = unitId || keyed.data?.[0] || '';
  const agency = from ? cryptoAdapter.agency(from) : undefined;
  const to = recipients.data ?? [];

  if (keyed.data && keyed.data.length === 0) {
    return (
      <div class="notice notice-warning" role="status" data-testid="no-unit-keys">
        <strong>
          {t('fieldRequest.new.title')}: {t('crypto.noKeysTitle')}
        </strong>
        <p>{t('crypto.noKeysBody')}</p>
      </div>
    );
  }

  const submit = async (e: Event) => {
    e.preventDefault();
    if (!agency || to.length === 0) {
      return;
    }
    setBusy(true);
    setMessage(undefined);
    const extra = otherLanguage
      .split(/[\s,]+/)
      .map((l) => l.trim().toLowerCase())
      .filter((l) => /^[a-z]{2,3}$/.test(l));
    const clear = {
      urgency,
      neededBy: new Date(Date.now() + neededIn * 60_000).toISOString(),
      estimatedPersons: persons,
      languages: [...new Set([...languages, ...extra])],
      flags,
    };
    const id = crypto.randomUUID();
    try {
      // Sealed here: the address and details never leave this browser in clear.
      const envelope = await agency.sealFieldRequest(
        { fieldRequestId: id, operationId: operation.id, participantUnitIds: to, ...clear },
        { address, details },
      );
      const res = await api.referrals.POST('/v1/operations/{id}/field-requests', {
        params: { path: { id: operation.id }, header: idempotent() },
        body: { id, requesterUnitId: from, ...clear, envelope: envelope as never },
      });
      if (res.error || !res.data) {
        setMessage({
          kind: 'error',
          text: t('action.refused', { detail: problemMessage(t, res.error, res.response.status) }),
        });
        return;
      }
      setAddress('');
      setDetails('');
      setMessage({
        kind: 'success',
        text: t('fieldRequest.new.sent', { count: to.length }),
      });
      onSent(res.data);
    } catch (err) {
      const w = asEnvelopeWarning(err);
      setMessage({
        kind: 'error',
        text: t('action.refused', { detail: w?.message ?? (err as Error).message }),
      });
    } finally {
      setBusy(false);
    }
  };

  const number = (key: keyof typeof persons, label: string) => (
    <label class="field inline">
      <span>{label}</span>
      <input
        type="number"
        inputMode="numeric"
        min={0}
        max={100}
        required
        value={persons[key]}
        onInput={(e) =>
          setPersons((p) => ({ ...p, [key]: Number((e.target as HTMLInputElement).value) || 0 }))
        }
      />
    </label>
  );

  return (
    <form class="card field-request-form" onSubmit={submit} data-testid="new-field-request">
      <h3>{t('fieldRequest.new.title')}</h3>
      <p class="subtle">{t('fieldRequest.new.intro')}</p>
      <UnitPicker units={keyed.data ?? []} value={from} onChange={setUnitId} />
      <fieldset class="choices">
        <legend>{t('fieldRequest.new.urgency')}</legend>
        {URGENCIES.map((u) => (
          <label key={u} class="check">
            <input
              type="radio"
              name={`urgency-${operation.id}`}
              checked={urgency === u}
              onChange={() => setUrgency(u)}
            />{' '}
            {t(`urgency.${u}`)}
          </label>
        ))}
      </fieldset>
      <label class="field">
        <span>{t('fieldRequest.new.neededIn')}</span>
        <select
          value={neededIn}
          onChange={(e) => setNeededIn(Number((e.target as HTMLSelectElement).value))}
        >
          {NEEDED_IN_MINUTES.map((m) => (
            <option key={m} value={m}>
              {m < 60
                ? t('fieldRequest.new.minutes', { minutes: m })
                : t('fieldRequest.new.hours', { hours: m / 60 })}
            </option>
          ))}
        </select>
      </label>
      <fieldset class="choices">
        <legend>{t('fieldRequest.persons')}</legend>
        {number('adults', t('fieldRequest.new.adults'))}
        {number('children', t('fieldRequest.new.children'))}
        {number('unknown', t('fieldRequest.new.unknown'))}
      </fieldset>
      <fieldset class="choices">
        <legend>{t('fieldRequest.new.languages')}</legend>
        {COMMON_LANGUAGES.map((l) => (
          <label key={l} class="check">
            <input
              type="checkbox"
              checked={languages.includes(l)}
              onChange={(e) =>
                setLanguages((ls) =>
                  (e.target as HTMLInputElement).checked ? [...ls, l] : ls.filter((x) => x !== l),
                )
              }
            />{' '}
            {languageName(locale, l)}
          </label>
        ))}
        <label class="field">
          <span>{t('fieldRequest.new.otherLanguage')}</span>
          <input
            type="text"
            autoComplete="off"
            value={otherLanguage}
            onInput={(e) => setOtherLanguage((e.target as HTMLInputElement).value)}
          />
        </label>
      </fieldset>
      <fieldset class="choices">
        <legend>{t('fieldRequest.new.flags')}</legend>
        {FLAGS.map((f) => (
          <label key={f} class="check">
            <input
              type="checkbox"
              checked={flags[f]}
              onChange={(e) =>
                setFlags((x) => ({ ...x, [f]: (e.target as HTMLInputElement).checked }))
              }
            />{' '}
            {t(`fieldRequest.flags.${f}`)}
          </label>
        ))}
      </fieldset>
      <label class="field">
        <span>{t('fieldRequest.new.address')}</span>
        <input
          type="text"
          required
          maxLength={500}
          autoComplete="off"
          aria-describedby={`address-help-${operation.id}`}
          value={address}
          onInput={(e) => setAddress((e.target as HTMLInputElement).value)}
        />
      </label>
      <small id={`address-help-${operation.id}`} class="subtle">
        {t('fieldRequest.new.addressHelp')}
      </small>
      <label class="field">
        <span>{t('fieldRequest.new.details')}</span>
        <textarea
          rows={3}
          maxLength={2000}
          aria-describedby={`details-help-${operation.id}`}
          value={details}
          onInput={(e) => setDetails((e.target as HTMLTextAreaElement).value)}
        />
      </label>
      <small id={`details-help-${operation.id}`} class="subtle">
        {t('fieldRequest.new.detailsHelp')}
      </small>
      {recipients.error && (
        <Notice kind="error">{t('app.error', { detail: recipients.error })}</Notice>
      )}
      {recipients.data && to.length === 0 && (
        <Notice kind="warning">{t('fieldRequest.new.noParticipants')}</Notice>
      )}
      {to.length > 0 && (
        <p data-testid="field-request-recipients">
          {t('fieldRequest.new.to')}:{' '}
          {to.map((u, i) => (
            <span key={u}>
              {i > 0 && ', '}
              <UnitName id={u} />
            </span>
          ))}
        </p>
      )}
      {message && <Notice kind={message.kind}>{message.text}</Notice>}
      <button type="submit" class="big" disabled={busy || !agency || to.length === 0}>
        {busy ? t('fieldRequest.new.sending') : t('fieldRequest.new.send')}
      </button>
    </form>
  );
}
