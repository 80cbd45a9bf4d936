import { Readable } from 'node:stream';
import { expect } from 'chai';
import { ImportSourceError, readLegacyCsv, type SourceRow } from '../../src/index.js';
import { rejection } from '../support/migration-test-kit.js';

async function rows(text: string | Buffer): Promise<SourceRow[]> {
  const out: SourceRow[] = [];
  for await (const row of readLegacyCsv(Readable.from([text]))) out.push(row);
  return out;
}

const HEADER =
  'legacy_username,email,given_name,family_name,phone,centre_number,teaching_centre,password_hash';

describe('readLegacyCsv', () => {
  it('reads rows by the contract header, with their line numbers', async () => {
    const read = await rows(
      `${HEADER}\nsian.jones,sian@example.org,Siân,Jones,07700 900982,68101,"Ysgol Gyfun, Caerdydd",$1$a$b\n\nllyr.williams,,Llŷr,Williams,,,,$1$c$d\n`,
    );
    expect(read).to.have.length(2);
    expect(read[0]).to.deep.equal({
      line: 2,
      values: {
        legacy_username: 'sian.jones',
        email: 'sian@example.org',
        given_name: 'Siân',
        family_name: 'Jones',
        phone: '07700 900982',
        centre_number: '68101',
        teaching_centre: 'Ysgol Gyfun, Caerdydd',
        password_hash: '$1$a$b',
      },
    });
    expect(read[1]?.line).to.equal(4);
    expect(read[1]?.values.email).to.equal('');
  });

  it('accepts a byte-order mark, CRLF line ends, header names in any case and extra columns', async () => {
    const text = `\uFEFF Legacy_Username ,PASSWORD_HASH,Payroll ID,\r\nsian.jones,$1$a$b,P-77,\r\n`;
    const read = await rows(Buffer.from(text, 'utf8'));
    expect(read).to.deep.equal([
      {
        line: 2,
        values: { legacy_username: 'sian.jones', password_hash: '$1$a$b', 'payroll id': 'P-77' },
      },
    ]);
  });

  it('keeps a line break inside a quoted field', async () => {
    const read = await rows(
      `legacy_username,password_hash,notes\nsian.jones,$1$a$b,"line one\nline two"\nllyr,$1$c$d,\n`,
    );
    expect(read.map((r) => r.values.notes)).to.deep.equal(['line one\nline two', '']);
    expect(read[1]?.line).to.equal(4);
  });

  it('marks a line with the wrong number of fields and goes on with the next', async () => {
    const read = await rows(
      `legacy_username,password_hash\nsian.jones,$1$a$b,surplus\nllyr,$1$c$d\nrhys\n`,
    );
    expect(
      read.map((r) => [r.line, r.values.legacy_username, r.unreadable?.reason ?? 'ok']),
    ).to.deep.equal([
      [2, 'sian.jones', 'wrong_column_count'],
      [3, 'llyr', 'ok'],
      [4, 'rhys', 'wrong_column_count'],
    ]);
  });

  it('keeps stray quotes inside a field instead of losing the rest of the file', async () => {
    const read = await rows(
      `legacy_username,password_hash\nsian "the boss" jones,$1$a$b\n"llyr"x,$1$c$d\nrhys,$1$e$f\n`,
    );
    expect(read.map((r) => r.values.legacy_username)).to.deep.equal([
      'sian "the boss" jones',
      '"llyr"x',
      'rhys',
    ]);
  });

  it('reports a quote that is never closed as one unreadable record', async () => {
    const read = await rows(
      `legacy_username,password_hash\nsian.jones,$1$a$b\n"llyr,$1$c$d\nrhys,$1$e$f\n`,
    );
    expect(read[0]?.values.legacy_username).to.equal('sian.jones');
    expect(read[1]?.unreadable?.reason).to.equal('unreadable_record');
    expect(read).to.have.length(2);
  });

  it('refuses a file without the required columns, a repeated column or no header', async () => {
    for (const text of ['email,password_hash\nx,y\n', 'legacy_username,email\nx,y\n', '']) {
      const err = await rejection(rows(text));
      expect(err, JSON.stringify(text)).to.be.instanceOf(ImportSourceError);
    }
    const twice = await rejection(rows('legacy_username,password_hash,Email,email\n'));
    expect(twice)
      .to.be.instanceOf(ImportSourceError)
      .with.property('message')
      .that.includes('email');
  });

  it('passes on an error of the input stream', async () => {
    const broken = new Readable({
      read() {
        this.destroy(new Error('disk on fire'));
      },
    });
    const err = await rejection(
      (async () => {
        for await (const row of readLegacyCsv(broken)) void row;
      })(),
    );
    expect(err).to.be.instanceOf(Error).with.property('message', 'disk on fire');
  });
});
