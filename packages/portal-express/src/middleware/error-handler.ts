import type { ErrorRequestHandler, RequestHandler } from 'express';
import {
  ConcurrentFlowUpdateError,
  DatabaseUnavailableError,
  FlowExpiredError,
  FlowNotFoundError,
  InvalidTransitionError,
  isConnectionError,
} from '@porth/identity-core';
import { SignInAccountMissingError } from '../sign-in/next-step.js';
import type { ViewRenderer } from '../views-engine/renderer.js';
import { renderPage } from './render.js';

/** Answers 404 with a page in the user's language. */
export function notFoundHandler(views: ViewRenderer): RequestHandler {
  return (_req, res) => renderPage(views, res, 'errors/not-found', {}, 404);
}

interface HttpishError {
  status?: unknown;
  statusCode?: unknown;
  type?: unknown;
  code?: unknown;
}

/** Errors that mean "this journey cannot go on from here: start again" — not a fault of ours. */
const JOURNEY_ERRORS = [
  FlowExpiredError,
  FlowNotFoundError,
  InvalidTransitionError,
  ConcurrentFlowUpdateError,
  SignInAccountMissingError,
];

/**
 * The one place errors become responses: a lost database is 503 "temporarily unavailable",
 * malformed requests are 400, anything unexpected is logged and shown as a calm 500 page.
 */
export function errorHandler(
  views: ViewRenderer,
  log: (err: unknown) => void,
): ErrorRequestHandler {
  return (err: unknown, _req, res, _next) => {
    if (res.headersSent) return;
    if (err instanceof DatabaseUnavailableError || isConnectionError(err)) {
      res.setHeader('Retry-After', '30');
      renderPage(views, res, 'errors/unavailable', {}, 503);
      return;
    }
    if (JOURNEY_ERRORS.some((type) => err instanceof type)) {
      renderPage(
        views,
        res,
        'sign-in/expired',
        { titleKey: 'sign_in.expired_title', startUrl: '/amp' },
        409,
      );
      return;
    }
    const e = (typeof err === 'object' && err !== null ? err : {}) as HttpishError;
    if (e.code === 'CSRF_INVALID') {
      renderPage(views, res, 'errors/form-expired', {}, 403);
      return;
    }
    const status = Number(e.status ?? e.statusCode);
    if (Number.isInteger(status) && status >= 400 && status < 500) {
      const view = status === 413 ? 'errors/too-large' : 'errors/bad-request';
      renderPage(views, res, view, {}, status === 413 ? 413 : 400);
      return;
    }
    log(err);
    renderPage(views, res, 'errors/server-error', {}, 500);
  };
}
