import { expect } from 'chai';
import { ConfigError } from '@porth/identity-core';
import { loadMfaConfig } from '../src/index.js';

describe('loadMfaConfig', () => {
  it('defaults to the development provider, region GB and fictional numbers outside production', () => {
    const config = loadMfaConfig({});
    expect(config).to.deep.equal({
      issuer: 'Porth',
      provider: { kind: 'development' },
      phone: { defaultRegion: 'GB', allowedRegions: null, allowFictionalNumbers: true },
      sending: { resendCooldownMs: 60_000, dailyCapPerDestination: 10 },
    });
  });

  it('reads the Twilio settings', () => {
    const config = loadMfaConfig({
      NODE_ENV: 'production',
      MFA_ISSUER: 'WJEC Porth',
      MFA_SMS_PROVIDER: 'twilio',
      TWILIO_ACCOUNT_SID: 'AC123',
      TWILIO_AUTH_TOKEN: 'secret-token',
      TWILIO_FROM: 'WJEC',
      TWILIO_CALLER_ID: '+442920265000',
      MFA_PHONE_REGIONS: 'gb, ie,GG',
      MFA_RESEND_SECONDS: '90',
      MFA_DAILY_CAP_PER_NUMBER: '5',
    });
    expect(config.issuer).to.equal('WJEC Porth');
    expect(config.provider).to.deep.equal({
      kind: 'twilio',
      baseUrl: 'https://api.twilio.com',
      accountSid: 'AC123',
      authToken: 'secret-token',
      apiKeySid: null,
      from: 'WJEC',
      callerId: '+442920265000',
    });
    expect(config.phone).to.deep.equal({
      defaultRegion: 'GB',
      allowedRegions: ['GB', 'IE', 'GG'],
      allowFictionalNumbers: false,
    });
    expect(config.sending).to.deep.equal({ resendCooldownMs: 90_000, dailyCapPerDestination: 5 });
  });

  it('names every missing Twilio setting', () => {
    try {
      loadMfaConfig({ MFA_SMS_PROVIDER: 'twilio', TWILIO_ACCOUNT_SID: 'AC123' });
      expect.fail('should throw');
    } catch (err) {
      expect(err).to.be.instanceOf(ConfigError);
      expect((err as ConfigError).issues.map((i) => i.path)).to.deep.equal([
        'TWILIO_AUTH_TOKEN',
        'TWILIO_FROM',
      ]);
    }
  });

  it('refuses the development provider and fictional numbers in production', () => {
    try {
      loadMfaConfig({ NODE_ENV: 'production', MFA_ALLOW_FICTIONAL_NUMBERS: 'true' });
      expect.fail('should throw');
    } catch (err) {
      expect((err as ConfigError).issues.map((i) => i.path)).to.deep.equal([
        'MFA_SMS_PROVIDER',
        'MFA_ALLOW_FICTIONAL_NUMBERS',
      ]);
    }
  });

  it('names a wrong region code', () => {
    expect(() => loadMfaConfig({ MFA_PHONE_REGION: 'Wales' })).to.throw(
      ConfigError,
      /MFA_PHONE_REGION/,
    );
  });
});
