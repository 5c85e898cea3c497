import express5 from 'express'
import express4 from 'express4'
import { describeServerContract } from '../../../test/contract/server-contract.js'
import { expressContractApp, type ExpressModule } from '../../../test/support/express-app.js'

describeServerContract('Express 5', expressContractApp(express5))
describeServerContract('Express 4', expressContractApp(express4 as unknown as ExpressModule))
