// `npm publish --dry-run` of every package, after a build: what a release would do to each one,
// short of uploading it, so a package that cannot be published fails CI before a release is cut.
// It needs no registry login and no network: `--force` skips npm's look-up of the versions
// already published (the version on main usually is; `lerna publish` refuses a published version
// itself). It fails on an error (a private package, a broken manifest, a failing prepublishOnly,
// prepack or postpack script), on a warning other than the expected ones (npm auto-correcting
// package.json, say), and unless npm would publish with public access, as publishConfig says.
// What the tarballs contain is scripts/check-packs.mjs's job.
import { spawnSync } from 'node:child_process'
import { readdirSync } from 'node:fs'

const EXPECTED_WARNINGS = [
  /using --force/,
  /Recommended protections disabled/,
  /This command requires you to be logged in/,
]
const problems = []

for (const name of readdirSync('packages').sort()) {
  const dir = `packages/${name}`
  const result = spawnSync(
    'npm',
    ['publish', '--dry-run', '--force', '--workspace', dir, '--loglevel', 'notice'],
    { encoding: 'utf8' },
  )
  const output = `${result.stdout}\n${result.stderr}`
  const published = /^\+ (\S+)$/m.exec(result.stdout)?.[1]
  if (result.status !== 0) {
    problems.push(`${dir}: npm publish --dry-run failed (exit ${result.status}):\n${output}`)
    continue
  }
  const warnings = output
    .split('\n')
    .filter((line) => /^npm warn/i.test(line))
    .filter((line) => !EXPECTED_WARNINGS.some((expected) => expected.test(line)))
  if (warnings.length > 0) problems.push(`${dir}: unexpected warnings:\n${warnings.join('\n')}`)
  if (!/with tag \S+ and public access \(dry-run\)/.test(output)) {
    problems.push(`${dir}: npm would not publish it with public access:\n${output}`)
  }
  if (published === undefined) problems.push(`${dir}: npm did not report what it would publish`)
  else console.log(`${published}: would publish (dry run)`)
}

if (problems.length > 0) {
  console.error(`\n${problems.join('\n\n')}`)
  process.exit(1)
}
