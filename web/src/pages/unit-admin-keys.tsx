/**
 * The organisation admin's offline keys, used in this page only: the unit's recovery key (picked
 * from the printed sheet's file, or typed) with which a first browser is approved and the unit's
 * current keys are opened, and the organisation's root key (picked from a key file) with which new
 * unit keys are signed when they rotate — what `samverkan unit rotate` does in the CLI. Files are
 * read with the File API; neither key is ever sent to the hub.
 */
import { useState } from 'preact/hooks';
import { asEnvelopeWarning, cryptoChanged } from '../crypto/adapter';
import type { BrowserDevice } from '../crypto/device-crypto';
import { recoveryKeyFromSheet, rootKeyFromFile, type RootKeyPair } from '../crypto/key-files';
import { useI18n, type MessageKey } from '../i18n';
import { Notice } from '../ui/common';

async function readPicked(e: Event): Promise<string | undefined> {
  const input = e.target as HTMLInputElement;
  const file = input.files?.[0];
  return file ? file.text() : undefined;
}

/** The unit's recovery key: pick the sheet (the unit's line is found by name) or type it. */
export function RecoveryKeyField({
  idBase,
  unitName,
  organisationName,
  value,
  onChange,
}: {
  idBase: string;
  unitName: string;
  organisationName?: string;
  value: string;
  onChange(secret: string): void;
}) {
  const { t } = useI18n();
  const [read, setRead] = useState<{ kind: 'success' | 'error'; text: string }>();
  const pick = async (e: Event) => {
    const text = await readPicked(e);
    if (text === undefined) {
      return;
    }
    const found = recoveryKeyFromSheet(text, {
      unitName,
      ...(organisationName ? { organisationName } : {}),
    });
    if (found.ok) {
      onChange(found.secret);
      setRead({ kind: 'success', text: t('keyFiles.sheetFound') });
    } else {
      setRead({
        kind: 'error',
        text: t(`keyFiles.sheet.${found.reason}` as MessageKey, { unit: unitName }),
      });
    }
  };
  return (
    <fieldset class="key-field" data-testid="recovery-key">
      <legend>{t('keyFiles.recoveryLegend')}</legend>
      <p class="subtle" id={`${idBase}-rk-help`}>
        {t('keyFiles.recoveryHelp')}
      </p>
      <label class="field">
        <span>{t('keyFiles.sheetFile')}</span>
        <input
          type="file"
          accept=".txt,text/plain"
          onChange={(e) => void pick(e)}
          aria-describedby={`${idBase}-rk-help`}
        />
      </label>
      {read && <Notice kind={read.kind}>{read.text}</Notice>}
      <label class="field">
        <span>{t('devices.recoveryKey')}</span>
        <input
          type="password"
          autoComplete="off"
          spellcheck={false}
          value={value}
          onInput={(e) => {
            setRead(undefined);
            onChange((e.target as HTMLInputElement).value);
          }}
          aria-describedby={`${idBase}-rk-typed`}
        />
        <small id={`${idBase}-rk-typed`}>{t('keyFiles.orType')}</small>
      </label>
    </fieldset>
  );
}

/** Rotating the unit's keys in the browser (the organisation admin, with the root key file). */
export function RotateUnitKeys({
  idBase,
  unitId,
  organisationId,
  device,
  recoverySecret,
  rotationRequired,
  onRotated,
}: {
  idBase: string;
  unitId: string;
  organisationId: string;
  device: BrowserDevice;
  recoverySecret: string;
  rotationRequired: boolean;
  onRotated(): void;
}) {
  const { t } = useI18n();
  const [root, setRoot] = useState<RootKeyPair>();
  const [message, setMessage] = useState<{ kind: 'success' | 'error'; text: string }>();
  const [busy, setBusy] = useState(false);

  const pick = async (e: Event) => {
    setMessage(undefined);
    const text = await readPicked(e);
    if (text === undefined) {
      return;
    }
    const found = rootKeyFromFile(text, organisationId);
    if (found.ok) {
      setRoot(found.root);
      setMessage({ kind: 'success', text: t('keyFiles.rootFound', { kid: found.root.kid }) });
    } else {
      setRoot(undefined);
      setMessage({ kind: 'error', text: t(`keyFiles.root.${found.reason}` as MessageKey) });
    }
  };

  const rotate = async (e: Event) => {
    e.preventDefault();
    if (!root || !recoverySecret) {
      setMessage({ kind: 'error', text: t('rotate.needBoth') });
      return;
    }
    setBusy(true);
    setMessage(undefined);
    try {
      const done = await device.rotate({
        unitId,
        organisationId,
        root: root as Parameters<BrowserDevice['rotate']>[0]['root'],
        recoverySecret,
      });
      setMessage({
        kind: 'success',
        text: t('rotate.done', {
          boxes: done.stored,
          retired: done.retired.length,
          kid: done.encKid,
        }),
      });
      onRotated();
      cryptoChanged();
    } catch (err) {
      const w = asEnvelopeWarning(err);
      const code = (err as { code?: string }).code;
      setMessage({
        kind: 'error',
        text:
          code === 'root_key_not_active'
            ? t('keyFiles.root.not_active')
            : w?.code === 'recovery_key_malformed' || w?.code === 'recovery_key_mismatch'
              ? t('devices.recoveryWrong')
              : t('action.refused', {
                  detail:
                    w?.message ??
                    (err as { problem?: { detail?: string } }).problem?.detail ??
                    (err as Error).message,
                }),
      });
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="rotate-keys" data-testid="rotate-keys" onSubmit={(e) => void rotate(e)}>
      <h3 id={`${idBase}-rotate`}>{t('rotate.title')}</h3>
      {rotationRequired && <Notice kind="warning">{t('rotate.required')}</Notice>}
      <p id={`${idBase}-rotate-help`}>{t('rotate.help')}</p>
      <label class="field">
        <span>{t('keyFiles.rootFile')}</span>
        <input
          type="file"
          accept=".json,application/json"
          onChange={(e) => void pick(e)}
          aria-describedby={`${idBase}-rotate-help`}
        />
      </label>
      <div class="actions">
        <button type="submit" disabled={busy}>
          {t('rotate.button')}
        </button>
      </div>
      {busy && <p role="status">{t('rotate.busy')}</p>}
      {message && <Notice kind={message.kind}>{message.text}</Notice>}
    </form>
  );
}
