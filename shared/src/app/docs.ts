import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { renderEventsPage } from './events-docs';

export const DOCS_PREFIX = '/docs';

/**
 * Interactive API docs (Swagger UI) at /docs, straight from the OpenAPI documents in openapi/,
 * the events (AsyncAPI) at /docs/events, and the raw documents at /docs/openapi/<file>.
 */
export async function registerDocs(
  app: FastifyInstance,
  openapiDir: string,
  services: string[],
): Promise<void> {
  const files = fs
    .readdirSync(openapiDir)
    .filter((f) => /\.ya?ml$/.test(f) && f !== 'redocly.yaml');
  const [first] = services;
  if (!first) {
    return;
  }
  await app.register(swagger, {
    mode: 'static',
    specification: {
      document: YAML.parse(
        fs.readFileSync(path.join(openapiDir, `${first}.yaml`), 'utf8'),
      ) as never,
    },
  });
  await app.register(swaggerUi, {
    routePrefix: DOCS_PREFIX,
    staticCSP: true,
    // Swagger UI sets inline styles when it renders schemas; scripts stay strictly 'self'.
    transformStaticCSP: (header: string) =>
      header.replace("style-src 'self' https:", "style-src 'self' https: 'unsafe-inline'"),
    uiConfig: {
      urls: services.map((s) => ({ url: `${DOCS_PREFIX}/openapi/${s}.yaml`, name: s })),
      deepLinking: true,
    },
  });
  const eventsPage = renderEventsPage(openapiDir);
  app.get(`${DOCS_PREFIX}/events`, { config: { public: true } }, async (_request, reply) =>
    reply.type('text/html; charset=utf-8').send(eventsPage),
  );
  app.get(`${DOCS_PREFIX}/openapi/:file`, { config: { public: true } }, async (request, reply) => {
    const file = (request.params as { file: string }).file;
    if (!files.includes(file)) {
      return reply.callNotFound();
    }
    return reply
      .type('application/yaml')
      .send(fs.readFileSync(path.join(openapiDir, file), 'utf8'));
  });
}
