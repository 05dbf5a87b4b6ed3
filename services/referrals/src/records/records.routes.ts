import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { LegalHoldInput } from './legal-holds.service';
import { logReviewCsv, logReviewHtml } from './log-review-export';
import type { ReviewFinding } from './log-review';
import type { ReviewCreate } from './log-reviews.service';
import { mappingReportCsv, mappingReportHtml } from './mapping-report-export';
import type { MappingReportQuery } from './mapping-report.service';
import { PRINTABLE_CSP } from './printable';

/** Every write needs an Idempotency-Key (docs/architecture.md#referral-lifecycle). */
const write = { config: { requireIdempotencyKey: true } };

type Format = 'json' | 'csv' | 'html';

/** `Accept: text/csv` or `text/html` for the exports; JSON otherwise. */
function formatOf(request: FastifyRequest): Format {
  const accept = String(request.headers.accept ?? '');
  if (/\btext\/csv\b/i.test(accept)) {
    return 'csv';
  }
  if (/\btext\/html\b/i.test(accept)) {
    return 'html';
  }
  return 'json';
}

function sendExport(reply: FastifyReply, format: 'csv' | 'html', name: string, body: string) {
  if (format === 'csv') {
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="${name}.csv"`)
      .send(body);
  }
  return reply
    .type('text/html; charset=utf-8')
    .header('content-security-policy', PRINTABLE_CSP)
    .header('content-disposition', `inline; filename="${name}.html"`)
    .send(body);
}

/** Legal holds, log reviews and the county mapping report (openapi/referrals.yaml). */
export async function recordsRoutes(app: FastifyInstance): Promise<void> {
  const { contract, records } = app.referrals;
  const id = (request: FastifyRequest) => (request.params as { id: string }).id;

  app.route({
    ...contract.route('GET', '/v1/referrals/{id}/legal-hold'),
    handler: (request) => records.legalHolds.get(request.principal, id(request)),
  });
  app.route({
    ...contract.route('POST', '/v1/referrals/{id}/legal-hold'),
    ...write,
    handler: (request) =>
      records.legalHolds.place(request.principal, id(request), request.body as LegalHoldInput),
  });
  app.route({
    ...contract.route('DELETE', '/v1/referrals/{id}/legal-hold'),
    ...write,
    handler: (request) => records.legalHolds.lift(request.principal, id(request)),
  });

  app.route({
    ...contract.route('GET', '/v1/statistics/mapping-report'),
    handler: async (request, reply) => {
      const format = formatOf(request);
      const query = request.query as MappingReportQuery;
      const report = await records.mappingReport.report(request.principal, query, format);
      const name = `kartlaggning-${report.county.code}-${report.from}-${report.to}`;
      if (format === 'csv') {
        return sendExport(reply, format, name, mappingReportCsv(report));
      }
      if (format === 'html') {
        return sendExport(reply, format, name, mappingReportHtml(report));
      }
      return report;
    },
  });

  app.route({
    ...contract.route('POST', '/v1/audit/reviews'),
    ...write,
    handler: async (request, reply) =>
      reply
        .code(201)
        .send(await records.logReviews.create(request.principal, request.body as ReviewCreate)),
  });
  app.route({
    ...contract.route('GET', '/v1/audit/reviews'),
    handler: (request) => records.logReviews.list(request.principal),
  });
  app.route({
    ...contract.route('GET', '/v1/audit/reviews/{id}'),
    handler: async (request, reply) => {
      const format = formatOf(request);
      if (format === 'json') {
        return records.logReviews.get(request.principal, id(request));
      }
      const review = await records.logReviews.export(request.principal, id(request), format);
      const name = `logguppfoljning-${review.id}`;
      return sendExport(
        reply,
        format,
        name,
        format === 'csv' ? logReviewCsv(review) : logReviewHtml(review),
      );
    },
  });
  app.route({
    ...contract.route('POST', '/v1/audit/reviews/{id}/items/{itemNo}/finding'),
    ...write,
    handler: (request) => {
      const params = request.params as { id: string; itemNo: number };
      return records.logReviews.recordFinding(
        request.principal,
        params.id,
        Number(params.itemNo),
        request.body as { finding: ReviewFinding; reference?: string | null },
      );
    },
  });
  app.route({
    ...contract.route('POST', '/v1/audit/reviews/{id}/sign-off'),
    ...write,
    handler: (request) =>
      records.logReviews.signOff(
        request.principal,
        id(request),
        request.body as { conclusion: 'no_remarks' | 'remarks' },
      ),
  });
}
