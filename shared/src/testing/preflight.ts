/**
 * jest globalSetup for integration tests: names what is missing instead of failing obscurely.
 */
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
  if (missing.length > 0) {
    throw new Error(
      `\nThe integration tests need a local PostgreSQL, NATS JetStream and Chromium:\n\n  ${missing.join('\n\n  ')}\n\n(.ci/run starts and installs them.)\n`,
    );
  }
}
