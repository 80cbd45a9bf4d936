import { expect } from 'chai';
import { parseMark, readSheet } from '../src/rp/portal/marks/mark-entry.js';
import type { Mark, SheetRow } from '../src/rp/portal/marks/model.js';

function row(id: string, n: number, mark: Mark | null): SheetRow {
  return {
    id,
    unitId: 'u',
    row: n,
    centreNumber: '68101',
    candidateNumber: String(n).padStart(4, '0'),
    name: `Ymgeisydd ${n}`,
    inSample: false,
    mark,
    centreMark: null,
    moderatorMark: null,
  };
}

const draft = (mark: number): Mark => ({ outcome: 'mark', mark, status: 'draft', ownerId: null });

describe('reading a mark box', () => {
  it('takes whole numbers from 0 to the maximum, and A (any case) for absent', () => {
    expect(parseMark('0', 60)).to.deep.equal({ kind: 'mark', mark: 0 });
    expect(parseMark(' 60 ', 60)).to.deep.equal({ kind: 'mark', mark: 60 });
    expect(parseMark('007', 60)).to.deep.equal({ kind: 'mark', mark: 7 });
    expect(parseMark('A', 60)).to.deep.equal({ kind: 'absent' });
    expect(parseMark(' a', 60)).to.deep.equal({ kind: 'absent' });
    expect(parseMark('   ', 60)).to.deep.equal({ kind: 'blank' });
  });

  it('refuses anything else: over the maximum, negative, decimals, words, signs, other digits', () => {
    for (const text of [
      '61',
      '-1',
      '12.5',
      '1e1',
      'twelve',
      '+5',
      '0x1',
      '１２',
      'AB',
      '123456789',
    ]) {
      expect(parseMark(text, 60), text).to.deep.equal({ kind: 'invalid' });
    }
  });
});

describe('reading a mark sheet form', () => {
  const submitted: Mark = { outcome: 'mark', mark: 40, status: 'submitted', ownerId: null };
  const carried: Mark = { outcome: 'carried_forward', mark: null, status: 'draft', ownerId: null };
  const rows = [
    row('a', 1, null),
    row('b', 2, draft(30)),
    row('c', 3, draft(12)),
    row('d', 4, submitted),
    row('e', 5, carried),
    row('f', 6, null),
  ];
  const editable = (r: SheetRow) => r.mark?.status !== 'submitted';

  it('saves only what changed: new marks, changed drafts and emptied boxes', () => {
    const read = readSheet(
      { mark_a: '15', mark_b: '30', mark_c: '', mark_e: 'cf', mark_f: 'A' },
      rows,
      60,
      editable,
    );
    expect(read.refused).to.deep.equal([]);
    expect(read.entries).to.deep.equal([
      { candidateId: 'a', outcome: 'mark', mark: 15 },
      { candidateId: 'c', outcome: 'clear' },
      { candidateId: 'f', outcome: 'absent' },
    ]);
  });

  it('refuses every bad box and every box for a mark that can no longer change, naming each row', () => {
    const read = readSheet(
      { mark_a: '99', mark_b: 'x', mark_d: '41' },
      rows,
      60,
      (r) => editable(r) && r.id !== 'f',
    );
    expect(read.refused.map((r) => [r.row.row, r.reason])).to.deep.equal([
      [1, 'invalid'],
      [2, 'invalid'],
      [4, 'locked'],
    ]);
    expect(read.typed).to.deep.equal({ a: '99', b: 'x', d: '41' });
    const unavailable = readSheet({ mark_f: '3' }, rows, 60, (r) => r.id !== 'f');
    expect(unavailable.refused.map((r) => r.reason)).to.deep.equal(['unavailable']);
  });
});
