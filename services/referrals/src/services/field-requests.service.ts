/** Moved: field requests and tallies live in the feature folder src/operations/. */
export {
  createFieldRequestsService,
  type FieldRequestCreate,
  type FieldRequestsService,
} from '../operations';
