// Behaviour parity: every scenario of scenarios/parity-express*.ts and scenarios/parity-fastify*.ts
// runs on both majors of its framework with and without tracing (installed as the README says), and
// scenarios/parity-clients.ts holds axios and fetch against their untraced selves. 0 differences
// allowed in status, header lines (the default configuration writes no response header at all, so
// none are set aside), body bytes, trailers and handler order.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { tracingErrorHandler, tracingMiddleware } from '@tracehop/express'
import { tracingPlugin } from '@tracehop/fastify'
import type { RecordingTracer } from '@tracehop/testing'
import express5 from 'express'
import express4 from 'express4'
import fastify5 from 'fastify'
import fastify4 from 'fastify4'
import { useEchoServer } from '../support/echo-server.js'
import type { ExpressModule } from '../support/express-app.js'
import type { FastifyModule } from '../support/fastify-app.js'
import { listen, listenFastify } from '../support/net.js'
import { arityScenarios } from './scenarios/parity-arity.js'
import { clientScenarios as clientCalls } from './scenarios/parity-clients.js'
import { expressResponseScenarios } from './scenarios/parity-express-responses.js'
import { expressRoutingScenarios, type ExpressScenario } from './scenarios/parity-express.js'
import { fastifyReplyScenarios } from './scenarios/parity-fastify-replies.js'
import { fastifyHookScenarios, type FastifyScenario } from './scenarios/parity-fastify.js'
import { differential, fixtures, type Mark, type ServerScenario } from './support/parity-harness.js'

const MIN_SCENARIOS = 60
const clientScenarios = [...clientCalls, ...arityScenarios]
const expressScenarios = [...expressRoutingScenarios, ...expressResponseScenarios]
const fastifyScenarios = [...fastifyHookScenarios, ...fastifyReplyScenarios]

function startExpress(express: ExpressModule, scenario: ExpressScenario) {
  return async (tracer: RecordingTracer | undefined, mark: Mark) => {
    const app = express()
    // 'test': the default error handler logs nothing (and shows err.stack, see below).
    app.set('env', 'test')
    if (tracer !== undefined) app.use(tracingMiddleware({ tracer }))
    await scenario.routes(app, mark, express)
    if (tracer !== undefined) app.use(tracingErrorHandler())
    scenario.errors?.(app, mark)
    return listen(app)
  }
}

function startFastify(fastify: FastifyModule, scenario: FastifyScenario) {
  return async (tracer: RecordingTracer | undefined, mark: Mark) => {
    const app = fastify({ forceCloseConnections: true })
    if (tracer !== undefined) await app.register(tracingPlugin, { tracer })
    await scenario.routes(app, mark, fastify)
    return listenFastify(app)
  }
}

type Start = Parameters<typeof differential>[0]

function describeServer<S extends ServerScenario<never, never>>(
  label: string,
  major: number,
  scenarios: readonly S[],
  start: (scenario: S) => Start,
): void {
  describe(`${label} ${major}`, () => {
    for (const scenario of scenarios) {
      if (scenario.majors !== undefined && !scenario.majors.includes(major)) continue
      it(scenario.name, async () => {
        // Express's default error page shows err.stack, and a stack lists the frames the error
        // went through, the tracing middleware's among them: where code ran, not what the app
        // answers. Errors made during the runs carry no frames, so the pages compare.
        const limit = Error.stackTraceLimit
        Error.stackTraceLimit = 0
        let runs: Awaited<ReturnType<typeof differential>>
        try {
          runs = await differential(start(scenario), scenario.probes)
        } finally {
          Error.stackTraceLimit = limit
        }
        const { plain, traced } = runs
        assert.deepEqual(traced.answers, plain.answers)
        assert.deepEqual(traced.order, plain.order)
      })
    }
  })
}

describe('behaviour parity with and without tracing', () => {
  before(() => fixtures.create())
  after(() => fixtures.remove())

  it(`should hold at least ${MIN_SCENARIOS} distinct scenarios`, () => {
    const total = expressScenarios.length + fastifyScenarios.length + clientScenarios.length
    assert.ok(total >= MIN_SCENARIOS, `${total} scenarios`)
    const names = [...expressScenarios, ...fastifyScenarios, ...clientScenarios].map((s) => s.name)
    assert.equal(new Set(names).size, names.length, 'scenario names are unique')
  })

  describeServer('Express', 5, expressScenarios, (s) => startExpress(express5, s))
  describeServer('Express', 4, expressScenarios, (s) => startExpress(express4 as never, s))
  describeServer('Fastify', 5, fastifyScenarios, (s) => startFastify(fastify5 as FastifyModule, s))
  describeServer('Fastify', 4, fastifyScenarios, (s) => startFastify(fastify4 as never, s))

  describe('axios, fetch, arity and rejections', () => {
    const echo = useEchoServer()
    for (const scenario of clientScenarios) it(scenario.name, () => scenario.check(echo))
  })
})
