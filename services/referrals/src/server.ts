/** The referrals service on its own (distributed mode). */
import { startStandaloneService } from '@samverkan/shared';
import { OPENAPI_DIR, referralsService } from './app';

startStandaloneService({ service: 'referrals', plugin: referralsService, openapiDir: OPENAPI_DIR });
