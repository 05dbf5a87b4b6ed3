import type { Config } from 'jest';

// swc compiles TypeScript (with legacy decorators and their metadata, as TypeORM needs);
// type-checking is its own step (`npm run typecheck`).
const transform: Config['transform'] = {
  '^.+\\.(t|j)s$': [
    '@swc/jest',
    {
      jsc: {
        parser: { syntax: 'typescript', decorators: true },
        transform: {
          legacyDecorator: true,
          decoratorMetadata: true,
          useDefineForClassFields: false,
        },
        target: 'es2022',
      },
      module: { type: 'commonjs' },
    },
  ],
};

const common = {
  transform,
  testEnvironment: 'node',
  moduleFileExtensions: ['ts', 'js', 'json'],
  modulePathIgnorePatterns: ['<rootDir>/data/'],
  // jose 6 and content-disposition 1 (via @fastify/static) ship ESM only; swc turns it into CommonJS for jest on Node 20.
  transformIgnorePatterns: ['/node_modules/(?!(jose|content-disposition|openapi-fetch)/)'],
};

const config: Config = {
  reporters: ['default', '<rootDir>/scripts/summary-reporter.js'],
  // Two files at a time on 2 cores: most integration files wait on servers, not the CPU (the whole
  // run took 841 s this way against 1,343 s with jest's default of one worker on 2 cores).
  maxWorkers: 2,
  // Slowest files first, from committed durations when jest has no cache of its own (CI's clone).
  testSequencer: '<rootDir>/scripts/test-sequencer.js',
  // Integration tests start real servers and processes; unit tests finish in milliseconds anyway.
  testTimeout: 120_000,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/**/src/**/*.spec.ts'] },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/**/test/**/*.test.ts'],
      globalSetup: '<rootDir>/shared/src/testing/preflight.ts',
    },
  ],
};

export default config;
