/** Moved: operation weeks, field requests and tallies are the feature folder src/operations/. */
export * from '../operations';
