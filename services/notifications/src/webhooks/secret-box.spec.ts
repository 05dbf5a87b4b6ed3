import { SecretBox } from './secret-box';

describe('SecretBox', () => {
  const box = SecretBox.fromBase64(SecretBox.generateKey());

  it('opens what it sealed for the same endpoint', () => {
    const sealed = box.seal('whsec_abc', 'endpoint-1');
    expect(sealed).not.toContain('whsec_abc');
    expect(box.open(sealed, 'endpoint-1')).toBe('whsec_abc');
  });

  it('does not open a secret moved to another endpoint', () => {
    const sealed = box.seal('whsec_abc', 'endpoint-1');
    expect(() => box.open(sealed, 'endpoint-2')).toThrow();
  });

  it('does not open with another key, and says so', () => {
    const other = SecretBox.fromBase64(SecretBox.generateKey());
    expect(() => other.open(box.seal('s', 'e'), 'e')).toThrow(/another key/);
  });

  it('detects tampering', () => {
    const parts = box.seal('whsec_abc', 'e').split('.');
    parts[3] = Buffer.from('whsec_abd').toString('base64url');
    expect(() => box.open(parts.join('.'), 'e')).toThrow();
  });

  it('refuses keys that are not 32 bytes', () => {
    expect(() => SecretBox.fromBase64(Buffer.alloc(16).toString('base64'))).toThrow();
  });
});
