import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import fs from 'node:fs';
import { parseYamlDocument } from '../contracts/yaml-document';

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
 * AsyncAPI documents parsed once per process (the embedded hub's services read the same ones);
 * read again when the file changed. Never modified after parsing.
 */
const parsedDocuments = new Map<string, { mtimeMs: number; doc: AsyncApiDocument }>();

function parsedDocument(file: string): AsyncApiDocument {
  const { mtimeMs } = fs.statSync(file);
  const cached = parsedDocuments.get(file);
  if (cached && cached.mtimeMs === mtimeMs) {
    return cached.doc;
  }
  const doc = parseYamlDocument(fs.readFileSync(file, 'utf8')) as AsyncApiDocument;
  parsedDocuments.set(file, { mtimeMs, doc });
  return doc;
}

/**
 * The JSON Schemas of events, read from AsyncAPI documents in `openapi/`: one validator per event
 * type (the channel address). Producers validate before writing to the outbox; consumers validate
 * again on receipt.
 */
export class EventCatalog {
  private readonly ajv: Ajv;
  /**
   * Each type's schema, compiled on its first use: compiling every event schema of every service
   * up front took seconds of `npm start` for types a process may never see.
   */
  private readonly schemas = new Map<string, object>();
  private readonly validators = new Map<string, ValidateFunction>();

  constructor() {
    this.ajv = new Ajv({ allErrors: true, strict: false });
    addFormats(this.ajv);
  }

  static fromFiles(...files: string[]): EventCatalog {
    const catalog = new EventCatalog();
    for (const file of files) {
      catalog.addAsyncApi(parsedDocument(file), file);
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
        this.schemas.set(channel.address, schema);
        this.validators.delete(channel.address);
      }
    }
  }

  has(type: string): boolean {
    return this.schemas.has(type);
  }

  types(): string[] {
    return [...this.schemas.keys()].sort();
  }

  private validatorOf(type: string): ValidateFunction | undefined {
    let validate = this.validators.get(type);
    if (!validate) {
      const schema = this.schemas.get(type);
      if (!schema) {
        return undefined;
      }
      validate = this.ajv.compile(schema);
      this.validators.set(type, validate);
    }
    return validate;
  }

  /** Compiles every schema now (a check that they all compile; tests and tools). */
  compileAll(): void {
    for (const type of this.schemas.keys()) {
      this.validatorOf(type);
    }
  }

  /** Throws EventValidationError when the envelope does not match the schema of its type. */
  validate(envelope: unknown): asserts envelope is EventEnvelope {
    const type = (envelope as { type?: unknown })?.type;
    if (typeof type !== 'string') {
      throw new EventValidationError('(unknown)', ['type is missing']);
    }
    const validate = this.validatorOf(type);
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
