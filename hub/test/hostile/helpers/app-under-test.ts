import { DEMO_USERS } from '@samverkan/shared';
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

/** A bearer token of a seeded user, minted by the app's development issuer. */
export function mintToken(hub: TestHub, user: string): Promise<string> {
  return hub.app.platform.devIssuer!.mint(DEMO_USERS[user]!, {
    audience: hub.config.AUTH_AUDIENCE,
  });
}

/**
 * The app under test for one test file, built before its tests and closed after them, with a
 * token of `user`: `const app = useAppUnderTest(documents)`, then `app.hub`, `app.token`.
 */
export function useAppUnderTest(
  documents: readonly string[],
  user = 'hub.admin',
): { readonly hub: TestHub; readonly token: string } {
  const state: { hub?: TestHub; token?: string } = {};
  beforeAll(async () => {
    state.hub = await buildAppUnderTest(documents);
    state.token = await mintToken(state.hub, user);
  }, 120_000);
  afterAll(async () => {
    await state.hub?.close();
  });
  return {
    get hub() {
      return state.hub!;
    },
    get token() {
      return state.token!;
    },
  };
}
