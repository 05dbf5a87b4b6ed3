import type { Role } from '../auth/principal';

/**
 * Fixed ids of the demo directory (docs/architecture.md#the-demo-directory), shared by the directory's seed, the token
 * command and the tests of every service. Users are named by role, never as invented people.
 */
export const DEMO_ORGANISATIONS = {
  hub: '00000000-0000-4000-8000-000000000001',
  norrkoping: '10000000-0000-4000-8000-000000000581',
  policeOst: '20000000-0000-4000-8000-000000000005',
  policeNord: '20000000-0000-4000-8000-000000000024',
  police: '20000000-0000-4000-8000-000000000000',
  coordinator: '30000000-0000-4000-8000-000000000005',
  novahuset: '40000000-0000-4000-8000-000000000001',
  region: '50000000-0000-4000-8000-000000000005',
  lansstyrelsen: '60000000-0000-4000-8000-000000000005',
  umea: '10000000-0000-4000-8000-000000002480',
} as const;

export const DEMO_UNITS = {
  frideborg: '11000000-0000-4000-8000-000000000001',
  socialjour: '11000000-0000-4000-8000-000000000002',
  elsa: '11000000-0000-4000-8000-000000000003',
  buyersClinic: '11000000-0000-4000-8000-000000000004',
  policeTraffickingOst: '21000000-0000-4000-8000-000000000001',
  policeResponseNorrkoping: '21000000-0000-4000-8000-000000000002',
  policeTraffickingNord: '21000000-0000-4000-8000-000000000003',
  coordinator: '31000000-0000-4000-8000-000000000001',
  novahuset: '41000000-0000-4000-8000-000000000001',
  youthClinic: '51000000-0000-4000-8000-000000000001',
  womensClinic: '51000000-0000-4000-8000-000000000002',
  umeaSocial: '12000000-0000-4000-8000-000000000001',
} as const;

/**
 * The audit units of the demo organisations that send or forward acute_protection referrals
 * (docs/envelope.md "Sealed notes"): their keys open the justifications the organisation sends;
 * their members are its auditors. Kept to three: every seeded unit costs start-up time.
 */
export const DEMO_AUDIT_UNITS = {
  norrkoping: '19000000-0000-4000-8000-000000000581',
  policeOst: '29000000-0000-4000-8000-000000000005',
  coordinator: '39000000-0000-4000-8000-000000000005',
} as const;

export interface DemoUser {
  sub: string;
  org: string;
  units: string[];
  roles: Role[];
}

const O = DEMO_ORGANISATIONS;
const U = DEMO_UNITS;

export const DEMO_USERS: Record<string, DemoUser> = {
  'police.officer': {
    sub: 'police.officer',
    org: O.policeOst,
    units: [U.policeTraffickingOst],
    roles: ['officer'],
  },
  'police-nord.officer': {
    sub: 'police-nord.officer',
    org: O.policeNord,
    units: [U.policeTraffickingNord],
    roles: ['officer'],
  },
  'frideborg.caseworker': {
    sub: 'frideborg.caseworker',
    org: O.norrkoping,
    units: [U.frideborg],
    roles: ['caseworker'],
  },
  'socialjour.caseworker': {
    sub: 'socialjour.caseworker',
    org: O.norrkoping,
    units: [U.socialjour],
    roles: ['caseworker'],
  },
  'elsa.caseworker': {
    sub: 'elsa.caseworker',
    org: O.norrkoping,
    units: [U.elsa],
    roles: ['caseworker'],
  },
  'coordinator.ostergotland': {
    sub: 'coordinator.ostergotland',
    org: O.coordinator,
    units: [U.coordinator],
    roles: ['coordinator'],
  },
  'novahuset.caseworker': {
    sub: 'novahuset.caseworker',
    org: O.novahuset,
    units: [U.novahuset],
    roles: ['caseworker'],
  },
  'region.caseworker': {
    sub: 'region.caseworker',
    org: O.region,
    units: [U.youthClinic],
    roles: ['caseworker'],
  },
  'umea.caseworker': {
    sub: 'umea.caseworker',
    org: O.umea,
    units: [U.umeaSocial],
    roles: ['caseworker'],
  },
  'norrkoping.admin': {
    sub: 'norrkoping.admin',
    org: O.norrkoping,
    units: [],
    roles: ['org_admin'],
  },
  'police.admin': { sub: 'police.admin', org: O.policeOst, units: [], roles: ['org_admin'] },
  'novahuset.admin': { sub: 'novahuset.admin', org: O.novahuset, units: [], roles: ['org_admin'] },
  'coordinator.admin': {
    sub: 'coordinator.admin',
    org: O.coordinator,
    units: [],
    roles: ['org_admin'],
  },
  'lansstyrelsen.analyst': {
    sub: 'lansstyrelsen.analyst',
    org: O.lansstyrelsen,
    units: [],
    roles: ['analyst'],
  },
  'norrkoping.auditor': {
    sub: 'norrkoping.auditor',
    org: O.norrkoping,
    units: [DEMO_AUDIT_UNITS.norrkoping],
    roles: ['auditor'],
  },
  'police.auditor': {
    sub: 'police.auditor',
    org: O.policeOst,
    units: [DEMO_AUDIT_UNITS.policeOst],
    roles: ['auditor'],
  },
  'hub.admin': { sub: 'hub.admin', org: O.hub, units: [], roles: ['hub_admin'] },
};

export type DemoUserName = keyof typeof DEMO_USERS;
