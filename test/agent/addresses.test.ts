/**
 * The agent refuses to probe link-local and cloud metadata addresses, checked on the resolved
 * addresses, unless its operator allows them (AGENT_ALLOW_ADDRESSES): whoever pushes
 * tidegate.yaml must not be able to aim it at the node's instance credentials.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addressPolicy, parseRange } from '../../agent/src/addresses.ts'
import { runProbe } from '../../agent/src/probes/run.ts'
import { agentCheckResponseSchema } from '../../src/contracts/agent.ts'
import { postCheck, rid, startAgent, type TestAgent } from './helpers/agents.ts'
import { freePort } from './helpers/net.ts'

describe('the address policy', () => {
	const policy = addressPolicy()
	const REFUSED = [
		['169.254.169.254', 'AWS, GCP, Azure, DigitalOcean, OpenStack, Oracle metadata'],
		['169.254.170.2', 'ECS task credentials'],
		['169.254.0.23', 'Tencent Cloud metadata'],
		['fe80::1', 'IPv6 link-local'],
		['fd00:ec2::254', 'AWS metadata over IPv6'],
		['fd20:ce::254', 'Google Cloud metadata over IPv6'],
		['100.100.100.200', 'Alibaba Cloud metadata'],
		['168.63.129.16', 'Azure WireServer'],
		['192.0.0.192', 'Oracle Cloud Classic metadata'],
		['::ffff:169.254.169.254', 'IPv4-mapped'],
		['64:ff9b::a9fe:a9fe', 'NAT64'],
	] as const
	const ALLOWED = [
		'127.0.0.1',
		'10.42.0.7',
		'192.168.2.10',
		'203.0.113.7',
		'::1',
		'2001:db8::1',
		'fd00:ec2::253',
		'100.100.100.201',
	]

	for (const [address, what] of REFUSED) {
		it(`refuses ${address} (${what})`, () => {
			expect(policy.refusal(address)).toMatch(/link-local|metadata|WireServer/)
		})
	}

	it('lets every other address through', () => {
		expect(ALLOWED.map((a) => [a, policy.refusal(a)])).toEqual(ALLOWED.map((a) => [a, null]))
	})

	it('lets the operator allow given ranges, and only those', () => {
		const ranges = ['169.254.169.254', 'fe80::/10'].map((r) => parseRange(r))
		expect(ranges).not.toContain(undefined)
		const allowing = addressPolicy(ranges.filter((r) => r !== undefined))
		expect(allowing.refusal('169.254.169.254')).toBeNull()
		expect(allowing.refusal('::ffff:169.254.169.254')).toBeNull()
		expect(allowing.refusal('fe80::1')).toBeNull()
		expect(allowing.refusal('169.254.169.253')).toMatch(/link-local/)
		expect(allowing.refusal('fd00:ec2::254')).toMatch(/metadata/)
		expect(parseRange('169.254.0.0/33')).toBeUndefined()
		expect(parseRange('metadata.google.internal')).toBeUndefined()
	})
})

describe('a probe of a refused address', () => {
	it('is refused before any connection, as blocked-address', async () => {
		const r = await runProbe(
			{ name: 'imds', host: '169.254.169.254', port: 80, probe: 'http' },
			800,
		)
		expect(r).toMatchObject({ ok: false, error: 'blocked-address', phase: 'dns', phases: {} })
		expect(r.message).toContain('AGENT_ALLOW_ADDRESSES')
		expect(r.latencyMs).toBeLessThan(50)
	})

	it('is refused when a name resolves to one: the check runs on the resolved addresses', async () => {
		// A policy that refuses loopback stands in for a name pointed at 169.254.169.254.
		const loopbackRefused = {
			refusal: (a: string) => (a === '127.0.0.1' || a === '::1' ? `${a} is refused` : null),
		}
		const r = await runProbe({ name: 'db', host: 'localhost', port: 5432, probe: 'tcp' }, 800, {
			addresses: loopbackRefused,
		})
		expect(r).toMatchObject({ ok: false, error: 'blocked-address', phase: 'dns' })
		expect(r.message).toMatch(/^localhost resolves to (127\.0\.0\.1|::1): /)
		expect(r.phases.dns).toBeGreaterThanOrEqual(0)
		expect(r.phases.connect).toBeUndefined()
	})
})

describe('agents as processes', () => {
	let strict: TestAgent
	let allowing: TestAgent

	beforeAll(async () => {
		;[strict, allowing] = await Promise.all([
			startAgent({ name: 'node-strict', port: await freePort() }),
			startAgent({
				name: 'node-allowing',
				port: await freePort(),
				env: { AGENT_ALLOW_ADDRESSES: '169.254.169.254/32, fd00:ec2::254' },
			}),
		])
	}, 20_000)

	afterAll(() => {
		strict?.kill()
		allowing?.kill()
	})

	const targets = [
		{ name: 'imds', host: '169.254.169.254', port: 80, probe: 'http' as const },
		{ name: 'imds-v6', host: 'fd00:ec2::254', port: 80, probe: 'tcp' as const },
	]

	it('refuse metadata targets by default', async () => {
		const res = await postCheck(strict.url, { targets, timeoutMs: 300, requestId: rid() })
		const body = agentCheckResponseSchema.parse(res.json)
		expect(body.nodes[0]?.results.map((r) => [r.target, r.error])).toEqual([
			['imds', 'blocked-address'],
			['imds-v6', 'blocked-address'],
		])
	})

	it('probe them when the operator allows them (AGENT_ALLOW_ADDRESSES)', async () => {
		const res = await postCheck(allowing.url, { targets, timeoutMs: 300, requestId: rid() })
		const body = agentCheckResponseSchema.parse(res.json)
		for (const result of body.nodes[0]?.results ?? []) {
			expect(result.error).not.toBe('blocked-address')
		}
		expect(allowing.stdout.join('\n')).toContain('"allowedAddresses":["169.254.169.254/32"')
	})
})
