/**
 * Which methods a path is served with, for the answer to a method no route of that path takes:
 * 405 method-not-allowed with an `Allow` header (RFC 9110 §15.5.6), not 404 route-not-found.
 *
 * Fastify does not say why its router found nothing, so every route is also put, as it is
 * added, into a router of our own (find-my-way, the one Fastify itself uses, with the same
 * options), which is asked, method by method, for the path of a request nothing answered.
 */
import type { FastifyInstance } from 'fastify';
import FindMyWay from 'find-my-way';

type HTTPMethod = FindMyWay.HTTPMethod;

/** The methods worth naming in `Allow` (OPTIONS and the WebDAV ones are not served). */
const METHODS: HTTPMethod[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'];

/**
 * Records the routes added to `app` from now on (call it before any route is registered) and
 * returns the lookup: the methods that have a route for the path, or [] when none has.
 */
export function trackAllowedMethods(
  app: FastifyInstance,
  routerOptions: { maxParamLength?: number } = {},
): (url: string) => string[] {
  const router = FindMyWay({ ...routerOptions });
  app.addHook('onRoute', (route) => {
    const methods = (Array.isArray(route.method) ? route.method : [route.method]).filter(
      (m): m is HTTPMethod => METHODS.includes(m as HTTPMethod),
    );
    for (const method of methods) {
      try {
        router.on(method, route.url, () => undefined);
      } catch {
        // The same method and path twice (a route with constraints, the HEAD Fastify adds for a
        // GET): the first is enough to know the method is served.
      }
    }
  });
  return (url) => {
    const served = new Set(METHODS.filter((m) => router.find(m, url) !== null));
    // A GET route answers HEAD too (Fastify adds it unless told not to).
    if (served.has('GET')) {
      served.add('HEAD');
    }
    return METHODS.filter((m) => served.has(m));
  };
}
