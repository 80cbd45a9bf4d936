import type { Response } from 'express';
import type { ViewRenderer } from '../views-engine/renderer.js';

/** Renders a view with the request's language and common page data. */
export function renderPage(
  views: ViewRenderer,
  res: Response,
  view: string,
  data: Record<string, unknown> = {},
  status = 200,
): void {
  const html = views.render(view, { ...res.locals, ...data } as Parameters<
    ViewRenderer['render']
  >[1]);
  res.status(status).type('html').send(html);
}
