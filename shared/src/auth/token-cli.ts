/**
 * `npm run token -- <seeded user> [--ttl seconds]`: prints a development JWT for a seeded user on
 * stdout and nothing else, so that `TOKEN=$(npm run -s token -- police.officer)` works (`-s`:
 * without it npm writes its own banner to stdout first).
 */
import { loadConfig } from '../config/config';
import { DEMO_USERS } from '../demo/demo-directory';
import { loadDevIssuer } from './dev-issuer';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const ttlIndex = args.indexOf('--ttl');
  const ttlSeconds = ttlIndex >= 0 ? Number(args[ttlIndex + 1]) : undefined;
  const name = args.find((a, i) => !a.startsWith('--') && (ttlIndex < 0 || i !== ttlIndex + 1));
  const user = name ? DEMO_USERS[name] : undefined;
  if (!user) {
    process.stderr.write(
      `usage: npm run token -- <user> [--ttl seconds]\nseeded users:\n${Object.keys(DEMO_USERS)
        .map((u) => `  ${u}`)
        .join('\n')}\n`,
    );
    process.exit(2);
  }
  if (ttlSeconds !== undefined && (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0)) {
    process.stderr.write('--ttl takes a whole number of seconds\n');
    process.exit(2);
  }
  if (
    process.env.npm_lifecycle_event === 'token' &&
    process.env.npm_config_loglevel !== 'silent' &&
    !process.stdout.isTTY
  ) {
    // npm has already written its "> samverkan@… token" banner to the same stdout, so
    // TOKEN=$(npm run token -- …) would hold more than the token. Only npm's -s stops that.
    process.stderr.write(
      'token: npm printed its banner before the token on stdout; use `npm run -s token -- <user>` (or `npx samverkan token <user>`) to get the token alone\n',
    );
  }
  const config = loadConfig();
  if (ttlSeconds !== undefined && ttlSeconds > config.AUTH_MAX_TOKEN_LIFETIME_SECONDS) {
    process.stderr.write(
      `--ttl may be at most ${config.AUTH_MAX_TOKEN_LIFETIME_SECONDS} seconds (AUTH_MAX_TOKEN_LIFETIME_SECONDS): the hub refuses longer-lived tokens\n`,
    );
    process.exit(2);
  }
  const issuer = await loadDevIssuer(config.SAMVERKAN_DATA_DIR);
  process.stdout.write(
    `${await issuer.mint(user, { audience: config.AUTH_AUDIENCE, ttlSeconds })}\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`token: ${(err as Error).message}\n`);
  process.exit(1);
});
