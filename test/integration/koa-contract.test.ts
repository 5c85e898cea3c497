// The Koa adapter of examples/koa, written only against @tracehop/core/adapter, held to the same
// server contract as @tracehop/express and @tracehop/fastify.
import { describeServerContract } from '../contract/server-contract.js'
import { koaContractApp } from '../support/koa-app.js'

describeServerContract('Koa', koaContractApp())
