import { expect } from 'chai';
import { readdirSync } from 'node:fs';
import { loadCatalogue } from '../src/i18n.js';
import { localesDir } from '../src/paths.js';

type Catalogue = { [key: string]: string | Catalogue };

function keys(catalogue: Catalogue, prefix = ''): string[] {
  return Object.entries(catalogue).flatMap(([k, v]) =>
    typeof v === 'string' ? [`${prefix}${k}`] : keys(v, `${prefix}${k}.`),
  );
}

function placeholders(text: string): string[] {
  return [...text.matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((m) => m[1] ?? '').sort();
}

describe('message catalogues', () => {
  const en = loadCatalogue('en');
  const cy = loadCatalogue('cy');

  it('have the same files in English and Welsh', () => {
    expect(readdirSync(`${localesDir}/cy`).sort()).to.deep.equal(
      readdirSync(`${localesDir}/en`).sort(),
    );
  });

  it('say everything in Welsh that they say in English, and nothing more', () => {
    expect(keys(cy).sort()).to.deep.equal(keys(en).sort());
  });

  it('use the same placeholders in both languages', () => {
    const lookup = (c: Catalogue, key: string) =>
      key
        .split('.')
        .reduce<string | Catalogue | undefined>(
          (node, part) => (typeof node === 'object' ? node[part] : undefined),
          c,
        );
    for (const key of keys(en)) {
      expect(placeholders(String(lookup(cy, key))), key).to.deep.equal(
        placeholders(String(lookup(en, key))),
      );
    }
  });

  it('never leave a Welsh message empty or in English', () => {
    const lookup = (c: Catalogue, key: string) =>
      key
        .split('.')
        .reduce<string | Catalogue | undefined>(
          (node, part) => (typeof node === 'object' ? node[part] : undefined),
          c,
        );
    const same = keys(en).filter((key) => {
      const e = String(lookup(en, key));
      // Names, codes and single words that are the same in both languages are fine.
      return e.length > 12 && e === String(lookup(cy, key));
    });
    expect(same).to.deep.equal([]);
    expect(keys(cy).filter((key) => String(lookup(cy, key)).trim() === '')).to.deep.equal([]);
  });
});
