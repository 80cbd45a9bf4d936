import {
  CentreAccessDeniedError,
  CentreAdminLimitError,
  CentreInvalidError,
  CentreMemberDuplicateError,
  CentreMemberNotActiveError,
  CentreMemberNotFoundError,
  CentreNotFoundError,
  CentrePermissionNotAllowedError,
  ConcurrentUpdateError,
  ExamsOfficerProtectedError,
  InvalidProfileError,
  centreErrorMessage,
  type ProfileField,
} from '@porth/identity-core';
import type { FieldProblem } from '../../common.js';

/** The form field each profile field is typed into. */
export const PROFILE_FIELD_IDS: Readonly<Record<ProfileField, string>> = {
  givenName: 'given_name',
  familyName: 'family_name',
  email: 'email',
  phone: 'phone',
  teachingCentre: 'teaching_centre',
  locale: 'locale',
};

/** How a refused centre operation is answered. */
export type Refusal =
  /** Show the form again with these problems. */
  | { readonly kind: 'form'; readonly status: number; readonly problems: readonly FieldProblem[] }
  /** The person may not do this at all (403). */
  | { readonly kind: 'forbidden'; readonly error: CentreAccessDeniedError }
  /** The user is no longer at the centre (404). */
  | { readonly kind: 'not_found'; readonly message: string }
  /** Someone changed the user meanwhile (409): show the page again with what is stored now. */
  | { readonly kind: 'stale' };

/**
 * Turns an error of the centre rules into the answer a person sees, with the library's own
 * clear reason in their language; null for anything else (which the error handler deals with).
 */
export function refusalOf(err: unknown, lang: 'en' | 'cy'): Refusal | null {
  if (err instanceof CentreAccessDeniedError) return { kind: 'forbidden', error: err };
  if (err instanceof ConcurrentUpdateError) return { kind: 'stale' };
  if (err instanceof InvalidProfileError) {
    return {
      kind: 'form',
      status: 400,
      problems: err.issues.map((i) => ({
        field: PROFILE_FIELD_IDS[i.field],
        message: i.message[lang],
      })),
    };
  }
  const message = centreErrorMessage(err)?.[lang];
  if (message === undefined) return null;
  if (err instanceof CentreMemberNotFoundError || err instanceof CentreNotFoundError) {
    return { kind: 'not_found', message };
  }
  const field = (f: string, status: number): Refusal => ({
    kind: 'form',
    status,
    problems: [{ field: f, message }],
  });
  if (err instanceof CentrePermissionNotAllowedError) return field('permissions', 400);
  if (err instanceof CentreAdminLimitError) return field('role', 409);
  if (err instanceof CentreMemberDuplicateError) return field('email', 409);
  if (err instanceof ExamsOfficerProtectedError) return field('role', 403);
  if (err instanceof CentreInvalidError)
    return field(err.field === 'email' ? 'email' : 'role', 400);
  if (err instanceof CentreMemberNotActiveError) return field('role', 409);
  return null;
}
