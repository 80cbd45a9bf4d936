import { connect } from 'node:net';

/** One HTTP/1.1 request, byte for byte as it goes on the wire (nothing is checked or fixed). */
export interface RawRequest {
  readonly method: string;
  /** The request target as sent: a path and query, already percent-encoded (or not). */
  readonly target: string;
  /** Header lines in order, repeats allowed; values are sent as latin1 (one byte per char). */
  readonly headers: readonly (readonly [string, string])[];
  readonly body?: Buffer;
  /** Send the body with `Transfer-Encoding: chunked` instead of `Content-Length`. */
  readonly chunked?: boolean;
}

/** The answer to a RawRequest. */
export interface RawResponse {
  readonly status: number;
  /** Header values by lower-case name. */
  readonly headers: ReadonlyMap<string, readonly string[]>;
  readonly body: Buffer;
  /** The body as UTF-8 text. */
  readonly text: string;
}

/** A header of a response (the first value), or ''. */
export function header(res: RawResponse, name: string): string {
  return res.headers.get(name.toLowerCase())?.[0] ?? '';
}

/** A string whose UTF-8 bytes are written one per char (for header values sent as latin1). */
export function utf8AsLatin1(text: string): string {
  return Buffer.from(text, 'utf8').toString('latin1');
}

function dechunk(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  while (at < data.length) {
    const eol = data.indexOf('\r\n', at);
    if (eol < 0) break;
    const size = parseInt(data.subarray(at, eol).toString('latin1').split(';')[0] ?? '', 16);
    if (!Number.isFinite(size) || size === 0) break;
    parts.push(data.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

/** Parses a complete answer; null when the bytes are not (yet) a whole response. */
function parse(data: Buffer, ended: boolean): RawResponse | null {
  const end = data.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const lines = data.subarray(0, end).toString('latin1').split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '')?.[1]);
  if (!Number.isInteger(status)) throw new Error(`not an HTTP answer: ${lines[0] ?? ''}`);
  const headers = new Map<string, string[]>();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const list = headers.get(name) ?? [];
    list.push(line.slice(colon + 1).trim());
    headers.set(name, list);
  }
  const rest = data.subarray(end + 4);
  let body: Buffer;
  const length = headers.get('content-length')?.[0];
  if ((headers.get('transfer-encoding')?.[0] ?? '').toLowerCase().includes('chunked')) {
    if (!ended && rest.indexOf('0\r\n\r\n') < 0) return null;
    body = dechunk(rest);
  } else if (length !== undefined) {
    const n = Number(length);
    if (rest.length < n) return null;
    body = rest.subarray(0, n);
  } else {
    if (!ended) return null;
    body = rest;
  }
  return { status, headers, body, text: body.toString('utf8') };
}

/**
 * Sends one request on a new connection (`Connection: close`) to 127.0.0.1:`port` and reads the
 * whole answer. A connection the server resets after answering (it may, when it refused a body
 * before reading all of it) still gives the answer it sent.
 */
export function sendRaw(port: number, req: RawRequest, timeoutMs = 30_000): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let settled = false;
    const socket = connect({ host: '127.0.0.1', port });
    const finish = (err: Error | null) => {
      if (settled) return;
      const data = Buffer.concat(chunks);
      let parsed: RawResponse | null;
      try {
        parsed = parse(data, true);
      } catch (e) {
        settled = true;
        socket.destroy();
        reject(e as Error);
        return;
      }
      settled = true;
      socket.destroy();
      if (parsed) resolve(parsed);
      else
        reject(
          err ??
            new Error(`the connection closed without a whole answer (${data.length} bytes read)`),
        );
    };
    socket.setTimeout(timeoutMs, () => finish(new Error(`no answer within ${timeoutMs} ms`)));
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      try {
        if (parse(Buffer.concat(chunks), false)) finish(null);
      } catch {
        // Not parseable yet: wait for more bytes or the end.
      }
    });
    socket.on('end', () => finish(null));
    socket.on('close', () => finish(null));
    socket.on('error', (err) => finish(err));
    socket.on('connect', () => {
      const body = req.body;
      let head = `${req.method} ${req.target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n`;
      for (const [name, value] of req.headers) head += `${name}: ${value}\r\n`;
      head += 'Connection: close\r\n';
      if (body !== undefined) {
        head += req.chunked
          ? 'Transfer-Encoding: chunked\r\n'
          : `Content-Length: ${body.length}\r\n`;
      }
      head += '\r\n';
      const parts: Buffer[] = [Buffer.from(head, 'latin1')];
      if (body !== undefined) {
        if (req.chunked) {
          if (body.length > 0) {
            parts.push(Buffer.from(`${body.length.toString(16)}\r\n`, 'latin1'), body);
            parts.push(Buffer.from('\r\n', 'latin1'));
          }
          parts.push(Buffer.from('0\r\n\r\n', 'latin1'));
        } else {
          parts.push(body);
        }
      }
      socket.write(Buffer.concat(parts), () => {
        // Written; the answer comes on 'data'.
      });
    });
  });
}
