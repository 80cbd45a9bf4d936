import Handlebars from 'handlebars';
import { MailTemplateUnknownError } from '../errors.js';
import {
  CENTRE_PERMISSIONS,
  CENTRE_PERMISSION_TEXT,
  CENTRE_ROLES,
  CENTRE_ROLE_LABELS,
  type CentrePermission,
  type CentreRole,
} from '../centres/permissions.js';
import {
  CENTRE_ACCESS_CHANGES,
  MAIL_LOCALES,
  MAIL_TEMPLATE_NAMES,
  SECURITY_CHANGES,
  SUPPORT_CHANGES,
  isMailTemplateName,
  toMailLocale,
  type MailContent,
  type MailLocale,
  type MailTemplateName,
  type MailTemplates,
  type SecurityChange,
} from './mail-message.js';
import {
  BUTTON_PARTIAL,
  LAYOUT_HTML,
  LAYOUT_STRINGS,
  LAYOUT_TEXT,
  MAIL_TEMPLATE_FIELDS,
  MAIL_TEMPLATE_SOURCES,
  type MailFieldKind,
  SECURITY_CHANGE_SUMMARIES,
  VALUE_PARTIAL,
} from './templates.js';

/** Options for MailRenderer. */
export interface MailRendererOptions {
  /** The name shown at the top and foot of every message (default `Porth`). */
  readonly serviceName?: string;
  /** An address people can write to for help, shown at the foot of every message. */
  readonly supportEmail?: string | null;
}

type Compiled = (context: object, options: { data: RenderData }) => string;

interface RenderData {
  readonly locale: MailLocale;
  readonly linkHelp: string;
}

interface CompiledTemplate {
  readonly subject: Compiled;
  readonly html: Compiled;
  readonly text: Compiled;
  readonly notYou: Compiled;
}

interface CompiledSet {
  readonly templates: {
    readonly [T in MailTemplateName]: { readonly [L in MailLocale]: CompiledTemplate };
  };
  readonly layoutHtml: Compiled;
  readonly layoutText: Compiled;
  readonly layoutStrings: {
    readonly [L in MailLocale]: {
      readonly footer: Compiled;
      readonly help: Compiled;
      readonly linkHelp: string;
    };
  };
}

const TIME_ZONE = 'Europe/London';

const dateTimeFormats: { readonly [L in MailLocale]: Intl.DateTimeFormat } = {
  en: new Intl.DateTimeFormat('en-GB', {
    dateStyle: 'long',
    timeStyle: 'short',
    timeZone: TIME_ZONE,
  }),
  cy: new Intl.DateTimeFormat('cy-GB', {
    dateStyle: 'long',
    timeStyle: 'short',
    timeZone: TIME_ZONE,
  }),
};

/** Formats `time` as a date and time in UK time (Europe/London), in English or Welsh. */
export function formatMailDateTime(time: Date | number, locale: MailLocale): string {
  const date = typeof time === 'number' ? new Date(time) : time;
  if (!(date instanceof Date) || Number.isNaN(date.getTime())) {
    throw new TypeError('dateTime needs a valid Date');
  }
  return dateTimeFormats[locale].format(date);
}

function localeOf(options: Handlebars.HelperOptions): MailLocale {
  return toMailLocale((options.data as { locale?: string } | undefined)?.locale);
}

function compileAll(): CompiledSet {
  const hbs = Handlebars.create();
  hbs.registerHelper('dateTime', (value: unknown, options: Handlebars.HelperOptions) => {
    if (!(value instanceof Date) && typeof value !== 'number')
      throw new TypeError('dateTime needs a Date');
    return formatMailDateTime(value, localeOf(options));
  });
  hbs.registerHelper('plural', (count: unknown, one: unknown, other: unknown) => {
    if (typeof count !== 'number' || !Number.isFinite(count))
      throw new TypeError('plural needs a number');
    return `${count} ${count === 1 ? String(one) : String(other)}`;
  });
  hbs.registerHelper('securityChange', (change: unknown, options: Handlebars.HelperOptions) => {
    if (!(SECURITY_CHANGES as readonly unknown[]).includes(change)) {
      throw new TypeError(`unknown security change "${String(change)}"`);
    }
    return SECURITY_CHANGE_SUMMARIES[localeOf(options)][change as SecurityChange];
  });
  hbs.registerHelper('hello', (name: unknown, options: Handlebars.HelperOptions) => {
    const hello = LAYOUT_STRINGS[localeOf(options)].hello;
    const trimmed = typeof name === 'string' ? name.trim() : '';
    return trimmed ? `${hello} ${trimmed},` : `${hello},`;
  });
  hbs.registerHelper('required', (value: unknown) => {
    if (value === undefined || value === null || value === '')
      throw new TypeError('a required value is missing');
    return value;
  });
  hbs.registerHelper(
    'is',
    function (this: unknown, value: unknown, expected: unknown, options: Handlebars.HelperOptions) {
      return value === expected ? options.fn(this) : options.inverse(this);
    },
  );
  hbs.registerHelper('centreRole', (role: unknown, options: Handlebars.HelperOptions) => {
    if (!(CENTRE_ROLES as readonly unknown[]).includes(role)) {
      throw new TypeError(`unknown centre role "${String(role)}"`);
    }
    return CENTRE_ROLE_LABELS[role as CentreRole][localeOf(options)];
  });
  hbs.registerHelper(
    'centrePermission',
    (permission: unknown, options: Handlebars.HelperOptions) => {
      if (!(CENTRE_PERMISSIONS as readonly unknown[]).includes(permission)) {
        throw new TypeError(`unknown centre permission "${String(permission)}"`);
      }
      return CENTRE_PERMISSION_TEXT[permission as CentrePermission].label[localeOf(options)];
    },
  );
  hbs.registerHelper(
    'ifMany',
    function (this: unknown, list: unknown, options: Handlebars.HelperOptions) {
      if (!Array.isArray(list)) throw new TypeError('ifMany needs a list');
      return list.length > 1 ? options.fn(this) : options.inverse(this);
    },
  );

  const html = (source: string): Compiled => hbs.compile(source, { strict: true }) as Compiled;
  const plain = (source: string): Compiled =>
    hbs.compile(source, { strict: true, noEscape: true }) as Compiled;

  hbs.registerPartial('button', hbs.compile(BUTTON_PARTIAL, { strict: true }));
  hbs.registerPartial('value', hbs.compile(VALUE_PARTIAL, { strict: true }));

  const templates = Object.fromEntries(
    MAIL_TEMPLATE_NAMES.map((name) => [
      name,
      Object.fromEntries(
        MAIL_LOCALES.map((locale) => {
          const source = MAIL_TEMPLATE_SOURCES[name][locale];
          const compiled: CompiledTemplate = {
            subject: plain(source.subject),
            html: html(source.html),
            text: plain(source.text),
            notYou: plain(source.notYou),
          };
          return [locale, compiled];
        }),
      ),
    ]),
  ) as CompiledSet['templates'];

  const layoutStrings = Object.fromEntries(
    MAIL_LOCALES.map((locale) => [
      locale,
      {
        footer: plain(LAYOUT_STRINGS[locale].footer),
        help: plain(LAYOUT_STRINGS[locale].help),
        linkHelp: LAYOUT_STRINGS[locale].linkHelp,
      },
    ]),
  ) as CompiledSet['layoutStrings'];

  return {
    templates,
    layoutHtml: html(LAYOUT_HTML),
    layoutText: plain(LAYOUT_TEXT),
    layoutStrings,
  };
}

let compiledSet: CompiledSet | undefined;

/** Compiles every template on first use; later calls reuse the result. */
function compiled(): CompiledSet {
  compiledSet ??= compileAll();
  return compiledSet;
}

const FIELD_DESCRIPTIONS: { readonly [K in MailFieldKind]: string } = {
  text: 'a non-empty string',
  name: 'a string',
  url: 'an http(s) address',
  date: 'a valid Date',
  count: 'a positive number',
  textList: 'a non-empty list of non-empty strings',
  securityChange: `one of ${SECURITY_CHANGES.join(', ')}`,
  centreAccessChange: `one of ${CENTRE_ACCESS_CHANGES.join(', ')}`,
  centreRole: `one of ${CENTRE_ROLES.join(', ')}`,
  centrePermissions: 'a list of centre permissions',
  supportChange: `one of ${SUPPORT_CHANGES.join(', ')}`,
};

function fieldIsValid(kind: MailFieldKind, value: unknown): boolean {
  switch (kind) {
    case 'text':
      return typeof value === 'string' && value.trim() !== '';
    case 'name':
      return typeof value === 'string';
    case 'url':
      return (
        typeof value === 'string' &&
        URL.canParse(value) &&
        /^https?:$/.test(new URL(value).protocol)
      );
    case 'date':
      return value instanceof Date && !Number.isNaN(value.getTime());
    case 'count':
      return typeof value === 'number' && Number.isFinite(value) && value > 0;
    case 'textList':
      return (
        Array.isArray(value) &&
        value.length > 0 &&
        value.every((item) => typeof item === 'string' && item.trim() !== '')
      );
    case 'securityChange':
      return (SECURITY_CHANGES as readonly unknown[]).includes(value);
    case 'centreAccessChange':
      return (CENTRE_ACCESS_CHANGES as readonly unknown[]).includes(value);
    case 'centreRole':
      return (CENTRE_ROLES as readonly unknown[]).includes(value);
    case 'centrePermissions':
      return (
        Array.isArray(value) &&
        value.every((item) => (CENTRE_PERMISSIONS as readonly unknown[]).includes(item))
      );
    case 'supportChange':
      return (SUPPORT_CHANGES as readonly unknown[]).includes(value);
  }
}

/**
 * Checks that `data` has every field `template` needs, each of the right kind; throws a TypeError
 * naming the field (never its value, which may be a secret).
 */
export function assertMailData(template: MailTemplateName, data: unknown): void {
  if (!isMailTemplateName(template)) throw new MailTemplateUnknownError(String(template));
  if (typeof data !== 'object' || data === null) {
    throw new TypeError(`Email template "${template}" needs its data as an object`);
  }
  const record = data as Record<string, unknown>;
  for (const [field, kind] of Object.entries(MAIL_TEMPLATE_FIELDS[template]) as [
    string,
    MailFieldKind,
  ][]) {
    if (!fieldIsValid(kind, record[field])) {
      throw new TypeError(
        `Email template "${template}" needs "${field}": ${FIELD_DESCRIPTIONS[kind]}`,
      );
    }
  }
}

function tidyText(text: string): string {
  return `${text
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim()}\n`;
}

function tidyHtml(html: string): string {
  return `${html.replace(/\n\s*\n+/g, '\n').trim()}\n`;
}

/**
 * Renders the email templates: Handlebars in strict mode (a missing field is an error, never
 * an empty gap), HTML escaped, one shared layout, English and Welsh.
 *
 * @example
 * const mail = new MailRenderer({ serviceName: 'WJEC' })
 *   .render('password_reset', 'cy', { name: 'Siân', resetUrl, expiresHours: 24 });
 */
export class MailRenderer {
  private readonly serviceName: string;
  private readonly supportEmail: string | null;

  constructor(options: MailRendererOptions = {}) {
    this.serviceName = options.serviceName ?? 'Porth';
    this.supportEmail = options.supportEmail ?? null;
  }

  /**
   * Renders `template` in `locale`; throws MailTemplateUnknownError for an unknown name and a
   * TypeError when a data field is missing or of the wrong kind.
   */
  render<T extends MailTemplateName>(
    template: T,
    locale: MailLocale,
    data: MailTemplates[T],
  ): MailContent {
    assertMailData(template, data);
    const lang = toMailLocale(locale);
    const set = compiled();
    const parts = set.templates[template][lang];
    const strings = set.layoutStrings[lang];
    const options = { data: { locale: lang, linkHelp: strings.linkHelp } };
    const context: object = { ...data };

    const subject = parts.subject(context, options).replace(/\s+/g, ' ').trim();
    const notYou = parts.notYou(context, options).replace(/\s+/g, ' ').trim();
    const layoutContext = {
      subject,
      notYou,
      serviceName: this.serviceName,
      footer: strings.footer({ serviceName: this.serviceName }, options),
      help: this.supportEmail ? strings.help({ supportEmail: this.supportEmail }, options) : null,
    };
    const html = set.layoutHtml({ ...layoutContext, body: parts.html(context, options) }, options);
    const text = set.layoutText({ ...layoutContext, body: parts.text(context, options) }, options);
    return { subject, text: tidyText(text), html: tidyHtml(html) };
  }
}
