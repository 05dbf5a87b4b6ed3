export * from './problem';
export * from './error-handler';
