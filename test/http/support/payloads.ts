import { gzipSync } from 'node:zlib';
import type { Prng } from './prng.js';
import { utf8AsLatin1, type RawRequest } from './raw-http.js';

/** What a template engine would print for the arithmetic in TEMPLATE: never in an answer. */
export const EVALUATED_MARKER = '7000021';

/** SQL injection strings (none contains `@`, so none is an email address). */
export const SQL = [
  "' OR '1'='1",
  "' OR 1=1 --",
  "'; DROP TABLE accounts; --",
  '" OR ""="',
  '1; SELECT SLEEP(5)',
  "admin'--",
  "' UNION SELECT password_hash, 1 FROM accounts --",
  "%' OR 1=1 #",
  "\\'; --",
  "1' AND (SELECT 1 FROM (SELECT SLEEP(5))x) --",
  "'||(SELECT sqlite_version())||'",
  "';SHUTDOWN;--",
  '`accounts`',
  "' AND extractvalue(1, concat(0x7e, version())) --",
  "1' ORDER BY 99 --",
  '$where: 1',
] as const;

/** Template and expression injection strings (the arithmetic would print EVALUATED_MARKER). */
export const TEMPLATE = [
  "{{constructor.constructor('return 7*1000003')()}}",
  '{{7*1000003}}',
  '${7*1000003}',
  '#{7*1000003}',
  '<%= 7*1000003 %>',
  '{{> main}}',
  '{{#each this}}{{@key}}{{/each}}',
  '{{constructor}}',
  '{{__proto__}}',
  '{{{csrfToken}}}',
  '{{lang}}',
  "{{t 'app.name'}}",
  '$t(app.name)',
  '{{lookup this "t"}}',
  '${{7*1000003}}',
  '[[${7*1000003}]]',
  '%{7*1000003}',
] as const;

/** Markup that would run or break the page if it came back unescaped. */
export const MARKUP = [
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  "'><svg onload=alert(1)>",
  'javascript:alert(1)',
  '</textarea><script>alert(1)</script>',
  '<!--',
  '<iframe srcdoc="<script>alert(1)</script>">',
  '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>',
  '" autofocus onfocus="alert(1)',
  '<a href="//evil.example">x</a>',
] as const;

/** Control characters, NUL and invisible or direction-changing characters. */
export const CONTROL = [
  '\u0000',
  'a\u0000b',
  '\u0001\u0002\u0003\u0004',
  '\r\n',
  '\r\nSet-Cookie: injected=1',
  '\t\t',
  '\u007f',
  '\u0085',
  '\u2028\u2029',
  '\u202e',
  '\ufeff',
  '\u200b\u200c\u200d',
  '\b\f\v',
  '\u001b[31m',
  '\ud800',
  '\udfff\ud800',
] as const;

/** Emoji, combining characters and other unusual but valid text. */
export const UNICODE = [
  '😀',
  '👩‍👩‍👧‍👦',
  '🏴󠁧󠁢󠁷󠁬󠁳󠁿',
  'e\u0301\u0301\u0301',
  'Z\u0334\u0321\u031b\u0316a\u0337l\u0337g\u0337o\u0337',
  'ŵŷâêîôû Llŷr Ŵyn',
  'Ⅻ ｆｕｌｌｗｉｄｔｈ',
  'İıßǅ',
  '\u{1d54f}\u{1d550}',
  'مرحبا',
  '𐍈',
  'ﷺ',
] as const;

/** Numbers, booleans and JSON-looking text where a word is expected (none is a small whole number). */
export const TYPED = [
  '-1',
  '1e309',
  'NaN',
  'Infinity',
  '-0',
  '1.5',
  '9007199254740993',
  '0x1F',
  '1e3',
  'true',
  'false',
  'null',
  'undefined',
  '[]',
  '{}',
  '{"$gt":""}',
  '١٢٣',
  '99999999999999999999999',
] as const;

/** Byte sequences that are not UTF-8 (overlong, surrogates, out of range, truncated). */
export const INVALID_UTF8: readonly Buffer[] = [
  Buffer.from([0xff]),
  Buffer.from([0xfe, 0xff]),
  Buffer.from([0xc0, 0x80]),
  Buffer.from([0xc0, 0xaf]),
  Buffer.from([0xed, 0xa0, 0x80]),
  Buffer.from([0xf8, 0x88, 0x80, 0x80, 0x80]),
  Buffer.from([0xe2, 0x82]),
  Buffer.from([0x80, 0x80, 0x80]),
  Buffer.from([0xf4, 0x90, 0x80, 0x80]),
];

/** Percent-encodings that are broken or not UTF-8. */
export const BAD_PERCENT = [
  '%',
  '%Z1',
  '%E0%A4%A',
  '%%',
  '%u0041',
  '100%',
  '%2',
  '%G0',
  '%FF',
  '%C0%80',
  '%ED%A0%80',
  '%00',
  '%0D%0A',
] as const;

/** Path parameter values a browser would never send (already encoded for the request line). */
export const ODD_PATH = [
  '%00',
  '..%2F..%2Fetc%2Fpasswd',
  '%2e%2e',
  '%252F',
  '%C0%AF',
  encodeURIComponent('😀'),
  'a'.repeat(2000),
  '%ZZ',
  encodeURIComponent("' OR 1=1 --"),
  encodeURIComponent('<script>alert(1)</script>'),
  '%20',
  '-',
  'null',
  'undefined',
  '__proto__',
  'constructor',
  '%0d%0aSet-Cookie:%20x=1',
  '..',
  '%FF',
  '1e3',
  '12345.0',
  '%u0041',
  '~',
  encodeURIComponent('{{7*1000003}}'),
  'A'.repeat(43),
  '0'.repeat(32),
  'g'.repeat(32),
] as const;

/** A part of a form: text (encoded as a browser would) or raw bytes (sent exactly). */
export type Piece = { readonly text: string } | { readonly raw: Buffer };

/** One `name=value` of a form or query; a null value sends the name alone. */
export interface Pair {
  readonly name: Piece;
  readonly value: Piece | null;
}

/** The shape of an endpoint, as far as making malformed requests to it goes. */
export interface EndpointShape {
  readonly method: 'GET' | 'POST';
  /** The path with `:name` parameters, as in the router. */
  readonly pattern: string;
  /** The fields to malform; `@name` is the request header `name` (e.g. `@authorization`). */
  readonly fields: readonly string[];
  /** The path parameters to malform. */
  readonly params: readonly string[];
  /** Every request must also carry a broken CSRF token: a valid form here would act. */
  readonly csrfOnly: boolean;
  /** The fields travel in the query string (a GET), not in a form body. */
  readonly query: boolean;
  /** The callers are programs (OAuth clients, servers), not browsers: they accept JSON. */
  readonly client?: boolean;
}

/** A concrete thing to send malformed requests to: a session, a flow, a valid-looking form. */
export interface Target {
  readonly label: string;
  /** The path parameters' values (unencoded). */
  readonly params: Readonly<Record<string, string>>;
  /** The Cookie header of the session the requests belong to (no language cookie). */
  readonly cookies: string;
  /** The form every case starts from (designed to be refused), CSRF token included. */
  readonly fields: readonly (readonly [string, string])[];
  /** A query string every request carries (e.g. the role a mark sheet is worked in). */
  readonly query?: string;
}

/** One malformed request and what its answer may be. */
export interface BadRequest {
  readonly kind: string;
  /** A short description for failure messages. */
  readonly note: string;
  readonly request: RawRequest;
  /** Node's own HTTP parser may answer (a bare 400 or 431, no page): the app never sees it. */
  readonly bareAllowed: boolean;
  /** The language the page must be in, or null when the request made it unknowable. */
  readonly lang: 'en' | 'cy' | null;
  /** Markup that must not come back unescaped in an HTML answer. */
  readonly dangerous: string | null;
}

const FIELD_KINDS = {
  missing: 6,
  duplicate: 6,
  'nested-key': 4,
  typed: 7,
  huge: 1.2,
  long: 4,
  control: 7,
  'invalid-utf8': 7,
  unicode: 7,
  sql: 8,
  template: 8,
  markup: 6,
  'bad-percent': 6,
} as const;

const REQUEST_KINDS = {
  'proto-key': 3,
  'content-type': 8,
  'empty-body': 3,
  'many-params': 3,
  header: 6,
  query: 4,
  path: 6,
} as const;

type Kind = keyof typeof FIELD_KINDS | keyof typeof REQUEST_KINDS;

/** Every kind of malformation, for reports. */
export const KINDS: readonly Kind[] = [
  ...(Object.keys(FIELD_KINDS) as Kind[]),
  ...(Object.keys(REQUEST_KINDS) as Kind[]),
];

const HEX = '0123456789ABCDEF';
/** Bytes a browser writes as they are in a form (letters, digits and `*-._`). */
const PLAIN = new Uint8Array(256);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789*-._') {
  PLAIN[c.charCodeAt(0)] = 1;
}

/** `text` as a browser encodes it in a form (UTF-8, space as `+`, the rest percent-encoded). */
function encodeForm(text: string): Buffer {
  const bytes = Buffer.from(text, 'utf8');
  const out = Buffer.allocUnsafe(bytes.length * 3);
  let n = 0;
  for (const byte of bytes) {
    if (PLAIN[byte]) out[n++] = byte;
    else if (byte === 0x20) out[n++] = 0x2b;
    else {
      out[n++] = 0x25;
      out[n++] = HEX.charCodeAt(byte >> 4);
      out[n++] = HEX.charCodeAt(byte & 15);
    }
  }
  return out.subarray(0, n);
}

function encodeText(text: string): string {
  return encodeForm(text).toString('latin1');
}

function pieceBytes(piece: Piece): Buffer {
  return 'raw' in piece ? piece.raw : encodeForm(piece.text);
}

/** `a=b&c=d` as a browser encodes a form (raw pieces exactly as given). */
export function encodePairs(pairs: readonly Pair[]): Buffer {
  const parts: Buffer[] = [];
  pairs.forEach((p, i) => {
    if (i > 0) parts.push(Buffer.from('&'));
    parts.push(pieceBytes(p.name));
    if (p.value !== null) parts.push(Buffer.from('='), pieceBytes(p.value));
  });
  return Buffer.concat(parts);
}

function pieceText(piece: Piece | null): string {
  if (piece === null) return '';
  return 'raw' in piece ? piece.raw.toString('utf8') : piece.text;
}

function textOf(pairs: readonly Pair[], name: string): string | undefined {
  const found = pairs.find((p) => 'text' in p.name && p.name.text === name);
  return found ? pieceText(found.value) : undefined;
}

/** The path of `pattern` with `params` filled in (encoded), `override` given as is. */
export function fillPath(
  pattern: string,
  params: Readonly<Record<string, string>>,
  override?: { readonly name: string; readonly encoded: string },
): string {
  return pattern.replace(/:(\w+)/g, (_m, name: string) =>
    override && override.name === name ? override.encoded : encodeURIComponent(params[name] ?? ''),
  );
}

interface Draft {
  pairs: Pair[];
  headers: [string, string][];
  path: string;
  query: string;
  body: Buffer | null;
  /** Makes the body from the final fields (after the CSRF token may have been broken). */
  build: ((pairs: readonly Pair[]) => Buffer) | null;
  /** null: no Content-Type header. */
  contentType: string | null;
  chunked: boolean;
  bareAllowed: boolean;
  lang: 'en' | 'cy' | null;
  dangerous: string | null;
  note: string;
  csrfTouched: boolean;
}

function repeatTo(text: string, length: number): string {
  if (text.length === 0) return text;
  return text.repeat(Math.ceil(length / text.length)).slice(0, length);
}

/** A malformed value built around `payload`: alone, after or before the usual value, or repeated. */
function around(rng: Prng, payload: string, usual: string): string {
  switch (rng.int(5)) {
    case 0:
      return `${usual}${payload}`;
    case 1:
      return `${payload}${usual}`;
    case 2:
      return repeatTo(payload, rng.between(200, 3000));
    default:
      return payload;
  }
}

function setField(draft: Draft, name: string, value: Piece | null): void {
  const at = draft.pairs.findIndex((p) => 'text' in p.name && p.name.text === name);
  if (at >= 0) draft.pairs[at] = { name: { text: name }, value };
  else draft.pairs.push({ name: { text: name }, value });
}

function removeField(draft: Draft, name: string): void {
  draft.pairs = draft.pairs.filter((p) => !('text' in p.name && p.name.text === name));
}

/** Breaks the CSRF token (for endpoints where a valid form would act). */
function breakCsrf(rng: Prng, draft: Draft): void {
  const usual = textOf(draft.pairs, '_csrf') ?? '';
  const options: (Piece | null | 'remove')[] = [
    'remove',
    { text: '' },
    { text: usual.slice(0, -2) },
    { text: `${usual}x` },
    { text: usual.split('').reverse().join('') },
    { text: rng.pick(SQL) },
    { raw: Buffer.concat([Buffer.from(usual), rng.pick(INVALID_UTF8)]) },
  ];
  const choice = rng.pick(options);
  if (choice === 'remove') removeField(draft, '_csrf');
  else setField(draft, '_csrf', choice);
  draft.note += ' +csrf broken';
}

function typedJson(rng: Prng): unknown {
  return rng.pick<unknown>([
    { $gt: '' },
    ['a', 'b'],
    [],
    {},
    42,
    -1.5,
    1e308,
    true,
    false,
    null,
    { nested: { deeper: { deepest: [1, { x: 'y' }] } } },
    { __proto__: { polluted: true } },
    { constructor: { prototype: { polluted: true } } },
    { toString: 'x', valueOf: 'y' },
    Array.from({ length: 200 }, (_, i) => i),
  ]);
}

function multipart(pairs: readonly Pair[], boundary: string): Buffer {
  const parts: Buffer[] = [];
  for (const p of pairs) {
    parts.push(
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="`, 'latin1'),
      'raw' in p.name ? p.name.raw : Buffer.from(p.name.text, 'utf8'),
      Buffer.from('"\r\n\r\n', 'latin1'),
      p.value === null
        ? Buffer.alloc(0)
        : 'raw' in p.value
          ? p.value.raw
          : Buffer.from(p.value.text),
      Buffer.from('\r\n', 'latin1'),
    );
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`, 'latin1'));
  return Buffer.concat(parts);
}

function applyFieldKind(
  rng: Prng,
  draft: Draft,
  kind: keyof typeof FIELD_KINDS,
  field: string,
  limitBytes: number,
): void {
  const usual = textOf(draft.pairs, field) ?? '';
  draft.note = `${kind} ${field}`;
  if (field === '_csrf') draft.csrfTouched = true;
  const set = (value: Piece | null) => setField(draft, field, value);
  switch (kind) {
    case 'missing':
      removeField(draft, field);
      return;
    case 'duplicate': {
      const junk = rng.pick<string>([...SQL, ...UNICODE, ...TYPED, '', usual]);
      const values = rng.pick([
        [usual, junk],
        [junk, usual],
        [usual, usual],
        [usual, junk, usual, junk, usual],
        Array.from({ length: 40 }, () => junk),
      ]);
      removeField(draft, field);
      for (const v of values) draft.pairs.push({ name: { text: field }, value: { text: v } });
      draft.note += ` ×${values.length}`;
      return;
    }
    case 'nested-key': {
      const key = rng.pick([
        `${field}[]`,
        `${field}[0]`,
        `${field}[a][b]`,
        `${field}[__proto__]`,
        `${field}.x`,
        `${field}[${'['.repeat(50)}`,
        `${field}]`,
      ]);
      removeField(draft, field);
      draft.pairs.push({ name: { text: key }, value: { text: usual } });
      if (rng.chance(0.5)) draft.pairs.push({ name: { text: `${key}` }, value: { text: 'x' } });
      draft.note = `${kind} ${key}`;
      return;
    }
    case 'typed':
      set({ text: rng.pick(TYPED) });
      return;
    case 'huge': {
      // 1 MB of UTF-8, whatever the characters.
      const unit = rng.pick(['A', '😀', "' OR 1=1 --", 'é']);
      const units = Math.ceil((1024 * 1024) / Buffer.byteLength(unit, 'utf8'));
      // Encoded as a browser would, the unit's encoding repeated (quicker than encoding 1 MB).
      const encoded = encodeForm(unit);
      set({ raw: Buffer.alloc(encoded.length * units, encoded) });
      draft.note += ' (1 MB)';
      return;
    }
    case 'long': {
      // Under the body limit once encoded, so that the form's own checks see it.
      const unit = rng.pick(['a', 'Ŵ', 'x@', '9', ' ', "'", '<b>', '😀']);
      const budget = Math.floor(limitBytes * (0.3 + rng.next() * 0.55));
      const length = Math.max(1, Math.floor(budget / encodeText(unit).length)) * unit.length;
      set({ text: repeatTo(unit, length) });
      draft.note += ` (${length} chars)`;
      return;
    }
    case 'control':
      set({ text: around(rng, rng.pick(CONTROL), usual) });
      return;
    case 'invalid-utf8': {
      const bytes = rng.pick(INVALID_UTF8);
      const mode = rng.int(3);
      set({
        raw:
          mode === 0
            ? bytes
            : mode === 1
              ? Buffer.concat([Buffer.from(encodeText(usual), 'latin1'), bytes])
              : Buffer.from(
                  [...bytes].map((b) => `%${b.toString(16).toUpperCase()}`).join(''),
                  'latin1',
                ),
      });
      return;
    }
    case 'unicode':
      set({ text: around(rng, rng.pick(UNICODE), usual) });
      return;
    case 'sql':
      set({ text: around(rng, rng.pick(SQL), usual) });
      return;
    case 'template':
      set({ text: around(rng, rng.pick(TEMPLATE), usual) });
      return;
    case 'markup': {
      const payload = rng.pick(MARKUP);
      set({ text: around(rng, payload, usual) });
      if (/[<>"]/.test(payload)) draft.dangerous = payload;
      return;
    }
    case 'bad-percent': {
      const bad = rng.pick(BAD_PERCENT);
      set({ raw: Buffer.from(rng.chance(0.5) ? `${encodeText(usual)}${bad}` : bad, 'latin1') });
      return;
    }
  }
}

function applyHeaderField(
  rng: Prng,
  draft: Draft,
  kind: keyof typeof FIELD_KINDS,
  field: string,
): void {
  const name = field.slice(1);
  const usual = draft.headers.find(([n]) => n.toLowerCase() === name.toLowerCase())?.[1] ?? '';
  const scheme = usual.includes(' ') ? `${usual.split(' ')[0] ?? ''} ` : '';
  draft.note = `${kind} header ${name}`;
  draft.headers = draft.headers.filter(([n]) => n.toLowerCase() !== name.toLowerCase());
  const put = (value: string) => draft.headers.push([name, value]);
  switch (kind) {
    case 'missing':
      return;
    case 'duplicate':
      put(usual);
      put(`${scheme}${rng.pick(SQL)}`);
      return;
    case 'huge':
      put(`${scheme}${'A'.repeat(20_000)}`);
      draft.bareAllowed = true;
      return;
    case 'long':
      put(`${scheme}${'A'.repeat(rng.between(2000, 12_000))}`);
      return;
    case 'control':
      put(`${scheme}${rng.pick(['\u0001', '\u0000', '\u007f', '\u001b'])}x`);
      draft.bareAllowed = true;
      return;
    case 'invalid-utf8':
      put(`${scheme}${rng.pick(INVALID_UTF8).toString('latin1')}`);
      return;
    case 'unicode':
      put(`${scheme}${utf8AsLatin1(rng.pick(UNICODE))}`);
      return;
    case 'template':
      put(`${scheme}${utf8AsLatin1(rng.pick(TEMPLATE))}`);
      return;
    case 'markup':
      put(`${scheme}${utf8AsLatin1(rng.pick(MARKUP))}`);
      return;
    case 'typed':
      put(`${scheme}${rng.pick(TYPED)}`);
      return;
    case 'bad-percent':
      put(`${scheme}${rng.pick(BAD_PERCENT)}`);
      return;
    default:
      put(
        rng.pick([
          `${scheme}${utf8AsLatin1(rng.pick(SQL))}`,
          `Basic ${Buffer.from(`${rng.pick(SQL)}:${rng.pick(SQL)}`).toString('base64')}`,
          'Basic !!!not-base64!!!',
          'Basic ',
          'Bearer',
          'Bearer ',
          `Bearer ${'x'.repeat(43)}`,
          'Negotiate abc',
          `${scheme}${usual.slice(scheme.length).split('').reverse().join('')}`,
        ]),
      );
  }
}

function applyRequestKind(
  rng: Prng,
  draft: Draft,
  kind: keyof typeof REQUEST_KINDS,
  shape: EndpointShape,
  target: Target,
): void {
  draft.note = kind;
  switch (kind) {
    case 'proto-key': {
      const name = rng.pick([
        '__proto__',
        'constructor',
        'prototype',
        'toString',
        'hasOwnProperty',
        'valueOf',
        '__proto__[polluted]',
        'constructor[prototype][polluted]',
        '__defineGetter__',
      ]);
      draft.pairs.push({ name: { text: name }, value: { text: rng.pick(['x', '1', '{}']) } });
      draft.note = `${kind} ${name}`;
      return;
    }
    case 'content-type': {
      switch (rng.int(13)) {
        case 0:
        case 1: {
          const field = rng.pick(shape.fields.filter((f) => !f.startsWith('@')).concat('_csrf'));
          const value = typedJson(rng);
          const truncated = rng.chance(0.2);
          draft.build = (pairs) => {
            const obj: Record<string, unknown> = {};
            for (const p of pairs) obj[pieceText(p.name)] = pieceText(p.value);
            obj[field] = value;
            return Buffer.from(truncated ? `{"${field}": {"a": ` : JSON.stringify(obj), 'utf8');
          };
          draft.contentType = 'application/json';
          draft.note = `json body, ${field} as another type`;
          return;
        }
        case 2: {
          const boundary = `----porthfuzz${rng.int(1e9)}`;
          draft.build = (pairs) => multipart(pairs, boundary);
          draft.contentType = `multipart/form-data; boundary=${boundary}`;
          draft.note = 'multipart form';
          return;
        }
        case 3:
          draft.build = (pairs) => multipart(pairs, 'b');
          draft.contentType = 'multipart/form-data';
          draft.note = 'multipart without boundary';
          return;
        case 4:
          draft.contentType = 'text/plain';
          draft.note = 'text/plain';
          return;
        case 5:
          draft.contentType = null;
          draft.note = 'no content type';
          return;
        case 6:
          draft.contentType = 'application/x-www-form-urlencoded; charset=utf-16';
          draft.note = 'charset utf-16';
          return;
        case 7:
          draft.contentType = 'application/x-www-form-urlencoded; charset=iso-8859-1';
          draft.note = 'charset iso-8859-1';
          return;
        case 8:
          draft.contentType = 'application/xml';
          draft.body = Buffer.from(MARKUP[7], 'utf8');
          draft.note = 'xml body';
          return;
        case 9:
          draft.headers.push(['Content-Encoding', rng.pick(['gzip', 'deflate', 'br', 'x-junk'])]);
          draft.note = 'compressed (not really)';
          return;
        case 10:
          draft.headers.push(['Content-Encoding', 'gzip']);
          draft.build = (pairs) => gzipSync(encodePairs(pairs));
          draft.note = 'gzip body';
          return;
        case 11:
          draft.chunked = true;
          draft.note = 'chunked body';
          return;
        default:
          draft.contentType = rng.pick([
            'application/x-www-form-urlencoded; charset="',
            ';;;',
            'application/x-www-form-urlencoded, application/json',
            'application/*',
            '*/*',
            'application/x-www-form-urlencoded; charset=utf-8; charset=utf-16',
          ]);
          draft.note = `content type ${draft.contentType}`;
          return;
      }
    }
    case 'empty-body':
      draft.body = rng.chance(0.5) ? Buffer.alloc(0) : null;
      draft.note = draft.body ? 'empty body' : 'no body at all';
      return;
    case 'many-params': {
      const n = rng.pick([1000, 2000, 5000]);
      for (let i = 0; i < n; i++) {
        draft.pairs.push({ name: { text: `p${i}` }, value: { text: String(i) } });
      }
      draft.note = `${n} extra parameters`;
      return;
    }
    case 'header': {
      const variant = rng.int(10);
      switch (variant) {
        case 0:
          draft.headers.push(['User-Agent', 'U'.repeat(rng.between(1000, 12_000))]);
          draft.note = 'long User-Agent';
          return;
        case 1:
          draft.headers = draft.headers.filter(([n]) => n !== 'Accept-Language');
          draft.headers.push([
            'Accept-Language',
            rng.pick([
              `${'x-'.repeat(3000)}cy`,
              '*;q=foo, cy;q=1e999, en;q=-1',
              utf8AsLatin1('😀;q=1'),
              'cy;q=0, en;q=0',
              ',,,,;;;;',
            ]),
          ]);
          draft.lang = null;
          draft.note = 'odd Accept-Language';
          return;
        case 2:
          draft.headers.push(['X-Junk', 'a'.repeat(20_000)]);
          draft.bareAllowed = true;
          draft.note = 'headers over 16 KB';
          return;
        case 3:
          draft.headers.push(['User-Agent', utf8AsLatin1(rng.pick([...UNICODE, ...MARKUP]))]);
          draft.note = 'non-ASCII User-Agent';
          return;
        case 4:
          draft.headers.push(['X-Junk', `a${rng.pick(['\u0001', '\u0000', '\u007f'])}b`]);
          draft.bareAllowed = true;
          draft.note = 'control character in a header';
          return;
        case 5:
          for (let i = 0; i < 150; i++) draft.headers.push([`X-Junk-${i}`, String(i)]);
          draft.note = '150 extra headers';
          return;
        case 6:
          draft.headers.push([
            'X-Forwarded-For',
            rng.pick(["' OR 1=1 --", '::ffff:999.1.1.1', 'x'.repeat(500)]),
          ]);
          draft.headers.push(['Forwarded', 'for="_junk";proto=ftp']);
          draft.note = 'junk forwarding headers';
          return;
        default: {
          const cookieJunk = rng.pick([
            'porth_bid=%E0%A4%A',
            `porth_bid=${'A'.repeat(43)}`,
            'porth_csrf=; porth_csrf=junk',
            `porth_lang=${rng.pick(['xx', '%ZZ', '"cy"', 'cy;cy'])}`,
            '__proto__=1; constructor=2',
            `porth_session=${rng.pick(SQL)}`,
            'porth_session.sig=junk; porth_interaction=junk; porth_interaction.sig=junk',
            `porth_amp=${'x'.repeat(4000)}`,
            'porth_portal=junk',
            '=; ==; ;;; a',
            `junk=${utf8AsLatin1('😀')}`,
          ]);
          const cookie = draft.headers.find(([n]) => n === 'Cookie');
          draft.headers = draft.headers.filter(([n]) => n !== 'Cookie');
          const merged = rng.chance(0.5)
            ? `${cookieJunk}; ${cookie?.[1] ?? ''}`
            : `${cookie?.[1] ?? ''}; ${cookieJunk}`;
          draft.headers.push(['Cookie', merged]);
          draft.lang = null;
          draft.note = `junk cookie ${cookieJunk.slice(0, 40)}`;
          return;
        }
      }
    }
    case 'query': {
      const junk = rng.pick([
        'lang=%ZZ',
        'lang[]=cy&lang[]=en',
        'lang[x]=cy',
        '__proto__[polluted]=1',
        'constructor[prototype][x]=1',
        'page=-1',
        'page=1e309',
        'next=%2F%2Fevil.example',
        'return=javascript:alert(1)',
        'done=%3Cscript%3E',
        `q=${encodeText(rng.pick(SQL))}`,
        'method=choose&method=other',
        'saved=1&saved=2',
        `x=${'%'.repeat(100)}`,
        `${'&'.repeat(200)}`,
        'a=1&a=2&a=3&a[b]=4',
      ]);
      draft.query = draft.query ? `${draft.query}&${junk}` : junk;
      draft.note = `query ${junk.slice(0, 40)}`;
      return;
    }
    case 'path': {
      const name = rng.pick(shape.params);
      const odd = rng.pick(ODD_PATH);
      draft.path = fillPath(shape.pattern, target.params, { name, encoded: odd });
      draft.note = `path :${name} = ${odd.slice(0, 40)}`;
      return;
    }
  }
}

/** Makes one malformed request to `shape` for `target`, reproducibly from `rng`. */
export function badRequest(
  rng: Prng,
  shape: EndpointShape,
  target: Target,
  limitBytes: number,
): BadRequest {
  const lang = rng.pick(['en', 'cy'] as const);
  const draft: Draft = {
    pairs: target.fields
      .filter(([name]) => !name.startsWith('@'))
      .map(([name, value]) => ({ name: { text: name }, value: { text: value } })),
    headers: [
      ['User-Agent', 'porth-bad-input/1'],
      [
        'Accept',
        shape.client
          ? rng.pick(['application/json', '*/*', 'application/json, text/plain, */*'])
          : 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
      ],
      ['Accept-Language', lang === 'cy' ? 'cy' : 'en-GB'],
      ['Cookie', [target.cookies, `porth_lang=${lang}`].filter(Boolean).join('; ')],
      ...target.fields
        .filter(([name]) => name.startsWith('@'))
        .map(([name, value]): [string, string] => [name.slice(1), value]),
    ],
    path: fillPath(shape.pattern, target.params),
    query: target.query ?? '',
    body: null,
    build: null,
    contentType: shape.query ? null : 'application/x-www-form-urlencoded',
    chunked: false,
    bareAllowed: false,
    lang,
    dangerous: null,
    note: '',
    csrfTouched: false,
  };

  const kinds: Partial<Record<Kind, number>> = {};
  if (shape.fields.length > 0) Object.assign(kinds, FIELD_KINDS);
  for (const [k, w] of Object.entries(REQUEST_KINDS) as [keyof typeof REQUEST_KINDS, number][]) {
    if (k === 'path' && shape.params.length === 0) continue;
    if (shape.query && (k === 'content-type' || k === 'empty-body')) continue;
    kinds[k] = w;
  }
  const kind = rng.weighted(kinds as Record<Kind, number>);
  if (kind in FIELD_KINDS) {
    const field = rng.pick(shape.fields);
    if (field.startsWith('@')) {
      applyHeaderField(rng, draft, kind as keyof typeof FIELD_KINDS, field);
    } else {
      applyFieldKind(rng, draft, kind as keyof typeof FIELD_KINDS, field, limitBytes);
    }
  } else {
    applyRequestKind(rng, draft, kind as keyof typeof REQUEST_KINDS, shape, target);
  }
  // A valid form would act here: whatever else is wrong, the token is broken too.
  if (shape.csrfOnly && !draft.csrfTouched) breakCsrf(rng, draft);

  const encoded = encodePairs(draft.pairs);
  let target_ = draft.path;
  let body: Buffer | undefined;
  if (shape.query) {
    const query = [encoded.toString('latin1'), draft.query].filter(Boolean).join('&');
    if (query) target_ += `?${query}`;
  } else {
    if (draft.query) target_ += `?${draft.query}`;
    body = draft.build
      ? draft.build(draft.pairs)
      : (draft.body ?? (kind === 'empty-body' ? undefined : encoded));
  }
  // A request line over Node's header limit, or with bytes a browser would have percent-encoded:
  // Node's HTTP parser may refuse it before the application sees it.
  if (target_.length > 15_000 || /[^\x21-\x7e]/.test(target_)) draft.bareAllowed = true;
  const headers = [...draft.headers];
  if (body !== undefined && draft.contentType !== null)
    headers.push(['Content-Type', draft.contentType]);
  return {
    kind,
    note: draft.note,
    request: {
      method: shape.method,
      target: target_,
      headers,
      ...(body !== undefined ? { body } : {}),
      ...(draft.chunked ? { chunked: true } : {}),
    },
    bareAllowed: draft.bareAllowed,
    lang: draft.lang,
    dangerous: draft.dangerous,
  };
}
