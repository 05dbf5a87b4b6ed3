export * from './test-infra';
export * from './migration-checks';
