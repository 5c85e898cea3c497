// Checks each package as npm would publish it (`npm pack --dry-run --json`), after a build:
// - the tarball holds dist/, README.md, LICENSE, CHANGELOG.md and package.json, and nothing else
//   but a stub package.json per subpath export (`adapter/package.json`, for resolvers that read
//   no `exports`): no test file or test source, no TypeScript source, no tsconfig or build info;
// - every file package.json points at (main, module, types, exports) ships, and every source map
//   or `sourceMappingURL` that ships points at files that ship too;
// - LICENSE is the repository's; the metadata users and tools read is complete and consistent
//   (description, keywords, repository, homepage, bugs, license, engines, publishConfig), and
//   `@tracehop/*` dependencies pin the version each workspace package has;
// - README.md has the sections a user looks for (install with every required peer, usage,
//   options, guarantees, support with the engines floor, license), and its links into this
//   repository point at files and headings that exist.
// `npm publish --dry-run` of each package is scripts/release-dry-run.mjs.
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'

const REPO = 'https://github.com/tracehop/tracehop'
const ALLOWED_TOP = new Set(['README.md', 'LICENSE', 'CHANGELOG.md', 'package.json'])
const REQUIRED = ['README.md', 'LICENSE', 'CHANGELOG.md', 'package.json']
const FORBIDDEN = [
  [/(^|\/)(test|tests|__tests__|spec)\//, 'a test folder'],
  [/\.(test|spec)\.[cm]?[jt]sx?$/, 'a test file'],
  [/(^|\/)tsconfig[^/]*\.json$/, 'a tsconfig'],
  [/\.tsbuildinfo$/, 'TypeScript build info'],
  [/(?<!\.d)\.[cm]?tsx?$/, 'a TypeScript source (only .d.ts/.d.cts/.d.mts ship)'],
]

const rootManifest = JSON.parse(readFileSync('package.json', 'utf8'))
const license = readFileSync('LICENSE', 'utf8')
const names = readdirSync('packages').sort()
const versions = new Map(
  names.map((name) => {
    const { name: id, version } = JSON.parse(readFileSync(`packages/${name}/package.json`, 'utf8'))
    return [id, version]
  }),
)
const problems = []

for (const name of names) {
  const dir = `packages/${name}`
  const fail = (message) => problems.push(`${dir}: ${message}`)
  const manifest = JSON.parse(readFileSync(`${dir}/package.json`, 'utf8'))
  const [pack] = JSON.parse(
    execFileSync('npm', ['pack', '--dry-run', '--json', '--workspace', dir], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    }),
  )
  const files = new Set(pack.files.map((file) => file.path))
  console.log(`${manifest.name}: ${files.size} files, ${pack.size} bytes packed`)

  // What the tarball holds.
  const stubs = subpathStubs(manifest)
  for (const required of REQUIRED) if (!files.has(required)) fail(`the tarball lacks ${required}`)
  for (const stub of stubs) {
    if (!files.has(stub)) {
      fail(`the tarball lacks ${stub}, which resolvers that read no exports need`)
      continue
    }
    // Every field of a stub (main, browser, types) names a file.
    for (const target of Object.values(JSON.parse(readFileSync(join(dir, stub), 'utf8')))) {
      if (!files.has(join(stub, '..', target))) fail(`${stub} points at ${target}, not packed`)
    }
  }
  for (const path of files) {
    if (!path.startsWith('dist/') && !ALLOWED_TOP.has(path) && !stubs.includes(path)) {
      fail(`the tarball carries ${path}`)
    }
    for (const [pattern, what] of FORBIDDEN) {
      if (pattern.test(path)) fail(`the tarball carries ${what}: ${path}`)
    }
  }
  for (const target of entryPoints(manifest)) {
    if (!files.has(target.replace(/^\.\//, '')))
      fail(`package.json points at ${target}, not packed`)
  }
  for (const path of files) {
    if (path.endsWith('.map')) {
      const { sources = [] } = JSON.parse(readFileSync(join(dir, path), 'utf8'))
      for (const source of sources) {
        const shipped = join(path, '..', source)
        if (!files.has(shipped)) fail(`${path} maps ${source}, which is not packed`)
      }
    } else if (/\.[cm]?js$/.test(path)) {
      const url = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(readFileSync(join(dir, path), 'utf8'))
      if (url && !url[1].startsWith('data:') && !files.has(join(path, '..', url[1]))) {
        fail(`${path} points at ${url[1]}, which is not packed`)
      }
    }
  }
  if (existsSync(`${dir}/LICENSE`) && readFileSync(`${dir}/LICENSE`, 'utf8') !== license) {
    fail('LICENSE differs from the repository LICENSE (copy it again)')
  }

  // Metadata.
  if (manifest.private) fail('is private')
  if (typeof manifest.description !== 'string' || manifest.description.length < 20) {
    fail('needs a description')
  }
  if (!Array.isArray(manifest.keywords) || manifest.keywords.length < 3) fail('needs keywords')
  expectEqual(fail, 'repository', manifest.repository, {
    type: 'git',
    url: `git+${REPO}.git`,
    directory: dir,
  })
  expectEqual(fail, 'homepage', manifest.homepage, `${REPO}/tree/main/${dir}#readme`)
  expectEqual(fail, 'bugs', manifest.bugs, { url: `${REPO}/issues` })
  expectEqual(fail, 'license', manifest.license, 'MIT')
  expectEqual(fail, 'engines', manifest.engines, rootManifest.engines)
  expectEqual(fail, 'publishConfig', manifest.publishConfig, { access: 'public', provenance: true })
  for (const field of ['dependencies', 'peerDependencies', 'devDependencies']) {
    for (const [dep, range] of Object.entries(manifest[field] ?? {})) {
      if (versions.has(dep) && range !== versions.get(dep)) {
        fail(`${field}.${dep} is ${range}, but the workspace has ${versions.get(dep)}`)
      }
    }
  }

  // README.
  const readme = existsSync(`${dir}/README.md`) ? readFileSync(`${dir}/README.md`, 'utf8') : ''
  if (!readme.startsWith(`# ${manifest.name}\n`))
    fail(`README.md must start with # ${manifest.name}`)
  for (const heading of ['Install', 'Usage', 'What it guarantees', 'Support', 'License']) {
    if (!readme.includes(`\n## ${heading}\n`)) fail(`README.md lacks a "## ${heading}" section`)
  }
  const optional = manifest.peerDependenciesMeta ?? {}
  const peers = Object.keys(manifest.peerDependencies ?? {}).filter((p) => !optional[p]?.optional)
  const install = /^npm install (.*)$/m.exec(readme)?.[1].split(/\s+/) ?? []
  for (const required of [manifest.name, ...peers]) {
    if (!install.includes(required)) fail(`README.md's npm install line lacks ${required}`)
  }
  const support = readme.split('\n## Support\n')[1]?.split('\n## ')[0] ?? ''
  const floor = rootManifest.engines.node.replace(/^>=/, '')
  if (!support.includes(`Node.js ${floor}+`)) fail(`README.md's Support lacks "Node.js ${floor}+"`)
  if (!readme.includes('```ts\n')) fail('README.md has no TypeScript example')
  for (const link of readme.matchAll(/\]\((https:\/\/github\.com\/tracehop\/tracehop[^)\s]*)\)/g)) {
    const problem = brokenLink(link[1])
    if (problem) fail(`README.md links to ${link[1]}: ${problem}`)
  }
}

if (problems.length > 0) {
  console.error(`\n${problems.length} problem(s):\n- ${problems.join('\n- ')}`)
  process.exit(1)
}
console.log(`\nchecked ${names.length} packages: contents, metadata and READMEs as published`)

/** The stub package.json of each subpath export but ./package.json: `./adapter` has adapter/. */
function subpathStubs(manifest) {
  return Object.keys(manifest.exports ?? {})
    .filter((key) => key !== '.' && key !== './package.json')
    .map((key) => `${key.slice(2)}/package.json`)
}

/** Every file path a package.json field or export condition points at. */
function entryPoints(manifest) {
  const targets = []
  const walk = (value) => {
    if (typeof value === 'string') targets.push(value)
    else if (value && typeof value === 'object') Object.values(value).forEach(walk)
  }
  for (const field of ['main', 'module', 'types', 'exports']) walk(manifest[field])
  return targets.filter((target) => target.startsWith('./') || !target.includes(':'))
}

function expectEqual(fail, field, actual, expected) {
  if (JSON.stringify(actual) !== JSON.stringify(expected)) {
    fail(`${field} is ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`)
  }
}

/** Why a link into this repository's main branch is broken, or undefined when it is not. */
function brokenLink(url) {
  const [address, anchor] = url.split('#')
  const rest = address.slice(REPO.length).replace(/\/$/, '')
  let path = '.'
  if (rest.startsWith('/blob/main/') || rest.startsWith('/tree/main/')) path = rest.slice(11)
  else if (rest !== '' && rest !== '/issues') return 'not a link to a file on main'
  if (!existsSync(path)) return `${path} does not exist`
  if (anchor === undefined || anchor === 'readme') return undefined
  const markdown = path.endsWith('.md') ? path : join(path, 'README.md')
  if (!existsSync(markdown)) return `${markdown} does not exist`
  const slugs = readFileSync(markdown, 'utf8')
    .split('\n')
    .filter((line) => /^#{1,6} /.test(line))
    .map((line) =>
      line
        .replace(/^#+ /, '')
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\s_-]/gu, '')
        .replace(/\s/g, '-'),
    )
  return slugs.includes(anchor) ? undefined : `no heading #${anchor} in ${markdown}`
}
