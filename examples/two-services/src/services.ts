import { setTimeout as sleep } from 'node:timers/promises'
import { startActiveSpan } from '@tracehop/core'
import { tracingErrorHandler, tracingMiddleware } from '@tracehop/express'
import { tracedFetch } from '@tracehop/fetch'
import express, { type Express } from 'express'
import type { Tracer } from 'opentracing'

const PRICES: Record<string, number> = { apple: 1.2, bread: 2.5, cheese: 7.9 }

/** The inventory service: prices one item; cheese is slow to look up. */
export function inventoryService(tracer: Tracer): Express {
  const app = express()
  app.use(tracingMiddleware({ tracer, onStart: ({ span }) => span.setTag('service', 'inventory') }))
  app.get('/items/:sku', async (req, res) => {
    await sleep(req.params.sku === 'cheese' ? 40 : 5)
    const price = PRICES[req.params.sku]
    if (price === undefined) res.status(404).json({ error: 'unknown item' })
    else res.json({ sku: req.params.sku, price })
  })
  app.use(tracingErrorHandler())
  return app
}

/** The checkout service: prices a cart by calling the inventory service once per item. */
export function checkoutService(tracer: Tracer, inventoryUrl: string): Express {
  const app = express()
  const service = (state: { span: { setTag(key: string, value: unknown): unknown } }) =>
    state.span.setTag('service', 'checkout')
  const fetch = tracedFetch(globalThis.fetch, { tracer, onStart: service })
  app.use(tracingMiddleware({ tracer, onStart: service }))
  app.get('/carts/:cart/total', async (req, res) => {
    const items = (typeof req.query.items === 'string' ? req.query.items : '')
      .split(',')
      .filter(Boolean)
    const prices: number[] = []
    for (const sku of items) {
      const response = await fetch(`${inventoryUrl}/items/${encodeURIComponent(sku)}`)
      const body = (await response.json()) as { price?: number }
      prices.push(body.price ?? 0)
    }
    const total = await startActiveSpan(
      'computeTotal',
      async (span) => {
        span.setTag('service', 'checkout')
        await sleep(2)
        return prices.reduce((sum, price) => sum + price, 0)
      },
      { tracer },
    )
    res.json({ cart: req.params.cart, total: Math.round(total * 100) / 100 })
  })
  app.use(tracingErrorHandler())
  return app
}
