import { Global, Module } from '@nestjs/common';
import { GatewayMetrics } from 'src/telemetry/gateway-metrics.service';

@Global()
@Module({ providers: [GatewayMetrics], exports: [GatewayMetrics] })
export class TelemetryModule {}
