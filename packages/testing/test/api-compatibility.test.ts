// opentracing ships the checks every tracer implementation must pass; they are written for
// mocha's globals, so node:test's are lent to them for this file.
import { createRequire } from 'node:module'
import { beforeEach, describe, it } from 'node:test'
import { RecordingTracer } from '@tracehop/testing'

Object.assign(globalThis, { describe, it, beforeEach })
const require = createRequire(import.meta.url)
const { default: apiCompatibilityChecks } =
  require('opentracing/lib/test/api_compatibility.js') as {
    default: (createTracer: () => RecordingTracer) => void
  }

apiCompatibilityChecks(() => new RecordingTracer())
