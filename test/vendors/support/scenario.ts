// The vendor scenario: Express → axios → Fastify → fetch → Express on loopback, each service with
// its own tracer from the vendor under test. Four chains: baggage set at the edge and read on the
// last hop, a handled 4xx, a thrown error, and a client that gives up.
import { setTimeout as sleep } from 'node:timers/promises'
import { registerTracingInterceptor } from '@tracehop/axios'
import { activeSpan, type TracingOptions } from '@tracehop/core'
import { tracingErrorHandler, tracingMiddleware } from '@tracehop/express'
import { tracingPlugin } from '@tracehop/fastify'
import { tracedFetch } from '@tracehop/fetch'
import axios, { AxiosError } from 'axios'
import express, { type NextFunction, type Request, type Response } from 'express'
import fastify from 'fastify'
import type { Tracer } from 'opentracing'
import { abortAfter, listen, send, waitFor } from '../../support/net.js'

/** The services of the scenario, first to last. */
export const SERVICES = ['edge', 'planner', 'stock'] as const
export type ServiceName = (typeof SERVICES)[number]

/** What each chain of the scenario answered. */
export interface ScenarioResult {
  ok: { status: number; baggage: unknown }
  missing: { status: number }
  failing: { status: number }
  aborted: true
}

/** Runs the scenario with `tracerFor(service)`, and stops every server before returning. */
export async function runScenario(
  tracerFor: (service: ServiceName) => Tracer,
  options: Pick<TracingOptions, 'onError'> = {},
): Promise<ScenarioResult> {
  let stockFinished = 0
  const stockApp = express()
  stockApp.use(tracingMiddleware({ ...options, tracer: tracerFor('stock') }))
  stockApp.get('/stock/:sku', async (req, res) => {
    res.once('close', () => stockFinished++)
    if (req.params.sku === 'missing') {
      res.status(404).json({ error: 'no such item' })
      return
    }
    if (req.params.sku === 'boom') throw new Error('stock exploded')
    if (req.params.sku === 'slow') await sleep(300)
    res.json({ sku: req.params.sku, user: activeSpan()?.getBaggageItem('user') ?? null })
  })
  stockApp.use(tracingErrorHandler())
  stockApp.use((error: Error, _req: Request, res: Response, _next: NextFunction) => {
    res.status(500).json({ error: error.message })
  })
  const stock = await listen(stockApp)

  const planner = fastify({ forceCloseConnections: true })
  await planner.register(tracingPlugin, { ...options, tracer: tracerFor('planner') })
  const fetch = tracedFetch(globalThis.fetch, { ...options, tracer: tracerFor('planner') })
  planner.get<{ Params: { sku: string } }>('/plan/:sku', async (request, reply) => {
    const response = await fetch(`${stock.url}/stock/${request.params.sku}`)
    if (response.status === 404) return reply.code(404).send({ error: 'nothing to plan' })
    if (!response.ok) throw new Error(`stock answered ${response.status}`)
    return { plan: 'ok', stock: await response.json() }
  })
  await planner.listen({ port: 0, host: '127.0.0.1' })
  const address = planner.server.address()
  const plannerUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`

  const client = axios.create({ baseURL: plannerUrl })
  registerTracingInterceptor(client, { ...options, tracer: tracerFor('edge') })
  const edgeApp = express()
  edgeApp.use(tracingMiddleware({ ...options, tracer: tracerFor('edge') }))
  edgeApp.get('/orders/:sku', async (req, res) => {
    req.span?.setBaggageItem('user', 'u-123')
    try {
      const { data } = await client.get<{ stock: { user: unknown } }>(`/plan/${req.params.sku}`)
      res.json({ user: data.stock.user })
    } catch (error) {
      const status = error instanceof AxiosError ? (error.response?.status ?? 502) : 502
      res.status(status).json({ error: 'downstream failed' })
    }
  })
  const edge = await listen(edgeApp)

  try {
    const ok = await send(`${edge.url}/orders/ok`)
    const missing = await send(`${edge.url}/orders/missing`)
    const failing = await send(`${edge.url}/orders/boom`)
    await abortAfter(`${edge.url}/orders/slow`, 50)
    // The abandoned chain goes on downstream; wait until its last hop has answered.
    await waitFor(() => stockFinished === 4, 'the abandoned chain to finish downstream', 5000)
    await sleep(50)
    return {
      ok: { status: ok.status, baggage: (JSON.parse(ok.body) as { user: unknown }).user },
      missing: { status: missing.status },
      failing: { status: failing.status },
      aborted: true,
    }
  } finally {
    await edge.close()
    await planner.close()
    await stock.close()
  }
}
