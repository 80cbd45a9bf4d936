import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';
import { InvalidPhoneNumberError, UnsuitablePhoneNumberError } from '../errors.js';

/** The region assumed for numbers typed without a country code (`07700 900123`). */
export const DEFAULT_PHONE_REGION = 'GB';

/** How a phone number can receive a code. */
export type PhoneDelivery = 'sms' | 'voice';

/**
 * Ofcom's ranges reserved for drama and documentation (never allocated to a subscriber).
 * libphonenumber calls some of them invalid; with `allowFictionalNumbers` they are accepted as
 * the type given here, so development and tests can use `07700 900123` and `01632 960123`.
 */
const FICTIONAL_RANGES: readonly { readonly pattern: RegExp; readonly type: string }[] = [
  { pattern: /^\+447700900\d{3}$/, type: 'MOBILE' },
  { pattern: /^\+441632960\d{3}$/, type: 'FIXED_LINE' },
];

/** The libphonenumber types that can take a text message and a call. */
const MOBILE_TYPES = new Set(['MOBILE', 'FIXED_LINE_OR_MOBILE']);
/** The libphonenumber types that can take a call only. */
const CALL_ONLY_TYPES = new Set(['FIXED_LINE', 'VOIP', 'PERSONAL_NUMBER']);

/** A phone number that can receive codes, parsed and checked. */
export interface PhoneNumber {
  /** The number in E.164 form, e.g. `+447700900123`; what is stored and dialled. */
  readonly e164: string;
  /** As written in its own country, e.g. `07700 900123`. */
  readonly national: string;
  /** As written internationally, e.g. `+44 7700 900123`. */
  readonly international: string;
  /** The region it belongs to, e.g. `GB`, `GG`; null when the calling code is shared and ambiguous. */
  readonly region: string | null;
  /** libphonenumber's type, e.g. `MOBILE`, `FIXED_LINE`, `FIXED_LINE_OR_MOBILE`. */
  readonly type: string;
  /** How it can receive a code: a mobile takes texts and calls, a fixed line only calls. */
  readonly deliveries: readonly PhoneDelivery[];
  /** For showing without giving the whole number away, e.g. `•••• ••• 123`. */
  readonly masked: string;
}

/** Options for parsePhoneNumber. */
export interface PhoneNumberOptions {
  /** The region assumed for numbers without a country code (default `GB`). */
  readonly defaultRegion?: string;
  /** Accept Ofcom's drama ranges (07700 900xxx, 01632 960xxx); for development and tests only. */
  readonly allowFictionalNumbers?: boolean;
  /** When set, only numbers of these regions (ISO 3166 codes, e.g. `GB`, `IE`) are accepted. */
  readonly allowedRegions?: readonly string[] | null;
}

/**
 * Parses a phone number as a person types it — `07700 900123`, `+44 7700 900123`,
 * `0044 7700900123`, `(01970) 123456` — assuming the default region (GB) when there is no
 * country code. Throws InvalidPhoneNumberError when it is not a valid number, and
 * UnsuitablePhoneNumberError when it is one that cannot receive codes (premium rate, shared cost,
 * pager …) or is from a region not allowed. Both carry an English and Welsh `userMessage`.
 */
export function parsePhoneNumber(text: string, options: PhoneNumberOptions = {}): PhoneNumber {
  if (typeof text !== 'string') throw new InvalidPhoneNumberError();
  const trimmed = text.trim();
  // A phone number is short; refuse long input before handing it to the parser.
  if (trimmed.length === 0 || trimmed.length > 40 || !/\d/.test(trimmed)) {
    throw new InvalidPhoneNumberError();
  }
  const region = (options.defaultRegion ?? DEFAULT_PHONE_REGION).toUpperCase() as CountryCode;
  const parsed = parsePhoneNumberFromString(trimmed, region);
  if (!parsed) throw new InvalidPhoneNumberError();
  const e164 = parsed.number;
  let type: string | undefined;
  if (parsed.isValid()) {
    type = parsed.getType();
  } else if (options.allowFictionalNumbers) {
    type = FICTIONAL_RANGES.find((r) => r.pattern.test(e164))?.type;
  }
  if (type === undefined) throw new InvalidPhoneNumberError();
  const numberRegion = parsed.country ?? (e164.startsWith('+44') ? 'GB' : null);
  if (
    options.allowedRegions &&
    options.allowedRegions.length > 0 &&
    !options.allowedRegions.map((r) => r.toUpperCase()).includes(numberRegion ?? '')
  ) {
    throw new UnsuitablePhoneNumberError('country_not_allowed');
  }
  if (!MOBILE_TYPES.has(type) && !CALL_ONLY_TYPES.has(type)) {
    throw new UnsuitablePhoneNumberError('not_personal');
  }
  const deliveries = deliveriesForType(type);
  return {
    e164,
    national: parsed.formatNational(),
    international: parsed.formatInternational(),
    region: numberRegion,
    type,
    deliveries,
    masked: maskPhoneNumber(e164),
  };
}

/** Shows only the last three digits of a number, e.g. `•••• ••• 123`. */
export function maskPhoneNumber(e164: string): string {
  return `•••• ••• ${e164.replace(/\D/g, '').slice(-3)}`;
}

/** Throws UnsuitablePhoneNumberError unless `phone` can receive codes by `delivery`. */
export function assertPhoneCanReceive(phone: PhoneNumber, delivery: PhoneDelivery): void {
  if (!phone.deliveries.includes(delivery)) {
    throw new UnsuitablePhoneNumberError('landline_no_sms');
  }
}

/** How a stored number of libphonenumber type `type` can receive codes. */
export function deliveriesForType(type: string | null): readonly PhoneDelivery[] {
  if (type !== null && MOBILE_TYPES.has(type)) return ['sms', 'voice'];
  return ['voice'];
}
