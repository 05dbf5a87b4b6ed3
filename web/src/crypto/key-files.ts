/**
 * Reading the files an organisation admin keeps offline, in the browser only (the file is read
 * with the File API; nothing of it is sent to the hub):
 *
 * - the printed recovery sheet (`<data>/dev-keys/recovery-keys.txt` in the demo): one block per
 *   unit, `Organisation / Unit` on a line and the unit's `SVRK1-…` key indented below it; a file
 *   holding one key alone works too;
 * - the organisation's root key: the CLI's key store (`samverkan keys import` / `~/.samverkan`
 *   `keys.json`: `{ roots: { <organisationId>: { kid, publicJwk, privateJwk } } }`), the demo's
 *   `<data>/dev-keys/keys.json` (the same `roots`), or one key pair `{ kid, publicJwk, privateJwk }`.
 *
 * Pure functions (no DOM), so they are tested cheaply (key-files.spec.ts).
 */

const KEY = /SVRK1(?:-[0-9A-Za-z]{5})+/g;

export type RecoveryFromSheet =
  { ok: true; secret: string } | { ok: false; reason: 'no_keys' | 'unit_not_found' | 'ambiguous' };

/** The unit's recovery key in a recovery sheet (or a file with one key alone). */
export function recoveryKeyFromSheet(
  text: string,
  unit: { unitName: string; organisationName?: string },
): RecoveryFromSheet {
  const lines = text.split(/\r?\n/);
  const blocks: Array<{ header: string; secret: string }> = [];
  let header = '';
  for (const raw of lines) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) {
      continue;
    }
    const keys = line.match(KEY);
    if (keys) {
      for (const secret of keys) {
        blocks.push({ header, secret });
      }
      header = '';
    } else {
      header = line;
    }
  }
  if (blocks.length === 0) {
    return { ok: false, reason: 'no_keys' };
  }
  if (blocks.length === 1 && blocks[0]!.header === '') {
    return { ok: true, secret: blocks[0]!.secret };
  }
  const name = unit.unitName.trim();
  const exact = unit.organisationName
    ? blocks.filter((b) => b.header === `${unit.organisationName!.trim()} / ${name}`)
    : [];
  const matching = exact.length > 0 ? exact : blocks.filter((b) => b.header.endsWith(` / ${name}`));
  const secrets = [...new Set(matching.map((b) => b.secret))];
  if (secrets.length === 0) {
    return { ok: false, reason: 'unit_not_found' };
  }
  if (secrets.length > 1) {
    return { ok: false, reason: 'ambiguous' };
  }
  return { ok: true, secret: secrets[0]! };
}

export interface RootKeyPair {
  kid: string;
  publicJwk: Record<string, unknown>;
  privateJwk: Record<string, unknown>;
}

export type RootFromFile =
  { ok: true; root: RootKeyPair } | { ok: false; reason: 'not_json' | 'no_root' | 'not_private' };

function asPair(value: unknown): RootKeyPair | undefined {
  const v = value as Partial<RootKeyPair> | undefined;
  if (
    v &&
    typeof v === 'object' &&
    typeof v.kid === 'string' &&
    v.privateJwk &&
    typeof v.privateJwk === 'object'
  ) {
    const publicJwk =
      v.publicJwk && typeof v.publicJwk === 'object'
        ? v.publicJwk
        : { kty: v.privateJwk.kty, crv: v.privateJwk.crv, x: v.privateJwk.x };
    return { kid: v.kid, publicJwk, privateJwk: v.privateJwk };
  }
  return undefined;
}

/** The organisation's private root key (Ed25519) in a key store file or a single key pair file. */
export function rootKeyFromFile(text: string, organisationId: string): RootFromFile {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'not_json' };
  }
  const obj = parsed as { roots?: Record<string, unknown> } | undefined;
  const pair =
    obj && typeof obj === 'object' && obj.roots && typeof obj.roots === 'object'
      ? asPair(obj.roots[organisationId])
      : asPair(parsed);
  if (!pair) {
    return { ok: false, reason: 'no_root' };
  }
  const d = pair.privateJwk;
  if (d.kty !== 'OKP' || d.crv !== 'Ed25519' || typeof d.d !== 'string') {
    return { ok: false, reason: 'not_private' };
  }
  return { ok: true, root: pair };
}
