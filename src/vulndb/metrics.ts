// Prometheus text exposition for `db serve`: requests by route/status, latency histogram, DB age.
const BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export class ServerMetrics {
  private readonly requests = new Map<string, number>();
  private readonly hist = new Map<string, { counts: number[]; sum: number; count: number }>();

  observe(route: string, status: number, seconds: number): void {
    const key = `${route}\u0000${status}`;
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
    let h = this.hist.get(route);
    if (!h) this.hist.set(route, (h = { counts: BUCKETS.map(() => 0), sum: 0, count: 0 }));
    BUCKETS.forEach((b, i) => {
      if (seconds <= b) h!.counts[i]!++;
    });
    h.sum += seconds;
    h.count++;
  }

  render(dbAgeSeconds: number | undefined, records: number, inFlight: number): string {
    const out: string[] = [];
    // This scrape itself is one of them.
    out.push('# HELP portcullis_http_requests_in_flight Requests being answered.', '# TYPE portcullis_http_requests_in_flight gauge');
    out.push(`portcullis_http_requests_in_flight ${inFlight}`);
    out.push('# HELP portcullis_http_requests_total HTTP requests by route and status.', '# TYPE portcullis_http_requests_total counter');
    for (const [key, n] of [...this.requests].sort()) {
      const [route, status] = key.split('\u0000');
      out.push(`portcullis_http_requests_total{route="${route}",status="${status}"} ${n}`);
    }
    out.push('# HELP portcullis_http_request_duration_seconds Request latency.', '# TYPE portcullis_http_request_duration_seconds histogram');
    for (const [route, h] of [...this.hist].sort()) {
      BUCKETS.forEach((b, i) => out.push(`portcullis_http_request_duration_seconds_bucket{route="${route}",le="${b}"} ${h.counts[i]}`));
      out.push(`portcullis_http_request_duration_seconds_bucket{route="${route}",le="+Inf"} ${h.count}`);
      out.push(`portcullis_http_request_duration_seconds_sum{route="${route}"} ${h.sum}`);
      out.push(`portcullis_http_request_duration_seconds_count{route="${route}"} ${h.count}`);
    }
    out.push('# HELP portcullis_db_age_seconds Age of the oldest source in the served database.', '# TYPE portcullis_db_age_seconds gauge');
    out.push(`portcullis_db_age_seconds ${dbAgeSeconds ?? 'NaN'}`);
    out.push('# HELP portcullis_db_records Records in the served database.', '# TYPE portcullis_db_records gauge');
    out.push(`portcullis_db_records ${records}`);
    return `${out.join('\n')}\n`;
  }
}
