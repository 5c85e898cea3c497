// docs/guides/from-express-opentracing.md, the "after" side: an Express service that used
// express-opentracing's middleware, traced by @tracehop/express, its axios calls by @tracehop/axios.
import { registerTracingInterceptor } from '@tracehop/axios'
import { tracingErrorHandler, tracingMiddleware } from '@tracehop/express'
import axios from 'axios'
import express from 'express'
import type { Tracer } from 'opentracing'

/**
 * The users service: `GET /v1/users/:id` fetches the user's profile from `profilesUrl` with axios.
 * `tracer` defaults to opentracing's global tracer, as express-opentracing's did.
 */
export function createUsersApp(profilesUrl: string, tracer?: Tracer): express.Express {
  const tracing = tracer === undefined ? {} : { tracer }
  const profiles = axios.create({ baseURL: profilesUrl })
  registerTracingInterceptor(profiles, tracing) // the call is a child span; its context travels
  const app = express()
  app.use(tracingMiddleware({ ...tracing, traceResponseHeader: true })) // first, before routes
  const users = express.Router()
  users.get('/users/:id', async (req, res) => {
    req.span?.setTag('user.id', req.params.id) // the request's span, on req.span as before
    const { data } = await profiles.get<unknown>(`/profiles/${req.params.id}`)
    res.json(data)
  })
  app.use('/v1', users)
  app.use(tracingErrorHandler()) // after the routes: a thrown error is logged on the span
  const answerError: express.ErrorRequestHandler = (_error, _req, res, _next) => {
    res.status(502).json({ error: 'profiles unavailable' }) // your own error handler, as before
  }
  app.use(answerError)
  return app
}
