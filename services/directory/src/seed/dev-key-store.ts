import fs from 'node:fs';
import path from 'node:path';
import type { KeyPairJwk } from '@samverkan/shared';

/**
 * The demo's key store: private halves of the seeded organisations' root keys and units' keys,
 * kept in `<data dir>/dev-keys/keys.json` (mode 0600) for the demo and tests. A real agency keeps
 * its keys in its own system; the hub never has them.
 */
export interface DevKeyStoreContent {
  roots: Record<string, KeyPairJwk>;
  units: Record<string, { enc: KeyPairJwk; sig: KeyPairJwk }>;
}

export function devKeyStorePath(dataDir: string): string {
  return path.join(dataDir, 'dev-keys', 'keys.json');
}

export function readDevKeyStore(dataDir: string): DevKeyStoreContent {
  const file = devKeyStorePath(dataDir);
  if (!fs.existsSync(file)) {
    return { roots: {}, units: {} };
  }
  return JSON.parse(fs.readFileSync(file, 'utf8')) as DevKeyStoreContent;
}

export function writeDevKeyStore(dataDir: string, content: DevKeyStoreContent): void {
  const file = devKeyStorePath(dataDir);
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(content, null, 2), { mode: 0o600 });
  fs.renameSync(tmp, file);
}
