export * from './client';
export * from './errors';
export * from './key-store';
export * from './agency';
export * from './notifications';
// The isomorphic client crypto (envelope v2, key verification, key generation): docs/envelope.md.
export * from './crypto/canonical-json';
export * from './crypto/directory-keys';
export * from './crypto/envelope';
export * from './crypto/unit-keys';
export type { ProblemBody } from './problem';
export type { paths as DirectoryPaths } from './generated/directory';
export type { paths as ReferralsPaths } from './generated/referrals';
export type { paths as NotificationsPaths } from './generated/notifications';
export * from './devices';
export * from './device-store';
