import { ConfigError } from '@samverkan/shared';
import { DEFAULT_RETENTION, loadRetentionConfig } from './retention-config';

describe('retention settings', () => {
  it('defaults to 90 days of content, 30 of field requests, 5 years of timeline, hourly', () => {
    expect(loadRetentionConfig({})).toEqual({
      contentDays: 90,
      fieldRequestDays: 30,
      timelineDays: 1825,
      purgeIntervalMs: 3_600_000,
    });
    expect(DEFAULT_RETENTION.contentDays).toBe(90);
  });

  it('takes each period from its variable', () => {
    expect(
      loadRetentionConfig({
        REFERRALS_RETENTION_CONTENT_DAYS: '30',
        REFERRALS_RETENTION_FIELD_REQUEST_DAYS: '7',
        REFERRALS_RETENTION_TIMELINE_DAYS: '365',
        REFERRALS_PURGE_INTERVAL_MS: '60000',
      }),
    ).toEqual({ contentDays: 30, fieldRequestDays: 7, timelineDays: 365, purgeIntervalMs: 60_000 });
  });

  it('fails fast naming the variable', () => {
    expect(() => loadRetentionConfig({ REFERRALS_RETENTION_CONTENT_DAYS: '0' })).toThrow(
      /REFERRALS_RETENTION_CONTENT_DAYS/,
    );
    expect(() => loadRetentionConfig({ REFERRALS_PURGE_INTERVAL_MS: 'soon' })).toThrow(
      /REFERRALS_PURGE_INTERVAL_MS/,
    );
  });

  it('refuses a timeline kept shorter than the content', () => {
    expect(() =>
      loadRetentionConfig({
        REFERRALS_RETENTION_CONTENT_DAYS: '400',
        REFERRALS_RETENTION_TIMELINE_DAYS: '365',
      }),
    ).toThrow(ConfigError);
  });
});
