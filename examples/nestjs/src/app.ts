// A NestJS 11 app traced by tracehop on either of Nest's HTTP platforms. Tracing goes in where
// its hook runs before anything Nest adds, so that the span covers Nest's whole pipeline
// (middleware, guards, interceptors, pipes, the handler, exception filters): on Express, with
// app.use() right after NestFactory.create(), as Nest adds its body parsers, middleware and routes
// at init (which listen() runs); on Fastify, on the instance handed to Nest.
import 'reflect-metadata'
import {
  type ArgumentsHost,
  Catch,
  HttpException,
  type HttpServer,
  type INestApplication,
  type LoggerService,
  type LogLevel,
  type NestApplicationOptions,
} from '@nestjs/common'
import { BaseExceptionFilter, HttpAdapterHost, NestFactory } from '@nestjs/core'
import { ExpressAdapter, type NestExpressApplication } from '@nestjs/platform-express'
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify'
import type { TracerOption } from '@tracehop/core'
import { tracingErrorHandler, tracingMiddleware } from '@tracehop/express'
import { recordError, tracingPlugin } from '@tracehop/fastify'
import { tracedFetch } from '@tracehop/fetch'
import Fastify, { type FastifyInstance } from 'fastify'
import { ItemsModule } from './items.module.js'

export { startInventory, type Inventory } from './inventory.js'
export type { Item } from './items.service.js'

/** Nest's two HTTP platforms: `@nestjs/platform-express` (Express 5) or `-fastify` (Fastify 5). */
export type Platform = 'express' | 'fastify'

/** What createApp() builds. */
export interface AppOptions {
  /** The HTTP platform; default `express`. */
  platform?: Platform
  /** The inventory service's base URL (the next hop). */
  inventoryUrl: string
  /** The tracer for the server and client spans; default: opentracing's global tracer. */
  tracer?: TracerOption
  /** Nest's logger; default: Nest's own. `false` silences it (as the tests do). */
  logger?: LoggerService | LogLevel[] | false
}

/**
 * Builds the traced app, not yet listening: `await app.listen(port)` starts it. Routes are under
 * the global prefix `api`.
 */
export async function createApp(options: AppOptions): Promise<INestApplication> {
  const tracing = options.tracer === undefined ? {} : { tracer: options.tracer }
  const module = ItemsModule.forInventory({
    baseUrl: options.inventoryUrl,
    fetch: tracedFetch(fetch, tracing),
  })
  const nestOptions = nestApplicationOptions(options)
  let app: INestApplication
  if (options.platform === 'fastify') {
    // On the Fastify instance before Nest gets it: NestFactory.create() adds @fastify/middie's
    // request hook, and a plugin registered on the app after that would start the span only
    // after Nest's middleware has run.
    const instance = Fastify()
    await instance.register(tracingPlugin, tracing)
    app = await NestFactory.create<NestFastifyApplication>(
      module,
      new FastifyAdapter(forNest(instance)),
      nestOptions,
    )
  } else {
    const expressApp = await NestFactory.create<NestExpressApplication>(
      module,
      new ExpressAdapter(),
      nestOptions,
    )
    // First in Express's stack: Nest's body parsers and routes are added after it, at init.
    expressApp.use(tracingMiddleware(tracing))
    app = expressApp
  }
  // Nest answers every error itself: it never reaches Express's error middleware or Fastify's
  // error handler (and its onError hook).
  const platform = options.platform ?? 'express'
  app.useGlobalFilters(
    new RecordErrorFilter(app.get(HttpAdapterHost).httpAdapter, recorders[platform]),
  )
  app.setGlobalPrefix('api')
  return app
}

function nestApplicationOptions({ logger }: AppOptions): NestApplicationOptions {
  // eslint-disable-next-line @typescript-eslint/no-unsafe-class-instance-assignment -- Nest types its options as a class, and takes a plain object
  return logger === undefined ? {} : { logger }
}

// Nest 11 pins its own fastify (5.11) beside this repository's: their types differ, though Nest
// runs on either. With one copy installed, pass the instance as it is.
function forNest(instance: FastifyInstance): FastifyAdapterInstance {
  return instance as unknown as FastifyAdapterInstance
}

type FastifyAdapterInstance = ConstructorParameters<typeof FastifyAdapter>[0]

const recordExpressError = tracingErrorHandler()

type HttpArgumentsHost = ReturnType<ArgumentsHost['switchToHttp']>

/** How each platform records an error on the request's span. */
const recorders: Record<Platform, (error: unknown, http: HttpArgumentsHost) => void> = {
  express: (error, http) =>
    recordExpressError(error, http.getRequest(), http.getResponse(), () => undefined),
  fastify: (error, http) => recordError(http.getRequest(), error),
}

/**
 * Records an error Nest answers with a 5xx on the request's span (its error log then carries the
 * error itself: tracehop's Express error handler, or recordError() on Fastify), then answers as
 * Nest does. A 4xx HttpException is a handled answer, not a failure.
 */
@Catch()
class RecordErrorFilter extends BaseExceptionFilter {
  constructor(
    adapter: HttpServer,
    private readonly record: (error: unknown, http: HttpArgumentsHost) => void,
  ) {
    super(adapter)
  }

  override catch(exception: unknown, host: ArgumentsHost): void {
    const failed = !(exception instanceof HttpException) || exception.getStatus() >= 500
    if (failed) this.record(exception, host.switchToHttp())
    super.catch(exception, host)
  }
}
