/**
 * Swedish strings of the admin's offline keys (the recovery sheet, the root key file, unit key
 * rotation), legal holds and the parties' access log on the referral page, the auditor's log
 * reviews, the county mapping report, and trusting another organisation's root key. Spread into
 * `sv.ts`; `en-admin.ts` must have every key.
 */
export const svAdmin = {
  'keyFiles.recoveryLegend': 'Enhetens återställningsnyckel',
  'keyFiles.recoveryHelp':
    'Som administratör har du inga enhetsnycklar i webbläsaren. Välj enhetens utskrivna återställningsblad som fil (i demon: dev-keys/recovery-keys.txt i hubbens datamapp, som npm start skriver ut) eller skriv in nyckeln (SVRK1-…). Filen läses bara i den här webbläsaren; nyckeln skickas aldrig till hubben.',
  'keyFiles.sheetFile': 'Återställningsbladet (fil)',
  'keyFiles.sheetFound': 'Nyckeln för enheten hittades i filen.',
  'keyFiles.sheet.no_keys': 'Filen innehåller ingen återställningsnyckel (SVRK1-…).',
  'keyFiles.sheet.unit_not_found':
    'Filen har ingen nyckel för {unit}. Välj bladet för rätt organisation.',
  'keyFiles.sheet.ambiguous':
    'Filen har flera nycklar för {unit}. Skriv in rätt nyckel för hand i stället.',
  'keyFiles.orType': 'Eller skriv in nyckeln från det utskrivna bladet.',
  'keyFiles.rootFile': 'Organisationens rotnyckel (fil)',
  'keyFiles.rootFound': 'Rotnyckeln {kid} lästes från filen.',
  'keyFiles.root.not_json':
    'Filen är ingen nyckelfil (JSON). Välj CLI:ns nyckellager (keys.json) eller en fil med rotnyckeln.',
  'keyFiles.root.no_root': 'Filen har ingen rotnyckel för din organisation.',
  'keyFiles.root.not_private':
    'Filen har bara rotnyckelns publika del. Att signera nya enhetsnycklar kräver den privata.',
  'keyFiles.root.not_active':
    'Rotnyckeln i filen är inte en av organisationens aktiva rotnycklar i katalogen. Ingenting har ändrats.',
  'rotate.title': 'Byt enhetens nycklar',
  'rotate.required':
    'En enhet har återkallats. Byt nycklarna nu, så att det som skickas härefter inte kan öppnas med det den återkallade enheten har.',
  'rotate.help':
    'Nya nycklar skapas i den här webbläsaren och signeras med organisationens rotnyckel, som du väljer som fil (CLI:ns nyckellager eller, i demon, dev-keys/keys.json). De gamla nycklarna pensioneras men finns kvar för äldre remisser. De nya förseglas för enhetens godkända enheter och återställningsnyckeln. Rotnyckeln och enhetens privata nycklar lämnar aldrig webbläsaren.',
  'rotate.button': 'Byt enhetens nycklar',
  'rotate.busy': 'Skapar, signerar och förseglar nycklarna …',
  'rotate.needBoth': 'Välj både återställningsbladet och rotnyckelns fil först.',
  'rotate.done':
    'Nycklarna är bytta. {retired} gamla nycklar pensionerades och de nya förseglades för {boxes} mottagare (enheter och återställningsnyckeln). Ny krypteringsnyckel: {kid}.',
  'devices.firstBrowser':
    'Ingen i enheten har nycklarna än (till exempel på en ny hubb). Så godkänner du den första webbläsaren: 1. Välj enhetens återställningsblad ovan. 2. Be kollegan läsa upp koden som visas på hens skärm under ”Den här webbläsaren” och skriv in den nedan. 3. Tryck ”Jämför och godkänn”. Därefter godkänner kollegerna varandra.',
  'hold.title': 'Spärr mot gallring',
  'hold.help':
    'En organisation som måste bevara remissen längre än gallringsfristen (till exempel för en rättegång) lägger en spärr. Skälet anges som en kod, aldrig som fritext om ärendet.',
  'hold.none': 'Ingen organisation har spärrat remissen mot gallring.',
  'hold.reference': 'ärendenummer',
  'hold.placedBy': 'Lagd av {person} {when}.',
  'hold.lift': 'Häv spärren',
  'hold.purged': 'Innehållet gallrades {when}.',
  'hold.keptWhileHeld': 'Innehållet gallras inte så länge en spärr finns.',
  'hold.purgeDue': 'Innehållet gallras {when} om ingen spärr läggs.',
  'hold.notFinal': 'Innehållet gallras {days} dagar efter att remissen är avslutad.',
  'hold.reasonLabel': 'Skäl',
  'hold.referenceLabel': 'Ert ärendenummer (valfritt)',
  'hold.referenceHelp':
    'Numret i er egen ärendehantering. Inga personuppgifter: bokstäver, siffror och . _ / : # -.',
  'hold.referenceInvalid':
    'Ärendenumret får bara innehålla bokstäver a–z, siffror, mellanslag och . _ / : # - (högst 100 tecken).',
  'hold.place': 'Spärra mot gallring',
  'hold.change': 'Ändra er spärr',
  'hold.placed': 'Spärren är lagd. Remissens innehåll bevaras tills spärren hävs.',
  'hold.lifted': 'Er spärr är hävd.',
  'hold.reason.court_proceedings': 'Rättegång',
  'hold.reason.police_investigation': 'Förundersökning',
  'hold.reason.supervisory_inspection': 'Tillsyn',
  'hold.reason.complaint': 'Klagomål',
  'hold.reason.data_subject_request': 'Begäran från den registrerade',
  'hold.reason.other_legal_obligation': 'Annan rättslig skyldighet',
  'partyAccess.title': 'Vem har öppnat remissen',
  'partyAccess.help':
    'Varje gång någon har öppnat remissen, dess meddelanden, uppgifter eller händelseförlopp, och varje nekat försök – samma som er granskare ser. Att visa loggen loggas också.',
  'partyAccess.show': 'Visa åtkomstloggen',
  'partyAccess.empty': 'Ingen har öppnat remissen än.',
  'partyAccess.who': 'Vem',
  'partyAccess.as': 'Som',
  'partyAccess.outsider': 'utomstående',
  'partyAccess.side.sender': 'avsändare',
  'partyAccess.side.recipient': 'mottagare',
  'partyAccess.side.copy': 'kopia',
  'partyAccess.action.envelope_read': 'öppnade remissen',
  'partyAccess.action.messages_read': 'läste meddelandena',
  'partyAccess.action.read': 'läste uppgifterna',
  'partyAccess.action.timeline_read': 'läste händelseförloppet',
} as const;

export type AdminMessageKey = keyof typeof svAdmin;
