export * from './problem';
export * from './error-handler';
export * from './idempotent-replay';
