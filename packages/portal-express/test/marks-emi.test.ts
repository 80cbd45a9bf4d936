import { expect } from 'chai';
import type { Candidate, Unit } from '../src/rp/portal/marks/model.js';
import { unitLabel } from '../src/rp/portal/marks/model.js';
import {
  createTestUser,
  startTestPortal,
  type RunningTestPortal,
  type TestUser,
} from './support/server.js';
import { Browser } from './support/rp.js';
import { allMarks, markBox, marksRepo, pageText, portalBrowser } from './support/marks.js';

const DB = process.env.DATABASE_URL ? 'MariaDB/MySQL' : 'SQLite';

describe(`Portal: Electronic Mark Input (${DB})`, function () {
  this.timeout(60_000);
  let running: RunningTestPortal;
  let examiner: TestUser;
  let browser: Browser;
  let latin: Unit;
  let latinCandidates: Candidate[];
  let other: Unit;
  let otherCandidates: Candidate[];

  const sheet = () => `/portal/emi/units/${latin.id}`;
  const csrfOf = (b: Browser) => b.forms().find((f) => f.hidden._csrf)?.hidden._csrf ?? '';
  const candidate = (i: number): Candidate => {
    const c = latinCandidates[i];
    if (!c) throw new Error(`no candidate ${i}`);
    return c;
  };
  async function auditCount(type: string): Promise<number> {
    const row = (await running.portal
      .db('audit_events')
      .where({ type })
      .count({ n: '*' })
      .first()) as {
      n: number | string;
    };
    return Number(row.n);
  }

  before(async () => {
    running = await startTestPortal();
    examiner = await createTestUser(running);
    const repo = marksRepo(running);
    latin = await repo.createUnit({
      series: 'GCSE JANUARY 2017',
      code: '9521/01',
      title: 'LATIN LANGUAGE CORE: LEVEL 2',
      maxMark: 60,
      kind: 'examined',
    });
    // 120 candidates at two centres: more than two pages of 50.
    latinCandidates = [
      ...(await repo.addCandidates(
        latin.id,
        Array.from({ length: 70 }, (_, i) => ({
          centreNumber: '68101',
          candidateNumber: String(i + 1).padStart(4, '0'),
          name: `Ymgeisydd ${i + 1} O’Brien`,
        })),
      )),
      ...(await repo.addCandidates(
        latin.id,
        Array.from({ length: 50 }, (_, i) => ({
          centreNumber: '68105',
          candidateNumber: String(i + 1).padStart(4, '0'),
          name: `Disgybl ${i + 1}`,
        })),
      )),
    ];
    await repo.allocate(examiner.account.id, latin.id, 'examiner', { all: true });
    other = await repo.createUnit({
      series: 'GCSE JANUARY 2017',
      code: '9522/01',
      title: 'LATIN LITERATURE',
      maxMark: 40,
      kind: 'examined',
    });
    otherCandidates = await repo.addCandidates(other.id, [
      { centreNumber: '68101', candidateNumber: '0001', name: 'Heb Ei Neilltuo' },
    ]);
    browser = await portalBrowser(running, examiner);
  });
  after(async () => {
    await running?.stop();
  });

  it('is linked from All Services and lists the allocated units only, with what is left', async () => {
    await browser.open('/portal/services');
    expect(browser.html).to.contain('href="/portal/emi"');
    expect(browser.html).to.contain('href="/portal/iamis"');
    await browser.open('/portal/emi');
    expect(browser.status).to.equal(200);
    const text = pageText(browser.html);
    expect(text).to.contain('Electronic Mark Input');
    expect(text).to.contain(unitLabel(latin));
    expect(text).to.contain('GCSE JANUARY 2017 LATIN LANGUAGE CORE: LEVEL 2 (9521/01)');
    expect(text).to.contain('Enter marks (120 left)');
    expect(text).to.contain('No marks to submit (0 submitted)');
    expect(text).to.not.contain(other.code);
  });

  it('asks to sign in first, and refuses a form posted without a session', async () => {
    const stranger = new Browser(running.url);
    await stranger.open(sheet());
    expect(stranger.sawSignInPage).to.equal(true);
    const before = await allMarks(running);
    await stranger.post(sheet(), { page: '1', action: 'draft', [`mark_${candidate(9).id}`]: '9' });
    expect(stranger.url).to.equal(`${running.url}/portal`);
    expect(await allMarks(running)).to.deep.equal(before);
  });

  it('refuses a unit not allocated to the examiner with 403, and changes nothing', async () => {
    await browser.open(sheet());
    const csrf = csrfOf(browser);
    const before = await allMarks(running);
    const denials = await auditCount('marks.access_denied');

    await browser.open(`/portal/emi/units/${other.id}`);
    expect(browser.status).to.equal(403);
    expect(browser.html).to.contain('This unit is not allocated to you');
    expect(browser.html).to.not.contain('Heb Ei Neilltuo');

    const [target] = otherCandidates;
    await browser.post(`/portal/emi/units/${other.id}`, {
      _csrf: csrf,
      page: '1',
      action: 'draft',
      [`mark_${target?.id ?? ''}`]: '10',
    });
    expect(browser.status).to.equal(403);
    await browser.post(`/portal/emi/units/${other.id}/submit`, { _csrf: csrf });
    expect(browser.status).to.equal(403);
    await browser.open(`/portal/emi/units/${'0'.repeat(32)}`);
    expect(browser.status).to.equal(403);

    expect(await allMarks(running)).to.deep.equal(before);
    expect(await auditCount('marks.access_denied')).to.equal(denials + 4);
  });

  it('refuses out-of-range and non-numeric marks with each row named, and saves none of the form', async () => {
    const before = await allMarks(running);
    await browser.open(sheet());
    const [a, b, c, d, e] = [0, 1, 2, 3, 4].map(candidate);
    await browser.submit({
      action: 'draft',
      [`mark_${a.id}`]: '61',
      [`mark_${b.id}`]: 'abc',
      [`mark_${c.id}`]: '12',
      [`mark_${d.id}`]: '-1',
      [`mark_${e.id}`]: '12.5',
    });
    expect(browser.status).to.equal(400);
    const text = pageText(browser.html);
    expect(text).to.contain(
      'Row 1 (0001 Ymgeisydd 1 O’Brien): enter a whole number from 0 to 60, or A if the candidate was absent',
    );
    expect(text).to.contain('Row 2 (0002 Ymgeisydd 2 O’Brien): enter a whole number');
    expect(text).to.contain('Row 4 (0004 Ymgeisydd 4 O’Brien): enter a whole number');
    expect(text).to.contain('Row 5 (0005 Ymgeisydd 5 O’Brien): enter a whole number');
    expect(text).to.not.contain('Row 3 (');
    expect(browser.html).to.contain(`href="#mark-${a.id}"`);
    expect(browser.html).to.contain('aria-invalid="true"');
    // What was typed is shown again, so nothing has to be typed twice.
    expect(markBox(browser.html, b.id)).to.equal('abc');
    expect(markBox(browser.html, c.id)).to.equal('12');
    expect(await allMarks(running), 'nothing saved, not even the valid row').to.deep.equal(before);
  });

  it('saves a draft, submits it after confirming, and then refuses to change a submitted mark', async () => {
    const [a, b] = [0, 1].map(candidate);
    await browser.open(sheet());
    await browser.submit({ action: 'draft', [`mark_${a.id}`]: '45', [`mark_${b.id}`]: 'a' });
    expect(browser.status).to.equal(200);
    expect(browser.html).to.contain('Your marks have been saved as a draft.');
    expect(markBox(browser.html, a.id)).to.equal('45');
    expect(markBox(browser.html, b.id)).to.equal('A');

    await browser.open('/portal/emi');
    let text = pageText(browser.html);
    expect(text).to.contain('Enter marks (118 left)');
    expect(text).to.contain('Submit marks (2 ready)');

    await browser.open(sheet());
    await browser.submit({ action: 'submit' });
    expect(browser.url).to.contain(`${sheet()}/submit`);
    expect(browser.html).to.contain('Marks ready to submit: 2.');
    expect(browser.html).to.contain('you cannot change these marks');
    await browser.submit({}, `${sheet()}/submit`);
    expect(browser.status).to.equal(200);
    text = pageText(browser.html);
    expect(text).to.contain(`Marks submitted for ${unitLabel(latin)}: 2.`);
    expect(text).to.contain('No marks to submit (2 submitted)');

    const stored = (await running.portal
      .db('marks')
      .whereIn('candidate_id', [a.id, b.id])
      .orderBy('mark')
      .select('outcome', 'mark', 'status')) as { outcome: string; mark: unknown; status: string }[];
    expect(
      stored.map((r) => [r.outcome, r.mark === null ? null : Number(r.mark), r.status]),
    ).to.have.deep.members([
      ['mark', 45, 'submitted'],
      ['absent', null, 'submitted'],
    ]);

    // The sheet shows the submitted marks without a box; a stale or forged form is refused.
    await browser.open(sheet());
    expect(markBox(browser.html, a.id)).to.equal(null);
    expect(browser.html).to.contain('Submitted');
    const csrf = csrfOf(browser);
    const before = await allMarks(running);
    const c = candidate(2);
    await browser.post(sheet(), {
      _csrf: csrf,
      page: '1',
      action: 'draft',
      [`mark_${a.id}`]: '50',
      [`mark_${c.id}`]: '20',
    });
    expect(browser.status).to.equal(409);
    expect(pageText(browser.html)).to.contain(
      'Row 1 (0001 Ymgeisydd 1 O’Brien): this mark has been submitted and cannot be changed',
    );
    expect(await allMarks(running)).to.deep.equal(before);
    // Emptying a submitted mark's box is refused the same way.
    await browser.post(sheet(), { _csrf: csrf, page: '1', action: 'draft', [`mark_${b.id}`]: '' });
    expect(browser.status).to.equal(409);
    expect(await allMarks(running)).to.deep.equal(before);
  });

  it('takes a big sheet page by page, with every row labelled by its candidate', async () => {
    await browser.open(sheet());
    const boxes = browser.html.match(/<input class="input-mark"/g) ?? [];
    // Two rows of page 1 were submitted above: they have no box.
    expect(boxes).to.have.length(48);
    expect(browser.html).to.contain('Candidates 1 to 50 of 120');
    const c = candidate(2);
    expect(browser.html).to.contain(
      `<label class="visually-hidden" for="mark-${c.id}">Mark for candidate 0003, Ymgeisydd 3 O’Brien</label>`,
    );

    await browser.submit({ action: 'next', [`mark_${c.id}`]: '33' });
    expect(browser.url).to.contain('page=2');
    expect(browser.html).to.contain('Candidates 51 to 100 of 120');
    expect(browser.html).to.contain('Your marks have been saved as a draft.');

    await browser.open(`${sheet()}?page=3`);
    expect(browser.html).to.contain('Candidates 101 to 120 of 120');
    const last = candidate(119);
    await browser.submit({ action: 'draft', [`mark_${last.id}`]: '99' });
    expect(browser.status).to.equal(400);
    expect(pageText(browser.html)).to.contain('Row 120 (0050 Disgybl 50): enter a whole number');
    // A box for a candidate of another page is not what this page sent: refused.
    const csrf = csrfOf(browser);
    await browser.post(sheet(), {
      _csrf: csrf,
      page: '3',
      action: 'draft',
      [`mark_${candidate(3).id}`]: '5',
    });
    expect(browser.status).to.equal(400);
  });

  it('speaks Welsh: the sheet, its refusals and the unit list', async () => {
    await browser.open(`${sheet()}?lang=cy`);
    expect(browser.html).to.contain('<html lang="cy">');
    expect(browser.html).to.contain('Cadw fel drafft');
    const d = candidate(3);
    await browser.submit({ action: 'draft', [`mark_${d.id}`]: 'deg' });
    expect(browser.status).to.equal(400);
    expect(pageText(browser.html)).to.contain(
      'Rhes 4 (0004 Ymgeisydd 4 O’Brien): rhowch rif cyfan o 0 i 60, neu A os oedd yr ymgeisydd yn absennol',
    );
    await browser.open('/portal/emi');
    const text = pageText(browser.html);
    expect(text).to.contain('Mewnbynnu Marciau Electronig');
    expect(text).to.contain('Rhoi marciau (117 ar ôl)');
    await browser.open(`/portal/emi/units/${other.id}`);
    expect(browser.status).to.equal(403);
    expect(pageText(browser.html)).to.contain('Nid yw’r uned hon wedi’i neilltuo i chi');
    await browser.open('/portal/emi?lang=en');
  });
});
