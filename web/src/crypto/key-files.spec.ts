import { describe, expect, it } from '@jest/globals';
import { recoveryKeyFromSheet, rootKeyFromFile } from './key-files';

const A = 'SVRK1-Y1KZQ-35Z9D-RJFEJ-28JH4-TEECD-Z2T76-3N915-TPKN8-5GMR0-E6Q11-AXQ40';
const B = 'SVRK1-K2WWG-85MQS-13VX8-SQH1A-HHG0H-RAN25-F512M-GWXDC-0ZMPC-SS4EN-A520R';
const C = 'SVRK1-S3YP3-GKPD3-DA5YC-21VJ6-JVF13-HB0KZ-QF7Z7-7G40X-FHF9N-2M2AD-T0ACR';

/** the demo's sheet as the directory seed writes it (services/directory/src/seed/dev-key-store.ts) */
const sheet = [
  '# Samverkan demo: unit recovery keys (what each organisation admin keeps printed, offline).',
  '# Sign in as the organisation admin, open Administration, and pick this file.',
  '',
  'Norrköpings kommun, Socialkontoret / Socialjouren Norrköping',
  `  ${A}`,
  '',
  'Norrköpings kommun, Socialkontoret / Frideborg',
  `  ${B}`,
  '',
  'Novahuset / Frideborg',
  `  ${C}`,
  '',
].join('\r\n');

describe('the recovery sheet, read in the browser', () => {
  it("finds the unit's key by organisation and unit name", () => {
    expect(
      recoveryKeyFromSheet(sheet, {
        unitName: 'Frideborg',
        organisationName: 'Norrköpings kommun, Socialkontoret',
      }),
    ).toEqual({ ok: true, secret: B });
    expect(recoveryKeyFromSheet(sheet, { unitName: 'Socialjouren Norrköping' })).toEqual({
      ok: true,
      secret: A,
    });
  });

  it('says when the unit is missing or its name alone is ambiguous', () => {
    expect(recoveryKeyFromSheet(sheet, { unitName: 'Elsa' })).toEqual({
      ok: false,
      reason: 'unit_not_found',
    });
    expect(recoveryKeyFromSheet(sheet, { unitName: 'Frideborg' })).toEqual({
      ok: false,
      reason: 'ambiguous',
    });
    expect(recoveryKeyFromSheet('hello\nworld', { unitName: 'Frideborg' })).toEqual({
      ok: false,
      reason: 'no_keys',
    });
  });

  it('takes a file with one key alone', () => {
    expect(recoveryKeyFromSheet(`${C}\n`, { unitName: 'whatever' })).toEqual({
      ok: true,
      secret: C,
    });
  });
});

describe("the organisation's root key file", () => {
  const pair = {
    kid: 'DStLTxovM4zKzv3-kGcjkQqt72qjz_aRocWLxTvuka4',
    publicJwk: { kty: 'OKP', crv: 'Ed25519', x: 'umeSUyUjfSECAtbn_oFzXZS09rbhPqRdhE_QnV3fHgg' },
    privateJwk: {
      kty: 'OKP',
      crv: 'Ed25519',
      x: 'umeSUyUjfSECAtbn_oFzXZS09rbhPqRdhE_QnV3fHgg',
      d: 'h7bYEovBdGjIxe43ZhIstUldREYM5-tadlemwev9PX4',
    },
  };
  const org = '00000000-0000-4000-8000-000000000001';

  it('reads it from a key store (CLI or demo) by organisation, or a single pair', () => {
    const store = JSON.stringify({ version: 1, roots: { [org]: pair }, units: {}, pins: {} });
    expect(rootKeyFromFile(store, org)).toEqual({ ok: true, root: pair });
    expect(rootKeyFromFile(JSON.stringify(pair), org)).toEqual({ ok: true, root: pair });
  });

  it('refuses what is not a private Ed25519 root of the organisation', () => {
    expect(rootKeyFromFile('not json', org)).toEqual({ ok: false, reason: 'not_json' });
    const other = JSON.stringify({ roots: { someone: pair } });
    expect(rootKeyFromFile(other, org)).toEqual({ ok: false, reason: 'no_root' });
    const publicOnly = JSON.stringify({ ...pair, privateJwk: pair.publicJwk });
    expect(rootKeyFromFile(publicOnly, org)).toEqual({ ok: false, reason: 'not_private' });
  });
});
