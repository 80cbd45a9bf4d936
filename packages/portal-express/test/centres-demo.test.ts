import { expect } from 'chai';
import { seedDemoCentres } from '../src/demo/centres-seed.js';
import type { RunningTestPortal } from './support/server.js';
import { startRpTestPortal } from './support/rp.js';
import { signInToPortal, visibleText } from './support/centres.js';

const DB = process.env.DATABASE_URL ? 'MariaDB/MySQL' : 'SQLite';

describe(`the demo centres (${DB})`, function () {
  this.timeout(60_000);
  let running: RunningTestPortal;

  before(async () => {
    running = await startRpTestPortal();
  });
  after(async () => {
    await running?.stop();
  });

  it('seeds centre 68101 with an Exams Officer, an Admin and a User who can sign in, once', async () => {
    const { db, clock, random, hasher } = running.portal.services;
    const accounts = await seedDemoCentres({ db, clock, random, hasher });
    const again = await seedDemoCentres({ db, clock, random, hasher });
    expect(again).to.deep.equal(accounts);
    expect(accounts).to.have.length(3);
    const count = async (table: string) =>
      Number(((await db(table).count({ n: '*' }).first()) as { n: number | string }).n);
    expect(await count('centres')).to.equal(2);
    expect(await count('centre_memberships')).to.equal(4);

    const [eo, admin, user] = accounts;
    const asEo = await signInToPortal(running, {
      email: eo?.username ?? '',
      password: eo?.password ?? '',
    });
    await asEo.open('/portal/centres/68101/users');
    expect(asEo.status).to.equal(200);
    const page = visibleText(asEo.html);
    expect(page).to.contain('Users at this centre: 3');
    expect(page).to.contain('Ysgol Gyfun Enghraifft');

    const asAdmin = await signInToPortal(running, {
      email: admin?.username ?? '',
      password: admin?.password ?? '',
    });
    expect(asAdmin.html).to.contain('href="/portal/centres"');
    const asUser = await signInToPortal(running, {
      email: user?.username ?? '',
      password: user?.password ?? '',
    });
    expect(asUser.html).to.contain('<html lang="cy">');
    await asUser.open('/portal/centres/68101/users');
    expect(asUser.status).to.equal(403);
  });
});
