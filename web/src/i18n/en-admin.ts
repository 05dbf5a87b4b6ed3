import type { AdminMessageKey } from './sv-admin';

/** English for `sv-admin.ts` (the type requires every key). */
export const enAdmin: Record<AdminMessageKey, string> = {
  'keyFiles.recoveryLegend': "The unit's recovery key",
  'keyFiles.recoveryHelp':
    "As an admin you hold no unit keys in the browser. Pick the unit's printed recovery sheet as a file (in the demo: dev-keys/recovery-keys.txt in the hub's data folder, which npm start prints) or type the key (SVRK1-…). The file is read in this browser only; the key is never sent to the hub.",
  'keyFiles.sheetFile': 'The recovery sheet (file)',
  'keyFiles.sheetFound': "The unit's key was found in the file.",
  'keyFiles.sheet.no_keys': 'The file holds no recovery key (SVRK1-…).',
  'keyFiles.sheet.unit_not_found':
    "The file has no key for {unit}. Pick the right organisation's sheet.",
  'keyFiles.sheet.ambiguous': 'The file has several keys for {unit}. Type the right one instead.',
  'keyFiles.orType': 'Or type the key from the printed sheet.',
  'keyFiles.rootFile': "The organisation's root key (file)",
  'keyFiles.rootFound': 'Root key {kid} read from the file.',
  'keyFiles.root.not_json':
    "The file is not a key file (JSON). Pick the CLI's key store (keys.json) or a file with the root key.",
  'keyFiles.root.no_root': 'The file has no root key of your organisation.',
  'keyFiles.root.not_private':
    "The file has only the root key's public half. Signing new unit keys needs the private one.",
  'keyFiles.root.not_active':
    "The root key in the file is not one of the organisation's active root keys in the directory. Nothing was changed.",
  'rotate.title': "Rotate the unit's keys",
  'rotate.required':
    'A device was revoked. Rotate the keys now, so that what is sent from now on cannot be opened with what the revoked device holds.',
  'rotate.help':
    "New keys are made in this browser and signed with the organisation's root key, which you pick as a file (the CLI's key store or, in the demo, dev-keys/keys.json). The old keys are retired but kept for older referrals. The new ones are sealed for the unit's approved devices and its recovery key. The root key and the unit's private keys never leave the browser.",
  'rotate.button': "Rotate the unit's keys",
  'rotate.busy': 'Making, signing and sealing the keys …',
  'rotate.needBoth': "Pick both the recovery sheet and the root key's file first.",
  'rotate.done':
    'The keys are rotated. {retired} old keys were retired and the new ones sealed for {boxes} holders (devices and the recovery key). New encryption key: {kid}.',
  'devices.firstBrowser':
    "No one in the unit holds its keys yet (on a new hub, for example). To approve the first browser: 1. Pick the unit's recovery sheet above. 2. Ask your colleague to read out the code shown on their screen under “This browser” and type it below. 3. Press “Compare and approve”. From then on colleagues approve each other.",
  'hold.title': 'Legal hold',
  'hold.help':
    'An organisation that must keep the referral past its retention period (for a trial, for example) places a hold. The reason is a code, never free text about the case.',
  'hold.none': 'No organisation has placed a legal hold on the referral.',
  'hold.reference': 'matter number',
  'hold.placedBy': 'Placed by {person} {when}.',
  'hold.lift': 'Lift the hold',
  'hold.purged': 'The content was purged {when}.',
  'hold.keptWhileHeld': 'The content is not purged while a hold is on.',
  'hold.purgeDue': 'The content is purged {when} unless a hold is placed.',
  'hold.notFinal': 'The content is purged {days} days after the referral is finished.',
  'hold.reasonLabel': 'Reason',
  'hold.referenceLabel': 'Your matter number (optional)',
  'hold.referenceHelp':
    'The number in your own case system. No personal data: letters, digits and . _ / : # -.',
  'hold.referenceInvalid':
    'The matter number may hold only letters a–z, digits, spaces and . _ / : # - (at most 100 characters).',
  'hold.place': 'Place a legal hold',
  'hold.change': 'Change your hold',
  'hold.placed': "The hold is placed. The referral's content is kept until it is lifted.",
  'hold.lifted': 'Your hold is lifted.',
  'hold.reason.court_proceedings': 'Court proceedings',
  'hold.reason.police_investigation': 'Police investigation',
  'hold.reason.supervisory_inspection': 'Supervisory inspection',
  'hold.reason.complaint': 'Complaint',
  'hold.reason.data_subject_request': "Data subject's request",
  'hold.reason.other_legal_obligation': 'Other legal obligation',
  'partyAccess.title': 'Who has opened the referral',
  'partyAccess.help':
    'Every opening of the referral, its messages, record or timeline, and every refused attempt – what your auditor sees. Showing the log is logged too.',
  'partyAccess.show': 'Show the access log',
  'partyAccess.empty': 'No one has opened the referral yet.',
  'partyAccess.who': 'Who',
  'partyAccess.as': 'As',
  'partyAccess.outsider': 'outsider',
  'partyAccess.side.sender': 'sender',
  'partyAccess.side.recipient': 'recipient',
  'partyAccess.side.copy': 'copy',
  'partyAccess.action.envelope_read': 'opened the referral',
  'partyAccess.action.messages_read': 'read the messages',
  'partyAccess.action.read': 'read the record',
  'partyAccess.action.timeline_read': 'read the timeline',
};
