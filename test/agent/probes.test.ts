/** Each probe against a real loopback server standing for one way a target can behave. */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { runProbe } from '../../agent/src/probes/run.ts'
import { connect, Trace } from '../../agent/src/probes/steps.ts'
import { type AgentTarget, agentTargetResultSchema } from '../../src/contracts/agent.ts'
import { selfSignedCert, type TestCert } from './helpers/certs.ts'
import {
	bannerServer,
	blackholeServer,
	closingServer,
	httpServer,
	httpsServer,
	refusedPort,
	type TestServer,
	tlsServer,
} from './helpers/net.ts'

const TIMEOUT = 800
/** Stands for data a target could hand out (a banner, a certificate name, an error page). */
const SECRET_BYTES = 'leak-me-7f3a9c'
let cert: TestCert
const servers: Record<string, TestServer> = {}
let refused: number

beforeAll(async () => {
	cert = await selfSignedCert(2, `localhost-${SECRET_BYTES}`)
	servers.blackhole = await blackholeServer()
	servers.closing = await closingServer()
	servers.banner = await bannerServer(`${SECRET_BYTES} SSH-2.0-OpenSSH_9.2\r\n`)
	servers.http200 = await httpServer(200)
	servers.http503 = await httpServer(503)
	servers.https = await httpsServer(cert.cert, cert.key, 204)
	servers.tls = await tlsServer(cert.cert, cert.key)
	refused = await refusedPort()
})

afterAll(async () => {
	await Promise.all(Object.values(servers).map((s) => s.close()))
	await cert?.remove()
})

const port = (name: string) => {
	const s = servers[name]
	if (!s) {
		throw new Error(`no server ${name}`)
	}
	return s.port
}

async function probe(target: Omit<AgentTarget, 'name'>, timeoutMs = TIMEOUT) {
	const result = await runProbe({ name: 't', ...target }, timeoutMs)
	// Whatever happens, the result is one the Worker will accept.
	expect(agentTargetResultSchema.safeParse(result).success).toBe(true)
	return result
}

describe('tcp', () => {
	it('connects, with DNS and connect phases for a name', async () => {
		const r = await probe({ host: 'localhost', port: port('blackhole'), probe: 'tcp' })
		expect(r).toMatchObject({ ok: true, error: null })
		expect(r.phases.dns).toBeGreaterThanOrEqual(0)
		expect(r.phases.connect).toBeGreaterThanOrEqual(0)
		expect(r.address).toMatch(/^(127\.0\.0\.1|::1)$/)
	})

	it('tries the next address after a refusal, as libpq does', async () => {
		// 127.0.0.2 is loopback too, but the server listens on 127.0.0.1 only.
		const target = { name: 't', host: 'db', port: port('blackhole'), probe: 'tcp' as const }
		const trace = new Trace(target, new AbortController().signal)
		await connect(trace, ['127.0.0.2', '127.0.0.1'])
		expect(trace.address).toBe('127.0.0.1')
		trace.close(false)
		const refusedTrace = new Trace({ ...target, port: refused }, new AbortController().signal)
		await expect(connect(refusedTrace, ['127.0.0.2', '127.0.0.1'])).rejects.toMatchObject({
			code: 'ECONNREFUSED',
		})
		expect(refusedTrace.address).toBe('127.0.0.1')
		refusedTrace.close(false)
	})

	it('says refused for a closed port', async () => {
		const r = await probe({ host: '127.0.0.1', port: refused, probe: 'tcp' })
		expect(r).toMatchObject({ ok: false, error: 'refused', phase: 'connect' })
		expect(r.phases.dns).toBeUndefined()
	})

	it('says dns for a name that does not resolve', async () => {
		const r = await probe({ host: 'no-such-host.invalid', port: 5432, probe: 'tcp' }, 5000)
		expect(r).toMatchObject({ ok: false, error: 'dns', phase: 'dns' })
	})

	it('says timeout for a connect that hangs', async () => {
		// TEST-NET-1 (RFC 5737) is never routed; the SYN goes nowhere or is rejected at once.
		const r = await probe({ host: '192.0.2.1', port: 5432, probe: 'tcp' }, 300)
		expect(r.ok).toBe(false)
		expect(['timeout', 'unreachable', 'refused']).toContain(r.error)
		expect(r.latencyMs).toBeLessThan(1500)
	})
})

describe('tls', () => {
	it('completes the handshake and reports the certificate days left', async () => {
		const r = await probe({ host: 'localhost', port: port('tls'), probe: 'tls' })
		expect(r).toMatchObject({ ok: true, error: null })
		expect(r.tls?.daysLeft).toBeGreaterThan(1.9)
		expect(r.tls?.daysLeft).toBeLessThanOrEqual(2)
		expect(r.tls?.authorized).toBe(false) // self-signed
		expect(r.tls?.authorizationError).toBe('DEPTH_ZERO_SELF_SIGNED_CERT')
		expect(r.tls?.protocol).toMatch(/^TLSv1\.[23]$/)
		expect(r.phases.tls).toBeGreaterThan(0)
	})

	it('fails with cert-untrusted when asked to verify a self-signed certificate', async () => {
		const r = await probe({ host: 'localhost', port: port('tls'), probe: 'tls', tlsVerify: true })
		expect(r).toMatchObject({ ok: false, error: 'cert-untrusted', phase: 'tls' })
		expect(r.tls?.daysLeft).toBeGreaterThan(1.9)
	})

	it('fails with cert-expired once notAfter has passed', async () => {
		// Only the agent's clock moves (Date), three days on; sockets and timers stay real.
		vi.useFakeTimers({ toFake: ['Date'] })
		vi.setSystemTime(Date.now() + 3 * 86_400_000)
		try {
			const r = await probe({ host: 'localhost', port: port('tls'), probe: 'tls' })
			expect(r).toMatchObject({ ok: false, error: 'cert-expired', phase: 'tls' })
			expect(r.tls?.daysLeft).toBeLessThan(0)
		} finally {
			vi.useRealTimers()
		}
	})

	it('says tls when the server does not speak TLS', async () => {
		const r = await probe({ host: '127.0.0.1', port: port('http200'), probe: 'tls' })
		expect(r).toMatchObject({ ok: false, error: 'tls', phase: 'tls' })
	})

	it('times out in the tls phase against a silent listener', async () => {
		const r = await probe({ host: '127.0.0.1', port: port('blackhole'), probe: 'tls' })
		expect(r).toMatchObject({ ok: false, error: 'timeout', phase: 'tls' })
		expect(r.latencyMs).toBeGreaterThanOrEqual(TIMEOUT - 20)
		expect(r.latencyMs).toBeLessThan(TIMEOUT + 300)
	})
})

describe('postgres (against servers that are not PostgreSQL)', () => {
	it('says not-postgres for a service that greets with a banner', async () => {
		const r = await probe({ host: '127.0.0.1', port: port('banner'), probe: 'postgres' })
		expect(r).toMatchObject({ ok: false, error: 'not-postgres', phase: 'handshake' })
		expect(r.message).toMatch(/^answered \d+ bytes to SSLRequest/)
	})

	it('says not-postgres for an HTTP server', async () => {
		const r = await probe({ host: '127.0.0.1', port: port('http200'), probe: 'postgres' })
		expect(r).toMatchObject({ ok: false, error: 'not-postgres' })
	})

	it('says closed when the server hangs up without answering', async () => {
		const r = await probe({ host: '127.0.0.1', port: port('closing'), probe: 'postgres' })
		expect(r.ok).toBe(false)
		expect(['closed', 'reset']).toContain(r.error)
	})

	it('times out in the handshake phase against a silent listener', async () => {
		const r = await probe({ host: '127.0.0.1', port: port('blackhole'), probe: 'postgres' })
		expect(r).toMatchObject({ ok: false, error: 'timeout', phase: 'handshake' })
		expect(r.phases.connect).toBeDefined()
	})
})

describe('what a probe reports', () => {
	it('carries no byte read from the target: codes, numbers and dates only', async () => {
		const results = await Promise.all([
			probe({ host: '127.0.0.1', port: port('banner'), probe: 'postgres' }),
			probe({ host: '127.0.0.1', port: port('banner'), probe: 'http' }),
			probe({ host: '127.0.0.1', port: port('banner'), probe: 'tls' }),
			probe({ host: 'localhost', port: port('tls'), probe: 'tls', tlsVerify: true }),
			probe({ host: 'localhost', port: port('https'), probe: 'http', tls: true }),
		])
		expect(results.map((r) => r.error)).toEqual([
			'not-postgres',
			'http-protocol',
			'tls',
			'cert-untrusted',
			null,
		])
		// The certificate's name and the banner both hold SECRET_BYTES; neither comes back.
		expect(JSON.stringify(results)).not.toContain(SECRET_BYTES)
	})
})

describe('http', () => {
	it('passes a 200 and records the time to the first byte', async () => {
		const r = await probe({ host: '127.0.0.1', port: port('http200'), probe: 'http', path: '/x' })
		expect(r).toMatchObject({ ok: true, http: { status: 200 } })
		expect(r.phases.firstByte).toBeGreaterThanOrEqual(0)
	})

	it('says http-status for an unexpected status', async () => {
		const r = await probe({ host: '127.0.0.1', port: port('http503'), probe: 'http' })
		expect(r).toMatchObject({ ok: false, error: 'http-status', http: { status: 503 } })
		const wanted = await probe({
			host: '127.0.0.1',
			port: port('http503'),
			probe: 'http',
			expectStatus: 503,
		})
		expect(wanted).toMatchObject({ ok: true, http: { status: 503 } })
		const other = await probe({
			host: '127.0.0.1',
			port: port('http200'),
			probe: 'http',
			expectStatus: 204,
		})
		expect(other).toMatchObject({ ok: false, error: 'http-status' })
	})

	it('speaks HTTP over TLS when tls is set, with certificate facts', async () => {
		const r = await probe({ host: 'localhost', port: port('https'), probe: 'http', tls: true })
		expect(r).toMatchObject({ ok: true, http: { status: 204 } })
		expect(r.tls?.daysLeft).toBeGreaterThan(1.9)
		expect(r.phases.tls).toBeGreaterThan(0)
	})

	it('says http-protocol for something that is not HTTP', async () => {
		const r = await probe({ host: '127.0.0.1', port: port('banner'), probe: 'http' })
		expect(r).toMatchObject({ ok: false, error: 'http-protocol' })
	})

	it('times out waiting for the first byte from a silent listener', async () => {
		const r = await probe({ host: '127.0.0.1', port: port('blackhole'), probe: 'http' })
		expect(r).toMatchObject({ ok: false, error: 'timeout', phase: 'firstByte' })
	})
})
