import type {
  MailLocale,
  MailTemplateName,
  MailTemplates,
  SecurityChange,
} from './mail-message.js';

/**
 * The email templates, as Handlebars source kept in TypeScript so that nothing has to be copied
 * at build time. They are compiled once, in strict mode, by `render.ts`.
 *
 * What a template can use:
 * - its data fields (see `MailTemplates` in `mail-message.ts`), checked before rendering;
 * - `{{hello name}}`: "Hello Siân," (or just "Hello," without a name), in the message's language;
 * - `{{dateTime value}}`: a date and time in UK time (Europe/London), in the message's language;
 * - `{{plural count "hour" "hours"}}`: a count with the right English noun;
 * - `{{securityChange change}}`: one sentence saying what changed, in the message's language;
 * - `{{#ifMany list}}…{{else}}…{{/ifMany}}`: chooses wording for one item or several;
 * - `{{#is value "x"}}…{{else}}…{{/is}}`: chooses wording when a field equals a given value;
 * - `{{centreRole role}}`, `{{centrePermission permission}}`: an account type or a centre
 *   permission by its name in the message's language (from `centres/permissions.ts`);
 * - in HTML: `{{> button href=url label="…"}}` (a button with the link written out below it)
 *   and `{{> value value=x}}` (a highlighted value such as a username, password or code);
 * - `{{required x}}`: x, or an error when it is missing (helper and partial arguments are not
 *   covered by Handlebars' strict mode, so partials use this).
 *
 * Every template has a `notYou` paragraph: what to do if the reader did not ask for it.
 */
export interface MailTemplateSource {
  /** The subject line (plain text; whitespace is collapsed to single spaces). */
  readonly subject: string;
  /** The HTML body, placed inside the shared layout. */
  readonly html: string;
  /** The plain-text body, placed inside the shared layout. */
  readonly text: string;
  /** What to do if it was not the reader who asked for this (plain text, shown in both parts). */
  readonly notYou: string;
}

/** The words of the shared layout, one set per language. */
export interface LayoutStrings {
  /** The line at the foot of every message. */
  readonly footer: string;
  /** Where to get help; used only when a support address is configured. */
  readonly help: string;
  /** Shown above a link written out under a button. */
  readonly linkHelp: string;
  /** The greeting before the reader's name. */
  readonly hello: string;
}

/** What a data field must hold; checked before rendering so that no gap goes out unnoticed. */
export type MailFieldKind =
  /** A non-empty string. */
  | 'text'
  /** A string, possibly empty (a name the account may not have). */
  | 'name'
  /** An absolute http(s) address. */
  | 'url'
  /** A valid Date. */
  | 'date'
  /** A positive finite number. */
  | 'count'
  /** A non-empty list of non-empty strings. */
  | 'textList'
  /** One of SECURITY_CHANGES. */
  | 'securityChange'
  /** One of CENTRE_ACCESS_CHANGES. */
  | 'centreAccessChange'
  /** One of CENTRE_ROLES. */
  | 'centreRole'
  /** A list, possibly empty, of CENTRE_PERMISSIONS. */
  | 'centrePermissions'
  /** One of SUPPORT_CHANGES. */
  | 'supportChange';

/** The shared layout of every HTML message. */
export const LAYOUT_HTML = `<!DOCTYPE html>
<html lang="{{@locale}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{subject}}</title>
</head>
<body style="margin:0;padding:0;background-color:#f3f2f1;">
<div style="max-width:600px;margin:0 auto;padding:24px 16px;background-color:#ffffff;color:#0b0c0c;font-family:Arial,Helvetica,sans-serif;font-size:16px;line-height:1.5;">
<p style="margin:0 0 24px;font-size:20px;font-weight:bold;">{{serviceName}}</p>
{{{body}}}
<div style="margin:24px 0;padding:12px 16px;border-left:4px solid #1d70b8;background-color:#f3f2f1;">
<p style="margin:0;">{{notYou}}</p>
</div>
<hr style="margin:24px 0 16px;border:0;border-top:1px solid #b1b4b6;">
<p style="margin:0;font-size:14px;color:#505a5f;">{{footer}}{{#if help}}<br>{{help}}{{/if}}</p>
</div>
</body>
</html>
`;

/** The shared layout of every plain-text message. */
export const LAYOUT_TEXT = `{{body}}

{{notYou}}

--
{{footer}}
{{#if help}}
{{help}}
{{/if}}
`;

/** A button-styled link, with the address written out for mail programs that hide buttons. */
export const BUTTON_PARTIAL = `<p style="margin:24px 0 8px;"><a href="{{required href}}" style="display:inline-block;padding:12px 20px;border-radius:4px;background-color:#00703c;color:#ffffff;font-weight:bold;text-decoration:none;">{{required label}}</a></p>
<p style="margin:0 0 16px;font-size:14px;color:#505a5f;">{{@linkHelp}}<br><a href="{{required href}}" style="color:#1d70b8;word-break:break-all;">{{required href}}</a></p>
`;

/** A value the reader has to type or keep: a username, a temporary password, a code. */
export const VALUE_PARTIAL = `<p style="margin:8px 0 16px;padding:12px 16px;border-left:4px solid #1d70b8;background-color:#f3f2f1;font-family:Consolas,Menlo,'Courier New',monospace;font-size:20px;word-break:break-all;">{{required value}}</p>
`;

/** The layout's words in each language. */
export const LAYOUT_STRINGS: { readonly [L in MailLocale]: LayoutStrings } = {
  en: {
    footer: 'This email was sent automatically by {{serviceName}}. Replies to it are not read.',
    help: 'If you need help, email {{supportEmail}}.',
    linkHelp: 'If the button does not work, copy this link into your web browser:',
    hello: 'Hello',
  },
  cy: {
    footer:
      'Anfonwyd yr e-bost hwn yn awtomatig gan {{serviceName}}. Dydyn ni ddim yn darllen atebion iddo.',
    help: 'Os oes angen help arnoch chi, anfonwch e-bost at {{supportEmail}}.',
    linkHelp: "Os nad yw'r botwm yn gweithio, copïwch y ddolen hon i'ch porwr gwe:",
    hello: 'Helo',
  },
};

/** Every data field of every template, with what it must hold. */
export const MAIL_TEMPLATE_FIELDS: {
  readonly [T in MailTemplateName]: { readonly [F in keyof MailTemplates[T]]-?: MailFieldKind };
} = {
  migration_temporary_password: {
    name: 'name',
    newUsername: 'text',
    temporaryPassword: 'text',
    signInUrl: 'url',
    expiresAt: 'date',
  },
  forgotten_username: { name: 'name', usernames: 'textList', signInUrl: 'url' },
  password_reset: { name: 'name', resetUrl: 'url', expiresHours: 'count' },
  invitation: {
    inviterName: 'text',
    centreName: 'text',
    centreNumber: 'text',
    acceptUrl: 'url',
    expiresDays: 'count',
  },
  mfa_reset: { name: 'name', signInUrl: 'url' },
  security_change: { name: 'name', change: 'securityChange', time: 'date' },
  email_code: { code: 'text', minutes: 'count' },
  centre_access_changed: {
    name: 'name',
    change: 'centreAccessChange',
    centreName: 'text',
    centreNumber: 'text',
    changedBy: 'text',
    role: 'centreRole',
    permissions: 'centrePermissions',
    time: 'date',
  },
  support_change: { name: 'name', change: 'supportChange', time: 'date', signInUrl: 'url' },
};

/** One sentence per security change, in each language. */
export const SECURITY_CHANGE_SUMMARIES: {
  readonly [L in MailLocale]: { readonly [C in SecurityChange]: string };
} = {
  en: {
    password: 'Your password has been changed',
    email: 'The email address on your account has been changed',
    phone: 'The phone number on your account has been changed',
    mfa_added: 'A new multi-factor authentication (MFA) method has been added to your account',
    mfa_removed: 'A multi-factor authentication (MFA) method has been removed from your account',
    recovery_code_used: 'A recovery code has been used to sign in to your account',
    recovery_codes_regenerated: 'New recovery codes have been created for your account',
  },
  cy: {
    password: 'Mae eich cyfrinair wedi cael ei newid',
    email: "Mae'r cyfeiriad e-bost ar eich cyfrif wedi cael ei newid",
    phone: "Mae'r rhif ffôn ar eich cyfrif wedi cael ei newid",
    mfa_added: 'Mae dull dilysu aml-ffactor (MFA) newydd wedi cael ei ychwanegu at eich cyfrif',
    mfa_removed: 'Mae dull dilysu aml-ffactor (MFA) wedi cael ei dynnu oddi ar eich cyfrif',
    recovery_code_used: "Mae cod adfer wedi cael ei ddefnyddio i fewngofnodi i'ch cyfrif",
    recovery_codes_regenerated: 'Mae codau adfer newydd wedi cael eu creu ar gyfer eich cyfrif',
  },
};

/** Every template in every language. */
export const MAIL_TEMPLATE_SOURCES: {
  readonly [T in MailTemplateName]: { readonly [L in MailLocale]: MailTemplateSource };
} = {
  migration_temporary_password: {
    en: {
      subject: 'Your new username and temporary password',
      html: `<p>{{hello name}}</p>
<p>Your account has been moved to our new sign-in system. From now on, you sign in with a new username.</p>
<p>Your new username is:</p>
{{> value value=newUsername}}
<p>Your temporary password is:</p>
{{> value value=temporaryPassword}}
<p>Please keep a note of your new username. You will use it every time you sign in.</p>
{{> button href=signInUrl label="Sign in"}}
<p>When you sign in, we will ask you to set up multi-factor authentication (MFA), and then to choose a new password of your own.</p>
<p>Your temporary password works until {{dateTime expiresAt}} (UK time). After that, use “Forgotten password” on the sign-in page to get a new one.</p>
<p>Tip: type the temporary password rather than copying and pasting it, and make sure there are no spaces at the start or the end.</p>`,
      text: `{{hello name}}

Your account has been moved to our new sign-in system. From now on, you sign in with a new username.

Your new username: {{newUsername}}
Your temporary password: {{temporaryPassword}}

Please keep a note of your new username. You will use it every time you sign in.

Sign in here:
{{signInUrl}}

When you sign in, we will ask you to set up multi-factor authentication (MFA), and then to choose a new password of your own.

Your temporary password works until {{dateTime expiresAt}} (UK time). After that, use “Forgotten password” on the sign-in page to get a new one.

Tip: type the temporary password rather than copying and pasting it, and make sure there are no spaces at the start or the end.`,
      notYou:
        'If you did not start this change, your account is still safe: only you have been sent this temporary password. Sign in and choose a new password straight away, and let our support team know.',
    },
    cy: {
      subject: "Eich enw defnyddiwr newydd a'ch cyfrinair dros dro",
      html: `<p>{{hello name}}</p>
<p>Mae eich cyfrif wedi cael ei symud i'n system fewngofnodi newydd. O hyn ymlaen, byddwch chi'n mewngofnodi gydag enw defnyddiwr newydd.</p>
<p>Eich enw defnyddiwr newydd yw:</p>
{{> value value=newUsername}}
<p>Eich cyfrinair dros dro yw:</p>
{{> value value=temporaryPassword}}
<p>Cadwch nodyn o'ch enw defnyddiwr newydd. Byddwch chi'n ei ddefnyddio bob tro y byddwch chi'n mewngofnodi.</p>
{{> button href=signInUrl label="Mewngofnodi"}}
<p>Pan fyddwch chi'n mewngofnodi, byddwn ni'n gofyn i chi osod dilysu aml-ffactor (MFA), ac yna i chi ddewis cyfrinair newydd eich hun.</p>
<p>Mae eich cyfrinair dros dro yn gweithio tan {{dateTime expiresAt}} (amser y DU). Wedi hynny, defnyddiwch “Wedi anghofio eich cyfrinair?” ar y dudalen fewngofnodi i gael un newydd.</p>
<p>Awgrym: teipiwch y cyfrinair dros dro yn hytrach na'i gopïo a'i ludo, a gwnewch yn siŵr nad oes bwlch ar y dechrau nac ar y diwedd.</p>`,
      text: `{{hello name}}

Mae eich cyfrif wedi cael ei symud i'n system fewngofnodi newydd. O hyn ymlaen, byddwch chi'n mewngofnodi gydag enw defnyddiwr newydd.

Eich enw defnyddiwr newydd: {{newUsername}}
Eich cyfrinair dros dro: {{temporaryPassword}}

Cadwch nodyn o'ch enw defnyddiwr newydd. Byddwch chi'n ei ddefnyddio bob tro y byddwch chi'n mewngofnodi.

Mewngofnodwch yma:
{{signInUrl}}

Pan fyddwch chi'n mewngofnodi, byddwn ni'n gofyn i chi osod dilysu aml-ffactor (MFA), ac yna i chi ddewis cyfrinair newydd eich hun.

Mae eich cyfrinair dros dro yn gweithio tan {{dateTime expiresAt}} (amser y DU). Wedi hynny, defnyddiwch “Wedi anghofio eich cyfrinair?” ar y dudalen fewngofnodi i gael un newydd.

Awgrym: teipiwch y cyfrinair dros dro yn hytrach na'i gopïo a'i ludo, a gwnewch yn siŵr nad oes bwlch ar y dechrau nac ar y diwedd.`,
      notYou:
        "Os nad chi ddechreuodd y newid hwn, mae eich cyfrif yn dal yn ddiogel: dim ond chi sydd wedi cael y cyfrinair dros dro hwn. Mewngofnodwch a dewiswch gyfrinair newydd ar unwaith, a rhowch wybod i'n tîm cymorth.",
    },
  },

  forgotten_username: {
    en: {
      subject: 'Your username',
      html: `<p>{{hello name}}</p>
<p>You asked us to remind you of your username.</p>
{{#ifMany usernames}}
<p>These usernames are linked to this email address:</p>
{{else}}
<p>The username linked to this email address is:</p>
{{/ifMany}}
{{#each usernames}}
{{> value value=this}}
{{/each}}
{{> button href=signInUrl label="Sign in"}}`,
      text: `{{hello name}}

You asked us to remind you of your username.

{{#ifMany usernames}}
These usernames are linked to this email address:
{{else}}
The username linked to this email address is:
{{/ifMany}}
{{#each usernames}}
{{this}}
{{/each}}

Sign in here:
{{signInUrl}}`,
      notYou:
        'If you did not ask for this, you can ignore this email. Nobody can sign in with a username alone, and nothing about your account has changed.',
    },
    cy: {
      subject: 'Eich enw defnyddiwr',
      html: `<p>{{hello name}}</p>
<p>Gofynnoch chi i ni eich atgoffa o'ch enw defnyddiwr.</p>
{{#ifMany usernames}}
<p>Mae'r enwau defnyddiwr hyn yn gysylltiedig â'r cyfeiriad e-bost hwn:</p>
{{else}}
<p>Dyma'r enw defnyddiwr sy'n gysylltiedig â'r cyfeiriad e-bost hwn:</p>
{{/ifMany}}
{{#each usernames}}
{{> value value=this}}
{{/each}}
{{> button href=signInUrl label="Mewngofnodi"}}`,
      text: `{{hello name}}

Gofynnoch chi i ni eich atgoffa o'ch enw defnyddiwr.

{{#ifMany usernames}}
Mae'r enwau defnyddiwr hyn yn gysylltiedig â'r cyfeiriad e-bost hwn:
{{else}}
Dyma'r enw defnyddiwr sy'n gysylltiedig â'r cyfeiriad e-bost hwn:
{{/ifMany}}
{{#each usernames}}
{{this}}
{{/each}}

Mewngofnodwch yma:
{{signInUrl}}`,
      notYou:
        "Os nad chi ofynnodd am hyn, gallwch chi anwybyddu'r e-bost hwn. Does neb yn gallu mewngofnodi gydag enw defnyddiwr yn unig, a does dim byd wedi newid yn eich cyfrif.",
    },
  },

  password_reset: {
    en: {
      subject: 'Reset your password',
      html: `<p>{{hello name}}</p>
<p>We received a request to reset the password for your account. To choose a new password, use the button below.</p>
{{> button href=resetUrl label="Reset your password"}}
<p>This link works for {{plural expiresHours "hour" "hours"}} and can only be used once.</p>`,
      text: `{{hello name}}

We received a request to reset the password for your account. To choose a new password, open this link:
{{resetUrl}}

This link works for {{plural expiresHours "hour" "hours"}} and can only be used once.`,
      notYou:
        'If you did not ask to reset your password, you can ignore this email: your password has not been changed. If you keep getting these emails, let our support team know.',
    },
    cy: {
      subject: 'Ailosod eich cyfrinair',
      html: `<p>{{hello name}}</p>
<p>Cawson ni gais i ailosod y cyfrinair ar gyfer eich cyfrif. I ddewis cyfrinair newydd, defnyddiwch y botwm isod.</p>
{{> button href=resetUrl label="Ailosod eich cyfrinair"}}
<p>Mae'r ddolen hon yn gweithio am {{expiresHours}} awr, a dim ond unwaith y gallwch chi ei defnyddio.</p>`,
      text: `{{hello name}}

Cawson ni gais i ailosod y cyfrinair ar gyfer eich cyfrif. I ddewis cyfrinair newydd, agorwch y ddolen hon:
{{resetUrl}}

Mae'r ddolen hon yn gweithio am {{expiresHours}} awr, a dim ond unwaith y gallwch chi ei defnyddio.`,
      notYou:
        "Os nad chi ofynnodd am ailosod eich cyfrinair, gallwch chi anwybyddu'r e-bost hwn: dydy eich cyfrinair ddim wedi newid. Os ydych chi'n dal i gael yr e-byst hyn, rhowch wybod i'n tîm cymorth.",
    },
  },

  invitation: {
    en: {
      subject: 'Invitation to create an account for {{centreName}} ({{centreNumber}})',
      html: `<p>Hello,</p>
<p>{{inviterName}} has invited you to create an account for {{centreName}} (centre {{centreNumber}}).</p>
<p>To accept, you will choose a password and set up a second way to confirm it is you when you sign in, such as an authenticator app or a text message. This is called multi-factor authentication (MFA).</p>
{{> button href=acceptUrl label="Accept the invitation"}}
<p>This invitation works for {{plural expiresDays "day" "days"}} and can only be used once. If it runs out, ask {{inviterName}} to send you a new one.</p>`,
      text: `Hello,

{{inviterName}} has invited you to create an account for {{centreName}} (centre {{centreNumber}}).

To accept, you will choose a password and set up a second way to confirm it is you when you sign in, such as an authenticator app or a text message. This is called multi-factor authentication (MFA).

Accept the invitation here:
{{acceptUrl}}

This invitation works for {{plural expiresDays "day" "days"}} and can only be used once. If it runs out, ask {{inviterName}} to send you a new one.`,
      notYou:
        'If you were not expecting this invitation, you can ignore this email and no account will be created. If you think it was sent to you by mistake, let the exams officer at your centre know.',
    },
    cy: {
      subject: 'Gwahoddiad i greu cyfrif ar gyfer {{centreName}} ({{centreNumber}})',
      html: `<p>Helo,</p>
<p>Mae {{inviterName}} wedi eich gwahodd chi i greu cyfrif ar gyfer {{centreName}} (canolfan {{centreNumber}}).</p>
<p>I dderbyn y gwahoddiad, byddwch chi'n dewis cyfrinair ac yn gosod ail ffordd o gadarnhau mai chi sydd yno pan fyddwch chi'n mewngofnodi, fel ap dilysu neu neges destun. Dilysu aml-ffactor (MFA) yw'r enw ar hyn.</p>
{{> button href=acceptUrl label="Derbyn y gwahoddiad"}}
<p>Mae'r gwahoddiad hwn yn gweithio am {{expiresDays}} diwrnod, a dim ond unwaith y gallwch chi ei ddefnyddio. Os daw i ben, gofynnwch i {{inviterName}} anfon un newydd atoch chi.</p>`,
      text: `Helo,

Mae {{inviterName}} wedi eich gwahodd chi i greu cyfrif ar gyfer {{centreName}} (canolfan {{centreNumber}}).

I dderbyn y gwahoddiad, byddwch chi'n dewis cyfrinair ac yn gosod ail ffordd o gadarnhau mai chi sydd yno pan fyddwch chi'n mewngofnodi, fel ap dilysu neu neges destun. Dilysu aml-ffactor (MFA) yw'r enw ar hyn.

Derbyniwch y gwahoddiad yma:
{{acceptUrl}}

Mae'r gwahoddiad hwn yn gweithio am {{expiresDays}} diwrnod, a dim ond unwaith y gallwch chi ei ddefnyddio. Os daw i ben, gofynnwch i {{inviterName}} anfon un newydd atoch chi.`,
      notYou:
        "Os nad oeddech chi'n disgwyl y gwahoddiad hwn, gallwch chi anwybyddu'r e-bost hwn, a fydd dim cyfrif yn cael ei greu. Os ydych chi'n credu iddo gael ei anfon atoch chi drwy gamgymeriad, rhowch wybod i swyddog arholiadau eich canolfan.",
    },
  },

  mfa_reset: {
    en: {
      subject: 'Your multi-factor authentication (MFA) has been reset',
      html: `<p>{{hello name}}</p>
<p>Our support team has reset the multi-factor authentication (MFA) on your account. MFA is the extra step, such as a code from an app or a text message, that confirms it is you when you sign in.</p>
<p>The next time you sign in, you will be asked to set it up again. Your password has not changed.</p>
{{> button href=signInUrl label="Sign in"}}`,
      text: `{{hello name}}

Our support team has reset the multi-factor authentication (MFA) on your account. MFA is the extra step, such as a code from an app or a text message, that confirms it is you when you sign in.

The next time you sign in, you will be asked to set it up again. Your password has not changed.

Sign in here:
{{signInUrl}}`,
      notYou:
        'If you did not ask for this, contact our support team straight away: someone may be trying to get into your account.',
    },
    cy: {
      subject: 'Mae eich dilysu aml-ffactor (MFA) wedi cael ei ailosod',
      html: `<p>{{hello name}}</p>
<p>Mae ein tîm cymorth wedi ailosod y dilysu aml-ffactor (MFA) ar eich cyfrif. MFA yw'r cam ychwanegol, fel cod o ap neu neges destun, sy'n cadarnhau mai chi sydd yno pan fyddwch chi'n mewngofnodi.</p>
<p>Y tro nesaf y byddwch chi'n mewngofnodi, bydd gofyn i chi ei osod eto. Dydy eich cyfrinair ddim wedi newid.</p>
{{> button href=signInUrl label="Mewngofnodi"}}`,
      text: `{{hello name}}

Mae ein tîm cymorth wedi ailosod y dilysu aml-ffactor (MFA) ar eich cyfrif. MFA yw'r cam ychwanegol, fel cod o ap neu neges destun, sy'n cadarnhau mai chi sydd yno pan fyddwch chi'n mewngofnodi.

Y tro nesaf y byddwch chi'n mewngofnodi, bydd gofyn i chi ei osod eto. Dydy eich cyfrinair ddim wedi newid.

Mewngofnodwch yma:
{{signInUrl}}`,
      notYou:
        "Os nad chi ofynnodd am hyn, cysylltwch â'n tîm cymorth ar unwaith: efallai fod rhywun yn ceisio mynd i mewn i'ch cyfrif.",
    },
  },

  security_change: {
    en: {
      subject: '{{securityChange change}}',
      html: `<p>{{hello name}}</p>
<p>We are letting you know about a change to your account:</p>
<p style="font-weight:bold;">{{securityChange change}}.</p>
<p>When: {{dateTime time}} (UK time)</p>
<p>If this was you, you do not need to do anything.</p>`,
      text: `{{hello name}}

We are letting you know about a change to your account:

{{securityChange change}}.
When: {{dateTime time}} (UK time)

If this was you, you do not need to do anything.`,
      notYou:
        'If this was not you, someone else may be able to get into your account. Reset your password straight away using “Forgotten password” on the sign-in page, then contact our support team.',
    },
    cy: {
      subject: '{{securityChange change}}',
      html: `<p>{{hello name}}</p>
<p>Rydyn ni'n rhoi gwybod i chi am newid i'ch cyfrif:</p>
<p style="font-weight:bold;">{{securityChange change}}.</p>
<p>Pryd: {{dateTime time}} (amser y DU)</p>
<p>Os mai chi wnaeth hyn, does dim angen i chi wneud dim byd.</p>`,
      text: `{{hello name}}

Rydyn ni'n rhoi gwybod i chi am newid i'ch cyfrif:

{{securityChange change}}.
Pryd: {{dateTime time}} (amser y DU)

Os mai chi wnaeth hyn, does dim angen i chi wneud dim byd.`,
      notYou:
        "Os nad chi wnaeth hyn, efallai fod rhywun arall yn gallu mynd i mewn i'ch cyfrif. Ailosodwch eich cyfrinair ar unwaith drwy ddefnyddio “Wedi anghofio eich cyfrinair?” ar y dudalen fewngofnodi, ac yna cysylltwch â'n tîm cymorth.",
    },
  },

  email_code: {
    en: {
      subject: 'Your verification code',
      html: `<p>Hello,</p>
<p>Your verification code is:</p>
{{> value value=code}}
<p>Enter this code on the page that asked for it. It works for {{plural minutes "minute" "minutes"}} and can only be used once.</p>
<p>Never share this code with anyone. We will never ask you for it by phone or email.</p>`,
      text: `Hello,

Your verification code is: {{code}}

Enter this code on the page that asked for it. It works for {{plural minutes "minute" "minutes"}} and can only be used once.

Never share this code with anyone. We will never ask you for it by phone or email.`,
      notYou:
        'If you were not trying to sign in or set up your account, someone may know your password. Change your password straight away and let our support team know.',
    },
    cy: {
      subject: 'Eich cod dilysu',
      html: `<p>Helo,</p>
<p>Eich cod dilysu yw:</p>
{{> value value=code}}
<p>Rhowch y cod hwn ar y dudalen a ofynnodd amdano. Mae'n gweithio am {{minutes}} munud, a dim ond unwaith y gallwch chi ei ddefnyddio.</p>
<p>Peidiwch byth â rhannu'r cod hwn gydag unrhyw un. Fyddwn ni byth yn gofyn i chi amdano dros y ffôn nac mewn e-bost.</p>`,
      text: `Helo,

Eich cod dilysu yw: {{code}}

Rhowch y cod hwn ar y dudalen a ofynnodd amdano. Mae'n gweithio am {{minutes}} munud, a dim ond unwaith y gallwch chi ei ddefnyddio.

Peidiwch byth â rhannu'r cod hwn gydag unrhyw un. Fyddwn ni byth yn gofyn i chi amdano dros y ffôn nac mewn e-bost.`,
      notYou:
        "Os nad oeddech chi'n ceisio mewngofnodi neu osod eich cyfrif, efallai fod rhywun yn gwybod eich cyfrinair. Newidiwch eich cyfrinair ar unwaith a rhowch wybod i'n tîm cymorth.",
    },
  },

  centre_access_changed: {
    en: {
      subject:
        '{{#is change "removed"}}You have been removed from {{centreName}} ({{centreNumber}}){{else}}Your access to {{centreName}} ({{centreNumber}}) has changed{{/is}}',
      html: `<p>{{hello name}}</p>
{{#is change "removed"}}
<p>{{changedBy}} has removed you from {{centreName}} (centre {{centreNumber}}). You can no longer use the services for this centre.</p>
<p>When: {{dateTime time}} (UK time)</p>
<p>If you work at another centre too, your access there has not changed.</p>
{{else}}
<p>{{changedBy}} has changed your access to the services for {{centreName}} (centre {{centreNumber}}).</p>
<p>Your account type: <strong>{{centreRole role}}</strong></p>
{{#if permissions.length}}
<p>You now have access to:</p>
<ul>
{{#each permissions}}<li>{{centrePermission this}}</li>
{{/each}}</ul>
{{else}}
<p>You no longer have access to any services for this centre.</p>
{{/if}}
<p>When: {{dateTime time}} (UK time)</p>
<p>The change applies from the next page you open.</p>
{{/is}}`,
      text: `{{hello name}}

{{#is change "removed"}}
{{changedBy}} has removed you from {{centreName}} (centre {{centreNumber}}). You can no longer use the services for this centre.

When: {{dateTime time}} (UK time)

If you work at another centre too, your access there has not changed.
{{else}}
{{changedBy}} has changed your access to the services for {{centreName}} (centre {{centreNumber}}).

Your account type: {{centreRole role}}

{{#if permissions.length}}
You now have access to:
{{#each permissions}}
- {{centrePermission this}}
{{/each}}
{{else}}
You no longer have access to any services for this centre.
{{/if}}

When: {{dateTime time}} (UK time)

The change applies from the next page you open.
{{/is}}`,
      notYou: 'If you think this change is a mistake, contact the Exams Officer at your centre.',
    },
    cy: {
      subject:
        '{{#is change "removed"}}Rydych chi wedi cael eich tynnu o {{centreName}} ({{centreNumber}}){{else}}Mae eich mynediad i {{centreName}} ({{centreNumber}}) wedi newid{{/is}}',
      html: `<p>{{hello name}}</p>
{{#is change "removed"}}
<p>Mae {{changedBy}} wedi eich tynnu chi o {{centreName}} (canolfan {{centreNumber}}). Allwch chi ddim defnyddio'r gwasanaethau ar gyfer y ganolfan hon bellach.</p>
<p>Pryd: {{dateTime time}} (amser y DU)</p>
<p>Os ydych chi'n gweithio mewn canolfan arall hefyd, dydy eich mynediad yno ddim wedi newid.</p>
{{else}}
<p>Mae {{changedBy}} wedi newid eich mynediad i'r gwasanaethau ar gyfer {{centreName}} (canolfan {{centreNumber}}).</p>
<p>Eich math o gyfrif: <strong>{{centreRole role}}</strong></p>
{{#if permissions.length}}
<p>Mae gennych chi fynediad nawr i:</p>
<ul>
{{#each permissions}}<li>{{centrePermission this}}</li>
{{/each}}</ul>
{{else}}
<p>Does gennych chi ddim mynediad i unrhyw wasanaethau ar gyfer y ganolfan hon bellach.</p>
{{/if}}
<p>Pryd: {{dateTime time}} (amser y DU)</p>
<p>Mae'r newid yn dod i rym o'r dudalen nesaf y byddwch chi'n ei hagor.</p>
{{/is}}`,
      text: `{{hello name}}

{{#is change "removed"}}
Mae {{changedBy}} wedi eich tynnu chi o {{centreName}} (canolfan {{centreNumber}}). Allwch chi ddim defnyddio'r gwasanaethau ar gyfer y ganolfan hon bellach.

Pryd: {{dateTime time}} (amser y DU)

Os ydych chi'n gweithio mewn canolfan arall hefyd, dydy eich mynediad yno ddim wedi newid.
{{else}}
Mae {{changedBy}} wedi newid eich mynediad i'r gwasanaethau ar gyfer {{centreName}} (canolfan {{centreNumber}}).

Eich math o gyfrif: {{centreRole role}}

{{#if permissions.length}}
Mae gennych chi fynediad nawr i:
{{#each permissions}}
- {{centrePermission this}}
{{/each}}
{{else}}
Does gennych chi ddim mynediad i unrhyw wasanaethau ar gyfer y ganolfan hon bellach.
{{/if}}

Pryd: {{dateTime time}} (amser y DU)

Mae'r newid yn dod i rym o'r dudalen nesaf y byddwch chi'n ei hagor.
{{/is}}`,
      notYou:
        "Os ydych chi'n credu bod y newid hwn yn gamgymeriad, cysylltwch â Swyddog Arholiadau eich canolfan.",
    },
  },

  support_change: {
    en: {
      subject:
        '{{#is change "unlocked"}}Your account has been unlocked{{/is}}{{#is change "disabled"}}Your account has been disabled{{/is}}{{#is change "enabled"}}Your account has been enabled again{{/is}}',
      html: `<p>{{hello name}}</p>
{{#is change "unlocked"}}
<p>Our support team has unlocked your account. You can sign in again now.</p>
<p>If you cannot remember your password, use “Forgotten password” on the sign-in page.</p>
{{/is}}
{{#is change "disabled"}}
<p>Our support team has disabled your account. You cannot sign in to AMP, the Portal or any other service with it until it is enabled again.</p>
{{/is}}
{{#is change "enabled"}}
<p>Our support team has enabled your account again. You can sign in as before.</p>
{{/is}}
<p>When: {{dateTime time}} (UK time)</p>
{{#is change "disabled"}}{{else}}{{> button href=signInUrl label="Sign in"}}{{/is}}`,
      text: `{{hello name}}

{{#is change "unlocked"}}
Our support team has unlocked your account. You can sign in again now.

If you cannot remember your password, use “Forgotten password” on the sign-in page.
{{/is}}
{{#is change "disabled"}}
Our support team has disabled your account. You cannot sign in to AMP, the Portal or any other service with it until it is enabled again.
{{/is}}
{{#is change "enabled"}}
Our support team has enabled your account again. You can sign in as before.
{{/is}}

When: {{dateTime time}} (UK time)
{{#is change "disabled"}}{{else}}

Sign in here:
{{signInUrl}}
{{/is}}`,
      notYou:
        'If you did not ask for this, or do not know why it happened, contact our support team.',
    },
    cy: {
      subject:
        '{{#is change "unlocked"}}Mae eich cyfrif wedi cael ei ddatgloi{{/is}}{{#is change "disabled"}}Mae eich cyfrif wedi cael ei analluogi{{/is}}{{#is change "enabled"}}Mae eich cyfrif wedi cael ei alluogi eto{{/is}}',
      html: `<p>{{hello name}}</p>
{{#is change "unlocked"}}
<p>Mae ein tîm cymorth wedi datgloi eich cyfrif. Gallwch chi fewngofnodi eto nawr.</p>
<p>Os nad ydych chi'n cofio eich cyfrinair, defnyddiwch “Wedi anghofio eich cyfrinair?” ar y dudalen fewngofnodi.</p>
{{/is}}
{{#is change "disabled"}}
<p>Mae ein tîm cymorth wedi analluogi eich cyfrif. Allwch chi ddim mewngofnodi i AMP, y Porth nac unrhyw wasanaeth arall gydag ef nes iddo gael ei alluogi eto.</p>
{{/is}}
{{#is change "enabled"}}
<p>Mae ein tîm cymorth wedi galluogi eich cyfrif eto. Gallwch chi fewngofnodi fel o'r blaen.</p>
{{/is}}
<p>Pryd: {{dateTime time}} (amser y DU)</p>
{{#is change "disabled"}}{{else}}{{> button href=signInUrl label="Mewngofnodi"}}{{/is}}`,
      text: `{{hello name}}

{{#is change "unlocked"}}
Mae ein tîm cymorth wedi datgloi eich cyfrif. Gallwch chi fewngofnodi eto nawr.

Os nad ydych chi'n cofio eich cyfrinair, defnyddiwch “Wedi anghofio eich cyfrinair?” ar y dudalen fewngofnodi.
{{/is}}
{{#is change "disabled"}}
Mae ein tîm cymorth wedi analluogi eich cyfrif. Allwch chi ddim mewngofnodi i AMP, y Porth nac unrhyw wasanaeth arall gydag ef nes iddo gael ei alluogi eto.
{{/is}}
{{#is change "enabled"}}
Mae ein tîm cymorth wedi galluogi eich cyfrif eto. Gallwch chi fewngofnodi fel o'r blaen.
{{/is}}

Pryd: {{dateTime time}} (amser y DU)
{{#is change "disabled"}}{{else}}

Mewngofnodwch yma:
{{signInUrl}}
{{/is}}`,
      notYou:
        "Os nad chi ofynnodd am hyn, neu os nad ydych chi'n gwybod pam y digwyddodd, cysylltwch â'n tîm cymorth.",
    },
  },
};
