import { KnexFlowRepository, type Account } from '@porth/identity-core';
import {
  EnrolmentExpiredError,
  FactorNotFoundError,
  MfaError,
  REFUSAL_MESSAGES,
  maskEmail,
  type MfaErrorCode,
  type PhoneDelivery,
  type TotpEnrolmentDetails,
} from '@porth/mfa';
import type { MfaSetupProgress } from '../states.js';
import type { FieldError, Step, StepRequest } from '../step.js';
import { signInAccount } from '../next-step.js';

const METHODS = ['totp', 'phone', 'email'] as const;
const DELIVERIES: readonly PhoneDelivery[] = ['sms', 'voice'];
const MAX_CODE = 20;

/** Statuses of MfaErrors that are not a plain 400. */
const ERROR_STATUS: Partial<Record<MfaErrorCode, number>> = {
  MFA_RESEND_TOO_SOON: 429,
  MFA_SEND_LIMIT_REACHED: 429,
  MFA_LOCKED: 429,
  MFA_FACTOR_DUPLICATE: 409,
  MFA_TOO_MANY_FACTORS: 409,
  MFA_ALREADY_CONFIRMED: 409,
};

/** Extra data for a page: errors and the like. */
type PageData = Record<string, unknown>;

function fieldError(field: string, message: string): PageData {
  const errors: FieldError[] = [{ field, message }];
  return { errors, fieldErrors: { [field]: message }, notice: null };
}

/**
 * The pending authenticator-app enrolment, shown again on every visit (a reload must not change
 * the secret the person may already have scanned); null when it is gone. (An expired one is
 * still shown: its first code is then refused with EnrolmentExpiredError and the set-up restarts.)
 */
async function pendingTotp(
  s: StepRequest,
  account: Account,
  factorId: string | undefined,
): Promise<TotpEnrolmentDetails | null> {
  return factorId ? s.services.mfa.pendingTotpEnrolment(account.id, factorId) : null;
}

/** Shows the page for where the set-up stands; falls back to the choice of method. */
async function render(
  s: StepRequest,
  account: Account,
  setup: MfaSetupProgress | undefined,
  data: PageData = {},
  status = 200,
): Promise<void> {
  const notice = s.flow.context.notice ? s.t(s.flow.context.notice) : null;
  const common = { titleKey: 'mfa_setup.title', notice, ...data };
  if (setup?.method === 'totp') {
    const details = await pendingTotp(s, account, setup.factorId);
    if (details) {
      s.res.set('Cache-Control', 'no-store');
      s.render(
        'sign-in/mfa-setup-app',
        {
          ...common,
          titleKey: 'mfa_setup.app_title',
          qr: details.qrPngDataUrl,
          secret: details.secretForTyping,
          label: details.label,
          issuer: details.issuer,
        },
        status,
      );
      return;
    }
  } else if (setup?.method === 'phone' || setup?.method === 'email') {
    if (setup.challengeId && setup.channel) {
      s.render(
        'sign-in/mfa-setup-code',
        {
          ...common,
          titleKey: `mfa_setup.code_title_${setup.channel}`,
          channel: setup.channel,
          destination: setup.destination ?? '',
          phone: setup.method === 'phone',
        },
        status,
      );
      return;
    }
    if (setup.method === 'email') {
      s.render(
        'sign-in/mfa-setup-email',
        {
          ...common,
          titleKey: 'mfa_setup.email_title',
          destination: account.email ? maskEmail(account.email) : '',
        },
        status,
      );
      return;
    }
    if (setup.phone) {
      const deliveries = setup.phone.deliveries;
      s.render(
        'sign-in/mfa-setup-delivery',
        {
          ...common,
          titleKey: 'mfa_setup.delivery_title',
          number: setup.phone.national,
          canText: deliveries.includes('sms'),
          callOnly: !deliveries.includes('sms'),
        },
        status,
      );
      return;
    }
    s.render(
      'sign-in/mfa-setup-phone',
      {
        ...common,
        titleKey: 'mfa_setup.phone_title',
        values: { phone: account.phone ?? '', ...(data.values as object | undefined) },
      },
      status,
    );
    return;
  }
  s.render('sign-in/mfa-setup', { ...common, values: { method: '' } }, status);
}

/** Saves `mfaSetup` without changing page, for an answer that is rendered at once (with errors). */
async function saveSetup(s: StepRequest, setup: MfaSetupProgress | undefined): Promise<void> {
  await new KnexFlowRepository(s.services.db, s.services.clock, s.services.random).save(s.flow, {
    ...s.flow,
    context: { ...s.flow.context, mfaSetup: setup, notice: undefined },
    updatedAt: s.services.clock.now(),
  });
}

/** Shows an MfaError in the person's language on the page where it happened (or back at the start). */
async function showMfaError(
  s: StepRequest,
  account: Account,
  setup: MfaSetupProgress | undefined,
  err: MfaError,
  field: string,
): Promise<void> {
  const status = ERROR_STATUS[err.code] ?? 400;
  const message = err.userMessage[s.lang];
  if (err instanceof EnrolmentExpiredError || err instanceof FactorNotFoundError) {
    // The pending method is gone: start again from the choice of method.
    await saveSetup(s, undefined);
    await render(s, account, undefined, fieldError('method', message), status);
    return;
  }
  await render(s, account, setup, fieldError(field, message), status);
}

/** Runs `work`; an MfaError is shown on the page instead of failing the request. */
async function guarded(
  s: StepRequest,
  account: Account,
  setup: MfaSetupProgress | undefined,
  field: string,
  work: () => Promise<void>,
): Promise<void> {
  try {
    await work();
  } catch (err) {
    if (!(err instanceof MfaError)) throw err;
    await showMfaError(s, account, setup, err, field);
  }
}

/** The first code was right: the factor is the sign-in's second factor; on to the recovery codes. */
async function confirmed(
  s: StepRequest,
  account: Account,
  setup: MfaSetupProgress,
  code: string,
): Promise<void> {
  if (!setup.factorId) {
    await s.moveTo('mfa_setup', { mfaSetup: undefined });
    return;
  }
  const result = await s.services.mfa.confirmEnrolment(
    account.id,
    {
      factorId: setup.factorId,
      code,
      ...(setup.challengeId ? { challengeId: setup.challengeId } : {}),
    },
    s.context,
  );
  if (!result.ok) {
    const status = result.reason === 'throttled' || result.reason === 'locked' ? 429 : 400;
    await render(
      s,
      account,
      setup,
      fieldError('code', REFUSAL_MESSAGES[result.reason][s.lang]),
      status,
    );
    return;
  }
  // confirmEnrolment removed `configure_mfa`; the migration record moves on with it.
  await s.services.migration.completeRequiredAction(account.id, 'configure_mfa', s.context);
  await s.moveTo('recovery_codes', {
    amr: ['pwd', ...result.amr],
    weakSecondFactor: result.weak,
    mfaSetup: undefined,
    recoveryCodesShown: false,
    factorId: undefined,
    challengeId: undefined,
  });
}

/**
 * "Configure multi-factor authentication" (user guides 000 and 002): an authenticator app
 * (recommended: QR code and the secret to type), a text message or phone call (a landline can
 * only be called), or email codes (least secure, only after the risk checkbox). The first right
 * code sets the factor up and counts as this sign-in's second factor.
 */
export const mfaSetupStep: Step = {
  state: 'mfa_setup',
  async show(s) {
    const account = await signInAccount(s);
    const setup = s.flow.context.mfaSetup;
    if (setup?.method === 'totp' && !(await pendingTotp(s, account, setup.factorId))) {
      // First visit, or the pending app expired: make a (new) secret.
      await guarded(s, account, undefined, 'method', async () => {
        const enrolment = await s.services.mfa.startTotpEnrolment(account.id, s.context);
        await s.update({
          mfaSetup: { method: 'totp', kind: 'totp', factorId: enrolment.factorId },
        });
      });
      return;
    }
    await render(s, account, setup);
  },
  async submit(s) {
    const account = await signInAccount(s);
    const setup = s.flow.context.mfaSetup;
    const action = s.form.action ?? '';

    if (action === 'choose') {
      const method = METHODS.find((m) => m === s.form.method);
      if (!method) {
        await render(
          s,
          account,
          undefined,
          fieldError('method', s.t('mfa_setup.errors.method_missing')),
          400,
        );
        return;
      }
      await s.moveTo('mfa_setup', { mfaSetup: { method } });
      return;
    }
    if (action === 'restart' || !setup) {
      await s.moveTo('mfa_setup', { mfaSetup: undefined });
      return;
    }
    if (action === 'change_number') {
      await s.moveTo('mfa_setup', { mfaSetup: { method: 'phone' } });
      return;
    }

    if (action === 'phone_number' && setup.method === 'phone') {
      const typed = (s.form.phone ?? '').trim();
      if (typed === '') {
        await render(
          s,
          account,
          setup,
          { ...fieldError('phone', s.t('mfa_setup.errors.phone_missing')), values: { phone: '' } },
          400,
        );
        return;
      }
      try {
        const phone = s.services.mfa.parsePhoneNumber(typed);
        await s.moveTo('mfa_setup', {
          mfaSetup: {
            method: 'phone',
            phone: { e164: phone.e164, national: phone.national, deliveries: phone.deliveries },
          },
        });
      } catch (err) {
        if (!(err instanceof MfaError)) throw err;
        const message = err.userMessage[s.lang];
        await render(
          s,
          account,
          setup,
          { ...fieldError('phone', message), values: { phone: typed.slice(0, 40) } },
          400,
        );
      }
      return;
    }

    if (action === 'send_phone' && setup.method === 'phone' && setup.phone) {
      const phone = setup.phone;
      const delivery = DELIVERIES.find((d) => d === s.form.delivery);
      if (!delivery || !phone.deliveries.includes(delivery)) {
        await render(
          s,
          account,
          setup,
          fieldError('delivery', s.t('mfa_setup.errors.delivery_missing')),
          400,
        );
        return;
      }
      await guarded(s, account, setup, 'delivery', async () => {
        const enrolment = await s.services.mfa.startPhoneEnrolment(
          account.id,
          { phoneNumber: phone.e164, delivery },
          s.context,
        );
        await s.moveTo('mfa_setup', {
          mfaSetup: {
            ...setup,
            kind: enrolment.kind,
            factorId: enrolment.factorId,
            challengeId: enrolment.challenge.challengeId,
            channel: enrolment.challenge.channel,
            destination: enrolment.displayDestination,
          },
        });
      });
      return;
    }

    if (action === 'send_email' && setup.method === 'email') {
      await guarded(s, account, setup, 'risks', async () => {
        const enrolment = await s.services.mfa.startEmailEnrolment(
          account.id,
          { risksAcknowledged: s.form.risks === 'yes' },
          s.context,
        );
        await s.moveTo('mfa_setup', {
          mfaSetup: {
            method: 'email',
            kind: 'email',
            factorId: enrolment.factorId,
            challengeId: enrolment.challenge.challengeId,
            channel: 'email',
            destination: enrolment.displayDestination,
          },
        });
      });
      return;
    }

    if (action === 'resend' && setup.factorId && setup.challengeId) {
      const factorId = setup.factorId;
      await guarded(s, account, setup, 'code', async () => {
        const sent = await s.services.mfa.resendEnrolmentCode(account.id, factorId, {}, s.context);
        await s.moveTo('mfa_setup', {
          mfaSetup: { ...setup, challengeId: sent.challengeId, channel: sent.channel },
          notice: 'mfa_setup.code_resent',
        });
      });
      return;
    }

    if (action === 'verify' && setup.factorId) {
      const code = (s.form.code ?? '').trim();
      if (code === '' || code.length > MAX_CODE) {
        await render(
          s,
          account,
          setup,
          fieldError(
            'code',
            s.t(code === '' ? 'mfa_setup.errors.code_missing' : 'mfa_setup.errors.code_invalid'),
          ),
          400,
        );
        return;
      }
      await guarded(s, account, setup, 'code', () => confirmed(s, account, setup, code));
      return;
    }

    // An action that does not fit where the set-up stands (an old tab): show where it stands.
    await s.update({});
  },
};
