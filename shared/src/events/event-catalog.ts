import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import fs from 'node:fs';
import YAML from 'yaml';

export interface EventEnvelope<T = Record<string, unknown>> {
  id: string;
  /** canonical subject, e.g. `samverkan.directory.unit.created` */
  type: string;
  /** producing service */
  source: string;
  time: string;
  data: T;
}

export class EventValidationError extends Error {
  constructor(
    readonly eventType: string,
    readonly problems: string[],
  ) {
    super(`event ${eventType} does not match its schema: ${problems.join('; ')}`);
    this.name = 'EventValidationError';
  }
}

interface AsyncApiDocument {
  channels?: Record<
    string,
    { address?: string; messages?: Record<string, { $ref?: string; payload?: unknown }> }
  >;
  components?: {
    messages?: Record<string, { payload?: unknown }>;
    schemas?: Record<string, unknown>;
  };
}

/**
 * The JSON Schemas of events, read from AsyncAPI documents in `openapi/`: one validator per event
 * type (the channel address). Producers validate before writing to the outbox; consumers validate
 * again on receipt.
 */
export class EventCatalog {
  private readonly ajv: Ajv;
  private readonly validators = new Map<string, ValidateFunction>();

  constructor() {
    this.ajv = new Ajv({ allErrors: true, strict: false });
    addFormats(this.ajv);
  }

  static fromFiles(...files: string[]): EventCatalog {
    const catalog = new EventCatalog();
    for (const file of files) {
      catalog.addAsyncApi(YAML.parse(fs.readFileSync(file, 'utf8')) as AsyncApiDocument, file);
    }
    return catalog;
  }

  addAsyncApi(doc: AsyncApiDocument, name: string): void {
    const docId = `asyncapi:${name}`;
    this.ajv.addSchema(doc as object, docId);
    for (const channel of Object.values(doc.channels ?? {})) {
      if (!channel.address) {
        continue;
      }
      for (const message of Object.values(channel.messages ?? {})) {
        const ref = message.$ref;
        const resolved = ref?.startsWith('#/components/messages/')
          ? doc.components?.messages?.[ref.slice('#/components/messages/'.length)]
          : message;
        const payload = resolved?.payload as { $ref?: string } | undefined;
        if (!payload) {
          continue;
        }
        const schema = payload.$ref?.startsWith('#')
          ? { $ref: `${docId}${payload.$ref}` }
          : payload;
        this.validators.set(channel.address, this.ajv.compile(schema));
      }
    }
  }

  has(type: string): boolean {
    return this.validators.has(type);
  }

  types(): string[] {
    return [...this.validators.keys()].sort();
  }

  /** Throws EventValidationError when the envelope does not match the schema of its type. */
  validate(envelope: unknown): asserts envelope is EventEnvelope {
    const type = (envelope as { type?: unknown })?.type;
    if (typeof type !== 'string') {
      throw new EventValidationError('(unknown)', ['type is missing']);
    }
    const validate = this.validators.get(type);
    if (!validate) {
      throw new EventValidationError(type, ['no schema is registered for this event type']);
    }
    if (!validate(envelope)) {
      throw new EventValidationError(
        type,
        (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`),
      );
    }
  }
}
