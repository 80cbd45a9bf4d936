import type { RequestHandler } from 'express';
import type { i18n } from 'i18next';
import { chooseLanguage, isLanguage } from '../i18n.js';

const COOKIE = 'porth_lang';
const ONE_YEAR_MS = 365 * 24 * 60 * 60 * 1000;

/**
 * Chooses each request's language: `?lang=cy|en` (remembered in a cookie), else the cookie,
 * else Accept-Language, else English; puts `lang`, `t` and the language-switch link in res.locals.
 */
export function languageMiddleware(i18next: i18n, secureCookies: boolean): RequestHandler {
  return (req, res, next) => {
    const query = req.query.lang;
    if (isLanguage(query)) {
      res.cookie(COOKIE, query, {
        maxAge: ONE_YEAR_MS,
        httpOnly: true,
        sameSite: 'lax',
        secure: secureCookies,
      });
    }
    const cookies = (req as { cookies?: Record<string, unknown> }).cookies ?? {};
    const lang = chooseLanguage(
      isLanguage(query) ? query : cookies[COOKIE],
      req.get('accept-language'),
    );
    const other = lang === 'en' ? 'cy' : 'en';
    const url = new URL(req.originalUrl, 'http://x');
    url.searchParams.set('lang', other);
    res.locals.lang = lang;
    res.locals.t = i18next.getFixedT(lang);
    res.locals.switchLanguage = { lang: other, href: `${url.pathname}${url.search}` };
    res.setHeader('Content-Language', lang);
    next();
  };
}
