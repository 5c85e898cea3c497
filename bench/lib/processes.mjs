// Child processes with an IPC channel, pinned to a core with taskset where it exists.
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import process from 'node:process'

const TASKSET = '/usr/bin/taskset'
export const canPin = existsSync(TASKSET)

/** A Node child running `script`, on `core` when pinning is possible; `stdout`: 'inherit' or 'pipe'. */
export function startNode(script, { core, env = {}, nodeArgs = [], stdout = 'inherit' } = {}) {
  const args = [...nodeArgs, script]
  const [command, commandArgs] =
    canPin && core !== undefined
      ? [TASKSET, ['-c', String(core), process.execPath, ...args]]
      : [process.execPath, args]
  const child = spawn(command, commandArgs, {
    env: { ...process.env, ...env },
    stdio: ['ignore', stdout, 'inherit', 'ipc'],
  })
  const exited = new Promise((resolve) => child.once('exit', resolve))
  return {
    child,
    /** Resolves with the next message of `type`; rejects if the child exits first. */
    next(type) {
      return new Promise((resolve, reject) => {
        const onMessage = (message) => {
          if (message.type !== type) return
          cleanup()
          resolve(message)
        }
        const onExit = (code) => {
          cleanup()
          reject(new Error(`${script} exited (${code}) before sending '${type}'`))
        }
        const cleanup = () => {
          child.off('message', onMessage)
          child.off('exit', onExit)
        }
        child.on('message', onMessage)
        child.once('exit', onExit)
      })
    },
    /** Sends `message` and resolves with the answer of type `answer`. */
    ask(message, answer) {
      const reply = this.next(answer)
      child.send(message)
      return reply
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
      await exited
    },
  }
}
