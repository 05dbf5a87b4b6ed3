export * from './test-infra';
export * from './migration-checks';
export * from './https-server';
export * from './audit-chainer-suite';
