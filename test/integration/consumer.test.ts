// The packages as a user gets them from the registry: every package packed with `npm pack`,
// installed with npm into an application outside the workspace (under the system's temp folder)
// together with its peers from the registry, at the versions the root lockfile holds. The
// application (test/support/consumer-app.ts) is compiled by a strict TypeScript, without
// skipLibCheck, under `module: nodenext` as ESM and as CommonJS and under
// `moduleResolution: bundler`, then run on the Node that runs this test: one trace across
// Express → axios → Fastify → fetch → Express. Every TypeScript snippet of the documentation
// (the root README, the packages' READMEs, docs/**/*.md: test/support/doc-snippets.ts) is
// compiled against the same install. Takes about a minute per Node line, most of it the install
// (npm's cache is used first: `--prefer-offline`).
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { documentedSnippets, importedPackages } from '../support/doc-snippets.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const PACKAGES = readdirSync(join(ROOT, 'packages')).sort()
/** The documentation's snippets that are compiled (not marked `not-compiled`). */
const SNIPPETS = documentedSnippets(ROOT).filter((snippet) => snippet.compiled)

/**
 * What a user installs beside the packages: their peers, and what the app uses. The packages the
 * documentation's snippets import are added to these (with their `@types` when the lockfile has
 * them), so a snippet that uses a package the repository does not lock fails here by name.
 */
const PEERS = [
  'express',
  '@types/express',
  'fastify',
  'fastify-plugin',
  'axios',
  'opentracing',
  '@opentelemetry/api',
  '@opentelemetry/context-async-hooks',
  '@opentelemetry/core',
  '@opentelemetry/sdk-trace-base',
  '@opentelemetry/sdk-trace-web',
  'typescript',
  '@types/node',
]

/** The strict compiler options a careful user has; `skipLibCheck: false` checks our types too. */
const STRICT = {
  target: 'ES2022',
  lib: ['ES2022'],
  types: ['node'],
  strict: true,
  exactOptionalPropertyTypes: true,
  noUncheckedIndexedAccess: true,
  noImplicitOverride: true,
  noImplicitReturns: true,
  noFallthroughCasesInSwitch: true,
  noUnusedLocals: true,
  noUnusedParameters: true,
  esModuleInterop: true,
  skipLibCheck: false,
  rootDir: '.',
  outDir: 'out',
}

const VARIANTS = [
  {
    name: 'ESM under module: nodenext',
    dir: 'esm',
    type: 'module',
    options: { module: 'nodenext', moduleResolution: 'nodenext' },
  },
  {
    name: 'CommonJS under module: nodenext',
    dir: 'cjs',
    type: 'commonjs',
    options: { module: 'nodenext', moduleResolution: 'nodenext' },
  },
  {
    name: 'moduleResolution: bundler',
    dir: 'bundler',
    type: 'module',
    options: { module: 'esnext', moduleResolution: 'bundler' },
  },
] as const

/** The environment without the npm_* variables of the `npm test` that may be running us. */
function cleanEnv(): NodeJS.ProcessEnv {
  const keep = new Set(['npm_config_cache', 'npm_config_registry', 'npm_config_userconfig'])
  return Object.fromEntries(
    Object.entries(process.env).filter(
      ([key]) => !key.toLowerCase().startsWith('npm_') || keep.has(key.toLowerCase()),
    ),
  )
}

/** Runs a command to completion; throws with its output when it fails. */
function run(command: string, args: string[], cwd: string, timeout = 180_000): string {
  const result = spawnSync(command, args, { cwd, env: cleanEnv(), encoding: 'utf8', timeout })
  if (result.status !== 0) {
    const how = result.error ? String(result.error) : `exit ${String(result.status)}`
    throw new Error(
      `${command} ${args.join(' ')} (in ${cwd}) failed: ${how}\n${result.stdout}\n${result.stderr}`,
    )
  }
  return result.stdout
}

function writeJson(file: string, value: unknown): void {
  writeFileSync(file, JSON.stringify(value, null, 2) + '\n')
}

interface Summary {
  traceId: string
  spans: Array<{
    name: string
    component: string | undefined
    traceId: string
    spanId: string
    parentId: string | undefined
  }>
}

describe('the packages as a user installs them from the registry', { timeout: 300_000 }, () => {
  let work = ''
  let app = ''

  before(
    () => {
      for (const name of PACKAGES) {
        assert.ok(existsSync(join(ROOT, 'packages', name, 'dist')), `build first: packages/${name}`)
      }
      work = mkdtempSync(join(tmpdir(), 'tracehop-consumer-'))
      app = join(work, 'app')
      const tarballs = join(work, 'tarballs')
      mkdirSync(app)
      mkdirSync(tarballs)
      const packed = JSON.parse(
        run(
          'npm',
          [
            'pack',
            '--json',
            '--pack-destination',
            tarballs,
            ...PACKAGES.flatMap((name) => ['--workspace', `packages/${name}`]),
          ],
          ROOT,
        ),
      ) as Array<{ name: string; filename: string }>
      assert.equal(packed.length, PACKAGES.length)

      const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
        packages: Record<string, { version?: string }>
      }
      const dependencies: Record<string, string> = {}
      for (const { name, filename } of packed) dependencies[name] = `file:../tarballs/${filename}`
      const imported = importedPackages(SNIPPETS)
      const types = imported
        .map((name) => `@types/${name.replace(/^@(.*)\//, '$1__')}`)
        .filter((name) => lock.packages[`node_modules/${name}`] !== undefined)
      for (const name of new Set([...PEERS, ...imported, ...types])) {
        const version = lock.packages[`node_modules/${name}`]?.version
        assert.ok(version, `${name} is in the root package-lock.json`)
        dependencies[name] = version
      }
      writeJson(join(app, 'package.json'), {
        name: 'tracehop-consumer',
        version: '1.0.0',
        private: true,
        dependencies,
      })
      run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund'], app, 240_000)
    },
    { timeout: 270_000 },
  )

  after(() => {
    if (work !== '') rmSync(work, { recursive: true, force: true })
  })

  it('should install with every peer satisfied and one copy of core', () => {
    run('npm', ['ls', '--all'], app) // exits non-zero on a missing, invalid or extraneous package
    for (const name of PACKAGES) {
      const nested = join(app, 'node_modules', '@tracehop', name, 'node_modules')
      assert.ok(!existsSync(join(nested, '@tracehop')), `@tracehop/${name} got its own core`)
      assert.ok(
        !existsSync(join(nested, 'opentracing')),
        `@tracehop/${name} got its own opentracing`,
      )
    }
  })

  for (const variant of VARIANTS) {
    it(`should compile strictly as ${variant.name} and carry one trace across four hops`, () => {
      const dir = join(app, variant.dir)
      mkdirSync(dir)
      writeJson(join(dir, 'package.json'), { type: variant.type })
      writeJson(join(dir, 'tsconfig.json'), {
        compilerOptions: { ...STRICT, ...variant.options },
        include: ['app.ts'],
      })
      copyFileSync(join(ROOT, 'test', 'support', 'consumer-app.ts'), join(dir, 'app.ts'))
      run(process.execPath, [join(app, 'node_modules/typescript/bin/tsc'), '-p', dir], dir)

      const output = run(process.execPath, [join(dir, 'out', 'app.js')], dir, 60_000)
      const line = output.split('\n').find((text) => text.startsWith('RESULT '))
      assert.ok(line, `no RESULT line in:\n${output}`)
      const { traceId, spans } = JSON.parse(line.slice('RESULT '.length)) as Summary
      assert.deepEqual(
        spans.map((span) => [span.component, span.name.replace(/:\d+$/, ':<port>')]),
        [
          ['consumer', 'GET 127.0.0.1:<port>'],
          ['express', 'GET /orders/:sku'],
          ['axios', 'GET 127.0.0.1:<port>'],
          ['fastify', 'GET /plan/:sku'],
          ['fetch', 'GET 127.0.0.1:<port>'],
          ['express', 'GET /stock/:sku'],
          [undefined, 'lookup'],
        ],
      )
      spans.forEach((span, n) => {
        assert.equal(span.traceId, traceId)
        assert.equal(span.parentId, n === 0 ? undefined : spans[n - 1]?.spanId)
      })
    })
  }

  it('should compile every TypeScript snippet of the documentation', () => {
    const dir = join(app, 'snippets')
    mkdirSync(dir)
    writeJson(join(dir, 'package.json'), { type: 'module' })
    for (const snippet of SNIPPETS) writeFileSync(join(dir, snippet.fileName), snippet.code)
    const documented = new Set(SNIPPETS.map((snippet) => snippet.file))
    for (const readme of ['README.md', ...PACKAGES.map((name) => `packages/${name}/README.md`)]) {
      assert.ok(documented.has(readme), `${readme} has a compiled TypeScript snippet`)
    }
    writeJson(join(dir, 'tsconfig.json'), {
      compilerOptions: {
        ...STRICT,
        module: 'nodenext',
        moduleResolution: 'nodenext',
        noUnusedLocals: false,
        noEmit: true,
        // Each snippet is a module of its own, with or without an import.
        moduleDetection: 'force',
      },
      include: ['*.ts'],
    })
    run(process.execPath, [join(app, 'node_modules/typescript/bin/tsc'), '-p', dir], dir)
  })
})
