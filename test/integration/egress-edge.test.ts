/** The Worker's own probe from the edge: `connect()` from `cloudflare:sockets`, for real in workerd. */
import { describe, expect, it } from 'vitest'
import {
	edgeErrorCode,
	type ProbeSocket,
	socketsEdgeProber,
} from '../../src/adapters/edge/sockets.ts'
import { net } from './support/egress.ts'

describe('socketsEdgeProber', () => {
	it('connects to a listening port and says how long it took', async () => {
		const result = await socketsEdgeProber().tcp('127.0.0.1', net.ports.app, 2000)
		expect(result).toMatchObject({ ok: true, error: null, message: null })
		expect(result.latencyMs).toBeGreaterThanOrEqual(0)
		expect(result.latencyMs).toBeLessThan(2000)
	})

	it('reports a port nothing listens on as refused', async () => {
		const result = await socketsEdgeProber().tcp('127.0.0.1', net.ports.refused, 2000)
		expect(result).toMatchObject({ ok: false, error: 'refused' })
		expect(result.message).toBeTruthy()
	})

	it('gives up after the timeout, and closes the socket', async () => {
		let closed = false
		const hanging: ProbeSocket = {
			opened: new Promise(() => {}),
			close: async () => {
				closed = true
			},
		}
		const started = Date.now()
		const result = await socketsEdgeProber(() => hanging).tcp('db.example.com', 5432, 150)
		expect(Date.now() - started).toBeGreaterThanOrEqual(140)
		expect(result).toEqual({
			ok: false,
			latencyMs: expect.any(Number),
			error: 'timeout',
			message: 'no connection within 150 ms',
		})
		expect(closed).toBe(true)
	})

	it('turns a connect() that throws at once (a blocked address) into a failure, not an exception', async () => {
		const result = await socketsEdgeProber(() => {
			throw new Error('Connections to port 25 are prohibited')
		}).tcp('mail.example.com', 25, 1000)
		expect(result).toMatchObject({ ok: false, error: 'blocked' })
	})

	it('maps runtime messages to short codes', () => {
		expect(edgeErrorCode('proxy request failed, cannot connect to the specified address')).toBe(
			'refused',
		)
		expect(edgeErrorCode('Connection refused')).toBe('refused')
		expect(edgeErrorCode('connect timed out')).toBe('timeout')
		expect(edgeErrorCode('DNS lookup failed: name not known')).toBe('dns')
		expect(edgeErrorCode('something else')).toBe('error')
	})
})
