import { Injectable } from '@nestjs/common';
import { gzip } from 'node:zlib';
import { promisify } from 'node:util';
import { GroupCache, StoreSnapshot } from 'src/storage/group-cache.service';
import { GatewayMetrics } from 'src/telemetry/gateway-metrics.service';
import { MergedFamily, mergeGroups, renderProtobuf, renderText } from 'src/core/scrape/render';
import { acceptsGzip, PROTOBUF_DELIMITED_CONTENT_TYPE, TEXT_CONTENT_TYPE, wantsProtobufScrape } from 'src/core/scrape/negotiation';

const gzipAsync = promisify(gzip);

/** A rendered scrape response. */
export interface ScrapeResponse {
  contentType: string;
  contentEncoding?: string;
  body: Buffer | string;
}

/** Renders `GET /metrics`: own metrics plus every pushed group, in the negotiated format. */
@Injectable()
export class ScrapeService {
  /** Per-tenant merges of one snapshot's groups, keyed by that snapshot's (stable) merged list. */
  private tenantMerges = new WeakMap<MergedFamily[], Map<string, MergedFamily[]>>();

  constructor(
    private readonly cache: GroupCache,
    private readonly metrics: GatewayMetrics,
  ) {}

  /** With `tenant` (a tenant token's read), only that tenant's groups and none of the gateway's own metrics. */
  async scrape(accept: string | undefined, acceptEncoding: string | undefined, tenant?: string): Promise<ScrapeResponse> {
    const [snapshot, own] = await Promise.all([this.cache.current(), tenant === undefined ? this.metrics.families() : []]);
    const merged = tenant === undefined ? snapshot.merged : this.mergedOf(tenant, snapshot);
    const protobuf = wantsProtobufScrape(accept);
    const body = protobuf ? renderProtobuf(merged, own) : renderText(merged, own);
    const contentType = protobuf ? PROTOBUF_DELIMITED_CONTENT_TYPE : TEXT_CONTENT_TYPE;
    if (acceptsGzip(acceptEncoding)) {
      return { contentType, contentEncoding: 'gzip', body: await gzipAsync(body, { level: 1 }) };
    }
    return { contentType, body };
  }

  private mergedOf(tenant: string, snapshot: StoreSnapshot): MergedFamily[] {
    let byTenant = this.tenantMerges.get(snapshot.merged);
    if (byTenant === undefined) {
      byTenant = new Map();
      this.tenantMerges = new WeakMap([[snapshot.merged, byTenant]]);
    }
    let merged = byTenant.get(tenant);
    if (merged === undefined) {
      merged = mergeGroups(snapshot.groups.filter((g) => g.tenant === tenant));
      byTenant.set(tenant, merged);
    }
    return merged;
  }
}
