/**
 * Swedish counties (län) with their two-digit SCB county codes, and the
 * Swedish Police Authority (Polismyndigheten) region each county belongs to.
 */

/** Slug of one of the seven Swedish police regions. */
export type PoliceRegion = 'nord' | 'mitt' | 'stockholm' | 'ost' | 'vast' | 'syd' | 'bergslagen';

export interface PoliceRegionInfo {
  readonly slug: PoliceRegion;
  readonly name: string;
}

export interface County {
  /** Two-digit SCB county code, e.g. '05'. */
  readonly code: string;
  /** County name without "län", e.g. 'Östergötland'. */
  readonly name: string;
  /** The police region the county belongs to. */
  readonly policeRegion: PoliceRegion;
}

export const POLICE_REGIONS: readonly PoliceRegionInfo[] = Object.freeze(
  (
    [
      { slug: 'nord', name: 'Polisregion Nord' },
      { slug: 'mitt', name: 'Polisregion Mitt' },
      { slug: 'stockholm', name: 'Polisregion Stockholm' },
      { slug: 'ost', name: 'Polisregion Öst' },
      { slug: 'vast', name: 'Polisregion Väst' },
      { slug: 'syd', name: 'Polisregion Syd' },
      { slug: 'bergslagen', name: 'Polisregion Bergslagen' },
    ] as const satisfies readonly PoliceRegionInfo[]
  ).map((r) => Object.freeze({ ...r })),
);

export const COUNTIES: readonly County[] = Object.freeze(
  (
    [
      { code: '01', name: 'Stockholm', policeRegion: 'stockholm' },
      { code: '03', name: 'Uppsala', policeRegion: 'mitt' },
      { code: '04', name: 'Södermanland', policeRegion: 'ost' },
      { code: '05', name: 'Östergötland', policeRegion: 'ost' },
      { code: '06', name: 'Jönköping', policeRegion: 'ost' },
      { code: '07', name: 'Kronoberg', policeRegion: 'syd' },
      { code: '08', name: 'Kalmar', policeRegion: 'syd' },
      { code: '09', name: 'Gotland', policeRegion: 'stockholm' },
      { code: '10', name: 'Blekinge', policeRegion: 'syd' },
      { code: '12', name: 'Skåne', policeRegion: 'syd' },
      { code: '13', name: 'Halland', policeRegion: 'vast' },
      { code: '14', name: 'Västra Götaland', policeRegion: 'vast' },
      { code: '17', name: 'Värmland', policeRegion: 'bergslagen' },
      { code: '18', name: 'Örebro', policeRegion: 'bergslagen' },
      { code: '19', name: 'Västmanland', policeRegion: 'mitt' },
      { code: '20', name: 'Dalarna', policeRegion: 'bergslagen' },
      { code: '21', name: 'Gävleborg', policeRegion: 'mitt' },
      { code: '22', name: 'Västernorrland', policeRegion: 'nord' },
      { code: '23', name: 'Jämtland', policeRegion: 'nord' },
      { code: '24', name: 'Västerbotten', policeRegion: 'nord' },
      { code: '25', name: 'Norrbotten', policeRegion: 'nord' },
    ] as const satisfies readonly County[]
  ).map((c) => Object.freeze({ ...c })),
);

const BY_CODE: ReadonlyMap<string, County> = new Map(COUNTIES.map((c) => [c.code, c]));
const REGION_SLUGS: ReadonlySet<string> = new Set(POLICE_REGIONS.map((r) => r.slug));

/** True when `code` is the two-digit code of an existing Swedish county. */
export function isCountyCode(code: string): boolean {
  return typeof code === 'string' && BY_CODE.has(code);
}

/** The county's name (e.g. 'Östergötland' for '05'), or undefined for an unknown code. */
export function countyName(code: string): string | undefined {
  return BY_CODE.get(code)?.name;
}

/** The police region of a county (e.g. 'ost' for '05'), or undefined for an unknown code. */
export function policeRegionOfCounty(code: string): PoliceRegion | undefined {
  return BY_CODE.get(code)?.policeRegion;
}

/** True when `slug` is one of the seven police region slugs. */
export function isPoliceRegion(slug: string): slug is PoliceRegion {
  return typeof slug === 'string' && REGION_SLUGS.has(slug);
}
