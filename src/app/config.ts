/**
 * @module The Worker's configuration, parsed once at the entry: which names exist, what each is
 * for, the defaults, which values are refused (a short secret, a URL that is not http(s)) and which
 * are missing. A capability whose configuration is missing is off; the rest keep working. Values
 * never leave this module's callers.
 */
import * as z from 'zod'

/** Every variable and secret tidegate reads, with the capability that needs it. */
export const CONFIG = {
	GITHUB_REPOSITORY: {
		secret: false,
		optional: false,
		neededFor: 'knowing which repository holds tidegate.yaml',
	},
	GITHUB_BRANCH: {
		secret: false,
		optional: true,
		default: 'main',
		neededFor: 'knowing which branch is the desired state',
	},
	TIDEGATE_CONFIG_PATH: {
		secret: false,
		optional: true,
		default: 'tidegate.yaml',
		neededFor: 'finding tidegate.yaml in the repository',
	},
	GITHUB_API_BASE_URL: {
		secret: false,
		optional: true,
		default: 'https://api.github.com',
		url: true,
		neededFor: 'reading the repository and posting commit statuses',
	},
	GITHUB_TOKEN: {
		secret: true,
		optional: false,
		neededFor: 'reading tidegate.yaml and posting commit statuses',
	},
	GITHUB_WEBHOOK_SECRET: {
		secret: true,
		optional: false,
		neededFor: 'accepting GitHub push webhooks (all are refused without it)',
	},
	CF_API_BASE_URL: {
		secret: false,
		optional: true,
		default: 'https://api.cloudflare.com/client/v4',
		url: true,
		neededFor: 'reaching the Cloudflare API',
	},
	CF_TUNNEL_API_TOKEN: {
		secret: true,
		optional: false,
		neededFor: 'syncing the tunnel ingress (Cloudflare Tunnel: Edit)',
	},
	CF_ZERO_TRUST_API_TOKEN: {
		secret: true,
		optional: false,
		neededFor: 'syncing the split-tunnel include list (Zero Trust: Edit)',
	},
	CF_DNS_API_TOKEN: {
		secret: true,
		optional: false,
		neededFor:
			'creating the DNS records of the tunnel hostnames (Zone › DNS › Edit, Zone › Zone › Read); without it DNS is skipped with a warning',
	},
	CONNECTOR_WAIT_SECONDS: {
		secret: false,
		optional: true,
		neededFor: 'how long a tunnel write waits for its connectors (default 30)',
	},
	TIDEGATE_OWNER: {
		secret: false,
		optional: true,
		neededFor:
			'pinning the owner tidegate writes as, so a commit cannot change it (otherwise the owner of the last write)',
	},
	FLUX_WEBHOOK_SECRET: {
		secret: true,
		optional: false,
		neededFor: 'accepting Flux notification events (all are refused without it)',
	},
	AGENT_URL: {
		secret: false,
		optional: false,
		url: true,
		neededFor: 'checking egress from every node',
	},
	AGENT_SECRET: {
		secret: true,
		optional: false,
		neededFor: 'signing requests to the in-cluster agent',
	},
	ADMIN_TOKEN: {
		secret: true,
		optional: false,
		neededFor: 'signing in to the dashboard and the admin API',
	},
	ALERT_WEBHOOK_URL: {
		secret: true,
		optional: true,
		url: true,
		neededFor: 'sending alerts (Slack-compatible webhook)',
	},
	ACCESS_TEAM_DOMAIN: {
		secret: false,
		optional: true,
		neededFor: 'signing in with Cloudflare Access',
	},
	ACCESS_AUD: { secret: false, optional: true, neededFor: 'signing in with Cloudflare Access' },
	FLUX_RECEIVER_URL: {
		secret: false,
		optional: true,
		url: true,
		neededFor: 'asking Flux to pull right after a push',
	},
	FLUX_RECEIVER_SECRET: {
		secret: true,
		optional: true,
		neededFor: 'signing requests to the Flux Receiver',
	},
	PUBLIC_URL: {
		secret: false,
		optional: true,
		url: true,
		neededFor: 'linking commit statuses and alerts to the dashboard',
	},
	GITHUB_PLAN_FORKS: {
		secret: false,
		optional: true,
		neededFor: 'checking pull requests from forks (their tidegate.yaml is untrusted)',
	},
	GITHUB_WEBHOOK_SECRET_PREVIOUS: {
		secret: true,
		optional: true,
		neededFor: 'rotating the GitHub webhook secret',
	},
	FLUX_WEBHOOK_SECRET_PREVIOUS: {
		secret: true,
		optional: true,
		neededFor: 'rotating the Flux webhook secret',
	},
	FLUX_WEBHOOK_TOKEN: {
		secret: true,
		optional: true,
		neededFor:
			'accepting Flux events from a `generic` Provider (Authorization: Bearer), a separate value from FLUX_WEBHOOK_SECRET',
	},
	FLUX_WEBHOOK_TOKEN_PREVIOUS: {
		secret: true,
		optional: true,
		neededFor: 'rotating the Flux bearer token',
	},
	ADMIN_TOKEN_PREVIOUS: {
		secret: true,
		optional: true,
		neededFor: 'rotating the admin token',
	},
} as const satisfies Record<string, ConfigSpec>

/** What tidegate knows of one name. */
interface ConfigSpec {
	secret: boolean
	/** Unset is fine: the capability is optional, or the default applies. */
	optional: boolean
	/** Applied here, once, when the name is unset (or refused). */
	default?: string
	/** The value must be an http(s) URL. */
	url?: true
	neededFor: string
}

/** A configuration name tidegate reads. */
export type ConfigName = keyof typeof CONFIG

/** The names that have a default: after `parseConfig` they always hold a value. */
export type DefaultedName = {
	[N in ConfigName]: (typeof CONFIG)[N] extends { default: string } ? N : never
}[ConfigName]

/** Configuration values as read from the environment; empty strings count as unset. */
export type ConfigValues = Partial<Record<ConfigName, string>>

/**
 * Secrets tidegate shares with a sender or receiver it authenticates, which an operator generates:
 * one shorter than this is refused (treated as unset, and reported), because a short shared
 * secret can be guessed offline from one signed request. `openssl rand -hex 32` gives 64.
 */
export const MIN_SECRET_LENGTH = 32

const LENGTH_CHECKED: ReadonlySet<ConfigName> = new Set<ConfigName>([
	'GITHUB_WEBHOOK_SECRET',
	'GITHUB_WEBHOOK_SECRET_PREVIOUS',
	'FLUX_WEBHOOK_SECRET',
	'FLUX_WEBHOOK_SECRET_PREVIOUS',
	'FLUX_WEBHOOK_TOKEN',
	'FLUX_WEBHOOK_TOKEN_PREVIOUS',
	'FLUX_RECEIVER_SECRET',
	'AGENT_SECRET',
	'ADMIN_TOKEN',
	'ADMIN_TOKEN_PREVIOUS',
])

/** Why a setting does not count: unset, or set but refused (never the value). */
export const CONFIG_PROBLEMS = [
	'unset',
	'too short',
	'same as FLUX_WEBHOOK_SECRET',
	'not an http(s) URL',
] as const

/** Configuration that keeps a capability off, in words an operator can act on. */
export interface MissingConfig {
	name: ConfigName
	kind: 'secret' | 'var'
	neededFor: string
	problem: (typeof CONFIG_PROBLEMS)[number]
}

type Refusal = Exclude<MissingConfig['problem'], 'unset'>

/** An http(s) URL, as `new URL` reads it (what every fetch tidegate makes would do with it). */
const httpUrl = z.url({ protocol: /^https?$/ })

/** What a set value of `name` must be; a refusal's message is its problem. */
function settingSchema(name: ConfigName): z.ZodType<string> {
	const refused = (problem: Refusal) => ({ message: problem, abort: true })
	let schema: z.ZodType<string> = z.string()
	if (LENGTH_CHECKED.has(name)) {
		schema = schema.refine((v) => v.length >= MIN_SECRET_LENGTH, refused('too short'))
	}
	if (isUrlName(name)) {
		schema = schema.refine(
			(v) => httpUrl.safeParse(v.trim()).success,
			refused('not an http(s) URL'),
		)
	}
	return schema
}

/** Every setting tidegate reads; blank counts as unset, and unknown names (bindings) are ignored. */
const SETTINGS = z.object(
	Object.fromEntries(
		(Object.keys(CONFIG) as ConfigName[]).map((name) => [
			name,
			z.preprocess(
				(v) => (isSet(v as string | undefined) ? v : undefined),
				settingSchema(name).optional(),
			),
		]),
	),
)

/** The settings that are set but refused, and why: parsed once with `SETTINGS`, then the Flux rule. */
function refusedSettings(values: ConfigValues): Map<ConfigName, Refusal> {
	const refused = new Map<ConfigName, Refusal>()
	const parsed = SETTINGS.safeParse(values)
	for (const issue of parsed.success ? [] : parsed.error.issues) {
		refused.set(issue.path[0] as ConfigName, issue.message as Refusal)
	}
	const usable = (name: ConfigName) => (refused.has(name) ? undefined : values[name])
	for (const name of FLUX_BEARER) {
		const token = usable(name)
		if (isSet(token) && FLUX_HMAC.some((key) => isSet(usable(key)) && usable(key) === token)) {
			refused.set(name, 'same as FLUX_WEBHOOK_SECRET')
		}
	}
	return refused
}

/** The bearer tokens of Flux's `generic` provider travel in a header, so never the HMAC key. */
const FLUX_BEARER: readonly ConfigName[] = ['FLUX_WEBHOOK_TOKEN', 'FLUX_WEBHOOK_TOKEN_PREVIOUS']
const FLUX_HMAC: readonly ConfigName[] = ['FLUX_WEBHOOK_SECRET', 'FLUX_WEBHOOK_SECRET_PREVIOUS']

/**
 * The values tidegate may use: blank ones dropped, a length-checked secret shorter than
 * `MIN_SECRET_LENGTH` dropped, and a Flux bearer token equal to a Flux HMAC key dropped.
 */
export function usableConfig(values: ConfigValues): ConfigValues {
	const refused = refusedSettings(values)
	const usable: ConfigValues = {}
	for (const name of Object.keys(CONFIG) as ConfigName[]) {
		const value = values[name]
		if (isSet(value) && !refused.has(name)) {
			usable[name] = value
		}
	}
	return usable
}

/**
 * Lists required configuration that is unset, and every setting that is set but refused (a short
 * secret, optional ones included; a bearer token reusing the HMAC key; a URL that is not http(s)).
 * Never returns a value.
 */
export function findMissingConfig(values: ConfigValues): MissingConfig[] {
	const refused = refusedSettings(values)
	const missing: MissingConfig[] = []
	for (const name of Object.keys(CONFIG) as ConfigName[]) {
		const problem: MissingConfig['problem'] | undefined = !isSet(values[name])
			? CONFIG[name].optional
				? undefined
				: 'unset'
			: refused.get(name)
		if (problem) {
			missing.push({
				name,
				kind: CONFIG[name].secret ? 'secret' : 'var',
				neededFor: CONFIG[name].neededFor,
				problem,
			})
		}
	}
	return missing
}

/** One line for /healthz, the dashboard and /api/status, naming the setting, never its value. */
export function describeMissing(m: MissingConfig): string {
	switch (m.problem) {
		case 'unset':
			return `${m.name} is not set; needed for ${m.neededFor}`
		case 'too short':
			return `${m.name} is shorter than ${MIN_SECRET_LENGTH} characters and is refused (make one with openssl rand -hex 32); until then this is off: ${m.neededFor}`
		case 'same as FLUX_WEBHOOK_SECRET':
			return `${m.name} is the same value as the Flux HMAC key and is refused: a bearer token travels in a header, the HMAC key must not; Flux bearer mode is off until it differs`
		case 'not an http(s) URL': {
			const fallback = defaultOf(m.name)
			return `${m.name} is not an http(s) URL and is refused; ${fallback === undefined ? `until it is fixed this is off: ${m.neededFor}` : `until it is fixed ${fallback} is used for ${m.neededFor}`}`
		}
	}
}

function isUrlName(name: ConfigName): boolean {
	return (CONFIG[name] as ConfigSpec).url === true
}

function defaultOf(name: ConfigName): string | undefined {
	return (CONFIG[name] as ConfigSpec).default
}

/** The configuration as the Worker uses it: usable values, the defaults applied, and what is wrong. */
export interface ParsedConfig {
	values: ConfigValues & Record<DefaultedName, string>
	missing: MissingConfig[]
	featuresOff: FeatureOff[]
}

/** Parses the environment once: refused values dropped, defaults applied, problems listed. */
export function parseConfig(env: ConfigValues): ParsedConfig {
	const values: ConfigValues = usableConfig(env)
	for (const name of Object.keys(CONFIG) as ConfigName[]) {
		const fallback = defaultOf(name)
		if (values[name] === undefined && fallback !== undefined) {
			values[name] = fallback
		}
	}
	return {
		values: values as ParsedConfig['values'],
		missing: findMissingConfig(env),
		featuresOff: findFeaturesOff(env),
	}
}

/** An optional feature that is off because of its configuration. */
export interface FeatureOff {
	name: ConfigName
	/** What does not happen, in words an operator can act on. */
	effect: string
}

/**
 * Optional features that are off. Worth saying out loud: `wrangler dev` loads only the secrets
 * wrangler.toml lists in `[secrets] required`, so an optional secret set in `.dev.vars` is dropped
 * without a word (docs/production.md, "Optional secrets").
 */
export function findFeaturesOff(values: ConfigValues): FeatureOff[] {
	const off: FeatureOff[] = []
	if (!isSet(values.ALERT_WEBHOOK_URL)) {
		off.push({
			name: 'ALERT_WEBHOOK_URL',
			effect: 'alerts are not sent (each is logged as alert.dropped)',
		})
	}
	if (isSet(values.FLUX_RECEIVER_URL) && !isSet(values.FLUX_RECEIVER_SECRET)) {
		off.push({
			name: 'FLUX_RECEIVER_SECRET',
			effect:
				'pushes are not forwarded to the Flux Receiver: FLUX_RECEIVER_URL is set, its secret is not',
		})
	}
	return off
}

/** True for a non-blank value. */
export function isSet(value: string | undefined): value is string {
	return value !== undefined && value.trim() !== ''
}
