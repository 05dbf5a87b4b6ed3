import fs from 'node:fs';
import path from 'node:path';
import { parseYamlDocument } from '../contracts/yaml-document';

interface AsyncApiDocument {
  info?: { title?: string; description?: string };
  channels?: Record<
    string,
    {
      address?: string;
      messages?: Record<string, { summary?: string; payload?: { $ref?: string } }>;
    }
  >;
  components?: { schemas?: Record<string, unknown> };
}

const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Resolves local `#/components/schemas/X` references, one level per use, for display. */
function resolve(doc: AsyncApiDocument, schema: unknown, depth = 0): unknown {
  if (depth > 6 || schema === null || typeof schema !== 'object') {
    return schema;
  }
  if (Array.isArray(schema)) {
    return schema.map((s) => resolve(doc, s, depth + 1));
  }
  const ref = (schema as { $ref?: unknown }).$ref;
  if (typeof ref === 'string' && ref.startsWith('#/components/schemas/')) {
    return resolve(doc, doc.components?.schemas?.[ref.slice(21)], depth + 1);
  }
  return Object.fromEntries(
    Object.entries(schema).map(([k, v]) => [k, resolve(doc, v, depth + 1)]),
  );
}

/**
 * The events documents (AsyncAPI 3 in openapi/*.events.yaml) as one readable page: every
 * subject with its summary and payload schema. Swagger UI renders only OpenAPI; this keeps the
 * events beside the HTTP APIs at /docs/events, from the same files.
 */
export function renderEventsPage(openapiDir: string): string {
  const sections = fs
    .readdirSync(openapiDir)
    .filter((f) => f.endsWith('.events.yaml'))
    .sort()
    .map((file) => {
      const doc = parseYamlDocument(fs.readFileSync(path.join(openapiDir, file), 'utf8')) as
        AsyncApiDocument | undefined;
      const channels = Object.values(doc?.channels ?? {}).flatMap((channel) =>
        Object.values(channel.messages ?? {}).map((message) => {
          const payload = resolve(doc!, message.payload);
          return `<details class="event"><summary><code>${escapeHtml(channel.address ?? '')}</code> — ${escapeHtml(message.summary ?? '')}</summary><pre>${escapeHtml(JSON.stringify(payload, null, 2))}</pre></details>`;
        }),
      );
      return `<section><h2>${escapeHtml(doc?.info?.title ?? file)}</h2><p><a href="/docs/openapi/${escapeHtml(file)}">${escapeHtml(file)}</a></p>${channels.join('\n')}</section>`;
    });
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>Samverkan events</title>
<style>body{font-family:system-ui,sans-serif;max-width:70rem;margin:2rem auto;padding:0 1rem}details{margin:.3rem 0;border:1px solid #ddd;border-radius:4px;padding:.3rem .6rem}pre{overflow:auto;font-size:.8rem}</style>
</head><body><h1>Samverkan events</h1><p>Published on NATS JetStream from each service's transactional outbox. The HTTP APIs are at <a href="/docs">/docs</a>.</p>${sections.join('\n')}</body></html>`;
}
