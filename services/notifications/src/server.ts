/** The notifications service on its own (distributed mode). */
import { startStandaloneService } from '@samverkan/shared';
import { notificationsService, OPENAPI_DIR } from './app';

startStandaloneService({
  service: 'notifications',
  plugin: notificationsService,
  openapiDir: OPENAPI_DIR,
});
