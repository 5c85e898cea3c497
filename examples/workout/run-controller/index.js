// `node examples/workout/run-controller` runs the run-controller service: TypeScript through tsx, then its main().
import { register } from 'tsx/esm/api'

register()
const { main } = await import('../src/run-controller.ts')
await main()
