// What the route-name tests share: apps traced into one recording tracer, and the names of the
// spans of requests made to an app one after the other.
import assert from 'node:assert/strict'
import { tracingMiddleware } from '@tracehop/express'
import type { ExpressModule } from '../../../test/support/express-app.js'
import { finishedSpans, listen, send } from '../../../test/support/net.js'
import type { TestRecording } from '../../../test/support/recording-tracer.js'

type App = ReturnType<ExpressModule>

/** `tracedApp()` makes an app with the middleware first; `namesOf()` requests `paths` in order. */
export function spanNames(express: ExpressModule, recording: TestRecording) {
  const tracedApp = (): App => {
    const app = express()
    app.use(tracingMiddleware({ tracer: recording.tracer }))
    return app
  }
  // The names come back in the order of `paths`; each request must be answered 200.
  const namesOf = async (app: App, paths: string[]): Promise<string[]> => {
    recording.server = await listen(app)
    for (const [index, path] of paths.entries()) {
      assert.equal((await send(`${recording.server.url}${path}`)).status, 200, path)
      await finishedSpans(recording.tracer, index + 1)
    }
    return recording.tracer.finishedSpans().map((span) => span.operationName)
  }
  return { tracedApp, namesOf }
}
