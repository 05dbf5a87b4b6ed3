/**
 * The RFC 9457 problem body every Samverkan service answers an error with (the `Problem` schema
 * of openapi/*.yaml). The platform's error machinery uses this same type.
 */
export interface ProblemFieldError {
  field: string;
  message: string;
}

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  code: string;
  errors?: ProblemFieldError[];
  [extension: string]: unknown;
}
