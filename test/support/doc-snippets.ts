// The TypeScript snippets of the documentation a user reads: the root README, every package's
// README and every Markdown file under docs/ (subfolders included). test/integration/consumer.test.ts
// compiles each one against the packed packages, so a snippet cannot drift from the API.
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { join, sep } from 'node:path'

/**
 * Fence info word that keeps a snippet out of the compilation: ```` ```ts not-compiled ````.
 * For the rare snippet that cannot stand alone (a fragment of a file shown elsewhere); GitHub
 * still highlights it as TypeScript.
 */
export const NOT_COMPILED = 'not-compiled'

/** One ```ts block of a Markdown file. */
export interface Snippet {
  /** The Markdown file, relative to the repository root, with `/` separators. */
  readonly file: string
  /** Line of the opening fence in that file (1-based). */
  readonly line: number
  /** The code between the fences. */
  readonly code: string
  /** False for a block marked `not-compiled`. */
  readonly compiled: boolean
  /**
   * A file name for the snippet that leads back to it: `docs__tracers.md.L42.ts` is the block
   * whose fence is line 42 of docs/tracers.md, so a compiler error at line n is at line 42 + n.
   */
  readonly fileName: string
}

/** The Markdown files whose snippets are compiled, relative to `root`, sorted. */
export function documentedMarkdown(root: string): string[] {
  const files = ['README.md']
  for (const name of readdirSync(join(root, 'packages'))) {
    if (existsSync(join(root, 'packages', name, 'README.md'))) {
      files.push(`packages/${name}/README.md`)
    }
  }
  if (existsSync(join(root, 'docs'))) {
    for (const entry of readdirSync(join(root, 'docs'), { recursive: true })) {
      const path = String(entry)
      if (path.endsWith('.md')) files.push(`docs/${path.split(sep).join('/')}`)
    }
  }
  return files.sort()
}

// A fence may be indented (inside a list item); its closing fence has the same indent.
const FENCE = /^([ \t]*)```(?:ts|typescript)\b([^\n]*)\n([\s\S]*?)^\1```[ \t]*$/gm

/** The ```ts (or ```typescript) blocks of `markdown`, which came from `file`. */
export function tsSnippets(file: string, markdown: string): Snippet[] {
  return [...markdown.matchAll(FENCE)].map((match) => {
    const line = markdown.slice(0, match.index).split('\n').length
    const indent = match[1] ?? ''
    const flags = (match[2] ?? '').trim().split(/\s+/)
    const code = (match[3] ?? '')
      .split('\n')
      .map((text) => (text.startsWith(indent) ? text.slice(indent.length) : text))
      .join('\n')
    return {
      file,
      line,
      code,
      compiled: !flags.includes(NOT_COMPILED),
      fileName: `${file.replaceAll('/', '__')}.L${String(line)}.ts`,
    }
  })
}

/** Every TypeScript snippet of the documented Markdown files under `root`, marked ones included. */
export function documentedSnippets(root: string): Snippet[] {
  return documentedMarkdown(root).flatMap((file) =>
    tsSnippets(file, readFileSync(join(root, file), 'utf8')),
  )
}

// `import … from 'x'`, `export … from 'x'` and `import 'x'` at the start of a line (across lines
// for a multi-line import list); a declaration (`export function f(`, `export const a =`) is not.
const IMPORT = /^[ \t]*(?:(?:import|export)\b[^;'"()=]*?\bfrom|import)\s*['"]([^'"]+)['"]/gm

/**
 * The npm packages `snippets` import, sorted: `@scope/name` or `name`, without Node's built-ins
 * (`node:` ones included) and without tracehop's own packages, which are installed anyway.
 */
export function importedPackages(snippets: readonly Snippet[]): string[] {
  const names = new Set<string>()
  for (const { code } of snippets) {
    for (const [, specifier = ''] of code.matchAll(IMPORT)) {
      if (specifier.startsWith('.') || specifier.startsWith('node:')) continue
      const parts = specifier.split('/')
      const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? '')
      if (name.startsWith('@tracehop/') || builtinModules.includes(name)) continue
      names.add(name)
    }
  }
  return [...names].sort()
}
