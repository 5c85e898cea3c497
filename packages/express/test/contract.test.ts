import express5 from 'express'
import express4 from 'express4'
import { describeServerContract } from '../../../test/contract/server-contract.js'
import { contractApp, type ExpressModule } from './contract-app.js'

describeServerContract('Express 5', contractApp(express5))
describeServerContract('Express 4', contractApp(express4 as unknown as ExpressModule))
