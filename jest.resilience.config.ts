import type { Config } from 'jest';
import base from './jest.config';

// `npm run test:resilience`: the distributed topology on real processes, one scenario after
// another (they stop NATS nodes and restart the local Postgres, so never in parallel with
// anything else).
const integration = (base.projects as Config[]).find((p) => p.displayName === 'integration')!;

const config: Config = {
  ...integration,
  displayName: 'resilience',
  testMatch: ['<rootDir>/resilience/**/*.test.ts'],
  testTimeout: 900_000,
  maxWorkers: 1,
  reporters: ['default', '<rootDir>/scripts/summary-reporter.js'],
};

export default config;
