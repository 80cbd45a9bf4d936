import { fileURLToPath } from 'node:url';

/** The package's root folder, whether running from src/ (tests) or dist/ (built). */
export const packageRoot = fileURLToPath(new URL('..', import.meta.url));
/** Handlebars views. */
export const viewsDir = fileURLToPath(new URL('../views/', import.meta.url));
/** Message catalogues, one JSON file per language. */
export const localesDir = fileURLToPath(new URL('../locales/', import.meta.url));
