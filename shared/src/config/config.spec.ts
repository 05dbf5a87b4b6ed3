import { ConfigError, loadConfig, serviceDatabaseUrl } from './config';

describe('loadConfig', () => {
  it('applies documented defaults', () => {
    const config = loadConfig({});
    expect(config.PORT).toBe(3000);
    expect(config.AUTH_DEV_ISSUER).toBe(false);
    expect(config.EVENTS_SUBJECT_PREFIX).toBe('samverkan');
    expect(config.DATABASE_URL).toBeUndefined();
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['LOG_LEVEL', 'chatty'],
    ['DATABASE_URL', 'mysql://x'],
    ['NATS_URL', 'http://x'],
    ['HUB_ORGANISATION_ID', 'not-a-uuid'],
    ['AUTH_DEV_ISSUER', 'maybe'],
    // Longer than a Node timer holds (2^31 − 1 ms): it would fire every millisecond.
    ['AUDIT_CHECKPOINT_INTERVAL_MS', '2147483648'],
    ['DELIVERY_PRUNE_INTERVAL_MS', '3000000000'],
    ['AUDIT_CHAIN_POLL_INTERVAL_MS', '99999999999'],
    ['REQUEST_TIMEOUT_MS', '2147483648'],
    ['RATE_LIMIT_WINDOW_MS', '2147483648'],
  ])('refuses %s=%s with a message naming the variable', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(name));
  });

  it('lists the accepted values of a variable that has a fixed set', () => {
    expect(() => loadConfig({ LOG_LEVEL: 'verbose' })).toThrow(
      'Invalid configuration: LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent (got "verbose")',
    );
  });

  it('refuses AUTH_ISSUERS that is not JSON', () => {
    expect(() => loadConfig({ AUTH_ISSUERS: '[{' })).toThrow(/AUTH_ISSUERS/);
  });

  it('treats empty values as unset and lets defaults from the caller apply', () => {
    const config = loadConfig({ PORT: '' }, { defaults: { AUTH_DEV_ISSUER: true } });
    expect(config.PORT).toBe(3000);
    expect(config.AUTH_DEV_ISSUER).toBe(true);
    expect(
      loadConfig({ AUTH_DEV_ISSUER: 'false' }, { defaults: { AUTH_DEV_ISSUER: true } })
        .AUTH_DEV_ISSUER,
    ).toBe(false);
  });

  it('prefers <SERVICE>_DATABASE_URL over DATABASE_URL', () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://shared/db' });
    expect(serviceDatabaseUrl(config, 'directory', {})).toBe('postgres://shared/db');
    expect(
      serviceDatabaseUrl(config, 'directory', { DIRECTORY_DATABASE_URL: 'postgres://own/db' }),
    ).toBe('postgres://own/db');
  });
});

describe('loadConfig reads only the environment it is given', () => {
  it('ignores process.env when another env is passed', () => {
    process.env.PORT = '';
    process.env.LOG_LEVEL = 'chatty';
    try {
      expect(loadConfig({}).PORT).toBe(3000);
      expect(loadConfig({}).LOG_LEVEL).toBe('info');
    } finally {
      delete process.env.PORT;
      delete process.env.LOG_LEVEL;
    }
  });
});
