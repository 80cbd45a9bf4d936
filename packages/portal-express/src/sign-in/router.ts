import express, { Router, type Request, type Response } from 'express';
import { errors as oidcErrors } from 'oidc-provider';
import {
  ConcurrentFlowUpdateError,
  FlowExpiredError,
  KnexFlowRepository,
  isUniqueViolation,
  transition,
  type Flow,
} from '@porth/identity-core';
import { renderPage } from '../middleware/render.js';
import { ACR } from '../oidc/claims.js';
import { SIGN_IN_FLOW_KIND, type SignInContext, type SignInState } from './states.js';
import { SIGN_IN_TRANSITIONS } from './transitions.js';
import type { InteractionDetails, SignInDependencies, Step, StepRequest } from './step.js';
import { consentPage } from './steps/consent.js';

const INTERACTION_PATH = '/interaction/:uid';

/** Reads a posted form into plain strings; anything else (arrays, objects) becomes its first string or ''. */
export function formFields(body: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof body !== 'object' || body === null) return out;
  for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
    const first = Array.isArray(value) ? value[0] : value;
    out[key] = typeof first === 'string' ? first : '';
  }
  return out;
}

/**
 * The sign-in pages under /interaction/:uid. GET always shows the page of the flow's current
 * state; a POST is accepted only by the state it belongs to, so no step can be skipped by
 * posting to a later one — the server, not the browser, knows where the user is.
 */
export function signInRoutes(deps: SignInDependencies, steps: readonly Step[]): Router {
  const { csrf } = deps;
  const byState = new Map<SignInState, Step>(steps.map((s) => [s.state, s]));
  const router = Router();
  const body = express.urlencoded({ extended: false, limit: '32kb', parameterLimit: 50 });

  const prepare = async (req: Request, res: Response): Promise<StepRequest | null> => {
    const provider = await deps.provider();
    let details: InteractionDetails;
    try {
      details = await provider.interactionDetails(req, res);
      // The interaction cookie names another sign-in than the address: no sign-in here.
      if (details.uid !== String(req.params.uid)) {
        throw new oidcErrors.SessionNotFound('interaction not found');
      }
    } catch (err) {
      if (err instanceof oidcErrors.SessionNotFound) {
        renderPage(
          deps.views,
          res,
          'sign-in/expired',
          { titleKey: 'sign_in.expired_title', startUrl: deps.services.urls.signIn },
          400,
        );
        return null;
      }
      throw err;
    }
    const uid = String(req.params.uid);
    const flows = new KnexFlowRepository(
      deps.services.db,
      deps.services.clock,
      deps.services.random,
    );
    let flow = await flows.find<SignInState, SignInContext>(SIGN_IN_FLOW_KIND, uid);
    const now = deps.services.clock.now();
    if (!flow || flow.expiresAt.getTime() <= now.getTime()) {
      if (flow) await flows.delete(flow.id);
      const hint = details.params.login_hint;
      try {
        flow = await flows.create<SignInState, SignInContext>({
          id: uid,
          kind: SIGN_IN_FLOW_KIND,
          state: 'username',
          context: {
            clientId: String(details.params.client_id),
            ...(typeof hint === 'string' && hint.length <= 255 ? { username: hint } : {}),
            ...(String(details.params.acr_values ?? '')
              .split(' ')
              .includes(ACR.mfa)
              ? { strongFactorRequired: true }
              : {}),
          },
          lifetimeMs: Math.max(1000, (details.exp - Math.floor(now.getTime() / 1000)) * 1000),
        });
      } catch (err) {
        // The page was opened twice at once (a double click, two processes): use the other's flow.
        const other = isUniqueViolation(err)
          ? await flows.find<SignInState, SignInContext>(SIGN_IN_FLOW_KIND, uid)
          : null;
        if (!other) throw err;
        flow = other;
      }
    }
    const current = flow;
    const lang = res.locals.lang === 'cy' ? 'cy' : 'en';
    const t = res.locals.t as StepRequest['t'];
    const show = async () => {
      res.redirect(303, `/interaction/${uid}`);
    };
    const save = async (next: Flow<SignInState, SignInContext>) => {
      await flows.save(current, next);
      await show();
    };
    return {
      req,
      res,
      uid,
      flow: current,
      details,
      config: deps.config,
      services: deps.services,
      provider,
      form: formFields(req.body),
      context: { ip: req.ip ?? null, userAgent: req.get('user-agent') ?? null },
      lang,
      t,
      render(view, data = {}, status = 200) {
        renderPage(
          deps.views,
          res,
          view,
          {
            uid,
            action: `/interaction/${uid}/${current.state}`,
            username: current.context.username,
            ...data,
          },
          status,
        );
      },
      moveTo: (state, context = {}) =>
        save(
          transition(SIGN_IN_TRANSITIONS, current, state, deps.services.clock.now(), {
            notice: undefined,
            ...context,
          }),
        ),
      update: (context) =>
        save({
          ...current,
          context: { ...current.context, ...context },
          updatedAt: deps.services.clock.now(),
        }),
      async finish(result) {
        const done = transition(SIGN_IN_TRANSITIONS, current, 'done', deps.services.clock.now());
        await flows.save(current, done);
        await provider.interactionFinished(
          req,
          res,
          {
            login: {
              accountId: result.accountId,
              acr: result.acr,
              amr: [...result.amr],
              remember: result.remember,
              // The sign-in time by the portal's clock: auth_time and the 12-hour limit use it.
              ts: Math.floor(deps.services.clock.now().getTime() / 1000),
            },
          },
          { mergeWithLastSubmission: false },
        );
      },
    };
  };

  const stepFor = (s: StepRequest): Step => {
    const step = byState.get(s.flow.state);
    if (!step) throw new Error(`No page for sign-in state ${s.flow.state}`);
    return step;
  };

  router.get(INTERACTION_PATH, csrf.token, async (req, res) => {
    const s = await prepare(req, res);
    if (!s) return;
    if (s.details.prompt.name === 'consent') return consentPage.show(s);
    if (s.flow.state === 'done') throw new FlowExpiredError();
    await stepFor(s).show(s);
  });

  // A language switch or a bookmark on a step's address shows the current step.
  router.get(`${INTERACTION_PATH}/:state`, (req, res) => {
    const lang =
      typeof req.query.lang === 'string' ? `?lang=${encodeURIComponent(req.query.lang)}` : '';
    res.redirect(303, `/interaction/${encodeURIComponent(String(req.params.uid))}${lang}`);
  });

  router.post(`${INTERACTION_PATH}/:state`, body, csrf.protect, csrf.token, async (req, res) => {
    const s = await prepare(req, res);
    if (!s) return;
    if (req.params.state === 'consent' && s.details.prompt.name === 'consent')
      return consentPage.submit(s);
    if (req.params.state === 'abort') {
      await s.provider.interactionFinished(
        req,
        res,
        { error: 'access_denied', error_description: 'The user cancelled' },
        { mergeWithLastSubmission: false },
      );
      return;
    }
    if (req.params.state !== s.flow.state) {
      res.redirect(303, `/interaction/${s.uid}`);
      return;
    }
    try {
      await stepFor(s).submit(s);
    } catch (err) {
      // The same form posted twice at once (a double click): the other post moved the sign-in
      // on first, so show where it is now rather than "your sign-in has expired".
      if (!(err instanceof ConcurrentFlowUpdateError) || res.headersSent) throw err;
      res.redirect(303, `/interaction/${s.uid}`);
    }
  });

  return router;
}
