/** Probes run under one bounded pool per agent; a probe that cannot get a slot is `overloaded`. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Semaphore } from '../../agent/src/semaphore.ts'
import { agentCheckResponseSchema } from '../../src/contracts/agent.ts'
import { postCheck, rid, startAgent, type TestAgent } from './helpers/agents.ts'
import { blackholeServer, freePort, type TestServer } from './helpers/net.ts'

describe('Semaphore', () => {
	it('grants up to the limit, queues in order, and gives up after the wait budget', async () => {
		const s = new Semaphore(2)
		expect(await s.acquire(10)).toBe(true)
		expect(await s.acquire(10)).toBe(true)
		expect(s.active).toBe(2)
		const order: string[] = []
		const first = s.acquire(1000).then((ok) => order.push(`first:${ok}`))
		const second = s.acquire(1000).then((ok) => order.push(`second:${ok}`))
		expect(await s.acquire(20)).toBe(false) // nobody released within 20 ms
		s.release()
		s.release()
		await Promise.all([first, second])
		expect(order).toEqual(['first:true', 'second:true'])
		expect(s.active).toBe(2)
	})
})

describe('an agent with one probe slot', () => {
	let agent: TestAgent
	let silent: TestServer

	beforeAll(async () => {
		silent = await blackholeServer()
		agent = await startAgent({
			name: 'node-narrow',
			port: await freePort(),
			env: { AGENT_MAX_CONCURRENCY: '1' },
		})
	}, 20_000)

	afterAll(async () => {
		agent?.kill()
		await silent?.close()
	})

	it('runs one probe at a time; one that waits a whole timeout is overloaded (unknown)', async () => {
		const target = (name: string) => ({
			name,
			host: '127.0.0.1',
			port: silent.port,
			probe: 'tls' as const,
		})
		const res = await postCheck(agent.url, {
			targets: [target('first'), target('second')],
			timeoutMs: 300,
			requestId: rid(),
		})
		const body = agentCheckResponseSchema.parse(res.json)
		const results = body.nodes[0]?.results ?? []
		expect(results.map((r) => [r.target, r.error])).toEqual([
			['first', 'timeout'],
			['second', 'overloaded'],
		])
		expect(results[1]).toMatchObject({ ok: false, phase: 'queue', phases: {} })
	})
})
