import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { compactVerify, importJWK } from 'jose';
import { loadAuditSigningKey, openCheckpointJws } from './audit-key';

describe('the audit signing key', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'audit-key-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('is generated once, kept private on disk, and found again with the same key id', async () => {
    const first = await loadAuditSigningKey({ service: 'referrals', keysDir: dir, env: {} });
    const file = path.join(dir, 'referrals.jwk');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const again = await loadAuditSigningKey({ service: 'referrals', keysDir: dir, env: {} });
    expect(again.kid).toBe(first.kid);
    expect(first.publicJwk).not.toHaveProperty('d');
    const other = await loadAuditSigningKey({ service: 'directory', keysDir: dir, env: {} });
    expect(other.kid).not.toBe(first.kid);
  });

  it('signs a compact JWS any JOSE library verifies with the public key', async () => {
    const key = await loadAuditSigningKey({ service: 'referrals', keysDir: dir, env: {} });
    const jws = await key.sign('{"seq":1}');
    const { payload, protectedHeader } = await compactVerify(
      jws,
      await importJWK(key.publicJwk, 'EdDSA'),
    );
    expect(new TextDecoder().decode(payload)).toBe('{"seq":1}');
    expect(protectedHeader).toEqual({ alg: 'EdDSA', kid: key.kid, typ: 'audit-checkpoint+jws' });
    expect(await openCheckpointJws(jws, key.publicJwk)).toBe('{"seq":1}');
    const other = await loadAuditSigningKey({ service: 'other', keysDir: dir, env: {} });
    expect(await openCheckpointJws(jws, other.publicJwk)).toBeNull();
  });

  it('uses a configured key file, and refuses one that is missing instead of making a new key', async () => {
    const made = await loadAuditSigningKey({ service: 'referrals', keysDir: dir, env: {} });
    const env = { REFERRALS_AUDIT_SIGNING_KEY_FILE: path.join(dir, 'referrals.jwk') };
    const configured = await loadAuditSigningKey({
      service: 'referrals',
      keysDir: '/nowhere',
      env,
    });
    expect(configured.kid).toBe(made.kid);
    await expect(
      loadAuditSigningKey({
        service: 'referrals',
        keysDir: dir,
        env: { REFERRALS_AUDIT_SIGNING_KEY_FILE: path.join(dir, 'missing.jwk') },
      }),
    ).rejects.toThrow(/REFERRALS_AUDIT_SIGNING_KEY_FILE names .* which does not exist/);
  });
});
