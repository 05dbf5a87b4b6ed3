import type { NotificationKind, ObjectType, Severity } from './kinds';

/**
 * The facts a notification's text may be built from — and nothing else. Every value is an id
 * or a member of a closed list that is looked up in a table below, so no free text from an
 * event (or anything about a person) can reach a title or body.
 */
export interface NotificationFacts {
  kind: NotificationKind;
  objectType: ObjectType;
  objectId: string;
  unitId: string | null;
  category?: string;
  urgency?: string;
  /** the status change or outcome, from a closed list */
  change?: string;
  /** escalation level */
  level?: number;
}

export interface NotificationText {
  severity: Severity;
  requiresAck: boolean;
  title: string;
  body: string;
  link: string;
}

// Swedish, as the people who read them (and every other text of the hub's): the words the web
// uses for the same things (ärende, fältförfrågan, insats).
const CATEGORY: Record<string, string> = {
  trafficking_sexual: 'människohandel för sexuella ändamål',
  trafficking_labour: 'människohandel för arbete',
  sex_for_compensation: 'sex mot ersättning',
  child_sexual_exploitation: 'sexuell exploatering av barn',
  buyer_support: 'stöd till sexköpare',
  other: 'annat',
};

const URGENCY: Record<string, string> = { acute: 'Akut', urgent: 'Brådskande', routine: 'Rutin' };

const REFERRAL_CHANGE: Record<string, string> = {
  acknowledged: 'har kvitterats av den mottagande enheten',
  accepted: 'har tagits emot av den mottagande enheten',
  declined: 'har avböjts av den mottagande enheten',
  forwarded: 'har skickats vidare av koordinatorn',
  withdrawn: 'har dragits tillbaka av den sändande enheten',
  handover_planned: 'har en planerad överlämning',
  handover_confirmed: 'har fått sin överlämning bekräftad',
  closed: 'har avslutats',
};

const FIELD_REQUEST_CHANGE: Record<string, string> = {
  claimed: 'har tagits',
  en_route: 'har en socialsekreterare på väg',
  on_site: 'har en socialsekreterare på plats',
  completed: 'har slutförts',
  cancelled: 'har ställts in',
};

const OPERATION_CHANGE: Record<string, string> = {
  accepted: 'En enhet har tackat ja till att delta i insatsen',
  declined: 'En enhet har tackat nej till att delta i insatsen',
  activated: 'Insatsen är nu igång',
  completed: 'Insatsen har slutförts',
  cancelled: 'Insatsen har ställts in',
};

const LINK: Record<ObjectType, string> = {
  referral: '/v1/referrals/',
  field_request: '/v1/field-requests/',
  operation: '/v1/operations/',
  webhook_endpoint: '/v1/webhooks/',
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function lookup(table: Record<string, string>, key: string | undefined, fallback: string): string {
  return key !== undefined && Object.prototype.hasOwnProperty.call(table, key)
    ? table[key]!
    : fallback;
}

export function severityOf(
  facts: Pick<NotificationFacts, 'kind' | 'urgency' | 'change'>,
): Severity {
  switch (facts.kind) {
    case 'referral_received':
      return facts.urgency === 'acute'
        ? 'critical'
        : facts.urgency === 'urgent'
          ? 'high'
          : 'normal';
    case 'referral_escalated':
    case 'field_request_created':
    case 'field_request_escalated':
    case 'notification_escalated':
      return 'critical';
    case 'field_request_status_changed':
      return facts.change === 'cancelled' ? 'high' : 'normal';
    case 'webhook_endpoint_disabled':
      return 'high';
    case 'referral_copy_received':
    case 'referral_status_changed':
    case 'referral_message_posted':
    case 'field_request_taken':
    case 'operation_invitation':
    case 'operation_participation_changed':
    case 'operation_status_changed':
      return 'normal';
  }
}

/** Title, body, link and severity of a notification, from its facts only. */
export function notificationText(facts: NotificationFacts): NotificationText {
  if (!UUID.test(facts.objectId)) {
    throw new Error('objectId must be a UUID');
  }
  const severity = severityOf(facts);
  const category = lookup(CATEGORY, facts.category, 'ospecificerad kategori');
  const urgency = lookup(URGENCY, facts.urgency, 'Ospecificerad brådska');
  const link = `${LINK[facts.objectType]}${facts.objectId.toLowerCase()}`;
  let title: string;
  let body: string;
  switch (facts.kind) {
    case 'referral_received':
      title = `${urgency}: nytt ärende till enheten`;
      body = `Enheten har fått ett ärende (${category}). Öppna det för att läsa och kvittera.`;
      break;
    case 'referral_copy_received':
      title = 'Kopia av ett ärende';
      body = `Enheten har fått en kopia av ett ärende (${category}, ${urgency.toLowerCase()}).`;
      break;
    case 'referral_status_changed':
      title = 'Ärendet har uppdaterats';
      body = `Ett ärende (${category}) ${lookup(REFERRAL_CHANGE, facts.change, 'har bytt status')}.`;
      break;
    case 'referral_message_posted':
      title = 'Nytt meddelande i ett ärende';
      body = `Ett nytt krypterat meddelande har skrivits i ett ärende (${category}).`;
      break;
    case 'referral_escalated':
      title = `Eskalerat: ${urgency.toLowerCase()} ärende inte kvitterat`;
      body = `Ett ärende (${category}) kvitterades inte i tid och har eskalerats till enheten.`;
      break;
    case 'field_request_created':
      title = `${urgency} fältförfrågan: socialsekreterare behövs på plats`;
      body =
        'Polisen ber om en socialsekreterare på plats under en insats. Öppna den för att ta den.';
      break;
    case 'field_request_taken':
      title = 'Fältförfrågan tagen';
      body = 'En fältförfrågan som enheten larmades om har tagits av någon i en annan enhet.';
      break;
    case 'field_request_status_changed':
      title = 'Fältförfrågan uppdaterad';
      body = `En fältförfrågan ${lookup(FIELD_REQUEST_CHANGE, facts.change, 'har bytt status')}.`;
      break;
    case 'field_request_escalated':
      title = `Eskalerat: ${urgency.toLowerCase()} fältförfrågan inte tagen`;
      body = 'En fältförfrågan togs inte i tid och har eskalerats till enheten.';
      break;
    case 'operation_invitation':
      title = 'Inbjudan till en gemensam insats';
      body = 'Enheten är inbjuden att delta i en gemensam insats. Öppna den för att svara.';
      break;
    case 'operation_participation_changed':
      title = 'Deltagandet i en insats har ändrats';
      body = `${lookup(OPERATION_CHANGE, facts.change, 'Deltagandet i insatsen har ändrats')}.`;
      break;
    case 'operation_status_changed':
      title = 'Insatsen har uppdaterats';
      body = `${lookup(OPERATION_CHANGE, facts.change, 'Insatsen har bytt status')}.`;
      break;
    case 'notification_escalated':
      title =
        facts.objectType === 'field_request'
          ? 'Eskalerat: fältförfrågan inte tagen'
          : `Eskalerat: ${urgency.toLowerCase()} ärende inte kvitterat`;
      body =
        facts.level === 2
          ? `Något kritiskt (${facts.objectType === 'field_request' ? 'en fältförfrågan' : category}) är fortfarande inte kvitterat och eskaleras till regionkoordinatorn.`
          : `Något kritiskt (${facts.objectType === 'field_request' ? 'en fältförfrågan' : category}) kvitterades inte i tid; enheten har jour för det.`;
      break;
    case 'webhook_endpoint_disabled':
      title = 'Webhook avstängd';
      body = 'En webhook-mottagare i organisationen har stängts av efter misslyckade leveranser.';
      break;
  }
  return { severity, requiresAck: severity === 'critical', title, body, link };
}
