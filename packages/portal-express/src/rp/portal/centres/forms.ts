import {
  CENTRE_PERMISSIONS,
  CENTRE_ROLE_RULES,
  defaultPermissions,
  type CentrePermission,
  type CentreRole,
} from '@porth/identity-core';
import { permissionView } from './live.js';

/** The longest search a person can type on Manage Users. */
export const MAX_SEARCH_LENGTH = 100;

/** Every value of a repeated form field (checkboxes), as strings; anything else is dropped. */
export function listField(body: unknown, name: string): string[] {
  if (typeof body !== 'object' || body === null) return [];
  const value = (body as Record<string, unknown>)[name];
  const values = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return values.filter((v): v is string => typeof v === 'string').slice(0, 20);
}

/** The account types an Invite User or Manage Access form offers. */
export type ChosenRole = 'admin' | 'user';

/** `admin` or `user` from a form or query; `fallback` for anything else. */
export function chosenRole(value: unknown, fallback: ChosenRole): ChosenRole {
  return value === 'admin' || value === 'user' ? value : fallback;
}

/** A permission checkbox as a form shows it. */
export interface PermissionChoice {
  readonly id: CentrePermission;
  /** The checkbox's id: the first is `permissions`, so the error summary can link to it. */
  readonly inputId: string;
  readonly label: string;
  readonly hint: string;
  readonly checked: boolean;
}

/**
 * The permission checkboxes for an account type: only the permissions it may hold (a User is
 * never offered A2C Keys or Post Results Services), ticked as `checked` says.
 */
export function permissionChoices(
  role: CentreRole,
  checked: readonly string[],
  lang: 'en' | 'cy',
): PermissionChoice[] {
  const grantable = CENTRE_ROLE_RULES[role].grantable;
  return CENTRE_PERMISSIONS.filter((p) => grantable.includes(p)).map((p, index) => ({
    ...permissionView(p, lang),
    inputId: index === 0 ? 'permissions' : `permission-${p}`,
    checked: checked.includes(p),
  }));
}

/** The permissions an account type may never hold, by name (shown as a note on the form). */
export function withheldPermissions(role: CentreRole, lang: 'en' | 'cy'): string {
  const grantable = CENTRE_ROLE_RULES[role].grantable;
  return CENTRE_PERMISSIONS.filter((p) => !grantable.includes(p))
    .map((p) => permissionView(p, lang).label)
    .join(', ');
}

/** An account type's starting permissions. */
export function defaultsOf(role: CentreRole): CentrePermission[] {
  return defaultPermissions(role);
}

/** A date as people in the UK write it, in the page's language (UK time). */
export function formatDate(date: Date, lang: 'en' | 'cy'): string {
  return new Intl.DateTimeFormat(lang === 'cy' ? 'cy-GB' : 'en-GB', {
    day: 'numeric',
    month: 'long',
    year: 'numeric',
    timeZone: 'Europe/London',
  }).format(date);
}
