// What tracehop adds to a web application's bundle: an app that uses tracedFetch, and one that
// registers the axios interceptor, bundled for a browser as a bundler would, minified and gzipped.
// The budget counts tracehop's own code: opentracing (a peer the app already has) and axios stay
// out; the size with opentracing bundled is reported too. The bundle must also build without a
// warning, which it cannot if anything in it imports a Node built-in: esbuild's browser platform
// refuses those.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { gzipSync } from 'node:zlib'
import { bundleForBrowser } from '../support/browser-bundle.js'

// The target is 3 KB each; the budgets hold today's sizes so that growth fails here.
const APPS = {
  'core + fetch': {
    budget: 4782,
    source: `import { tracedFetch } from '@tracehop/fetch'
export const fetch = tracedFetch()`,
    framework: [],
  },
  'core + axios': {
    budget: 6355,
    source: `import axios from 'axios'
import { registerTracingInterceptor } from '@tracehop/axios'
export const unregister = registerTracingInterceptor(axios)`,
    framework: ['axios'],
  },
}

async function gzippedSize(source: string, external: string[]) {
  const bundle = await bundleForBrowser(source, { external, minify: true })
  assert.deepEqual(bundle.warnings, [], 'the browser bundle builds without warnings')
  const fromTracehop = bundle.inputs.filter((input) => /^packages\//.test(input))
  assert.ok(fromTracehop.length > 0, 'tracehop is in the bundle')
  for (const input of fromTracehop) {
    assert.match(input, /\/dist\/browser\//, `${input} is a browser build`)
  }
  return gzipSync(bundle.code).length
}

describe('browser bundle size', () => {
  for (const [app, { budget, source, framework }] of Object.entries(APPS)) {
    it(`${app} should add at most ${budget} bytes gzipped`, async (t) => {
      const own = await gzippedSize(source, ['opentracing', ...framework])
      const withOpentracing = await gzippedSize(source, framework)
      t.diagnostic(`${app}: ${own} bytes gzipped, ${withOpentracing} with opentracing bundled`)
      assert.ok(own <= budget, `${app}: ${own} bytes gzipped, over ${budget}`)
    })
  }
})
