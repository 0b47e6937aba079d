/**
 * @module The published Cloudflare OpenAPI subset (test/fixtures/contracts/) made usable as JSON
 * Schema, and the one place where its errata are applied. The subset is the 2024 spec; the
 * errata record where today's API (cloudflare@7.3.0 SDK types, developers.cloudflare.com,
 * observed answers) differs. See docs/outside-apis.md, Cloudflare.
 */

/** A parsed JSON object. */
export type JsonObject = { [key: string]: unknown }

/** One documented difference between the published 2024 schema and the API as it is today. */
export interface CloudflareErratum {
	/** Stable id, referenced by the contract test where the stand-in and the raw spec differ. */
	id: string
	/** The JSON pointer (into the subset) the erratum changes. */
	where: string
	/** What is wrong in the published schema, and the evidence. */
	why: string
	/** Patches a deep copy of the subset in place. */
	apply(spec: JsonObject): void
}

const SPLIT_TUNNEL_DESCRIPTION = { type: 'string', maxLength: 100 }

/** Each item is `{address, description?}` or `{host, description?}`, never both keys at once. */
function splitTunnelItemOneOf(): JsonObject {
	const branch = (key: 'address' | 'host', other: 'address' | 'host') => ({
		type: 'object',
		required: [key],
		properties: { [key]: { type: 'string' }, description: SPLIT_TUNNEL_DESCRIPTION },
		not: { required: [other] },
	})
	return { oneOf: [branch('address', 'host'), branch('host', 'address')] }
}

/** The errata, in the order they are applied. */
export const CLOUDFLARE_ERRATA: readonly CloudflareErratum[] = [
	{
		id: 'catch-all-without-hostname',
		where: '#/components/schemas/tunnel_ingressRule/required',
		why: 'The spec requires hostname on every ingress rule, but the mandatory last rule is a catch-all without one ({"service":"http_status:404"}); cloudflared validation decides where a rule without hostname may stand.',
		apply(spec) {
			schema(spec, 'tunnel_ingressRule').required = ['service']
		},
	},
	{
		id: 'split-tunnel-item-one-of',
		where:
			'#/components/schemas/teams-devices_split_tunnel_include, #/components/schemas/teams-devices_split_tunnel',
		why: 'The 2024 spec requires address and description. Today each item is oneOf {address} | {host}, description optional (<= 100 characters); "if address is present, host must not be present" and vice versa (cloudflare@7.3.0 SplitTunnelInclude/SplitTunnelExclude).',
		apply(spec) {
			for (const name of ['teams-devices_split_tunnel_include', 'teams-devices_split_tunnel']) {
				const old = schema(spec, name)
				for (const key of Object.keys(old)) {
					delete old[key]
				}
				Object.assign(old, splitTunnelItemOneOf())
			}
		},
	},
	{
		id: 'origin-request-match-sni-to-host',
		where: '#/components/schemas/tunnel_originRequest/properties/matchSNItoHost',
		why: 'The 2026 SDK adds the boolean matchSNItoHost to originRequest.',
		apply(spec) {
			properties(schema(spec, 'tunnel_originRequest')).matchSNItoHost = { type: 'boolean' }
		},
	},
	{
		id: 'warp-routing-tolerated',
		where: '#/components/schemas/tunnel_config/properties/warp-routing',
		why: 'Present in the 2024 spec, absent from the 2026 SDK and docs. Kept as published: requests carrying it are accepted and it is echoed back, nothing depends on it.',
		apply() {},
	},
	{
		id: 'configuration-result-shape',
		where: '#/components/schemas/tunnel_config_response_single/allOf/1/properties/result',
		why: 'The 2024 spec types result as a bare object; today it is {account_id, tunnel_id, version, source, created_at, config} (cloudflare@7.3.0 ConfigurationGetResponse).',
		apply(spec) {
			const single = schema(spec, 'tunnel_config_response_single')
			const parts = single.allOf as JsonObject[]
			const second = parts[1] as JsonObject
			properties(second).result = {
				type: 'object',
				properties: {
					account_id: { type: 'string' },
					tunnel_id: { type: 'string' },
					version: { type: 'number' },
					source: { type: 'string', enum: ['local', 'cloudflare'] },
					created_at: { type: 'string' },
					config: { $ref: '#/components/schemas/tunnel_config' },
				},
			}
		},
	},
	{
		id: 'message-items',
		where:
			'#/components/schemas/tunnel_messages/items, #/components/schemas/teams-devices_messages/items',
		why: 'Error and message items gained documentation_url and source.pointer (2026 common.yaml); error_chain is observed in real answers (6003 → 6111) but in no spec; the rate-limit answer carries code 971, below the spec minimum of 1000 (workers-sdk#10025).',
		apply(spec) {
			for (const name of ['tunnel_messages', 'teams-devices_messages']) {
				const items = schema(spec, name).items as JsonObject
				const props = properties(items)
				props.code = { type: 'integer' }
				props.documentation_url = { type: 'string' }
				props.source = { type: 'object', properties: { pointer: { type: 'string' } } }
				props.error_chain = {
					type: 'array',
					items: {
						type: 'object',
						required: ['code', 'message'],
						properties: { code: { type: 'integer' }, message: { type: 'string' } },
					},
				}
			}
		},
	},
]

/** A deep copy of the subset with the errata applied (all of them, or those named). */
export function applyCloudflareErrata(spec: unknown, only?: readonly string[]): JsonObject {
	const copy = structuredClone(spec) as JsonObject
	for (const erratum of CLOUDFLARE_ERRATA) {
		if (only === undefined || only.includes(erratum.id)) {
			erratum.apply(copy)
		}
	}
	return copy
}

const ANNOTATIONS_ONLY = new Set(['example', 'examples', 'externalDocs', 'xml', 'discriminator'])

/**
 * Rewrites OpenAPI 3.0 schema dialect into JSON Schema draft 7: `nullable: true` becomes a `null`
 * member of `type` (and of `enum`), and annotation-only keywords that validators reject in strict
 * mode (`example`, `x-*`) are dropped. Returns a deep copy.
 */
export function openApi30ToJsonSchema(value: unknown): unknown {
	if (Array.isArray(value)) {
		return value.map(openApi30ToJsonSchema)
	}
	if (value === null || typeof value !== 'object') {
		return value
	}
	const out: JsonObject = {}
	for (const [key, inner] of Object.entries(value)) {
		if (ANNOTATIONS_ONLY.has(key) || key.startsWith('x-') || key === 'nullable') {
			continue
		}
		out[key] = openApi30ToJsonSchema(inner)
	}
	if ((value as JsonObject).nullable === true) {
		if (typeof out.type === 'string') {
			out.type = [out.type, 'null']
		}
		if (Array.isArray(out.enum) && !out.enum.includes(null)) {
			out.enum = [...out.enum, null]
		}
	}
	return out
}

/** JSON pointers (into the subset) of the schemas the stand-in implements. */
export const CLOUDFLARE_SCHEMA_POINTERS = {
	tunnelConfigurationPutBody: pathPointer(
		'/accounts/{account_id}/cfd_tunnel/{tunnel_id}/configurations',
		'put/requestBody/content/application~1json/schema',
	),
	tunnelConfigurationResponse: '#/components/schemas/tunnel_config_response_single',
	tunnelFailure: '#/components/schemas/tunnel_api-response-common-failure',
	includePutBody: pathPointer(
		'/accounts/{account_id}/devices/policy/include',
		'put/requestBody/content/application~1json/schema',
	),
	customIncludePutBody: pathPointer(
		'/accounts/{account_id}/devices/policy/{policy_id}/include',
		'put/requestBody/content/application~1json/schema',
	),
	excludePutBody: pathPointer(
		'/accounts/{account_id}/devices/policy/exclude',
		'put/requestBody/content/application~1json/schema',
	),
	includeResponse: '#/components/schemas/teams-devices_split_tunnel_include_response_collection',
	excludeResponse: '#/components/schemas/teams-devices_split_tunnel_response_collection',
	devicesFailure: '#/components/schemas/teams-devices_api-response-common-failure',
} as const

function pathPointer(path: string, rest: string): string {
	return `#/paths/${path.replaceAll('~', '~0').replaceAll('/', '~1')}/${rest}`
}

function schema(spec: JsonObject, name: string): JsonObject {
	const components = spec.components as { schemas: Record<string, JsonObject> }
	const found = components.schemas[name]
	if (found === undefined) {
		throw new Error(`erratum target ${name} is missing from the OpenAPI subset`)
	}
	return found
}

function properties(target: JsonObject): JsonObject {
	target.properties ??= {}
	return target.properties as JsonObject
}
