/** `npm test` step one: say plainly if the local Postgres or NATS the tests need is missing. */
import preflight from '../shared/src/testing/preflight';

preflight().then(
  () =>
    process.stdout.write(
      "preflight: PostgreSQL and NATS JetStream are reachable, Chromium and Python's jwcrypto are installed\n",
    ),
  (err: unknown) => {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(1);
  },
);
