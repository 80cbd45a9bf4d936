/** A piece of text a person reads, in English and Welsh. */
export interface LocalisedText {
  /** English. */
  readonly en: string;
  /** Welsh. */
  readonly cy: string;
}

/** Every rule a password can break; switch on it, or show `message`. */
export type PasswordRuleCode =
  | 'TOO_SHORT'
  | 'TOO_LONG'
  | 'NO_UPPER_CASE'
  | 'NO_LOWER_CASE'
  | 'NO_NUMBER'
  | 'NO_SYMBOL'
  | 'TOO_COMMON'
  | 'CONTAINS_USERNAME'
  | 'CONTAINS_EMAIL'
  | 'CONTAINS_NAME'
  | 'CONTAINS_ORGANISATION_NAME';

/** Shortest password accepted, in Unicode code points after NFC. */
export const PASSWORD_MIN_LENGTH = 8;

/** Longest password accepted, in Unicode code points after NFC. */
export const PASSWORD_MAX_LENGTH = 256;

/** What each broken rule says to the person choosing a password. */
export const passwordRuleMessages: Readonly<Record<PasswordRuleCode, LocalisedText>> =
  Object.freeze({
    TOO_SHORT: {
      en: `Your password must be at least ${PASSWORD_MIN_LENGTH} characters long.`,
      cy: `Rhaid i'ch cyfrinair fod o leiaf ${PASSWORD_MIN_LENGTH} nod o hyd.`,
    },
    TOO_LONG: {
      en: `Your password must be ${PASSWORD_MAX_LENGTH} characters or fewer.`,
      cy: `Rhaid i'ch cyfrinair fod yn ${PASSWORD_MAX_LENGTH} nod neu lai.`,
    },
    NO_UPPER_CASE: {
      en: 'Your password must include an upper case letter.',
      cy: "Rhaid i'ch cyfrinair gynnwys priflythyren.",
    },
    NO_LOWER_CASE: {
      en: 'Your password must include a lower case letter.',
      cy: "Rhaid i'ch cyfrinair gynnwys llythyren fach.",
    },
    NO_NUMBER: {
      en: 'Your password must include a number.',
      cy: "Rhaid i'ch cyfrinair gynnwys rhif.",
    },
    NO_SYMBOL: {
      en: 'Your password must include a symbol, such as ! or #.',
      cy: "Rhaid i'ch cyfrinair gynnwys symbol, fel ! neu #.",
    },
    TOO_COMMON: {
      en: 'This password is too common. Choose one that is harder to guess.',
      cy: "Mae'r cyfrinair hwn yn rhy gyffredin. Dewiswch un sy'n anoddach ei ddyfalu.",
    },
    CONTAINS_USERNAME: {
      en: 'Your password must not contain your username.',
      cy: "Rhaid i'ch cyfrinair beidio â chynnwys eich enw defnyddiwr.",
    },
    CONTAINS_EMAIL: {
      en: 'Your password must not contain your email address.',
      cy: "Rhaid i'ch cyfrinair beidio â chynnwys eich cyfeiriad e-bost.",
    },
    CONTAINS_NAME: {
      en: 'Your password must not contain your name.',
      cy: "Rhaid i'ch cyfrinair beidio â chynnwys eich enw.",
    },
    CONTAINS_ORGANISATION_NAME: {
      en: 'Your password must not contain WJEC, CBAC, Eduqas, Porth, AMP or appointee.',
      cy: "Rhaid i'ch cyfrinair beidio â chynnwys CBAC, WJEC, Eduqas, Porth, AMP nac appointee.",
    },
  });

/**
 * The rules as a short hint for a password form, as the user guides word it.
 * @example passwordPolicyHint().en // 'Minimum 8 characters, including upper case, lower case, a symbol and a number.'
 */
export function passwordPolicyHint(
  options: { readonly compositionRule?: boolean } = {},
): LocalisedText {
  return options.compositionRule === false
    ? {
        en: `Minimum ${PASSWORD_MIN_LENGTH} characters.`,
        cy: `O leiaf ${PASSWORD_MIN_LENGTH} nod.`,
      }
    : {
        en: `Minimum ${PASSWORD_MIN_LENGTH} characters, including upper case, lower case, a symbol and a number.`,
        cy: `O leiaf ${PASSWORD_MIN_LENGTH} nod, gan gynnwys priflythyren, llythyren fach, symbol a rhif.`,
      };
}

/** Every rule as one line each, for a list under a password field. */
export function passwordPolicyRules(
  options: { readonly compositionRule?: boolean } = {},
): LocalisedText[] {
  const rules: LocalisedText[] = [
    {
      en: `At least ${PASSWORD_MIN_LENGTH} characters (up to ${PASSWORD_MAX_LENGTH}; spaces and any characters are fine)`,
      cy: `O leiaf ${PASSWORD_MIN_LENGTH} nod (hyd at ${PASSWORD_MAX_LENGTH}; mae bylchau ac unrhyw nodau yn iawn)`,
    },
  ];
  if (options.compositionRule !== false) {
    rules.push(
      { en: 'An upper case letter', cy: 'Priflythyren' },
      { en: 'A lower case letter', cy: 'Llythyren fach' },
      { en: 'A number', cy: 'Rhif' },
      { en: 'A symbol, such as ! or #', cy: 'Symbol, fel ! neu #' },
    );
  }
  rules.push(
    { en: 'Not a common password', cy: 'Nid cyfrinair cyffredin' },
    {
      en: 'Not your name, username or email address, nor WJEC, CBAC, Eduqas, Porth, AMP or appointee',
      cy: "Nid eich enw, eich enw defnyddiwr na'ch cyfeiriad e-bost, na CBAC, WJEC, Eduqas, Porth, AMP nac appointee",
    },
  );
  return rules;
}
