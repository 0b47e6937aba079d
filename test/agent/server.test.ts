/** The agent's HTTP surface as the Worker meets it: auth, replay, limits, errors, health. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AGENT_CHECK_PATH } from '../../src/contracts/agent.ts'
import { signAgentRequest, signedHost } from '../../src/contracts/agent-signing.ts'
import { postCheck, rid, SECRET, startAgent, type TestAgent } from './helpers/agents.ts'
import { freePort, rawClient } from './helpers/net.ts'

const PREVIOUS = 'the-previous-secret-0123456789'
let agent: TestAgent

beforeAll(async () => {
	agent = await startAgent({
		name: 'node-auth',
		port: await freePort(),
		peers: [],
		env: {
			AGENT_SECRET_PREVIOUS: PREVIOUS,
			AGENT_MAX_BODY_BYTES: '2048',
			AGENT_MAX_TARGETS: '3',
			AGENT_HOSTNAMES: 'Tidegate-Agent.example.com',
		},
	})
}, 20_000)

afterAll(() => agent?.kill())

const body = () => ({ targets: [], requestId: rid() })

describe('request signatures', () => {
	it('accepts a signed request, and one signed with the previous secret', async () => {
		expect((await postCheck(agent.url, body())).status).toBe(200)
		expect((await postCheck(agent.url, body(), { secret: PREVIOUS })).status).toBe(200)
	})

	it('answers 401 to a missing or bad signature', async () => {
		const missing = await postCheck(agent.url, body(), { headers: {} })
		expect(missing.status).toBe(401)
		expect(missing.json).toMatchObject({ error: { code: 'unauthorized' } })
		const wrong = await postCheck(agent.url, body(), { secret: 'not-the-secret-0123456789' })
		expect(wrong.status).toBe(401)
		expect(JSON.stringify(wrong.json)).not.toMatch(/[0-9a-f]{64}/) // never echoes a hash
	})

	it('answers 401 when the body was changed after signing', async () => {
		const text = JSON.stringify(body())
		const headers = await signAgentRequest({
			secret: SECRET,
			method: 'POST',
			host: signedHost(agent.url),
			path: AGENT_CHECK_PATH,
			body: text,
		})
		const res = await postCheck(agent.url, text.replace('[]', '[ ]'), { headers })
		expect(res.status).toBe(401)
	})

	it('answers 401 to a stale or future timestamp', async () => {
		const now = Math.floor(Date.now() / 1000)
		const stale = await postCheck(agent.url, body(), { timestamp: now - 301 })
		expect(stale.status).toBe(401)
		expect(stale.json).toMatchObject({ error: { message: expect.stringContaining('timestamp') } })
		expect((await postCheck(agent.url, body(), { timestamp: now + 400 })).status).toBe(401)
		expect((await postCheck(agent.url, body(), { timestamp: now - 200 })).status).toBe(200)
	})

	it('answers 401 to a replayed request', async () => {
		const text = JSON.stringify(body())
		const headers = await signAgentRequest({
			secret: SECRET,
			method: 'POST',
			host: signedHost(agent.url),
			path: AGENT_CHECK_PATH,
			body: text,
		})
		expect((await postCheck(agent.url, text, { headers })).status).toBe(200)
		const replay = await postCheck(agent.url, text, { headers })
		expect(replay.status).toBe(401)
		expect(replay.json).toMatchObject({ error: { message: 'signature already used' } })
	})
})

describe('who a request is for (the signed host)', () => {
	it('accepts a request signed for its own address or for a name in AGENT_HOSTNAMES', async () => {
		expect((await postCheck(agent.url, body())).status).toBe(200)
		const viaTunnel = await postCheck(agent.url, body(), { host: 'tidegate-agent.example.com' })
		expect(viaTunnel.status).toBe(200)
	})

	it('answers 401 to a request signed for another agent, whatever Host header it carries', async () => {
		const res = await postCheck(agent.url, body(), { host: '10.42.1.7:8787' })
		expect(res.status).toBe(401)
		expect(res.json).toMatchObject({
			error: { code: 'unauthorized', message: expect.stringContaining('another agent') },
		})
		// The Host header plays no part: the agent checks the signature against its own names.
		const text = JSON.stringify(body())
		const headers = await signAgentRequest({
			secret: SECRET,
			method: 'POST',
			host: 'other-agent.example.com',
			path: AGENT_CHECK_PATH,
			body: text,
		})
		const lying = await new Promise<string>((resolve) => {
			void rawClient(agent.port).then((client) => {
				client.socket.write(
					`POST ${AGENT_CHECK_PATH} HTTP/1.1\r\nHost: other-agent.example.com\r\nContent-Type: application/json\r\nContent-Length: ${text.length}\r\nx-tidegate-timestamp: ${headers['x-tidegate-timestamp']}\r\nx-tidegate-signature: ${headers['x-tidegate-signature']}\r\nConnection: close\r\n\r\n${text}`,
				)
				void client.closed.then(() => resolve(client.received()))
			})
		})
		expect(lying).toMatch(/^HTTP\/1\.1 401 /)
	})

	it('answers 401 to the old scheme v1, saying so', async () => {
		const res = await postCheck(agent.url, body(), {
			headers: {
				'x-tidegate-timestamp': String(Math.floor(Date.now() / 1000)),
				'x-tidegate-signature': `sha256=${'0'.repeat(64)}`,
			},
		})
		expect(res.status).toBe(401)
		expect(res.json).toMatchObject({ error: { message: expect.stringContaining('v1') } })
	})
})

describe('signed answers', () => {
	it('signs every answer to an authenticated request, errors included, for that request', async () => {
		const good = await postCheck(agent.url, body())
		expect(good).toMatchObject({ status: 200, signed: true })
		const invalid = await postCheck(agent.url, `{"requestId": "${rid()}", "targets": [`)
		expect(invalid).toMatchObject({ status: 400, signed: true })
	})

	it('never signs an answer to a request that did not verify (no signing oracle)', async () => {
		const res = await fetch(`${agent.url}${AGENT_CHECK_PATH}`, {
			method: 'POST',
			headers: {
				'content-type': 'application/json',
				'x-tidegate-timestamp': String(Math.floor(Date.now() / 1000)),
				'x-tidegate-signature': `v2=${'0'.repeat(64)}`,
			},
			body: JSON.stringify(body()),
		})
		expect(res.status).toBe(401)
		expect(res.headers.get('x-tidegate-response-signature')).toBeNull()
	})
})

describe('limits and errors', () => {
	it('answers 413 to a body over the cap, before checking the signature', async () => {
		const big = JSON.stringify({ targets: [], requestId: rid(), pad: 'x'.repeat(4096) })
		const res = await postCheck(agent.url, big, { headers: {} })
		expect(res.status).toBe(413)
		expect(res.json).toMatchObject({ error: { code: 'payload_too_large' } })
	})

	it('answers 413 to a chunked body as soon as it passes the cap, and closes the connection', async () => {
		// No Content-Length: the body is counted as it streams (the shared capped reader).
		const client = await rawClient(agent.port)
		client.socket.write(
			`POST ${AGENT_CHECK_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`,
		)
		const chunk = `400\r\n${'x'.repeat(1024)}\r\n`
		for (let i = 0; i < 3 && !client.socket.destroyed; i++) {
			client.socket.write(chunk)
		}
		await client.closed
		expect(client.received()).toMatch(/^HTTP\/1\.1 413 /)
		expect(client.received()).toMatch(/\r\nconnection: close\r\n/i)
		expect(client.received()).toContain('"payload_too_large"')
	})

	it('answers 415 without a JSON content type', async () => {
		const res = await fetch(`${agent.url}${AGENT_CHECK_PATH}`, {
			method: 'POST',
			headers: { 'content-type': 'text/plain' },
			body: '{}',
		})
		expect(res.status).toBe(415)
	})

	it('answers 400 to signed bodies that are not JSON or not a check', async () => {
		expect((await postCheck(agent.url, '{"targets": [')).status).toBe(400)
		const invalid = await postCheck(agent.url, {
			targets: [{ name: 'x', host: 'a b', port: 1, probe: 'tcp' }],
			requestId: rid(),
		})
		expect(invalid.status).toBe(400)
		expect(invalid.json).toMatchObject({
			error: { message: expect.stringContaining('targets.0.host') },
		})
		const tooMany = await postCheck(agent.url, {
			targets: ['a', 'b', 'c', 'd'].map((name) => ({ name, host: 'h', port: 1, probe: 'tcp' })),
			requestId: rid(),
		})
		expect(tooMany.status).toBe(400)
	})

	it('answers 404 and 405 with the error envelope', async () => {
		const nf = await fetch(`${agent.url}/nope`)
		expect(nf.status).toBe(404)
		expect(await nf.json()).toEqual({ error: { code: 'not_found', message: 'no such endpoint' } })
		const get = await fetch(`${agent.url}${AGENT_CHECK_PATH}`)
		expect(get.status).toBe(405)
		expect(get.headers.get('allow')).toBe('POST')
	})

	it('serves /healthz without a signature, saying nothing internal', async () => {
		const res = await fetch(`${agent.url}/healthz`)
		expect(res.status).toBe(200)
		expect(await res.json()).toEqual({ status: 'ok' })
	})
})
