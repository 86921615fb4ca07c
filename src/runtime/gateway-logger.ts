import { ConsoleLogger } from '@nestjs/common';

/**
 * Nest's console logger with ISO 8601 UTC timestamps (`2026-12-04T04:40:12.123Z`) instead of the
 * host locale's date and time: sortable, unambiguous across time zones, and written without ICU
 * (see `deferred-intl.ts`). Everything else is Nest's: levels, colours, context, `+Nms`.
 */
export class GatewayLogger extends ConsoleLogger {
  protected override getTimestamp(): string {
    return new Date().toISOString();
  }
}
