/**
 * The app shell: sign-in, the session in memory, the live notification stream, the menu by role,
 * and the pages behind `#/…` (hash routes, so the hub serves only `/` and the built files).
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { createApi, type Notification, type NotificationCounts } from './api/client';
import { openNotificationStream } from './api/stream';
import {
  loadProviders,
  resumeSession,
  signOut,
  startSignIn,
  type Session,
  type SignInProvider,
} from './auth/oidc';
import {
  I18nContext,
  initialLocale,
  saveLocale,
  translator,
  useI18n,
  type Locale,
  type MessageKey,
} from './i18n';
import { FieldRequestsPage, OperationsPage } from './pages/field-requests';
import { InboxPage, ReferralPage } from './pages/inbox';
import { NotificationsPage, notificationText } from './pages/notifications';
import { systemNotify } from './notify';
import { HubAdminPage } from './pages/hub-admin';
import { AdminPage, AuditPage, StatisticsPage } from './pages/records';
import { AppContext, Notice } from './ui/common';
import { cryptoChanged, onCryptoChange, startDevice } from './crypto/adapter';
import type { BrowserDevice } from './crypto/device-crypto';
import { DeviceBanner, DevicePage, DevicesPage } from './pages/device';

type Route =
  | { page: 'inbox' | 'outbox' | 'notifications' | 'field-requests' | 'operations' }
  | { page: 'statistics' | 'audit' | 'admin' | 'device' | 'devices' | 'new-referral' | 'hub' }
  | { page: 'referral'; id: string };

function parseRoute(hash: string): Route | undefined {
  const [page, id] = hash.replace(/^#\/?/, '').split('/');
  switch (page) {
    case 'inbox':
    case 'outbox':
    case 'notifications':
    case 'field-requests':
    case 'operations':
    case 'statistics':
    case 'audit':
    case 'admin':
    case 'device':
    case 'devices':
    case 'new-referral':
    case 'hub':
      return { page };
    case 'referral':
      return id && /^[0-9a-f-]{36}$/i.test(id) ? { page: 'referral', id } : undefined;
    default:
      return undefined;
  }
}

/** The pages that open or seal content with the unit keys this browser holds. */
const NEEDS_UNIT_KEYS: Route['page'][] = [
  'inbox',
  'outbox',
  'referral',
  'new-referral',
  'field-requests',
  'operations',
];

interface NavItem {
  page: Route['page'];
  label: MessageKey;
}

/** What each person's menu holds, from the roles their token carries. */
export function menuFor(roles: string[], hasUnits: boolean): NavItem[] {
  const items: NavItem[] = [];
  const has = (r: string) => roles.includes(r);
  if (has('officer')) {
    items.push({ page: 'operations', label: 'nav.operations' });
  }
  if (hasUnits && (has('caseworker') || has('coordinator') || has('officer'))) {
    items.push({ page: 'inbox', label: 'nav.inbox' }, { page: 'outbox', label: 'nav.outbox' });
  }
  if (hasUnits && (has('caseworker') || has('coordinator') || has('officer'))) {
    items.push({ page: 'new-referral', label: 'nav.newReferral' });
  }
  if (hasUnits && has('caseworker')) {
    items.push({ page: 'field-requests', label: 'nav.fieldRequests' });
  }
  if (has('coordinator')) {
    items.push({ page: 'operations', label: 'nav.operations' });
  }
  if (has('analyst') || has('coordinator')) {
    items.push({ page: 'statistics', label: 'nav.statistics' });
  }
  if (has('auditor')) {
    items.push({ page: 'audit', label: 'nav.audit' });
  }
  if (has('org_admin')) {
    items.push({ page: 'admin', label: 'nav.admin' });
  }
  if (has('hub_admin')) {
    items.push({ page: 'hub', label: 'nav.hub' });
  }
  if (hasUnits && (has('caseworker') || has('coordinator') || has('officer') || has('auditor'))) {
    items.push({ page: 'device', label: 'nav.device' }, { page: 'devices', label: 'nav.devices' });
  }
  items.push({ page: 'notifications', label: 'nav.notifications' });
  return items.filter((item, i) => items.findIndex((x) => x.page === item.page) === i);
}

export function App() {
  const [locale, setLocaleState] = useState<Locale>(initialLocale);
  const i18n = useMemo(
    () => ({
      locale,
      t: translator(locale),
      setLocale: (l: Locale) => {
        saveLocale(l);
        setLocaleState(l);
      },
    }),
    [locale],
  );
  useEffect(() => saveLocale(locale), []);
  const [providers, setProviders] = useState<SignInProvider[]>();
  const [session, setSession] = useState<Session>();
  const [state, setState] = useState<'starting' | 'signed-out' | 'signed-in' | 'redirecting'>(
    'starting',
  );
  // Why sign-in did not finish, in words (the OpenID library's messages are English, for
  // developers): no contact with the hub, or a sign-in that could not be completed.
  const [error, setError] = useState<'offline' | 'failed'>();

  useEffect(() => {
    (async () => {
      const list = await loadProviders();
      setProviders(list);
      const result = await resumeSession(list);
      if (result.kind === 'signed-in') {
        setSession(result.session);
        setState('signed-in');
        if (!parseRoute(location.hash)) {
          location.hash = `#/${menuFor(result.session.claims.roles, result.session.claims.units.length > 0)[0]!.page}`;
        }
      } else if (result.kind === 'redirecting') {
        setState('redirecting');
      } else {
        setError(result.error ? 'failed' : undefined);
        setState('signed-out');
      }
    })().catch((err: unknown) => {
      setError(err instanceof TypeError ? 'offline' : 'failed');
      setState('signed-out');
    });
  }, []);

  return (
    <I18nContext.Provider value={i18n}>
      {state === 'signed-in' && session ? (
        <SignedIn session={session} />
      ) : (
        <SignIn providers={providers} busy={state !== 'signed-out'} error={error} />
      )}
    </I18nContext.Provider>
  );
}

function LanguageSwitch() {
  const { locale, setLocale, t } = useI18n();
  return (
    <div class="lang" role="group" aria-label={t('app.language')}>
      {(['sv', 'en'] as const).map((l) => (
        <button
          key={l}
          type="button"
          class="link"
          lang={l}
          aria-pressed={locale === l}
          onClick={() => setLocale(l)}
        >
          {l === 'sv' ? 'Svenska' : 'English'}
        </button>
      ))}
    </div>
  );
}

function SignIn({
  providers,
  busy,
  error,
}: {
  providers?: SignInProvider[];
  busy: boolean;
  error?: 'offline' | 'failed';
}) {
  const { t } = useI18n();
  const [starting, setStarting] = useState(false);
  return (
    <>
      <header class="topbar">
        <span class="brand">{t('app.name')}</span>
        <LanguageSwitch />
      </header>
      <main id="main" class="signin">
        <h1>{t('signin.title')}</h1>
        <p>{t('signin.intro')}</p>
        {error && (
          <Notice kind="error">
            {error === 'offline' ? t('signin.offline') : t('signin.failed')}
          </Notice>
        )}
        {busy || starting ? (
          <p role="status">{t('signin.signingIn')}</p>
        ) : providers && providers.length === 0 ? (
          <Notice kind="info">{t('signin.none')}</Notice>
        ) : (
          <ul class="plain">
            {(providers ?? []).map((p) => (
              <li key={p.issuer}>
                <button
                  type="button"
                  class="big"
                  onClick={() => {
                    setStarting(true);
                    void startSignIn(p);
                  }}
                >
                  {t('signin.with', { name: p.name })}
                </button>
              </li>
            ))}
          </ul>
        )}
      </main>
    </>
  );
}

function SignedIn({ session }: { session: Session }) {
  const { t, locale } = useI18n();
  const [route, setRoute] = useState<Route | undefined>(parseRoute(location.hash));
  const [liveTick, setLiveTick] = useState(0);
  const [counts, setCounts] = useState<NotificationCounts>();
  const [alert, setAlert] = useState<Notification>();
  const [streamState, setStreamState] = useState<'live' | 'reconnecting'>('reconnecting');
  const tokenRef = useRef(session.accessToken);
  const api = useMemo(
    () =>
      createApi(
        () => tokenRef.current,
        // An expired or revoked token: get a fresh one from the provider without a prompt.
        () => void startSignIn(session.provider, { silent: true }),
      ),
    [session],
  );
  const menu = menuFor(session.claims.roles, session.claims.units.length > 0);
  const [device, setDevice] = useState<BrowserDevice>();
  const [deviceError, setDeviceError] = useState<string>();
  const [deviceTick, setDeviceTick] = useState(0);
  useEffect(() => onCryptoChange(() => setDeviceTick((x) => x + 1)), []);
  // This browser as a device: keys made and enrolled on first sign-in, key boxes opened after.
  useEffect(() => {
    const { iss, sub, org, units, roles } = session.claims;
    startDevice({
      token: () => tokenRef.current,
      person: { iss, sub },
      organisationId: org,
      // An auditor's units are the organisation's audit unit: its keys open sent justifications.
      handlesCases:
        units.length > 0 &&
        roles.some((r) => ['caseworker', 'coordinator', 'officer', 'auditor'].includes(r)),
    }).then(setDevice, (err: Error) => setDeviceError(err.message));
  }, []);
  // While waiting for a colleague's approval (or after a notification), look again.
  useEffect(() => {
    if (!device || !device.status.deviceId) {
      return;
    }
    const waiting = device.status.unitsWithKeys.length === 0;
    const timer = setTimeout(
      () =>
        void device.sync().then(
          () => {
            setDeviceError(undefined);
            cryptoChanged();
          },
          (err: Error) => setDeviceError(err.message),
        ),
      waiting ? 4_000 : 60_000,
    );
    return () => clearTimeout(timer);
  }, [device, deviceTick, liveTick]);

  useEffect(() => {
    const onHash = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);
  useEffect(
    () =>
      openNotificationStream(() => tokenRef.current, {
        onNotification(n) {
          setAlert(n);
          // critical items also as a system notification while the tab is in the background
          systemNotify(n, notificationText(t, locale, n).title);
          setLiveTick((x) => x + 1);
        },
        onCounts: setCounts,
        onState: setStreamState,
      }),
    [],
  );
  // Renew the access token shortly before it expires (a redirect with prompt=none).
  useEffect(() => {
    const timer = setTimeout(
      () => void startSignIn(session.provider, { silent: true }),
      Math.max(10_000, session.expiresAt - Date.now() - 60_000),
    );
    return () => clearTimeout(timer);
  }, [session]);
  useEffect(() => {
    document.title = `${t(menu.find((m) => m.page === route?.page)?.label ?? 'app.name')} – Samverkan`;
  }, [route, locale]);

  const go = (hash: string) => {
    location.hash = hash;
  };
  const current: Route = route ?? ({ page: menu[0]!.page } as Route);

  return (
    <AppContext.Provider value={{ api, session, liveTick, device, deviceTick }}>
      <a class="skip" href="#main">
        {t('app.skip')}
      </a>
      <header class="topbar">
        <span class="brand">{t('app.name')}</span>
        <span class="who" data-testid="signed-in-as">
          {t('session.user', { user: session.claims.sub })}
        </span>
        <LanguageSwitch />
        <button type="button" class="link" onClick={() => void signOut(session)}>
          {t('signout')}
        </button>
      </header>
      <nav aria-label={t('nav.label')} class="menu">
        <ul>
          {menu.map((item) => (
            <li key={item.page}>
              <a
                href={`#/${item.page}`}
                aria-current={current.page === item.page ? 'page' : undefined}
              >
                {t(item.label)}
                {item.page === 'notifications' && counts && counts.unread > 0 && (
                  <span class="count" data-testid="unread-count">
                    {' '}
                    <span aria-hidden="true">{counts.unread}</span>
                    <span class="visually-hidden">
                      {t('notifications.unread', { count: counts.unread })}
                    </span>
                  </span>
                )}
              </a>
            </li>
          ))}
        </ul>
        <span class={`stream stream-${streamState}`} role="status">
          {streamState === 'live' ? t('notifications.live') : t('notifications.reconnecting')}
        </span>
      </nav>
      <div class="live-region" aria-live="assertive" data-testid="live-alert">
        {alert && (
          <div class={`alert severity-${alert.severity}`}>
            {t('notifications.newAlert', { title: notificationText(t, locale, alert).title })}{' '}
            <button type="button" class="link" onClick={() => setAlert(undefined)}>
              ✕<span class="visually-hidden">{t('action.cancel')}</span>
            </button>
          </div>
        )}
      </div>
      {/* Only above the pages that read or write encrypted content; #/device shows the code
          (and any device error) itself, and the others (statistics, the audit log, admin) work
          without unit keys. */}
      {NEEDS_UNIT_KEYS.includes(current.page) && (
        <DeviceBanner device={device} error={deviceError} onShow={() => go('#/device')} />
      )}
      <main id="main" tabIndex={-1}>
        {current.page === 'device' ? (
          <DevicePage device={device} error={deviceError} />
        ) : current.page === 'devices' ? (
          <DevicesPage device={device} />
        ) : current.page === 'new-referral' ? (
          <LazyNewReferral onSent={(id) => go(`#/referral/${id}`)} />
        ) : current.page === 'inbox' || current.page === 'outbox' ? (
          <InboxPage box={current.page} onOpen={(id) => go(`#/referral/${id}`)} />
        ) : current.page === 'referral' ? (
          <ReferralPage id={current.id} onBack={() => history.back()} />
        ) : current.page === 'notifications' ? (
          <NotificationsPage
            onOpen={(n) =>
              go(n.objectType === 'referral' ? `#/referral/${n.objectId}` : '#/field-requests')
            }
          />
        ) : current.page === 'field-requests' ? (
          <FieldRequestsPage />
        ) : current.page === 'operations' ? (
          <OperationsPage />
        ) : current.page === 'statistics' ? (
          <StatisticsPage />
        ) : current.page === 'audit' ? (
          <AuditPage />
        ) : current.page === 'hub' ? (
          <HubAdminPage />
        ) : (
          <AdminPage />
        )}
      </main>
    </AppContext.Provider>
  );
}

type NewReferralPageType = (typeof import('./pages/new-referral'))['NewReferralPage'];

/** The referral form (with the document schema it is generated from) loads when it is opened. */
function LazyNewReferral(props: { onSent(id: string): void }) {
  const { t } = useI18n();
  const [Page, setPage] = useState<NewReferralPageType>();
  useEffect(() => {
    void import('./pages/new-referral').then((m) => setPage(() => m.NewReferralPage));
  }, []);
  return Page ? <Page {...props} /> : <p role="status">{t('app.loading')}</p>;
}
