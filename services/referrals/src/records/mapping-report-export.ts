import type { MappingReport } from './mapping-report.service';
import { barChart, csv, esc, page, swedishTime, table } from './printable';

type Encounters = MappingReport['operationTotals']['encounters'];

const DIMENSION_SV: Record<string, string> = {
  category: 'Kategori',
  ageBand: 'Åldersgrupp',
  gender: 'Kön',
  citizenshipGroup: 'Medborgarskap',
};

const ENCOUNTER_ROWS: Array<[keyof Encounters, string]> = [
  ['peopleMet', 'Personer mötta'],
  ['supportOffered', 'Erbjudna stöd'],
  ['supportAccepted', 'Tackade ja till stöd'],
  ['protectedHousingArranged', 'Skyddat boende ordnat'],
  ['buyersMet', 'Sexköpare mötta'],
  ['buyersOfferedClinic', 'Sexköpare erbjudna KAST'],
  ['referralsCreated', 'Remisser skapade'],
];

/** The report as `section,municipality,dimension,value,count` rows (RFC 4180, CRLF). */
export function mappingReportCsv(report: MappingReport): string {
  const rows: unknown[][] = [];
  for (const m of report.municipalities) {
    rows.push(['referrals', m.code, 'total', '', m.referrals]);
    rows.push([
      'referrals',
      m.code,
      'medianMinutesToAcknowledge',
      '',
      m.medianMinutesToAcknowledge,
    ]);
    for (const [dimension, list] of [
      ['category', m.byCategory],
      ['ageBand', m.byAgeBand],
      ['gender', m.byGender],
      ['citizenshipGroup', m.byCitizenshipGroup],
    ] as const) {
      for (const cell of list) {
        rows.push(['referrals', m.code, dimension, cell.key, cell.count]);
      }
    }
  }
  const encounterRows = (section: string, id: string, e: Encounters) => {
    for (const [key] of ENCOUNTER_ROWS) {
      rows.push([section, id, key, '', e[key]]);
    }
    for (const [dimension, list] of [
      ['peopleByGender', e.byGender],
      ['peopleByAgeBand', e.byAgeBand],
      ['peopleByCitizenshipGroup', e.byCitizenshipGroup],
    ] as const) {
      for (const cell of list) {
        rows.push([section, id, dimension, cell.key, cell.count]);
      }
    }
  };
  for (const o of report.operations) {
    rows.push(['operation', o.operationId, 'name', o.name, '']);
    rows.push(['operation', o.operationId, 'fieldRequests', '', o.fieldRequests]);
    rows.push([
      'operation',
      o.operationId,
      'requestToClaim.medianMinutes',
      '',
      o.responseTimes.requestToClaim.medianMinutes,
    ]);
    rows.push([
      'operation',
      o.operationId,
      'claimToOnSite.medianMinutes',
      '',
      o.responseTimes.claimToOnSite.medianMinutes,
    ]);
    encounterRows('operation', o.operationId, o.encounters);
  }
  encounterRows('operations_total', report.county.code, report.operationTotals.encounters);
  return csv(['section', 'municipality_or_operation', 'dimension', 'value', 'count'], rows);
}

/** The printable mapping report in Swedish: tables and inline SVG charts, no script. */
export function mappingReportHtml(report: MappingReport): string {
  const title = `Kartläggning ${report.county.name} län ${report.from} – ${report.to}`;
  const perMunicipality = report.municipalities.filter((m) => m.referrals !== '<5');
  const dimensionTables = (['category', 'ageBand', 'gender', 'citizenshipGroup'] as const)
    .map((d) => {
      const key = `by${d[0]!.toUpperCase()}${d.slice(1)}` as
        'byCategory' | 'byAgeBand' | 'byGender' | 'byCitizenshipGroup';
      const rows = report.municipalities.flatMap((m) =>
        m[key].map((cell) => [`${m.name} (${m.code})`, cell.key, cell.count]),
      );
      return rows.length
        ? `<h3>${esc(DIMENSION_SV[d])}</h3>\n${table(['Kommun', DIMENSION_SV[d]!, 'Antal'], rows, [2])}`
        : '';
    })
    .join('\n');
  const totals = report.operationTotals;
  const body = `<h1>${esc(title)}</h1>
<p class="note">Skapad ${esc(swedishTime(report.generatedAt))}. Alla antal är skyddade med
cellnyckelmetoden: varje antal avviker högst ±${report.disclosureControl.maxDeviation} från det sanna,
antal under ${report.disclosureControl.threshold} visas som &lt;${report.disclosureControl.threshold}.
Antal går därför inte att summera; summor är egna celler.</p>
<h2>Remisser per kommun</h2>
${barChart(
  'Remisser per kommun',
  perMunicipality.map((m) => ({ label: m.name, value: m.referrals })),
)}
${table(
  ['Kommun', 'Kod', 'Remisser', 'Median minuter till kvittens'],
  report.municipalities.map((m) => [
    m.name,
    m.code,
    m.referrals,
    m.medianMinutesToAcknowledge ?? '–',
  ]),
  [2, 3],
)}
<h2>Remisser efter kategori, ålder, kön och medborgarskap</h2>
${dimensionTables || '<p>Inga remisser under perioden.</p>'}
<h2>Insatsveckor</h2>
${table(
  [
    'Insats',
    'Period',
    'Status',
    'Fältförfrågningar',
    'Median min. till åtagande',
    'Median min. till på plats',
    'Personer mötta',
    'Sexköpare mötta',
    'Erbjudna KAST',
  ],
  report.operations.map((o) => [
    o.name,
    `${swedishTime(o.startsAt)} – ${swedishTime(o.endsAt)}`,
    o.status,
    o.fieldRequests,
    o.responseTimes.requestToClaim.medianMinutes ?? '–',
    o.responseTimes.claimToOnSite.medianMinutes ?? '–',
    o.encounters.peopleMet,
    o.encounters.buyersMet,
    o.encounters.buyersOfferedClinic,
  ]),
  [3, 4, 5, 6, 7, 8],
)}
<h2>Möten under insatserna, totalt</h2>
<p class="note">${totals.operations} insatser, ${totals.fieldRequests} fältförfrågningar.</p>
${barChart(
  'Möten under insatserna',
  ENCOUNTER_ROWS.map(([key, label]) => ({
    label,
    value: totals.encounters[key] as number | string,
  })),
)}
${barChart(
  'Personer mötta efter kön',
  totals.encounters.byGender.map((c) => ({ label: c.key, value: c.count })),
)}
${barChart(
  'Personer mötta efter medborgarskap',
  totals.encounters.byCitizenshipGroup.map((c) => ({ label: c.key, value: c.count })),
)}`;
  return page(title, body);
}
