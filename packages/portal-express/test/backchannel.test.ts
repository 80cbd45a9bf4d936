import { expect } from 'chai';
import type Provider from 'oidc-provider';
import { sendBackchannelLogouts } from '../src/oidc/backchannel.js';

describe('back-channel logout after sessions were ended', () => {
  const applications = [
    { clientId: 'sharepoint', sid: 'sid-1' },
    { clientId: 'moodle', sid: 'sid-2' },
  ];

  it('asks for no provider when no other application was signed in', async () => {
    let asked = 0;
    const sent = await sendBackchannelLogouts(
      () => {
        asked++;
        return Promise.reject(new Error('not wanted'));
      },
      'account-1',
      [],
    );
    expect({ sent, asked }).to.deep.equal({ sent: 0, asked: 0 });
  });

  it('logs each application and throws nothing when the provider cannot be had', async () => {
    const logged: string[] = [];
    const sent = await sendBackchannelLogouts(
      (): Promise<Provider> => Promise.reject(new Error('database unavailable')),
      'account-1',
      applications,
      (line) => logged.push(line),
    );
    expect(sent).to.equal(0);
    expect(logged).to.deep.equal([
      'back-channel logout to sharepoint failed: database unavailable',
      'back-channel logout to moodle failed: database unavailable',
    ]);
  });

  it('logs an application that refuses the logout token and still tells the others', async () => {
    const logged: string[] = [];
    const told: string[] = [];
    const provider = {
      Client: {
        find: (id: string) =>
          Promise.resolve({
            backchannelLogoutUri: `https://${id}.example.org/backchannel-logout`,
            backchannelLogout: (sub: string, sid: string) => {
              if (id === 'sharepoint') return Promise.reject(new Error('expected 200 OK, got 500'));
              told.push(`${id} ${sub} ${sid}`);
              return Promise.resolve();
            },
          }),
      },
    } as unknown as Provider;
    const sent = await sendBackchannelLogouts(
      () => Promise.resolve(provider),
      'account-1',
      applications,
      (line) => logged.push(line),
    );
    expect(sent).to.equal(1);
    expect(told).to.deep.equal(['moodle account-1 sid-2']);
    expect(logged).to.deep.equal([
      'back-channel logout to sharepoint failed: expected 200 OK, got 500',
    ]);
  });
});
