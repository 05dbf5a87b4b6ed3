/**
 * This browser as a device, and approving others: the code a person reads out to the colleague
 * who approves their browser, and — for a unit's approvers (members with an approved device) and
 * its organisation admin — the unit's devices with pending ones to approve after comparing codes,
 * and revocation. An organisation admin, who holds no device keys, approves with the unit's
 * recovery key (the printed sheet), which is opened here and never leaves the page.
 */
import { useEffect, useState } from 'preact/hooks';
import { must } from '../api/client';
import { refusalText } from '../api/problem-message';
import { asEnvelopeWarning, cryptoChanged } from '../crypto/adapter';
import type { BrowserDevice, UnitDevices } from '../crypto/device-crypto';
import { formatDateTime } from '../format';
import { useI18n, type MessageKey, type Translate } from '../i18n';
import { Notice, UnitName, useApp, useLoad } from '../ui/common';

function errorText(t: Translate, err: unknown): string {
  const w = asEnvelopeWarning(err);
  return w ? w.message : refusalText(t, err);
}

/** Shown on every page while this browser waits for approval. */
export function DeviceBanner({
  device,
  error,
  onShow,
}: {
  device?: BrowserDevice;
  error?: string;
  onShow(): void;
}) {
  const { t } = useI18n();
  if (error) {
    return (
      <div class="device-banner">
        <Notice kind="warning">{t('device.error', { detail: error })}</Notice>
      </div>
    );
  }
  const s = device?.status;
  if (!s?.deviceId || s.unitsWithKeys.length > 0) {
    return null;
  }
  if (s.units.length > 0 && s.units.every((u) => u.status === 'revoked')) {
    return (
      <div class="device-banner" data-testid="device-revoked">
        <Notice kind="warning">{t('device.revokedBanner')}</Notice>
      </div>
    );
  }
  return (
    <div class="device-banner" data-testid="device-banner">
      <Notice kind="info">
        {t('device.waiting')}{' '}
        <button type="button" class="link" onClick={onShow}>
          {t('device.showCode')}
        </button>
      </Notice>
    </div>
  );
}

export function ShortCode({ code }: { code: string }) {
  return (
    <p class="short-code" data-testid="short-code" aria-label={code.replace(/ /g, ', ')}>
      {code}
    </p>
  );
}

/** `#/device`: this browser — its code while pending, and the units whose keys it holds. */
export function DevicePage({ device, error }: { device?: BrowserDevice; error?: string }) {
  const { t } = useI18n();
  const s = device?.status;
  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title">{t('device.title')}</h1>
      {error && <Notice kind="error">{t('device.error', { detail: error })}</Notice>}
      {!device && !error && <p role="status">{t('app.loading')}</p>}
      {device && !s?.deviceId && <p>{t('device.notCaseHandler')}</p>}
      {s?.deviceId && (
        <>
          <p>{t('device.intro')}</p>
          {s.shortCode && (
            <div class="card">
              <h2>{t('device.codeTitle')}</h2>
              <p>{t('device.codeHelp')}</p>
              <ShortCode code={s.shortCode} />
              <p class="muted">
                {t('device.label')}: {s.label}
              </p>
            </div>
          )}
          <h2>{t('device.units')}</h2>
          <ul class="plain">
            {s.units.map((u) => (
              <li key={u.unitId} data-testid="device-unit">
                <UnitName id={u.unitId} />:{' '}
                <strong>
                  {s.unitsWithKeys.includes(u.unitId)
                    ? t('device.hasKeys')
                    : t(`device.status.${u.status}` as MessageKey)}
                </strong>
              </li>
            ))}
          </ul>
        </>
      )}
      {s && s.ownRootFingerprints.length > 0 && (
        <details>
          <summary>{t('device.rootTitle')}</summary>
          <p>{t('device.rootHelp')}</p>
          <ul class="plain">
            {s.ownRootFingerprints.map((f) => (
              <li key={f}>
                <code>{f}</code>
              </li>
            ))}
          </ul>
        </details>
      )}
    </section>
  );
}

/** `#/devices`: the devices of the units this person may approve for. */
export function DevicesPage({ device }: { device?: BrowserDevice }) {
  const { session } = useApp();
  const { t } = useI18n();
  const units = device ? device.status.unitsWithKeys : [];
  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title">{t('devices.title')}</h1>
      <p>{t('devices.intro')}</p>
      {units.length === 0 && <Notice kind="info">{t('devices.noKeys')}</Notice>}
      {session.claims.units
        .filter((u) => units.includes(u))
        .map((u) => (
          <UnitDevicesPanel key={u} unitId={u} device={device!} asAdmin={false} />
        ))}
    </section>
  );
}

/** A unit's devices with approve and revoke; used by `#/devices` and the admin page. */
export function UnitDevicesPanel({
  unitId,
  device,
  asAdmin,
  recoverySecret,
  reloadTick,
  onListed,
}: {
  unitId: string;
  device: BrowserDevice;
  asAdmin: boolean;
  /** the admin page's recovery key (its own field, shared with key rotation) */
  recoverySecret?: string;
  /** changes when the unit's devices should be listed again (after a rotation) */
  reloadTick?: number;
  onListed?(list: UnitDevices): void;
}) {
  const { t, locale } = useI18n();
  const { liveTick } = useApp();
  const [message, setMessage] = useState<{ kind: 'success' | 'error'; text: string }>();
  const list = useLoad<UnitDevices>(
    () => device.unitDevices(unitId),
    [unitId, liveTick, reloadTick],
  );
  useEffect(() => {
    if (list.data && onListed) {
      onListed(list.data);
    }
  }, [list.data]);
  const [codes, setCodes] = useState<Record<string, string>>({});
  const [ownRecovery, setRecovery] = useState('');
  const recovery = recoverySecret ?? ownRecovery;
  const [busy, setBusy] = useState(false);

  const approve = async (deviceId: string) => {
    if (asAdmin && !recovery.trim()) {
      setMessage({ kind: 'error', text: t('keyFiles.needSheet') });
      return;
    }
    setBusy(true);
    setMessage(undefined);
    try {
      await device.approve({
        unitId,
        deviceId,
        shortCode: codes[deviceId] ?? '',
        ...(asAdmin ? { recoverySecret: recovery } : {}),
      });
      setMessage({ kind: 'success', text: t('devices.approved') });
      list.reload();
      cryptoChanged();
    } catch (err) {
      const w = asEnvelopeWarning(err);
      setMessage({
        kind: 'error',
        text:
          w?.code === 'short_code_mismatch'
            ? t('devices.codeMismatch')
            : w?.code === 'recovery_key_malformed' || w?.code === 'recovery_key_mismatch'
              ? t('devices.recoveryWrong')
              : t('action.refused', { detail: errorText(t, err) }),
      });
    } finally {
      setBusy(false);
    }
  };
  const revoke = async (deviceId: string) => {
    setBusy(true);
    try {
      await device.revoke(deviceId, unitId, t('devices.revokeReason'));
      setMessage({ kind: 'success', text: t('devices.revoked') });
      list.reload();
    } catch (err) {
      setMessage({ kind: 'error', text: t('action.refused', { detail: errorText(t, err) }) });
    } finally {
      setBusy(false);
    }
  };

  const items = list.data?.items ?? [];
  const pending = items.filter((d) => d.status === 'pending');
  const others = items.filter((d) => d.status !== 'pending');
  const headingId = `devices-${unitId}`;
  return (
    <section class="card" aria-labelledby={headingId} data-testid="unit-devices">
      <h3 id={headingId}>
        {t('devices.ofUnit')} <UnitName id={unitId} />
      </h3>
      {list.error && <Notice kind="error">{t('app.error', { detail: list.error })}</Notice>}
      {list.data?.rotationRequired && (
        <Notice kind="warning">{t('devices.rotationRequired')}</Notice>
      )}
      {list.data && pending.length === 0 && <p>{t('devices.nonePending')}</p>}
      {asAdmin && pending.length > 0 && !items.some((d) => d.status === 'approved') && (
        <div data-testid="first-browser">
          <Notice kind="info">{t('devices.firstBrowser')}</Notice>
        </div>
      )}
      {pending.length > 0 && asAdmin && recoverySecret === undefined && (
        <label class="field">
          <span>{t('devices.recoveryKey')}</span>
          <input
            type="password"
            autoComplete="off"
            spellcheck={false}
            value={recovery}
            onInput={(e) => setRecovery((e.target as HTMLInputElement).value)}
            aria-describedby={`${headingId}-rk`}
          />
          <small id={`${headingId}-rk`}>{t('devices.recoveryHelp')}</small>
        </label>
      )}
      {pending.map((d) => (
        <form
          key={d.deviceId}
          class="pending-device"
          data-testid="pending-device"
          onSubmit={(e) => {
            e.preventDefault();
            void approve(d.deviceId);
          }}
        >
          <p>
            <strong>{d.person.subject}</strong> — {d.label} (
            {t('devices.enrolledAt', { time: formatDateTime(locale, d.enrolledAt) })})
          </p>
          <label class="field">
            <span>{t('devices.typeCode', { user: d.person.subject })}</span>
            <input
              inputMode="numeric"
              autoComplete="off"
              required
              value={codes[d.deviceId] ?? ''}
              onInput={(e) =>
                setCodes({ ...codes, [d.deviceId]: (e.target as HTMLInputElement).value })
              }
            />
          </label>
          <div class="actions">
            <button type="submit" disabled={busy}>
              {t('devices.approve')}
            </button>
            <button
              type="button"
              class="secondary"
              disabled={busy}
              onClick={() => void revoke(d.deviceId)}
            >
              {t('devices.reject')}
            </button>
          </div>
        </form>
      ))}
      {others.length > 0 && (
        <table>
          <thead>
            <tr>
              <th scope="col">{t('admin.user')}</th>
              <th scope="col">{t('device.label')}</th>
              <th scope="col">{t('devices.state')}</th>
              <th scope="col">{t('devices.actions')}</th>
            </tr>
          </thead>
          <tbody>
            {others.map((d) => (
              <tr key={d.deviceId}>
                <td>{d.person.subject}</td>
                <td>{d.label}</td>
                <td>
                  {t(`device.status.${d.status}` as MessageKey)}
                  {d.approvedAt && ` (${formatDateTime(locale, d.approvedAt)})`}
                </td>
                <td>
                  {d.status === 'approved' && d.deviceId !== device.acting()?.id && (
                    <button
                      type="button"
                      class="secondary"
                      disabled={busy}
                      onClick={() => void revoke(d.deviceId)}
                    >
                      {t('devices.revoke')}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {message && <Notice kind={message.kind}>{message.text}</Notice>}
    </section>
  );
}

/**
 * The organisation's units, for the admin page: whose devices to approve — its audit unit too,
 * whose keys its auditors' devices hold.
 */
export function useOrgUnits() {
  const { api, session } = useApp();
  return useLoad(async () => {
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
}
