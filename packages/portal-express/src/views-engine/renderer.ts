import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import Handlebars from 'handlebars';
import type { TFunction } from 'i18next';

/** What every template can use, besides its own data. */
export interface PageContext {
  readonly t: TFunction;
  readonly lang: string;
  readonly [key: string]: unknown;
}

/** Renders a named view inside a layout. */
export interface ViewRenderer {
  /** Renders `view` (a path under views/ without `.hbs`) with `context`, inside `layout`. */
  render(view: string, context: PageContext, layout?: string): string;
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? walk(join(dir, entry.name)) : [join(dir, entry.name)],
  );
}

/**
 * Compiles every `.hbs` file under `viewsDir` once: `partials/` become partials, `layouts/` wrap
 * pages. A missing view or a template error is found at start-up, not in front of a user.
 */
export function createViewRenderer(viewsDir: string): ViewRenderer {
  const hb = Handlebars.create();
  const views = new Map<string, Handlebars.TemplateDelegate>();
  for (const file of walk(viewsDir).filter((f) => f.endsWith('.hbs'))) {
    const name = relative(viewsDir, file)
      .replace(/\\/g, '/')
      .replace(/\.hbs$/, '');
    const source = readFileSync(file, 'utf8');
    if (name.startsWith('partials/')) hb.registerPartial(name.slice('partials/'.length), source);
    else views.set(name, hb.compile(source, { strict: false, preventIndent: true }));
  }
  hb.registerHelper('t', function (this: unknown, key: string, options: Handlebars.HelperOptions) {
    const root = options.data.root as PageContext;
    return root.t(key, options.hash as Record<string, unknown>);
  });
  hb.registerHelper('eq', (a: unknown, b: unknown) => a === b);
  hb.registerHelper('concat', (...args: unknown[]) => args.slice(0, -1).map(String).join(''));
  hb.registerHelper('json', (value: unknown) => JSON.stringify(value));

  return {
    render(view, context, layout = 'layouts/main') {
      const page = views.get(view);
      const frame = views.get(layout);
      if (!page) throw new Error(`No view named ${view}`);
      if (!frame) throw new Error(`No layout named ${layout}`);
      // An error page without a title of its own is titled by its heading (errors.<name>.heading).
      const titled =
        context.titleKey === undefined && view.startsWith('errors/')
          ? { ...context, titleKey: `errors.${view.slice('errors/'.length)}.heading` }
          : context;
      const body = page(titled);
      return frame({ ...titled, body });
    },
  };
}
