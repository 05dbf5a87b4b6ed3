import {
  idempotentAnswer,
  idempotentKeyHeld,
  ProblemError,
  registerAuditRoutes,
  sendAnswer,
} from '@samverkan/shared';
import type { FastifyInstance, FastifyRequest, HTTPMethods } from 'fastify';
import { ReferralProblems as P } from '../../domain/errors';
import type { components, operations } from '../../generated/openapi';
import type { ReferralAction } from '../../domain/referral-lifecycle';

type S = components['schemas'];
type IdParams = { id: string };

/** Every write needs an Idempotency-Key (docs/architecture.md#referral-lifecycle). */
const write = { config: { requireIdempotencyKey: true } };

/**
 * Free text about a case is never accepted in clear (docs/envelope.md#sealed-notes): a client that
 * still sends a string `note` or `justification` is told so by name, rather than by the schema's
 * generic "must be object", and nothing is stored or audited.
 */
function refuseClearText(member: 'note' | 'justification') {
  return async (request: FastifyRequest): Promise<void> => {
    const body = request.body as Record<string, unknown> | null | undefined;
    if (body && typeof body === 'object' && typeof body[member] === 'string') {
      throw new ProblemError(
        P.clearTextRefused,
        `${member} must be sealed for the parties (a SealedNote), not sent in clear`,
        { errors: [{ field: `body.${member}`, message: 'must be a sealed note, not text' }] },
      );
    }
  };
}

export async function referralRoutes(app: FastifyInstance): Promise<void> {
  const { contract, referrals, context } = app.referrals;
  // Envelopes may be larger than the platform's general body limit; the envelope size itself is
  // checked (413 envelope-too-large) by the service.
  const envelopeBody = { bodyLimit: context.envelopeMaxBytes + 64 * 1024 };
  const route = (method: HTTPMethods, path: string) => contract.route(method, path);

  app.route({
    ...route('POST', '/v1/referrals'),
    // The send's one statement records the key's answer: never claimed, looked up only when the
    // send wrote nothing.
    config: { ...write.config, idempotencyRecordedByChange: true },
    ...envelopeBody,
    preValidation: refuseClearText('justification'),
    // The send's one statement also completes the Idempotency-Key's record with the answer.
    handler: async (request, reply) =>
      sendAnswer(
        request,
        reply,
        201,
        await referrals.send(
          request.principal,
          request.body as never,
          idempotentAnswer(request, reply, 201),
          idempotentKeyHeld(request),
        ),
      ),
  });

  app.route({
    ...route('GET', '/v1/referrals'),
    handler: (request) => {
      const q = request.query as NonNullable<operations['listReferrals']['parameters']['query']>;
      return referrals.list(request.principal, { ...q, limit: q.limit ?? 25 } as never);
    },
  });

  app.route({
    ...route('GET', '/v1/referrals/counts'),
    handler: (request) => {
      const q = request.query as { box: 'inbox' | 'outbox'; unit: string };
      return referrals.counts(request.principal, q.box, q.unit);
    },
  });

  app.route({
    ...route('GET', '/v1/referrals/{id}'),
    handler: (request) => referrals.get(request.principal, (request.params as IdParams).id),
  });

  app.route({
    ...route('GET', '/v1/referrals/{id}/envelope'),
    handler: (request) => referrals.envelope(request.principal, (request.params as IdParams).id),
  });

  app.route({
    ...route('GET', '/v1/referrals/{id}/timeline'),
    handler: (request) => referrals.timeline(request.principal, (request.params as IdParams).id),
  });

  app.route({
    ...route('GET', '/v1/referrals/{id}/justification'),
    handler: (request) =>
      referrals.justificationForAuditor(request.principal, (request.params as IdParams).id),
  });

  app.route({
    ...route('GET', '/v1/referrals/{id}/access-log'),
    handler: (request) => referrals.accessLog(request.principal, (request.params as IdParams).id),
  });

  const actions: Array<[string, ReferralAction]> = [
    ['acknowledge', 'acknowledge'],
    ['accept', 'accept'],
    ['decline', 'decline'],
    ['withdraw', 'withdraw'],
    ['handover', 'plan_handover'],
    ['confirm-handover', 'confirm_handover'],
    ['close', 'close'],
  ];
  for (const [path, action] of actions) {
    const contractRoute = route('POST', `/v1/referrals/{id}/${path}`);
    app.route({
      ...contractRoute,
      ...write,
      ...(action === 'decline'
        ? {
            ...envelopeBody,
            preValidation: [
              ...(contractRoute.preValidation ? [contractRoute.preValidation] : []),
              refuseClearText('note'),
            ],
          }
        : {}),
      handler: (request) =>
        referrals.act(
          request.principal,
          (request.params as IdParams).id,
          action,
          (request.body ?? {}) as never,
        ),
    });
  }

  app.route({
    ...route('POST', '/v1/referrals/{id}/forward'),
    ...write,
    bodyLimit: context.envelopeMaxBytes * 10 + 64 * 1024,
    handler: async (request, reply) => {
      const body = request.body as S['ReferralForward'];
      return reply
        .code(201)
        .send(
          await referrals.forward(
            request.principal,
            (request.params as IdParams).id,
            body.forwards as never,
          ),
        );
    },
  });

  await registerAuditRoutes(app, { service: 'referrals', contract, audit: context.audit });
}
