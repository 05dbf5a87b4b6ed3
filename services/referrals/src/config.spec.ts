import { loadReferralsConfig } from './config';

describe('referrals settings', () => {
  it('folds the rollup counters every 5 s unless REFERRALS_ROLLUP_COMPACTION_MS says otherwise', () => {
    expect(loadReferralsConfig({}).rollupCompactionMs).toBe(5000);
    expect(
      loadReferralsConfig({ REFERRALS_ROLLUP_COMPACTION_MS: '60000' }).rollupCompactionMs,
    ).toBe(60_000);
  });

  it('fails fast naming the variable', () => {
    expect(() => loadReferralsConfig({ REFERRALS_ROLLUP_COMPACTION_MS: 'often' })).toThrow(
      /REFERRALS_ROLLUP_COMPACTION_MS/,
    );
    expect(() => loadReferralsConfig({ REFERRALS_ROLLUP_COMPACTION_MS: '10' })).toThrow(
      /REFERRALS_ROLLUP_COMPACTION_MS/,
    );
  });
});
