import type { KeyLogEntryEntity } from '../entities/key-log.entity';

/**
 * What a key-log entry's hash covers. Clients verify the log the same way: SHA-256 over the
 * previous hash, a newline, and the RFC 8785 canonical JSON of this object.
 */
export function keyLogContent(e: KeyLogEntryEntity): Record<string, unknown> {
  return {
    seq: e.seq,
    at: e.at.toISOString(),
    action: e.action,
    organisationId: e.organisationId,
    unitId: e.unitId,
    kid: e.kid,
    use: e.use,
    document: e.document,
    actor: e.actor,
    // Only when recorded: the entries written before keep the hash they were given.
    ...(e.actorIssuer ? { actorIssuer: e.actorIssuer } : {}),
  };
}
