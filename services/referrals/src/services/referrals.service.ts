/** Moved: the referral aggregate lives in src/referrals/ (access, envelope checks, repository, commands, queries). */
export * from '../referrals';
