import { Injectable } from '@nestjs/common';
import { gzip } from 'node:zlib';
import { promisify } from 'node:util';
import { GroupCache } from 'src/storage/group-cache.service';
import { GatewayMetrics } from 'src/telemetry/gateway-metrics.service';
import { renderProtobuf, renderText } from 'src/core/scrape/render';
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
  constructor(
    private readonly cache: GroupCache,
    private readonly metrics: GatewayMetrics,
  ) {}

  async scrape(accept: string | undefined, acceptEncoding: string | undefined): Promise<ScrapeResponse> {
    const [{ merged }, own] = await Promise.all([this.cache.current(), this.metrics.families()]);
    const protobuf = wantsProtobufScrape(accept);
    const body = protobuf ? renderProtobuf(merged, own) : renderText(merged, own);
    const contentType = protobuf ? PROTOBUF_DELIMITED_CONTENT_TYPE : TEXT_CONTENT_TYPE;
    if (acceptsGzip(acceptEncoding)) {
      return { contentType, contentEncoding: 'gzip', body: await gzipAsync(body, { level: 1 }) };
    }
    return { contentType, body };
  }
}
