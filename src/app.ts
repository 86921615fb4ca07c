import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { FastifyError, FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify';
import { LogLevel } from '@nestjs/common';
import { AppModule } from 'src/app.module';
import { AppConfig } from 'src/config/env.schema';
import { GatewayMetrics } from 'src/telemetry/gateway-metrics.service';
import { serverLimitOptions } from 'src/http/server-limits';
import { isWellFormedMediaType } from 'src/http/body-decoding';
import { answerConnect, handleClientError } from 'src/http/client-errors';
import { GatewayLogger } from 'src/runtime/gateway-logger';

const LOG_LEVELS: Record<AppConfig['logLevel'], LogLevel[]> = {
  error: ['error', 'fatal'],
  warn: ['error', 'fatal', 'warn'],
  info: ['error', 'fatal', 'warn', 'log'],
  debug: ['error', 'fatal', 'warn', 'log', 'debug', 'verbose'],
};

/**
 * Fastify's schema compilers (ajv, fast-json-stringify: some 100 modules) loaded only when a route
 * declares a schema, which none does: idle memory (issue 14). Same compilers as Fastify's defaults.
 */
const LAZY_SCHEMA_COMPILERS = {
  buildValidator: (...args: unknown[]): unknown =>
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    (require('@fastify/ajv-compiler') as () => (...a: unknown[]) => unknown)()(...args),
  buildSerializer: (...args: unknown[]): unknown =>
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    (require('@fastify/fast-json-stringify-compiler') as () => (...a: unknown[]) => unknown)()(...args),
} as NonNullable<FastifyServerOptions['schemaController']>['compilersFactory'];

/**
 * Builds (but does not start) the gateway for a configuration: Fastify with one raw-buffer body
 * parser for every content type (pushes are parsed by the core, whatever their declared type),
 * the body limit, the HTTP_* head size and receive timeouts, request accounting, and the route prefix.
 */
export async function createApp(config: AppConfig): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    bodyLimit: config.bodyLimitBytes,
    ...serverLimitOptions(config.http),
    clientErrorHandler: handleClientError,
    routerOptions: { maxParamLength: 65536 },
    schemaController: { compilersFactory: LAZY_SCHEMA_COMPILERS },
    // The router rejects URLs whose escapes are not UTF-8 before any handler runs; answer in the
    // same plain-text style as every other client error.
    frameworkErrors: (error: FastifyError, _req: FastifyRequest, reply: FastifyReply) => {
      const message =
        error.code === 'FST_ERR_BAD_URL'
          ? 'invalid URL: percent-escapes must decode to valid UTF-8 (use @base64 for arbitrary grouping values)'
          : error.message;
      void reply
        .code(error.statusCode ?? 400)
        .type('text/plain; charset=utf-8')
        .header('X-Content-Type-Options', 'nosniff')
        .send(`${message}\n`);
    },
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config), adapter, {
    bodyParser: false,
    logger: new GatewayLogger({ logLevels: LOG_LEVELS[config.logLevel] }),
  });
  const fastify = app.getHttpAdapter().getInstance();
  fastify.server.on('connect', answerConnect);
  fastify.addHook('onRequest', (req: FastifyRequest, _reply: FastifyReply, done: () => void) => {
    const contentType = req.headers['content-type'];
    if (contentType !== undefined && !isWellFormedMediaType(contentType)) {
      delete req.headers['content-type'];
    }
    done();
  });
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: config.bodyLimitBytes }, (_req, body, done) => done(null, body));
  const metrics = app.get(GatewayMetrics);
  fastify.addHook('onResponse', (req: FastifyRequest, reply: FastifyReply, done: () => void) => {
    metrics.observeResponse(req, reply, config.routePrefix);
    done();
  });
  if (config.routePrefix !== '') {
    app.setGlobalPrefix(config.routePrefix);
  }
  return app;
}
