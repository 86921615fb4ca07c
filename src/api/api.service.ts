import { Inject, Injectable } from '@nestjs/common';
import { AppConfig } from 'src/config/env.schema';
import { APP_CONFIG } from 'src/config/config.module';
import { GroupCache } from 'src/scrape/group-cache.service';
import { MetricGroupRepository, StoredGroup } from 'src/storage/metric-group.repository';
import { parseProtobufDelimited } from 'src/core/exposition/protobuf-delimited';
import { groupToJson, rfc3339 } from 'src/core/scrape/json-api';
import { BUILD_INFO } from 'src/telemetry/build-info';
import { visibleItems } from 'src/core/auth/rules';

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
        'push.body-limit-bytes': String(c.bodyLimitBytes),
        'storage.database': c.databaseUrl === undefined ? `embedded:${c.dataDir}` : redactUrl(c.databaseUrl),
      },
      start_time: rfc3339(STARTED),
    };
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

function sortGroups(groups: readonly StoredGroup[]): StoredGroup[] {
  const key = (g: StoredGroup): string => JSON.stringify(Object.entries(g.labels).sort());
  return [...groups].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}
