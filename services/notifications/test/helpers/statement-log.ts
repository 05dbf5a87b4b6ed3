import type { Logger } from 'typeorm';

/**
 * A TypeORM logger that keeps the text of every statement its data source runs, for tests that
 * count a path's round trips (`statements.splice(0)` before the step, then read what it ran).
 */
export function statementLog(): { statements: string[]; logger: Logger } {
  const statements: string[] = [];
  const logger: Logger = {
    logQuery: (query) => void statements.push(query),
    logQueryError: () => undefined,
    logQuerySlow: () => undefined,
    logSchemaBuild: () => undefined,
    logMigration: () => undefined,
    log: () => undefined,
  };
  return { statements, logger };
}
