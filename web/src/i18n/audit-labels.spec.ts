/**
 * Every audit action and object type the services write has a label in both languages. The
 * actions are found where they are written: the quoted `<object>.<verb>` strings of the services'
 * and shared/'s sources, and the template ones (`referral.${action}` …) expanded with the union
 * or list of their verbs, read from the file that declares it.
 */
import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import {
  auditActionLabel,
  auditObjectLabel,
  enAuditActions,
  enAuditObjects,
  svAuditActions,
  svAuditObjects,
} from './audit-labels';

const root = path.resolve(__dirname, '../../..');
const sourceDirs = [
  'services/referrals/src',
  'services/notifications/src',
  'services/directory/src',
  'shared/src',
];

function sources(dir: string): Array<{ file: string; text: string }> {
  return readdirSync(path.join(root, dir), { withFileTypes: true, recursive: true })
    .filter(
      (e) =>
        e.isFile() &&
        e.name.endsWith('.ts') &&
        !e.name.endsWith('.spec.ts') &&
        !e.name.endsWith('.d.ts') &&
        !e.parentPath.includes(`${path.sep}generated`) &&
        !e.parentPath.includes(`${path.sep}testing`),
    )
    .map((e) => {
      const file = path.join(e.parentPath, e.name);
      return { file: path.relative(root, file), text: readFileSync(file, 'utf8') };
    });
}
const all = sourceDirs.flatMap(sources);

/** the objects actions are named after (`<object>.<verb>`) */
const PREFIXES =
  'audit|referral|field_request|operation|statistics|notification|notification_preferences|webhook|dead_letter|organisation|issuer|unit|device|key_log';
/** quoted strings that look like actions but are not audited ones */
const NOT_ACTIONS = new Set([
  'notification.created', // a webhook event type
]);

/** the quoted strings of a declaration, e.g. `export type FieldRequestAction = 'a' | 'b';` */
function declared(file: string, start: RegExp): string[] {
  const text = readFileSync(path.join(root, file), 'utf8');
  const at = text.search(start);
  expect({ file, start: String(start), found: at >= 0 }).toEqual(
    expect.objectContaining({ found: true }),
  );
  const body = text.slice(at, text.indexOf(';', at));
  return [...body.matchAll(/'([a-z_]+)'/g)].map((m) => m[1]!);
}

/** each template action of the sources, with where its verbs are declared */
const TEMPLATES: Record<string, () => string[]> = {
  'referral.${action}': () =>
    declared('services/referrals/src/domain/referral-lifecycle/model.ts', /REFERRAL_ACTIONS = \[/),
  'field_request.${action}': () =>
    declared('services/referrals/src/domain/field-requests.ts', /type FieldRequestAction =/),
  'operation.${action}': () =>
    declared('services/referrals/src/domain/operations.ts', /type OperationAction =/),
  'notification.${action}': () =>
    declared('services/notifications/src/domain/inbox.ts', /type InboxAction =/),
  'notification.${state}_bulk': () =>
    declared('services/notifications/src/inbox/commands.ts', /state: 'read'/),
  'operation.participation_${answer}': () =>
    declared('services/referrals/src/operations/operations.commands.ts', /answer: 'accept'/),
  'unit.${action}': () =>
    declared('services/directory/src/domain/key-changes.ts', /type UnitKeyAction =/),
};

function writtenActions(): Set<string> {
  const found = new Set<string>();
  const quoted = new RegExp(`'((?:${PREFIXES})\\.[a-z_]+)'`, 'g');
  const template = new RegExp(`\`((?:${PREFIXES})\\.[a-z_]*\\$\\{(\\w+)\\}[a-z_]*)\``, 'g');
  for (const { file, text } of all) {
    for (const m of text.matchAll(quoted)) {
      if (!NOT_ACTIONS.has(m[1]!)) {
        found.add(m[1]!);
      }
    }
    for (const m of text.matchAll(template)) {
      const expand = TEMPLATES[m[1]!];
      expect({ template: m[1], file, known: !!expand }).toEqual(
        expect.objectContaining({ known: true }),
      );
      const [prefix, rest] = m[1]!.split(/\$\{\w+\}/) as [string, string];
      for (const verb of expand!()) {
        found.add(`${prefix}${verb}${rest}`);
      }
    }
  }
  return found;
}

function writtenObjectTypes(): Set<string> {
  const found = new Set<string>();
  for (const { text } of all) {
    for (const m of text.matchAll(/objectType: '([a-z_]+)'/g)) {
      found.add(m[1]!);
    }
  }
  return found;
}

describe("the auditor's log in words", () => {
  it('finds the actions where the services write them (the scan itself works)', () => {
    const actions = writtenActions();
    for (const known of [
      'referral.send',
      'referral.acknowledge',
      'audit.review_list',
      'unit.key_revoked',
      'notification.read_bulk',
      'field_request.en_route',
    ]) {
      expect(actions).toContain(known);
    }
    expect(writtenObjectTypes()).toContain('audit_review');
  });

  it('has a Swedish and an English label for every action the services write', () => {
    const missing = [...writtenActions()].filter(
      (a) => !Object.hasOwn(svAuditActions, a) || !Object.hasOwn(enAuditActions, a),
    );
    expect(missing).toEqual([]);
  });

  it('has a Swedish and an English label for every object type the services write', () => {
    const missing = [...writtenObjectTypes()].filter(
      (o) => !Object.hasOwn(svAuditObjects, o) || !Object.hasOwn(enAuditObjects, o),
    );
    expect(missing).toEqual([]);
  });

  it('labels no action nobody writes (a renamed one is not left behind)', () => {
    const written = writtenActions();
    expect(Object.keys(svAuditActions).filter((a) => !written.has(a))).toEqual([]);
  });

  it('shows words, and the code itself for one it does not know', () => {
    expect(auditActionLabel('sv', 'audit.review_list')).toBe('Lista loggenomgångar');
    expect(auditActionLabel('en', 'referral.send')).toBe('Send a referral');
    expect(auditObjectLabel('sv', 'audit_review')).toBe('Loggenomgång');
    expect(auditActionLabel('sv', 'referral.teleport')).toBe('referral.teleport');
    expect(auditObjectLabel('sv', 'spaceship')).toBe('spaceship');
    expect(auditActionLabel('sv', 'toString')).toBe('toString');
  });
});
