import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInstance, type i18n, type TFunction } from 'i18next';
import { localesDir } from './paths.js';

/** The languages every page and email is written in. */
export const LANGUAGES = ['en', 'cy'] as const;
/** One of the supported languages. */
export type Language = (typeof LANGUAGES)[number];

/** True for a supported language code. */
export function isLanguage(value: unknown): value is Language {
  return value === 'en' || value === 'cy';
}

type Catalogue = { [key: string]: string | Catalogue };

function mergeInto(target: Catalogue, source: Catalogue, file: string, path = ''): void {
  for (const [key, value] of Object.entries(source)) {
    const existing = target[key];
    if (typeof value === 'object' && typeof existing === 'object') {
      mergeInto(existing, value, file, `${path}${key}.`);
    } else if (existing !== undefined) {
      throw new Error(`Message ${path}${key} is defined twice (again in ${file})`);
    } else {
      target[key] = value;
    }
  }
}

/** Reads one language's catalogue: every `locales/<lang>/*.json` file (one per area), merged. */
export function loadCatalogue(lang: Language): Catalogue {
  const dir = join(localesDir, lang);
  const catalogue: Catalogue = {};
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()) {
    mergeInto(
      catalogue,
      JSON.parse(readFileSync(join(dir, file), 'utf8')) as Catalogue,
      `${lang}/${file}`,
    );
  }
  return catalogue;
}

/** Loads the English and Welsh catalogues into a private i18next instance. */
export async function createI18n(): Promise<i18n> {
  const resources = Object.fromEntries(
    LANGUAGES.map((lng) => [lng, { translation: loadCatalogue(lng) }]),
  );
  const instance = createInstance();
  await instance.init({
    resources,
    lng: 'en',
    fallbackLng: 'en',
    supportedLngs: [...LANGUAGES],
    interpolation: { escapeValue: false },
    returnNull: false,
    initAsync: false,
  });
  return instance;
}

/** Picks the language from an explicit choice, else the Accept-Language header, else English. */
export function chooseLanguage(explicit: unknown, acceptLanguage: string | undefined): Language {
  if (isLanguage(explicit)) return explicit;
  if (acceptLanguage) {
    const ranked = acceptLanguage
      .split(',')
      .map((part) => {
        const [tag = '', ...params] = part.trim().split(';');
        const q = params.find((p) => p.trim().startsWith('q='));
        return { tag: tag.toLowerCase(), q: q ? Number(q.trim().slice(2)) || 0 : 1 };
      })
      .sort((a, b) => b.q - a.q);
    for (const { tag, q } of ranked) {
      if (q <= 0) continue;
      const base = tag.split('-')[0];
      if (isLanguage(base)) return base;
    }
  }
  return 'en';
}

/** A translator fixed to one language. */
export type Translate = TFunction;
