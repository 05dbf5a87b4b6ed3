/**
 * A unit's inbox (or what it sent): clear metadata only — category, urgency, sender, status and
 * the acknowledgement deadline counting down in Stockholm time — acute first. Opening a referral
 * shows its lifecycle and the actions that need no plaintext; its content needs unit keys on
 * this device (crypto/adapter.ts).
 */
import { useRef, useState } from 'preact/hooks';
import { idempotent, must, type Referral, type ReferralSchemas } from '../api/client';
import { doneMessage } from './referral-done';
import { problemMessage, refusalText } from '../api/problem-message';
import {
  actingUnit,
  ForwardPanel,
  LinkedReferrals,
  ReferralContent,
  Thread,
  type Verdict,
} from './referral-content';
import { cryptoAdapter } from '../crypto/adapter';
import { formatDateTime, formatDeadline } from '../format';
import { useI18n } from '../i18n';
import { Notice, UnitName, UnitPicker, useApp, useKept, useLoad, useNow } from '../ui/common';
import { LegalHoldPanel, PartyAccessLog } from './referral-records';
import { referralDateLabel } from './referral-date';
import { MunicipalityName } from '../ui/municipality';

const URGENCY_RANK: Record<Referral['urgency'], number> = { acute: 0, urgent: 1, routine: 2 };
const OPEN: Referral['status'][] = [
  'sent',
  'received',
  'accepted',
  'handover_planned',
  'handover_confirmed',
];

/** Acute first, then what is still open, then the nearest deadline. */
export function inboxOrder(a: Referral, b: Referral): number {
  const openA = OPEN.includes(a.status) ? 0 : 1;
  const openB = OPEN.includes(b.status) ? 0 : 1;
  return (
    openA - openB ||
    URGENCY_RANK[a.urgency] - URGENCY_RANK[b.urgency] ||
    a.acknowledgeBy.localeCompare(b.acknowledgeBy)
  );
}

export function InboxPage({ box, onOpen }: { box: 'inbox' | 'outbox'; onOpen(id: string): void }) {
  const { api, session, liveTick } = useApp();
  const { t, locale } = useI18n();
  const now = useNow();
  const units = session.claims.units;
  const [unitId, setUnitId] = useState(units[0] ?? '');
  const list = useLoad(async () => {
    if (!unitId) {
      return [];
    }
    const page = must(
      await api.referrals.GET('/v1/referrals', {
        params: { query: { box, unit: unitId, limit: 100 } },
      }),
    );
    return [...page.items].sort(inboxOrder);
  }, [unitId, box, liveTick]);

  if (!unitId) {
    return <Notice kind="info">{t('unit.none')}</Notice>;
  }
  const acuteWaiting = (list.data ?? []).filter(
    (r) => r.urgency === 'acute' && r.status === 'sent',
  ).length;
  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title">
        {t(box === 'inbox' ? 'inbox.title' : 'outbox.title', { unit: '' }).replace(/ – $/, '')}{' '}
        <span class="subtle">
          – <UnitName id={unitId} />
        </span>
      </h1>
      <UnitPicker units={units} value={unitId} onChange={setUnitId} />
      {list.error && <Notice kind="error">{t('app.error', { detail: list.error })}</Notice>}
      {acuteWaiting > 0 && box === 'inbox' && (
        <Notice kind="warning">{t('inbox.acuteWaiting', { count: acuteWaiting })}</Notice>
      )}
      {list.data && list.data.length === 0 && <p>{t('inbox.empty')}</p>}
      <ul class="cards" aria-label={t(box === 'inbox' ? 'nav.inbox' : 'nav.outbox')}>
        {(list.data ?? []).map((r) => (
          <li key={r.id} class={`card urgency-${r.urgency}`} data-testid="referral">
            <div class="card-head">
              <span class={`badge badge-${r.urgency}`}>{t(`urgency.${r.urgency}`)}</span>
              <span class="badge badge-status">{t(`status.${r.status}`)}</span>
            </div>
            <h2 class="card-title">{t(`category.${r.category}`)}</h2>
            <dl class="meta">
              <dt>{t(box === 'inbox' ? 'inbox.from' : 'inbox.to')}</dt>
              <dd>
                <UnitName id={box === 'inbox' ? r.senderUnitId : r.recipientUnitId} />
              </dd>
              <dt>{t(box === 'inbox' ? 'inbox.received' : 'inbox.sent')}</dt>
              <dd>{formatDateTime(locale, r.createdAt)}</dd>
              {r.status === 'sent' && (
                <>
                  <dt>{t('inbox.deadline')}</dt>
                  <dd class={new Date(r.acknowledgeBy).getTime() < now ? 'overdue' : ''}>
                    <time dateTime={r.acknowledgeBy}>
                      {formatDateTime(locale, r.acknowledgeBy)}
                    </time>{' '}
                    ({formatDeadline(t, r.acknowledgeBy, now)})
                  </dd>
                </>
              )}
            </dl>
            <button type="button" class="secondary" onClick={() => onOpen(r.id)}>
              {t('inbox.open')}
              <span class="visually-hidden">: {t(`category.${r.category}`)}</span>
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}

type Action =
  | { kind: 'acknowledge' | 'accept' | 'withdraw' }
  | { kind: 'decline'; reason: ReferralSchemas['DeclineReason']; note?: string }
  | { kind: 'handover'; mode: ReferralSchemas['HandoverMode']; plannedFor: string }
  | { kind: 'confirm-handover'; side: 'sender' | 'recipient' }
  | { kind: 'close'; outcome: ReferralSchemas['Outcome'] };

const DECLINE_REASONS: ReferralSchemas['DeclineReason'][] = [
  'no_capacity',
  'outside_mandate',
  'person_declined',
  'unreachable',
  'duplicate',
  'other',
];
const OUTCOMES: ReferralSchemas['Outcome'][] = [
  'support_started',
  'person_declined',
  'unreachable',
  'referred_elsewhere',
  'other',
];
const MODES: ReferralSchemas['HandoverMode'][] = ['in_person', 'phone', 'video'];

export function ReferralPage({ id, onBack }: { id: string; onBack(): void }) {
  const { api, session, liveTick } = useApp();
  const { t, locale } = useI18n();
  const now = useNow();
  const [message, setMessage] = useState<{ kind: 'success' | 'error'; text: string }>();
  const [busy, setBusy] = useState(false);
  const [verdict, setVerdict] = useState<Verdict>('loading');
  const referral = useLoad(
    async () => must(await api.referrals.GET('/v1/referrals/{id}', { params: { path: { id } } })),
    [id, liveTick],
  );
  const r = referral.data;
  const mine = session.claims.units;
  const isRecipient = r ? mine.includes(r.recipientUnitId) : false;
  const isSender = r ? mine.includes(r.senderUnitId) : false;
  // A recipient or copy that declined, or a referral withdrawn, no longer opens: the hub refuses
  // its envelope and thread, so the page does not ask (nor re-ask on every live update).
  const contentRevoked = !!r && !isSender && (r.status === 'declined' || r.status === 'withdrawn');
  // Acknowledging and accepting say "we have read it": not offered on a browser that cannot open
  // it (no unit keys here yet); the page says what to do instead.
  const keysFirst =
    verdict === 'no-keys' && isRecipient && !!r && (r.status === 'sent' || r.status === 'received');

  // A double click acts once: a second POST (its own Idempotency-Key) would be refused as
  // "changed meanwhile", by this very person's first one.
  const acting = useRef(false);
  /** Does it; true when done (a form that asked for it then closes, else it stays as typed). */
  const act = async (action: Action): Promise<boolean> => {
    if (acting.current) {
      return false;
    }
    acting.current = true;
    try {
      return await actNow(action);
    } finally {
      acting.current = false;
    }
  };
  const actNow = async (action: Action): Promise<boolean> => {
    setBusy(true);
    setMessage(undefined);
    const path = { params: { path: { id }, header: idempotent() } };
    if (action.kind === 'decline' && action.note?.trim()) {
      // The note is sealed here, in this browser, for the sender and copy units (the SDK's
      // declineReferral, as the CLI's --note): the hub stores it without reading it.
      const unit = r ? actingUnit(r, mine) : undefined;
      const agency = unit ? cryptoAdapter.agency(unit) : undefined;
      try {
        if (!agency) {
          throw new Error(t('decline.noKeys'));
        }
        await agency.declineReferral(id, action.reason, action.note);
        setMessage({ kind: 'success', text: t(doneMessage(action.kind)) });
        referral.reload();
        return true;
      } catch (err) {
        setMessage({ kind: 'error', text: t('action.refused', { detail: refusalText(t, err) }) });
        referral.reload();
        return false;
      } finally {
        setBusy(false);
      }
    }
    const result =
      action.kind === 'decline'
        ? await api.referrals.POST('/v1/referrals/{id}/decline', {
            ...path,
            body: { reason: action.reason },
          })
        : action.kind === 'handover'
          ? await api.referrals.POST('/v1/referrals/{id}/handover', {
              ...path,
              body: { mode: action.mode, plannedFor: action.plannedFor },
            })
          : action.kind === 'confirm-handover'
            ? await api.referrals.POST('/v1/referrals/{id}/confirm-handover', {
                ...path,
                body: { side: action.side },
              })
            : action.kind === 'close'
              ? await api.referrals.POST('/v1/referrals/{id}/close', {
                  ...path,
                  body: { outcome: action.outcome },
                })
              : action.kind === 'acknowledge'
                ? await api.referrals.POST('/v1/referrals/{id}/acknowledge', path)
                : action.kind === 'accept'
                  ? await api.referrals.POST('/v1/referrals/{id}/accept', path)
                  : await api.referrals.POST('/v1/referrals/{id}/withdraw', path);
    setBusy(false);
    if (result.error) {
      setMessage({
        kind: 'error',
        text: t('action.refused', {
          detail: problemMessage(t, result.error, result.response.status),
        }),
      });
      // A colleague may have acted first: show the referral as it now stands.
      referral.reload();
      return false;
    }
    setMessage({ kind: 'success', text: t(doneMessage(action.kind)) });
    referral.reload();
    return true;
  };

  return (
    <section aria-labelledby="page-title">
      <button type="button" class="link" onClick={onBack}>
        ← {t('referral.back')}
      </button>
      {referral.error && <Notice kind="error">{t('app.error', { detail: referral.error })}</Notice>}
      {r && (
        <>
          <h1 id="page-title">
            {t(`category.${r.category}`)}{' '}
            <span class={`badge badge-${r.urgency}`}>{t(`urgency.${r.urgency}`)}</span>
          </h1>
          <p class="status-line">
            <span class="badge badge-status" data-testid="referral-status">
              {t(`status.${r.status}`)}
            </span>
            {r.status === 'sent' && (
              <span class={new Date(r.acknowledgeBy).getTime() < now ? 'overdue' : ''}>
                {' '}
                {t('inbox.deadline')} {formatDateTime(locale, r.acknowledgeBy)} (
                {formatDeadline(t, r.acknowledgeBy, now)})
              </span>
            )}
          </p>
          <dl class="meta wide">
            <dt>{t('inbox.from')}</dt>
            <dd>
              <UnitName id={r.senderUnitId} />
            </dd>
            <dt>{t('inbox.to')}</dt>
            <dd>
              <UnitName id={r.recipientUnitId} />
            </dd>
            {r.copyUnitIds.length > 0 && (
              <>
                <dt>{t('referral.copies')}</dt>
                <dd>
                  {r.copyUnitIds.map((u) => (
                    <div key={u}>
                      <UnitName id={u} />
                    </div>
                  ))}
                </dd>
              </>
            )}
            <dt>{t('referral.ageBand')}</dt>
            <dd>{t(`ageBand.${r.ageBand}`)}</dd>
            <dt>{t('referral.gender')}</dt>
            <dd>{t(`gender.${r.gender}`)}</dd>
            <dt>{t('referral.municipality')}</dt>
            <dd>
              <MunicipalityName code={r.municipalityCode} />
            </dd>
            <dt>{t('referral.legalBasis')}</dt>
            <dd>{t(`legalBasis.${r.legalBasis}`)}</dd>
            <dt>{t(referralDateLabel(r, mine))}</dt>
            <dd>{formatDateTime(locale, r.createdAt)}</dd>
            {r.handover.plannedFor && (
              <>
                <dt>{t('referral.handover')}</dt>
                <dd>
                  {t('referral.handoverPlanned', {
                    when: formatDateTime(locale, r.handover.plannedFor),
                    mode: r.handover.mode ? t(`handoverMode.${r.handover.mode}`) : '',
                  })}
                  <HandoverSides handover={r.handover} />
                </dd>
              </>
            )}
          </dl>

          <h2>{t('referral.content')}</h2>
          {contentRevoked ? (
            <Notice kind="info">
              <span data-testid="content-revoked">
                {t(
                  r.status === 'declined'
                    ? 'referral.contentDeclined'
                    : 'referral.contentWithdrawn',
                )}
              </span>
            </Notice>
          ) : (
            <ReferralContent r={r} onVerdict={setVerdict} />
          )}

          {message && <Notice kind={message.kind}>{message.text}</Notice>}
          {verdict !== 'warning' && (
            <div class="actions">
              {keysFirst && (
                <Notice kind="info">
                  <span data-testid="keys-first">{t('referral.keysFirst')}</span>{' '}
                  <a href="#/device">{t('device.showCode')}</a>
                </Notice>
              )}
              {isRecipient && r.status === 'sent' && !keysFirst && (
                <button type="button" disabled={busy} onClick={() => act({ kind: 'acknowledge' })}>
                  {t('action.acknowledge')}
                </button>
              )}
              {isRecipient && r.status === 'received' && (
                <>
                  {!keysFirst && (
                    <button type="button" disabled={busy} onClick={() => act({ kind: 'accept' })}>
                      {t('action.accept')}
                    </button>
                  )}
                  <DeclineAction
                    keep={`${r.id}:decline`}
                    busy={busy}
                    canSeal={verdict === 'verified'}
                    onDecline={(reason, note) => act({ kind: 'decline', reason, note })}
                  />
                </>
              )}
              {isSender && (r.status === 'sent' || r.status === 'received') && (
                <button
                  type="button"
                  class="secondary"
                  disabled={busy}
                  onClick={() => act({ kind: 'withdraw' })}
                >
                  {t('action.withdraw')}
                </button>
              )}
              {isRecipient && r.status === 'accepted' && (
                <HandoverAction
                  keep={`${r.id}:handover`}
                  busy={busy}
                  onPlan={(mode, plannedFor) => act({ kind: 'handover', mode, plannedFor })}
                />
              )}
              {r.status === 'handover_planned' &&
                isRecipient &&
                !r.handover.recipientConfirmation && (
                  <button
                    type="button"
                    disabled={busy}
                    onClick={() => act({ kind: 'confirm-handover', side: 'recipient' })}
                  >
                    {t('action.confirmHandover')}
                  </button>
                )}
              {r.status === 'handover_planned' && isSender && !r.handover.senderConfirmation && (
                <button
                  type="button"
                  disabled={busy}
                  onClick={() => act({ kind: 'confirm-handover', side: 'sender' })}
                >
                  {t('action.confirmHandover')}
                </button>
              )}
              {isRecipient && (r.status === 'handover_confirmed' || r.status === 'accepted') && (
                <ChoiceAction
                  keep={`${r.id}:close`}
                  label={t('action.close')}
                  field={t('action.outcome')}
                  options={OUTCOMES.map((v) => [v, t(`outcome.${v}`)])}
                  busy={busy}
                  onChoose={(outcome) =>
                    act({ kind: 'close', outcome: outcome as ReferralSchemas['Outcome'] })
                  }
                />
              )}
            </div>
          )}
          {verdict === 'verified' &&
            isRecipient &&
            session.claims.roles.includes('coordinator') &&
            (r.status === 'sent' || r.status === 'received') && (
              <ForwardPanel r={r} onForwarded={() => referral.reload()} />
            )}
          <LinkedReferrals r={r} />
          {verdict === 'verified' && !contentRevoked && <Thread r={r} />}
          <LegalHoldPanel referralId={r.id} />
          <PartyAccessLog referralId={r.id} />
        </>
      )}
    </section>
  );
}

function HandoverSides({ handover }: { handover: ReferralSchemas['Handover'] }) {
  const { t, locale } = useI18n();
  return (
    <ul class="plain">
      {(['sender', 'recipient'] as const).map((side) => {
        const at = (
          side === 'sender' ? handover.senderConfirmation : handover.recipientConfirmation
        )?.at;
        const who = t(`referral.side.${side}`);
        return (
          <li key={side}>
            {at
              ? t('referral.confirmedBy', { side: who, when: formatDateTime(locale, at) })
              : t('referral.notConfirmed', { side: who })}
          </li>
        );
      })}
    </ul>
  );
}

/**
 * A button that first asks for one choice (an outcome), then acts. Whether it is open and what
 * is chosen are kept under `keep` (useKept): a live update that re-renders the page keeps them.
 */
function ChoiceAction({
  keep,
  label,
  field,
  options,
  busy,
  onChoose,
}: {
  keep: string;
  label: string;
  field: string;
  options: [string, string][];
  busy: boolean;
  onChoose(value: string): Promise<boolean>;
}) {
  const { t } = useI18n();
  const [form, setForm, close] = useKept<{ value: string } | undefined>(keep, undefined);
  if (!form) {
    return (
      <button
        type="button"
        class="secondary"
        disabled={busy}
        onClick={() => setForm({ value: options[0]?.[0] ?? '' })}
      >
        {label}
      </button>
    );
  }
  const { value } = form;
  return (
    <form
      class="inline-form"
      data-testid="choice-form"
      onSubmit={(e) => {
        e.preventDefault();
        void onChoose(value).then((done) => done && close());
      }}
    >
      <label class="field">
        <span>{field}</span>
        <select
          value={value}
          onChange={(e) => setForm({ value: (e.target as HTMLSelectElement).value })}
        >
          {options.map(([v, text]) => (
            <option key={v} value={v}>
              {text}
            </option>
          ))}
        </select>
      </label>
      <button type="submit" disabled={busy}>
        {label}
      </button>
      <button type="button" class="secondary" onClick={close}>
        {t('action.cancel')}
      </button>
    </form>
  );
}

/**
 * Declining: a reason code and, optionally (required with `other`), a note for the sender that
 * this browser seals for the parties — the hub never sees its text. Kept under `keep` like
 * ChoiceAction's choice, the note included (in this tab's memory only); a refused decline
 * leaves the form open with the note.
 */
function DeclineAction({
  keep,
  busy,
  canSeal,
  onDecline,
}: {
  keep: string;
  busy: boolean;
  /** whether this browser holds the unit's keys (the content opened and verified) */
  canSeal: boolean;
  onDecline(reason: ReferralSchemas['DeclineReason'], note: string): Promise<boolean>;
}) {
  const { t } = useI18n();
  const [form, setForm, close] = useKept<
    { reason: ReferralSchemas['DeclineReason']; note: string } | undefined
  >(keep, undefined);
  if (!form) {
    return (
      <button
        type="button"
        class="secondary"
        disabled={busy}
        onClick={() => setForm({ reason: DECLINE_REASONS[0]!, note: '' })}
      >
        {t('action.decline')}
      </button>
    );
  }
  const { reason, note } = form;
  const needsNote = reason === 'other' && note.trim() === '';
  return (
    <form
      class="inline-form"
      data-testid="decline-form"
      onSubmit={(e) => {
        e.preventDefault();
        if (needsNote) {
          return;
        }
        void onDecline(reason, note.trim()).then((done) => done && close());
      }}
    >
      <label class="field">
        <span>{t('action.declineReason')}</span>
        <select
          value={reason}
          onChange={(e) =>
            setForm({
              note,
              reason: (e.target as HTMLSelectElement).value as ReferralSchemas['DeclineReason'],
            })
          }
        >
          {DECLINE_REASONS.map((v) => (
            <option key={v} value={v}>
              {t(`declineReason.${v}`)}
            </option>
          ))}
        </select>
      </label>
      {canSeal && (
        <label class="field">
          <span>
            {t('decline.note')}
            {reason === 'other' ? ' *' : ''}
          </span>
          <textarea
            rows={3}
            maxLength={2000}
            value={note}
            aria-describedby="decline-note-help"
            onInput={(e) => setForm({ reason, note: (e.target as HTMLTextAreaElement).value })}
          />
          <small id="decline-note-help">{t('decline.noteHelp')}</small>
        </label>
      )}
      {needsNote && <p class="muted">{t('decline.noteNeeded')}</p>}
      <button type="submit" disabled={busy || needsNote}>
        {t('action.decline')}
      </button>
      <button type="button" class="secondary" onClick={close}>
        {t('action.cancel')}
      </button>
    </form>
  );
}

/** Planning the warm handover: how and when (Stockholm time), kept under `keep` like the others. */
function HandoverAction({
  keep,
  busy,
  onPlan,
}: {
  keep: string;
  busy: boolean;
  onPlan(mode: ReferralSchemas['HandoverMode'], plannedFor: string): Promise<boolean>;
}) {
  const { t } = useI18n();
  const [form, setForm, close] = useKept<
    { mode: ReferralSchemas['HandoverMode']; when: string } | undefined
  >(keep, undefined);
  if (!form) {
    return (
      <button
        type="button"
        disabled={busy}
        onClick={() =>
          setForm({ mode: 'in_person', when: toLocalInput(new Date(Date.now() + 3600_000)) })
        }
      >
        {t('action.planHandover')}
      </button>
    );
  }
  const { mode, when } = form;
  return (
    <form
      class="inline-form"
      data-testid="handover-form"
      onSubmit={(e) => {
        e.preventDefault();
        void onPlan(mode, stockholmInputToIso(when)).then((done) => done && close());
      }}
    >
      <label class="field">
        <span>{t('action.handoverMode')}</span>
        <select
          value={mode}
          onChange={(e) =>
            setForm({
              when,
              mode: (e.target as HTMLSelectElement).value as ReferralSchemas['HandoverMode'],
            })
          }
        >
          {MODES.map((m) => (
            <option key={m} value={m}>
              {t(`handoverMode.${m}`)}
            </option>
          ))}
        </select>
      </label>
      <label class="field">
        <span>{t('action.handoverWhen')}</span>
        <input
          type="datetime-local"
          required
          value={when}
          onInput={(e) => setForm({ mode, when: (e.target as HTMLInputElement).value })}
        />
      </label>
      <button type="submit" disabled={busy}>
        {t('action.save')}
      </button>
      <button type="button" class="secondary" onClick={close}>
        {t('action.cancel')}
      </button>
    </form>
  );
}

/** "YYYY-MM-DDTHH:mm" of an instant in Stockholm time (for datetime-local inputs). */
export function toLocalInput(date: Date): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('sv-SE', {
      timeZone: 'Europe/Stockholm',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    })
      .formatToParts(date)
      .map((p) => [p.type, p.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}`;
}

/** The instant a datetime-local value means when read as Stockholm time, whatever the device's zone. */
export function stockholmInputToIso(value: string): string {
  const asUtc = new Date(`${value}:00Z`).getTime();
  // Stockholm's offset at (about) that instant: format the UTC guess there and compare.
  const shown = new Date(`${toLocalInput(new Date(asUtc))}:00Z`).getTime();
  return new Date(asUtc - (shown - asUtc)).toISOString();
}
