import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import referralDocumentSchema from '../generated/referral-document.schema.json';

/**
 * The referral document's JSON Schema check (openapi/referral-document.schema.json), made on the
 * client before signing. Its own module because Ajv compiles validators with `new Function`,
 * which a page under a strict Content-Security-Policy may not do: the web build replaces this
 * module with the same schema compiled ahead of time (web/vite.config.ts), and nothing else.
 */
export interface DocumentProblem {
  /** JSON Pointer to the field, `''` for the document itself. */
  path: string;
  message: string;
}

let referralValidator: ValidateFunction | undefined;

function referralDocumentValidator(): ValidateFunction {
  if (!referralValidator) {
    const ajv = new Ajv({ allErrors: true, strict: true });
    addFormats(ajv);
    referralValidator = ajv.compile(referralDocumentSchema);
  }
  return referralValidator;
}

/** The problems Ajv reported, as JSON Pointers naming each field. */
export function documentProblems(errors: ValidateFunction['errors']): DocumentProblem[] {
  return (errors ?? []).map((e) => {
    const missing = (e.params as { missingProperty?: unknown }).missingProperty;
    const extra = (e.params as { additionalProperty?: unknown }).additionalProperty;
    const at =
      typeof missing === 'string'
        ? `${e.instancePath}/${missing}`
        : typeof extra === 'string'
          ? `${e.instancePath}/${extra}`
          : e.instancePath;
    return { path: at, message: e.message ?? 'is invalid' };
  });
}

/** Checks a referral document against openapi/referral-document.schema.json. */
export function validateReferralDocument(document: unknown): DocumentProblem[] {
  const validate = referralDocumentValidator();
  return validate(document) ? [] : documentProblems(validate.errors);
}
