export * from './openapi-operations';
export * from './openapi-arbitraries';
