import path from 'node:path';
import type { Command } from 'commander';
import { exportDeviceKeys, generateDeviceKeys } from '../crypto/device-keys';
import { rootKeyFingerprint } from '../crypto/directory-keys';
import { data } from '../client';
import {
  actingDevice,
  readDeviceStore,
  writeDeviceStore,
  type StoredDevice,
} from '../device-store';
import {
  approveDevice,
  createRecoveryKey,
  enrolDevice,
  fetchKeyBoxes,
  listMyDevices,
  listUnitDevices,
  recoverUnitKeys,
  revokeDevice,
  rotateUnitKeys,
  tokenPerson,
  type ActingDevice,
} from '../devices';
import { KeyStoreError } from '../errors';
import type { KeyStoreContent, UnitKeyRing } from '../key-store';
import { details, status, table, UsageError } from './format';
import type { Context } from './main';

const short = (id: string | null | undefined) => (id ? id.slice(0, 8) : '');
const who = (p: { subject: string } | null | undefined) => p?.subject ?? '';

function deviceFile(c: Context): string {
  return process.env.SAMVERKAN_DEVICE_FILE ?? path.join(c.home, 'device.json');
}

/** This CLI's enrolled device, if it has one (approvals and resealing then act through it). */
async function ownDevice(c: Context): Promise<ActingDevice | undefined> {
  const stored = readDeviceStore(deviceFile(c));
  return stored?.id ? actingDevice(stored) : undefined;
}

function ringFor(store: KeyStoreContent, unitId: string): UnitKeyRing {
  const ring = store.units[unitId];
  if (!ring || ring.sig.length === 0 || ring.enc.length === 0) {
    throw new KeyStoreError(
      `the key store holds no keys of unit ${unitId}: on an approved device run \`samverkan device sync\`; as the organisation admin \`samverkan keys import-dev\` (demo) or \`samverkan unit recover\``,
    );
  }
  return ring;
}

async function unitOrganisation(c: Context, unitId: string): Promise<string> {
  const unit = await data(
    c.client().directory.GET('/v1/units/{id}', { params: { path: { id: unitId } } }),
  );
  return unit.organisationId;
}

/**
 * Pins the organisation's active root keys if nothing is pinned for it yet (trust on first use,
 * printed so that the person compares the fingerprint with their organisation admin).
 */
async function pinOwnRoot(c: Context, organisationId: string): Promise<string[]> {
  const store = c.keysOrEmpty();
  if (store.pins[organisationId]?.length) {
    return [];
  }
  const roots = await data(
    c.client().directory.GET('/v1/organisations/{id}/root-keys', {
      params: { path: { id: organisationId } },
    }),
  );
  const fingerprints: string[] = [];
  for (const root of roots.items.filter((r) => r.status === 'active')) {
    fingerprints.push(await rootKeyFingerprint(root.jwk));
  }
  store.pins[organisationId] = fingerprints;
  c.saveKeys(store);
  return fingerprints;
}

/** `samverkan device …` and `samverkan unit rotate|recovery-key|recover` (issue 13). */
export function registerDeviceCommands(program: Command, ctx: () => Context): void {
  const device = program
    .command('device')
    .description("this device's own keys, and approving, listing and revoking devices");

  device
    .command('enrol')
    .description('make this device’s keys and register it for your units (pending until approved)')
    .option('--label <text>', 'what you call this device', 'samverkan CLI')
    .option('--for <unitIds>', 'only these units (comma-separated; default all your units)')
    .action(async (o: { label: string; for?: string }) => {
      const c = ctx();
      const file = deviceFile(c);
      const existing = readDeviceStore(file);
      if (existing?.id) {
        throw new UsageError(
          `this CLI already is device ${existing.id} (${file}); use another SAMVERKAN_HOME for another device`,
        );
      }
      const person = await tokenPerson(c.client());
      // Kept before the hub hears of them: an answer lost on the way must not lose the keys.
      const keys = await generateDeviceKeys({ extractable: true });
      const stored: StoredDevice = {
        version: 1,
        url: c.url,
        label: o.label,
        person,
        keys: await exportDeviceKeys(keys),
        seen: {},
      };
      writeDeviceStore(file, stored);
      const { device: enrolled, shortCode } = await enrolDevice(c.client(), keys, {
        label: o.label,
        ...(o.for ? { unitIds: o.for.split(',').map((u) => u.trim()) } : {}),
      });
      writeDeviceStore(file, { ...stored, id: enrolled.id });
      const pinned = await pinOwnRoot(c, enrolled.organisationId);
      c.print(
        {
          deviceId: enrolled.id,
          shortCode,
          units: enrolled.units.map((u) => ({ unitId: u.unitId, status: u.status })),
          pinnedRootFingerprints: pinned,
        },
        () =>
          [
            `${c.c.green('✔')} Enrolled this device as ${c.c.bold(enrolled.id)} (pending)`,
            '',
            `  Code: ${c.c.bold(shortCode)}`,
            '',
            'Ask a colleague whose device holds the unit keys (or your organisation admin) to run',
            `  samverkan device approve ${enrolled.id} --code "<the code above>"`,
            'and to compare the code they see with this one. Then run `samverkan device sync`.',
            ...(pinned.length
              ? [
                  '',
                  `Pinned your organisation's root key ${pinned.join(', ')}: compare it with your admin.`,
                ]
              : []),
          ].join('\n'),
      );
    });

  device
    .command('list')
    .description('your devices; with --of-unit, the devices holding that unit’s keys')
    .option('--of-unit <id>', 'list the devices of this unit (approvers and organisation admin)')
    .action(async (o: { ofUnit?: string }) => {
      const c = ctx();
      if (o.ofUnit) {
        const listing = await listUnitDevices(c.client(), o.ofUnit, await ownDevice(c));
        c.print(listing, () =>
          [
            table(
              listing.items,
              [
                { header: 'DEVICE', value: (d) => d.deviceId },
                { header: 'PERSON', value: (d) => d.person.subject },
                { header: 'LABEL', value: (d) => d.label },
                { header: 'STATUS', value: (d) => status(d.status, c.c) },
                { header: 'APPROVED BY', value: (d) => who(d.approvedBy) },
                { header: 'APPROVED', value: (d) => d.approvedAt ?? '' },
              ],
              c.c,
            ),
            listing.rotationRequired
              ? c.c.yellow(
                  `The unit's keys must rotate (a device was revoked): the organisation admin runs \`samverkan unit rotate --unit ${o.ofUnit}\``,
                )
              : '',
          ]
            .filter(Boolean)
            .join('\n'),
        );
        return;
      }
      const mine = await listMyDevices(c.client());
      const here = readDeviceStore(deviceFile(c))?.id;
      const rows = mine.flatMap((d) => d.units.map((u) => ({ d, u })));
      c.print({ thisDevice: here ?? null, items: mine }, () =>
        table(
          rows,
          [
            { header: 'DEVICE', value: (r) => (r.d.id === here ? `${r.d.id} *` : r.d.id) },
            { header: 'LABEL', value: (r) => r.d.label },
            { header: 'UNIT', value: (r) => short(r.u.unitId) },
            { header: 'STATUS', value: (r) => status(r.u.status, c.c) },
            { header: 'APPROVED BY', value: (r) => who(r.u.approvedBy) },
          ],
          c.c,
        ),
      );
    });

  device
    .command('approve')
    .description('seal the unit’s keys for a pending device, after comparing its code')
    .argument('<deviceId>')
    .requiredOption('--code <code>', 'the code shown on the new device')
    .action(async (deviceId: string, o: { code: string }) => {
      const c = ctx();
      const unitId = c.unit();
      const store = c.keys();
      const acting = await ownDevice(c);
      const approved = await c.step('Checking the code and sealing the unit keys', () =>
        approveDevice(c.client(), {
          deviceId,
          unitId,
          shortCode: o.code,
          ring: ringFor(store, unitId),
          pins: store.pins,
          acting,
        }),
      );
      const u = approved.units.find((x) => x.unitId === unitId)!;
      c.print(
        { deviceId, unitId, status: u.status },
        `${c.c.green('✔')} The code matches. Approved ${approved.label} of ${approved.person.subject} for unit ${unitId}`,
      );
    });

  device
    .command('sync')
    .description('fetch this device’s key boxes, open them here and keep the unit keys')
    .action(async () => {
      const c = ctx();
      const file = deviceFile(c);
      const stored = readDeviceStore(file);
      if (!stored?.id) {
        throw new UsageError('this CLI has no enrolled device: run `samverkan device enrol`');
      }
      const store = c.keysOrEmpty();
      const opened = await fetchKeyBoxes(c.client(), await actingDevice(stored), {
        pins: store.pins,
        seen: stored.seen,
      });
      for (const unit of opened.units) {
        store.units[unit.unitId] = unit.ring;
        for (const [org, fingerprints] of Object.entries(unit.pins)) {
          store.pins[org] = [...new Set([...(store.pins[org] ?? []), ...fingerprints])];
        }
      }
      c.saveKeys(store);
      writeDeviceStore(file, { ...stored, seen: opened.seen });
      c.print(
        {
          deviceId: stored.id,
          units: opened.statuses,
          opened: opened.units.map((u) => ({
            unitId: u.unitId,
            keys: u.ring.enc.length + u.ring.sig.length,
            approvedBy: u.approvedBy.sub,
          })),
        },
        () =>
          opened.units.length === 0
            ? `No key boxes yet: ${opened.statuses.map((s) => `${short(s.unitId)} ${s.status}`).join(', ')}`
            : opened.units
                .map(
                  (u) =>
                    `${c.c.green('✔')} Unit ${u.unitId}: ${u.ring.enc.length} encryption and ${u.ring.sig.length} signing keys (approved by ${u.approvedBy.sub})`,
                )
                .join('\n'),
      );
    });

  device
    .command('revoke')
    .description('revoke a device: no further key boxes; the unit keys must rotate')
    .argument('<deviceId>')
    .requiredOption('--reason <text>', 'why (kept in the audit trail)')
    .option('--only-unit <id>', 'revoke for this unit only')
    .action(async (deviceId: string, o: { reason: string; onlyUnit?: string }) => {
      const c = ctx();
      const revoked = await revokeDevice(c.client(), deviceId, {
        reason: o.reason,
        ...(o.onlyUnit ? { unitId: o.onlyUnit } : {}),
      });
      const units = revoked.units.filter((u) => u.status === 'revoked').map((u) => u.unitId);
      c.print(
        { deviceId, revokedUnits: units },
        [
          `${c.c.green('✔')} Revoked device ${deviceId} (${revoked.label} of ${revoked.person.subject})`,
          'It gets no further key boxes. The unit keys must now rotate so that what is sent',
          `from now on is unreadable with the keys it held: the organisation admin runs`,
          ...units.map((u) => `  samverkan unit rotate --unit ${u}`),
        ].join('\n'),
      );
    });

  const unit = program.command('unit').description("a unit's keys: rotation and recovery");

  unit
    .command('rotate')
    .description(
      'organisation admin: new unit keys signed by the root, the old retired, sealed for the remaining devices',
    )
    .action(async () => {
      const c = ctx();
      const unitId = c.unit();
      const store = c.keys();
      const organisationId = await unitOrganisation(c, unitId);
      const root = store.roots[organisationId];
      if (!root) {
        throw new KeyStoreError(
          `the key store has no root key of organisation ${organisationId}: the organisation admin rotates`,
        );
      }
      const rotated = await c.step('Rotating and resealing the unit keys', () =>
        rotateUnitKeys(c.client(), {
          unitId,
          organisationId,
          root,
          ring: ringFor(store, unitId),
          pins: store.pins,
        }),
      );
      store.units[unitId] = rotated.ring;
      c.saveKeys(store);
      c.print(
        {
          unitId,
          retired: rotated.retired,
          encKid: rotated.ring.enc.at(-1)!.kid,
          sigKid: rotated.ring.sig.at(-1)!.kid,
          boxes: rotated.stored,
          skipped: rotated.skipped,
          rotationRequired: rotated.rotationRequired,
        },
        `${c.c.green('✔')} Rotated the keys of unit ${unitId}; sealed them for ${rotated.stored} holder(s)${
          rotated.skipped.length ? `; skipped ${rotated.skipped.join(', ')} (binding invalid)` : ''
        }`,
      );
    });

  unit
    .command('recovery-key')
    .description('make the unit’s recovery key: shown once, print it and keep it offline')
    .action(async () => {
      const c = ctx();
      const unitId = c.unit();
      const store = c.keys();
      const organisationId = await unitOrganisation(c, unitId);
      const made = await createRecoveryKey(c.client(), {
        unitId,
        organisationId,
        ring: ringFor(store, unitId),
        pins: store.pins,
        acting: await ownDevice(c),
      });
      c.print(
        { unitId, kid: made.kid, recoveryKey: made.secret },
        [
          `${c.c.green('✔')} Recovery key of unit ${unitId} (shown once; it replaces any earlier one):`,
          '',
          `  ${c.c.bold(made.secret)}`,
          '',
          'Print it or write it down and keep it offline. With it the organisation admin restores the',
          'unit keys when every device is lost (`samverkan unit recover`). The hub cannot use it.',
        ].join('\n'),
      );
    });

  unit
    .command('recover')
    .description(
      'organisation admin: restore the unit keys into this key store with the recovery key',
    )
    .option('--recovery-key <key>', 'the recovery key (default SAMVERKAN_RECOVERY_KEY)')
    .action(async (o: { recoveryKey?: string }) => {
      const c = ctx();
      const secret = o.recoveryKey ?? process.env.SAMVERKAN_RECOVERY_KEY;
      if (!secret) {
        throw new UsageError('pass --recovery-key or set SAMVERKAN_RECOVERY_KEY');
      }
      const unitId = c.unit();
      await pinOwnRoot(c, await unitOrganisation(c, unitId));
      const pins = c.keysOrEmpty().pins;
      const recovered = await recoverUnitKeys(c.client(), { unitId, secret, pins });
      const now = c.keysOrEmpty();
      now.units[unitId] = recovered.ring;
      for (const [org, fingerprints] of Object.entries(recovered.pins)) {
        now.pins[org] = [...new Set([...(now.pins[org] ?? []), ...fingerprints])];
      }
      c.saveKeys(now);
      c.print(
        { unitId, keys: recovered.ring.enc.length + recovered.ring.sig.length },
        `${c.c.green('✔')} Restored the keys of unit ${unitId}${details(
          [['next', `samverkan device approve <new device> --code <code> --unit ${unitId}`]],
          c.c,
        ).replace(/^/, '\n')}`,
      );
    });
}
