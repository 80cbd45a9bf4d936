import { expect } from 'chai';
import {
  MAIL_LOCALES,
  MAIL_TEMPLATE_NAMES,
  SECURITY_CHANGES,
  SUPPORT_CHANGES,
  type MailTemplateName,
  type MailTemplates,
} from '../../src/mail/mail-message.js';
import { MailRenderer, formatMailDateTime } from '../../src/mail/render.js';
import { MAIL_TEMPLATE_FIELDS, MAIL_TEMPLATE_SOURCES } from '../../src/mail/templates.js';
import { IdentityError } from '../../src/errors.js';

const SUMMER_NOON_UTC = new Date(Date.UTC(2026, 6, 1, 12, 0));

/** Sample data for every template; each value is distinctive so it can be found in the output. */
const SAMPLES: { readonly [T in MailTemplateName]: MailTemplates[T] } = {
  migration_temporary_password: {
    name: 'Siân Jones',
    newUsername: 'sian.jones@wjec-appointees.co.uk',
    temporaryPassword: 'Tmp-7gQ!x2Lk',
    signInUrl: 'https://id.example.org/sign-in',
    expiresAt: SUMMER_NOON_UTC,
  },
  forgotten_username: {
    name: 'Llŷr Evans',
    usernames: ['llyr.evans@wjec-appointees.co.uk', 'llyr.evans2@wjec-appointees.co.uk'],
    signInUrl: 'https://id.example.org/sign-in?from=reminder',
  },
  password_reset: {
    name: 'Gareth Price',
    resetUrl: 'https://id.example.org/reset/q2Xh8vK0bM',
    expiresHours: 24,
  },
  invitation: {
    inviterName: 'Eleri Morgan',
    centreName: 'Ysgol Glan Môr',
    centreNumber: '68101',
    acceptUrl: 'https://id.example.org/invitations/Zr41pQ',
    expiresDays: 7,
  },
  mfa_reset: { name: 'Rhodri Lewis', signInUrl: 'https://id.example.org/sign-in' },
  security_change: { name: 'Ffion Hughes', change: 'password', time: SUMMER_NOON_UTC },
  email_code: { code: '482913', minutes: 10 },
  centre_access_changed: {
    name: 'Aled Roberts',
    change: 'access_changed',
    centreName: 'Ysgol Bro Dinefwr',
    centreNumber: '68101',
    changedBy: 'Eleri Morgan',
    role: 'user',
    permissions: ['entries_results', 'resources'],
    time: SUMMER_NOON_UTC,
  },
  support_change: {
    name: 'Gwenllian Parry',
    change: 'unlocked',
    time: SUMMER_NOON_UTC,
    signInUrl: 'https://id.example.org/amp?from=support',
  },
};

/** The values a reader must see word for word (not those shown in other words, like a change kind). */
function shownValues(template: MailTemplateName): string[] {
  const data = SAMPLES[template] as unknown as Record<string, unknown>;
  return Object.entries(MAIL_TEMPLATE_FIELDS[template] as Record<string, string>).flatMap(
    ([field, kind]) => {
      const value = data[field];
      if (kind === 'textList' && Array.isArray(value)) return value.map(String);
      return ['text', 'name', 'url'].includes(kind) ? [String(value)] : [];
    },
  );
}

function escapeHtml(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#x27;')
    .replace(/=/g, '&#x3D;');
}

describe('mail templates', () => {
  const renderer = new MailRenderer({
    serviceName: 'WJEC Porth',
    supportEmail: 'help@example.org',
  });

  for (const template of MAIL_TEMPLATE_NAMES) {
    for (const locale of MAIL_LOCALES) {
      it(`renders ${template} in ${locale} with every field, in both parts, and nothing left unfilled`, () => {
        const data = SAMPLES[template];
        const mail = renderer.render(template, locale, data);
        expect(mail.subject).to.be.a('string').and.not.equal('');
        expect(mail.subject).not.to.match(/[\r\n]/);
        for (const part of [mail.subject, mail.text, mail.html]) {
          expect(part).not.to.include('{{');
          expect(part).not.to.include('undefined');
          expect(part).not.to.include('[object');
        }
        for (const value of shownValues(template)) {
          expect(mail.text, `text part of ${template}/${locale}`).to.include(value);
          expect(mail.html, `HTML part of ${template}/${locale}`).to.include(escapeHtml(value));
        }
        expect(mail.html).to.include(`<html lang="${locale}">`);
        expect(mail.html).to.include('WJEC Porth');
        expect(mail.text).to.include('help@example.org');
      });

      it(`refuses to render ${template} in ${locale} when any field is missing`, () => {
        for (const field of Object.keys(MAIL_TEMPLATE_FIELDS[template])) {
          const data = Object.fromEntries(
            Object.entries(SAMPLES[template]).filter(([key]) => key !== field),
          );
          expect(
            () =>
              renderer.render(template, locale, data as unknown as MailTemplates[typeof template]),
            `${template}.${field}`,
          ).to.throw(TypeError, `"${field}"`);
        }
      });
    }

    it(`says in both parts of ${template}, in both languages, what to do if it was not the reader`, () => {
      for (const locale of MAIL_LOCALES) {
        const mail = renderer.render(template, locale, SAMPLES[template]);
        const notYou = MAIL_TEMPLATE_SOURCES[template][locale].notYou;
        // The advice carries no fields, so it appears word for word.
        expect(notYou).not.to.include('{{');
        expect(mail.text).to.include(notYou);
        expect(mail.html).to.include(escapeHtml(notYou));
      }
    });

    it(`writes ${template} differently in Welsh and in English`, () => {
      const en = renderer.render(template, 'en', SAMPLES[template]);
      const cy = renderer.render(template, 'cy', SAMPLES[template]);
      expect(cy.subject).not.to.equal(en.subject);
      expect(cy.text).not.to.equal(en.text);
    });
  }

  it('lists a data field for every field of every template and a template for every name', () => {
    expect(Object.keys(MAIL_TEMPLATE_FIELDS).sort()).to.deep.equal([...MAIL_TEMPLATE_NAMES].sort());
    for (const template of MAIL_TEMPLATE_NAMES) {
      expect(Object.keys(MAIL_TEMPLATE_FIELDS[template]).sort()).to.deep.equal(
        Object.keys(SAMPLES[template]).sort(),
      );
    }
  });

  it('uses the Welsh wording people expect', () => {
    const temporary = renderer.render(
      'migration_temporary_password',
      'cy',
      SAMPLES.migration_temporary_password,
    );
    expect(temporary.text).to.include('Eich cyfrinair dros dro');
    expect(temporary.text).to.match(/^Helo Siân Jones,/);
    const reset = renderer.render('password_reset', 'cy', SAMPLES.password_reset);
    expect(reset.subject).to.equal('Ailosod eich cyfrinair');
    expect(reset.html).to.include('>Ailosod eich cyfrinair</a>');
  });

  it('shows times in UK time, in the language of the message', () => {
    const winter = new Date(Date.UTC(2026, 0, 15, 15, 5));
    expect(formatMailDateTime(SUMMER_NOON_UTC, 'en'))
      .to.include('1 July 2026')
      .and.include('13:00');
    expect(formatMailDateTime(SUMMER_NOON_UTC, 'cy'))
      .to.include('1 Gorffennaf 2026')
      .and.include('13:00');
    expect(formatMailDateTime(winter, 'en')).to.include('15 January 2026').and.include('15:05');
    expect(formatMailDateTime(winter, 'cy')).to.include('15 Ionawr 2026').and.include('15:05');
    const change = renderer.render('security_change', 'cy', {
      ...SAMPLES.security_change,
      time: winter,
    });
    expect(change.text).to.include(`Pryd: ${formatMailDateTime(winter, 'cy')} (amser y DU)`);
  });

  it('describes every kind of security change in its own words, in both languages', () => {
    for (const locale of MAIL_LOCALES) {
      const subjects = SECURITY_CHANGES.map(
        (change) =>
          renderer.render('security_change', locale, { ...SAMPLES.security_change, change })
            .subject,
      );
      expect(new Set(subjects).size, locale).to.equal(SECURITY_CHANGES.length);
    }
    expect(() =>
      renderer.render('security_change', 'en', {
        ...SAMPLES.security_change,
        change: 'shoe_size' as never,
      }),
    ).to.throw(TypeError, '"change"');
  });

  it('words the username reminder for one username and for several', () => {
    const one = renderer.render('forgotten_username', 'en', {
      ...SAMPLES.forgotten_username,
      usernames: ['only.one@wjec-appointees.co.uk'],
    });
    const several = renderer.render('forgotten_username', 'en', SAMPLES.forgotten_username);
    expect(one.text).to.include('The username linked to this email address is:');
    expect(several.text).to.include('These usernames are linked to this email address:');
  });

  it('counts hours, days and minutes in correct English', () => {
    expect(
      renderer.render('password_reset', 'en', { ...SAMPLES.password_reset, expiresHours: 1 }).text,
    ).to.include('works for 1 hour and');
    expect(renderer.render('password_reset', 'en', SAMPLES.password_reset).text).to.include(
      'works for 24 hours',
    );
    expect(renderer.render('invitation', 'en', SAMPLES.invitation).text).to.include(
      'works for 7 days',
    );
    expect(renderer.render('email_code', 'en', SAMPLES.email_code).text).to.include(
      'works for 10 minutes',
    );
  });

  it('escapes what people typed in the HTML part and leaves the text part as typed', () => {
    const mail = renderer.render('mfa_reset', 'en', {
      ...SAMPLES.mfa_reset,
      name: 'Ann <b onclick="x">& Co',
    });
    expect(mail.html).to.include('Ann &lt;b onclick&#x3D;&quot;x&quot;&gt;&amp; Co');
    expect(mail.html).not.to.include('<b onclick');
    expect(mail.text).to.include('Hello Ann <b onclick="x">& Co,');
  });

  it('greets without a name when the account has none', () => {
    const mail = renderer.render('mfa_reset', 'cy', { ...SAMPLES.mfa_reset, name: '  ' });
    expect(mail.text).to.match(/^Helo,\n/);
  });

  it('refuses a link that is not a web address', () => {
    expect(() =>
      renderer.render('password_reset', 'en', {
        ...SAMPLES.password_reset,
        resetUrl: 'javascript:alert(1)',
      }),
    ).to.throw(TypeError, '"resetUrl"');
  });

  it('rejects an unknown template with MAIL_TEMPLATE_UNKNOWN', () => {
    let caught: unknown;
    try {
      renderer.render('welcome_pack' as MailTemplateName, 'en', {} as never);
    } catch (err) {
      caught = err;
    }
    expect(caught).to.be.instanceOf(IdentityError);
    expect((caught as IdentityError).code).to.equal('MAIL_TEMPLATE_UNKNOWN');
  });

  it('writes an unknown language in English', () => {
    const mail = renderer.render('email_code', 'fr' as never, SAMPLES.email_code);
    expect(mail.subject).to.equal(renderer.render('email_code', 'en', SAMPLES.email_code).subject);
  });

  it('lists the account type and permissions of a changed access by name, in the language of the message', () => {
    const en = renderer.render('centre_access_changed', 'en', SAMPLES.centre_access_changed);
    expect(en.subject).to.equal('Your access to Ysgol Bro Dinefwr (68101) has changed');
    expect(en.text).to.include('Your account type: User');
    expect(en.text).to.include(
      '- Entries and Results\n- Past Papers, Marking Schemes and Resources',
    );
    expect(en.html).to.include('<li>Entries and Results</li>');
    expect(en.text).not.to.include('A2C Keys');
    const cy = renderer.render('centre_access_changed', 'cy', {
      ...SAMPLES.centre_access_changed,
      role: 'admin',
      permissions: ['a2c_keys'],
    });
    expect(cy.subject).to.equal('Mae eich mynediad i Ysgol Bro Dinefwr (68101) wedi newid');
    expect(cy.text).to.include('Eich math o gyfrif: Gweinyddwr');
    expect(cy.text).to.include('- Allweddi A2C');
  });

  it('says so when a changed access leaves no services at the centre', () => {
    const mail = renderer.render('centre_access_changed', 'en', {
      ...SAMPLES.centre_access_changed,
      permissions: [],
    });
    expect(mail.text).to.include('You no longer have access to any services for this centre.');
    expect(mail.text).not.to.include('You now have access to:');
  });

  it('words a removal from a centre without listing any access, in both languages', () => {
    const removal = { ...SAMPLES.centre_access_changed, change: 'removed' as const };
    const en = renderer.render('centre_access_changed', 'en', removal);
    expect(en.subject).to.equal('You have been removed from Ysgol Bro Dinefwr (68101)');
    expect(en.text).to.include(
      'Eleri Morgan has removed you from Ysgol Bro Dinefwr (centre 68101).',
    );
    expect(en.text).not.to.include('Entries and Results');
    expect(en.html).not.to.include('<ul>');
    const cy = renderer.render('centre_access_changed', 'cy', removal);
    expect(cy.subject).to.equal('Rydych chi wedi cael eich tynnu o Ysgol Bro Dinefwr (68101)');
    expect(cy.text).to.include('Mae Eleri Morgan wedi eich tynnu chi o Ysgol Bro Dinefwr');
  });

  it('refuses a centre access email with an unknown change, role or permission', () => {
    for (const [field, value] of [
      ['change', 'promoted'],
      ['role', 'owner'],
      ['permissions', ['resources', 'shoe_size']],
      ['permissions', 'resources'],
    ] as const) {
      expect(
        () =>
          renderer.render('centre_access_changed', 'en', {
            ...SAMPLES.centre_access_changed,
            [field]: value,
          } as never),
        field,
      ).to.throw(TypeError, `"${field}"`);
    }
  });
  it('words each support change in its own subject and sentence, in both languages', () => {
    const seen = new Set<string>();
    for (const change of SUPPORT_CHANGES) {
      for (const locale of MAIL_LOCALES) {
        const mail = renderer.render('support_change', locale, {
          ...SAMPLES.support_change,
          change,
        });
        expect(mail.subject, `${change}/${locale}`).not.to.equal('');
        seen.add(mail.subject);
        expect(mail.text).to.include(locale === 'en' ? 'support team' : 'tîm cymorth');
        expect(mail.text).to.include(locale === 'en' ? '(UK time)' : '(amser y DU)');
      }
    }
    expect(seen.size).to.equal(SUPPORT_CHANGES.length * MAIL_LOCALES.length);
    const en = (change: 'unlocked' | 'disabled' | 'enabled') =>
      renderer.render('support_change', 'en', { ...SAMPLES.support_change, change });
    expect(en('unlocked').subject).to.equal('Your account has been unlocked');
    expect(en('unlocked').text).to.include('You can sign in again now.');
    expect(en('disabled').subject).to.equal('Your account has been disabled');
    expect(en('disabled').text).to.include('You cannot sign in to AMP, the Portal');
    expect(en('enabled').subject).to.equal('Your account has been enabled again');
    const cy = renderer.render('support_change', 'cy', {
      ...SAMPLES.support_change,
      change: 'disabled',
    });
    expect(cy.subject).to.equal('Mae eich cyfrif wedi cael ei analluogi');
  });

  it('offers a sign-in link after an unlock or an enable, but not after a disable', () => {
    for (const change of ['unlocked', 'enabled'] as const) {
      const mail = renderer.render('support_change', 'en', { ...SAMPLES.support_change, change });
      expect(mail.text, change).to.include(SAMPLES.support_change.signInUrl);
      expect(mail.html, change).to.include(escapeHtml(SAMPLES.support_change.signInUrl));
    }
    const disabled = renderer.render('support_change', 'cy', {
      ...SAMPLES.support_change,
      change: 'disabled',
    });
    expect(disabled.text).not.to.include(SAMPLES.support_change.signInUrl);
    expect(disabled.html).not.to.include('Mewngofnodi</a>');
  });

  it('refuses a support email with an unknown change', () => {
    expect(() =>
      renderer.render('support_change', 'en', {
        ...SAMPLES.support_change,
        change: 'deleted',
      } as never),
    ).to.throw(TypeError, '"change"');
  });
});
