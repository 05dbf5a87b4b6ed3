import type { KeyPairJwk } from './crypto/unit-keys';
import { KeyStoreError } from './errors';
import type { KeyStoreContent, UnitKeyRing } from './key-store';

// Apart from key-store.ts (Node's fs and crypto) so that the agency, which a browser uses too,
// can read a key store's content without pulling in Node built-ins.

/** The keys a unit needs from the store, or a clear error naming what is missing. */
export function unitKeys(
  content: KeyStoreContent,
  unitId: string,
): {
  ring: UnitKeyRing;
  signing: KeyPairJwk;
  decryption: Array<{ kid: string; privateJwk: KeyPairJwk['privateJwk'] }>;
} {
  const ring = content.units[unitId];
  const signing = ring?.sig.at(-1);
  if (!ring || !signing || ring.enc.length === 0) {
    throw new KeyStoreError(
      `the key store has no keys for unit ${unitId}: run \`samverkan keys init --unit ${unitId}\``,
    );
  }
  return {
    ring,
    signing,
    decryption: ring.enc.map((k) => ({ kid: k.kid, privateJwk: k.privateJwk })),
  };
}
