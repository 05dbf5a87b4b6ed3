import { readDevKeyStore } from '@samverkan/directory/src/seed/dev-key-store';
import { buildHub as buildWithNotifications } from '@samverkan/notifications/test/helpers/build';
import { buildHub, type HubOptions, type TestHub } from '@samverkan/referrals/test/helpers/build';

/**
 * The app the hostile suites attack: directory and referrals on one app (the referrals test
 * hub), or all three services when the documents under test include notifications
 * (`FUZZ_DOCUMENTS=directory,referrals,notifications`), built by the notifications test hub.
 */
export async function buildAppUnderTest(
  documents: readonly string[],
  options: HubOptions = {},
): Promise<TestHub> {
  if (!documents.includes('notifications')) {
    return buildHub(options);
  }
  const hub = await buildWithNotifications(options);
  return { ...hub, keys: readDevKeyStore(hub.dataDir) };
}
