import type { Urgency } from '../domain/deadlines';

export interface FieldRequestCreate {
  id: string;
  requesterUnitId: string;
  urgency: Urgency;
  neededBy: string;
  estimatedPersons: { adults: number; children: number; unknown: number };
  languages: string[];
  flags: { childSuspected: boolean; protectedHousingLikely: boolean; buyerPresent: boolean };
  envelope: Record<string, unknown>;
}
