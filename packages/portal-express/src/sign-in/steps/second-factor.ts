import {
  MfaError,
  REFUSAL_MESSAGES,
  type FactorSummary,
  type VerificationResult,
} from '@porth/mfa';
import type { Step, StepRequest } from '../step.js';
import {
  signInAccount,
  startingFactor,
  stateAfterSecondFactor,
  usableFactors,
} from '../next-step.js';

/** The pseudo-factor id of "Use a recovery code". */
const RECOVERY = 'recovery';

/** The account's confirmed factors that this sign-in may use (see usableFactors). */
async function activeFactors(s: StepRequest, accountId: string): Promise<FactorSummary[]> {
  return usableFactors(s.flow.context, await s.services.mfa.listFactors(accountId));
}

function chosenFactor(
  factors: readonly FactorSummary[],
  factorId: string | undefined,
): FactorSummary | undefined {
  return factors.find((f) => f.id === factorId) ?? startingFactor(factors);
}

function page(
  s: StepRequest,
  factors: readonly FactorSummary[],
  data: Record<string, unknown>,
  status = 200,
) {
  const current = s.flow.context.factorId;
  s.render(
    'sign-in/second-factor',
    {
      titleKey: 'second_factor.title',
      others: factors
        .filter((f) => f.id !== current)
        .map((f) => ({ id: f.id, kind: f.kind, destination: f.maskedDestination })),
      notice: s.flow.context.notice ? s.t(s.flow.context.notice) : null,
      ...data,
    },
    status,
  );
}

/** Sends a new code for `factor`; returns its challenge id, or the reason it could not be sent (en/cy). */
async function sendCode(
  s: StepRequest,
  accountId: string,
  factor: FactorSummary,
): Promise<{ challengeId: string } | { problem: string }> {
  try {
    const sent = await s.services.mfa.startChallenge(accountId, factor.id, {}, s.context);
    return sent.challenge ? { challengeId: sent.challenge.challengeId } : { problem: '' };
  } catch (err) {
    if (err instanceof MfaError) return { problem: err.userMessage[s.lang] };
    throw err;
  }
}

/**
 * The second factor: the default method first, "Use another method" for the others, and a
 * recovery code as the last resort. Codes sent by text, call or email are sent once when the
 * method is chosen; "Send a new code" sends another.
 */
export const secondFactorStep: Step = {
  state: 'second_factor',
  async show(s) {
    const account = await signInAccount(s);
    const factors = await activeFactors(s, account.id);
    if (s.req.query.method === 'choose') {
      page(s, factors, { choosing: true });
      return;
    }
    if (s.flow.context.factorId === RECOVERY) {
      page(s, factors, { recovery: true });
      return;
    }
    const factor = chosenFactor(factors, s.flow.context.factorId);
    if (!factor) throw new Error('An account at the second-factor step has no active factor');
    if (factor.id !== s.flow.context.factorId) {
      await s.update({ factorId: factor.id, challengeId: undefined });
      return;
    }
    const shown = { factor: { kind: factor.kind, destination: factor.maskedDestination } };
    if (factor.kind !== 'totp' && !s.flow.context.challengeId) {
      const sent = await sendCode(s, account.id, factor);
      if ('challengeId' in sent) {
        await s.update({ challengeId: sent.challengeId });
        return;
      }
      page(
        s,
        factors,
        {
          ...shown,
          errors: [{ field: 'code', message: sent.problem }],
          fieldErrors: { code: sent.problem },
        },
        429,
      );
      return;
    }
    page(s, factors, shown);
  },
  async submit(s) {
    const account = await signInAccount(s);
    const factors = await activeFactors(s, account.id);
    const action = s.form.action ?? 'verify';
    if (action === 'use_factor') {
      const factor = factors.find((f) => f.id === s.form.factor_id);
      await s.moveTo('second_factor', {
        factorId: factor ? factor.id : undefined,
        challengeId: undefined,
      });
      return;
    }
    if (action === 'use_recovery') {
      await s.moveTo('second_factor', { factorId: RECOVERY, challengeId: undefined });
      return;
    }
    if (action === 'resend') {
      const factor = chosenFactor(factors, s.flow.context.factorId);
      if (factor && factor.kind !== 'totp') {
        const sent = await sendCode(s, account.id, factor);
        if ('challengeId' in sent) {
          await s.moveTo('second_factor', {
            challengeId: sent.challengeId,
            notice: 'second_factor.code_resent',
          });
          return;
        }
        const shown = { factor: { kind: factor.kind, destination: factor.maskedDestination } };
        page(
          s,
          factors,
          {
            ...shown,
            errors: [{ field: 'code', message: sent.problem }],
            fieldErrors: { code: sent.problem },
          },
          429,
        );
        return;
      }
      await s.update({});
      return;
    }

    const code = (s.form.code ?? '').trim();
    const recovery = s.flow.context.factorId === RECOVERY;
    const factor = recovery ? undefined : chosenFactor(factors, s.flow.context.factorId);
    const showAgain = (messageKey: string | null, message: string | null, status: number) => {
      const text = message ?? s.t(messageKey ?? 'second_factor.errors.code_missing');
      page(
        s,
        factors,
        {
          recovery,
          ...(factor
            ? { factor: { kind: factor.kind, destination: factor.maskedDestination } }
            : {}),
          errors: [{ field: 'code', message: text }],
          fieldErrors: { code: text },
        },
        status,
      );
    };
    if (code === '' || code.length > 64)
      return showAgain('second_factor.errors.code_missing', null, 400);

    let result: VerificationResult;
    if (recovery) {
      result = await s.services.mfa.verifyRecoveryCode(account.id, code, s.context);
    } else if (factor?.kind === 'totp') {
      result = await s.services.mfa.verify(account.id, { factorId: factor.id, code }, s.context);
    } else if (s.flow.context.challengeId) {
      result = await s.services.mfa.verify(
        account.id,
        { challengeId: s.flow.context.challengeId, code },
        s.context,
      );
    } else {
      await s.update({});
      return;
    }
    if (!result.ok) {
      const status = result.reason === 'throttled' || result.reason === 'locked' ? 429 : 400;
      return showAgain(null, REFUSAL_MESSAGES[result.reason][s.lang], status);
    }
    await s.moveTo(await stateAfterSecondFactor(s, account.id, account), {
      amr: [...new Set([...(s.flow.context.amr ?? ['pwd']), ...result.amr])],
      weakSecondFactor: result.weak,
      challengeId: undefined,
    });
  },
};
