import fastify5 from 'fastify'
import fastify4 from 'fastify4'
import { describeServerContract } from '../../../test/contract/server-contract.js'
import { fastifyContractApp, type FastifyModule } from '../../../test/support/fastify-app.js'

describeServerContract('Fastify 5', fastifyContractApp(fastify5 as FastifyModule))
describeServerContract('Fastify 4', fastifyContractApp(fastify4 as unknown as FastifyModule))
