import { Inject, Injectable } from '@nestjs/common';
import { ApiService } from 'src/api/api.service';
import { GroupsTabView, HelpTabView, StatusPageView, StatusTabView } from 'src/api/status-page';
import { AppConfig } from 'src/config/env.schema';
import { APP_CONFIG } from 'src/config/config.module';
import { GroupCache } from 'src/scrape/group-cache.service';
import { DatabaseUnavailableError } from 'src/storage/database-errors';
import { BUILD_INFO } from 'src/telemetry/build-info';
import { Principal } from 'src/core/auth/principal';
import { readTenantOf, visibleItems } from 'src/core/auth/rules';
import { GroupSelectorError } from 'src/core/grouping/group-selection';
import { formatAge } from 'src/core/status-page/format';
import { statusPageGroups } from 'src/core/status-page/group-filter';
import { groupView } from 'src/core/status-page/group-view';
import { baseUrlOf, helpExamples } from 'src/core/status-page/help-examples';
import { StatusPageRequest } from 'src/core/status-page/page-request';
import { storeCounts } from 'src/core/status-page/store-counts';

/** Who asks, and how they reached this gateway (for the help tab's URLs). */
export interface StatusPageCaller {
  /** Undefined when auth is off. */
  principal?: Principal;
  scheme: string;
  host: string;
  /** Told how long reading the store took (ms), for the Server-Timing header. */
  timing?: (name: 'store', ms: number) => void;
}

/** Gathers what one tab of the status page shows (the core does the selecting and formatting). */
@Injectable()
export class StatusPageService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly cache: GroupCache,
    private readonly api: ApiService,
  ) {}

  async view(request: StatusPageRequest, problems: string[], caller: StatusPageCaller): Promise<StatusPageView> {
    const { principal } = caller;
    const view: StatusPageView = {
      routePrefix: this.config.routePrefix,
      request,
      problems,
      version: BUILD_INFO.version,
      viewer: principal === undefined ? undefined : principal.tenant === undefined ? 'operator token' : `tenant ${principal.tenant}`,
    };
    switch (request.tab) {
      case 'groups':
        return { ...view, groups: await this.groups(request, caller) };
      case 'status':
        return { ...view, status: await this.status(principal) };
      case 'help':
        return { ...view, help: this.help(caller) };
    }
  }

  private async groups(request: StatusPageRequest, { principal, timing }: StatusPageCaller): Promise<GroupsTabView> {
    const started = performance.now();
    const { groups: all } = await this.cache.current();
    timing?.('store', performance.now() - started);
    const groups = visibleItems(all, readTenantOf(principal));
    const now = Date.now() / 1000;
    const wipe = this.config.adminApiEnabled && (principal === undefined || principal.scopes.includes('admin'));
    let page;
    try {
      page = statusPageGroups(groups, request, now);
    } catch (error) {
      if (error instanceof GroupSelectorError) {
        return { items: [], total: 0, visible: groups.length, filterError: error.message, wipe };
      }
      throw error;
    }
    // An exact-key DELETE acts on the caller's own tenant ('' without auth or for an operator).
    const deleteTenant = principal === undefined ? '' : principal.scopes.includes('push') ? (principal.tenant ?? '') : undefined;
    const options = { now, staleMs: request.staleMs, maxLines: request.lines, deleteTenant, utf8Names: this.config.utf8Names };
    return {
      items: page.items.map((g) => groupView(g, options)),
      total: page.total,
      visible: groups.length,
      next: page.nextCursor === undefined ? undefined : { ...request, cursor: page.nextCursor, start: request.start + page.items.length },
      wipe,
    };
  }

  private async status(principal: Principal | undefined): Promise<StatusTabView> {
    const status = this.api.status() as { build_information: Record<string, string>; flags: Record<string, string> };
    const replica = this.api.replica();
    const problem = await this.api.ping().then(
      () => undefined,
      (error: unknown) => (error instanceof DatabaseUnavailableError ? error.message : 'database unavailable'),
    );
    const counts =
      problem === undefined
        ? await this.cache.current().then(
            ({ groups }) => storeCounts(visibleItems(groups, readTenantOf(principal))),
            () => undefined,
          )
        : undefined;
    const b = status.build_information;
    return {
      build: [
        ['Version', b.version],
        ['Revision', b.revision],
        ['Branch', b.branch],
        ['Build date', b.buildDate],
        ['Build user', b.buildUser],
        ['Node.js', b.nodeVersion],
      ],
      replica: {
        id: replica.id,
        started: new Date(replica.startTime * 1000)
          .toISOString()
          .replace('T', ' ')
          .replace(/\.\d+Z$/, 'Z'),
        uptime: formatAge(Date.now() / 1000 - replica.startTime),
      },
      database: {
        engine: this.config.databaseUrl === undefined ? 'embedded' : 'postgres',
        location: status.flags['storage.database'] ?? '',
        ready: problem === undefined,
        problem,
      },
      counts,
      settings: [...Object.entries(status.flags), ['auth', this.config.auth.enabled ? 'on (tokens)' : 'off']],
    };
  }

  private help(caller: StatusPageCaller): HelpTabView {
    const target = { scheme: caller.scheme, host: caller.host, routePrefix: this.config.routePrefix, authEnabled: this.config.auth.enabled };
    return { baseUrl: baseUrlOf(target), examples: helpExamples(target) };
  }
}
