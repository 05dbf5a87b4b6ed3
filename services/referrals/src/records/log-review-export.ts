import type { ReviewView } from './log-reviews.service';
import { csv, esc, page, swedishTime, table } from './printable';

const REASON_SV: Record<string, string> = {
  sampled: 'Stickprov',
  outside_office_hours: 'Utanför kontorstid och pass',
  unusual_volume: 'Ovanligt många läsningar',
  after_decline: 'Efter avböjande',
  after_withdrawal: 'Efter återkallande',
  acute_protection_override: 'Akut skydd (undantag)',
  repeated_denials: 'Upprepade nekanden',
};

const FINDING_SV: Record<string, string> = {
  appropriate: 'Befogad',
  inappropriate: 'Obefogad',
  needs_follow_up: 'Följs upp',
};

export function logReviewCsv(review: ReviewView): string {
  return csv(
    [
      'item',
      'audit_seq',
      'at',
      'person',
      'issuer',
      'organisation',
      'action',
      'object_type',
      'object_id',
      'outcome',
      'reasons',
      'finding',
      'finding_reference',
      'found_by',
      'found_at',
    ],
    review.items.map((i) => [
      i.itemNo,
      i.auditSeq,
      i.at,
      i.person,
      i.issuer,
      i.organisationId,
      i.action,
      i.objectType,
      i.objectId,
      i.outcome,
      i.reasons.join(' '),
      i.finding,
      i.findingReference,
      person(i.foundBy),
      i.foundAt,
    ]),
  );
}

/** A person as issuer and subject, as people read them: `subject (issuer)`. */
function person(p: { issuer: string | null; subject: string } | null): string {
  return p ? (p.issuer ? `${p.subject} (${p.issuer})` : p.subject) : '';
}

/** The printable log review in Swedish, times in Europe/Stockholm. */
export function logReviewHtml(review: ReviewView): string {
  const status =
    review.status === 'signed_off'
      ? `Signerad ${esc(swedishTime(review.signedOffAt))} av ${esc(person(review.signedOffBy))} — ${
          review.conclusion === 'remarks' ? 'med anmärkningar' : 'utan anmärkningar'
        }`
      : 'Pågående, inte signerad';
  const body = `<h1>Logguppföljning ${esc(swedishTime(review.from))} – ${esc(swedishTime(review.to))}</h1>
<p>Organisation: ${esc(review.organisationId)}<br>
Skapad ${esc(swedishTime(review.createdAt))} av ${esc(person(review.createdBy))}<br>
Status: ${status}</p>
<p class="note">Innehållsläsningar under perioden: ${review.readsInPeriod}. Stickprov: ${review.sampleSize}
(frö ${esc(review.seed)}). Granskningen omfattar granskningsloggen till och med post ${review.headSeq}.</p>
<h2>Bedömningar</h2>
${table(
  ['Befogade', 'Obefogade', 'Följs upp', 'Ej bedömda'],
  [
    [
      review.findings.appropriate,
      review.findings.inappropriate,
      review.findings.needs_follow_up,
      review.findings.open,
    ],
  ],
  [0, 1, 2, 3],
)}
<h2>Poster</h2>
${table(
  [
    'Nr',
    'Tid',
    'Person',
    'Organisation',
    'Åtgärd',
    'Objekt',
    'Utfall',
    'Skäl',
    'Bedömning',
    'Referens',
  ],
  review.items.map((i) => [
    i.itemNo,
    swedishTime(i.at),
    i.person,
    i.organisationId,
    i.action,
    `${i.objectType} ${i.objectId ?? ''}`,
    i.outcome === 'denied' ? 'nekad' : 'tillåten',
    i.reasons.map((r) => REASON_SV[r] ?? r).join(', '),
    i.finding ? FINDING_SV[i.finding] : '—',
    i.findingReference,
  ]),
  [0],
)}`;
  return page(`Logguppföljning ${review.id}`, body);
}
