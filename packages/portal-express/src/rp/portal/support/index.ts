import { Router, type Request, type Response } from 'express';
import {
  CENTRE_PERMISSION_TEXT,
  CENTRE_ROLE_LABELS,
  KnexAccountRepository,
  centreClaims,
  formatMailDateTime,
  type Account,
} from '@porth/identity-core';
import type { RouteDependencies } from '../../../routes/route-dependencies.js';
import { formFields } from '../../../sign-in/router.js';
import {
  formBody,
  formErrors,
  languageOf,
  renderApp,
  requestContext,
  translate,
  type FieldProblem,
} from '../../common.js';
import type { RelyingParty } from '../../relying-party.js';
import { loadAccountFacts, supportStatus, type AccountFacts } from './account-facts.js';
import {
  MAX_REASON_LENGTH,
  SUPPORT_ACTIONS,
  actionKey,
  isSupportAction,
  performAction,
  refusalOf,
  type SupportAction,
} from './actions.js';
import { recentEvents } from './audit-events.js';
import { SUPPORT, requireStaff, staffOf } from './guard.js';

/** The longest search the console accepts (an email address is at most 254 characters). */
const MAX_SEARCH_LENGTH = 320;

/** How a search result was found. */
type MatchedBy = 'username' | 'legacy_username' | 'email';

/** Actions shown as warnings (they take something away from the user). */
const WARNING_ACTIONS: ReadonlySet<SupportAction> = new Set(['reset-mfa', 'disable']);

/** How many "what will happen" sentences each confirmation page has (`effect_1`, `effect_2`, …). */
const EFFECT_COUNT: { readonly [A in SupportAction]: number } = {
  'reset-mfa': 3,
  unlock: 2,
  'resend-password': 2,
  disable: 2,
  enable: 1,
};

function accountPath(id: string): string {
  return `${SUPPORT}/accounts/${id}`;
}

function fullName(account: Account): string {
  return [account.givenName, account.familyName].filter(Boolean).join(' ');
}

function displayName(account: Account): string {
  return fullName(account) || account.username || account.legacyUsername || account.id;
}

/**
 * The support console for staff accounts, inside the Portal at /portal/support: find an account
 * by new username, legacy username or email; see its state, second factors, required actions,
 * lockouts and recent audit events; reset its MFA, unlock it, resend its temporary password,
 * disable or enable it — each behind a confirmation page, audited with the support person as
 * actor and emailed to the user. Every page and action checks, live in the database, that the
 * signed-in account is an active staff account (`requireStaff`).
 */
export function supportRoutes(deps: RouteDependencies, rp: RelyingParty): Router {
  const support = Router();
  support.use(requireStaff(deps, rp));

  support.get('/', deps.csrf.token, async (req, res) => {
    await showSearch(deps, req, res);
  });

  support.get('/accounts/:id', deps.csrf.token, async (req, res) => {
    const facts = await loadAccountFacts(deps.services, String(req.params.id));
    if (!facts) {
      showNotFound(deps, res);
      return;
    }
    await showAccount(deps, req, res, facts);
  });

  support.get('/accounts/:id/:action', deps.csrf.token, async (req, res, next) => {
    const action = req.params.action;
    if (!isSupportAction(action)) {
      next();
      return;
    }
    const facts = await loadAccountFacts(deps.services, String(req.params.id));
    if (!facts) {
      showNotFound(deps, res);
      return;
    }
    const refusal = refusalOf(action, facts, staffOf(res).id);
    if (refusal) {
      await showAccount(deps, req, res, facts, { problem: translate(res, refusal) }, 409);
      return;
    }
    showConfirm(deps, res, action, facts);
  });

  support.post(
    '/accounts/:id/:action',
    formBody,
    deps.csrf.protect,
    deps.csrf.token,
    async (req, res, next) => {
      const action = req.params.action;
      if (!isSupportAction(action)) {
        next();
        return;
      }
      const facts = await loadAccountFacts(deps.services, String(req.params.id));
      if (!facts) {
        showNotFound(deps, res);
        return;
      }
      const reason = (formFields(req.body).reason ?? '').trim();
      if ([...reason].length > MAX_REASON_LENGTH) {
        showConfirm(
          deps,
          res,
          action,
          facts,
          {
            reason,
            ...formErrors([
              {
                field: 'reason',
                message: translate(res, 'support.confirm.reason_too_long', {
                  max: MAX_REASON_LENGTH,
                }),
              },
            ]),
          },
          400,
        );
        return;
      }
      const staff = staffOf(res);
      const refusal = refusalOf(action, facts, staff.id);
      if (refusal) {
        await showAccount(deps, req, res, facts, { problem: translate(res, refusal) }, 409);
        return;
      }
      const outcome = await performAction(deps, action, facts, {
        staff,
        reason,
        ...requestContext(req),
      });
      if (!outcome.ok) {
        if (outcome.why === 'not_allowed') {
          renderApp(
            deps,
            res,
            'portal',
            'portal/support/forbidden',
            { titleKey: 'support.forbidden.title' },
            403,
          );
          return;
        }
        const fresh = (await loadAccountFacts(deps.services, facts.account.id)) ?? facts;
        await showAccount(
          deps,
          req,
          res,
          fresh,
          { problem: translate(res, 'support.refused.changed') },
          409,
        );
        return;
      }
      res.redirect(303, `${accountPath(facts.account.id)}?done=${action}`);
    },
  );

  const router = Router();
  router.use(SUPPORT, support);
  return router;
}

/** The search page, with the results of `?q=` when there is one. */
async function showSearch(deps: RouteDependencies, req: Request, res: Response): Promise<void> {
  const raw = req.query.q;
  const base = { titleKey: 'support.search.title', nav: 'support' };
  if (raw === undefined) {
    renderApp(deps, res, 'portal', 'portal/support/search', base);
    return;
  }
  const q = typeof raw === 'string' ? raw.trim() : '';
  const problems: FieldProblem[] = [];
  if (q === '') {
    problems.push({ field: 'q', message: translate(res, 'support.search.missing') });
  } else if ([...q].length > MAX_SEARCH_LENGTH) {
    problems.push({
      field: 'q',
      message: translate(res, 'support.search.too_long', { max: MAX_SEARCH_LENGTH }),
    });
  }
  if (problems.length > 0) {
    renderApp(
      deps,
      res,
      'portal',
      'portal/support/search',
      {
        ...base,
        q: typeof raw === 'string' ? raw.slice(0, MAX_SEARCH_LENGTH) : '',
        ...formErrors(problems),
      },
      400,
    );
    return;
  }

  const { db, clock, random } = deps.services;
  const accounts = new KnexAccountRepository(db, clock, random);
  const [byUsername, byLegacy, byEmail] = await Promise.all([
    accounts.findByUsername(q),
    accounts.findByLegacyUsername(q),
    accounts.findByEmail(q),
  ]);
  const found = new Map<string, { account: Account; matchedBy: MatchedBy[] }>();
  const add = (account: Account | null, how: MatchedBy) => {
    if (!account) return;
    const entry = found.get(account.id) ?? { account, matchedBy: [] };
    entry.matchedBy.push(how);
    found.set(account.id, entry);
  };
  add(byUsername, 'username');
  add(byLegacy, 'legacy_username');
  for (const account of byEmail) add(account, 'email');

  const records = await Promise.all(
    [...found.keys()].map(
      async (id) => [id, await deps.services.migration.findRecord(id)] as const,
    ),
  );
  const recordOf = new Map(records);
  const results = [...found.values()].map(({ account, matchedBy }) => ({
    href: accountPath(account.id),
    name: displayName(account),
    username: account.username,
    legacyUsername: account.legacyUsername,
    email: account.email,
    kindKey: `portal.kind.${account.kind}`,
    statusKey: `support.status.${supportStatus(account, recordOf.get(account.id) ?? null)}`,
    matchedBy: matchedBy.map((how) => translate(res, `support.search.matched_${how}`)).join(', '),
  }));
  renderApp(deps, res, 'portal', 'portal/support/search', {
    ...base,
    q,
    searched: true,
    results,
  });
}

function showNotFound(deps: RouteDependencies, res: Response): void {
  renderApp(
    deps,
    res,
    'portal',
    'portal/support/not-found',
    { titleKey: 'support.not_found.title', nav: 'support' },
    404,
  );
}

/** The account page: everything support needs to know, and the actions that apply. */
async function showAccount(
  deps: RouteDependencies,
  req: Request,
  res: Response,
  facts: AccountFacts,
  extra: Record<string, unknown> = {},
  status = 200,
): Promise<void> {
  const lang = languageOf(res);
  const t = (key: string, options?: Record<string, unknown>) => translate(res, key, options);
  const when = (date: Date | null) => (date ? formatMailDateTime(date, lang) : null);
  const { account, record } = facts;
  const { services } = deps;
  const staffId = staffOf(res).id;

  const [centres, events] = await Promise.all([
    centreClaims(services.db, account.id),
    recentEvents(services, account.id, lang, t),
  ]);

  const done =
    typeof req.query.done === 'string' && isSupportAction(req.query.done) ? req.query.done : null;
  const actions = SUPPORT_ACTIONS.filter(
    (action) => refusalOf(action, facts, staffId) === null,
  ).map((action) => ({
    href: `${accountPath(account.id)}/${action}`,
    label: t(`support.actions.${actionKey(action)}.button`),
    warning: WARNING_ACTIONS.has(action),
  }));

  renderApp(
    deps,
    res,
    'portal',
    'portal/support/account',
    {
      titleKey: 'support.account.title',
      nav: 'support',
      heading: displayName(account),
      notice: done ? t(`support.actions.${actionKey(done)}.done`) : null,
      self: account.id === staffId,
      actions,
      details: {
        kindKey: `portal.kind.${account.kind}`,
        statusKey: `support.status.${facts.status}`,
        statusHintKey: `support.status_hint.${facts.status}`,
        username: account.username,
        legacyUsername: account.legacyUsername,
        givenName: account.givenName,
        familyName: account.familyName,
        email: account.email,
        emailVerified: account.emailVerified,
        phone: account.phone,
        teachingCentre: account.teachingCentre,
        languageKey: `support.language.${account.locale}`,
        lastSignIn: when(account.lastSignInAt),
        created: when(account.createdAt),
        passwordTemporary: account.passwordTemporary,
        passwordExpires: when(account.passwordExpiresAt),
      },
      locks: facts.signInLocks.map((lock) => ({
        username: lock.username,
        whichKey: `support.locks.which_${lock.which}`,
        state: !lock.locked
          ? t('support.locks.not_locked')
          : lock.until
            ? t('support.locks.locked_until', { time: formatMailDateTime(lock.until, lang) })
            : t('support.locks.locked_until_unlocked'),
        locked: lock.locked,
      })),
      mfaLock: facts.mfaLocked
        ? t('support.locks.locked_until_unlocked')
        : t('support.locks.not_locked'),
      mfaLocked: facts.mfaLocked,
      factors: facts.factors.map((f) => ({
        kind: t(`support.factor_kind.${f.kind}`),
        destination: f.maskedDestination,
        isDefault: f.isDefault,
        lastUsed: when(f.lastUsedAt),
        added: when(f.confirmedAt ?? f.createdAt),
      })),
      recoveryCodes: facts.recoveryCodes,
      requiredActions: facts.requiredActions.map((a) => t(`support.required_action.${a}`)),
      centres: centres.map((c) => ({
        number: c.number,
        name: c.name,
        role: CENTRE_ROLE_LABELS[c.role][lang],
        permissions: c.permissions.map((p) => CENTRE_PERMISSION_TEXT[p].label[lang]).join(', '),
      })),
      migration: record
        ? {
            stateKey: `support.migration.state_${record.state}`,
            migratedAt: when(record.migratedAt),
            sentAt: when(record.temporaryPasswordSentAt),
            expiresAt: when(record.temporaryPasswordExpiresAt),
            resends: String(record.temporaryPasswordResends),
            firstSignInAt: when(record.firstSignInAt),
            completedAt: when(record.completedAt),
          }
        : null,
      events,
      ...extra,
    },
    status,
  );
}

/** The confirmation page of an action: what will happen, an optional note, and the button. */
function showConfirm(
  deps: RouteDependencies,
  res: Response,
  action: SupportAction,
  facts: AccountFacts,
  extra: Record<string, unknown> = {},
  status = 200,
): void {
  const key = `support.actions.${actionKey(action)}`;
  const { account } = facts;
  const name = displayName(account);
  const effects = Array.from({ length: EFFECT_COUNT[action] }, (_, i) =>
    translate(res, `${key}.effect_${i + 1}`, { name }),
  );
  renderApp(
    deps,
    res,
    'portal',
    'portal/support/confirm',
    {
      titleKey: `${key}.title`,
      nav: 'support',
      heading: translate(res, `${key}.heading`, { name }),
      username: account.username ?? account.legacyUsername ?? '',
      email: account.email,
      effects,
      emailNote: account.email
        ? translate(res, 'support.confirm.emailed', { email: account.email })
        : translate(res, 'support.confirm.no_email'),
      formAction: `${accountPath(account.id)}/${action}`,
      confirmLabel: translate(res, `${key}.confirm`),
      warning: WARNING_ACTIONS.has(action),
      backHref: accountPath(account.id),
      reason: '',
      maxReason: MAX_REASON_LENGTH,
      ...extra,
    },
    status,
  );
}
