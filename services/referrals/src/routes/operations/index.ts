import type { FastifyInstance, HTTPMethods } from 'fastify';
import type { components } from '../../generated/openapi';
import type { FieldRequestAction } from '../../domain/field-requests';
import type { OperationAction, OperationStatus } from '../../domain/operations';
import { operationReportCsv } from '../../domain/operation-report';

type S = components['schemas'];
type IdParams = { id: string };

/** Every write needs an Idempotency-Key. */
const write = { config: { requireIdempotencyKey: true } };

/** Joint operation weeks, staffing, field requests, tallies and the report (docs/architecture.md#operation-weeks). */
export async function operationRoutes(app: FastifyInstance): Promise<void> {
  const { contract, operations, fieldRequests, context } = app.referrals;
  const route = (method: HTTPMethods, path: string) => contract.route(method, path);
  const id = (request: { params: unknown }) => (request.params as IdParams).id;

  app.route({
    ...route('POST', '/v1/operations'),
    ...write,
    handler: async (request, reply) =>
      reply.code(201).send(await operations.create(request.principal, request.body as never)),
  });

  app.route({
    ...route('GET', '/v1/operations'),
    handler: (request) =>
      operations.list(request.principal, (request.query as { status?: OperationStatus }).status),
  });

  app.route({
    ...route('GET', '/v1/operations/{id}'),
    handler: (request) => operations.get(request.principal, id(request)),
  });

  for (const action of ['activate', 'complete', 'cancel'] as OperationAction[]) {
    app.route({
      ...route('POST', `/v1/operations/{id}/${action}`),
      ...write,
      handler: (request) => operations.act(request.principal, id(request), action),
    });
  }

  app.route({
    ...route('POST', '/v1/operations/{id}/participants'),
    ...write,
    handler: (request) =>
      operations.invite(
        request.principal,
        id(request),
        (request.body as S['OperationInvite']).unitIds,
      ),
  });

  for (const answer of ['accept', 'decline'] as const) {
    app.route({
      ...route('POST', `/v1/operations/{id}/participants/{unitId}/${answer}`),
      ...write,
      handler: (request) => {
        const params = request.params as { id: string; unitId: string };
        return operations.answer(request.principal, params.id, params.unitId, answer);
      },
    });
  }

  app.route({
    ...route('POST', '/v1/operations/{id}/shifts'),
    ...write,
    handler: async (request, reply) =>
      reply
        .code(201)
        .send(
          await operations.addShift(
            request.principal,
            id(request),
            request.body as S['ShiftCreate'],
          ),
        ),
  });

  app.route({
    ...route('GET', '/v1/operations/{id}/shifts'),
    handler: (request) => operations.shifts(request.principal, id(request)),
  });

  app.route({
    ...route('POST', '/v1/operations/{id}/shifts/{shiftId}/remove'),
    ...write,
    handler: (request) => {
      const params = request.params as { id: string; shiftId: string };
      return operations.removeShift(request.principal, params.id, params.shiftId);
    },
  });

  app.route({
    ...route('GET', '/v1/operations/{id}/on-shift'),
    handler: (request) => operations.onShift(request.principal, id(request)),
  });

  app.route({
    ...route('GET', '/v1/reports/operations'),
    handler: (request) => operations.reportable(request.principal),
  });

  app.route({
    ...route('GET', '/v1/operations/{id}/report'),
    handler: async (request, reply) => {
      const report = await operations.report(request.principal, id(request));
      const accept = String(request.headers.accept ?? '');
      if (/\btext\/csv\b/i.test(accept)) {
        return reply
          .type('text/csv; charset=utf-8')
          .header(
            'content-disposition',
            `attachment; filename="operation-${report.operationId}.csv"`,
          )
          .send(operationReportCsv(report));
      }
      return report;
    },
  });

  app.route({
    ...route('POST', '/v1/operations/{id}/field-requests'),
    ...write,
    bodyLimit: context.envelopeMaxBytes + 64 * 1024,
    handler: async (request, reply) =>
      reply
        .code(201)
        .send(await fieldRequests.create(request.principal, id(request), request.body as never)),
  });

  app.route({
    ...route('GET', '/v1/operations/{id}/field-requests'),
    handler: (request) => fieldRequests.list(request.principal, id(request)),
  });

  app.route({
    ...route('GET', '/v1/field-requests/{id}'),
    handler: (request) => fieldRequests.get(request.principal, id(request)),
  });

  app.route({
    ...route('GET', '/v1/field-requests/{id}/envelope'),
    handler: (request) => fieldRequests.envelope(request.principal, id(request)),
  });

  app.route({
    ...route('POST', '/v1/field-requests/{id}/claim'),
    ...write,
    handler: (request) =>
      fieldRequests.claim(
        request.principal,
        id(request),
        (request.body as S['FieldRequestClaim'] | undefined)?.unitId,
      ),
  });

  const actions: Array<[string, FieldRequestAction]> = [
    ['en-route', 'en_route'],
    ['on-site', 'on_site'],
    ['complete', 'complete'],
    ['cancel', 'cancel'],
  ];
  for (const [path, action] of actions) {
    app.route({
      ...route('POST', `/v1/field-requests/{id}/${path}`),
      ...write,
      handler: (request) => fieldRequests.act(request.principal, id(request), action),
    });
  }

  app.route({
    ...route('POST', '/v1/field-requests/{id}/tally'),
    ...write,
    handler: async (request, reply) =>
      reply
        .code(201)
        .send(
          await fieldRequests.recordTally(request.principal, id(request), request.body as never),
        ),
  });

  app.route({
    ...route('GET', '/v1/field-requests/{id}/tally'),
    handler: (request) => fieldRequests.tally(request.principal, id(request)),
  });
}
