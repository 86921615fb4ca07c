import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Registry, Summary } from 'prom-client';
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
import { approximateRequestSize, upstreamHandlerOf } from 'src/telemetry/http-instrumentation';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { parseMaxAddressSpace, parseNetDevTotals, readProc } from 'src/telemetry/proc-metrics';

/** One finished HTTP request, as the onResponse hook sees it. */
export interface HttpObservation {
  /** The matched route without the route prefix (e.g. `/metrics/*`), or `unmatched`. */
  route: string;
  method: string;
  status: number;
  seconds: number;
  /** client_golang's approximate request size (see approximateRequestSize). */
  requestSize: number;
}

/**
 * Upstream's summary objectives for the push duration and size (pushgateway 1.11
 * handler/metrics.go): the 0.1, 0.5 and 0.9 quantiles over the last 10 minutes (5 age buckets,
 * client_golang's default). prom-client's summaries take no error tolerances.
 */
const PUSH_SUMMARY = { percentiles: [0.1, 0.5, 0.9], maxAgeSeconds: 600, ageBuckets: 5 };

/** Go's GOARCH for Node's process.arch, as far as they correspond. */
const GOARCH: Record<string, string> = { x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };

/**
 * The gateway's own metrics (process, Node.js, HTTP requests, push durations, build info), exposed
 * on every scrape next to the pushed ones. Pushed families may not redefine their types.
 */
@Injectable()
export class GatewayMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'code' | 'handler' | 'method'>;
  private readonly pushDuration: Summary<'method'>;
  private readonly pushSize: Summary<'method'>;
  private ownTypes: FamilyTypeRef[] | undefined;

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    this.requests = new Counter({
      name: 'pushgateway_http_requests_total',
      help: 'Total HTTP requests processed by the gateway, by handler, method and status code.',
      labelNames: ['code', 'handler', 'method'],
      registers: [this.registry],
    });
    this.pushDuration = new Summary({
      name: 'pushgateway_http_push_duration_seconds',
      help: 'Time taken to answer a PUT or POST push, accepted or refused, in seconds.',
      labelNames: ['method'],
      ...PUSH_SUMMARY,
      registers: [this.registry],
    });
    this.pushSize = new Summary({
      name: 'pushgateway_http_push_size_bytes',
      help: 'Approximate size of PUT and POST push requests (request line, headers and body as sent), in bytes.',
      labelNames: ['method'],
      ...PUSH_SUMMARY,
      registers: [this.registry],
    });
    const build = new Gauge({
      name: 'pushgateway_build_info',
      help: 'A metric with a constant 1 value labelled by version, revision and branch; goversion is the Node.js version it runs on.',
      labelNames: ['branch', 'goarch', 'goos', 'goversion', 'revision', 'tags', 'version'],
      registers: [this.registry],
    });
    build.set(
      {
        branch: BUILD_INFO.branch,
        goarch: GOARCH[process.arch] ?? process.arch,
        goos: process.platform,
        goversion: `node${process.version}`,
        revision: BUILD_INFO.revision,
        tags: 'unknown',
        version: BUILD_INFO.version,
      },
      1,
    );
    this.registerProcessExtras();
  }

  /** client_golang's process metrics that prom-client's defaults lack (Linux only). */
  private registerProcessExtras(): void {
    if (readProc('limits') === undefined) {
      return;
    }
    const registers = [this.registry];
    new Gauge({
      name: 'process_virtual_memory_max_bytes',
      help: 'Maximum amount of virtual memory available in bytes.',
      registers,
      collect() {
        this.set(parseMaxAddressSpace(readProc('limits') ?? '') ?? -1);
      },
    });
    const net = (name: string, help: string, field: 'receive' | 'transmit') =>
      new Counter({
        name,
        help,
        registers,
        collect() {
          const totals = parseNetDevTotals(readProc('net/dev') ?? '');
          this.reset();
          this.inc(totals?.[field] ?? 0);
        },
      });
    net('process_network_receive_bytes_total', 'Number of bytes received by the process over the network.', 'receive');
    net('process_network_transmit_bytes_total', 'Number of bytes sent by the process over the network.', 'transmit');
  }

  /** observeHttp for a Fastify request at onResponse; `routePrefix` is ROUTE_PREFIX. */
  observeResponse(req: FastifyRequest, reply: FastifyReply, routePrefix: string): void {
    const url = req.routeOptions.url;
    this.observeHttp({
      route: url === undefined ? 'unmatched' : routePrefix !== '' && url.startsWith(routePrefix) ? url.slice(routePrefix.length) : url,
      method: req.method,
      status: reply.statusCode,
      seconds: reply.elapsedTime / 1000,
      requestSize: approximateRequestSize({ url: req.raw.url ?? '', method: req.method, httpVersion: req.raw.httpVersion, rawHeaders: req.raw.rawHeaders }),
    });
  }

  /**
   * Records one finished HTTP request as upstream does: `pushgateway_http_requests_total` with
   * upstream's handler names (scrapes are not counted), and for every PUT/POST push, accepted or
   * refused, its duration and approximate size.
   */
  observeHttp(o: HttpObservation): void {
    const handler = upstreamHandlerOf(o.route, o.method);
    if (handler === undefined) {
      return;
    }
    const method = o.method.toLowerCase();
    this.requests.inc({ handler, method, code: String(o.status) });
    if (handler === 'push' && (method === 'put' || method === 'post')) {
      this.pushDuration.observe({ method }, o.seconds);
      this.pushSize.observe({ method }, o.requestSize);
    }
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
