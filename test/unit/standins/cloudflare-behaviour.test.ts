/** Behaviour of the Cloudflare stand-in's fetch handler: the API, faults, hand edits, control API. */
import { beforeEach, describe, expect, it } from 'vitest'
import {
	type CallOptions,
	callControl,
	callStandin,
	type Envelope,
} from '../../standins/cloudflare/call.ts'
import {
	CUSTOM_EXCLUDE_POLICY_ID,
	CUSTOM_INCLUDE_POLICY_ID,
	DEFAULT_ACCOUNT_ID,
	DEFAULT_TUNNEL_ID,
	READ_ONLY_TOKEN,
	TUNNEL_TOKEN,
	ZERO_TRUST_TOKEN,
} from '../../standins/cloudflare/seed.ts'
import {
	type CloudflareStandin,
	createCloudflareStandin,
} from '../../standins/cloudflare/standin.ts'

const ACCOUNT = `/client/v4/accounts/${DEFAULT_ACCOUNT_ID}`
const CONFIG = `${ACCOUNT}/cfd_tunnel/${DEFAULT_TUNNEL_ID}/configurations`
const CONNECTIONS = `${ACCOUNT}/cfd_tunnel/${DEFAULT_TUNNEL_ID}/connections`
const INCLUDE = `${ACCOUNT}/devices/policy/include`
const CUSTOM_INCLUDE = `${ACCOUNT}/devices/policy/${CUSTOM_INCLUDE_POLICY_ID}/include`

const catchAll = { service: 'http_status:404' }
const label = { hostname: 'label.example.com', service: 'http://label-studio-ls-app:8085' }

let standin: CloudflareStandin

beforeEach(() => {
	standin = createCloudflareStandin({ now: () => Date.UTC(2026, 7, 20, 10, 0, 0) })
})

/** Calls the stand-in with the token the path's endpoint needs, unless told otherwise. */
function call(method: string, path: string, options: Partial<CallOptions> = {}) {
	return callStandin(standin, method, path, {
		...options,
		token: options.token === undefined ? tokenFor(path) : options.token,
	})
}

function tokenFor(path: string): string {
	return path.includes('/devices/') ? ZERO_TRUST_TOKEN : TUNNEL_TOKEN
}

function envelopeOf(response: { json: Envelope | undefined }): Envelope {
	expect(response.json).toBeDefined()
	return response.json as Envelope
}

function expectFailure(response: { json: Envelope | undefined }, code: number) {
	const body = envelopeOf(response)
	expect(body.success).toBe(false)
	expect(body.result).toBeNull()
	expect(body.messages).toEqual([])
	expect(body.errors.length).toBeGreaterThan(0)
	expect(body.errors[0]?.code).toBe(code)
	return body
}

describe('envelope', () => {
	it('wraps a success', async () => {
		const response = await call('GET', CONFIG)
		expect(response.status).toBe(200)
		expect(response.headers.get('content-type')).toContain('application/json')
		expect(response.json).toEqual({
			success: true,
			errors: [],
			messages: [],
			result: {
				account_id: DEFAULT_ACCOUNT_ID,
				tunnel_id: DEFAULT_TUNNEL_ID,
				version: 1,
				source: 'cloudflare',
				created_at: '2026-08-20T10:00:00.000000Z',
				config: { ingress: [catchAll] },
			},
		})
	})

	it('answers an unknown route with 404 code 7003, whatever the auth', async () => {
		const expected = {
			success: false,
			errors: [{ code: 7003, message: 'No route for the URI' }],
			messages: [],
			result: null,
		}
		for (const [method, path] of [
			['GET', `${ACCOUNT}/cfd_tunnel/${DEFAULT_TUNNEL_ID}/nothing`],
			['DELETE', CONFIG],
			['GET', '/client/v4/user/tokens/verify'],
			['GET', `${CONFIG}/`],
			['GET', '/elsewhere'],
		] as const) {
			const response = await call(method, path, { token: null })
			expect(response.status).toBe(404)
			expect(response.json).toEqual(expected)
		}
	})

	it('answers unknown account, tunnel and policy with 404 and an error item', async () => {
		expectFailure(
			await call(
				'GET',
				'/client/v4/accounts/ffffffffffffffffffffffffffffffff/cfd_tunnel/x/configurations',
			),
			7003,
		)
		const tunnel = await call(
			'GET',
			`${ACCOUNT}/cfd_tunnel/00000000-0000-4000-8000-000000000000/configurations`,
		)
		expect(tunnel.status).toBe(404)
		expectFailure(tunnel, 1003)
		const connections = await call('GET', `${ACCOUNT}/cfd_tunnel/nope/connections`)
		expect(connections.status).toBe(404)
		for (const path of [
			`${ACCOUNT}/devices/policy/00000000-0000-4000-8000-000000000000/include`,
			`${ACCOUNT}/devices/policy/00000000-0000-4000-8000-000000000000`,
			`${ACCOUNT}/devices/policy/default/include`,
		]) {
			const response = await call('GET', path)
			expect(response.status, path).toBe(404)
			expect(envelopeOf(response).success).toBe(false)
		}
	})

	it('ignores the SDK headers and query strings', async () => {
		const response = await call('GET', `${CONFIG}?foo=bar`, {
			headers: {
				'api-version': '2026-10-02',
				'X-Stainless-Lang': 'js',
				'X-Stainless-Retry-Count': '0',
				'User-Agent': 'Cloudflare/JS 7.3.0',
			},
		})
		expect(response.status).toBe(200)
	})
})

describe('tunnel configuration', () => {
	it('replaces the whole configuration and bumps the version by one per PUT', async () => {
		const first = await call('PUT', CONFIG, { body: { config: { ingress: [label, catchAll] } } })
		expect(first.status).toBe(200)
		expect(envelopeOf(first).result).toMatchObject({
			version: 2,
			config: { ingress: [label, catchAll] },
		})
		const second = await call('PUT', CONFIG, { body: { config: { ingress: [catchAll] } } })
		expect(envelopeOf(second).result).toMatchObject({ version: 3, config: { ingress: [catchAll] } })
		// The same body again is still a new version.
		const third = await call('PUT', CONFIG, { body: { config: { ingress: [catchAll] } } })
		expect(envelopeOf(third).result).toMatchObject({ version: 4 })
		const got = await call('GET', CONFIG)
		expect(envelopeOf(got).result).toMatchObject({ version: 4, config: { ingress: [catchAll] } })
		expect(standin.tunnel(DEFAULT_ACCOUNT_ID, DEFAULT_TUNNEL_ID).version).toBe(4)
	})

	it('keeps unknown keys and warp-routing as sent', async () => {
		const config = {
			ingress: [{ ...label, originRequest: { noTLSVerify: true, custom: 1 } }, catchAll],
			'warp-routing': { enabled: true },
		}
		const put = await call('PUT', CONFIG, { body: { config } })
		expect(envelopeOf(put).result).toMatchObject({ config })
	})

	it('rejects a last rule that is not a catch-all with 400 code 1056, changing nothing', async () => {
		const response = await call('PUT', CONFIG, { body: { config: { ingress: [label] } } })
		expect(response.status).toBe(400)
		const body = expectFailure(response, 1056)
		expect(body.errors[0]?.message).toBe(
			'Bad Configuration: Validation failed: The last ingress rule must match all URLs (i.e. it should not have a hostname or path filter)\n',
		)
		expect(standin.tunnel(DEFAULT_ACCOUNT_ID, DEFAULT_TUNNEL_ID).version).toBe(1)
		expect(standin.requests.at(-1)).toMatchObject({ write: true, applied: false, status: 400 })
	})

	it.each([
		[
			'catch-all before the end',
			[catchAll, label, catchAll],
			"Rule #1 is matching the hostname ''",
		],
		[
			'port in hostname',
			[{ ...label, hostname: 'a.example.com:443' }, catchAll],
			'Hostname cannot contain a port',
		],
		['bad wildcard', [{ ...label, hostname: 'a.*.example.com' }, catchAll], 'at most one wildcard'],
		['empty ingress', [], "doesn't contain any ingress rules"],
	])('rejects %s with code 1056', async (_name, ingress, message) => {
		const response = await call('PUT', CONFIG, { body: { config: { ingress } } })
		expect(response.status).toBe(400)
		expect(expectFailure(response, 1056).errors[0]?.message).toContain(message)
	})

	it('rejects bad JSON and schema failures with a descriptive 400', async () => {
		const badJson = await call('PUT', CONFIG, { rawBody: '{"config":' })
		expect(badJson.status).toBe(400)
		expectFailure(badJson, 6007)
		const empty = await call('PUT', CONFIG, { rawBody: '' })
		expect(empty.status).toBe(400)
		const schema = await call('PUT', CONFIG, {
			body: { config: { ingress: [{ hostname: '*', service: 404 }] } },
		})
		expect(schema.status).toBe(400)
		expect(expectFailure(schema, 1001).errors[0]?.message).toContain('config.ingress[0].service')
		expect(standin.writes().every((w) => !w.applied)).toBe(true)
	})
})

describe('connectors', () => {
	const versions = async () => {
		const response = await call('GET', CONNECTIONS)
		return (envelopeOf(response).result as Array<{ config_version: number }>).map(
			(c) => c.config_version,
		)
	}

	it('lists connectors in the SDK Client shape', async () => {
		const response = await call('GET', CONNECTIONS)
		const result = envelopeOf(response).result as Array<Record<string, unknown>>
		expect(result).toHaveLength(2)
		expect(result[0]).toMatchObject({
			id: expect.any(String),
			arch: 'linux_amd64',
			version: expect.any(String),
			run_at: '2026-08-20T10:00:00.000000Z',
			config_version: 1,
			conns: expect.arrayContaining([
				expect.objectContaining({ colo_name: expect.any(String), client_id: result[0]?.id }),
			]),
		})
	})

	it('pick up each new version, except lagging ones', async () => {
		await call('PUT', CONFIG, { body: { config: { ingress: [catchAll] } } })
		expect(await versions()).toEqual([2, 2])
		standin.setConnectorLagging(DEFAULT_ACCOUNT_ID, DEFAULT_TUNNEL_ID, 1)
		await call('PUT', CONFIG, { body: { config: { ingress: [label, catchAll] } } })
		expect(await versions()).toEqual([3, 2])
		standin.setConnectorLagging(DEFAULT_ACCOUNT_ID, DEFAULT_TUNNEL_ID, 1, false)
		expect(await versions()).toEqual([3, 3])
	})

	it('can be seeded lagging, counted, or gone', async () => {
		standin = createCloudflareStandin({
			accounts: [
				{
					id: DEFAULT_ACCOUNT_ID,
					tunnels: [
						{
							id: DEFAULT_TUNNEL_ID,
							version: 7,
							config: { ingress: [catchAll] },
							connectors: [{}, { lagging: true, configVersion: 5 }, { id: 'c3' }],
						},
					],
				},
			],
		})
		expect(await versions()).toEqual([7, 5, 7])
		await call('PUT', CONFIG, { body: { config: { ingress: [catchAll] } } })
		expect(await versions()).toEqual([8, 5, 8])
		standin.setConnectorCount(DEFAULT_ACCOUNT_ID, DEFAULT_TUNNEL_ID, 0)
		expect(await versions()).toEqual([])
		standin.setConnectorCount(DEFAULT_ACCOUNT_ID, DEFAULT_TUNNEL_ID, 1)
		expect(await versions()).toEqual([8])
	})
})

describe('split-tunnel lists', () => {
	it('returns the stored bare array', async () => {
		const response = await call('GET', INCLUDE)
		expect(envelopeOf(response)).toEqual({
			success: true,
			errors: [],
			messages: [],
			result: [
				{ address: '10.8.0.0/16', description: 'Office VPN' },
				{ address: '172.16.0.0/12', description: 'Legacy datacenter - netops' },
				{ host: 'intranet.example.com' },
			],
		})
	})

	it('replaces the whole list: foreign entries not re-sent disappear', async () => {
		const ours = [{ address: '10.42.0.0/16', description: 'K8s Pod Network - oceanid' }]
		const put = await call('PUT', INCLUDE, { body: ours })
		expect(put.status).toBe(200)
		expect(envelopeOf(put).result).toEqual(ours)
		expect(envelopeOf(await call('GET', INCLUDE)).result).toEqual(ours)
		expect(standin.profile(DEFAULT_ACCOUNT_ID).list).toEqual(ours)
	})

	it('stores only address/host/description, in order', async () => {
		const put = await call('PUT', INCLUDE, {
			body: [
				{ host: '*.example.com' },
				{ address: '10.43.0.0/16', description: 'K8s Service Network - oceanid', protected: true },
			],
		})
		expect(envelopeOf(put).result).toEqual([
			{ host: '*.example.com' },
			{ address: '10.43.0.0/16', description: 'K8s Service Network - oceanid' },
		])
	})

	it('rejects what Cloudflare would reject, changing nothing', async () => {
		const before = structuredClone(standin.profile(DEFAULT_ACCOUNT_ID).list)
		for (const body of [
			{ address: '10.0.0.0/8' },
			[{ address: '10.0.0.0/8', host: 'example.com' }],
			[{ address: '10.0.0.0/8', description: 'x'.repeat(101) }],
			[{ address: 'ten.0.0.0/8' }],
			[{}],
		]) {
			const response = await call('PUT', INCLUDE, { body })
			expect(response.status, JSON.stringify(body)).toBe(400)
			expectFailure(response, 1001)
		}
		expect(standin.profile(DEFAULT_ACCOUNT_ID).list).toEqual(before)
	})

	it('serves custom profiles by policy id', async () => {
		expect(envelopeOf(await call('GET', CUSTOM_INCLUDE)).result).toEqual([
			{ address: '10.20.0.0/16', description: 'Build farm - ci' },
		])
		const put = await call('PUT', CUSTOM_INCLUDE, { body: [{ address: '10.42.0.0/16' }] })
		expect(envelopeOf(put).result).toEqual([{ address: '10.42.0.0/16' }])
		// The default profile is untouched.
		expect(standin.profile(DEFAULT_ACCOUNT_ID).list).toHaveLength(3)
	})

	it('serves exclude lists; a profile reports the list of its mode', async () => {
		const exclude = `${ACCOUNT}/devices/policy/${CUSTOM_EXCLUDE_POLICY_ID}/exclude`
		expect(envelopeOf(await call('GET', exclude)).result).toEqual([
			{ address: '192.168.0.0/16', description: 'Home networks' },
		])
		expect(
			envelopeOf(await call('GET', `${ACCOUNT}/devices/policy/${CUSTOM_EXCLUDE_POLICY_ID}/include`))
				.result,
		).toEqual([])
		expect(envelopeOf(await call('GET', `${ACCOUNT}/devices/policy/exclude`)).result).toEqual([])
		const profile = envelopeOf(
			await call('GET', `${ACCOUNT}/devices/policy/${CUSTOM_EXCLUDE_POLICY_ID}`),
		).result as Record<string, unknown>
		expect(profile).toMatchObject({
			policy_id: CUSTOM_EXCLUDE_POLICY_ID,
			name: 'Contractors',
			default: false,
		})
		expect(profile.exclude).toHaveLength(1)
		expect(profile).not.toHaveProperty('include')
	})

	it('describes the default profile with its include list', async () => {
		const profile = envelopeOf(await call('GET', `${ACCOUNT}/devices/policy`)).result as Record<
			string,
			unknown
		>
		expect(profile).toMatchObject({ default: true, enabled: true })
		expect(profile.include).toHaveLength(3)
		expect(profile).not.toHaveProperty('exclude')
		const list = envelopeOf(await call('GET', `${ACCOUNT}/devices/policies`)).result as Array<{
			policy_id: string
		}>
		expect(list.map((p) => p.policy_id)).toEqual([
			CUSTOM_INCLUDE_POLICY_ID,
			CUSTOM_EXCLUDE_POLICY_ID,
		])
	})
})

describe('auth', () => {
	it('answers a missing or malformed Authorization header with 400 code 6003 / 6111', async () => {
		const variants: Array<Record<string, string>> = [
			{},
			{ authorization: 'Token abc' },
			{ authorization: 'Bearer' },
			{ authorization: 'Bearer a b' },
		]
		for (const headers of variants) {
			const response = await call('GET', CONFIG, { token: null, headers })
			expect(response.status).toBe(400)
			expect(expectFailure(response, 6003).errors[0]).toEqual({
				code: 6003,
				message: 'Invalid request headers',
				error_chain: [{ code: 6111, message: 'Invalid format for Authorization header' }],
			})
		}
	})

	it('answers an unknown token with 403 code 10000', async () => {
		const response = await call('GET', CONFIG, { token: 'nope' })
		expect(response.status).toBe(403)
		expect(expectFailure(response, 10000).errors[0]?.message).toBe('Authentication error')
	})

	it('needs the tunnel scope for tunnel endpoints and zero-trust for devices endpoints', async () => {
		expect((await call('GET', CONFIG, { token: ZERO_TRUST_TOKEN })).status).toBe(403)
		expect((await call('GET', CONNECTIONS, { token: ZERO_TRUST_TOKEN })).status).toBe(403)
		expect((await call('GET', INCLUDE, { token: TUNNEL_TOKEN })).status).toBe(403)
		expect((await call('PUT', INCLUDE, { token: TUNNEL_TOKEN, body: [] })).status).toBe(403)
		expect((await call('GET', `${ACCOUNT}/devices/policy`, { token: TUNNEL_TOKEN })).status).toBe(
			403,
		)
		expect(standin.profile(DEFAULT_ACCOUNT_ID).list).toHaveLength(3)
	})

	it('lets read-only tokens read but not write', async () => {
		expect((await call('GET', CONFIG, { token: READ_ONLY_TOKEN })).status).toBe(200)
		expect((await call('GET', INCLUDE, { token: READ_ONLY_TOKEN })).status).toBe(200)
		const put = await call('PUT', CONFIG, {
			token: READ_ONLY_TOKEN,
			body: { config: { ingress: [catchAll] } },
		})
		expect(put.status).toBe(403)
		expect((await call('PUT', INCLUDE, { token: READ_ONLY_TOKEN, body: [] })).status).toBe(403)
	})

	it('honours a token limited to some accounts', async () => {
		standin = createCloudflareStandin({
			accounts: [{ id: DEFAULT_ACCOUNT_ID }, { id: 'a'.repeat(32) }],
			tokens: [{ value: 'scoped', scopes: ['zero-trust'], accounts: ['a'.repeat(32)] }],
		})
		expect((await call('GET', INCLUDE, { token: 'scoped' })).status).toBe(403)
		const other = await call(
			'GET',
			`/client/v4/accounts/${'a'.repeat(32)}/devices/policy/include`,
			{ token: 'scoped' },
		)
		expect(other.status).toBe(200)
		expect(envelopeOf(other).result).toEqual([])
	})
})

describe('faults', () => {
	it('answers 429 code 971 with Retry-After', async () => {
		standin.addFault({
			method: 'PUT',
			path: '/accounts/*/devices/policy/include',
			kind: 'rate-limit',
			retryAfter: 30,
		})
		const response = await call('PUT', INCLUDE, { body: [] })
		expect(response.status).toBe(429)
		expect(response.headers.get('retry-after')).toBe('30')
		expect(expectFailure(response, 971).errors[0]?.message).toBe(
			'Please wait and consider throttling your request speed',
		)
		// GET does not match the method.
		expect((await call('GET', INCLUDE)).status).toBe(200)
		expect(standin.profile(DEFAULT_ACCOUNT_ID).list).toHaveLength(3)
	})

	it('answers 429 without Retry-After', async () => {
		standin.addFault({ path: '/**', kind: 'rate-limit' })
		const response = await call('GET', CONFIG)
		expect(response.status).toBe(429)
		expect(response.headers.get('retry-after')).toBeNull()
	})

	it('answers HTML 5xx pages', async () => {
		standin.addFault({ path: CONFIG, kind: 'html', times: 1 })
		standin.addFault({ path: CONNECTIONS, kind: 'html', status: 520, times: 1 })
		const bad = await call('GET', CONFIG)
		expect(bad.status).toBe(502)
		expect(bad.headers.get('content-type')).toContain('text/html')
		expect(bad.text).toContain('502 Bad Gateway')
		expect(bad.json).toBeUndefined()
		const unknown = await call('GET', CONNECTIONS)
		expect(unknown.status).toBe(520)
		expect(unknown.text).toContain('Error code 520')
	})

	it('answers 200 with success:false', async () => {
		standin.addFault({
			path: '/accounts/:account/cfd_tunnel/:tunnel/configurations',
			kind: 'success-false',
			code: 1002,
			message: 'Something broke',
		})
		const response = await call('PUT', CONFIG, { body: { config: { ingress: [label, catchAll] } } })
		expect(response.status).toBe(200)
		expect(response.json).toEqual({
			success: false,
			errors: [{ code: 1002, message: 'Something broke' }],
			messages: [],
			result: null,
		})
		expect(standin.tunnel(DEFAULT_ACCOUNT_ID, DEFAULT_TUNNEL_ID).version).toBe(1)
	})

	it('answers any status with the error envelope', async () => {
		standin.addFault({
			path: '/**',
			kind: 'status',
			status: 503,
			code: 1000,
			message: 'Service unavailable',
			retryAfter: 5,
		})
		const response = await call('GET', CONFIG)
		expect(response.status).toBe(503)
		expect(response.headers.get('retry-after')).toBe('5')
		expectFailure(response, 1000)
	})

	it('answers any JSON body with any status, applying nothing', async () => {
		const nullResult = { success: true, errors: [], messages: [], result: null }
		standin.addFault({
			method: 'GET',
			path: '/accounts/:account/cfd_tunnel/:tunnel/configurations',
			kind: 'body',
			body: nullResult,
			times: 1,
		})
		const empty = await call('GET', CONFIG)
		expect(empty.status).toBe(200)
		expect(empty.headers.get('content-type')).toContain('application/json')
		expect(empty.json).toEqual(nullResult)
		expect(standin.requests.at(-1)?.faults).toEqual(['body'])
		expect(envelopeOf(await call('GET', CONFIG)).result).toMatchObject({ version: 1 })
		standin.addFault({
			path: CONFIG,
			kind: 'body',
			status: 202,
			body: { result: { version: 'x' } },
		})
		const put = await call('PUT', CONFIG, { body: { config: { ingress: [label, catchAll] } } })
		expect(put.status).toBe(202)
		expect(put.json).toEqual({ result: { version: 'x' } })
		expect(standin.tunnel(DEFAULT_ACCOUNT_ID, DEFAULT_TUNNEL_ID).version).toBe(1)
		expect(standin.requests.at(-1)).toMatchObject({ write: true, applied: false, status: 202 })
	})

	it('fires N times, or until cleared', async () => {
		standin.addFault({ path: '/**', kind: 'status', status: 500, times: 2 })
		expect((await call('GET', CONFIG)).status).toBe(500)
		expect((await call('GET', CONFIG)).status).toBe(500)
		expect((await call('GET', CONFIG)).status).toBe(200)
		expect(standin.faults()).toEqual([])
		const id = standin.addFault({ path: '/**', kind: 'status', status: 500 })
		for (let i = 0; i < 5; i++) {
			expect((await call('GET', CONFIG)).status).toBe(500)
		}
		expect(standin.faults()[0]).toMatchObject({ id, fired: 5 })
		standin.clearFaults(id)
		expect((await call('GET', CONFIG)).status).toBe(200)
	})

	it('delays before answering', async () => {
		standin.addFault({ path: '/**', kind: 'delay', ms: 60, times: 1 })
		const started = performance.now()
		const response = await call('GET', CONFIG)
		expect(response.status).toBe(200)
		expect(performance.now() - started).toBeGreaterThanOrEqual(50)
		expect(standin.requests.at(-1)?.faults).toEqual(['delay'])
	})

	it('applies a hand edit just before serving: the race between our read and our write', async () => {
		const read = envelopeOf(await call('GET', CONFIG)).result as { version: number }
		standin.addFault({
			method: 'PUT',
			path: '/accounts/*/cfd_tunnel/*/configurations',
			times: 1,
			kind: 'hand-edit',
			edit: {
				kind: 'tunnel-config',
				accountId: DEFAULT_ACCOUNT_ID,
				tunnelId: DEFAULT_TUNNEL_ID,
				config: (current) => ({
					ingress: [
						{ hostname: 'dash.example.com', service: 'http://dash:80' },
						...(current?.ingress ?? []),
					],
				}),
			},
		})
		const put = await call('PUT', CONFIG, { body: { config: { ingress: [label, catchAll] } } })
		// The dashboard edit became version 2, our PUT version 3 (and it overwrote the edit).
		expect(read.version).toBe(1)
		expect(envelopeOf(put).result).toMatchObject({
			version: 3,
			config: { ingress: [label, catchAll] },
		})
		expect(standin.requests.at(-1)?.faults).toEqual(['hand-edit'])
	})

	it('combines a delay or hand edit with an answering fault', async () => {
		standin.addFault({ path: '/**', kind: 'delay', ms: 1, times: 1 })
		standin.addFault({ path: '/**', kind: 'rate-limit', retryAfter: 1, times: 1 })
		expect((await call('GET', CONFIG)).status).toBe(429)
		expect(standin.requests.at(-1)?.faults).toEqual(['delay', 'rate-limit'])
	})
})

describe('hand edits', () => {
	it('change a tunnel configuration and bump the version', () => {
		const result = standin.handEdit({
			kind: 'tunnel-config',
			accountId: DEFAULT_ACCOUNT_ID,
			tunnelId: DEFAULT_TUNNEL_ID,
			config: { ingress: [label, catchAll] },
		})
		expect(result).toMatchObject({ kind: 'tunnel-config', version: 2 })
		expect(
			standin.tunnel(DEFAULT_ACCOUNT_ID, DEFAULT_TUNNEL_ID).connectors.map((c) => c.configVersion),
		).toEqual([2, 2])
		expect(standin.requests).toEqual([])
	})

	it('change a split-tunnel list (append to the current one)', async () => {
		standin.handEdit({
			kind: 'split-tunnel',
			accountId: DEFAULT_ACCOUNT_ID,
			list: (current) => [...current, { address: '10.99.0.0/16', description: 'Added by hand' }],
		})
		expect(envelopeOf(await call('GET', INCLUDE)).result).toHaveLength(4)
	})

	it('switch a profile mode, wiping the old list', async () => {
		standin.handEdit({
			kind: 'split-tunnel',
			accountId: DEFAULT_ACCOUNT_ID,
			mode: 'exclude',
			list: [{ address: '192.168.0.0/16' }],
		})
		expect(standin.profile(DEFAULT_ACCOUNT_ID)).toMatchObject({
			mode: 'exclude',
			list: [{ address: '192.168.0.0/16' }],
		})
		expect(envelopeOf(await call('GET', INCLUDE)).result).toEqual([])
	})

	it('refuse what the dashboard would refuse', () => {
		expect(() =>
			standin.handEdit({
				kind: 'tunnel-config',
				accountId: DEFAULT_ACCOUNT_ID,
				tunnelId: DEFAULT_TUNNEL_ID,
				config: { ingress: [label] },
			}),
		).toThrow(/last ingress rule/)
		expect(() =>
			standin.handEdit({
				kind: 'split-tunnel',
				accountId: DEFAULT_ACCOUNT_ID,
				list: [{ address: 'x' }],
			}),
		).toThrow()
		expect(() => standin.tunnel(DEFAULT_ACCOUNT_ID, 'nope')).toThrow(/unknown tunnel/)
	})
})

describe('request log', () => {
	it('records method, path, status, scope, token and writes', async () => {
		await call('GET', CONFIG)
		await call('PUT', INCLUDE, { body: [{ address: '10.42.0.0/16' }] })
		await call('PUT', CONFIG, {
			token: ZERO_TRUST_TOKEN,
			body: { config: { ingress: [catchAll] } },
		})
		expect(standin.requests).toEqual([
			expect.objectContaining({
				seq: 1,
				method: 'GET',
				path: CONFIG,
				status: 200,
				scope: 'tunnel',
				token: 'tunnel',
				tokenScopes: ['tunnel'],
				write: false,
				applied: false,
			}),
			expect.objectContaining({
				seq: 2,
				method: 'PUT',
				path: INCLUDE,
				status: 200,
				scope: 'zero-trust',
				token: 'zero-trust',
				write: true,
				applied: true,
				body: [{ address: '10.42.0.0/16' }],
			}),
			expect.objectContaining({
				seq: 3,
				method: 'PUT',
				path: CONFIG,
				status: 403,
				scope: 'tunnel',
				token: 'zero-trust',
				write: true,
				applied: false,
			}),
		])
		expect(standin.writes()).toHaveLength(2)
	})

	it('shows zero writes after reads only, and leaves the control API out', async () => {
		await call('GET', CONFIG)
		await call('GET', INCLUDE)
		await call('GET', '/__standin/state')
		expect(standin.requests).toHaveLength(2)
		expect(standin.writes()).toEqual([])
		standin.clearRequests()
		expect(standin.requests).toEqual([])
	})
})

describe('control API', () => {
	const control = (method: string, path: string, body?: unknown) =>
		callControl(standin, method, path, body)

	it('installs, lists and clears faults', async () => {
		const added = await control('POST', '/faults', [
			{
				method: 'GET',
				path: '/accounts/*/cfd_tunnel/*/configurations',
				kind: 'rate-limit',
				retryAfter: 2,
				times: 1,
			},
			{ path: '/**', kind: 'html', status: 520 },
		])
		expect(added.json.ids).toHaveLength(2)
		expect((await control('GET', '/faults')).json.faults).toHaveLength(2)
		expect((await call('GET', CONFIG)).status).toBe(429)
		expect((await call('GET', CONFIG)).status).toBe(520)
		const ids = added.json.ids as string[]
		expect((await control('DELETE', `/faults/${ids[1]}`)).status).toBe(200)
		expect((await call('GET', CONFIG)).status).toBe(200)
		expect((await control('POST', '/faults', { path: '/**', kind: 'teapot' })).status).toBe(400)
		await control('POST', '/faults', { path: '/**', kind: 'status', status: 500 })
		await control('DELETE', '/faults')
		expect((await call('GET', CONFIG)).status).toBe(200)
	})

	it('installs a body fault as JSON, refusing statuses that carry no body', async () => {
		const added = await control('POST', '/faults', {
			method: 'GET',
			path: '/accounts/*/devices/policy/include',
			kind: 'body',
			body: [{ address: '10.0.0.0/8' }],
		})
		expect(added.status).toBe(200)
		const bare = await call('GET', INCLUDE)
		expect(bare.status).toBe(200)
		expect(bare.json).toEqual([{ address: '10.0.0.0/8' }])
		for (const bad of [
			{ path: '/**', kind: 'body', status: 204, body: {} },
			{ path: '/**', kind: 'body' },
		]) {
			expect((await control('POST', '/faults', bad)).status, JSON.stringify(bad)).toBe(400)
		}
	})

	it('installs a hand-edit fault as JSON', async () => {
		await control('POST', '/faults', {
			method: 'PUT',
			path: '/accounts/*/devices/policy/include',
			times: 1,
			kind: 'hand-edit',
			edit: {
				kind: 'split-tunnel',
				accountId: DEFAULT_ACCOUNT_ID,
				list: [{ address: '10.77.0.0/16', description: 'Sneaky' }],
			},
		})
		await call('PUT', INCLUDE, { body: [{ address: '10.42.0.0/16' }] })
		expect(standin.profile(DEFAULT_ACCOUNT_ID).list).toEqual([{ address: '10.42.0.0/16' }])
	})

	it('serves the request log, writes only on request', async () => {
		await call('GET', CONFIG)
		await call('PUT', INCLUDE, { body: [] })
		expect((await control('GET', '/requests')).json.requests).toHaveLength(2)
		const writes = (await control('GET', '/requests?writes')).json.requests as Array<{
			method: string
		}>
		expect(writes.map((w) => w.method)).toEqual(['PUT'])
		await control('DELETE', '/requests')
		expect(standin.requests).toEqual([])
	})

	it('makes hand edits', async () => {
		const edit = await control('POST', '/hand-edit', {
			kind: 'tunnel-config',
			accountId: DEFAULT_ACCOUNT_ID,
			tunnelId: DEFAULT_TUNNEL_ID,
			config: { ingress: [label, catchAll] },
		})
		expect(edit.json).toMatchObject({ version: 2 })
		const rejected = await control('POST', '/hand-edit', {
			kind: 'tunnel-config',
			accountId: DEFAULT_ACCOUNT_ID,
			tunnelId: DEFAULT_TUNNEL_ID,
			config: { ingress: [label] },
		})
		expect(rejected.status).toBe(400)
		expect(String(rejected.json.error)).toContain('last ingress rule')
	})

	it('marks connectors lagging and sets their count', async () => {
		await control('POST', '/connectors/lagging', {
			accountId: DEFAULT_ACCOUNT_ID,
			tunnelId: DEFAULT_TUNNEL_ID,
			connector: 0,
		})
		await call('PUT', CONFIG, { body: { config: { ingress: [catchAll] } } })
		const connectors = standin.tunnel(DEFAULT_ACCOUNT_ID, DEFAULT_TUNNEL_ID).connectors
		expect(connectors.map((c) => c.configVersion)).toEqual([1, 2])
		const counted = await control('POST', '/connectors/count', {
			accountId: DEFAULT_ACCOUNT_ID,
			tunnelId: DEFAULT_TUNNEL_ID,
			count: 3,
		})
		expect(counted.json.connectors).toHaveLength(3)
		expect(
			(
				await control('POST', '/connectors/count', {
					accountId: DEFAULT_ACCOUNT_ID,
					tunnelId: 'nope',
					count: 1,
				})
			).status,
		).toBe(404)
	})

	it('exposes state and resets to the seed, or to a new one', async () => {
		await call('PUT', CONFIG, { body: { config: { ingress: [label, catchAll] } } })
		standin.addFault({ path: '/**', kind: 'status', status: 500 })
		const state = (await control('GET', '/state')).json as {
			accounts: Array<{ tunnels: Array<{ version: number }> }>
		}
		expect(state.accounts[0]?.tunnels[0]?.version).toBe(2)
		await control('POST', '/reset')
		expect(standin.tunnel(DEFAULT_ACCOUNT_ID, DEFAULT_TUNNEL_ID).version).toBe(1)
		expect(standin.faults()).toEqual([])
		expect(standin.requests).toEqual([])
		const reseeded = await control('POST', '/reset', {
			accounts: [
				{
					id: DEFAULT_ACCOUNT_ID,
					tunnels: [{ id: 't1', version: 9, config: { ingress: [catchAll] } }],
				},
			],
		})
		expect(reseeded.status).toBe(200)
		expect(standin.tunnel(DEFAULT_ACCOUNT_ID, 't1').version).toBe(9)
		expect((await control('POST', '/reset', { accounts: 'nope' })).status).toBe(400)
		expect((await control('GET', '/nothing')).status).toBe(404)
	})
})
