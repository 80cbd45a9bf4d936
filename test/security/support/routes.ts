import { createTestPortal } from '../../../packages/portal-express/test/support/portal.js';

interface Layer {
  readonly route?: { readonly path: string; readonly methods: Record<string, boolean> };
  readonly handle?: { readonly stack?: readonly Layer[] };
  readonly rawPath?: string;
}

/**
 * Every route the portal's Express application declares, as `METHOD /path/:param`, read from
 * its routers (so a form added later shows up here without anyone remembering to list it).
 * The OpenID Connect provider's own endpoints are not Express routes and are not included.
 */
export async function declaredRoutes(): Promise<string[]> {
  const portal = await createTestPortal();
  try {
    const out: string[] = [];
    const walk = (stack: readonly Layer[], prefix: string) => {
      for (const layer of stack) {
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
    walk((portal.app as unknown as { router: { stack: readonly Layer[] } }).router.stack, '');
    return out;
  } finally {
    await portal.destroy();
  }
}
