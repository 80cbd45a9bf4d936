/** Fixed-request load with autocannon: one URL, one set of headers, N connections. */
import autocannon from 'autocannon';
import type { Throughput } from './stats.js';

/** Options of cannon. */
export interface CannonOptions {
  readonly url: string;
  readonly connections: number;
  readonly seconds: number;
  readonly headers?: Record<string, string>;
}

/** Sends `url` as fast as `connections` keep-alive connections allow; counts only 2xx answers. */
export async function cannon(options: CannonOptions): Promise<Throughput> {
  const url = new URL(options.url);
  if (url.hostname !== '127.0.0.1') throw new Error('the benchmark only talks to 127.0.0.1');
  const result = await autocannon({
    url: options.url,
    connections: options.connections,
    duration: options.seconds,
    headers: options.headers,
    timeout: 30,
  });
  const failed = result.non2xx + result.errors + result.timeouts;
  return {
    completed: result['2xx'],
    failed,
    seconds: result.duration,
    perSecond: result['2xx'] / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    firstError: failed > 0 ? `${result.non2xx} non-2xx, ${result.errors} errors` : null,
  };
}
