/**
 * The sharing rules explained before sending (services/referrals/src/domain/sharing-rules.ts is
 * what the hub enforces; this is the same rules told to the person filling in the form, so they
 * are not only refused after): an NGO needs the person's consent, a child's referral needs a
 * social services unit, `acute_protection` needs a justification that names the legal ground.
 */
import type { MessageKey } from '../i18n';

export interface SharingParty {
  unitId: string;
  name: string;
  organisationKind: string;
  role: 'recipient' | 'copy';
}

export interface SharingAdvice {
  /** a rule that stops the send until it is met */
  blocking: boolean;
  key: MessageKey;
  params?: Record<string, string>;
}

export function sharingAdvice(input: {
  legalBasis: string;
  ageBand: string;
  justification?: string;
  parties: SharingParty[];
}): SharingAdvice[] {
  const out: SharingAdvice[] = [];
  for (const p of input.parties.filter((x) => x.organisationKind === 'ngo')) {
    out.push(
      input.legalBasis === 'consent'
        ? { blocking: false, key: 'sharing.ngoConsentOk', params: { unit: p.name } }
        : { blocking: true, key: 'sharing.ngoNeedsConsent', params: { unit: p.name } },
    );
  }
  if (input.ageBand === 'child') {
    out.push(
      input.parties.some((p) => p.organisationKind === 'social_services')
        ? { blocking: false, key: 'sharing.childOk' }
        : { blocking: true, key: 'sharing.childNeedsSocialServices' },
    );
  } else if (input.ageBand === 'unknown') {
    out.push({ blocking: false, key: 'sharing.ageUnknown' });
  }
  if (input.legalBasis === 'acute_protection') {
    out.push(
      (input.justification ?? '').trim() === ''
        ? { blocking: true, key: 'sharing.justificationNeeded' }
        : { blocking: false, key: 'sharing.justificationClear' },
    );
  }
  return out;
}
