import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { parseYamlDocument } from '../contracts/yaml-document';
import { renderEventsPage } from './events-docs';

export const DOCS_PREFIX = '/docs';

/**
 * The document as served to Swagger UI: its first server is `/`, which Swagger UI resolves
 * against the address the page was loaded from — so "Try it out" reaches this hub whatever its
 * PORT, host or gateway, not the `http://localhost:3000` the document names for readers.
 */
export function servedDocument(text: string): string {
  const doc = parseYamlDocument(text) as {
    openapi?: string;
    servers?: Array<{ url: string }>;
  } | null;
  if (!doc || typeof doc.openapi !== 'string') {
    return text;
  }
  doc.servers = [
    { url: '/', description: 'This hub (the server this page was loaded from)' } as never,
    ...(doc.servers ?? []).filter((s) => s.url !== '/'),
  ];
  return YAML.stringify(doc);
}

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
      document: parseYamlDocument(
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
  // Rendered on first request, not at start: parsing and writing every document took seconds of
  // `npm start` for pages most starts never serve.
  let eventsPage: string | undefined;
  const served = new Map<string, string>();
  const documentOf = (file: string): string => {
    let text = served.get(file);
    if (text === undefined) {
      text = servedDocument(fs.readFileSync(path.join(openapiDir, file), 'utf8'));
      served.set(file, text);
    }
    return text;
  };
  app.get(`${DOCS_PREFIX}/events`, { config: { public: true } }, async (_request, reply) =>
    reply.type('text/html; charset=utf-8').send((eventsPage ??= renderEventsPage(openapiDir))),
  );
  app.get(`${DOCS_PREFIX}/openapi/:file`, { config: { public: true } }, async (request, reply) => {
    const file = (request.params as { file: string }).file;
    if (!files.includes(file)) {
      return reply.callNotFound();
    }
    return reply.type('application/yaml').send(documentOf(file));
  });
}
