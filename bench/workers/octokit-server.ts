/**
 * The peer for the webhook benchmark: @octokit/webhooks' Node middleware (verify the signature,
 * parse the JSON, dispatch to a no-op `push` handler) on node:http. Prints its port.
 */
import { createServer } from 'node:http'
import { createNodeMiddleware, Webhooks } from '@octokit/webhooks'

const webhooks = new Webhooks({ secret: process.env.WEBHOOK_SECRET ?? '' })
webhooks.on('push', () => {})
const middleware = createNodeMiddleware(webhooks, { path: '/webhooks/github' })
const server = createServer((req, res) => {
	void middleware(req, res)
})
server.listen(0, '127.0.0.1', () => {
	const address = server.address()
	console.log(`octokit listening on ${typeof address === 'object' && address ? address.port : 0}`)
})
process.on('SIGTERM', () => server.close(() => process.exit(0)))
