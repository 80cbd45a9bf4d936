import type { Server } from 'node:http';

interface Layer {
  readonly route?: { readonly path: string; readonly methods: Record<string, boolean> };
  readonly handle?: { readonly stack?: readonly Layer[] };
  readonly rawPath?: string;
}

/**
 * Every route the running portal's Express application declares, as `METHOD /path/:param`,
 * read from its routers (a form added later shows up here without anyone listing it). The
 * OpenID Connect provider's own endpoints are not Express routes and are not included.
 */
export function declaredRoutes(server: Server): string[] {
  const app = server.listeners('request')[0] as unknown as {
    router?: { stack?: readonly Layer[] };
  };
  const stack = app.router?.stack;
  if (!stack) throw new Error('the server does not serve an Express application');
  const out: string[] = [];
  const walk = (layers: readonly Layer[], prefix: string) => {
    for (const layer of layers) {
      if (layer.route) {
        for (const method of Object.keys(layer.route.methods)) {
          out.push(`${method.toUpperCase()} ${prefix}${layer.route.path}`);
        }
      } else if (layer.handle?.stack) {
        const mount = layer.rawPath && layer.rawPath !== '/' ? layer.rawPath : '';
        walk(layer.handle.stack, `${prefix}${mount}`);
      }
    }
  };
  walk(stack, '');
  return out;
}
