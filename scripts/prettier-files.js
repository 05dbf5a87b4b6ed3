// The files prettier keeps formatted: the one list behind `npm run format` and `npm run lint`
// (package.json runs prettier through this file) and the format check of `npm test` and
// `npm run test:quick` (scripts/checks.ts imports the list).
// `node scripts/prettier-files.js <prettier options…>` runs prettier over exactly these files.
const PRETTIER_FILES = [
  'shared/src/**/*.ts',
  'services/**/*.ts',
  'hub/**/*.ts',
  'sdk/**/*.ts',
  'scripts/**/*.{ts,js}',
  'bench/**/*.ts',
  'resilience/**/*.ts',
  'demo/**/*.ts',
  'web/src/**/*.{ts,tsx}',
  'web/*.ts',
];

module.exports = { PRETTIER_FILES };

if (require.main === module) {
  const { spawnSync } = require('node:child_process');
  const path = require('node:path');
  const result = spawnSync(
    process.execPath,
    [require.resolve('prettier/bin/prettier.cjs'), ...process.argv.slice(2), ...PRETTIER_FILES],
    { cwd: path.resolve(__dirname, '..'), stdio: 'inherit' },
  );
  process.exit(result.status ?? 1);
}
