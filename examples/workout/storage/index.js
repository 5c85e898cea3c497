// `node examples/workout/storage` runs the storage service: TypeScript through tsx, then its main().
import { register } from 'tsx/esm/api'

register()
const { main } = await import('../src/storage.ts')
await main()
