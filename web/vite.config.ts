import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

const sdkRequire = createRequire(fileURLToPath(new URL('../sdk/package.json', import.meta.url)));
const referralDocumentModule = fileURLToPath(
  new URL('../sdk/src/crypto/referral-document.ts', import.meta.url),
);
const referralDocumentSchema = fileURLToPath(
  new URL('../sdk/src/generated/referral-document.schema.json', import.meta.url),
);

/**
 * The SDK checks a referral document with Ajv, which compiles its validator with `new Function`:
 * forbidden under the app's Content-Security-Policy (no 'unsafe-eval'). The build compiles the
 * same schema ahead of time (Ajv's standalone code) and serves it in place of the SDK's
 * `crypto/referral-document.ts`, with the same exports; the rest of the SDK is used as it is.
 */
function precompiledReferralValidator(): Plugin {
  return {
    name: 'samverkan:precompiled-referral-validator',
    enforce: 'pre',
    load(id) {
      if (id.split('?')[0] !== referralDocumentModule) {
        return null;
      }
      const { default: Ajv, _ } = sdkRequire('ajv') as {
        default: new (options: object) => {
          compile(schema: unknown): unknown;
        };
        _: (strings: TemplateStringsArray) => unknown;
      };
      const addFormats = (sdkRequire('ajv-formats') as { default: (ajv: unknown) => void }).default;
      const standalone = (
        sdkRequire('ajv/dist/standalone') as {
          default: (ajv: unknown, validate: unknown) => string;
        }
      ).default;
      const ajv = new Ajv({
        allErrors: true,
        strict: true,
        code: { source: true, esm: true, formats: _`__formats` },
      });
      addFormats(ajv);
      const validate = ajv.compile(JSON.parse(readFileSync(referralDocumentSchema, 'utf8')));
      const code = standalone(ajv, validate)
        .replace(/^"use strict";/, '')
        .replace(/export default [A-Za-z0-9_]+;/, '')
        .replaceAll('require("ajv/dist/runtime/ucs2length").default', '__ucs2length');
      if (/require\(/.test(code)) {
        throw new Error('the precompiled referral validator still requires a module');
      }
      return `import { fullFormats as __formats } from 'ajv-formats/dist/formats';
function __ucs2length(str) {
  let length = 0;
  for (const _ of str) length++;
  return length;
}
${code}
export function documentProblems(errors) {
  return (errors ?? []).map((e) => {
    const missing = e.params && e.params.missingProperty;
    const extra = e.params && e.params.additionalProperty;
    const at = typeof missing === 'string' ? e.instancePath + '/' + missing
      : typeof extra === 'string' ? e.instancePath + '/' + extra : e.instancePath;
    return { path: at, message: e.message ?? 'is invalid' };
  });
}
export function validateReferralDocument(document) {
  return validate(document) ? [] : documentProblems(validate.errors);
}
`;
    },
  };
}

// Preact's JSX through Vite's own transform (no framework plugin needed). No inline script or
// style in the output (the hub serves it under a strict Content-Security-Policy), and no
// module-preload polyfill (every browser the app supports has modulepreload).
export default defineConfig({
  plugins: [precompiledReferralValidator()],
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    target: 'es2022',
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    cssCodeSplit: false,
    sourcemap: false,
    reportCompressedSize: false,
  },
});
