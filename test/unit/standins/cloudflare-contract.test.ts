/**
 * Contract: the Cloudflare stand-in's request schemas judge a corpus of bodies exactly as the
 * published OpenAPI subset does once its errata are applied (test/standins/cloudflare/openapi.ts),
 * every case where the raw 2024 spec judges otherwise names the erratum responsible, and the
 * stand-in's answers fit the spec's response schemas.
 */
import { readFileSync } from 'node:fs'
import { Ajv, type ValidateFunction } from 'ajv'
import { describe, expect, it } from 'vitest'
import {
	applyCloudflareErrata,
	CLOUDFLARE_ERRATA,
	CLOUDFLARE_SCHEMA_POINTERS,
	openApi30ToJsonSchema,
} from '../../standins/cloudflare/openapi.ts'
import {
	BAD_WILDCARD,
	HOSTNAME_CONTAINS_PORT,
	LAST_RULE_NOT_CATCH_ALL,
	NO_INGRESS_RULES,
	splitTunnelListSchema,
	tunnelConfigurationPutBodySchema,
	validateIngress,
	validateSplitTunnelItems,
} from '../../standins/cloudflare/schemas.ts'
import {
	CUSTOM_INCLUDE_POLICY_ID,
	DEFAULT_ACCOUNT_ID,
	DEFAULT_TUNNEL_ID,
	TUNNEL_TOKEN,
	ZERO_TRUST_TOKEN,
} from '../../standins/cloudflare/seed.ts'
import { createCloudflareStandin } from '../../standins/cloudflare/standin.ts'

const spec: unknown = JSON.parse(
	readFileSync(
		new URL('../../fixtures/contracts/cloudflare-openapi-subset.json', import.meta.url),
		'utf8',
	),
)

/** A validator factory over one version of the spec (raw or patched). */
function validators(document: unknown): (pointer: string) => ValidateFunction {
	// strict: false — the subset carries OpenAPI-only structure (paths, parameters) next to schemas.
	const ajv = new Ajv({ strict: false, allErrors: true })
	ajv.addSchema({ ...(openApi30ToJsonSchema(document) as object), $id: 'cloudflare' })
	return (pointer) => {
		const validate = ajv.getSchema(`cloudflare${pointer}`)
		if (validate === undefined) {
			throw new Error(`no schema at ${pointer}`)
		}
		return validate
	}
}

const patched = validators(applyCloudflareErrata(spec))
const raw = validators(spec)
const errataIds = CLOUDFLARE_ERRATA.map((e) => e.id)

type Verdict = 'valid' | 'invalid'

interface Case {
	name: string
	body: unknown
	/** The verdict of the stand-in's zod schema and of the patched spec: they must agree. */
	expected: Verdict
	/** Where the raw 2024 spec judges otherwise, and which erratum explains it. */
	raw?: { verdict: Verdict; erratum: string }
}

interface TunnelCase extends Case {
	/** For structurally valid bodies: cloudflared's verdict (null = accepted, else the message). */
	ingress?: string | null
}

const catchAll = { service: 'http_status:404' }
const label = {
	hostname: 'label.example.com',
	service: 'http://label-studio-ls-app.apps.svc.cluster.local:8085',
}
const k3s = {
	hostname: 'k3s.example.com',
	service: 'https://kubernetes.default.svc:443',
	originRequest: { noTLSVerify: true },
}
const needsHostname = { verdict: 'invalid', erratum: 'catch-all-without-hostname' } as const

const tunnelCases: TunnelCase[] = [
	{
		name: 'rules and a catch-all without hostname',
		body: { config: { ingress: [label, k3s, catchAll] } },
		expected: 'valid',
		raw: needsHostname,
		ingress: null,
	},
	{
		name: 'catch-all with hostname "*"',
		body: { config: { ingress: [label, { hostname: '*', service: 'http_status:404' }] } },
		expected: 'valid',
		ingress: null,
	},
	{
		name: 'catch-all with hostname "" (the SDK type needs a string)',
		body: { config: { ingress: [label, { hostname: '', service: 'http_status:404' }] } },
		expected: 'valid',
		ingress: null,
	},
	{
		name: 'path-only rule before the catch-all',
		body: { config: { ingress: [{ path: '^/api/', service: 'http://api:80' }, catchAll] } },
		expected: 'valid',
		raw: needsHostname,
		ingress: null,
	},
	{
		name: 'top-level originRequest with access',
		body: {
			config: {
				originRequest: {
					connectTimeout: 30,
					access: { required: true, teamName: 'oceanid', audTag: ['aud1'] },
				},
				ingress: [
					{ ...label, path: '^/v1/' },
					{ hostname: '*', service: 'http_status:404' },
				],
			},
		},
		expected: 'valid',
		ingress: null,
	},
	{
		name: 'warp-routing is tolerated',
		body: { config: { ingress: [catchAll], 'warp-routing': { enabled: true } } },
		expected: 'valid',
		raw: needsHostname,
		ingress: null,
	},
	{
		name: 'originRequest.matchSNItoHost (2026)',
		body: {
			config: {
				ingress: [
					{ ...label, originRequest: { matchSNItoHost: true } },
					{ hostname: '*', service: 'http_status:404' },
				],
			},
		},
		expected: 'valid',
		ingress: null,
	},
	{
		name: 'unknown keys are allowed (and kept)',
		body: {
			config: {
				ingress: [
					{ ...label, note: 'x' },
					{ hostname: '*', service: 'http_status:404' },
				],
			},
			extra: 1,
		},
		expected: 'valid',
		ingress: null,
	},
	{ name: 'no config at all', body: {}, expected: 'valid', ingress: NO_INGRESS_RULES },
	{
		name: 'empty ingress list',
		body: { config: { ingress: [] } },
		expected: 'valid',
		ingress: NO_INGRESS_RULES,
	},
	{
		name: 'last rule has a hostname',
		body: { config: { ingress: [label, k3s] } },
		expected: 'valid',
		ingress: LAST_RULE_NOT_CATCH_ALL,
	},
	{
		name: 'last rule has a path',
		body: {
			config: { ingress: [label, { hostname: '*', path: '^/', service: 'http_status:404' }] },
		},
		expected: 'valid',
		ingress: LAST_RULE_NOT_CATCH_ALL,
	},
	{
		name: 'catch-all before the end',
		body: { config: { ingress: [{ hostname: '*', service: 'http_status:404' }, label, catchAll] } },
		expected: 'valid',
		raw: needsHostname,
		ingress:
			"Rule #1 is matching the hostname '*', but this will match every hostname, meaning the rules which follow it will never be triggered.",
	},
	{
		name: 'port in hostname',
		body: { config: { ingress: [{ ...label, hostname: 'label.example.com:8443' }, catchAll] } },
		expected: 'valid',
		raw: needsHostname,
		ingress: HOSTNAME_CONTAINS_PORT,
	},
	{
		name: 'wildcard not leading',
		body: { config: { ingress: [{ ...label, hostname: 'label.*.example.com' }, catchAll] } },
		expected: 'valid',
		raw: needsHostname,
		ingress: BAD_WILDCARD,
	},
	{
		name: 'two wildcards',
		body: { config: { ingress: [{ ...label, hostname: '**.example.com' }, catchAll] } },
		expected: 'valid',
		raw: needsHostname,
		ingress: BAD_WILDCARD,
	},
	{
		name: 'service without scheme',
		body: { config: { ingress: [{ ...label, service: 'label-studio:8080' }, catchAll] } },
		expected: 'valid',
		raw: needsHostname,
		ingress:
			'label-studio:8080 is an invalid address, please make sure it has a scheme and a hostname',
	},
	{
		name: 'service with a path',
		body: { config: { ingress: [{ ...label, service: 'http://label:8085/' }, catchAll] } },
		expected: 'valid',
		raw: needsHostname,
		ingress:
			"http://label:8085/ is an invalid address, ingress rules don't support proxying to a different path on the origin service. The path will be the same as the eyeball request's path",
	},
	{
		name: 'http_status out of range',
		body: { config: { ingress: [label, { service: 'http_status:4043' }] } },
		expected: 'valid',
		raw: needsHostname,
		ingress: 'invalid HTTP status code: 4043',
	},
	{
		name: 'path is not a regex',
		body: { config: { ingress: [{ ...label, path: '(' }, catchAll] } },
		expected: 'valid',
		raw: needsHostname,
		ingress: 'Rule #1 has an invalid regex',
	},
	{ name: 'body is an array', body: [], expected: 'invalid' },
	{ name: 'body is null', body: null, expected: 'invalid' },
	{ name: 'config is null', body: { config: null }, expected: 'invalid' },
	{ name: 'ingress is an object', body: { config: { ingress: {} } }, expected: 'invalid' },
	{
		name: 'rule without service',
		body: { config: { ingress: [{ hostname: 'a.example.com' }, catchAll] } },
		expected: 'invalid',
	},
	{
		name: 'service is a number',
		body: { config: { ingress: [{ hostname: '*', service: 404 }] } },
		expected: 'invalid',
	},
	{
		name: 'hostname is null',
		body: { config: { ingress: [{ hostname: null, service: 'http_status:404' }] } },
		expected: 'invalid',
	},
	{
		name: 'connectTimeout as a duration string',
		body: {
			config: {
				ingress: [{ hostname: '*', service: 'http_status:404' }],
				originRequest: { connectTimeout: '10s' },
			},
		},
		expected: 'invalid',
	},
	{
		name: 'connectTimeout not an integer',
		body: {
			config: {
				ingress: [
					{ hostname: '*', service: 'http_status:404', originRequest: { tlsTimeout: 1.5 } },
				],
			},
		},
		expected: 'invalid',
	},
	{
		name: 'noTLSVerify as a string',
		body: { config: { ingress: [{ ...k3s, originRequest: { noTLSVerify: 'true' } }] } },
		expected: 'invalid',
	},
	{
		name: 'access without teamName',
		body: {
			config: {
				ingress: [{ hostname: '*', service: 'http_status:404' }],
				originRequest: { access: { audTag: [] } },
			},
		},
		expected: 'invalid',
	},
	{
		name: 'warp-routing.enabled not a boolean',
		body: {
			config: { ingress: [{ hostname: '*', service: 'x' }], 'warp-routing': { enabled: 1 } },
		},
		expected: 'invalid',
	},
	{
		name: 'matchSNItoHost not a boolean',
		body: {
			config: {
				ingress: [
					{ hostname: '*', service: 'http_status:404', originRequest: { matchSNItoHost: 'yes' } },
				],
			},
		},
		expected: 'invalid',
		raw: { verdict: 'valid', erratum: 'origin-request-match-sni-to-host' },
	},
]

const needsAddressAndDescription = {
	verdict: 'invalid',
	erratum: 'split-tunnel-item-one-of',
} as const

const listCases: Array<Case & { semantic?: string | null }> = [
	{ name: 'empty list', body: [], expected: 'valid', semantic: null },
	{
		name: 'address with description',
		body: [{ address: '10.42.0.0/16', description: 'K8s Pod Network - oceanid' }],
		expected: 'valid',
		semantic: null,
	},
	{
		name: 'address without description',
		body: [{ address: '10.42.0.0/16' }],
		expected: 'valid',
		raw: needsAddressAndDescription,
		semantic: null,
	},
	{
		name: 'host only',
		body: [{ host: '*.example.com' }],
		expected: 'valid',
		raw: needsAddressAndDescription,
		semantic: null,
	},
	{
		name: 'host with description',
		body: [{ host: 'db.example.com', description: 'Database' }],
		expected: 'valid',
		raw: needsAddressAndDescription,
		semantic: null,
	},
	{
		name: 'IPv6 and single addresses',
		body: [
			{ address: '2001:db8::/32', description: 'v6' },
			{ address: '192.0.2.7', description: 'one host' },
		],
		expected: 'valid',
		semantic: null,
	},
	{
		name: 'description of exactly 100 characters',
		body: [{ address: '10.0.0.0/8', description: 'x'.repeat(100) }],
		expected: 'valid',
		semantic: null,
	},
	{
		name: 'description of 60 emoji (120 UTF-16 units, 60 characters)',
		body: [{ address: '10.0.0.0/8', description: '🐟'.repeat(60) }],
		expected: 'valid',
		semantic: null,
	},
	{
		name: 'unknown keys are allowed (and dropped on store)',
		body: [{ address: '10.0.0.0/8', description: 'x', protected: true }],
		expected: 'valid',
		semantic: null,
	},
	{
		name: 'description of 101 characters',
		body: [{ address: '10.0.0.0/8', description: 'x'.repeat(101) }],
		expected: 'invalid',
	},
	{
		name: 'both address and host',
		body: [{ address: '10.0.0.0/8', host: 'example.com', description: 'both' }],
		expected: 'invalid',
		raw: { verdict: 'valid', erratum: 'split-tunnel-item-one-of' },
	},
	{
		name: 'address and a non-string host',
		body: [{ address: '10.0.0.0/8', host: 5, description: 'x' }],
		expected: 'invalid',
	},
	{ name: 'empty item', body: [{}], expected: 'invalid' },
	{ name: 'description only', body: [{ description: 'x' }], expected: 'invalid' },
	{ name: 'address is a number', body: [{ address: 10, description: 'x' }], expected: 'invalid' },
	{ name: 'item is a string', body: ['10.0.0.0/8'], expected: 'invalid' },
	{ name: 'item is null', body: [null], expected: 'invalid' },
	{
		name: 'a single item, not an array',
		body: { address: '10.0.0.0/8', description: 'x' },
		expected: 'invalid',
	},
	{
		name: 'wrapped in an object (the body is a bare array)',
		body: { include: [{ address: '10.0.0.0/8', description: 'x' }] },
		expected: 'invalid',
	},
	{
		name: 'address that is not an IP',
		body: [{ address: 'not-an-ip', description: 'x' }],
		expected: 'valid',
		semantic: '[0].address: "not-an-ip" is not an IP address or CIDR',
	},
	{
		name: 'prefix length out of range',
		body: [{ address: '10.0.0.0/33', description: 'x' }],
		expected: 'valid',
		semantic: '[0].address: "10.0.0.0/33" is not an IP address or CIDR',
	},
	{
		name: 'host that is not a domain',
		body: [{ host: 'exa mple.com' }],
		expected: 'valid',
		raw: needsAddressAndDescription,
		semantic: '[0].host: "exa mple.com" is not a domain (example.com or *.example.com)',
	},
]

const verdict = (ok: boolean): Verdict => (ok ? 'valid' : 'invalid')

describe('tunnel configuration PUT bodies', () => {
	const specBody = patched(CLOUDFLARE_SCHEMA_POINTERS.tunnelConfigurationPutBody)
	const rawBody = raw(CLOUDFLARE_SCHEMA_POINTERS.tunnelConfigurationPutBody)

	it.each(tunnelCases)('$name: zod and the patched spec agree', (c) => {
		expect(verdict(tunnelConfigurationPutBodySchema.safeParse(c.body).success)).toBe(c.expected)
		expect(verdict(specBody(c.body))).toBe(c.expected)
	})

	it.each(tunnelCases)('$name: the raw 2024 spec differs only where an erratum says so', (c) => {
		expect(verdict(rawBody(c.body))).toBe(c.raw?.verdict ?? c.expected)
		if (c.raw !== undefined) {
			expect(errataIds).toContain(c.raw.erratum)
			expect(c.raw.verdict).not.toBe(c.expected)
		}
	})

	it.each(tunnelCases.filter((c) => c.expected === 'valid'))(
		'$name: cloudflared validation',
		(c) => {
			const parsed = tunnelConfigurationPutBodySchema.parse(c.body)
			const problem = validateIngress(parsed.config)
			if (c.ingress === null || c.ingress === undefined) {
				expect(problem).toBeNull()
			} else {
				expect(problem).toContain(c.ingress)
			}
		},
	)
})

describe('split-tunnel list PUT bodies', () => {
	const pointers = {
		'default include': CLOUDFLARE_SCHEMA_POINTERS.includePutBody,
		'custom include': CLOUDFLARE_SCHEMA_POINTERS.customIncludePutBody,
		'default exclude': CLOUDFLARE_SCHEMA_POINTERS.excludePutBody,
	}

	for (const [endpoint, pointer] of Object.entries(pointers)) {
		describe(endpoint, () => {
			const specBody = patched(pointer)
			const rawBody = raw(pointer)

			it.each(listCases)('$name: zod and the patched spec agree', (c) => {
				expect(verdict(splitTunnelListSchema.safeParse(c.body).success)).toBe(c.expected)
				expect(verdict(specBody(c.body))).toBe(c.expected)
			})

			it.each(listCases)('$name: the raw 2024 spec differs only where an erratum says so', (c) => {
				expect(verdict(rawBody(c.body))).toBe(c.raw?.verdict ?? c.expected)
				if (c.raw !== undefined) {
					expect(errataIds).toContain(c.raw.erratum)
				}
			})
		})
	}

	it.each(listCases.filter((c) => c.expected === 'valid'))(
		'$name: address/host meaning (beyond the schema)',
		(c) => {
			const items = splitTunnelListSchema.parse(c.body).map((item) => ({
				...(item.address === undefined ? { host: item.host ?? '' } : { address: item.address }),
			}))
			expect(validateSplitTunnelItems(items)).toBe(c.semantic ?? null)
		},
	)
})

describe('errata', () => {
	it('each erratum but the documented no-op changes the spec', () => {
		for (const erratum of CLOUDFLARE_ERRATA) {
			const changed = JSON.stringify(applyCloudflareErrata(spec, [erratum.id]))
			if (erratum.id === 'warp-routing-tolerated') {
				expect(changed).toBe(JSON.stringify(spec))
			} else {
				expect(changed).not.toBe(JSON.stringify(spec))
			}
		}
	})

	it('the subset lists the errata the stand-in applies', () => {
		const listed = (spec as { errata_vs_current_api: Array<{ where: string }> })
			.errata_vs_current_api
		const where = listed.map((e) => e.where).join('\n')
		for (const target of [
			'tunnel_ingressRule',
			'teams-devices_split_tunnel_include',
			'tunnel_config_response_single',
			'warp-routing',
			'tunnel_originRequest',
			'messages',
		]) {
			expect(where).toContain(target)
		}
	})

	it('converts OpenAPI 3.0 nullable into JSON Schema', () => {
		expect(
			openApi30ToJsonSchema({ type: 'object', nullable: true, enum: [null], example: null }),
		).toEqual({ type: ['object', 'null'], enum: [null] })
	})
})

describe("the stand-in's answers fit the spec's response schemas", () => {
	const base = `https://api.cloudflare.test/client/v4/accounts/${DEFAULT_ACCOUNT_ID}`
	const call = async (token: string, method: string, path: string, body?: unknown) => {
		const standin = createCloudflareStandin()
		const response = await standin.fetch(
			new Request(`${base}${path}`, {
				method,
				headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
				...(body === undefined ? {} : { body: JSON.stringify(body) }),
			}),
		)
		return { status: response.status, json: (await response.json()) as unknown }
	}
	const expectFits = (pointer: string, json: unknown) => {
		const validate = patched(pointer)
		expect(validate(json), JSON.stringify(validate.errors)).toBe(true)
	}

	it('configuration GET and PUT', async () => {
		const path = `/cfd_tunnel/${DEFAULT_TUNNEL_ID}/configurations`
		const got = await call(TUNNEL_TOKEN, 'GET', path)
		expectFits(CLOUDFLARE_SCHEMA_POINTERS.tunnelConfigurationResponse, got.json)
		const put = await call(TUNNEL_TOKEN, 'PUT', path, {
			config: { ingress: [label, catchAll], 'warp-routing': { enabled: false } },
		})
		expect(put.status).toBe(200)
		expectFits(CLOUDFLARE_SCHEMA_POINTERS.tunnelConfigurationResponse, put.json)
	})

	it('configuration failures (400 code 1056, 404) fit the failure envelope', async () => {
		const path = `/cfd_tunnel/${DEFAULT_TUNNEL_ID}/configurations`
		const bad = await call(TUNNEL_TOKEN, 'PUT', path, { config: { ingress: [label] } })
		expect(bad.status).toBe(400)
		expectFits(CLOUDFLARE_SCHEMA_POINTERS.tunnelFailure, bad.json)
		const missing = await call(TUNNEL_TOKEN, 'GET', '/cfd_tunnel/nope/configurations')
		expect(missing.status).toBe(404)
		expectFits(CLOUDFLARE_SCHEMA_POINTERS.tunnelFailure, missing.json)
	})

	it('include and exclude lists, default and custom', async () => {
		const host = [{ host: '*.example.com' }, { address: '10.42.0.0/16' }]
		for (const path of [
			'/devices/policy/include',
			`/devices/policy/${CUSTOM_INCLUDE_POLICY_ID}/include`,
		]) {
			const got = await call(ZERO_TRUST_TOKEN, 'GET', path)
			expectFits(CLOUDFLARE_SCHEMA_POINTERS.includeResponse, got.json)
			const put = await call(ZERO_TRUST_TOKEN, 'PUT', path, host)
			expectFits(CLOUDFLARE_SCHEMA_POINTERS.includeResponse, put.json)
			// The raw spec would reject these stored items (host-only, no description).
			expect(raw(CLOUDFLARE_SCHEMA_POINTERS.includeResponse)(put.json)).toBe(false)
		}
		const exclude = await call(ZERO_TRUST_TOKEN, 'GET', '/devices/policy/exclude')
		expectFits(CLOUDFLARE_SCHEMA_POINTERS.excludeResponse, exclude.json)
	})

	it('auth failures fit the failure envelope, error_chain included', async () => {
		const wrongScope = await call(TUNNEL_TOKEN, 'GET', '/devices/policy/include')
		expect(wrongScope.status).toBe(403)
		expectFits(CLOUDFLARE_SCHEMA_POINTERS.devicesFailure, wrongScope.json)
		const standin = createCloudflareStandin()
		const noHeader = await standin.fetch(new Request(`${base}/devices/policy/include`))
		expectFits(CLOUDFLARE_SCHEMA_POINTERS.devicesFailure, await noHeader.json())
	})

	it('the 429 envelope fits only with the message-items erratum (code 971 < 1000)', async () => {
		const standin = createCloudflareStandin()
		standin.addFault({ path: '/**', kind: 'rate-limit', retryAfter: 3 })
		const response = await standin.fetch(
			new Request(`${base}/devices/policy/include`, {
				headers: { authorization: `Bearer ${ZERO_TRUST_TOKEN}` },
			}),
		)
		const json = await response.json()
		expectFits(CLOUDFLARE_SCHEMA_POINTERS.devicesFailure, json)
		expect(raw(CLOUDFLARE_SCHEMA_POINTERS.devicesFailure)(json)).toBe(false)
	})
})
