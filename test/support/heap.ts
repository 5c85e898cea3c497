// What the leak suites measure: the heap after a forced GC, and the listeners on kept-alive
// sockets.
import type http from 'node:http'
import type { Socket } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'

// The test runner gives no way to pass --expose-gc to one file; the flag can be set at run time.
setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

/** The heap in use after three forced collections. */
export async function heapAfterGc(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    gc()
    await sleep(20)
  }
  return process.memoryUsage().heapUsed
}

/** Listeners on each socket `agent` keeps alive. */
export function freeSocketListeners(agent: http.Agent): number[] {
  return Object.values(agent.freeSockets)
    .flat()
    .map((socket) => {
      const s = socket as Socket
      return s.eventNames().reduce((sum, name) => sum + s.listenerCount(name), 0)
    })
}
