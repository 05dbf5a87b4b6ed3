import {
  DEMO_AUDIT_UNITS as A,
  DEMO_ORGANISATIONS as O,
  DEMO_UNITS as U,
  luhnCheckDigit,
  MUNICIPALITIES,
} from '@samverkan/shared';
import type { OrganisationInput } from '../services/organisations.service';
import type { UnitInput } from '../services/units.service';

/** The demo directory of docs/architecture.md#the-demo-directory. Public agencies' organisation numbers are public facts. */
const orgNr = (nine: string) => `${nine}${luhnCheckDigit(nine)}`;
const county = (prefix: string) =>
  MUNICIPALITIES.filter((m) => m.code.startsWith(prefix)).map((m) => m.code);
const OSTERGOTLAND = county('05');
const NORD = [...county('22'), ...county('23'), ...county('24'), ...county('25')];
const TZ = 'Europe/Stockholm';
const OFFICE_HOURS = (['mon', 'tue', 'wed', 'thu', 'fri'] as const).map((day) => ({
  day,
  opens: '08:00',
  closes: '17:00',
}));
const ALWAYS = { timeZone: TZ, open247: true, weekly: [] };
const OFFICE = { timeZone: TZ, open247: false, weekly: OFFICE_HOURS };

type OrgSeed = Required<
  Pick<OrganisationInput, 'name' | 'kind' | 'organisationNumber' | 'countyCode'>
> &
  OrganisationInput & { id: string };
type UnitSeed = UnitInput & { id: string; organisationId: string; name: string };

export const DEMO_ORGANISATION_SEEDS: OrgSeed[] = [
  {
    id: O.hub,
    name: 'Samverkan hubbdrift',
    kind: 'other',
    organisationNumber: orgNr('202100999'),
    countyCode: '05',
  },
  {
    id: O.police,
    name: 'Polismyndigheten',
    kind: 'police',
    organisationNumber: '2021000076',
    countyCode: '01',
  },
  {
    id: O.policeOst,
    name: 'Polisen Region Öst',
    kind: 'police',
    organisationNumber: '2021000076',
    countyCode: '05',
    municipalityCode: '0580',
    policeRegion: 'ost',
    parentId: O.police,
  },
  {
    id: O.policeNord,
    name: 'Polisen Region Nord',
    kind: 'police',
    organisationNumber: '2021000076',
    countyCode: '24',
    municipalityCode: '2480',
    policeRegion: 'nord',
    parentId: O.police,
  },
  {
    id: O.norrkoping,
    name: 'Norrköpings kommun, Socialkontoret',
    kind: 'social_services',
    organisationNumber: orgNr('212000045'),
    countyCode: '05',
    municipalityCode: '0581',
  },
  {
    id: O.umea,
    name: 'Umeå kommun, Individ- och familjeomsorgen',
    kind: 'social_services',
    organisationNumber: orgNr('212000248'),
    countyCode: '24',
    municipalityCode: '2480',
  },
  {
    id: O.lansstyrelsen,
    name: 'Länsstyrelsen Östergötland',
    kind: 'county_board',
    organisationNumber: orgNr('202100222'),
    countyCode: '05',
    municipalityCode: '0580',
  },
  {
    id: O.coordinator,
    name: 'Regionkoordinator mot prostitution och människohandel, Östergötland',
    kind: 'regional_coordinator',
    organisationNumber: orgNr('202100222'),
    countyCode: '05',
    municipalityCode: '0580',
    parentId: O.lansstyrelsen,
  },
  {
    id: O.novahuset,
    name: 'Novahuset',
    kind: 'ngo',
    organisationNumber: orgNr('802400123'),
    countyCode: '05',
    municipalityCode: '0581',
  },
  {
    id: O.region,
    name: 'Region Östergötland',
    kind: 'healthcare',
    organisationNumber: orgNr('232100004'),
    countyCode: '05',
    municipalityCode: '0580',
  },
];

export const DEMO_UNIT_SEEDS: UnitSeed[] = [
  {
    id: U.socialjour,
    organisationId: O.norrkoping,
    name: 'Socialjouren Norrköping',
    description:
      'Socialtjänstens jour dygnet runt: akuta skyddsbedömningar och stöd utanför kontorstid.',
    capabilities: [
      'response_24_7',
      'protection_assessment',
      'child_protection',
      'interpreter_ready',
    ],
    coverage: ['0581', '0582', '0583'],
    ageBands: ['adult', 'child'],
    genders: ['female', 'male', 'non_binary'],
    languages: ['sv', 'en'],
    openingHours: ALWAYS,
    contacts: [{ kind: 'phone', value: '+46 11 15 00 00', label: 'Socialjouren (dygnet runt)' }],
  },
  {
    id: U.frideborg,
    organisationId: O.norrkoping,
    name: 'Frideborg',
    description:
      'Våldsenheten: stöd till våldsutsatta, personer i prostitution och utsatta för människohandel.',
    capabilities: [
      'support_talks',
      'protection_assessment',
      'trafficking_expertise',
      'interpreter_ready',
    ],
    coverage: ['0581'],
    ageBands: ['adult'],
    genders: ['female', 'male', 'non_binary'],
    languages: ['sv', 'en', 'ro', 'es'],
    openingHours: OFFICE,
    contacts: [
      { kind: 'secure_email', value: 'frideborg@norrkoping.example', label: 'Säker e-post' },
    ],
    onCallUnitId: U.socialjour,
  },
  {
    id: U.elsa,
    organisationId: O.norrkoping,
    name: 'Kvinnoboendet Elsa',
    description: 'Skyddat boende för kvinnor, även vid människohandel. Adressen lämnas aldrig ut.',
    capabilities: ['protected_housing', 'response_24_7', 'trafficking_expertise'],
    coverage: OSTERGOTLAND,
    ageBands: ['adult'],
    genders: ['female'],
    languages: ['sv', 'en'],
    openingHours: ALWAYS,
    contacts: [{ kind: 'phone', value: '+46 11 15 00 01', label: 'Jourtelefon' }],
    onCallUnitId: U.socialjour,
  },
  {
    id: U.buyersClinic,
    organisationId: O.norrkoping,
    name: 'KAST Norrköping',
    description:
      'Köpare av sexuella tjänster: samtalsstöd för den som köper eller vill sluta köpa sex.',
    capabilities: ['buyers_clinic', 'support_talks'],
    coverage: OSTERGOTLAND,
    ageBands: ['adult'],
    genders: ['male', 'female', 'non_binary'],
    languages: ['sv', 'en'],
    openingHours: OFFICE,
    contacts: [{ kind: 'phone', value: '+46 11 15 00 02' }],
    onCallUnitId: U.socialjour,
  },
  {
    id: U.policeTraffickingOst,
    organisationId: O.policeOst,
    name: 'Människohandelsgruppen Region Öst',
    description:
      'Utredning av människohandel och koppleri i Östergötland, Jönköping och Södermanland.',
    capabilities: ['investigation', 'trafficking_expertise', 'response_24_7'],
    coverage: OSTERGOTLAND,
    ageBands: ['adult', 'child'],
    genders: ['female', 'male', 'non_binary'],
    languages: ['sv', 'en'],
    openingHours: ALWAYS,
    contacts: [{ kind: 'phone', value: '114 14' }],
  },
  {
    id: U.policeResponseNorrkoping,
    organisationId: O.policeOst,
    name: 'Ingripandeverksamheten Norrköping',
    description: 'Lokala ingripandeenheter i Norrköping.',
    capabilities: ['response_24_7'],
    coverage: ['0581'],
    ageBands: ['adult', 'child'],
    genders: ['female', 'male', 'non_binary'],
    languages: ['sv'],
    openingHours: ALWAYS,
    contacts: [{ kind: 'phone', value: '114 14' }],
  },
  {
    id: U.policeTraffickingNord,
    organisationId: O.policeNord,
    name: 'Människohandelsgruppen Region Nord',
    description:
      'Utredning av människohandel i Norrbotten, Västerbotten, Västernorrland och Jämtland.',
    capabilities: ['investigation', 'trafficking_expertise'],
    coverage: NORD,
    ageBands: ['adult', 'child'],
    genders: ['female', 'male', 'non_binary'],
    languages: ['sv', 'en'],
    openingHours: OFFICE,
    contacts: [{ kind: 'phone', value: '114 14' }],
  },
  {
    id: U.coordinator,
    organisationId: O.coordinator,
    name: 'Regionkoordinatorn Östergötland',
    description: 'Tar emot ärenden om människohandel och slussar dem till rätt enhet; följer upp.',
    capabilities: ['trafficking_expertise', 'return_support', 'legal_advice'],
    coverage: OSTERGOTLAND,
    ageBands: ['adult', 'child'],
    genders: ['female', 'male', 'non_binary'],
    languages: ['sv', 'en'],
    openingHours: OFFICE,
    contacts: [{ kind: 'secure_email', value: 'regionkoordinator@lansstyrelsen.example' }],
    // No on-call unit: Socialjouren belongs to another organisation (Norrköping), whose staff
    // cannot act on the coordinator's items; the coordinator's own staff on duty are alerted.
    onCallUnitId: null,
  },
  {
    id: U.novahuset,
    organisationId: O.novahuset,
    name: 'Novahuset stödsamtal',
    description: 'Stödsamtal för personer med erfarenhet av prostitution och sexuell exploatering.',
    capabilities: ['support_talks', 'trafficking_expertise', 'sexual_health'],
    coverage: OSTERGOTLAND,
    ageBands: ['adult'],
    genders: ['female', 'male', 'non_binary'],
    languages: ['sv', 'en', 'es', 'ro', 'th'],
    openingHours: OFFICE,
    contacts: [{ kind: 'phone', value: '+46 8 000 00 00' }],
  },
  {
    id: U.youthClinic,
    organisationId: O.region,
    name: 'Ungdomsmottagningen Norrköping',
    description: 'Sexuell och reproduktiv hälsa för unga upp till 25 år.',
    capabilities: ['sexual_health', 'support_talks'],
    coverage: ['0581', '0582'],
    ageBands: ['child', 'adult'],
    genders: ['female', 'male', 'non_binary'],
    languages: ['sv', 'en'],
    openingHours: OFFICE,
    contacts: [{ kind: 'phone', value: '+46 10 103 00 00' }],
  },
  {
    id: U.womensClinic,
    organisationId: O.region,
    name: 'Kvinnokliniken Vrinnevisjukhuset',
    description: 'Gynekologisk vård, även akut efter sexuellt våld.',
    capabilities: ['sexual_health', 'response_24_7'],
    coverage: OSTERGOTLAND,
    ageBands: ['adult', 'child'],
    genders: ['female'],
    languages: ['sv', 'en'],
    openingHours: ALWAYS,
    contacts: [{ kind: 'phone', value: '+46 10 103 00 01' }],
  },
  {
    id: U.umeaSocial,
    organisationId: O.umea,
    name: 'Relationsvåldsteamet Umeå',
    description: 'Stöd vid våld i nära relationer, prostitution och människohandel.',
    capabilities: ['support_talks', 'protection_assessment', 'trafficking_expertise'],
    coverage: ['2480'],
    ageBands: ['adult'],
    genders: ['female', 'male', 'non_binary'],
    languages: ['sv', 'en', 'fit'],
    openingHours: OFFICE,
    contacts: [{ kind: 'phone', value: '+46 90 16 10 00' }],
  },
  ...(
    [
      [A.norrkoping, O.norrkoping, 'Norrköpings kommun'],
      [A.policeOst, O.policeOst, 'Polisen Region Öst'],
      [A.coordinator, O.coordinator, 'Regionkoordinatorn'],
    ] as const
  ).map(([id, organisationId, orgName]): UnitSeed => ({
    id,
    organisationId,
    purpose: 'audit',
    name: `Revision, ${orgName}`,
    description: 'Organisationens revisorer: öppnar förseglade motiveringar vid granskning.',
    capabilities: [],
    coverage: [],
    ageBands: [],
    genders: [],
    openingHours: OFFICE,
  })),
];
