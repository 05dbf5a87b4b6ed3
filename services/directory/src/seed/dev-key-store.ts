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
  /**
   * Each unit's recovery key as its organisation admin would have printed it (`SVRK1-…`): the
   * demo's stand-in for the sheet in the admin's safe, with which a browser is approved first.
   */
  recovery?: Record<string, { kid: string; secret: string }>;
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

/** The demo's recovery sheet: one line per unit, for a person to copy into the web app. */
export function recoverySheetPath(dataDir: string): string {
  return path.join(dataDir, 'dev-keys', 'recovery-keys.txt');
}

export function writeRecoverySheet(
  dataDir: string,
  lines: Array<{ unit: string; organisation: string; secret: string }>,
): void {
  const file = recoverySheetPath(dataDir);
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const text = [
    '# Samverkan demo: unit recovery keys (what each organisation admin keeps printed, offline).',
    '# In the web app, sign in as the organisation admin (e.g. norrkoping.admin), open',
    '# "Medlemmar och pass", and pick this file under the unit ("Återställningsbladet (fil)") to',
    "# approve a colleague's first browser or rotate the unit's keys. Never in real use.",
    '',
    ...lines.map((l) => `${l.organisation} / ${l.unit}\n  ${l.secret}\n`),
  ].join('\n');
  fs.writeFileSync(file, text, { mode: 0o600 });
}

export function writeDevKeyStore(dataDir: string, content: DevKeyStoreContent): void {
  const file = devKeyStorePath(dataDir);
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(content, null, 2), { mode: 0o600 });
  fs.renameSync(tmp, file);
}
