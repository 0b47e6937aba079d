/** parseService: the values it returns for each kind of ingress service. */
import { describe, expect, it } from 'vitest'
import { parseService } from '../../../src/domain/edge/service.ts'

describe('parseService', () => {
	it('gives the agent a host and a port to probe', () => {
		expect(parseService('https://kubernetes.default.svc')).toEqual({
			ok: true,
			value: {
				kind: 'url',
				text: 'https://kubernetes.default.svc',
				scheme: 'https',
				host: 'kubernetes.default.svc',
				port: 443,
			},
		})
		expect(parseService('http_status:404')).toEqual({
			ok: true,
			value: { kind: 'status', text: 'http_status:404', status: 404 },
		})
	})
})
