import { CommonProblems, DEMO_USERS, ProblemError } from '@samverkan/shared';
import type { FastifyInstance } from 'fastify';
import type { components } from '../../generated/openapi';

type S = components['schemas'];

const DEFAULT_TTL_SECONDS = 8 * 3600;

/**
 * `POST /v1/dev/tokens`: tokens for the seeded users, signed by the development issuer of this
 * hub's own data folder. Registered only while that issuer is on (AUTH_DEV_ISSUER=true, the
 * embedded default), so a client such as `samverkan login` never needs the data folder (a token
 * minted against another folder's key is refused by every route) nor the hub's code.
 */
export async function devTokenRoutes(app: FastifyInstance): Promise<void> {
  const { devIssuer, config } = app.platform;
  if (!devIssuer) {
    return;
  }
  app.route({
    ...app.directory.contract.route('POST', '/v1/dev/tokens'),
    config: { public: true },
    handler: async (request, reply) => {
      const body = request.body as S['DevTokenRequest'];
      const claims = Object.hasOwn(DEMO_USERS, body.user) ? DEMO_USERS[body.user] : undefined;
      if (!claims) {
        // The field's message names the choices too: clients (the CLI) print the fields.
        const choices = `is not a seeded user; seeded users: ${Object.keys(DEMO_USERS).join(', ')}`;
        throw new ProblemError(CommonProblems.validation, `${body.user} ${choices}`, {
          errors: [{ field: 'body.user', message: choices }],
        });
      }
      const ttl = body.ttlSeconds ?? DEFAULT_TTL_SECONDS;
      const token = await devIssuer.mint(claims, {
        audience: config.AUTH_AUDIENCE,
        ttlSeconds: ttl,
      });
      const answer: S['DevToken'] = {
        token,
        user: body.user,
        issuer: devIssuer.issuer,
        expiresAt: new Date(Date.now() + ttl * 1000).toISOString(),
      };
      return reply.code(201).send(answer);
    },
  });
}
