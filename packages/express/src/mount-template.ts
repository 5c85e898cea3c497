// The template of an Express 4 mount: its router keeps the text a mount matched and the values
// of its parameters, not the pattern (Express 5's router returns the pattern: router-walk.ts).
import type { Layer } from './router-walk.js'

// Express 4 keeps the matched text (`/orgs/acme`) and the values, not the pattern. The values
// alone cannot tell which segment each came from (`/orgs/orgs`), so the layer's own regexp is
// run again with match indices: each capture is the span its parameter matched, replaced by
// `:name`, or by `*` when unnamed (a `*` of the path). The text around the captures is the
// pattern's own only for a path that path-to-regexp compiled: a RegExp of the user's matches
// anything (`/^\/tenant\/\w+/` matched `/tenant/acme42`), so it is named by its source, as
// Express 5 names it.
export function parameterTemplate(
  layer: Layer,
  path: string,
  matched: string,
  params: unknown,
): string {
  const { regexp, keys } = layer
  if (!(regexp instanceof RegExp)) {
    return hasNamedParameter(params) ? substituteParams(matched, params) : matched
  }
  if (!isCompiledPath(regexp)) return String(regexp)
  // A literal path (`/api`, the usual mount) has no captures to find.
  if (Array.isArray(keys) && keys.length === 0) return matched
  const match = withIndices(regexp).exec(path)
  const spans = match?.indices
  if (match === null || spans === undefined) return String(regexp)
  const text = match[0]
  let template = ''
  let copiedTo = 0
  // Left to right by opening parenthesis: a capture nested in one already replaced is skipped.
  for (let group = 1; group < spans.length; group++) {
    const span = spans[group]
    if (span === undefined || span[0] < copiedTo) continue
    const name = (Array.isArray(keys) ? (keys[group - 1] as { name?: unknown }) : undefined)?.name
    template += `${text.slice(copiedTo, span[0])}${isNamed(name) ? `:${name}` : '*'}`
    copiedTo = span[1]
  }
  return template + text.slice(copiedTo)
}

// path-to-regexp 0.1 (Express 4) returns a RegExp path as it is, and compiles a string mounted
// with router.use() (not strict, not ending) to `^…\/?(?=\/|$)`, alternatives of an array
// joined by `|` (and wrapped in `(?:…)` up to 0.1.7). A RegExp of the user's that ends so
// passes for a string.
const COMPILED_END = '\\/?(?=\\/|$)'
const compiledPaths = new WeakMap<RegExp, boolean>()

function isCompiledPath(regexp: RegExp): boolean {
  let compiled = compiledPaths.get(regexp)
  if (compiled === undefined) {
    let source = regexp.source
    if (source.startsWith('(?:^') && source.endsWith(')')) source = source.slice(3, -1)
    const parts = source.split(COMPILED_END)
    compiled =
      parts.pop() === '' &&
      parts.every((part, index) => {
        const start = index === 0 ? '^' : '|^'
        return part.startsWith(start) && !part.includes('|^', start.length)
      })
    compiledPaths.set(regexp, compiled)
  }
  return compiled
}

const indexedRegexps = new WeakMap<RegExp, RegExp>()

function withIndices(regexp: RegExp): RegExp {
  let indexed = indexedRegexps.get(regexp)
  if (indexed === undefined) {
    indexed = new RegExp(regexp.source, regexp.flags.replace(/[dgy]/g, '') + 'd')
    indexedRegexps.set(regexp, indexed)
  }
  return indexed
}

// Unnamed captures (`*`, a RegExp's groups) are numbered.
function isNamed(name: unknown): name is string {
  return typeof name === 'string' && !/^\d+$/.test(name)
}

function hasNamedParameter(params: unknown): params is Record<string, unknown> {
  if (params === null || typeof params !== 'object') return false
  for (const name in params) if (isNamed(name)) return true
  return false
}

// A layer without a regexp to rerun (an unknown router): each value replaces the first segment
// after the previous one that equals it, which guesses wrong when a literal segment before it
// has the same text.
function substituteParams(matched: string, params: Record<string, unknown>): string {
  const segments = matched.split('/')
  let from = 1
  for (const [name, value] of Object.entries(params)) {
    if (typeof value !== 'string' || !isNamed(name)) continue
    for (let i = from; i < segments.length; i++) {
      if (decodeSegment(segments[i] as string) === value) {
        segments[i] = `:${name}`
        from = i + 1
        break
      }
    }
  }
  return segments.join('/')
}

function decodeSegment(segment: string): string {
  if (!segment.includes('%')) return segment
  try {
    return decodeURIComponent(segment)
  } catch {
    return segment
  }
}
