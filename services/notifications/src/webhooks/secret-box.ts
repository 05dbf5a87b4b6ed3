import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

const VERSION = 'v1';

/**
 * Encrypts endpoint secrets at rest. The hub has to sign, so it must keep each secret readable;
 * what it stores is AES-256-GCM ciphertext under a key from configuration, bound (as additional
 * authenticated data) to the endpoint it belongs to, so a copied column or a swapped row does not
 * decrypt. The stored form names the key by a short fingerprint: a database opened with the
 * wrong key fails loudly instead of signing with garbage.
 */
export class SecretBox {
  private readonly key: Buffer;
  readonly keyId: string;

  constructor(key: Buffer) {
    if (key.length !== 32) {
      throw new Error('the webhook secret key must be 32 bytes');
    }
    this.key = key;
    this.keyId = createHash('sha256').update(key).digest('hex').slice(0, 12);
  }

  /** `key` as base64 or base64url of 32 bytes. */
  static fromBase64(key: string): SecretBox {
    return new SecretBox(Buffer.from(key.replace(/-/g, '+').replace(/_/g, '/'), 'base64'));
  }

  static generateKey(): string {
    return randomBytes(32).toString('base64');
  }

  seal(plaintext: string, boundTo: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(`${VERSION}.${this.keyId}.${boundTo}`));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [
      VERSION,
      this.keyId,
      iv.toString('base64url'),
      ciphertext.toString('base64url'),
      cipher.getAuthTag().toString('base64url'),
    ].join('.');
  }

  open(sealed: string, boundTo: string): string {
    const [version, keyId, iv, ciphertext, tag] = sealed.split('.');
    if (version !== VERSION || !keyId || !iv || !ciphertext || !tag) {
      throw new Error('not a sealed webhook secret');
    }
    if (keyId !== this.keyId) {
      throw new Error(`the webhook secret was sealed with another key (${keyId})`);
    }
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(`${VERSION}.${keyId}.${boundTo}`));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([
      decipher.update(Buffer.from(ciphertext, 'base64url')),
      decipher.final(),
    ]).toString('utf8');
  }
}
