import type { StepRequest } from '../step.js';

/** What each scope lets an application see, as the consent page lists it. */
const SCOPE_KEYS: Readonly<Record<string, string>> = {
  profile: 'consent.scope_profile',
  email: 'consent.scope_email',
  phone: 'consent.scope_phone',
  offline_access: 'consent.scope_offline_access',
};

/**
 * Consent for applications that are not the exam board's own (first-party clients never get
 * here: their grant is made without asking). Allow records the grant; Deny tells the
 * application the user said no.
 */
export const consentPage = {
  async show(s: StepRequest): Promise<void> {
    const missing = (s.details.prompt.details.missingOIDCScope as string[] | undefined) ?? [];
    s.render('sign-in/consent', {
      titleKey: 'consent.title',
      action: `/interaction/${s.uid}/consent`,
      client: String(s.details.params.client_id),
      scopes: missing
        .filter((scope) => SCOPE_KEYS[scope])
        .map((scope) => s.t(SCOPE_KEYS[scope] ?? scope)),
    });
  },
  async submit(s: StepRequest): Promise<void> {
    if (s.form.decision !== 'allow') {
      await s.provider.interactionFinished(
        s.req,
        s.res,
        { error: 'access_denied', error_description: 'The user did not allow access' },
        { mergeWithLastSubmission: true },
      );
      return;
    }
    const { details, provider } = s;
    const accountId = details.session?.accountId;
    if (!accountId) throw new Error('Consent without a signed-in session');
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId, clientId: String(details.params.client_id) });
    if (!grant) throw new Error('The grant being extended no longer exists');
    const missingScope = details.prompt.details.missingOIDCScope as string[] | undefined;
    const missingClaims = details.prompt.details.missingOIDCClaims as string[] | undefined;
    if (missingScope) grant.addOIDCScope(missingScope.join(' '));
    if (missingClaims) grant.addOIDCClaims(missingClaims);
    const grantId = await grant.save();
    await provider.interactionFinished(
      s.req,
      s.res,
      { consent: { grantId } },
      { mergeWithLastSubmission: true },
    );
  },
};
