/**
 * What needs plaintext on a referral, all of it opened and sealed in this browser through the
 * SDK's agency (crypto/adapter.ts): the content, decrypted and verified (the sender's signature
 * on a key its organisation's pinned root signed, and the hub's clear record equal to what the
 * sender signed) with the verified sender shown; any failure shown as a warning that blocks
 * acting; the secure message thread; and the coordinator's forward, re-encrypted for each unit.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { must, type Referral, type Unit } from '../api/client';
import { refusalText } from '../api/problem-message';
import { asEnvelopeWarning, cryptoAdapter, type EnvelopeWarning } from '../crypto/adapter';
import { useDraft } from '../crypto/drafts';
import { formatDateTime } from '../format';
import { useI18n, type MessageKey } from '../i18n';
import { Notice, UnitName, useApp, useLoad } from '../ui/common';
import { MunicipalitySelect } from '../ui/municipality';
import { linkedView } from './linked';
import { sharingAdvice, type SharingParty } from './sharing';
import { TrustOrganisation } from './trust-organisation';

export type Verdict = 'loading' | 'no-keys' | 'verified' | 'warning';

type Doc = Record<string, unknown>;

/** The clear members a recipient compares, by the names people see on the page. */
const FIELD_LABELS: Record<string, MessageKey> = {
  category: 'newReferral.category',
  urgency: 'newReferral.urgency',
  ageBand: 'referral.ageBand',
  gender: 'referral.gender',
  citizenshipGroup: 'newReferral.citizenship',
  municipalityCode: 'referral.municipality',
  legalBasis: 'referral.legalBasis',
  senderUnitId: 'inbox.from',
  recipientUnitId: 'inbox.to',
  copyUnitIds: 'referral.copies',
};

function warningText(t: (k: MessageKey, p?: Record<string, string>) => string, w: EnvelopeWarning) {
  switch (w.code) {
    case 'record_mismatch':
    case 'aad_mismatch': {
      const key = w.field ? FIELD_LABELS[w.field] : undefined;
      return t('verify.mismatch', { field: key ? t(key) : (w.field ?? '') });
    }
    case 'signature_invalid':
    case 'bad_signature':
      return t('verify.signature');
    case 'untrusted_key':
    case 'unknown_key':
    case 'root_not_pinned':
      return t('verify.unknownKey');
    case 'decryption_failed':
    case 'not_a_recipient':
      return t('verify.decryption');
    default:
      return t('verify.other');
  }
}

/** The unit of the person through which this browser opens the referral (it holds its keys). */
export function actingUnit(r: Referral, mine: string[]): string | undefined {
  const parties = [r.recipientUnitId, r.senderUnitId, ...r.copyUnitIds];
  return mine.find((u) => parties.includes(u) && cryptoAdapter.agency(u));
}

export function ReferralContent({ r, onVerdict }: { r: Referral; onVerdict(v: Verdict): void }) {
  const { session, deviceTick } = useApp();
  const { t, locale } = useI18n();
  const unit = actingUnit(r, session.claims.units);
  const [state, setState] = useState<
    | { kind: 'loading' }
    | { kind: 'no-keys' }
    | { kind: 'opened'; document: Doc; from: string; iat: number }
    | { kind: 'warning'; warning: EnvelopeWarning }
    | { kind: 'error'; message: string }
  >({ kind: 'loading' });
  /** the referral this shows opened, if it does */
  const openedId = useRef<string>(undefined);

  useEffect(() => {
    let live = true;
    const agency = unit ? cryptoAdapter.agency(unit) : undefined;
    if (!agency) {
      openedId.current = undefined;
      setState({ kind: 'no-keys' });
      onVerdict('no-keys');
      return;
    }
    // Opened again for new keys (deviceTick, after each sync) the referral shows what it showed
    // until the answer is in: the forms and the thread below it stay as they are.
    if (openedId.current !== r.id) {
      setState({ kind: 'loading' });
      onVerdict('loading');
    }
    agency.openReferral<Doc>(r.id).then(
      (opened) => {
        if (live) {
          setState({
            kind: 'opened',
            document: opened.document,
            from: opened.aad.from,
            iat: opened.aad.iat,
          });
          openedId.current = r.id;
          onVerdict('verified');
        }
      },
      (err: unknown) => {
        if (!live) {
          return;
        }
        openedId.current = undefined;
        const w = asEnvelopeWarning(err);
        setState(
          w
            ? { kind: 'warning', warning: w }
            : { kind: 'error', message: String((err as Error).message ?? err) },
        );
        onVerdict('warning');
      },
    );
    return () => {
      live = false;
    };
  }, [r.id, unit, deviceTick]);

  if (state.kind === 'no-keys') {
    return (
      <div class="notice notice-warning" role="status" data-testid="no-unit-keys">
        <strong>{t('crypto.noKeysTitle')}</strong>
        <p>{t('crypto.noKeysBody')}</p>
      </div>
    );
  }
  if (state.kind === 'loading') {
    return <p role="status">{t('verify.opening')}</p>;
  }
  if (state.kind === 'warning' || state.kind === 'error') {
    const w = state.kind === 'warning' ? state.warning : undefined;
    return (
      <>
        <div class="notice notice-error" role="alert" data-testid="envelope-warning">
          <strong>{t('verify.warningTitle')}</strong>
          <p>{w ? warningText(t, w) : state.kind === 'error' ? state.message : ''}</p>
          <p>{t('verify.blocked')}</p>
        </div>
        {w?.organisationId && (w.code === 'root_not_pinned' || w.code === 'untrusted_key') && (
          <TrustOrganisation
            organisationId={w.organisationId}
            otherRootsPinned={w.code === 'untrusted_key'}
          />
        )}
      </>
    );
  }
  return (
    <div data-testid="referral-document">
      <p class="verified" data-testid="verified-sender">
        <span aria-hidden="true">✔ </span>
        {t('verify.signedBy')} <UnitName id={state.from} />,{' '}
        {formatDateTime(locale, new Date(state.iat * 1000).toISOString())}. {t('verify.checked')}
      </p>
      <DocumentView doc={state.document} />
    </div>
  );
}

function Field({ label, value }: { label: string; value: unknown }) {
  if (
    value === undefined ||
    value === null ||
    value === '' ||
    (Array.isArray(value) && value.length === 0)
  ) {
    return null;
  }
  return (
    <>
      <dt>{label}</dt>
      <dd>
        {Array.isArray(value)
          ? value.join(', ')
          : typeof value === 'boolean'
            ? String(value)
            : String(value)}
      </dd>
    </>
  );
}

/** The referral document by the schema's sections, every label translated. */
export function DocumentView({ doc }: { doc: Doc }) {
  const { t } = useI18n();
  const person = (doc.person ?? {}) as Doc;
  const situation = (doc.situation ?? {}) as Doc;
  const consent = (doc.consent ?? {}) as Doc;
  const contact = (doc.senderContact ?? {}) as Doc;
  const yes = (v: unknown) => (v === true ? t('form.yes') : v === false ? t('form.no') : undefined);
  return (
    <div class="document">
      <h3>{t('form.person')}</h3>
      <dl class="meta wide">
        <Field label={t('form.givenName')} value={person.givenName} />
        <Field label={t('form.familyName')} value={person.familyName} />
        <Field label={t('form.alias')} value={person.alias} />
        <Field label={t('form.birthYear')} value={person.birthYear} />
        <Field
          label={t('referral.ageBand')}
          value={person.ageBand ? t(`ageBand.${person.ageBand}` as MessageKey) : undefined}
        />
        <Field
          label={t('referral.gender')}
          value={person.gender ? t(`gender.${person.gender}` as MessageKey) : undefined}
        />
        <Field label={t('form.languages')} value={person.languages} />
        <Field label={t('form.interpreterNeeded')} value={yes(person.interpreterNeeded)} />
        <Field label={t('form.phone')} value={person.phone} />
        <Field label={t('form.safeContact')} value={person.safeContactInstructions} />
      </dl>
      <h3>{t('form.situation')}</h3>
      <p class="prose" data-testid="document-summary">
        {String(situation.summary ?? '')}
      </p>
      <dl class="meta wide">
        <Field
          label={t('form.exploitation')}
          value={((situation.exploitation as string[]) ?? []).map((e) =>
            t(`exploitation.${e}` as MessageKey),
          )}
        />
        <Field label={t('form.risks')} value={situation.risks} />
        <Field label={t('form.protectionNeeds')} value={situation.protectionNeeds} />
        <Field
          label={t('form.requests')}
          value={((doc.requests as string[]) ?? []).map((e) => t(`request.${e}` as MessageKey))}
        />
        <Field label={t('form.consentGiven')} value={yes(consent.given)} />
        <Field label={t('form.consentScope')} value={consent.scope} />
        <Field label={t('form.basisNote')} value={consent.basisNote} />
        <Field label={t('form.contactRole')} value={contact.role} />
        <Field label={t('form.contactPhone')} value={contact.phone} />
        <Field label={t('form.contactEmail')} value={contact.email} />
        <Field label={t('form.contactAvailability')} value={contact.availability} />
        <Field label={t('form.justification')} value={doc.justification} />
      </dl>
    </div>
  );
}

// ----- the secure message thread ---------------------------------------------------------------

export function Thread({ r }: { r: Referral }) {
  const { session, deviceTick, liveTick } = useApp();
  const { t, locale } = useI18n();
  const unit = actingUnit(r, session.claims.units);
  const agency = unit ? cryptoAdapter.agency(unit) : undefined;
  const messages = useLoad(
    async () => (agency ? agency.readMessages(r.id) : []),
    [r.id, unit, deviceTick, liveTick],
  );
  const draft = useDraft<string>(`message:${session.claims.iss}:${session.claims.sub}:${r.id}`, '');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  if (!agency) {
    return null;
  }
  const send = async (e: Event) => {
    e.preventDefault();
    if (!draft.value.trim()) {
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      await agency.postMessage(r.id, draft.value);
      await draft.clear();
      draft.set('');
      await draft.clear();
      messages.reload();
    } catch (err) {
      setError(t('action.refused', { detail: refusalText(t, err) }));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section aria-labelledby="thread-title" class="thread">
      <h2 id="thread-title">{t('thread.title')}</h2>
      <p class="muted">{t('thread.intro')}</p>
      {messages.error && <Notice kind="error">{t('app.error', { detail: messages.error })}</Notice>}
      {messages.data && messages.data.length === 0 && <p>{t('thread.empty')}</p>}
      <ol class="plain messages">
        {(messages.data ?? []).map((m) => (
          <li
            key={m.id}
            class={`message ${unit === m.senderUnitId ? 'mine' : ''}`}
            data-testid="thread-message"
          >
            <p class="muted">
              <UnitName id={m.senderUnitId} /> · {formatDateTime(locale, m.createdAt)}
              {m.verified && m.purpose && (
                <>
                  {' · '}
                  <strong data-testid="note-purpose">{t(`thread.purpose.${m.purpose}`)}</strong>
                </>
              )}
            </p>
            {m.verified ? (
              <p class="prose">{m.text}</p>
            ) : (
              <Notice kind="warning">
                {t('thread.unverified', { detail: m.problem.message })}
              </Notice>
            )}
          </li>
        ))}
      </ol>
      <form onSubmit={send}>
        <label class="field">
          <span>{t('thread.write')}</span>
          <textarea
            rows={3}
            maxLength={4000}
            value={draft.value}
            data-testid="message-input"
            onInput={(e) => draft.set((e.target as HTMLTextAreaElement).value)}
          />
        </label>
        {draft.restored && draft.value && <p class="muted">{t('draft.restored')}</p>}
        <button type="submit" disabled={busy || !draft.ready}>
          {t('thread.send')}
        </button>
        {error && <Notice kind="error">{error}</Notice>}
      </form>
    </section>
  );
}

// ----- the coordinator's routing view ----------------------------------------------------------

const CAPABILITIES = [
  'trafficking_expertise',
  'support_talks',
  'protected_housing',
  'protection_assessment',
  'response_24_7',
  'child_protection',
  'interpreter_ready',
  'legal_advice',
  'return_support',
  'sexual_health',
] as const;

export function ForwardPanel({ r, onForwarded }: { r: Referral; onForwarded(): void }) {
  const { api, session } = useApp();
  const { t } = useI18n();
  const unit = actingUnit(r, session.claims.units);
  const agency = unit ? cryptoAdapter.agency(unit) : undefined;
  const [q, setQ] = useState('');
  const [capability, setCapability] = useState('');
  const [municipality, setMunicipality] = useState(r.municipalityCode);
  const [search, setSearch] = useState(0);
  const [chosen, setChosen] = useState<Unit[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const results = useLoad(async () => {
    if (search === 0) {
      return [] as Unit[];
    }
    return must(
      await api.directory.GET('/v1/units', {
        params: {
          query: {
            ...(q.trim() ? { q: q.trim() } : {}),
            ...(capability ? { capability: [capability as (typeof CAPABILITIES)[number]] } : {}),
            ...(municipality ? { municipality } : {}),
            limit: 20,
          },
        },
      }),
    ).items.filter((u) => u.id !== unit);
  }, [search]);
  if (!agency) {
    return null;
  }
  const parties: SharingParty[] = chosen.map((u) => ({
    unitId: u.id,
    name: u.name,
    organisationKind: u.organisation.kind,
    role: 'recipient',
  }));
  // Each forward is a referral of its own: every leg must meet the rules on its own.
  const advice = parties.flatMap((p) =>
    sharingAdvice({ legalBasis: r.legalBasis, ageBand: r.ageBand, parties: [p] }),
  );
  const blocked = advice.some((a) => a.blocking);
  const forward = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await agency.forwardReferral(
        r.id,
        chosen.map((u) => ({ recipientUnitId: u.id })),
      );
      setChosen([]);
      onForwarded();
    } catch (err) {
      const w = asEnvelopeWarning(err);
      setError(w ? warningText(t, w) : t('action.refused', { detail: refusalText(t, err) }));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section aria-labelledby="forward-title" class="card" data-testid="forward-panel">
      <h2 id="forward-title">{t('forward.title')}</h2>
      <p>{t('forward.intro')}</p>
      <form
        class="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          setSearch((n) => n + 1);
        }}
      >
        <label class="field">
          <span>{t('forward.query')}</span>
          <input value={q} onInput={(e) => setQ((e.target as HTMLInputElement).value)} />
        </label>
        <label class="field">
          <span>{t('forward.need')}</span>
          <select
            value={capability}
            onChange={(e) => setCapability((e.target as HTMLSelectElement).value)}
          >
            <option value="">{t('forward.anyNeed')}</option>
            {CAPABILITIES.map((c) => (
              <option key={c} value={c}>
                {t(`capability.${c}` as MessageKey)}
              </option>
            ))}
          </select>
        </label>
        <label class="field">
          <span>{t('referral.municipality')}</span>
          <MunicipalitySelect
            value={municipality}
            onChange={setMunicipality}
            anyLabel={t('referral.anyMunicipality')}
          />
        </label>
        <button type="submit">{t('forward.search')}</button>
      </form>
      {results.error && <Notice kind="error">{t('app.error', { detail: results.error })}</Notice>}
      {search > 0 && results.data && results.data.length === 0 && <p>{t('forward.noUnits')}</p>}
      {results.data && results.data.length > 0 && (
        <fieldset>
          <legend>{t('forward.choose')}</legend>
          <ul class="plain">
            {results.data.map((u) => (
              <li key={u.id}>
                <label class="check">
                  <input
                    type="checkbox"
                    checked={chosen.some((c) => c.id === u.id)}
                    onChange={(e) =>
                      setChosen(
                        (e.target as HTMLInputElement).checked
                          ? [...chosen, u]
                          : chosen.filter((c) => c.id !== u.id),
                      )
                    }
                  />{' '}
                  {u.name} ({u.organisation.name})
                </label>
              </li>
            ))}
          </ul>
        </fieldset>
      )}
      <SharingAdviceList advice={advice} />
      {chosen.length > 0 && (
        <button type="button" disabled={busy || blocked} onClick={() => void forward()}>
          {t('forward.send', { count: chosen.length })}
        </button>
      )}
      {error && <Notice kind="error">{error}</Notice>}
    </section>
  );
}

export function SharingAdviceList({ advice }: { advice: ReturnType<typeof sharingAdvice> }) {
  const { t } = useI18n();
  if (advice.length === 0) {
    return null;
  }
  return (
    <ul class="plain advice" data-testid="sharing-advice">
      {advice.map((a, i) => (
        <li key={i} class={a.blocking ? 'advice-block' : 'advice-ok'}>
          <Notice kind={a.blocking ? 'warning' : 'info'}>{t(a.key, a.params)}</Notice>
        </li>
      ))}
    </ul>
  );
}

/**
 * The referrals a forward created, each with its unit and where it stands, for the unit that
 * forwarded it; anyone else is told in words what happened (`linkedView`).
 */
export function LinkedReferrals({ r }: { r: Referral }) {
  const { api, liveTick, session } = useApp();
  const { t } = useI18n();
  const view = linkedView(r, session.claims.units);
  const linked = useLoad(
    async () =>
      view.legs !== 'list'
        ? []
        : Promise.all(
            r.forwardedToIds.map(async (id) =>
              must(await api.referrals.GET('/v1/referrals/{id}', { params: { path: { id } } })),
            ),
          ),
    [r.id, r.forwardedToIds.join(','), view.legs, liveTick],
  );
  if (view.legs === 'none' && view.from === 'none') {
    return null;
  }
  return (
    <section aria-labelledby="linked-title">
      <h2 id="linked-title">{t('linked.title')}</h2>
      {view.from === 'link' && (
        <p>
          {t('linked.from')} <a href={`#/referral/${r.forwardedFromId}`}>{t('linked.original')}</a>
        </p>
      )}
      {view.from === 'text' && (
        <p data-testid="linked-from-text">
          {t('linked.fromBy')} <UnitName id={r.senderUnitId} />. {t('linked.fromNote')}
        </p>
      )}
      {view.legs === 'count' && (
        <p data-testid="linked-count">
          {t('linked.forwardedCount', { count: r.forwardedToIds.length })}
        </p>
      )}
      {linked.data && linked.data.length > 0 && (
        <ul class="plain" data-testid="linked-referrals">
          {linked.data.map((x) => (
            <li key={x.id}>
              <a href={`#/referral/${x.id}`}>
                <UnitName id={x.recipientUnitId} />
              </a>
              : <span data-testid="linked-status">{t(`status.${x.status}` as MessageKey)}</span>
              {x.handover.senderConfirmation &&
                x.handover.recipientConfirmation &&
                ` · ${t('linked.handoverBoth')}`}
            </li>
          ))}
        </ul>
      )}
      {linked.error && <Notice kind="error">{linked.error}</Notice>}
    </section>
  );
}
