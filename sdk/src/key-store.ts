import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { KeyPairJwk } from './crypto/unit-keys';
import { KeyStoreError } from './errors';

/**
 * The agency's local key store: private halves of its organisation root key(s) and its units'
 * keys, and the root fingerprints it trusts (pinned after comparing them out of band). It is a
 * file with mode 0600, optionally wrapped with a passphrase (scrypt + AES-256-GCM). Nothing in it
 * is ever sent to the hub: only public keys and root-signed statements leave this machine.
 */
export interface UnitKeyRing {
  organisationId?: string;
  /** Encryption key pairs, oldest first; the last one is the current key. Retired keys stay for old envelopes. */
  enc: KeyPairJwk[];
  /** Signing key pairs, oldest first; the last one signs new envelopes. */
  sig: KeyPairJwk[];
}

export interface KeyStoreContent {
  version: 1;
  /** Organisation root keys by organisation id. */
  roots: Record<string, KeyPairJwk>;
  units: Record<string, UnitKeyRing>;
  /** Trusted root key fingerprints per organisation id. */
  pins: Record<string, string[]>;
}

interface WrappedFile {
  version: 1;
  wrapped: {
    kdf: 'scrypt';
    N: number;
    r: number;
    p: number;
    salt: string;
    iv: string;
    tag: string;
    ciphertext: string;
  };
}

const SCRYPT = { N: 2 ** 15, r: 8, p: 1 } as const;

export function emptyKeyStore(): KeyStoreContent {
  return { version: 1, roots: {}, units: {}, pins: {} };
}

function deriveKey(passphrase: string, salt: Buffer, params: { N: number; r: number; p: number }) {
  return scryptSync(passphrase.normalize('NFC'), salt, 32, {
    ...params,
    maxmem: 128 * params.N * params.r * 2,
  });
}

export function wrapKeyStore(content: KeyStoreContent, passphrase: string): WrappedFile {
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', deriveKey(passphrase, salt, SCRYPT), iv);
  cipher.setAAD(Buffer.from('samverkan-key-store-v1'));
  const ciphertext = Buffer.concat([
    cipher.update(JSON.stringify(content), 'utf8'),
    cipher.final(),
  ]);
  return {
    version: 1,
    wrapped: {
      kdf: 'scrypt',
      ...SCRYPT,
      salt: salt.toString('base64url'),
      iv: iv.toString('base64url'),
      tag: cipher.getAuthTag().toString('base64url'),
      ciphertext: ciphertext.toString('base64url'),
    },
  };
}

export function unwrapKeyStore(file: WrappedFile, passphrase: string): KeyStoreContent {
  const w = file.wrapped;
  try {
    const decipher = createDecipheriv(
      'aes-256-gcm',
      deriveKey(passphrase, Buffer.from(w.salt, 'base64url'), w),
      Buffer.from(w.iv, 'base64url'),
    );
    decipher.setAAD(Buffer.from('samverkan-key-store-v1'));
    decipher.setAuthTag(Buffer.from(w.tag, 'base64url'));
    const plain = Buffer.concat([
      decipher.update(Buffer.from(w.ciphertext, 'base64url')),
      decipher.final(),
    ]);
    return JSON.parse(plain.toString('utf8')) as KeyStoreContent;
  } catch {
    throw new KeyStoreError('the key store does not open with this passphrase');
  }
}

export function isWrapped(file: unknown): file is WrappedFile {
  return typeof file === 'object' && file !== null && 'wrapped' in file;
}

export interface KeyStoreFileOptions {
  passphrase?: string;
}

export function readKeyStore(file: string, options: KeyStoreFileOptions = {}): KeyStoreContent {
  if (!fs.existsSync(file)) {
    throw new KeyStoreError(
      `no key store at ${file}: run \`samverkan keys import-dev\` (the demo units' keys) or \`samverkan keys init\``,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    throw new KeyStoreError(`the key store ${file} is not JSON`);
  }
  if (isWrapped(parsed)) {
    if (!options.passphrase) {
      throw new KeyStoreError(
        `the key store ${file} is passphrase-protected: set SAMVERKAN_KEYSTORE_PASSPHRASE`,
      );
    }
    return normalise(unwrapKeyStore(parsed, options.passphrase));
  }
  return normalise(parsed as Partial<KeyStoreContent>);
}

function normalise(content: Partial<KeyStoreContent>): KeyStoreContent {
  return {
    version: 1,
    roots: content.roots ?? {},
    units: content.units ?? {},
    pins: content.pins ?? {},
  };
}

/** Writes atomically with mode 0600 (and 0700 for a directory it creates). */
export function writeKeyStore(
  file: string,
  content: KeyStoreContent,
  options: KeyStoreFileOptions = {},
): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const body = options.passphrase ? wrapKeyStore(content, options.passphrase) : content;
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(body, null, 2)}\n`, { mode: 0o600 });
  // The umask may have narrowed the mode on create, never widened it; chmod makes it exact.
  fs.chmodSync(tmp, 0o600);
  fs.renameSync(tmp, file);
}

export { unitKeys } from './key-ring';

/**
 * The demo's key store (`<dataDir>/dev-keys/keys.json`, written by the directory seed) as an
 * SDK key store: seeded roots pinned, seeded unit keys as each unit's current keys.
 */
export function fromDevKeyStore(dev: {
  roots: Record<string, KeyPairJwk>;
  units: Record<string, { enc: KeyPairJwk; sig: KeyPairJwk }>;
}): KeyStoreContent {
  const content = emptyKeyStore();
  for (const [org, root] of Object.entries(dev.roots)) {
    content.roots[org] = root;
    content.pins[org] = [root.kid];
  }
  for (const [unit, keys] of Object.entries(dev.units)) {
    content.units[unit] = { enc: [keys.enc], sig: [keys.sig] };
  }
  return content;
}
