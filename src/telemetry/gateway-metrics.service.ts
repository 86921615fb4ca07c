import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { MetricFamily, MetricType } from 'src/core/model/metric-family';

const OWN_TYPES: Record<string, MetricType> = {
  counter: MetricType.COUNTER,
  gauge: MetricType.GAUGE,
  histogram: MetricType.HISTOGRAM,
  summary: MetricType.SUMMARY,
};
import { parseText } from 'src/core/exposition/text-parser';
import { FamilyTypeRef } from 'src/core/consistency/check-consistency';
import { BUILD_INFO } from 'src/telemetry/build-info';

/**
 * The gateway's own metrics (process, Node.js, HTTP requests, push durations, build info), exposed
 * on every scrape next to the pushed ones. Pushed families may not redefine their types.
 */
@Injectable()
export class GatewayMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'code' | 'handler' | 'method'>;
  private readonly pushDuration: Histogram<'method'>;
  private readonly pushSize: Histogram<'method'>;
  private ownTypes: FamilyTypeRef[] | undefined;

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    this.requests = new Counter({
      name: 'pushgateway_http_requests_total',
      help: 'Total HTTP requests processed by the gateway, by handler, method and status code.',
      labelNames: ['code', 'handler', 'method'],
      registers: [this.registry],
    });
    this.pushDuration = new Histogram({
      name: 'pushgateway_http_push_duration_seconds',
      help: 'Time from receiving a push to its commit in the database, in seconds.',
      labelNames: ['method'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [this.registry],
    });
    this.pushSize = new Histogram({
      name: 'pushgateway_http_push_size_bytes',
      help: 'Size of push request bodies as received (before decompression), in bytes.',
      labelNames: ['method'],
      buckets: [256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216],
      registers: [this.registry],
    });
    const build = new Gauge({
      name: 'pushgateway_build_info',
      help: 'A metric with a constant 1 value labelled by version, revision, branch and the Node.js version it runs on.',
      labelNames: ['version', 'revision', 'branch', 'nodeversion'],
      registers: [this.registry],
    });
    build.set({ version: BUILD_INFO.version, revision: BUILD_INFO.revision, branch: BUILD_INFO.branch, nodeversion: process.version }, 1);
  }

  /** Counts one finished HTTP request. */
  observeRequest(handler: string, method: string, code: number): void {
    this.requests.inc({ handler, method: method.toLowerCase(), code: String(code) });
  }

  /** Records one accepted push: its duration in seconds and its body size in bytes. */
  observePush(method: string, seconds: number, bytes: number): void {
    this.pushDuration.observe({ method: method.toLowerCase() }, seconds);
    this.pushSize.observe({ method: method.toLowerCase() }, bytes);
  }

  /** Current values of every own family, in the core model. */
  async families(): Promise<MetricFamily[]> {
    return parseText(await this.registry.metrics());
  }

  /**
   * Names and types of every own family, observed or not (a labelled histogram has no series before
   * its first observation but still owns its name), for the consistency check.
   */
  async types(): Promise<FamilyTypeRef[]> {
    if (this.ownTypes === undefined) {
      const json = await this.registry.getMetricsAsJSON();
      this.ownTypes = json.map((m) => ({ name: m.name, type: OWN_TYPES[String(m.type)] ?? MetricType.UNTYPED, where: "the gateway's own metrics" }));
    }
    return this.ownTypes;
  }
}
