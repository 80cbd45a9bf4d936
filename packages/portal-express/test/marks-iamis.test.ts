import { expect } from 'chai';
import type { Candidate, ModerationSummary, Unit } from '../src/rp/portal/marks/model.js';
import { unitLabel } from '../src/rp/portal/marks/model.js';
import {
  createTestUser,
  startTestPortal,
  type RunningTestPortal,
  type TestUser,
} from './support/server.js';
import type { Browser } from './support/rp.js';
import {
  TestCentres,
  allMarks,
  createCentreUser,
  markBox,
  marksRepo,
  pageText,
  portalBrowser,
} from './support/marks.js';

const DB = process.env.DATABASE_URL ? 'MariaDB/MySQL' : 'SQLite';

/** The figures of one unit's summary table on the page, by row heading. */
function figures(html: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of pageText(html).matchAll(/<th scope="row">([^<]+)<\/th><td>(\d+)<\/td>/g)) {
    out[m[1] ?? ''] = Number(m[2]);
  }
  return out;
}

function asFigures(s: ModerationSummary): Record<string, number> {
  return {
    'Total Centres': s.totalCentres,
    'Total Sample Cands': s.totalSampleCandidates,
    'Total Reports Completed': s.totalReportsCompleted,
    'Total Entered': s.totalEntered,
    'Total CF/Abs': s.totalCarriedForwardOrAbsent,
    'Total with new marks': s.totalNewMarks,
  };
}

describe(`Portal: Mark Input (IAMIS) (${DB})`, function () {
  this.timeout(90_000);
  let running: RunningTestPortal;
  let centres: TestCentres;
  let principal: TestUser;
  let moderator: TestUser;
  let examsOfficer: TestUser;
  let staff: TestUser;
  let staffMembership: string;
  let otherCentre: TestUser;
  let unit: Unit;
  let candidates: Candidate[];
  const browsers = new Map<TestUser, Browser>();

  async function as(user: TestUser): Promise<Browser> {
    let browser = browsers.get(user);
    if (!browser) {
      browser = await portalBrowser(running, user);
      browsers.set(user, browser);
    }
    return browser;
  }
  const at = (centre: string) => candidates.filter((c) => c.centreNumber === centre);
  const csrfOf = (b: Browser) => b.forms().find((f) => f.hidden._csrf)?.hidden._csrf ?? '';
  const centreSheet = () => `/portal/iamis/centres/68101/units/${unit.id}`;
  const sample = (centre: string) =>
    `/portal/iamis/moderation/${unit.id}/centres/${centre}?as=principal_moderator`;

  before(async () => {
    running = await startTestPortal();
    principal = await createTestUser(running);
    moderator = await createTestUser(running, {
      given: 'Rhys',
      family: 'Evans',
      username: 'rhys.evans@wjec-appointees.co.uk',
    });
    examsOfficer = await createCentreUser(running, {
      given: 'Eleri',
      family: 'Owen',
      email: 'eleri.owen@glanmor.example.org',
    });
    staff = await createCentreUser(running, {
      given: 'Tomos',
      family: 'Rees',
      email: 'tomos.rees@glanmor.example.org',
    });
    otherCentre = await createCentreUser(running, {
      given: 'Nerys',
      family: 'Bowen',
      email: 'nerys.bowen@bryntawe.example.org',
    });
    centres = new TestCentres(running);
    await centres.create('68101', 'Ysgol Glan Môr', examsOfficer);
    await centres.create('68202', 'Ysgol Bryn Tawe', otherCentre);
    staffMembership = await centres.addMember('68101', examsOfficer, staff, 'user', ['resources']);

    const repo = marksRepo(running);
    unit = await repo.createUnit({
      series: 'GCSE JUNE 2017',
      code: '3000N1',
      title: 'WELSH LANGUAGE UNED 1 - LLAFAR',
      maxMark: 60,
      kind: 'internal_assessment',
    });
    const cohort = (centre: string, count: number, sampled: number) =>
      Array.from({ length: count }, (_, i) => ({
        centreNumber: centre,
        candidateNumber: String(i + 1).padStart(4, '0'),
        name: `${centre === '68101' ? 'Glan' : 'Bro'} ${i + 1}`,
        inSample: i < sampled,
      }));
    candidates = [
      ...(await repo.addCandidates(unit.id, cohort('68101', 6, 2))),
      ...(await repo.addCandidates(unit.id, cohort('68105', 4, 2))),
      ...(await repo.addCandidates(unit.id, cohort('68202', 3, 1))),
    ];
    // Centre 68105 has submitted its marks (one candidate absent); 68101 and 68202 have not.
    await repo.importMarks(
      at('68105').map((c, i) => ({
        candidateId: c.id,
        source: 'centre' as const,
        outcome: i === 3 ? ('absent' as const) : ('mark' as const),
        mark: i === 3 ? null : 30 + i,
        submitted: true,
        enteredBy: 'import',
      })),
    );
    await repo.allocate(principal.account.id, unit.id, 'principal_moderator', { all: true });
    await repo.allocate(principal.account.id, unit.id, 'moderator', {
      all: false,
      centres: ['68105'],
    });
    await repo.allocate(moderator.account.id, unit.id, 'moderator', {
      all: false,
      centres: ['68101'],
    });
  });
  after(async () => {
    await running?.stop();
  });

  it('shows a principal moderator the summary of each unit, with counts that match the data', async () => {
    const browser = await as(principal);
    await browser.open('/portal/iamis');
    expect(browser.status).to.equal(200);
    const text = pageText(browser.html);
    expect(text).to.contain('Moderator Mark Input');
    expect(text).to.contain('GCSE JUNE 2017 WELSH LANGUAGE UNED 1 - LLAFAR (3000N1)');
    expect(text).to.contain('View Team');
    expect(browser.html).to.match(
      /<option value="principal_moderator" selected>Principal<\/option>/,
    );
    expect(browser.html).to.contain('<option value="moderator">Moderator</option>');
    const expected = {
      'Total Centres': 3,
      'Total Sample Cands': 5,
      'Total Reports Completed': 0,
      'Total Entered': 4,
      'Total CF/Abs': 1,
      'Total with new marks': 3,
    };
    expect(figures(browser.html)).to.deep.equal(expected);
    expect(asFigures(await marksRepo(running).summary(unit.id, { all: true }))).to.deep.equal(
      expected,
    );
    expect(text).to.contain('Review marks (5 remaining)');
    // A principal moderator is not centre staff: no centre mark input.
    expect(text).to.not.contain('Centre mark input');
  });

  it('works as moderator: only the centres allocated in that role', async () => {
    const browser = await as(principal);
    await browser.open('/portal/iamis?as=moderator');
    expect(browser.html).to.contain('<option value="moderator" selected>Moderator</option>');
    expect(figures(browser.html)).to.deep.equal({
      'Total Centres': 1,
      'Total Sample Cands': 2,
      'Total Reports Completed': 0,
      'Total Entered': 4,
      'Total CF/Abs': 1,
      'Total with new marks': 3,
    });
    expect(pageText(browser.html)).to.not.contain('View Team');

    await browser.open(`/portal/iamis/moderation/${unit.id}?as=moderator`);
    expect(browser.status).to.equal(200);
    expect(browser.html).to.contain('>68105</a>');
    expect(browser.html).to.not.contain('>68101');
    await browser.open(`/portal/iamis/moderation/${unit.id}/centres/68101?as=moderator`);
    expect(browser.status).to.equal(403);
    await browser.open(sample('68101'));
    expect(browser.status).to.equal(200);

    // A moderator of another centre cannot work as principal, nor see 68105.
    const rhys = await as(moderator);
    await rhys.open('/portal/iamis');
    expect(pageText(rhys.html)).to.contain('<strong>Work as:</strong> Moderator');
    expect(figures(rhys.html)['Total Centres']).to.equal(1);
    await rhys.open(`/portal/iamis/moderation/${unit.id}/centres/68105?as=principal_moderator`);
    expect(rhys.status).to.equal(403);
    await rhys.open(`/portal/iamis/team`);
    expect(rhys.status).to.equal(403);
  });

  it("lists a principal moderator's team", async () => {
    const browser = await as(principal);
    await browser.open('/portal/iamis/team?as=principal_moderator');
    expect(browser.status).to.equal(200);
    const text = pageText(browser.html);
    expect(text).to.contain('Megan Lloyd');
    expect(text).to.match(/Rhys Evans<\/td>\s*<td>Moderator<\/td>\s*<td>68101<\/td>/);
    expect(text).to.contain('All centres');
  });

  it('reviews the sample and completes the moderator report once every sample candidate has a mark', async () => {
    const browser = await as(principal);
    const [s1, s2] = at('68105');
    if (!s1 || !s2) throw new Error('no sample');
    await browser.open(sample('68105'));
    expect(browser.status).to.equal(200);
    expect(browser.html).to.contain('Bro 1');
    expect(browser.html).to.not.contain('Bro 3', 'only the sample');
    await browser.submit({ action: 'draft', [`mark_${s1.id}`]: '31' });
    expect(browser.html).to.contain('Your marks have been saved as a draft.');

    await browser.submit({ action: 'complete' });
    expect(browser.status).to.equal(400);
    expect(pageText(browser.html)).to.contain(
      'Enter a moderator mark for every sample candidate before you complete the report (1 left)',
    );
    expect(await marksRepo(running).report(unit.id, '68105')).to.equal(null);

    await browser.submit({ action: 'complete', [`mark_${s2.id}`]: '28' });
    expect(browser.status).to.equal(200);
    expect(browser.html).to.contain('The moderator report has been completed.');
    expect(markBox(browser.html, s1.id), 'no boxes once the report is completed').to.equal(null);

    await browser.open('/portal/iamis');
    const f = figures(browser.html);
    expect(f['Total Reports Completed']).to.equal(1);
    expect(pageText(browser.html)).to.contain('Review marks (3 remaining)');

    // Completing it again (a stale form) changes nothing.
    await browser.open(sample('68105'));
    const before = await allMarks(running);
    await browser.post(sample('68105'), {
      _csrf: csrfOf(browser),
      as: 'principal_moderator',
      page: '1',
      action: 'complete',
    });
    expect(browser.status).to.be.oneOf([400, 409]);
    expect(await allMarks(running)).to.deep.equal(before);
  });

  it("refuses a moderator's mark before the centre has submitted its marks", async () => {
    const browser = await as(principal);
    await browser.open(sample('68202'));
    expect(browser.status).to.equal(200);
    expect(pageText(browser.html)).to.contain('Waiting for the centre’s marks');
    const [s] = at('68202');
    expect(markBox(browser.html, s?.id ?? '')).to.equal(null);
    const before = await allMarks(running);
    await browser.post(sample('68202'), {
      _csrf: csrfOf(browser),
      page: '1',
      action: 'draft',
      [`mark_${s?.id ?? ''}`]: '12',
    });
    expect(browser.status).to.equal(409);
    expect(pageText(browser.html)).to.contain(
      'Row 1 (0001 Bro 1): you cannot enter a mark for this candidate at the moment',
    );
    expect(await allMarks(running)).to.deep.equal(before);
  });

  it("lets centre staff with the IAMIS permission enter and submit their centre's marks", async () => {
    const browser = await as(examsOfficer);
    await browser.open('/portal/iamis');
    expect(browser.status).to.equal(200);
    let text = pageText(browser.html);
    expect(text).to.contain('Centre mark input');
    expect(text).to.not.contain('Moderator Mark Input');
    expect(browser.html).to.contain('href="/portal/iamis/centres/68101"');
    expect(browser.html).to.not.contain('href="/portal/iamis/centres/68202"');

    await browser.open('/portal/iamis/centres/68101');
    text = pageText(browser.html);
    expect(text).to.contain(unitLabel(unit));
    expect(text).to.contain('Enter marks (6 left)');
    expect(text).to.contain('The moderator report is not completed yet.');

    await browser.open(centreSheet());
    const rows = at('68101');
    const fields: Record<string, string> = { action: 'draft' };
    rows.forEach((c, i) => {
      fields[`mark_${c.id}`] = i === 5 ? 'A' : String(40 + i);
    });
    fields[`mark_${rows[2]?.id ?? ''}`] = '70';
    await browser.submit(fields);
    expect(browser.status).to.equal(400);
    expect(pageText(browser.html)).to.contain(
      'Row 3 (0003 Glan 3): enter a whole number from 0 to 60',
    );
    fields[`mark_${rows[2]?.id ?? ''}`] = '42';
    await browser.submit(fields);
    expect(browser.html).to.contain('Your marks have been saved as a draft.');

    // Drafts are the centre's own: the moderator's figures do not count them yet.
    expect((await marksRepo(running).summary(unit.id, { all: true })).totalEntered).to.equal(4);

    await browser.submit({ action: 'submit' });
    expect(browser.html).to.contain('Marks ready to submit: 6.');
    await browser.submit({}, `${centreSheet()}/submit`);
    expect(browser.url).to.contain('/portal/iamis/centres/68101?');
    expect(pageText(browser.html)).to.contain(`Marks submitted for ${unitLabel(unit)}: 6.`);

    const summary = await marksRepo(running).summary(unit.id, { all: true });
    expect(summary).to.include({
      totalEntered: 10,
      totalCarriedForwardOrAbsent: 2,
      totalNewMarks: 8,
    });
    const principalBrowser = await as(principal);
    await principalBrowser.open('/portal/iamis');
    expect(figures(principalBrowser.html)).to.deep.equal(asFigures(summary));

    // Submitted: the centre cannot change them any more.
    await browser.open(centreSheet());
    expect(markBox(browser.html, rows[0]?.id ?? '')).to.equal(null);
    const before = await allMarks(running);
    await browser.post(centreSheet(), {
      _csrf: csrfOf(browser),
      page: '1',
      action: 'draft',
      [`mark_${rows[0]?.id ?? ''}`]: '1',
    });
    expect(browser.status).to.equal(409);
    expect(pageText(browser.html)).to.contain(
      'Row 1 (0001 Glan 1): this mark has been submitted and cannot be changed',
    );
    expect(await allMarks(running)).to.deep.equal(before);
  });

  it('refuses IAMIS to a user without the permission at that centre, and to a user of another centre (403, nothing changed)', async () => {
    const eleri = await as(examsOfficer);
    await eleri.open(centreSheet());
    const csrfEleri = csrfOf(eleri);
    const before = await allMarks(running);
    const target = at('68101')[0]?.id ?? '';

    const tomos = await as(staff);
    await tomos.open('/portal/iamis');
    expect(tomos.status).to.equal(403);
    expect(pageText(tomos.html)).to.contain(
      'ask your Exams Officer to give you the IAMIS permission',
    );
    await tomos.open('/portal/iamis/centres/68101');
    expect(tomos.status).to.equal(403);
    expect(pageText(tomos.html)).to.contain('You do not have the IAMIS permission at centre 68101');
    await tomos.open(centreSheet());
    expect(tomos.status).to.equal(403);
    await tomos.open('/portal/services');
    await tomos.post(centreSheet(), {
      _csrf: csrfOf(tomos),
      page: '1',
      action: 'draft',
      [`mark_${target}`]: '5',
    });
    expect(tomos.status).to.equal(403);

    const nerys = await as(otherCentre);
    await nerys.open('/portal/iamis/centres/68202');
    expect(nerys.status, 'her own centre').to.equal(200);
    await nerys.open('/portal/iamis/centres/68101');
    expect(nerys.status).to.equal(403);
    await nerys.open(centreSheet());
    expect(nerys.status).to.equal(403);
    await nerys.open('/portal/iamis/centres/68202');
    await nerys.post(centreSheet(), {
      _csrf: csrfOf(nerys),
      page: '1',
      action: 'draft',
      [`mark_${target}`]: '5',
    });
    expect(nerys.status).to.equal(403);
    await nerys.post(`${centreSheet()}/submit`, { _csrf: csrfOf(nerys) });
    expect(nerys.status).to.equal(403);
    // Her CSRF token is hers: another browser's token does not help either.
    await nerys.post(centreSheet(), { _csrf: csrfEleri, page: '1', action: 'draft' });
    expect(nerys.status).to.equal(403);

    // An appointee moderator is not centre staff.
    const rhys = await as(moderator);
    await rhys.open('/portal/iamis/centres/68101');
    expect(rhys.status).to.equal(403);

    expect(await allMarks(running)).to.deep.equal(before);
  });

  it('checks the IAMIS permission live: given, the next page works; taken away, the next is refused', async () => {
    const tomos = await as(staff);
    await centres.setPermissions('68101', examsOfficer, staffMembership, ['resources', 'iamis']);
    await tomos.open('/portal/iamis/centres/68101');
    expect(tomos.status).to.equal(200);
    await tomos.open(centreSheet());
    expect(tomos.status).to.equal(200);
    const csrf = csrfOf(tomos);

    await centres.setPermissions('68101', examsOfficer, staffMembership, ['resources']);
    const before = await allMarks(running);
    await tomos.post(centreSheet(), { _csrf: csrf, page: '1', action: 'draft' });
    expect(tomos.status).to.equal(403);
    await tomos.open('/portal/iamis/centres/68101');
    expect(tomos.status).to.equal(403);
    expect(await allMarks(running)).to.deep.equal(before);
  });

  it('speaks Welsh: the summary, the sheet and the refusals', async () => {
    const browser = await as(principal);
    await browser.open('/portal/iamis?lang=cy');
    const text = pageText(browser.html);
    expect(browser.html).to.contain('<html lang="cy">');
    expect(text).to.contain('Mewnbynnu Marciau Cymedrolwr');
    expect(text).to.contain('Gweithio fel');
    expect(text).to.contain(
      '<option value="principal_moderator" selected>Prif Gymedrolwr</option>',
    );
    expect(text).to.contain('Cyfanswm Canolfannau');
    expect(text).to.contain('Cyfanswm Ymgeiswyr Sampl');
    expect(text).to.match(/Adolygu marciau \(\d+ ar ôl\)/);

    await browser.open(sample('68101'));
    const [s] = at('68101');
    await browser.submit({ action: 'draft', [`mark_${s?.id ?? ''}`]: '61' });
    expect(browser.status).to.equal(400);
    expect(pageText(browser.html)).to.contain(
      'Rhes 1 (0001 Glan 1): rhowch rif cyfan o 0 i 60, neu A os oedd yr ymgeisydd yn absennol',
    );
    await browser.open('/portal/iamis?lang=en');

    const tomos = await as(staff);
    await tomos.open('/portal/iamis/centres/68101?lang=cy');
    expect(tomos.status).to.equal(403);
    expect(pageText(tomos.html)).to.contain(
      'Nid oes gennych y caniatâd IAMIS yng nghanolfan 68101',
    );
    await tomos.open('/portal/services?lang=en');
  });
});
