// oidc-provider's own in-memory store (it has no types of its own; @types/oidc-provider covers
// only the package's main entry). Used by the development OpenID provider (dev-openid-provider.ts).
declare module 'oidc-provider/lib/adapters/memory_adapter.js' {
  import type { AdapterFactory } from 'oidc-provider';

  export function createMemoryAdapter(clockTolerance?: number): AdapterFactory;
}
