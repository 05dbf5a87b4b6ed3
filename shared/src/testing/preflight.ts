/**
 * jest globalSetup for integration tests: names what is missing instead of failing obscurely.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import { testDatabaseAdminUrl, testNatsUrl } from './test-infra';

function reachable(host: string, port: number, timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * The Python that has Debian's python3-jwcrypto: JWCRYPTO_PYTHON, else the system's
 * /usr/bin/python3 (a pyenv or venv python3 earlier on PATH does not see Debian's packages).
 */
export function jwcryptoPython(): string {
  return (
    process.env.JWCRYPTO_PYTHON ??
    (fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3')
  );
}

export default async function preflight(): Promise<void> {
  const pg = new URL(testDatabaseAdminUrl());
  const nats = new URL(testNatsUrl());
  const missing: string[] = [];
  if (!(await reachable(pg.hostname, Number(pg.port || 5432)))) {
    missing.push(
      `PostgreSQL is not reachable at ${pg.host} (TEST_DATABASE_URL). Start it, e.g.:\n` +
        '    pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start',
    );
  }
  if (!(await reachable(nats.hostname, Number(nats.port || 4222)))) {
    missing.push(
      `NATS with JetStream is not reachable at ${nats.host} (TEST_NATS_URL). Start it, e.g.:\n` +
        '    start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server',
    );
  }
  const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  // `npm run test:quick` runs no browser test, so it does not need Chromium.
  if (process.env.SAMVERKAN_PREFLIGHT_BROWSER !== 'skip' && !fs.existsSync(chromium)) {
    missing.push(
      `Chromium is not installed at ${chromium} (CHROMIUM_PATH); the docs test drives it. Install it:\n` +
        '    apt-get install -y chromium',
    );
  }
  // The envelope conformance vectors are proven with a second JOSE implementation as well.
  const python = spawnSync(jwcryptoPython(), ['-c', 'import jwcrypto'], { stdio: 'ignore' });
  if (python.status !== 0) {
    missing.push(
      `Python's jwcrypto is not installed (${jwcryptoPython()} -c 'import jwcrypto' fails); the envelope\n` +
        '  conformance test runs the vectors with it. Install it:\n' +
        '    apt-get install -y python3-jwcrypto',
    );
  }
  if (missing.length > 0) {
    throw new Error(
      `\nThe integration tests need a local PostgreSQL, NATS JetStream, Chromium and Python's jwcrypto:\n\n  ${missing.join('\n\n  ')}\n\n(.ci/run starts and installs them.)\n`,
    );
  }
}
