import { after, before } from 'node:test'

/** Collects unhandled rejections and uncaught exceptions for the enclosing describe(). */
export function trapEscapes(): unknown[] {
  const escaped: unknown[] = []
  const onEscape = (error: unknown) => escaped.push(error)
  before(() => {
    process.on('unhandledRejection', onEscape)
    process.on('uncaughtException', onEscape)
  })
  after(() => {
    process.off('unhandledRejection', onEscape)
    process.off('uncaughtException', onEscape)
  })
  return escaped
}
