/** The directory on its own (distributed mode). */
import { startStandaloneService } from '@samverkan/shared';
import { directoryService, OPENAPI_DIR } from './app';

startStandaloneService({
  service: 'directory',
  plugin: directoryService,
  pluginOptions: (config) => ({ seedDemo: config.SEED_DEMO_DATA }),
  openapiDir: OPENAPI_DIR,
});
