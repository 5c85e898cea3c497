// Which documentation snippets consumer.test.ts compiles: the extraction on its own, fast, so that
// a snippet the slow test silently skipped (a fence it does not recognise, a Markdown file it
// does not find) fails here.
import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import {
  documentedMarkdown,
  documentedSnippets,
  importedPackages,
  tsSnippets,
} from '../support/doc-snippets.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))

const MARKDOWN = [
  '# Title',
  '',
  '```ts',
  "import { activeSpan } from '@tracehop/core'",
  '```',
  '',
  '```sh',
  'npm test',
  '```',
  '',
  '```ts not-compiled',
  'app.use(middleware) // a fragment',
  '```',
  '',
  '1. In a list:',
  '',
  '   ```typescript',
  '   const answer = 42',
  '   ```',
  '',
].join('\n')

describe('documentation snippets', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'tracehop-snippets-'))
  after(() => rmSync(scratch, { recursive: true, force: true }))

  it('should take every ts and typescript block, indented ones dedented, and no other', () => {
    const snippets = tsSnippets('docs/guide.md', MARKDOWN)
    assert.deepEqual(
      snippets.map(({ line, code, compiled, fileName }) => ({ line, code, compiled, fileName })),
      [
        {
          line: 3,
          code: "import { activeSpan } from '@tracehop/core'\n",
          compiled: true,
          fileName: 'docs__guide.md.L3.ts',
        },
        {
          line: 11,
          code: 'app.use(middleware) // a fragment\n',
          compiled: false,
          fileName: 'docs__guide.md.L11.ts',
        },
        {
          line: 17,
          code: 'const answer = 42\n',
          compiled: true,
          fileName: 'docs__guide.md.L17.ts',
        },
      ],
    )
  })

  it('should find the root README, every package README and docs/ at any depth', () => {
    mkdirSync(join(scratch, 'packages', 'core'), { recursive: true })
    mkdirSync(join(scratch, 'packages', 'no-readme'), { recursive: true })
    mkdirSync(join(scratch, 'docs', 'guides'), { recursive: true })
    for (const file of ['README.md', 'packages/core/README.md', 'docs/a.md', 'docs/guides/b.md']) {
      writeFileSync(join(scratch, file), MARKDOWN)
    }
    writeFileSync(join(scratch, 'docs', 'notes.txt'), MARKDOWN)
    assert.deepEqual(documentedMarkdown(scratch), [
      'README.md',
      'docs/a.md',
      'docs/guides/b.md',
      'packages/core/README.md',
    ])
  })

  it('should name the packages the snippets import, for the install to add', () => {
    const code = [
      "import { trace } from '@opentelemetry/api'",
      'import {',
      '  BasicTracerProvider,',
      "} from '@opentelemetry/sdk-trace-base/build/src/index.js'",
      "import type { Span } from 'opentracing'",
      "import 'pino'",
      "export { default } from 'express'",
      "import fs from 'fs'",
      "import http from 'node:http'",
      "import { tracedFetch } from '@tracehop/fetch'",
      "import { local } from './local.js'",
      "export function setUp(name = 'GET') { return require('dd-trace') }",
      "// initGlobalTracer(require('lightstep-tracer'))",
    ].join('\n')
    const [snippet] = tsSnippets('README.md', `\`\`\`ts\n${code}\n\`\`\`\n`)
    assert.ok(snippet)
    assert.deepEqual(importedPackages([snippet]), [
      '@opentelemetry/api',
      '@opentelemetry/sdk-trace-base',
      'express',
      'opentracing',
      'pino',
    ])
  })

  it("should compile this repository's snippets, leaving out only a rare marked one", () => {
    const snippets = documentedSnippets(ROOT)
    const files = new Set(snippets.map((snippet) => snippet.file))
    for (const file of ['README.md', 'docs/how-it-works.md', 'packages/core/README.md']) {
      assert.ok(files.has(file), `${file} has TypeScript snippets`)
    }
    const marked = snippets.filter((snippet) => !snippet.compiled)
    assert.ok(
      marked.length * 4 <= snippets.length,
      `at most one snippet in four may be marked not-compiled: ${marked
        .map((snippet) => snippet.fileName)
        .join(', ')}`,
    )
  })
})
