import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { decodeJwt } from 'jose';

/**
 * Where the CLI keeps its state: `SAMVERKAN_HOME` or `~/.config/samverkan`, holding
 * `config.json` (hub URL, saved login; mode 0600 because it holds a token) and, by default, the
 * key store `keys.json`.
 */
export interface SavedConfig {
  url?: string;
  token?: string;
  user?: string;
}

export function cliHome(env: NodeJS.ProcessEnv = process.env): string {
  return env.SAMVERKAN_HOME ?? path.join(os.homedir(), '.config', 'samverkan');
}

export function readSavedConfig(home: string): SavedConfig {
  const file = path.join(home, 'config.json');
  if (!fs.existsSync(file)) {
    return {};
  }
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as SavedConfig;
  } catch {
    return {};
  }
}

export function writeSavedConfig(home: string, config: SavedConfig): void {
  fs.mkdirSync(home, { recursive: true, mode: 0o700 });
  const file = path.join(home, 'config.json');
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  fs.chmodSync(tmp, 0o600);
  fs.renameSync(tmp, file);
}

/** The claims the CLI shows and defaults from (the unit to act as); not a verification. */
export function tokenClaims(token: string | undefined): {
  sub?: string;
  org?: string;
  units: string[];
  roles: string[];
  exp?: number;
} {
  if (!token) {
    return { units: [], roles: [] };
  }
  try {
    const claims = decodeJwt(token);
    return {
      sub: claims.sub,
      org: typeof claims.org === 'string' ? claims.org : undefined,
      units: Array.isArray(claims.units) ? (claims.units as string[]) : [],
      roles: Array.isArray(claims.roles) ? (claims.roles as string[]) : [],
      exp: claims.exp,
    };
  } catch {
    return { units: [], roles: [] };
  }
}
