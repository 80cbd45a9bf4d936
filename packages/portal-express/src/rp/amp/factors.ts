import type { Request, Response, Router } from 'express';
import { MfaError, REFUSAL_MESSAGES, maskEmail, type PhoneDelivery } from '@porth/mfa';
import type { RouteDependencies } from '../../routes/route-dependencies.js';
import { formFields } from '../../sign-in/router.js';
import {
  formBody,
  formErrors,
  languageOf,
  renderApp,
  requestContext,
  sessionOf,
  translate,
} from '../common.js';
import type { RelyingParty } from '../relying-party.js';
import { mfaErrorStatus } from './security.js';
import { AMP, accountOf, requireRecentSignIn, saveExtra } from './support.js';

const ADD = `${AMP}/security/add`;

/** A second factor being added: kept (sealed) in the AMP session until its first code confirms it. */
interface PendingEnrolment {
  readonly factorId: string;
  readonly kind: 'totp' | 'sms' | 'voice' | 'email';
  readonly challengeId?: string;
  /** Where the code went, as the person should read it. */
  readonly destination?: string;
  readonly qrPngDataUrl?: string;
  readonly secretForTyping?: string;
}

const METHODS = ['app', 'sms', 'voice', 'email'] as const;

function pendingOf(res: Response): PendingEnrolment | null {
  const value = sessionOf(res).data.extra.enrolment;
  return value && typeof value === 'object' ? (value as PendingEnrolment) : null;
}

function deliveryOf(value: unknown): PhoneDelivery {
  return value === 'voice' ? 'voice' : 'sms';
}

function showChoice(
  deps: RouteDependencies,
  res: Response,
  extra: Record<string, unknown> = {},
  status = 200,
): void {
  renderApp(
    deps,
    res,
    'amp',
    'amp/add-factor',
    { titleKey: 'amp.add.title', nav: 'security', methods: METHODS, ...extra },
    status,
  );
}

function showPhone(
  deps: RouteDependencies,
  res: Response,
  delivery: PhoneDelivery,
  extra: Record<string, unknown> = {},
  status = 200,
): void {
  renderApp(
    deps,
    res,
    'amp',
    'amp/add-phone',
    {
      titleKey: delivery === 'voice' ? 'amp.add.phone_title_voice' : 'amp.add.phone_title_sms',
      nav: 'security',
      delivery,
      voice: delivery === 'voice',
      ...extra,
    },
    status,
  );
}

function showEmail(
  deps: RouteDependencies,
  res: Response,
  extra: Record<string, unknown> = {},
  status = 200,
): void {
  const email = accountOf(res).email;
  renderApp(
    deps,
    res,
    'amp',
    'amp/add-email',
    { titleKey: 'amp.add.email_title', nav: 'security', email, ...extra },
    status,
  );
}

function showConfirm(
  deps: RouteDependencies,
  res: Response,
  pending: PendingEnrolment,
  extra: Record<string, unknown> = {},
  status = 200,
): void {
  res.set('Cache-Control', 'no-store');
  renderApp(
    deps,
    res,
    'amp',
    'amp/confirm-factor',
    {
      titleKey: pending.kind === 'totp' ? 'amp.add.app_title' : 'amp.add.code_title',
      nav: 'security',
      pending,
      totp: pending.kind === 'totp',
      ...extra,
    },
    status,
  );
}

/**
 * Adding a second factor in AMP: an authenticator app (QR code and the secret to type), a text
 * message or a phone call, or email codes (only after ticking the risk statement), each
 * confirmed with its first code through the MFA service.
 */
export function factorRoutes(router: Router, deps: RouteDependencies, rp: RelyingParty): void {
  const recent = requireRecentSignIn(deps, ADD);
  const { mfa } = deps.services;

  const failed = (
    res: Response,
    err: unknown,
    show: (extra: Record<string, unknown>, status: number) => void,
    field: string,
  ) => {
    if (!(err instanceof MfaError)) throw err;
    show(formErrors([{ field, message: err.userMessage[languageOf(res)] }]), mfaErrorStatus(err));
  };

  const started = async (res: Response, pending: PendingEnrolment) => {
    await saveExtra(rp, res, { enrolment: pending });
    res.redirect(303, `${ADD}/confirm`);
  };

  router.get(ADD, deps.csrf.token, recent, (_req, res) => showChoice(deps, res));

  router.post(ADD, formBody, deps.csrf.protect, deps.csrf.token, recent, async (req, res) => {
    const method = formFields(req.body).method ?? '';
    if (method === 'sms' || method === 'voice') {
      res.redirect(303, `${ADD}/phone?delivery=${method}`);
      return;
    }
    if (method === 'email') {
      res.redirect(303, `${ADD}/email`);
      return;
    }
    if (method !== 'app') {
      showChoice(
        deps,
        res,
        formErrors([{ field: 'method-app', message: translate(res, 'amp.add.choose_method') }]),
        400,
      );
      return;
    }
    try {
      const enrolment = await mfa.startTotpEnrolment(sessionOf(res).accountId, requestContext(req));
      await started(res, {
        factorId: enrolment.factorId,
        kind: 'totp',
        qrPngDataUrl: enrolment.qrPngDataUrl,
        secretForTyping: enrolment.secretForTyping,
      });
    } catch (err) {
      failed(res, err, (extra, status) => showChoice(deps, res, extra, status), 'method-app');
    }
  });

  router.get(`${ADD}/phone`, deps.csrf.token, recent, (req, res) =>
    showPhone(deps, res, deliveryOf(req.query.delivery)),
  );

  router.post(
    `${ADD}/phone`,
    formBody,
    deps.csrf.protect,
    deps.csrf.token,
    recent,
    async (req, res) => {
      const f = formFields(req.body);
      const delivery = deliveryOf(f.delivery);
      const phone = (f.phone ?? '').trim();
      const show = (extra: Record<string, unknown>, status: number) =>
        showPhone(deps, res, delivery, { phone, ...extra }, status);
      if (!phone) {
        show(
          formErrors([{ field: 'phone', message: translate(res, 'amp.add.phone_missing') }]),
          400,
        );
        return;
      }
      try {
        const enrolment = await mfa.startPhoneEnrolment(
          sessionOf(res).accountId,
          { phoneNumber: phone, delivery },
          requestContext(req),
        );
        await started(res, {
          factorId: enrolment.factorId,
          kind: enrolment.kind,
          challengeId: enrolment.challenge.challengeId,
          destination: enrolment.displayDestination,
        });
      } catch (err) {
        failed(res, err, show, 'phone');
      }
    },
  );

  router.get(`${ADD}/email`, deps.csrf.token, recent, (_req, res) => showEmail(deps, res));

  router.post(
    `${ADD}/email`,
    formBody,
    deps.csrf.protect,
    deps.csrf.token,
    recent,
    async (req, res) => {
      const show = (extra: Record<string, unknown>, status: number) =>
        showEmail(deps, res, extra, status);
      if (formFields(req.body).risks !== 'yes') {
        show(
          formErrors([{ field: 'risks', message: translate(res, 'amp.add.risks_missing') }]),
          400,
        );
        return;
      }
      try {
        const enrolment = await mfa.startEmailEnrolment(
          sessionOf(res).accountId,
          { risksAcknowledged: true },
          requestContext(req),
        );
        await started(res, {
          factorId: enrolment.factorId,
          kind: 'email',
          challengeId: enrolment.challenge.challengeId,
          destination: maskEmail(accountOf(res).email ?? ''),
        });
      } catch (err) {
        failed(res, err, show, 'risks');
      }
    },
  );

  router.get(`${ADD}/confirm`, deps.csrf.token, (req: Request, res: Response) => {
    const pending = pendingOf(res);
    if (!pending) {
      res.redirect(303, ADD);
      return;
    }
    showConfirm(deps, res, pending, {
      notice: req.query.resent === '1' ? translate(res, 'amp.add.code_resent') : null,
    });
  });

  router.post(`${ADD}/confirm`, formBody, deps.csrf.protect, deps.csrf.token, async (req, res) => {
    const pending = pendingOf(res);
    if (!pending) {
      res.redirect(303, ADD);
      return;
    }
    const accountId = sessionOf(res).accountId;
    const f = formFields(req.body);
    const lang = languageOf(res);
    const show = (extra: Record<string, unknown>, status: number) =>
      showConfirm(deps, res, pending, extra, status);
    try {
      if (f.action === 'resend' && pending.kind !== 'totp') {
        const sent = await mfa.resendEnrolmentCode(
          accountId,
          pending.factorId,
          {},
          requestContext(req),
        );
        await saveExtra(rp, res, { enrolment: { ...pending, challengeId: sent.challengeId } });
        res.redirect(303, `${ADD}/confirm?resent=1`);
        return;
      }
      const code = (f.code ?? '').trim();
      if (!code) {
        show(formErrors([{ field: 'code', message: translate(res, 'amp.add.code_missing') }]), 400);
        return;
      }
      const result = await mfa.confirmEnrolment(
        accountId,
        {
          factorId: pending.factorId,
          code,
          ...(pending.challengeId ? { challengeId: pending.challengeId } : {}),
        },
        requestContext(req),
      );
      if (!result.ok) {
        show(
          formErrors([{ field: 'code', message: REFUSAL_MESSAGES[result.reason][lang] }]),
          result.reason === 'throttled' || result.reason === 'locked' ? 429 : 400,
        );
        return;
      }
    } catch (err) {
      if (err instanceof MfaError && err.code === 'MFA_ENROLMENT_EXPIRED') {
        await saveExtra(rp, res, { enrolment: null });
      }
      failed(res, err, show, 'code');
      return;
    }
    await saveExtra(rp, res, { enrolment: null });
    res.redirect(303, `${AMP}/security?done=factor_added`);
  });
}
