/** The part of autocannon's programmatic API the benchmark uses (it ships no types). */
declare module 'autocannon' {
  /** What one autocannon run is told to do. */
  export interface AutocannonOptions {
    url: string;
    connections?: number;
    /** Seconds. */
    duration?: number;
    method?: string;
    headers?: Record<string, string>;
    body?: string;
    timeout?: number;
  }
  /** Percentiles of one measure (latency in milliseconds). */
  export interface AutocannonHistogram {
    average: number;
    p50: number;
    p99: number;
    max: number;
  }
  /** The outcome of one run. */
  export interface AutocannonResult {
    /** Seconds. */
    duration: number;
    errors: number;
    timeouts: number;
    non2xx: number;
    '2xx': number;
    latency: AutocannonHistogram;
    requests: AutocannonHistogram & { sent: number };
  }
  /** Runs a load test; resolves with its result. */
  function autocannon(options: AutocannonOptions): Promise<AutocannonResult>;
  export = autocannon;
}
