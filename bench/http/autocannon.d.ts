// The part of autocannon 9 (a CommonJS package without typings) that bench:http uses: run one
// load against a URL, resolve with its summary. Field names as autocannon's aggregateResult.js.
declare module 'autocannon' {
  namespace autocannon {
    interface Options {
      url: string;
      connections?: number;
      pipelining?: number;
      /** Seconds. */
      duration?: number;
      method?: string;
      headers?: Record<string, string>;
      body?: string;
      /** Seconds a request may take before it counts as a timeout. */
      timeout?: number;
    }
    /** Percentiles (p50, p99, ...) and summary values of a histogram. */
    interface Histogram {
      average: number;
      mean: number;
      stddev: number;
      min: number;
      max: number;
      total: number;
      p50: number;
      p90: number;
      p99: number;
    }
    interface Result {
      /** Seconds the load ran. */
      duration: number;
      errors: number;
      timeouts: number;
      non2xx: number;
      resets: number;
      '2xx': number;
      /** Milliseconds, per request. */
      latency: Histogram;
      /** Completed requests per second, sampled each second; `total` is every completed request. */
      requests: Histogram & { sent: number };
    }
  }
  function autocannon(options: autocannon.Options): Promise<autocannon.Result>;
  export = autocannon;
}
