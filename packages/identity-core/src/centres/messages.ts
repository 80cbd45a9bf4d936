/**
 * What to tell a person when a centre operation is refused, in English and Welsh: the "clear
 * reason" the Invite User and Manage Users pages show. Keyed by the error's class and reason.
 */
import {
  CentreAccessDeniedError,
  CentreAdminLimitError,
  CentreExistsError,
  CentreInvalidError,
  CentreMemberDuplicateError,
  CentreMemberNotActiveError,
  CentreMemberNotFoundError,
  CentreNotFoundError,
  CentrePermissionNotAllowedError,
  ExamsOfficerProtectedError,
  InvitationInvalidError,
  type CentreAccessDeniedReason,
} from '../errors.js';
import type { LocalisedText } from '../passwords/policy-messages.js';
import {
  CENTRE_PERMISSION_TEXT,
  CENTRE_ROLE_LABELS,
  MAX_CENTRE_ADMINS,
  isCentrePermission,
} from './permissions.js';

const ACCESS_DENIED: { readonly [R in CentreAccessDeniedReason]: LocalisedText } = {
  not_a_member: {
    en: 'You do not have access to this centre.',
    cy: "Does gennych chi ddim mynediad i'r ganolfan hon.",
  },
  account_not_active: {
    en: 'Your account cannot be used at the moment. Contact the Portal team.',
    cy: 'Does dim modd defnyddio eich cyfrif ar hyn o bryd. Cysylltwch â thîm y Porth.',
  },
  not_a_centre_admin: {
    en: 'Only the Exams Officer and Admin accounts can invite users, change access and delete users.',
    cy: "Dim ond cyfrifon y Swyddog Arholiadau a'r Gweinyddwyr sy'n gallu gwahodd defnyddwyr, newid mynediad a dileu defnyddwyr.",
  },
  exams_officer_only: {
    en: 'Only the Exams Officer can do this.',
    cy: "Dim ond y Swyddog Arholiadau sy'n gallu gwneud hyn.",
  },
  not_staff: {
    en: 'Only exam board staff can create centres.',
    cy: "Dim ond staff y bwrdd arholi sy'n gallu creu canolfannau.",
  },
};

const EXAMS_OFFICER: {
  readonly [O in ExamsOfficerProtectedError['operation']]: LocalisedText;
} = {
  remove: {
    en: 'The Exams Officer account cannot be deleted.',
    cy: 'Does dim modd dileu cyfrif y Swyddog Arholiadau.',
  },
  change_role: {
    en: "The Exams Officer's account type cannot be changed. The Exams Officer can pass the role on to another user.",
    cy: "Does dim modd newid math cyfrif y Swyddog Arholiadau. Gall y Swyddog Arholiadau drosglwyddo'r rôl i ddefnyddiwr arall.",
  },
  assign: {
    en: 'Only the Exams Officer can pass on the Exams Officer role.',
    cy: "Dim ond y Swyddog Arholiadau sy'n gallu trosglwyddo rôl y Swyddog Arholiadau.",
  },
};

const INVALID: { readonly [F in CentreInvalidError['field']]: LocalisedText } = {
  number: {
    en: 'Enter a centre number of 5 digits, like 68101.',
    cy: 'Rhowch rif canolfan o 5 digid, fel 68101.',
  },
  name: {
    en: "Enter the centre's name (200 characters or fewer).",
    cy: "Rhowch enw'r ganolfan (200 nod neu lai).",
  },
  role: { en: 'Choose an account type.', cy: 'Dewiswch fath o gyfrif.' },
  email: {
    en: 'The account needs an email address.',
    cy: 'Mae angen cyfeiriad e-bost ar y cyfrif.',
  },
};

/**
 * The sentence to show for a refused centre operation, in English and Welsh; null for an error
 * that is not one of the centre errors (the portal's own catalogue covers those).
 */
export function centreErrorMessage(error: unknown): LocalisedText | null {
  if (error instanceof CentreAccessDeniedError) return ACCESS_DENIED[error.reason];
  if (error instanceof ExamsOfficerProtectedError) return EXAMS_OFFICER[error.operation];
  if (error instanceof CentreInvalidError) return INVALID[error.field];
  if (error instanceof CentreMemberDuplicateError) {
    return error.reason === 'member'
      ? {
          en: "This email address already belongs to a user at this centre. To change someone's email address, delete the user and invite them again.",
          cy: "Mae'r cyfeiriad e-bost hwn yn perthyn i ddefnyddiwr yn y ganolfan hon yn barod. I newid cyfeiriad e-bost rhywun, dilëwch y defnyddiwr a'i wahodd eto.",
        }
      : {
          en: 'An invitation to this email address is already waiting. You can send it again from Manage Users.',
          cy: "Mae gwahoddiad i'r cyfeiriad e-bost hwn yn aros yn barod. Gallwch chi ei anfon eto o Rheoli Defnyddwyr.",
        };
  }
  if (error instanceof CentreAdminLimitError) {
    return {
      en: `This centre already has ${MAX_CENTRE_ADMINS} Admin accounts, the most it can have (invitations waiting included). Change one of them to a User first.`,
      cy: `Mae gan y ganolfan hon ${MAX_CENTRE_ADMINS} chyfrif Gweinyddwr yn barod, sef yr uchafswm (gan gynnwys gwahoddiadau sy'n aros). Newidiwch un ohonyn nhw i Ddefnyddiwr yn gyntaf.`,
    };
  }
  if (error instanceof CentrePermissionNotAllowedError) {
    const names = (locale: 'en' | 'cy') =>
      error.permissions
        .map((p) => (isCentrePermission(p) ? CENTRE_PERMISSION_TEXT[p].label[locale] : p))
        .join(', ');
    const role = CENTRE_ROLE_LABELS[error.role];
    return {
      en: `A ${role.en} account cannot have: ${names('en')}.`,
      cy: `Ni all cyfrif ${role.cy} gael: ${names('cy')}.`,
    };
  }
  if (error instanceof CentreMemberNotFoundError) {
    return {
      en: 'This user is no longer at this centre.',
      cy: "Dydy'r defnyddiwr hwn ddim yn y ganolfan hon bellach.",
    };
  }
  if (error instanceof CentreMemberNotActiveError) {
    return {
      en: 'This user has not accepted their invitation yet, or their account is disabled.',
      cy: "Dydy'r defnyddiwr hwn ddim wedi derbyn ei wahoddiad eto, neu mae ei gyfrif wedi'i analluogi.",
    };
  }
  if (error instanceof CentreNotFoundError) {
    return { en: 'There is no centre with this number.', cy: "Does dim canolfan gyda'r rhif hwn." };
  }
  if (error instanceof CentreExistsError) {
    return {
      en: 'A centre with this number already exists.',
      cy: "Mae canolfan gyda'r rhif hwn yn bodoli'n barod.",
    };
  }
  if (error instanceof InvitationInvalidError) {
    return {
      en: "This invitation link has expired or has already been used. Ask your centre's Exams Officer to send a new invitation.",
      cy: "Mae'r ddolen wahoddiad hon wedi dod i ben neu wedi cael ei defnyddio'n barod. Gofynnwch i Swyddog Arholiadau eich canolfan anfon gwahoddiad newydd.",
    };
  }
  return null;
}
