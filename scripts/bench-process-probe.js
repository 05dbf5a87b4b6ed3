// Preloaded (`node --require scripts/bench-process-probe.js …`) into each hub process the
// notifications latency bench (bench/notifications-latency.bench.ts) starts, so that the bench can
// ask the process, over the IPC channel it was spawned with, what a measured phase cost it:
//
//   { probe: 'sample', id }                → { probe: 'sample', id, statements, cpuMs }
//       statements sent to Postgres so far (every `pg` client's query(): the pools under TypeORM
//       too) and the process's CPU time (process.cpuUsage, user + system, ms);
//   { probe: 'profile-start', id }         → { probe: 'profile-start', id }
//   { probe: 'profile-stop', id, file }    → { probe: 'profile-stop', id, file }
//       a V8 CPU profile (the inspector's sampling profiler) of what ran in between, written to
//       `file` (a .cpuprofile: open it in Chrome DevTools, or let the bench list its top functions).
//
// It changes nothing else in the process and prints nothing. Without an IPC channel (started by
// hand) it only counts. It is not a bench: it lives here, not in bench/.
'use strict';

const fs = require('node:fs');
const inspector = require('node:inspector');
const pg = require('pg');

let statements = 0;
const query = pg.Client.prototype.query;
pg.Client.prototype.query = function countedQuery(...args) {
  statements += 1;
  return query.apply(this, args);
};

/** @type {import('node:inspector').Session | undefined} */
let session;
const post = (method, params) =>
  new Promise((resolve, reject) =>
    session.post(method, params ?? {}, (err, result) => (err ? reject(err) : resolve(result))),
  );

async function answer(message) {
  switch (message.probe) {
    case 'sample': {
      const cpu = process.cpuUsage();
      return { statements, cpuMs: (cpu.user + cpu.system) / 1000 };
    }
    case 'profile-start':
      session = new inspector.Session();
      session.connect();
      await post('Profiler.enable');
      // 0.5 ms between samples: a few thousand samples over a phase of a few seconds.
      await post('Profiler.setSamplingInterval', { interval: 500 });
      await post('Profiler.start');
      return {};
    case 'profile-stop': {
      const { profile } = await post('Profiler.stop');
      session.disconnect();
      session = undefined;
      fs.writeFileSync(message.file, JSON.stringify(profile));
      return { file: message.file };
    }
    default:
      return { error: `unknown probe ${String(message.probe)}` };
  }
}

if (process.send) {
  process.on('message', (message) => {
    if (!message || typeof message !== 'object' || typeof message.probe !== 'string') {
      return;
    }
    answer(message).then(
      (result) => process.send?.({ probe: message.probe, id: message.id, ...result }),
      (err) =>
        process.send?.({
          probe: message.probe,
          id: message.id,
          error: String(err?.message ?? err),
        }),
    );
  });
  // The channel must not keep the process alive once the server has closed (a graceful stop).
  process.channel?.unref();
}
