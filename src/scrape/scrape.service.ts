import { Inject, Injectable } from '@nestjs/common';
import { AppConfig } from 'src/config/env.schema';
import { APP_CONFIG } from 'src/config/config.module';
import { renderOpenMetricsFromProtobuf } from 'src/core/scrape/render-openmetrics';
import { Readable } from 'node:stream';
import { GroupCache, StoreSnapshot } from 'src/scrape/group-cache.service';
import { MetricGroupRepository } from 'src/storage/metric-group.repository';
import { GatewayMetrics } from 'src/telemetry/gateway-metrics.service';
import { MergedFamily, mergeGroups, renderPart, renderProtobuf, scrapeParts } from 'src/core/scrape/render';
import { MetricFamily } from 'src/core/model/metric-family';
import { acceptsGzip, negotiateScrape } from 'src/core/scrape/negotiation';
import { EscapingScheme } from 'src/core/exposition/escaping';
import { gzipParts, gzipPieces } from 'src/scrape/gzip-assembly';
import { visibleItems } from 'src/core/auth/rules';

/** A rendered scrape response. */
export interface ScrapeResponse {
  contentType: string;
  contentEncoding?: string;
  /**
   * A stream for text scrapes: the cached family Buffers (or, gzipped, their cached deflate chunks)
   * are written as they are, uncopied.
   */
  body: Buffer | Readable;
}

/** Renders `GET /metrics`: own metrics plus every pushed group, in the negotiated format. */
@Injectable()
export class ScrapeService {
  /** Per-tenant merges of one snapshot's groups, keyed by that snapshot's (stable) merged list. */
  private tenantMerges = new WeakMap<MergedFamily[], Map<string, MergedFamily[]>>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly cache: GroupCache,
    private readonly repository: MetricGroupRepository,
    private readonly metrics: GatewayMetrics,
  ) {}

  /** With `tenant` (a tenant token's read), only that tenant's groups and none of the gateway's own metrics. */
  async scrape(accept: string | undefined, acceptEncoding: string | undefined, tenant?: string): Promise<ScrapeResponse> {
    const [snapshot, own] = await Promise.all([this.cache.current(), tenant === undefined ? this.metrics.families() : []]);
    const gzip = acceptsGzip(acceptEncoding);
    const { format, escaping, contentType } = negotiateScrape(accept, { openMetrics: this.config.scrapeOpenMetrics });
    if (format === 'protobuf' || format === 'openmetrics') {
      const protobuf = await this.protobuf(snapshot, own, tenant, escaping);
      const body = format === 'protobuf' ? protobuf : renderOpenMetricsFromProtobuf(protobuf);
      return gzip ? { contentType, contentEncoding: 'gzip', body: gzipParts([{ data: body, stable: false }]) } : { contentType, body };
    }
    const merged = tenant === undefined ? snapshot.merged : this.mergedOf(tenant, snapshot);
    // After the header, a part's buffers are the cached pushed text: stable until a push changes it.
    const parts = scrapeParts(merged, own).flatMap((part) => {
      const [head, ...rest] = renderPart(part, escaping);
      return [{ data: head, stable: false }, ...rest.map((data) => ({ data, stable: true }))];
    });
    const pieces = gzip ? gzipPieces(parts) : parts.map((p) => p.data);
    return { contentType, contentEncoding: gzip ? 'gzip' : undefined, body: Readable.from(pieces, { objectMode: false }) };
  }

  private async protobuf(snapshot: StoreSnapshot, own: MetricFamily[], tenant: string | undefined, escaping: EscapingScheme): Promise<Buffer> {
    const groups = visibleItems(snapshot.groups, tenant);
    const bodies = await this.repository.loadBodies(groups.map((g) => g.id));
    return renderProtobuf(
      groups.map((g) => ({
        exposedLabels: g.exposedLabels,
        pushTime: g.pushTime,
        pushFailureTime: g.pushFailureTime,
        expiresAt: g.expiresAt,
        families: g.families.flatMap((f) => {
          const body = bodies.get(g.id)?.get(f.name);
          return body === undefined ? [] : [{ name: f.name, type: f.type, help: f.help, body }];
        }),
      })),
      own,
      escaping,
      new Set(snapshot.merged.filter((m) => m.utf8 === true).map((m) => m.name)),
    );
  }

  private mergedOf(tenant: string, snapshot: StoreSnapshot): MergedFamily[] {
    let byTenant = this.tenantMerges.get(snapshot.merged);
    if (byTenant === undefined) {
      byTenant = new Map();
      this.tenantMerges = new WeakMap([[snapshot.merged, byTenant]]);
    }
    let merged = byTenant.get(tenant);
    if (merged === undefined) {
      merged = mergeGroups(visibleItems(snapshot.groups, tenant).flatMap((g) => snapshot.prepared.get(g.id) ?? []));
      byTenant.set(tenant, merged);
    }
    return merged;
  }
}
