import {
  actingUnitsOf,
  CommonProblems,
  poolQuery,
  ProblemError,
  type CommandDefinition,
  type EnvelopeRoutingInfo,
  type Principal,
} from '@samverkan/shared';
import type { EntityManager } from 'typeorm';
import type { DirectoryUnitEntity, ReferralEntity } from '../entities';
import { acknowledgeDeadline, type DeadlineConfig } from '../domain/deadlines';
import { ReferralProblems as P } from '../domain/errors';
import { ACTING_ROLES, canRead, sideOf } from '../domain/referral-lifecycle';
import { checkSharingRules, type OrganisationKind } from '../domain/sharing-rules';
import { ReferralEvents } from '../events/referral-events';
import { eventData, isSameSend, newReferralRecord, type ReferralCreate } from '../referrals/model';
import { referralView } from '../services/views';
import { randomUUID } from 'node:crypto';
import { requireAuditRecipients } from '../services/audit-sealing';

/**
 * `POST /v1/referrals` on the write pipeline (shared/src/pipeline): two round trips — one read
 * (the sender's membership and every addressed unit from the directory read model) and one
 * statement that inserts the referral, its timeline row, its outbox event, its unchained audit
 * entry and the Idempotency-Key's record, finished, with the answer (atomic on its own, no
 * BEGIN/COMMIT, no read-back; the key is not claimed up front, and the statement fails whole if
 * it is recorded already). Only a send that wrote nothing looks its key up; a send whose id is
 * already taken then reads the existing row (and the key is recorded after the answer).
 */

interface LoadedUnit {
  unitId: string;
  organisationId: string;
  organisationKind: string;
  status: 'active' | 'inactive';
  purpose: 'service' | 'audit';
  activeEncryptionKids: string[];
  memberRoles: string[] | null;
}

export interface SendLoaded {
  /** the caller's units it acts for now */
  acting: string[];
  units: Map<string, LoadedUnit>;
}

export interface SendDecision {
  referral: ReferralEntity;
  /** the envelope as JSON, serialised once (by the envelope check) */
  envelopeJson: string;
  /** the sealed justification, stored as the first message of the thread (`info.json`) */
  note: { id: string; info: EnvelopeRoutingInfo } | null;
  partyOrgs: string[];
  /** the caller's verified units: whose referrals an id conflict may be told about */
  acting: string[];
}

export interface SendDependencies {
  schema: string;
  deadlines: DeadlineConfig;
  /** the envelope checks (docs/envelope.md "What the hub checks"), with the units already read */
  checkEnvelope(
    envelope: Record<string, unknown>,
    expected: {
      rid: string;
      from: string;
      to: string[];
      kind: 'referral' | 'message';
      record: Record<string, unknown>;
    },
    manager: EntityManager | undefined,
    known: Map<string, DirectoryUnitEntity>,
  ): Promise<EnvelopeRoutingInfo>;
  /** reads the referral that holds a taken id */
  existing(id: string): Promise<ReferralEntity | null>;
}

const recipientsOf = (input: ReferralCreate) => [
  input.recipientUnitId,
  ...(input.copyUnitIds ?? []),
];

export function sendReferralCommand(
  deps: SendDependencies,
): CommandDefinition<ReferralCreate, SendLoaded, SendDecision, ReturnType<typeof referralView>> {
  const table = (name: string) => `"${deps.schema}"."${name}"`;
  return {
    target: (input) => ({
      action: 'referral.send',
      objectType: 'referral',
      objectId: input.id,
      // That a justification exists and where it is sealed; never its text.
      detail: {
        legalBasis: input.legalBasis,
        justificationMessageId: input.justification?.id ?? null,
      },
    }),

    async load(input, actor, db) {
      const principal = actor as Principal;
      const ids = [...new Set([...principal.units, input.senderUnitId, ...recipientsOf(input)])];
      // One statement: every addressed unit and every unit the token claims, with the caller's
      // membership of each, and the sender organisation's audit unit (a justification is sealed
      // for its keys too). On the pool itself, prepared: the hot path skips TypeORM's query runner.
      const rows = await poolQuery<{
        unit_id: string;
        organisation_id: string;
        organisation_kind: string;
        status: 'active' | 'inactive';
        purpose: 'service' | 'audit' | null;
        active_encryption_kids: string[];
        roles: string[] | null;
      }>(
        db.connection,
        `SELECT u.unit_id, u.organisation_id, u.organisation_kind, u.status, u.purpose,
                u.active_encryption_kids, m.roles
           FROM ${table('directory_units')} u
           LEFT JOIN ${table('directory_members')} m
             ON m.unit_id = u.unit_id AND m.user_id = $2 AND m.active
          WHERE u.unit_id = ANY($1::uuid[])
             OR (u.purpose = 'audit' AND u.status = 'active' AND u.organisation_id =
                  (SELECT s.organisation_id FROM ${table('directory_units')} s
                    WHERE s.unit_id = $3::uuid))`,
        [
          ids.filter((id) => typeof id === 'string'),
          principal.sub,
          typeof input.senderUnitId === 'string' ? input.senderUnitId : null,
        ],
        { prepare: true },
      );
      const units = new Map(
        rows.map((r) => [
          r.unit_id,
          {
            unitId: r.unit_id,
            organisationId: r.organisation_id,
            organisationKind: r.organisation_kind,
            status: r.status,
            purpose: r.purpose ?? 'service',
            activeEncryptionKids: r.active_encryption_kids ?? [],
            memberRoles: r.roles,
          },
        ]),
      );
      // Only case-handling roles take part in referrals (the same rule as every other route).
      const acting = principal.roles.some((role) => ACTING_ROLES.includes(role))
        ? actingUnitsOf(
            principal,
            [...units.values()].map((u) => ({
              unitId: u.unitId,
              organisationId: u.organisationId,
              memberRoles: u.memberRoles,
            })),
          )
        : [];
      return { acting, units };
    },

    authorize(input, _actor, loaded) {
      if (!loaded.acting.includes(input.senderUnitId)) {
        throw new ProblemError(P.notMemberOfSender);
      }
    },

    async decide(input, loaded, now) {
      const copies = input.copyUnitIds ?? [];
      const recipients = recipientsOf(input);
      checkSharingRules({
        legalBasis: input.legalBasis as never,
        ageBand: input.ageBand as never,
        justified: input.justification !== undefined,
        senderUnitId: input.senderUnitId,
        recipients: recipients.map((unitId, i) => {
          const unit = loaded.units.get(unitId);
          return {
            unitId,
            organisationKind: (unit?.organisationKind ?? 'other') as OrganisationKind,
            role: i === 0 ? ('recipient' as const) : ('copy' as const),
            // An audit unit never receives referrals: it is refused as an inactive one is.
            status:
              unit && unit.organisationKind !== 'unknown' && unit.purpose !== 'audit'
                ? unit.status
                : 'inactive',
          };
        }),
      });
      const known = unitsForEnvelopeCheck(loaded);
      const info = await deps.checkEnvelope(
        input.envelope,
        {
          rid: input.id,
          from: input.senderUnitId,
          to: recipients,
          kind: 'referral',
          record: { ...input, referralId: input.id, copyUnitIds: copies, forwardedFromId: null },
        },
        undefined,
        known,
      );
      // An acute_protection justification: a note on the new referral's thread, sealed by the
      // sender for every other party and for its own organisation's audit unit
      // (docs/envelope.md "Sealed notes"), checked like a message.
      const senderOrg = loaded.units.get(input.senderUnitId)?.organisationId;
      const auditUnits = [...loaded.units.values()].filter(
        (u) => u.purpose === 'audit' && u.status === 'active' && u.organisationId === senderOrg,
      );
      const noteTo = [...new Set([...recipients, ...auditUnits.map((u) => u.unitId)])].filter(
        (u) => u !== input.senderUnitId,
      );
      if (input.justification) {
        requireAuditRecipients(input.justification.envelope, auditUnits);
      }
      const note = input.justification
        ? {
            id: input.justification.id,
            info: await deps.checkEnvelope(
              input.justification.envelope,
              {
                rid: input.id,
                from: input.senderUnitId,
                to: noteTo,
                kind: 'message',
                record: {
                  referralId: input.id,
                  messageId: input.justification.id,
                  senderUnitId: input.senderUnitId,
                  recipientUnitIds: noteTo,
                },
              },
              undefined,
              known,
            ),
          }
        : null;
      const referral = {
        ...newReferralRecord(input, {
          copyUnitIds: copies,
          justificationMessageId: note?.id ?? null,
          envelopeSize: info.sizeBytes,
          acknowledgeBy: acknowledgeDeadline(input.urgency, now, deps.deadlines),
          forwardedFromId: null,
        }),
        operationId: null,
        fieldRequestId: null,
        createdAt: now,
        updatedAt: now,
      } as unknown as ReferralEntity;
      const partyOrgs = [input.senderUnitId, ...recipients]
        .map((id) => loaded.units.get(id)?.organisationId)
        .filter((org): org is string => typeof org === 'string');
      return { referral, envelopeJson: info.json, note, partyOrgs, acting: loaded.acting };
    },

    persist({ referral: r, envelopeJson, note }, sql) {
      sql.with(
        'ref',
        `INSERT INTO ${table('referrals')} (id, sender_unit_id, recipient_unit_id, copy_unit_ids,
           category, urgency, age_band, gender, citizenship_group, municipality_code, legal_basis,
           justification, justification_message_id, status, envelope, envelope_size, acknowledge_by, handover,
           escalation_level, forwarded_to_ids, version, created_at, updated_at)
         VALUES (${sql.p(r.id, 'uuid')}, ${sql.p(r.senderUnitId, 'uuid')},
           ${sql.p(r.recipientUnitId, 'uuid')}, ${sql.p(r.copyUnitIds, 'uuid[]')},
           ${sql.p(r.category)}, ${sql.p(r.urgency)}, ${sql.p(r.ageBand)}, ${sql.p(r.gender)},
           ${sql.p(r.citizenshipGroup)}, ${sql.p(r.municipalityCode)}, ${sql.p(r.legalBasis)},
           ${sql.p(r.justification)}, ${sql.p(r.justificationMessageId, 'uuid')}, 'sent', ${sql.p(envelopeJson, 'jsonb')},
           ${sql.p(r.envelopeSize, 'int')}, ${sql.p(r.acknowledgeBy, 'timestamptz')},
           ${sql.p(JSON.stringify(r.handover), 'jsonb')}, 0, '{}', 1,
           ${sql.p(r.createdAt, 'timestamptz')}, ${sql.p(r.updatedAt, 'timestamptz')})
         ON CONFLICT (id) DO NOTHING
         RETURNING id, sender_unit_id`,
      );
      const detail = note ? { justificationMessageId: note.id } : {};
      sql.with(
        'timeline',
        `INSERT INTO ${table('referral_events')} (id, referral_id, at, event, actor_unit_id, detail)
         SELECT ${sql.p(randomUUID(), 'uuid')}, id, ${sql.p(r.createdAt, 'timestamptz')}, 'sent',
                sender_unit_id, ${sql.p(JSON.stringify(detail), 'jsonb')}
           FROM ref
         RETURNING 1`,
      );
      if (note) {
        // No ON CONFLICT: a message id already taken fails the whole statement (409), so a
        // referral is never stored without its justification.
        sql.with(
          'note',
          `INSERT INTO ${table('referral_messages')} (id, referral_id, sender_unit_id, envelope,
             envelope_size, created_at)
           SELECT ${sql.p(note.id, 'uuid')}, id, sender_unit_id,
                  ${sql.p(note.info.json, 'jsonb')},
                  ${sql.p(note.info.sizeBytes, 'int')}, ${sql.p(r.createdAt, 'timestamptz')}
             FROM ref
           RETURNING 1`,
        );
      }
      return { guard: 'ref' };
    },

    events: ({ referral }) => [{ type: ReferralEvents.sent, data: eventData(referral) }],

    audit: ({ partyOrgs }) => ({ partyOrgs }),

    answer: ({ referral }) => referralView(referral),

    async onNoChange(input, _actor, { acting }) {
      const existing = await deps.existing(input.id);
      if (existing && isSameSend(existing, input)) {
        // The same send again — a client retrying after the hub committed but could not answer —
        // gets the referral it created, and nothing is written twice.
        return referralView(existing);
      }
      if (existing && !canRead(sideOf({ units: acting }, existing))) {
        throw new ProblemError(P.referralNotFound, `No referral ${input.id} that you can see`);
      }
      throw new ProblemError({
        ...CommonProblems.conflict,
        slug: 'referral-exists',
        code: 'REFERRALS_REFERRAL_EXISTS',
      });
    },
  };
}

/** The envelope checks need the addressed units as the read model's entity shape. */
export function unitsForEnvelopeCheck(loaded: SendLoaded): Map<string, DirectoryUnitEntity> {
  return new Map(
    [...loaded.units.values()].map((u) => [
      u.unitId,
      {
        unitId: u.unitId,
        organisationId: u.organisationId,
        organisationKind: u.organisationKind,
        status: u.status,
        activeEncryptionKids: u.activeEncryptionKids,
      } as unknown as DirectoryUnitEntity,
    ]),
  );
}
