// Checks each package as it would be published: publint (package.json and files) and
// arethetypeswrong (import and require both get the right code and types under each of
// TypeScript's module resolutions, `node10` too: the default of `module: commonjs`). The browser
// builds' resolution is test/integration/exports.test.ts's.
import { execSync } from 'node:child_process'
import { readdirSync } from 'node:fs'

for (const name of readdirSync('packages')) {
  const dir = `packages/${name}`
  console.log(`\n== ${dir}`)
  execSync(`npx publint --strict ${dir}`, { stdio: 'inherit' })
  execSync(`npx attw --pack ${dir}`, { stdio: 'inherit' })
}
