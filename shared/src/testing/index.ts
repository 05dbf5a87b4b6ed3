export * from './test-infra';
export * from './migration-checks';
export * from './https-server';
export * from './repository-sync';
export * from './audit-chainer-suite';
