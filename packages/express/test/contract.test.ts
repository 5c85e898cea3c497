import express5 from 'express'
import express4 from 'express4'
import { describeServerContract } from '../../../test/contract/server-contract.js'
import { expressContractApp, type ExpressModule } from '../../../test/support/express-app.js'

// Express cannot serve an HTTP/2 stream at all (http2.test.ts shows how it fails): it runs the
// contract on HTTP/1.1, over TLS and on an HTTP/2 server that allows HTTP/1.1 too.
const http1Only = { http2: false }
describeServerContract('Express 5', expressContractApp(express5), http1Only)
describeServerContract(
  'Express 4',
  expressContractApp(express4 as unknown as ExpressModule),
  http1Only,
)
