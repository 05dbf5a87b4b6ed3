import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  generateRootKey,
  generateUnitEncryptionKey,
  generateUnitSigningKey,
} from './crypto/unit-keys';
import { KeyStoreError } from './errors';
import {
  emptyKeyStore,
  fromDevKeyStore,
  readKeyStore,
  unitKeys,
  unwrapKeyStore,
  wrapKeyStore,
  writeKeyStore,
} from './key-store';

describe('key store', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'samverkan-ks-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('turns the demo key store into pinned roots and unit key rings', async () => {
    const root = await generateRootKey();
    const enc = await generateUnitEncryptionKey();
    const sig = await generateUnitSigningKey();
    const store = fromDevKeyStore({ roots: { org: root }, units: { unit: { enc, sig } } });
    expect(store.pins).toEqual({ org: [root.kid] });
    const keys = unitKeys(store, 'unit');
    expect(keys.signing.kid).toBe(sig.kid);
    expect(keys.decryption).toEqual([{ kid: enc.kid, privateJwk: enc.privateJwk }]);
    expect(() => unitKeys(store, 'other')).toThrow(KeyStoreError);
  });

  it('writes 0600 even under a permissive umask, in a 0700 folder it creates', () => {
    const previous = process.umask(0o000);
    try {
      const file = path.join(dir, 'nested', 'keys.json');
      writeKeyStore(file, emptyKeyStore());
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
      expect(fs.statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
      expect(fs.readdirSync(path.dirname(file))).toEqual(['keys.json']);
    } finally {
      process.umask(previous);
    }
  });

  it('wraps with a passphrase: authenticated, and refused with another one', async () => {
    const store = emptyKeyStore();
    store.roots.org = await generateRootKey();
    const wrapped = wrapKeyStore(store, 'pass');
    expect(JSON.stringify(wrapped)).not.toContain(store.roots.org.privateJwk.d);
    expect(unwrapKeyStore(wrapped, 'pass')).toEqual(store);
    expect(() => unwrapKeyStore(wrapped, 'other')).toThrow(/passphrase/);
    const tampered = { ...wrapped, wrapped: { ...wrapped.wrapped, tag: 'A'.repeat(22) } };
    expect(() => unwrapKeyStore(tampered, 'pass')).toThrow(KeyStoreError);
  });

  it('explains a missing or broken file', () => {
    expect(() => readKeyStore(path.join(dir, 'none.json'))).toThrow(/keys init/);
    fs.writeFileSync(path.join(dir, 'bad.json'), '{');
    expect(() => readKeyStore(path.join(dir, 'bad.json'))).toThrow(/not JSON/);
  });
});
