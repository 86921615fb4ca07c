import { hostname } from 'node:os';
import { Inject, Injectable } from '@nestjs/common';
import { AppConfig } from 'src/config/env.schema';
import { APP_CONFIG } from 'src/config/config.module';
import { GroupCache } from 'src/scrape/group-cache.service';
import { MetricGroupRepository, StoredGroup } from 'src/storage/metric-group.repository';
import { parseProtobufDelimited } from 'src/core/exposition/protobuf-delimited';
import { groupToJson, rfc3339 } from 'src/core/scrape/json-api';
import { BUILD_INFO } from 'src/telemetry/build-info';
import { visibleItems } from 'src/core/auth/rules';
import { compileSelection, GroupSelection, PageRequest, pageOf } from 'src/core/grouping/group-selection';
import { countSampleLines } from 'src/core/status-page/store-counts';

const STARTED = Date.now() / 1000;

/** Upstream's `/api/v1` JSON API: groups, status, admin wipe. */
@Injectable()
export class ApiService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly cache: GroupCache,
    private readonly repository: MetricGroupRepository,
  ) {}

  /** Every group (of one tenant when given) in upstream's `/api/v1/metrics` shape. */
  async metrics(tenant?: string): Promise<unknown[]> {
    const { groups: all } = await this.cache.current();
    const groups = sortGroups(visibleItems(all, tenant));
    const bodies = await this.repository.loadBodies(groups.map((g) => g.id));
    return groups.map((g) =>
      groupToJson({
        labels: g.labels,
        exposedLabels: g.exposedLabels,
        pushTime: g.pushTime,
        pushFailureTime: g.pushFailureTime,
        families: g.families.flatMap((f) => {
          const body = bodies.get(g.id)?.get(f.name);
          return body === undefined ? [] : [{ family: parseProtobufDelimited(body)[0], pushedAt: f.pushedAt }];
        }),
      }),
    );
  }

  /** Build information, the effective settings (secrets left out) and the start time. */
  status(): unknown {
    const c = this.config;
    return {
      build_information: {
        branch: BUILD_INFO.branch,
        buildDate: BUILD_INFO.buildDate,
        buildUser: BUILD_INFO.buildUser,
        nodeVersion: process.version,
        revision: BUILD_INFO.revision,
        version: BUILD_INFO.version,
      },
      flags: {
        'web.listen-address': `${c.host}:${c.port}`,
        'web.route-prefix': c.routePrefix,
        'web.enable-admin-api': String(c.adminApiEnabled),
        'web.enable-lifecycle': String(c.lifecycleApiEnabled),
        'push.disable-consistency-check': String(!c.consistencyCheck),
        'push.enable-utf8-names': String(c.utf8Names),
        'push.body-limit-bytes': String(c.bodyLimitBytes),
        'storage.database': c.databaseUrl === undefined ? `embedded:${c.dataDir}` : redactUrl(c.databaseUrl),
      },
      start_time: rfc3339(STARTED),
    };
  }

  /** This process among the replicas: `hostname:pid`, and its start time (Unix seconds). */
  replica(): { id: string; startTime: number } {
    return { id: `${hostname()}:${process.pid}`, startTime: STARTED };
  }

  /** A page of the groups `selection` picks (of one tenant when given), for `GET /api/v1/groups`. */
  async listGroups(selection: GroupSelection, page: PageRequest, tenant?: string): Promise<GroupListing> {
    const { groups } = await this.cache.current();
    const found = pageOf(visibleItems(groups, tenant), compileSelection(selection), page);
    return {
      groups: found.items.map(groupSummary),
      total: found.total,
      ...(found.nextCursor === undefined ? {} : { next_cursor: found.nextCursor }),
    };
  }

  /** Deletes every group `selection` picks (of one tenant when given) in one transaction; how many. */
  deleteGroups(selection: GroupSelection, tenant?: string): Promise<number> {
    return this.repository.deleteGroupsWhere(tenant, compileSelection(selection));
  }

  /** Resolves when the database answers (DatabaseUnavailableError otherwise). */
  ping(): Promise<void> {
    return this.repository.ping();
  }

  /** Deletes every group (of one tenant when given). */
  wipe(tenant?: string): Promise<void> {
    return this.repository.wipe(tenant);
  }
}

/** One item of `GET /api/v1/groups`. */
export interface GroupSummary {
  labels: Record<string, string>;
  tenant: string;
  /** RFC 3339, null when the group never had a successful push (only failed ones). */
  last_push_time: string | null;
  last_failure_time: string | null;
  /** RFC 3339 expiry, null when the group never expires. */
  expires_at: string | null;
  ttl_seconds: number | null;
  families: number;
  /** Sample lines in the group's exposition (each bucket, quantile, _sum and _count counts). */
  series: number;
}

export interface GroupListing {
  groups: GroupSummary[];
  total: number;
  next_cursor?: string;
}

function groupSummary(g: StoredGroup): GroupSummary {
  return {
    labels: g.labels,
    tenant: g.tenant,
    last_push_time: g.pushTime > 0 ? rfc3339(g.pushTime) : null,
    last_failure_time: g.pushFailureTime > 0 ? rfc3339(g.pushFailureTime) : null,
    expires_at: g.expiresAt === undefined ? null : rfc3339(g.expiresAt),
    ttl_seconds: g.expiresAt === undefined ? null : g.expiresAt - g.pushTime,
    families: g.families.length,
    series: g.families.reduce((n, f) => n + countSampleLines(f.exposition), 0),
  };
}

function sortGroups(groups: readonly StoredGroup[]): StoredGroup[] {
  const key = (g: StoredGroup): string => JSON.stringify(Object.entries(g.labels).sort());
  return [...groups].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}
