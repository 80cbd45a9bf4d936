import { expect } from 'chai';
import {
  InvalidPhoneNumberError,
  UnsuitablePhoneNumberError,
  assertPhoneCanReceive,
  maskPhoneNumber,
  parsePhoneNumber,
} from '../src/index.js';

const DEV = { allowFictionalNumbers: true } as const;

describe('parsePhoneNumber', () => {
  for (const typed of ['07700 900123', '+44 7700 900123', '0044 7700900123', ' 07700-900-123 ']) {
    it(`reads "${typed}" as the UK mobile +447700900123`, () => {
      const phone = parsePhoneNumber(typed, DEV);
      expect(phone.e164).to.equal('+447700900123');
      expect(phone.national).to.equal('07700 900123');
      expect(phone.international).to.equal('+44 7700 900123');
      expect(phone.type).to.equal('MOBILE');
      expect(phone.deliveries).to.deep.equal(['sms', 'voice']);
      expect(phone.masked).to.equal('•••• ••• 123');
    });
  }

  it('reads "(01970) 123456" as an Aberystwyth landline that can only take a call', () => {
    const phone = parsePhoneNumber('(01970) 123456');
    expect(phone).to.deep.include({
      e164: '+441970123456',
      national: '01970 123456',
      region: 'GB',
      type: 'FIXED_LINE',
    });
    expect(phone.deliveries).to.deep.equal(['voice']);
    expect(() => assertPhoneCanReceive(phone, 'sms'))
      .to.throw(UnsuitablePhoneNumberError)
      .with.property('reason', 'landline_no_sms');
    expect(() => assertPhoneCanReceive(phone, 'voice')).not.to.throw();
  });

  it('reads real mobile ranges without the development allowance', () => {
    const phone = parsePhoneNumber('07911 123456');
    expect(phone.e164).to.equal('+447911123456');
    expect(phone.deliveries).to.deep.equal(['sms', 'voice']);
  });

  it("refuses Ofcom's drama numbers unless fictional numbers are allowed", () => {
    expect(() => parsePhoneNumber('07700 900123')).to.throw(InvalidPhoneNumberError);
    expect(() => parsePhoneNumber('07700 900123', { allowFictionalNumbers: false })).to.throw(
      InvalidPhoneNumberError,
    );
  });

  for (const typed of [
    '',
    '   ',
    '12',
    'not a number',
    '07700 9001234567',
    '+44',
    '0'.repeat(50),
  ]) {
    it(`refuses ${JSON.stringify(typed)} with a message in English and Welsh`, () => {
      let error: unknown;
      try {
        parsePhoneNumber(typed, DEV);
      } catch (err) {
        error = err;
      }
      expect(error).to.be.instanceOf(InvalidPhoneNumberError);
      const message = (error as InvalidPhoneNumberError).userMessage;
      expect(message.en).to.match(/valid phone number/);
      expect(message.cy).to.match(/rif ffôn dilys/);
      expect((error as InvalidPhoneNumberError).code).to.equal('MFA_PHONE_INVALID');
    });
  }

  it('refuses premium-rate numbers, which could be used to run up costs', () => {
    expect(() => parsePhoneNumber('09098 790123'))
      .to.throw(UnsuitablePhoneNumberError)
      .with.property('reason', 'not_personal');
  });

  it('refuses numbers from regions outside the allowed list', () => {
    expect(() => parsePhoneNumber('+1 202 555 0100', { allowedRegions: ['GB', 'IE'] }))
      .to.throw(UnsuitablePhoneNumberError)
      .with.property('reason', 'country_not_allowed');
    expect(parsePhoneNumber('+353 85 123 4567', { allowedRegions: ['GB', 'IE'] }).region).to.equal(
      'IE',
    );
  });

  it('explains a landline chosen for texts in English and Welsh', () => {
    const message = new UnsuitablePhoneNumberError('landline_no_sms').userMessage;
    expect(message.en).to.match(/landline/);
    expect(message.cy).to.match(/llinell dir/);
  });

  it('masks all but the last three digits', () => {
    expect(maskPhoneNumber('+441970123456')).to.equal('•••• ••• 456');
  });
});
