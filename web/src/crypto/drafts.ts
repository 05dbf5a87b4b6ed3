/**
 * Drafts that survive a reload or a dropped connection, and never reach the hub: each draft is
 * JSON sealed with AES-256-GCM under a key made non-extractable in this browser and kept in
 * IndexedDB (the page can use it, not read it), stored beside it in IndexedDB. Sending clears it.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { idbDelete, idbGet, idbPut } from './idb';

const KEY_NAME = 'draft-key';
let keyPromise: Promise<CryptoKey> | undefined;

function draftKey(): Promise<CryptoKey> {
  keyPromise ??= (async () => {
    const existing = await idbGet<CryptoKey>('drafts', KEY_NAME);
    if (existing) {
      return existing;
    }
    const key = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, [
      'encrypt',
      'decrypt',
    ]);
    await idbPut('drafts', KEY_NAME, key);
    return key;
  })();
  return keyPromise;
}

interface SealedDraft {
  iv: Uint8Array<ArrayBuffer>;
  ciphertext: ArrayBuffer;
}

const encoder = new TextEncoder();

/** The record name doubles as additional data, so a draft cannot be moved to another form. */
export async function saveDraft(name: string, value: unknown): Promise<void> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ciphertext = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv, additionalData: encoder.encode(name) },
    await draftKey(),
    encoder.encode(JSON.stringify(value)),
  );
  await idbPut('drafts', `draft:${name}`, { iv, ciphertext } satisfies SealedDraft);
}

export async function loadDraft<T>(name: string): Promise<T | undefined> {
  const sealed = await idbGet<SealedDraft>('drafts', `draft:${name}`);
  if (!sealed) {
    return undefined;
  }
  try {
    const plain = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: sealed.iv, additionalData: encoder.encode(name) },
      await draftKey(),
      sealed.ciphertext,
    );
    return JSON.parse(new TextDecoder().decode(plain)) as T;
  } catch {
    return undefined;
  }
}

export function clearDraft(name: string): Promise<void> {
  return idbDelete('drafts', `draft:${name}`);
}

/**
 * A form value kept as an encrypted draft: restored on mount, saved shortly after each change.
 * `restored` tells the form to say that a draft was brought back.
 */
export function useDraft<T>(
  name: string,
  initial: T,
): { value: T; set(value: T): void; clear(): Promise<void>; restored: boolean; ready: boolean } {
  const [value, setValue] = useState<T>(initial);
  const [restored, setRestored] = useState(false);
  const [ready, setReady] = useState(false);
  const timer = useRef<ReturnType<typeof setTimeout>>(undefined);
  useEffect(() => {
    let live = true;
    setReady(false);
    void loadDraft<T>(name).then((draft) => {
      if (!live) {
        return;
      }
      if (draft !== undefined) {
        setValue(draft);
        setRestored(true);
      } else {
        setValue(initial);
        setRestored(false);
      }
      setReady(true);
    });
    return () => {
      live = false;
    };
  }, [name]);
  return {
    value,
    restored,
    ready,
    set(next: T) {
      setValue(next);
      clearTimeout(timer.current);
      timer.current = setTimeout(() => void saveDraft(name, next), 300);
    },
    async clear() {
      clearTimeout(timer.current);
      setRestored(false);
      await clearDraft(name);
    },
  };
}
