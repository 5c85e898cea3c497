// `npm run release`: cuts a release of every changed package from a clean, up-to-date main
// (CONTRIBUTING.md, "Releasing"). In order, stopping at the first failure:
// 1. build, then `npm publish --dry-run` every package, so a package that cannot be published
//    stops the release before anything is tagged;
// 2. `lerna version` (lerna.json): the next version from the conventional commits since the last
//    tag, each changed package's CHANGELOG.md and the root one, the versions and `@tracehop/*`
//    pins, package-lock.json; one commit `chore(release): publish vX.Y.Z`, an annotated tag,
//    both pushed;
// 3. `lerna publish from-git`: publishes the packages whose version is tagged at HEAD (with
//    provenance: run it where npm can attest, GitHub Actions with `id-token: write`).
// Arguments go to `lerna version`: `npm run release -- --conventional-prerelease=next`, or an
// explicit version, `npm run release -- 1.0.0`. With CI set, lerna asks no questions.
import { spawnSync } from 'node:child_process'

const yes = process.env.CI ? ['--yes'] : []

function step(command, args) {
  console.log(`\n> ${[command, ...args].join(' ')}`)
  const result = spawnSync(command, args, { stdio: 'inherit' })
  if (result.status !== 0) {
    console.error(`\nrelease stopped: ${command} ${args.join(' ')} failed`)
    process.exit(result.status ?? 1)
  }
}

step('npm', ['run', 'build'])
step('node', ['scripts/release-dry-run.mjs'])
step('npx', ['lerna', 'version', ...yes, ...process.argv.slice(2)])
step('npx', ['lerna', 'publish', 'from-git', ...yes])
