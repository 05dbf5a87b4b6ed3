/**
 * `npm run topology`: the distributed hub on this machine without Docker — three NATS nodes,
 * two processes of each service, one gateway — until Ctrl-C.
 */
import { Topology, type ServiceName } from './topology';

async function main(): Promise<void> {
  const services = (process.env.TOPOLOGY_SERVICES ?? 'directory,referrals,notifications')
    .split(',')
    .map((s) => s.trim()) as ServiceName[];
  const topology = await Topology.start({
    services,
    replicas: Number(process.env.TOPOLOGY_REPLICAS ?? 2),
  });
  const lines = [
    `gateway   ${topology.gatewayUrl}   (e.g. ${topology.gatewayUrl}/v1/units)`,
    `nats      ${topology.nats.url}`,
    `database  ${topology.db.url}`,
    ...[...topology.replicas.values()].flat().map((r) => `${r.service}-${r.index}  ${r.base}`),
    `token     SAMVERKAN_DATA_DIR=${topology.dataDir} npm run token -- police.officer`,
  ];
  process.stdout.write(`${lines.join('\n')}\nCtrl-C stops everything and removes it.\n`);
  let closing = false;
  const stop = (): void => {
    if (closing) {
      return;
    }
    closing = true;
    topology.close().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`${String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
