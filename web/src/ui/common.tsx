/** Small shared pieces: the session context, unit names, the ticking clock, notices. */
import { createContext, type ComponentChildren } from 'preact';
import { useContext, useEffect, useReducer, useRef, useState } from 'preact/hooks';
import type { Api } from '../api/client';
import { refusalText } from '../api/problem-message';
import type { Session } from '../auth/oidc';
import type { BrowserDevice } from '../crypto/device-crypto';
import { useI18n } from '../i18n';

export interface AppContextValue {
  api: Api;
  session: Session;
  /** increases whenever a live notification arrives, so lists can fetch again */
  liveTick: number;
  /** this browser as a device (undefined while it loads) */
  device?: BrowserDevice;
  /** increases whenever the device's keys change (approved, revoked) */
  deviceTick: number;
}

export const AppContext = createContext<AppContextValue | undefined>(undefined);

export function useApp(): AppContextValue {
  const value = useContext(AppContext);
  if (!value) {
    throw new Error('useApp outside the signed-in app');
  }
  return value;
}

/** The current time, ticking every `everyMs` (deadlines count down). */
export function useNow(everyMs = 15_000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
  return now;
}

const unitNames = new Map<string, Promise<string>>();

/** A unit's name from the directory (cached for the session); the id only while loading. */
export function useUnitName(unitId: string | null | undefined): string {
  const { api } = useApp();
  const [name, setName] = useState<string>('');
  useEffect(() => {
    if (!unitId) {
      return;
    }
    let cached = unitNames.get(unitId);
    if (!cached) {
      cached = api.directory
        .GET('/v1/units/{id}', { params: { path: { id: unitId } } })
        .then(({ data }) => (data ? `${data.name} (${data.organisation.name})` : ''));
      unitNames.set(unitId, cached);
    }
    let live = true;
    void cached.then((n) => live && setName(n));
    return () => {
      live = false;
    };
  }, [unitId]);
  return name;
}

export function UnitName({ id }: { id: string | null | undefined }) {
  const name = useUnitName(id);
  const { t } = useI18n();
  return <span class="unit-name">{name || t('app.loading')}</span>;
}

export function Notice({
  kind,
  children,
}: {
  kind: 'info' | 'success' | 'error' | 'warning';
  children: ComponentChildren;
}) {
  return (
    <div class={`notice notice-${kind}`} role={kind === 'error' ? 'alert' : 'status'}>
      {children}
    </div>
  );
}

/**
 * One write at a time: a double click, or a second tap while the first is under way, does
 * nothing (each POST has its own Idempotency-Key, so a second one would act twice). `busy` is
 * for disabling the button; the guard itself does not wait for a re-render.
 */
export function useOneAtATime(): [boolean, (work: () => Promise<void>) => Promise<void>] {
  const running = useRef(false);
  const [busy, setBusy] = useState(false);
  const run = async (work: () => Promise<void>) => {
    if (running.current) {
      return;
    }
    running.current = true;
    setBusy(true);
    try {
      await work();
    } finally {
      running.current = false;
      setBusy(false);
    }
  };
  return [busy, run];
}

/**
 * Loads data when its inputs change; `reload` fetches again. A refusal from the hub becomes its
 * words in the reader's language (never the API's English title).
 */
export function useLoad<T>(
  load: () => Promise<T>,
  deps: unknown[],
): { data?: T; error?: string; loading: boolean; reload(): void } {
  const { t } = useI18n();
  const [state, setState] = useState<{ data?: T; error?: string; loading: boolean }>({
    loading: true,
  });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => live && setState({ data, loading: false }),
      (err: unknown) => live && setState({ error: refusalText(t, err), loading: false }),
    );
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  return { ...state, reload: () => setTick((n) => n + 1) };
}

/** The units of the signed-in person, by name, with the chosen one. */
export function UnitPicker({
  units,
  value,
  onChange,
}: {
  units: string[];
  value: string;
  onChange(unitId: string): void;
}) {
  const { t } = useI18n();
  if (units.length <= 1) {
    return null;
  }
  return (
    <label class="field inline">
      <span>{t('unit.choose')}</span>
      <select value={value} onChange={(e) => onChange((e.target as HTMLSelectElement).value)}>
        {units.map((u) => (
          <UnitOption key={u} id={u} />
        ))}
      </select>
    </label>
  );
}

function UnitOption({ id }: { id: string }) {
  const name = useUnitName(id);
  return <option value={id}>{name || id}</option>;
}

/** What open forms hold, by form (see useKept): in this tab's memory only, never stored. */
const kept = new Map<string, unknown>();

/**
 * State that outlives its component: a form that a live update re-renders away and back (the
 * referral's status, its content re-opened) comes back open, with what was typed in it. Kept in
 * memory under `key` (name the form and its object) until `clear`, as on sending or cancelling.
 */
export function useKept<T>(key: string, initial: T): [T, (value: T) => void, () => void] {
  const [, render] = useReducer((n: number) => n + 1, 0);
  const value = kept.has(key) ? (kept.get(key) as T) : initial;
  return [
    value,
    (next: T) => {
      kept.set(key, next);
      render(undefined);
    },
    () => {
      kept.delete(key);
      render(undefined);
    },
  ];
}
