import path from 'node:path';
import {
  CommandPipeline,
  idempotency,
  OpenApiContract,
  openServiceRuntime,
} from '@samverkan/shared';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { createDevicesService } from './devices/devices.service';
import { deviceRoutes } from './devices/devices.routes';
import { DIRECTORY_ENTITIES, KeyLogEntryEntity } from './entities';
import { DIRECTORY_MIGRATIONS } from './migrations';
import { auditRoutes } from './routes/audit';
import { devTokenRoutes } from './routes/dev-tokens';
import { issuerRoutes } from './routes/issuers';
import { keyRoutes } from './routes/keys';
import { organisationRoutes } from './routes/organisations';
import { unitRoutes } from './routes/units';
import { seedDemoDirectory } from './seed/demo-seed';
import type { DirectoryContext } from './services/context';
import { createIssuerSource, createIssuersService } from './services/issuers.service';
import { createKeysService, KEY_LOG_CHAIN } from './services/keys.service';
import { createOrganisationsService } from './services/organisations.service';
import { createRostersService } from './services/rosters.service';
import { createUnitsService } from './services/units.service';

export const OPENAPI_DIR = path.resolve(__dirname, '../../../openapi');

export interface DirectoryServices {
  contract: OpenApiContract;
  context: DirectoryContext;
  organisations: ReturnType<typeof createOrganisationsService>;
  units: ReturnType<typeof createUnitsService>;
  rosters: ReturnType<typeof createRostersService>;
  keys: ReturnType<typeof createKeysService>;
  issuers: ReturnType<typeof createIssuersService>;
  devices: ReturnType<typeof createDevicesService>;
}

declare module 'fastify' {
  interface FastifyInstance {
    directory: DirectoryServices;
  }
}

export interface DirectoryOptions {
  /** load the demo directory (docs/architecture.md#the-demo-directory) if it is not there yet */
  seedDemo?: boolean;
  /** receives the service's internals once built (tests, benchmarks) */
  onServices?: (services: DirectoryServices) => void;
  /** publish events from this process (default); tools that only write leave them in the outbox */
  publishEvents?: boolean;
  /** told what the seed added */
  onSeeded?: (result: { created: number }) => void;
}

/**
 * The directory service as an encapsulated Fastify plugin: its own schema in Postgres, its own
 * outbox and audit log, its routes. It never calls listen(); server.ts (alone) or the embedded
 * hub (with the other services) does.
 */
export const directoryService: FastifyPluginAsync<DirectoryOptions> = async (
  app: FastifyInstance,
  options,
) => {
  const { config } = app.platform;
  const runtime = await openServiceRuntime(app, {
    service: 'directory',
    entities: DIRECTORY_ENTITIES,
    migrations: DIRECTORY_MIGRATIONS,
    eventDocuments: [path.join(OPENAPI_DIR, 'directory.events.yaml')],
    publishEvents: options.publishEvents,
    deferredAuditChain: true,
  });
  app.addHook('onClose', () => runtime.close());
  const { dataSource, events, audit } = runtime;
  // The key log is checkpointed with the audit log, by the same key.
  runtime.checkpointChain(KEY_LOG_CHAIN, KeyLogEntryEntity);

  const context: DirectoryContext = {
    dataSource,
    events,
    audit,
    pipeline: CommandPipeline.forService({ dataSource, events, audit }),
    hubOrganisationId: config.HUB_ORGANISATION_ID,
  };
  const issuerSource = createIssuerSource(context);
  app.platform.issuers.addSource(issuerSource);

  const organisations = createOrganisationsService(context);
  const units = createUnitsService(context);
  const services: DirectoryServices = {
    contract: OpenApiContract.load(path.join(OPENAPI_DIR, 'directory.yaml'), 'directory'),
    context,
    organisations,
    units,
    rosters: createRostersService(context, units),
    keys: createKeysService(context, organisations, units),
    issuers: createIssuersService(context, () => issuerSource.clear()),
    devices: createDevicesService(context, units),
  };
  app.decorate('directory', services);
  options.onServices?.(services);
  services.contract.registerSchemas(app);

  await app.register(idempotency, { dataSource });
  await app.register(organisationRoutes);
  await app.register(unitRoutes);
  await app.register(keyRoutes);
  await app.register(issuerRoutes);
  await app.register(deviceRoutes);
  await app.register(auditRoutes);
  await app.register(devTokenRoutes);

  if (options.seedDemo) {
    // Seed first, then report: `onSeeded?.(await …)` would skip the seed without a listener.
    const seeded = await seedDemoDirectory(services, {
      dataDir: config.SAMVERKAN_DATA_DIR,
      log: app.log,
    });
    options.onSeeded?.(seeded);
  }
};
