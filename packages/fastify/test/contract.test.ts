import fastify5 from 'fastify'
import fastify4 from 'fastify4'
import { describeServerContract } from '../../../test/contract/server-contract.js'
import { contractApp, type FastifyModule } from './contract-app.js'

describeServerContract('Fastify 5', contractApp(fastify5 as FastifyModule))
describeServerContract('Fastify 4', contractApp(fastify4 as unknown as FastifyModule))
