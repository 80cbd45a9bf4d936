import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A TLS-terminating reverse proxy in front of one portal, as a production deployment has. */
export interface TlsProxy {
  /** Its https address, e.g. `https://127.0.0.1:40123`. */
  readonly url: string;
  /** Where requests go (set once the portal listens). */
  target: string;
  close(): Promise<void>;
}

/** A throw-away self-signed certificate for 127.0.0.1 and localhost, made with openssl. */
function selfSignedCertificate(): { key: Buffer; cert: Buffer } {
  const dir = mkdtempSync(join(tmpdir(), 'porth-tls-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=IP:127.0.0.1,DNS:localhost',
      ],
      { stdio: 'ignore' },
    );
    return { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Starts an https proxy on 127.0.0.1 that passes every request to `target` over http, with the
 * headers a real TLS proxy sets (and overwrites, never trusting the client's): `X-Forwarded-Proto:
 * https` and `X-Forwarded-For: <client address>`. The Host header is passed on unchanged.
 */
export async function startTlsProxy(): Promise<TlsProxy> {
  const proxy: { target: string } = { target: '' };
  const server: Server = createServer(selfSignedCertificate(), (req, res) => {
    const target = new URL(proxy.target);
    const headers: Record<string, string | string[] | undefined> = {
      ...req.headers,
      connection: 'close',
      'x-forwarded-proto': 'https',
      'x-forwarded-for': req.socket.remoteAddress ?? '127.0.0.1',
    };
    const upstream = httpRequest(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers },
      (answer) => {
        const out = { ...answer.headers };
        delete out.connection;
        res.writeHead(answer.statusCode ?? 502, out);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    get target() {
      return proxy.target;
    },
    set target(value: string) {
      proxy.target = value;
    },
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

/**
 * Trusts every certificate until `restore()` (the proxy's is self-signed): the test browser and
 * the portal's own calls to its provider both go through the proxy.
 */
export function trustingSelfSignedCertificates(): { restore(): void } {
  const before = process.env.NODE_TLS_REJECT_UNAUTHORIZED;
  process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
  return {
    restore() {
      if (before === undefined) delete process.env.NODE_TLS_REJECT_UNAUTHORIZED;
      else process.env.NODE_TLS_REJECT_UNAUTHORIZED = before;
    },
  };
}
