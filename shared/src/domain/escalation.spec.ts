import fs from 'node:fs';
import path from 'node:path';
import {
  coordinatorTargets,
  escalatesToCoordinator,
  escalationTargets,
  isTraffickingCategory,
  onCallTargets,
  sameOrganisationCover,
  TRAFFICKING_CATEGORIES,
} from './escalation';

const ROOT = path.resolve(__dirname, '../../..');

describe('the escalation rule', () => {
  const recipient = { id: 'frideborg', onCallUnitId: 'socialjour' };
  const coordinators = ['coordinator-ostergotland'];

  it('level 1: the on-call cover, or the unit itself; level 2 only for trafficking and field requests', () => {
    expect(
      escalationTargets({
        objectType: 'referral',
        category: 'trafficking_sexual',
        units: [recipient],
        coordinatorUnitIds: coordinators,
      }),
    ).toEqual([
      { level: 1, kind: 'unit_on_call', unitId: 'socialjour' },
      { level: 2, kind: 'coordinator', unitId: 'coordinator-ostergotland' },
    ]);
    expect(
      escalationTargets({
        objectType: 'referral',
        category: 'buyer_support',
        units: [{ id: 'frideborg', onCallUnitId: null }],
        coordinatorUnitIds: coordinators,
      }),
    ).toEqual([{ level: 1, kind: 'unit_on_call', unitId: 'frideborg' }]);
    expect(
      escalationTargets({
        objectType: 'field_request',
        category: null,
        units: [
          recipient,
          { id: 'other', onCallUnitId: 'socialjour' },
          { id: 'third', onCallUnitId: null },
        ],
        coordinatorUnitIds: ['socialjour', 'op-coordinator'],
      }).map((t) => `${t.level} ${t.unitId}`),
    ).toEqual(['1 socialjour', '1 third', '2 op-coordinator']);
  });

  it('never escalates a coordinator unit to itself', () => {
    expect(
      escalationTargets({
        objectType: 'referral',
        category: 'trafficking_labour',
        units: [{ id: 'coordinator-ostergotland', onCallUnitId: null }],
        coordinatorUnitIds: coordinators,
      }),
    ).toEqual([{ level: 1, kind: 'unit_on_call', unitId: 'coordinator-ostergotland' }]);
    expect(coordinatorTargets(['a', 'b', 'a'], ['b'])).toEqual(['a']);
  });

  it('the trafficking categories', () => {
    for (const category of TRAFFICKING_CATEGORIES) {
      expect(isTraffickingCategory(category)).toBe(true);
      expect(escalatesToCoordinator({ objectType: 'referral', category })).toBe(true);
    }
    expect(isTraffickingCategory('prostitution')).toBe(false);
    expect(isTraffickingCategory(null)).toBe(false);
  });

  it('covers only with an active unit of the same organisation', () => {
    const unit = { organisationId: 'norrkoping', onCallUnitId: 'x' };
    const cover = (organisationId: string, status = 'active') => ({
      unitId: 'x',
      organisationId,
      status,
    });
    expect(sameOrganisationCover(unit, cover('norrkoping'))).toBe('x');
    expect(sameOrganisationCover(unit, cover('police'))).toBeNull();
    expect(sameOrganisationCover(unit, cover('norrkoping', 'inactive'))).toBeNull();
    expect(onCallTargets(['a', 'b'], (id) => (id === 'a' ? 'x' : null))).toEqual(['x', 'b']);
  });
});

/**
 * One owner: the referrals service's deadline watchers and the notifications service's timers
 * take the rule from here. This fails when either keeps (or grows back) a copy of its own.
 */
describe('one copy of the escalation rule', () => {
  const sources = (dir: string): string[] =>
    fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) {
        return e.name === 'generated' ? [] : sources(p);
      }
      return e.name.endsWith('.ts') && !e.name.endsWith('.spec.ts') ? [p] : [];
    });

  it('no service lists the trafficking categories for escalation itself', () => {
    const copies = ['referrals', 'notifications', 'directory']
      .flatMap((service) => sources(path.join(ROOT, 'services', service, 'src')))
      .filter((file) => {
        const text = fs.readFileSync(file, 'utf8');
        // A list of the categories (an array or set literal), not labels for them.
        return /\[\s*'trafficking_sexual',\s*'trafficking_labour'/.test(text);
      })
      .map((file) => path.relative(ROOT, file));
    expect(copies).toEqual([]);
  });

  it('both engines decide through the shared rule', () => {
    const uses = (file: string, ...names: string[]) => {
      const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
      return names.filter((n) => !new RegExp(`\\b${n}\\(`).test(text));
    };
    expect(
      uses('services/referrals/src/services/deadline-watcher.ts', 'escalationTargets'),
    ).toEqual([]);
    expect(uses('services/referrals/src/domain/field-requests.ts', 'escalationTargets')).toEqual(
      [],
    );
    expect(uses('services/notifications/src/domain/escalation.ts', 'escalationTargets')).toEqual(
      [],
    );
  });
});
