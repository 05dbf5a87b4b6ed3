/** The referral lifecycle: model.ts (states, actions, rules as data), access.ts (who and when), inputs.ts (what), transition.ts (the one pure transition). */
export * from './model';
export { availableActions, assertVersion, canRead, isTerminal, sideOf } from './access';
export { transition } from './transition';
