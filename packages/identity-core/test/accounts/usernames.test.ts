import { expect } from 'chai';
import { DEFAULT_USERNAME_DOMAIN } from '../../src/config.js';
import {
  MAX_USERNAME_LOCAL_PART,
  foldName,
  normaliseEmail,
  normaliseUsername,
  numberedUsername,
  usernameBase,
  usernameLocalPart,
  usernameNumber,
} from '../../src/accounts/usernames.js';

describe('usernames', () => {
  describe('usernameBase', () => {
    const cases: readonly [
      given: string | null,
      family: string | null,
      expected: string,
      why: string,
    ][] = [
      ['Siân', 'Jones', 'sian.jones', 'folds the Welsh circumflex'],
      ['Llŷr', 'Williams', 'llyr.williams', 'folds ŷ'],
      ['Dafydd', 'ap Gwilym', 'dafydd.ap-gwilym', 'turns a space into a hyphen'],
      ['Seán', "O'Brien", 'sean.obrien', 'drops a straight apostrophe'],
      ['Siobhán', 'O’Brien', 'siobhan.obrien', 'drops a curly apostrophe'],
      ['Ceri', 'D`Arcy', 'ceri.darcy', 'drops a backtick typed as an apostrophe'],
      ['Niamh', 'O‘Sullivan', 'niamh.osullivan', 'drops a left single quote'],
      ['Mary-Jane', 'Smith', 'mary-jane.smith', 'keeps a hyphen'],
      ['Mary  Jane', 'Evans', 'mary-jane.evans', 'collapses a double space'],
      ['GARETH', 'EDWARDS', 'gareth.edwards', 'lower-cases ALL CAPITALS'],
      ['Rhys ', ' Jones  ', 'rhys.jones', 'ignores leading and trailing spaces'],
      ['Gwenllïan', 'Ŵynne', 'gwenllian.wynne', 'folds ï and a capital Ŵ'],
      ['Dŵr', 'Tŷ Newydd', 'dwr.ty-newydd', 'folds ŵ and ŷ inside words'],
      ['Owain', 'Ñúñez', 'owain.nunez', 'folds a surname of accented letters only'],
      ['Owain', '\u0302\u0301', 'owain', 'leaves out a surname of bare accents'],
      ['李', '伟', 'user', 'falls back to user when both names fold to nothing'],
      ['Madonna', '', 'madonna', 'leaves out an empty surname'],
      [null, 'Cher', 'cher', 'leaves out a missing given name'],
      ['Zoë', 'Løvland', 'zoe.lovland', 'folds ë and ø'],
      ['Æthelflæd', 'Mercia', 'aethelflaed.mercia', 'folds æ to ae'],
      ['Jürgen', 'Großmann', 'jurgen.grossmann', 'folds ß to ss'],
      ['Łukasz', 'Wałęsa', 'lukasz.walesa', 'folds ł and ę'],
      ['Đorđe', 'Đoković', 'dorde.dokovic', 'folds đ'],
      ['Þóra', 'Þórsdóttir', 'thora.thorsdottir', 'folds þ to th'],
      ['Anne-Marie ', ' Le  Roux', 'anne-marie.le-roux', 'combines hyphens and collapsed spaces'],
      ['Jean--Luc', 'Picard', 'jean-luc.picard', 'collapses a run of hyphens'],
      ['-Ffion-', 'Hughes', 'ffion.hughes', 'trims hyphens at either end'],
      ['Bryn', 'Terfel–Jones', 'bryn.terfel-jones', 'turns an en dash into a hyphen'],
      ['Siân\u200B', '\uFEFFJones', 'sian.jones', 'drops zero-width characters and a BOM'],
      ['Sia\u0302n', 'Jones', 'sian.jones', 'folds a decomposed circumflex'],
      ['Dai', 'Jones 2', 'dai.jones', 'removes digits and the hyphen they leave'],
      ['Nia', 'Smith - Jones', 'nia.smith-jones', 'collapses spaces around a hyphen'],
      ['Émile', 'St. John', 'emile.st-john', 'removes full stops inside a name'],
      [
        'Ioan\u00A0Gruffudd',
        'Evans',
        'ioan-gruffudd.evans',
        'treats a non-breaking space as a space',
      ],
      ['İpek', 'Yılmaz', 'ipek.yilmaz', 'folds Turkish dotted and dotless i'],
    ];
    for (const [given, family, expected, why] of cases) {
      it(`${why}: ${JSON.stringify(given)} ${JSON.stringify(family)} → ${expected}`, () => {
        expect(usernameBase(given, family, 'example.org')).to.equal(`${expected}@example.org`);
        expect(usernameLocalPart(given, family)).to.equal(expected);
      });
    }

    it('uses the configured default domain, wjec-appointees.co.uk', () => {
      expect(DEFAULT_USERNAME_DOMAIN).to.equal('wjec-appointees.co.uk');
      expect(usernameBase('Siân', 'Jones')).to.equal('sian.jones@wjec-appointees.co.uk');
    });

    it('accepts a domain in capitals or with a leading @', () => {
      expect(usernameBase('Siân', 'Jones', '@Example.ORG')).to.equal('sian.jones@example.org');
    });

    it('refuses a domain that is not a domain name', () => {
      expect(() => usernameBase('Siân', 'Jones', 'not a domain')).to.throw(RangeError);
      expect(() => usernameBase('Siân', 'Jones', 'localhost')).to.throw(RangeError);
    });

    it('keeps a very long name within the local-part limit and ends it on a letter', () => {
      const local = usernameLocalPart(
        'Hubert Blaine',
        'Wolfeschlegelsteinhausenbergerdorff-Welchevoralternwarengewissenhaft',
      );
      expect(local.length).to.be.at.most(MAX_USERNAME_LOCAL_PART);
      expect(local).to.match(/^hubert-blaine\.wolfeschlegel/);
      expect(local).to.match(/[a-z]$/);
    });

    it('produces only lower-case letters, hyphens and one dot for any input', () => {
      const samples = ['Á-b c', "d'E", '  ', 'x_y', 'ŁØÆ', '😀 Dragon', 'a.b.c'];
      for (const given of samples) {
        for (const family of samples) {
          expect(usernameLocalPart(given, family)).to.match(
            /^[a-z]+(-[a-z]+)*(\.[a-z]+(-[a-z]+)*)?$/,
          );
        }
      }
    });
  });

  describe('foldName', () => {
    it('returns an empty string for a name made only of symbols', () => {
      expect(foldName("' - ’ `")).to.equal('');
      expect(foldName('😀')).to.equal('');
    });
  });

  describe('numberedUsername', () => {
    it('numbers collisions before the @: the base, then 2, then 3', () => {
      const base = usernameBase('Siân', 'Jones');
      expect([1, 2, 3].map((n) => numberedUsername(base, n))).to.deep.equal([
        'sian.jones@wjec-appointees.co.uk',
        'sian.jones2@wjec-appointees.co.uk',
        'sian.jones3@wjec-appointees.co.uk',
      ]);
    });

    it('refuses a number below 1', () => {
      expect(() => numberedUsername('a.b@example.org', 0)).to.throw(RangeError);
    });

    it('reads the number back from a username and ignores other bases', () => {
      const base = 'sian.jones@example.org';
      expect(usernameNumber(base, 'sian.jones@example.org')).to.equal(1);
      expect(usernameNumber(base, 'sian.jones12@example.org')).to.equal(12);
      expect(usernameNumber(base, 'sian.jones-evans@example.org')).to.equal(null);
      expect(usernameNumber(base, 'sian.jones1@example.org')).to.equal(null);
      expect(usernameNumber(base, 'sian.jones02@example.org')).to.equal(null);
      expect(usernameNumber(base, 'sian.jones2@example.com')).to.equal(null);
    });
  });

  describe('normaliseUsername', () => {
    it('trims, lower-cases and drops zero-width characters and a BOM', () => {
      expect(normaliseUsername('  Sian.Jones@WJEC-Appointees.co.uk \t')).to.equal(
        'sian.jones@wjec-appointees.co.uk',
      );
      expect(normaliseUsername('\uFEFFsian.jones\u200B@example.org\u200D')).to.equal(
        'sian.jones@example.org',
      );
      expect(normaliseUsername('sian.jones@example.org\u00A0')).to.equal('sian.jones@example.org');
    });

    it('treats composed and decomposed accents as the same username', () => {
      expect(normaliseUsername('Sia\u0302n.Jones')).to.equal(normaliseUsername('Siân.Jones'));
      expect(normaliseUsername('SIÂN.JONES')).to.equal('siân.jones');
    });

    it('keeps spaces inside a username, so that they do not match', () => {
      expect(normaliseUsername('sian jones')).to.equal('sian jones');
    });
  });

  describe('normaliseEmail', () => {
    it('compares email addresses without case, spaces or invisible characters', () => {
      expect(normaliseEmail(' Sian.Jones@Example.ORG\u200B ')).to.equal('sian.jones@example.org');
    });
  });
});
