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
    'Nya nycklar skapas i den här webbläsaren och signeras med organisationens rotnyckel, som du väljer som fil (CLI:ns nyckellager eller, i demon, dev-keys/keys.json). De gamla nycklarna avvecklas men finns kvar för äldre remisser. De nya förseglas för enhetens godkända enheter och återställningsnyckeln. Rotnyckeln och enhetens privata nycklar lämnar aldrig webbläsaren.',
  'rotate.button': 'Byt enhetens nycklar',
  'rotate.busy': 'Skapar, signerar och förseglar nycklarna …',
  'rotate.needBoth': 'Välj både återställningsbladet och rotnyckelns fil först.',
  'rotate.done':
    'Nycklarna är bytta. {retired} gamla nycklar avvecklades och de nya förseglades för {boxes} mottagare (enheter och återställningsnyckeln). Ny krypteringsnyckel: {kid}.',
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
  'mapping.title': 'Kartläggningsrapport för länet',
  'mapping.help':
    'Länsstyrelsens kartläggning: remisser per kommun efter kategori, ålder, kön och medborgarskap, och insatsveckorna i länet med fältförfrågningar och möten. Antal under 5 visas som <5 (cellnyckelmetoden, samma som i övrig statistik).',
  'mapping.county': 'Län',
  'mapping.from': 'Från och med',
  'mapping.to': 'Till och med',
  'mapping.show': 'Visa rapporten',
  'mapping.period': '{county}, {from} – {to} (framtagen {generated}).',
  'mapping.csv': 'Ladda ner kartläggningen (CSV)',
  'mapping.printable': 'Ladda ner utskriftsversionen (HTML med diagram)',
  'mapping.chartTitle': 'Remisser per kommun',
  'mapping.tableTitle': 'Remisser per kommun och mediantid till kvittens',
  'mapping.municipality': 'Kommun',
  'mapping.referrals': 'Remisser',
  'mapping.median': 'Median till kvittens (min)',
  'mapping.operations': 'Insatsveckor i länet',
  'mapping.noOperations': 'Inga insatsveckor i länet under perioden.',
  'mapping.operation': 'Insats',
  'mapping.when': 'När',
  'mapping.status': 'Läge',
  'mapping.fieldRequests': 'Fältförfrågningar',
  'mapping.peopleMet': 'Personer som mötts',
  'mapping.totals':
    'Totalt: {operations} insatser, {fieldRequests} fältförfrågningar, {peopleMet} personer som mötts.',
  'review.title': 'Loggranskningar',
  'review.help':
    'En granskning tar ett slumpvist urval av läsningar under perioden och allt avvikande (läsningar utanför kontorstid utan jourpass, ovanligt många läsningar, läsningar efter avböjd eller återkallad remiss, akut skydd, upprepade nekanden). Gå igenom varje post, ange bedömning och skriv under.',
  'review.from': 'Period från',
  'review.sampleSize': 'Urvalets storlek',
  'review.create': 'Skapa granskning',
  'review.created': 'Granskningen är skapad: {items} poster av {reads} läsningar.',
  'review.none': 'Inga granskningar än.',
  'review.summary': '{from} – {to}, skapad av {by}',
  'review.status.open': 'pågår',
  'review.status.signed_off': 'underskriven',
  'review.heading': 'Granskning {from} – {to}',
  'review.counts':
    '{items} poster av {reads} läsningar: {appropriate} befogade, {followUp} att följa upp, {inappropriate} obefogade, {open} ej bedömda.',
  'review.signedOffBy': 'Underskriven av {by} {when}: {conclusion}.',
  'review.csv': 'Ladda ner granskningen (CSV)',
  'review.printable': 'Ladda ner utskriftsversionen (HTML)',
  'review.noItems': 'Inga poster att granska under perioden.',
  'review.why': 'Varför:',
  'review.findingBy': 'Bedömning: {finding} ({by})',
  'review.findingLabel': 'Bedömning av post {item}',
  'review.referenceLabel': 'Er referens för post {item} (valfri)',
  'review.record': 'Spara bedömningen av post {item}',
  'review.findingSaved': 'Bedömningen av post {item} är sparad.',
  'review.conclusion': 'Slutsats',
  'review.conclusion.no_remarks': 'Utan anmärkning',
  'review.conclusion.remarks': 'Med anmärkning',
  'review.signOff': 'Skriv under granskningen',
  'review.signedOff': 'Granskningen är underskriven och kan inte längre ändras.',
  'review.openLeft': '{open} poster saknar bedömning.',
  'review.finding.appropriate': 'befogad',
  'review.finding.needs_follow_up': 'följs upp',
  'review.finding.inappropriate': 'obefogad',
  'review.reason.sampled': 'slumpvis utvald',
  'review.reason.outside_office_hours': 'utanför kontorstid utan jourpass',
  'review.reason.unusual_volume': 'ovanligt många läsningar',
  'review.reason.after_decline': 'efter avböjd remiss',
  'review.reason.after_withdrawal': 'efter återkallad remiss',
  'review.reason.acute_protection_override': 'skickad som akut skydd',
  'review.reason.repeated_denials': 'upprepat nekad',
  'trust.title': 'Lita på organisationens nyckel?',
  'trust.organisation': 'Organisation',
  'trust.number': 'Organisationsnummer',
  'trust.verified': '(kontrollerat mot registret {when})',
  'trust.unverified':
    '(ännu inte kontrollerat mot registret av hubbens administratör – var extra noga)',
  'trust.help':
    'Den här webbläsaren känner inte organisationens rotnyckel än. Ring organisationen på ett nummer du redan vet är rätt och be dem läsa upp sitt fingeravtryck (deras administratör ser det under ”Medlemmar och pass” → ”Din organisations rotnyckel”). Lita bara på nyckeln om fingeravtrycken är identiska.',
  'trust.otherPinned':
    'Du litar redan på en annan rotnyckel för den här organisationen. En ny nyckel kan betyda att organisationen har bytt nyckel – eller att någon försöker utge sig för den. Lita bara på den om organisationen bekräftar bytet per telefon.',
  'trust.noRoots': 'Katalogen har ingen aktiv rotnyckel för organisationen.',
  'trust.fingerprint': 'Fingeravtryck (räknat i den här webbläsaren):',
  'trust.alreadyPinned': 'Den här webbläsaren litar på nyckeln.',
  'trust.confirm':
    'Jag har jämfört fingeravtrycket med {organisation} på annat sätt och det stämmer.',
  'trust.pin': 'Lita på nyckeln',
  'trust.pinned': 'Nyckeln är betrodd i den här webbläsaren. Remissen öppnas igen.',
  'trust.ownHelp':
    'Läs upp det här fingeravtrycket när en annan organisation ringer för att jämföra er nyckel innan de litar på den.',
  'keyFiles.needSheet':
    'Välj enhetens återställningsblad (eller skriv in nyckeln) innan du godkänner.',
} as const;

export type AdminMessageKey = keyof typeof svAdmin;
