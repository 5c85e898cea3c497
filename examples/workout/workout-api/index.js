// `node examples/workout/workout-api` runs the workout-api service: TypeScript through tsx, then its main().
import { register } from 'tsx/esm/api'

register()
const { main } = await import('../src/workout-api.ts')
await main()
