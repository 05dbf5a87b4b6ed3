import path from 'node:path';
import {
  idempotency,
  issuerReadModelConsumer,
  OpenApiContract,
  openServiceRuntime,
  readModelIssuerSource,
} from '@samverkan/shared';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { loadReferralsConfig } from './config';
import { REFERRALS_ENTITIES } from './entities';
import { REFERRALS_MIGRATIONS } from './migrations';
import {
  createDirectoryReadModel,
  directoryReadModelConsumer,
} from './read-model/directory-read-model';
import { messageRoutes } from './routes/messages';
import { operationRoutes } from './routes/operations';
import { referralRoutes } from './routes/referrals';
import { createRecords, onCallShiftsConsumer, recordsRoutes, type Records } from './records';
import { statisticsRoutes } from './routes/statistics';
import { referralsAuditParties } from './services/audit-parties';
import type { ReferralsContext } from './services/context';
import { DeadlineWatcher } from './services/deadline-watcher';
import { createMessagesService } from './services/messages.service';
import {
  createFieldRequestsService,
  createOperationAccess,
  createOperationsService,
  FieldRequestWatcher,
} from './operations';
import { createReferralsService } from './referrals';
import { RollupCompactor } from './services/rollup-compactor';
import { createRollupsRepository } from './services/rollups.repository';
import { createStatisticsRepository } from './services/statistics.repository';
import { createStatisticsService, statisticsSecret } from './services/statistics.service';

export const OPENAPI_DIR = path.resolve(__dirname, '../../../openapi');

export interface ReferralsServices {
  contract: OpenApiContract;
  context: ReferralsContext;
  referrals: ReturnType<typeof createReferralsService>;
  messages: ReturnType<typeof createMessagesService>;
  statistics: ReturnType<typeof createStatisticsService>;
  deadlines: DeadlineWatcher;
  operations: ReturnType<typeof createOperationsService>;
  fieldRequests: ReturnType<typeof createFieldRequestsService>;
  fieldRequestWatcher: FieldRequestWatcher;
  /** retention and legal holds, log reviews, the county mapping report (src/records/) */
  records: Records;
}

declare module 'fastify' {
  interface FastifyInstance {
    referrals: ReferralsServices;
  }
}

export interface ReferralsOptions {
  onServices?: (services: ReferralsServices) => void;
}

/**
 * The referrals service as an encapsulated plugin: end-to-end encrypted referrals (the hub
 * stores envelopes it cannot read), their lifecycle, deadlines and escalation, the audit of every
 * envelope read, and a read model of the directory fed by its events.
 */
export const referralsService: FastifyPluginAsync<ReferralsOptions> = async (
  app: FastifyInstance,
  options,
) => {
  const own = loadReferralsConfig();
  const runtime = await openServiceRuntime(app, {
    service: 'referrals',
    entities: REFERRALS_ENTITIES,
    migrations: REFERRALS_MIGRATIONS,
    deferredAuditChain: true,
    eventDocuments: [
      path.join(OPENAPI_DIR, 'referrals.events.yaml'),
      path.join(OPENAPI_DIR, 'directory.events.yaml'),
    ],
  });
  const { dataSource, events, audit } = runtime;
  audit.resolvePartiesWith(referralsAuditParties());
  await events.consume(directoryReadModelConsumer(), 'directory');
  await events.consume(issuerReadModelConsumer('referrals'), 'directory');
  await events.consume(onCallShiftsConsumer(), 'directory');
  app.platform.issuers.addSource(readModelIssuerSource(dataSource));

  const context: ReferralsContext = {
    dataSource,
    events,
    audit,
    directory: createDirectoryReadModel(dataSource),
    deadlines: own.deadlines,
    envelopeMaxBytes: own.envelopeMaxBytes,
    fieldRequestClaimWindowMs: own.fieldRequestClaimWindowMs,
    metrics: app.metrics,
  };
  // The statistics rollup keys each referral with the deployment's record-key secret: stored on
  // a first start (or a changed audit key), which builds the rollup from the referrals stored.
  if (await createStatisticsRepository(dataSource).useRecordKeySecret(statisticsSecret(context))) {
    app.log.info('statistics rollup built with the record-key secret');
  }
  const deadlines = new DeadlineWatcher(context, own.deadlineCheckMs, app.log);
  const fieldRequestWatcher = new FieldRequestWatcher(context, own.deadlineCheckMs, app.log);
  const records = createRecords(context, app.log);
  const rollupCompactor = new RollupCompactor(
    createRollupsRepository(dataSource),
    app.log,
    own.rollupCompactionMs,
  );
  app.addHook('onReady', async () => {
    deadlines.start();
    fieldRequestWatcher.start();
    records.purger.start();
    rollupCompactor.start();
  });
  app.addHook('onClose', async () => {
    await deadlines.stop();
    await fieldRequestWatcher.stop();
    await records.purger.stop();
    await rollupCompactor.stop();
    await runtime.close();
  });

  const referrals = createReferralsService(context);
  const operationAccess = createOperationAccess(context);
  const services: ReferralsServices = {
    contract: OpenApiContract.load(path.join(OPENAPI_DIR, 'referrals.yaml'), 'referrals'),
    context,
    referrals,
    messages: createMessagesService(context),
    statistics: createStatisticsService(context),
    deadlines,
    operations: createOperationsService(context, operationAccess),
    fieldRequests: createFieldRequestsService(context, operationAccess, referrals.rules),
    fieldRequestWatcher,
    records,
  };
  app.decorate('referrals', services);
  options.onServices?.(services);
  services.contract.registerSchemas(app);

  await app.register(idempotency, { dataSource });
  await app.register(referralRoutes);
  await app.register(messageRoutes);
  await app.register(statisticsRoutes);
  await app.register(operationRoutes);
  await app.register(recordsRoutes);
};
