/**
 * Centre roles and permissions, with each role's defaults and limits written out once
 * (`CENTRE_ROLE_RULES`), from the Portal's user guide "Types of Accounts":
 *
 * | permission                           | Exams Officer | Admin   | User                 |
 * | ------------------------------------ | ------------- | ------- | -------------------- |
 * | Access Arrangements/CAP              | default       | default | on request           |
 * | Entries & Results                    | default       | default | on request (1)       |
 * | IAMIS                                | default       | default | on request           |
 * | View Scripts                         | default       | default | on request           |
 * | Post Results Services                | default       | default | never                |
 * | Past Papers/Marking Schemes/Resources| default       | default | default              |
 * | A2C Keys                             | default       | default | never                |
 * | Item Level Data                      | default       | default | on request           |
 *
 * (1) For a User, entries are view-only and results are visible only from 8am (UK time) on
 * results day; an Exams Officer or Admin makes entries and sees results under embargo. See
 * `entriesResultsAccess` and `canViewResults` in `results-day.ts`.
 *
 * Managing the centre (inviting, changing access, deleting) is not a permission: it belongs to
 * the Exams Officer and the Admins, whatever permissions they hold (`canManageCentre`).
 */
import type { LocalisedText } from '../passwords/policy-messages.js';

/** Every account type at a centre, most senior first. */
export const CENTRE_ROLES = ['exams_officer', 'admin', 'user'] as const;
/** An account type at a centre: the one Exams Officer, up to three Admins, or a User. */
export type CentreRole = (typeof CENTRE_ROLES)[number];

/** The account types that can be invited (the Exams Officer role is only ever transferred). */
export const INVITABLE_CENTRE_ROLES = ['admin', 'user'] as const;
/** An account type an invitation can carry. */
export type InvitableCentreRole = (typeof INVITABLE_CENTRE_ROLES)[number];

/** Every centre permission, in the order the Manage Access form lists them. */
export const CENTRE_PERMISSIONS = [
  'access_arrangements',
  'entries_results',
  'iamis',
  'view_scripts',
  'post_results',
  'resources',
  'a2c_keys',
  'item_level_data',
] as const;
/** Access to one Portal service for one centre. */
export type CentrePermission = (typeof CENTRE_PERMISSIONS)[number];

/** How far a member may work with entries. */
export type EntriesAccess = 'make' | 'view';
/** When a member may see results: under embargo, or from 8am (UK time) on results day. */
export type ResultsAccess = 'under_embargo' | 'from_results_day';

/** What one account type starts with, may be given, and how it sees entries and results. */
export interface CentreRoleRule {
  /** Permissions given when none are chosen (an invitation or a role change without a list). */
  readonly defaults: readonly CentrePermission[];
  /** Every permission this account type may hold; anything else is refused. */
  readonly grantable: readonly CentrePermission[];
  /** Whether this account type invites, changes access and deletes users. */
  readonly managesCentre: boolean;
  /** With `entries_results`: make entries, or view them only. */
  readonly entries: EntriesAccess;
  /** With `entries_results`: results under embargo, or from 8am on results day. */
  readonly results: ResultsAccess;
}

/** The most Admins a centre may have (pending invitations to Admin included). */
export const MAX_CENTRE_ADMINS = 3;

/** Each account type's defaults and limits, written out once (see the table above). */
export const CENTRE_ROLE_RULES: { readonly [R in CentreRole]: CentreRoleRule } = {
  exams_officer: {
    defaults: CENTRE_PERMISSIONS,
    grantable: CENTRE_PERMISSIONS,
    managesCentre: true,
    entries: 'make',
    results: 'under_embargo',
  },
  admin: {
    defaults: CENTRE_PERMISSIONS,
    grantable: CENTRE_PERMISSIONS,
    managesCentre: true,
    entries: 'make',
    results: 'under_embargo',
  },
  user: {
    defaults: ['resources'],
    grantable: [
      'access_arrangements',
      'entries_results',
      'iamis',
      'view_scripts',
      'resources',
      'item_level_data',
    ],
    managesCentre: false,
    entries: 'view',
    results: 'from_results_day',
  },
};

/** True when `value` is one of the centre roles. */
export function isCentreRole(value: unknown): value is CentreRole {
  return (CENTRE_ROLES as readonly unknown[]).includes(value);
}

/** True when `value` is one of the centre permissions. */
export function isCentrePermission(value: unknown): value is CentrePermission {
  return (CENTRE_PERMISSIONS as readonly unknown[]).includes(value);
}

/** True when members of this account type invite, change access and delete users. */
export function canManageCentre(role: CentreRole): boolean {
  return CENTRE_ROLE_RULES[role].managesCentre;
}

/** The permissions an account type starts with, in form order. */
export function defaultPermissions(role: CentreRole): CentrePermission[] {
  return [...CENTRE_ROLE_RULES[role].defaults];
}

/** True when an account type may hold `permission` (a User never holds A2C Keys or Post Results Services). */
export function isGrantable(role: CentreRole, permission: CentrePermission): boolean {
  return CENTRE_ROLE_RULES[role].grantable.includes(permission);
}

/**
 * Splits a requested list into the permissions `role` may hold (deduplicated, in form order)
 * and the values it may not: unknown names and permissions the account type cannot hold.
 */
export function checkPermissions(
  role: CentreRole,
  requested: readonly unknown[],
): { readonly allowed: CentrePermission[]; readonly refused: string[] } {
  const refused: string[] = [];
  const wanted = new Set<CentrePermission>();
  for (const value of requested) {
    if (isCentrePermission(value) && isGrantable(role, value)) wanted.add(value);
    else if (!refused.includes(String(value))) refused.push(String(value));
  }
  return { allowed: CENTRE_PERMISSIONS.filter((p) => wanted.has(p)), refused };
}

/** The names of the account types, as the Portal shows them. */
export const CENTRE_ROLE_LABELS: { readonly [R in CentreRole]: LocalisedText } = {
  exams_officer: { en: 'Exams Officer', cy: 'Swyddog Arholiadau' },
  admin: { en: 'Admin', cy: 'Gweinyddwr' },
  user: { en: 'User', cy: 'Defnyddiwr' },
};

/** The name and description of each permission, as the Invite User and Manage Access forms show them. */
export const CENTRE_PERMISSION_TEXT: {
  readonly [P in CentrePermission]: { readonly label: LocalisedText; readonly hint: LocalisedText };
} = {
  access_arrangements: {
    label: { en: 'Access Arrangements/CAP', cy: 'Trefniadau Mynediad/CAP' },
    hint: {
      en: 'Grants access to the JCQ Centre Admin Portal, for management of transfer candidates, access arrangements and modified papers requests.',
      cy: 'Yn rhoi mynediad i Borth Gweinyddu Canolfannau JCQ, i reoli ymgeiswyr sy’n trosglwyddo, trefniadau mynediad a cheisiadau am bapurau wedi’u haddasu.',
    },
  },
  entries_results: {
    label: { en: 'Entries and Results', cy: 'Cofrestriadau a Chanlyniadau' },
    hint: {
      en: 'Grants access to entries and to the results pages displaying candidate information, for example component marks.',
      cy: 'Yn rhoi mynediad i gofrestriadau ac i’r tudalennau canlyniadau sy’n dangos gwybodaeth am ymgeiswyr, er enghraifft marciau cydrannau.',
    },
  },
  iamis: {
    label: { en: 'IAMIS', cy: 'IAMIS' },
    hint: {
      en: 'Grants access to the Internal Assessment Mark input screens: input and submit centre marks for internal assessments and view moderator reports.',
      cy: 'Yn rhoi mynediad i’r sgriniau mewnbynnu marciau Asesu Mewnol: mewnbynnu a chyflwyno marciau’r ganolfan ar gyfer asesiadau mewnol a gweld adroddiadau safoni.',
    },
  },
  view_scripts: {
    label: { en: 'View Scripts', cy: 'Gweld Sgriptiau' },
    hint: {
      en: 'Grants access to view candidate scripts after results. Scripts should only be accessed with candidate permission.',
      cy: 'Yn rhoi mynediad i weld sgriptiau ymgeiswyr ar ôl y canlyniadau. Dim ond gyda chaniatâd yr ymgeisydd y dylid edrych ar sgriptiau.',
    },
  },
  post_results: {
    label: { en: 'Post Results Services', cy: 'Gwasanaethau ar ôl Canlyniadau' },
    hint: {
      en: 'Grants access to request post-results services such as reviews of marking.',
      cy: 'Yn rhoi mynediad i wneud cais am wasanaethau ar ôl canlyniadau, fel adolygu marcio.',
    },
  },
  resources: {
    label: {
      en: 'Past Papers, Marking Schemes and Resources',
      cy: 'Cyn-bapurau, Cynlluniau Marcio ac Adnoddau',
    },
    hint: { en: 'Grants access to WJEC resources.', cy: 'Yn rhoi mynediad i adnoddau CBAC.' },
  },
  a2c_keys: {
    label: { en: 'A2C Keys', cy: 'Allweddi A2C' },
    hint: {
      en: 'Grants access to the keys used to transfer files with the A2C application.',
      cy: 'Yn rhoi mynediad i’r allweddi a ddefnyddir i drosglwyddo ffeiliau gyda’r rhaglen A2C.',
    },
  },
  item_level_data: {
    label: { en: 'Item Level Data', cy: 'Data Lefel Eitem' },
    hint: {
      en: 'Grants access to candidates’ marks for each question.',
      cy: 'Yn rhoi mynediad i farciau ymgeiswyr ar gyfer pob cwestiwn.',
    },
  },
};
