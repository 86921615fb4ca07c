import { Inject, Injectable } from '@nestjs/common';
import { AppConfig } from 'src/config/env.schema';
import { APP_CONFIG } from 'src/config/config.module';
import { parseGroupingPath } from 'src/core/grouping/grouping-path';
import { canonicalLabels, exposedGroupLabels, groupingLabelsWithTenant } from 'src/core/grouping/grouping-key';
import { sanitizeFamilies } from 'src/core/grouping/sanitize';
import { parseText } from 'src/core/exposition/text-parser';
import { ParseLimits } from 'src/core/exposition/parse-limits';
import { parseOpenMetrics } from 'src/core/exposition/openmetrics-parser';
import { parseProtobufDelimited } from 'src/core/exposition/protobuf-delimited';
import { ExpositionParseError } from 'src/core/exposition/errors';
import { validatePushedFamilies } from 'src/core/consistency/validate-push';
import { isOpenMetricsPush, isProtobufPush } from 'src/core/scrape/negotiation';
import { MetricFamily } from 'src/core/model/metric-family';
import { GroupRef, MetricGroupRepository } from 'src/storage/metric-group.repository';
import { planPushCheck, planPushCheckPaused } from 'src/core/consistency/push-check';
import { checkGroupStorable, checkParsedSeries, LARGE_PUSH_SERIES, MAX_INDEXED_BYTES, MAX_SERIES_PER_PUSH, yieldToLoop } from 'src/storage/storable-sizes';
import { groupTtl } from 'src/core/grouping/group-ttl';
import { decodeBody } from 'src/http/body-decoding';
import { GatewayMetrics } from 'src/telemetry/gateway-metrics.service';
import { Principal } from 'src/core/auth/principal';
import { checkGroupingLabels, checkPushedSeries, enforceDecision } from 'src/core/auth/rules';

/** One PUT/POST as the controller hands it over. */
export interface PushRequest {
  /** Percent-encoded path after `/metrics/`. */
  path: string;
  /** True for the managed-service route shape `/api/v2/metrics/...`. */
  managedRoute: boolean;
  mode: 'replace' | 'merge';
  body: Buffer;
  contentType?: string;
  contentEncoding?: string;
  /** Tenant of the caller's token; undefined without auth or for operator tokens. */
  tenant?: string;
  /** The verified caller (auth on), whose tenant rules the push must pass. */
  principal?: Principal;
  /** The `X-Pushgateway-TTL` header, if sent. */
  ttl?: string;
  /** Push time (Unix seconds) instead of the clock's: backdated loads in benchmarks. */
  now?: number;
}

export interface DeleteRequest {
  path: string;
  managedRoute: boolean;
  tenant?: string;
  principal?: Principal;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * What checkParsedSeries would refuse anyway, refused while parsing: more series than a push may
 * hold, or a series with more labels than its key has bytes (each label takes at least one).
 */
const PARSE_LIMITS: ParseLimits = { maxSeries: MAX_SERIES_PER_PUSH, maxLabels: MAX_INDEXED_BYTES };

/**
 * Orchestrates a push: grouping path → body → sanitise → validate → consistency check inside the
 * storage transaction → persist. The core does the domain work; this class only orders it.
 */
@Injectable()
export class IngestService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly repository: MetricGroupRepository,
    private readonly metrics: GatewayMetrics,
  ) {}

  /** Applies a PUT (replace) or POST (merge). Resolves after the commit. */
  async push(req: PushRequest): Promise<void> {
    const group = this.groupRef(req.path, req.managedRoute, req.tenant);
    if (req.principal !== undefined) {
      enforceDecision(checkGroupingLabels(req.principal, group.labels));
    }
    // Before anything can be written (a failed push records its failure time in the group's row).
    checkGroupStorable(group);
    const families = this.parseBody(req);
    // A large push lets other requests run between its steps, each linear in its series.
    const large = checkParsedSeries(families) > LARGE_PUSH_SERIES;
    if (large) {
      await yieldToLoop();
    }
    if (req.principal !== undefined) {
      enforceDecision(checkPushedSeries(req.principal, families));
    }
    const now = req.now ?? Date.now() / 1000;
    const ttlSeconds = groupTtl(this.config.groupTtl, req.ttl, group.tenant);
    const sanitized = sanitizeFamilies(families, groupingLabelsWithTenant(group.labels, req.tenant));
    try {
      validatePushedFamilies(sanitized, { utf8Names: this.config.utf8Names });
    } catch (error) {
      await this.repository.recordFailure(group, now);
      throw error;
    }
    const own = this.config.consistencyCheck ? await this.metrics.types() : [];
    if (large) {
      await yieldToLoop();
    }
    const plan = large
      ? await planPushCheckPaused(sanitized, group.exposedLabels, own, this.config.consistencyCheck, yieldToLoop)
      : planPushCheck(sanitized, group.exposedLabels, own, this.config.consistencyCheck);
    if (large) {
      await yieldToLoop();
    }
    await this.repository.applyPush({ group, mode: req.mode, now, ttlSeconds, plan });
  }

  /** Deletes one group by its exact grouping key. Resolves after the commit. */
  async delete(req: DeleteRequest): Promise<void> {
    const group = this.groupRef(req.path, req.managedRoute, req.tenant);
    if (req.principal !== undefined) {
      enforceDecision(checkGroupingLabels(req.principal, group.labels));
    }
    await this.repository.deleteGroup(group.tenant, group.groupingKey);
  }

  private groupRef(path: string, managedRoute: boolean, tenant: string | undefined): GroupRef {
    const labels = parseGroupingPath(path, { allowMissingJob: managedRoute, utf8Names: this.config.utf8Names });
    const exposedLabels = exposedGroupLabels(labels, tenant);
    return {
      tenant: tenant ?? '',
      groupingKey: canonicalLabels(labels),
      exposedLabels,
      exposedKey: canonicalLabels(exposedLabels),
      labels,
    };
  }

  private parseBody(req: PushRequest): MetricFamily[] {
    const body = decodeBody(req.body, req.contentEncoding, this.config.bodyLimitBytes);
    if (isProtobufPush(req.contentType)) {
      return parseProtobufDelimited(body, PARSE_LIMITS);
    }
    // A zero-length body is an empty push whatever its type, as for protobuf and text.
    const openMetrics = isOpenMetricsPush(req.contentType) && body.length > 0;
    let text: string;
    try {
      text = utf8.decode(body);
    } catch {
      throw new ExpositionParseError(`${openMetrics ? 'openmetrics' : 'text format'} parsing error: body is not valid UTF-8`);
    }
    return openMetrics
      ? parseOpenMetrics(text, PARSE_LIMITS)
      : parseText(text, { nameValidation: this.config.utf8Names ? 'utf8' : 'legacy', limits: PARSE_LIMITS });
  }
}
