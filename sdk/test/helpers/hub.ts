import type { AddressInfo } from 'node:net';
import { DEMO_USERS, type DemoUserName } from '@samverkan/shared';
import { buildHub, type TestHub } from '@samverkan/referrals/test/helpers/build';

export interface RunningHub {
  hub: TestHub;
  url: string;
  token(user: DemoUserName): Promise<string>;
  close(): Promise<void>;
}

/**
 * Directory and referrals on one Fastify app on a real port (its own database and dev data
 * folder), as the SDK and the CLI meet a hub: over HTTP.
 */
export async function startHub(): Promise<RunningHub> {
  const hub = await buildHub();
  await hub.app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = hub.app.server.address() as AddressInfo;
  return {
    hub,
    url: `http://127.0.0.1:${port}`,
    token: (user) =>
      hub.app.platform.devIssuer!.mint(DEMO_USERS[user]!, { audience: hub.config.AUTH_AUDIENCE }),
    close: () => hub.close(),
  };
}

export function referralDocument(marker: string): Record<string, unknown> {
  return {
    version: 1,
    person: { ageBand: 'adult', gender: 'female', givenName: marker, languages: ['ro', 'en'] },
    situation: {
      summary: `Met during an operation in Norrköping; ${marker} wants support to leave.`,
      exploitation: ['trafficking_sexual'],
    },
    requests: ['support_talks'],
    consent: { given: true, scope: 'Sharing with the coordinator and Novahuset' },
    senderContact: { role: 'officer' },
  };
}

export const ROUTING = {
  category: 'trafficking_sexual',
  urgency: 'urgent',
  ageBand: 'adult',
  gender: 'female',
  citizenshipGroup: 'eu',
  municipalityCode: '0581',
  legalBasis: 'consent',
} as const;
