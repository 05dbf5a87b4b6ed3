/**
 * Field requests during joint operations. The social worker on shift (on a phone) sees the
 * requests for their units and claims one with one tap — if someone else was first, they are told
 * at once — then en route → on site → completed. The police officer's operation view lists the
 * operation's requests with who claimed them and when they were on site.
 */
import { useState } from 'preact/hooks';
import { idempotent, must, type FieldRequest, type Operation } from '../api/client';
import { problemMessage } from '../api/problem-message';
import { asEnvelopeWarning, cryptoAdapter } from '../crypto/adapter';
import { NotifyPermission } from './notify-permission';
import { NewFieldRequestForm } from './field-request-new';
import { TallyPanel } from './tally';
import { formatDateTime, formatDeadline } from '../format';
import { useI18n } from '../i18n';
import { Notice, UnitName, useApp, useLoad, useNow, useOneAtATime } from '../ui/common';

async function operationsWithRequests(
  api: ReturnType<typeof useApp>['api'],
  status?: Operation['status'],
): Promise<{ operation: Operation; requests: FieldRequest[] }[]> {
  const operations = must(
    await api.referrals.GET('/v1/operations', { params: { query: status ? { status } : {} } }),
  ).items;
  return Promise.all(
    operations.map(async (operation) => {
      const res = await api.referrals.GET('/v1/operations/{id}/field-requests', {
        params: { path: { id: operation.id } },
      });
      return { operation, requests: res.data?.items ?? [] };
    }),
  );
}

const STATUS_RANK: Record<FieldRequest['status'], number> = {
  open: 0,
  claimed: 1,
  en_route: 2,
  on_site: 3,
  completed: 4,
  cancelled: 5,
};

export function FieldRequestsPage() {
  const { api, session, liveTick } = useApp();
  const { t } = useI18n();
  const mine = session.claims.units;
  const list = useLoad(async () => {
    const all = await operationsWithRequests(api, 'active');
    return all
      .flatMap(({ requests }) => requests)
      .filter((r) => r.participantUnitIds.some((u) => mine.includes(u)))
      .filter(
        (r) =>
          r.status !== 'cancelled' &&
          (r.status !== 'completed' || r.claimedBy === session.claims.sub),
      )
      .sort(
        (a, b) =>
          STATUS_RANK[a.status] - STATUS_RANK[b.status] || a.neededBy.localeCompare(b.neededBy),
      );
  }, [liveTick]);

  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title">{t('nav.fieldRequests')}</h1>
      <NotifyPermission />
      {list.error && <Notice kind="error">{t('app.error', { detail: list.error })}</Notice>}
      {list.data && list.data.length === 0 && <p>{t('fieldRequest.empty')}</p>}
      <ul class="cards">
        {(list.data ?? []).map((r) => (
          <li key={r.id}>
            <FieldRequestCard request={r} onChanged={list.reload} actions />
          </li>
        ))}
      </ul>
    </section>
  );
}

export function FieldRequestCard({
  request: r,
  onChanged,
  actions,
}: {
  request: FieldRequest;
  onChanged(): void;
  actions: boolean;
}) {
  const { api, session } = useApp();
  const { t, locale } = useI18n();
  const now = useNow();
  // A double tap claims once (a second claim would come back "taken", by this very person).
  const [busy, oneAtATime] = useOneAtATime();
  // Someone else was first: the claim button goes at once, before the list catches up.
  const [taken, setTaken] = useState(false);
  const [message, setMessage] = useState<{ kind: 'success' | 'error' | 'warning'; text: string }>();
  const mine = r.claimedBy === session.claims.sub;
  const myUnit = session.claims.units.find((u) => r.participantUnitIds.includes(u));

  const step = (kind: 'claim' | 'en-route' | 'on-site' | 'complete') =>
    oneAtATime(() => doStep(kind));
  const doStep = async (kind: 'claim' | 'en-route' | 'on-site' | 'complete') => {
    setMessage(undefined);
    const path = { params: { path: { id: r.id }, header: idempotent() } };
    const res =
      kind === 'claim'
        ? await api.referrals.POST('/v1/field-requests/{id}/claim', path)
        : kind === 'en-route'
          ? await api.referrals.POST('/v1/field-requests/{id}/en-route', path)
          : kind === 'on-site'
            ? await api.referrals.POST('/v1/field-requests/{id}/on-site', path)
            : await api.referrals.POST('/v1/field-requests/{id}/complete', path);
    if (res.error) {
      const taken = res.response.status === 409 && kind === 'claim';
      setTaken(taken);
      setMessage(
        taken
          ? { kind: 'warning', text: t('fieldRequest.taken') }
          : {
              kind: 'error',
              text: t('action.refused', {
                detail: problemMessage(t, res.error, res.response.status),
              }),
            },
      );
    } else if (kind === 'claim') {
      setMessage({ kind: 'success', text: t('fieldRequest.claimed') });
    }
    onChanged();
  };

  const overdue = new Date(r.neededBy).getTime() < now;
  // Counting down (or "försenad") only while someone is still needed on site.
  const waiting = r.status === 'open' || r.status === 'claimed' || r.status === 'en_route';
  return (
    <article class={`card urgency-${r.urgency}`} data-testid="field-request" data-status={r.status}>
      <div class="card-head">
        <span class={`badge badge-${r.urgency}`}>{t(`urgency.${r.urgency}`)}</span>
        <span class="badge badge-status" data-testid="field-request-status">
          {t(`fieldStatus.${r.status}`)}
        </span>
      </div>
      <h2 class="card-title">
        <UnitName id={r.requesterUnitId} />
      </h2>
      <dl class="meta">
        <dt>{t('fieldRequest.needed')}</dt>
        <dd class={overdue && r.status === 'open' ? 'overdue' : ''}>
          <time dateTime={r.neededBy}>{formatDateTime(locale, r.neededBy)}</time>
          {waiting && <> ({formatDeadline(t, r.neededBy, now)})</>}
        </dd>
        <dt>{t('fieldRequest.persons')}</dt>
        <dd>
          {t('fieldRequest.personsValue', {
            adults: r.estimatedPersons.adults,
            children: r.estimatedPersons.children,
            unknown: r.estimatedPersons.unknown,
          })}
        </dd>
        {r.languages.length > 0 && (
          <>
            <dt>{t('fieldRequest.languages')}</dt>
            <dd>{r.languages.map((l) => languageName(locale, l)).join(', ')}</dd>
          </>
        )}
      </dl>
      {(r.flags.childSuspected || r.flags.protectedHousingLikely || r.flags.buyerPresent) && (
        <ul class="flags">
          {r.flags.childSuspected && <li>{t('fieldRequest.flags.childSuspected')}</li>}
          {r.flags.protectedHousingLikely && (
            <li>{t('fieldRequest.flags.protectedHousingLikely')}</li>
          )}
          {r.flags.buyerPresent && <li>{t('fieldRequest.flags.buyerPresent')}</li>}
        </ul>
      )}
      <p class="claim-line" data-testid="claimed-by">
        {r.claimedBy ? (
          <>
            {t('fieldRequest.claimedBy', {
              user: r.claimedBy,
              unit: '',
              when: formatDateTime(locale, r.claimedAt),
            }).replace(' ()', '')}{' '}
            {r.claimedByUnitId && (
              <span class="subtle">
                (<UnitName id={r.claimedByUnitId} />)
              </span>
            )}
          </>
        ) : (
          t('fieldRequest.unclaimed')
        )}
      </p>
      {r.enRouteAt && (
        <p>{t('fieldRequest.enRoute', { when: formatDateTime(locale, r.enRouteAt) })}</p>
      )}
      {r.onSiteAt && (
        <p data-testid="on-site">
          {t('fieldRequest.onSite', { when: formatDateTime(locale, r.onSiteAt) })}
        </p>
      )}
      {r.completedAt && (
        <p>{t('fieldRequest.completed', { when: formatDateTime(locale, r.completedAt) })}</p>
      )}
      {message && <Notice kind={message.kind}>{message.text}</Notice>}
      {actions && (
        <div class="actions">
          {r.status === 'open' && myUnit && !taken && (
            <button type="button" class="big" disabled={busy} onClick={() => step('claim')}>
              {t('fieldRequest.claim')}
            </button>
          )}
          {mine && r.status === 'claimed' && (
            <button type="button" class="big" disabled={busy} onClick={() => step('en-route')}>
              {t('fieldRequest.startEnRoute')}
            </button>
          )}
          {mine && r.status === 'en_route' && (
            <button type="button" class="big" disabled={busy} onClick={() => step('on-site')}>
              {t('fieldRequest.startOnSite')}
            </button>
          )}
          {mine && r.status === 'on_site' && (
            <button type="button" class="big" disabled={busy} onClick={() => step('complete')}>
              {t('fieldRequest.complete')}
            </button>
          )}
        </div>
      )}
      {/* the address only while the visit is on: not kept on the phone's screen after it */}
      {mine && myUnit && r.status !== 'completed' && r.status !== 'cancelled' && (
        <SealedAddress request={r} unitId={myUnit} />
      )}
      {mine && r.status === 'completed' && <TallyPanel request={r} />}
    </article>
  );
}

/**
 * The address travels sealed for the units on call; only a device with their keys opens it. It
 * is opened here, on the phone, and verified: signed by the requesting unit, and the hub's clear
 * record of the request is what the officer signed.
 */
function SealedAddress({ request, unitId }: { request: FieldRequest; unitId: string }) {
  const { t } = useI18n();
  const { deviceTick } = useApp();
  const opened = useLoad(async () => {
    const [keys] = await cryptoAdapter.unitKeys([unitId]);
    const agency = cryptoAdapter.agency(unitId);
    if (!keys?.canOpen || !agency) {
      return { keys: false as const };
    }
    try {
      const o = await agency.openFieldRequest<{ address?: string; details?: string }>(request.id);
      return { keys: true as const, document: o.document, from: o.aad.from };
    } catch (err) {
      const w = asEnvelopeWarning(err);
      if (!w) {
        throw err;
      }
      return { keys: true as const, warning: w.message };
    }
  }, [request.id, unitId, deviceTick]);
  if (!opened.data) {
    return opened.loading ? <p role="status">{t('fieldRequest.addressOpening')}</p> : null;
  }
  if (!opened.data.keys) {
    return (
      <div class="notice notice-warning" role="status" data-testid="no-unit-keys">
        <strong>
          {t('fieldRequest.address')}: {t('crypto.noKeysTitle')}
        </strong>
        <p>{t('crypto.noKeysBody')}</p>
      </div>
    );
  }
  if (opened.data.warning) {
    return (
      <div data-testid="address-warning">
        <Notice kind="warning">
          {t('fieldRequest.addressWarning', { detail: opened.data.warning })}
        </Notice>
      </div>
    );
  }
  const doc = opened.data.document ?? {};
  return (
    <section
      class="sealed-address"
      data-testid="field-address"
      aria-label={t('fieldRequest.addressTitle')}
    >
      <h3>{t('fieldRequest.addressTitle')}</h3>
      <p class="address">{String(doc.address ?? '')}</p>
      {doc.details && <p>{String(doc.details)}</p>}
      <p class="subtle verified">
        {t('fieldRequest.addressFrom')} <UnitName id={opened.data.from} />
      </p>
    </section>
  );
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

export function OperationsPage() {
  const { api, liveTick, session } = useApp();
  const officer = session.claims.roles.includes('officer');
  const { t, locale } = useI18n();
  const list = useLoad(() => operationsWithRequests(api), [liveTick]);
  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title">{t('operations.title')}</h1>
      {list.error && <Notice kind="error">{t('app.error', { detail: list.error })}</Notice>}
      {list.data && list.data.length === 0 && <p>{t('operations.empty')}</p>}
      {(list.data ?? []).map(({ operation: o, requests }) => (
        <section
          key={o.id}
          class="operation"
          aria-labelledby={`op-${o.id}`}
          data-testid="operation"
        >
          <h2 id={`op-${o.id}`}>
            {o.name} <span class="badge badge-status">{t(`operationStatus.${o.status}`)}</span>
          </h2>
          <p class="subtle">
            {t('operations.period', {
              from: formatDateTime(locale, o.startsAt),
              to: formatDateTime(locale, o.endsAt),
            })}{' '}
            · <UnitName id={o.organiserUnitId} />
          </p>
          {o.status === 'active' && officer && (
            <NewFieldRequestForm operation={o} onSent={list.reload} />
          )}
          <h3>{t('operations.fieldRequests')}</h3>
          {requests.length === 0 && <p>{t('operations.noFieldRequests')}</p>}
          <ul class="cards">
            {requests.map((r) => (
              <li key={r.id}>
                <FieldRequestCard request={r} onChanged={list.reload} actions={false} />
              </li>
            ))}
          </ul>
        </section>
      ))}
    </section>
  );
}
