/**
 * `GET /agent/egress-ip`: tells an in-cluster agent the public IP its request came from
 * (`CF-Connecting-IP`, set by Cloudflare's edge; locally by Miniflare from the client socket),
 * so each node's egress IP is known without a third party. The request must be signed with
 * AGENT_SECRET for this Worker's host (scheme v2, src/contracts/agent-signing.ts); the answer is
 * signed for that request. Stateless and read-only: it answers a caller its own address, so no
 * replay cache is kept (a replay learns nothing new).
 */
import { Hono } from 'hono'
import { AGENT_EGRESS_IP_PATH, agentEgressIpAnswerSchema } from '../../contracts/agent.ts'
import {
	AGENT_RESPONSE_SIGNATURE_HEADER,
	AGENT_SIGNATURE_HEADER,
	AGENT_TIMESTAMP_HEADER,
	signAgentResponse,
	verifyAgentRequest,
} from '../../contracts/agent-signing.ts'
import type { AppEnv } from '../app.ts'
import { AppError } from '../errors.ts'

export const agentRoutes = new Hono<AppEnv>().get(AGENT_EGRESS_IP_PATH, async (c) => {
	const deps = c.var.deps
	if (deps.agentSecret === undefined) {
		throw new AppError('unavailable', 'AGENT_SECRET is not configured')
	}
	const url = new URL(c.req.url)
	const auth = await verifyAgentRequest({
		secrets: [deps.agentSecret],
		hosts: [url.host],
		method: 'GET',
		path: `${url.pathname}${url.search}`,
		body: '',
		timestamp: c.req.header(AGENT_TIMESTAMP_HEADER),
		signature: c.req.header(AGENT_SIGNATURE_HEADER),
		nowSeconds: Math.floor(deps.now() / 1000),
	})
	if (!auth.ok) {
		throw new AppError('unauthorized', `agent signature refused (${auth.reason})`)
	}
	const answer = agentEgressIpAnswerSchema.safeParse({ ip: c.req.header('cf-connecting-ip') })
	if (!answer.success) {
		throw new AppError('unavailable', 'this request carries no CF-Connecting-IP')
	}
	const body = JSON.stringify(answer.data)
	const signature = await signAgentResponse({
		secret: auth.secret,
		requestSignature: auth.signature,
		status: 200,
		body,
	})
	return c.body(body, 200, {
		'content-type': 'application/json; charset=utf-8',
		'cache-control': 'no-store',
		[AGENT_RESPONSE_SIGNATURE_HEADER]: signature,
	})
})
