// The built packages, as users load them: `require` gets the CommonJS build, `import` the ESM
// build, and both expose the same documented names, which are the values their type declarations
// promise (a class declared but not exported would compile in `instanceof` and throw at run time).
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'

const require = createRequire(import.meta.url)

const expected: Record<string, string[]> = {
  '@tracehop/core': [
    'TRACE_HEADERS',
    'activeSpan',
    'startActiveSpan',
    'traceHeaders',
    'traceIds',
    'withSpan',
  ],
  '@tracehop/core/adapter': [
    'REFUSED_CALLER',
    'createClientTracing',
    'createServerTracing',
    'isErrorInstance',
    'normalizeMethod',
    'redactUrl',
    'setContextStore',
    'warn',
  ],
  '@tracehop/express': ['tracingErrorHandler', 'tracingMiddleware'],
  '@tracehop/fastify': ['recordError', 'tracingPlugin'],
  '@tracehop/axios': ['registerTracingInterceptor'],
  '@tracehop/fetch': ['tracedFetch'],
  '@tracehop/otel': ['createOtelTracer'],
  '@tracehop/testing': [
    'RecordingSpan',
    'RecordingSpanContext',
    'RecordingTracer',
    'assertFinishedOnce',
    'criticalPath',
    'formatBaggage',
    'formatTraceParent',
    'groupByTrace',
    'parseBaggage',
    'parseTraceParent',
    'renderWaterfall',
    'selfTime',
    'slowestSpan',
    'traceTree',
  ],
}

describe('package exports', () => {
  for (const [name, names] of Object.entries(expected)) {
    it(`${name} should expose the same names to require and import`, async () => {
      const viaRequire = require(name) as Record<string, unknown>
      const viaImport = (await import(name)) as Record<string, unknown>
      assert.deepEqual(
        Object.keys(viaRequire)
          .filter((key) => key !== 'default')
          .sort(),
        names,
      )
      assert.deepEqual(
        Object.keys(viaImport)
          .filter((key) => key !== 'default')
          .sort(),
        names,
      )
      if (name === '@tracehop/fastify') {
        assert.equal(viaRequire.default, viaRequire.tracingPlugin)
        assert.equal(viaImport.default, viaImport.tracingPlugin)
      }
      const entry = name.endsWith('/adapter') ? 'adapter' : 'index'
      const cjs = require.resolve(name)
      const esm = fileURLToPath(import.meta.resolve(name))
      assert.match(cjs, new RegExp(`dist/${entry}\\.cjs$`))
      assert.match(esm, new RegExp(`dist/${entry}\\.js$`))
      assert.deepEqual(declaredValues(cjs.replace(/\.cjs$/, '.d.cts')), names)
      assert.deepEqual(declaredValues(esm.replace(/\.js$/, '.d.ts')), names)
    })
  }
})

describe('browser builds', () => {
  // Jest's jsdom environment requires with the `browser` condition; bundlers import with it.
  it('should serve the browser build to require and to import, with the same names', () => {
    const packages = [
      '@tracehop/core',
      '@tracehop/core/adapter',
      '@tracehop/fetch',
      '@tracehop/axios',
      '@tracehop/otel',
    ]
    const script = `
      import { createRequire } from 'node:module'
      const require = createRequire(process.cwd() + '/')
      const names = (module) => Object.keys(module).filter((key) => key !== 'default').sort()
      const seen = {}
      for (const name of ${JSON.stringify(packages)}) {
        seen[name] = {
          required: [require.resolve(name), names(require(name))],
          imported: [import.meta.resolve(name), names(await import(name))],
        }
      }
      console.log(JSON.stringify(seen))`
    const output = execFileSync(
      process.execPath,
      ['--conditions=browser', '--input-type=module', '-e', script],
      { encoding: 'utf8', cwd: fileURLToPath(new URL('../..', import.meta.url)) },
    )
    const seen = JSON.parse(output) as Record<
      string,
      { required: [string, string[]]; imported: [string, string[]] }
    >
    for (const name of packages) {
      const { required, imported } = seen[name] ?? assert.fail(name)
      assert.match(required[0], /\/dist\/browser\/[a-z]+\.cjs$/, name)
      assert.match(imported[0], /\/dist\/browser\/[a-z]+\.js$/, name)
      assert.deepEqual(required[1], imported[1], name)
      const nodeNames = expected[name]?.filter((key) => key !== 'createServerTracing')
      assert.deepEqual(imported[1], nodeNames, name)
    }
  })
})

// The names a declaration file exports as values (what `import { X }` may use as one), but
// `default`: type-only exports and type aliases left out.
function declaredValues(declarations: string): string[] {
  const program = ts.createProgram([declarations], { noEmit: true, skipLibCheck: true })
  const checker = program.getTypeChecker()
  const source = program.getSourceFile(declarations)
  const module = source === undefined ? undefined : checker.getSymbolAtLocation(source)
  assert.ok(module, `${declarations} is a module`)
  return checker
    .getExportsOfModule(module)
    .filter((symbol) => {
      if (symbol.name === 'default') return false
      const declaration = symbol.declarations?.[0]
      if (declaration !== undefined && ts.isExportSpecifier(declaration)) {
        if (declaration.isTypeOnly || declaration.parent.parent.isTypeOnly) return false
      }
      const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol
      return (target.flags & ts.SymbolFlags.Value) !== 0
    })
    .map((symbol) => symbol.name)
    .sort()
}
