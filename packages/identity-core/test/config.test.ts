import { expect } from 'chai';
import { loadConfig, DEVELOPMENT_SECRET_KEY } from '../src/config.js';
import { ConfigError } from '../src/errors.js';

function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

const productionEnv = {
  NODE_ENV: 'production',
  PUBLIC_URL: 'https://id.example.org/',
  SMTP_URL: 'smtp://mail.example.org:587',
  SECRET_KEY: 'a'.repeat(40),
  COOKIE_KEYS: `${'b'.repeat(40)},${'c'.repeat(40)}`,
};

describe('configuration', () => {
  it('runs in development with no settings at all, on SQLite under ./data', () => {
    const config = loadConfig({});
    expect(config.env).to.equal('development');
    expect(config.port).to.equal(3000);
    expect(config.publicUrl).to.equal('http://localhost:3000');
    expect(config.databaseUrl).to.equal('sqlite:./data/porth.sqlite');
    expect(config.usernames.domain).to.equal('wjec-appointees.co.uk');
    expect(config.passwords.compositionRule).to.equal(true);
    expect(config.throttling.hardLockoutThreshold).to.equal(100);
  });

  it('derives the public URL from PORT and drops a trailing slash from PUBLIC_URL', () => {
    expect(loadConfig({ PORT: '4100' }).publicUrl).to.equal('http://localhost:4100');
    expect(loadConfig(productionEnv).publicUrl).to.equal('https://id.example.org');
  });

  it('accepts a complete production configuration', () => {
    const config = loadConfig(productionEnv);
    expect(config.secrets.cookieKeys).to.have.length(2);
    expect(config.mail.smtpUrl).to.equal('smtp://mail.example.org:587');
  });

  it('refuses to start production with development secrets, naming each setting', () => {
    const err = configError({
      ...productionEnv,
      SECRET_KEY: DEVELOPMENT_SECRET_KEY,
      COOKIE_KEYS: '',
    });
    expect(err.issues.map((i) => i.path)).to.have.members(['SECRET_KEY', 'COOKIE_KEYS']);
    expect(err.message).to.match(/SECRET_KEY: is the development default/);
  });

  it('refuses a plain-http or missing PUBLIC_URL in production', () => {
    expect(configError({ ...productionEnv, PUBLIC_URL: 'http://id.example.org' }).message).to.match(
      /PUBLIC_URL: must use https in production/,
    );
    const { PUBLIC_URL: _unused, ...withoutUrl } = productionEnv;
    expect(configError(withoutUrl).message).to.match(/PUBLIC_URL: is required in production/);
  });

  it('requires SMTP in production so that mail can leave the outbox', () => {
    const { SMTP_URL: _unused, ...withoutSmtp } = productionEnv;
    expect(configError(withoutSmtp).issues.map((i) => i.path)).to.deep.equal(['SMTP_URL']);
  });

  it('names every malformed setting at once', () => {
    const err = configError({
      PORT: 'eighty',
      SECRET_KEY: 'short',
      PASSWORD_COMPOSITION_RULE: 'maybe',
    });
    expect(err.issues.map((i) => i.path)).to.have.members([
      'PORT',
      'SECRET_KEY',
      'PASSWORD_COMPOSITION_RULE',
    ]);
  });

  it('reads switches written as words and turns the hard lockout off with 0', () => {
    const config = loadConfig({ PASSWORD_COMPOSITION_RULE: 'off', HARD_LOCKOUT_THRESHOLD: '0' });
    expect(config.passwords.compositionRule).to.equal(false);
    expect(config.throttling.hardLockoutThreshold).to.equal(null);
  });
});
