export * from './client';
export * from './errors';
export * from './key-store';
export * from './agency';
export * from './notifications';
export type { paths as DirectoryPaths } from './generated/directory';
export type { paths as ReferralsPaths } from './generated/referrals';
export type { paths as NotificationsPaths } from './generated/notifications';
export * from './devices';
