// Checks each package as it would be published: publint (package.json and files) and
// arethetypeswrong (import and require both get the right code and types).
import { execSync } from 'node:child_process'
import { readdirSync } from 'node:fs'

for (const name of readdirSync('packages')) {
  const dir = `packages/${name}`
  console.log(`\n== ${dir}`)
  execSync(`npx publint --strict ${dir}`, { stdio: 'inherit' })
  execSync(`npx attw --pack ${dir} --profile node16`, { stdio: 'inherit' })
}
