/**
 * @module A contract-faithful fake of the Cloudflare API endpoints tidegate calls, as a pure
 * Web-API fetch handler (Hono; no `node:` imports) so it runs in Node (`server.ts`) and inside
 * workerd (MSW handlers forward to `fetch`). Beside the API under `/client/v4` it serves a control
 * API under `/__standin` for tests and `npm start`: state, request log, faults, hand edits,
 * connectors. Error codes other than those observed in the wild (6003/6111, 10000, 1056, 7003,
 * 971, and the DNS and route codes `dns.ts` and `teamnet.ts` name) are the stand-in's own choice:
 * match on status and `success`, not on them.
 *
 * Endpoints under `/client/v4` (scope family of the token in brackets):
 * - tunnels [tunnel]: `GET|PUT /accounts/{a}/cfd_tunnel/{t}/configurations`, `GET …/connections`;
 * - device profiles [zero-trust]: `GET|PUT /accounts/{a}/devices/policy[/{p}]/include|exclude`,
 *   `GET /accounts/{a}/devices/policy[/{p}]`, `GET /accounts/{a}/devices/policies`;
 * - zones and DNS [dns] (`dns-api.ts`): `GET /zones`, `GET /zones/{z}`,
 *   `GET|POST /zones/{z}/dns_records`, `GET|PUT|PATCH|DELETE /zones/{z}/dns_records/{r}`;
 * - private networks [tunnel] (`teamnet-api.ts`): `GET|POST /accounts/{a}/teamnet/routes`,
 *   `GET|PATCH|DELETE /accounts/{a}/teamnet/routes/{r}`, `GET /accounts/{a}/teamnet/virtual_networks`.
 */
import { type Context, Hono } from 'hono'
import { z } from 'zod'
import { RECORD_NOT_FOUND, writeRecord } from './dns.ts'
import { registerDnsApi } from './dns-api.ts'
import {
	API_BASE_PATH,
	type Fault,
	type FaultSpec,
	faultMatches,
	faultSpecSchema,
	type HandEdit,
	handEditSchema,
	htmlErrorPage,
} from './faults.ts'
import { type PageBounds, paginate } from './pagination.ts'
import {
	badConfigurationMessage,
	parseSplitTunnelList,
	parseTunnelConfigurationPutBody,
	type SplitTunnelItem,
	type TunnelConfig,
	tunnelConfigSchema,
	validateIngress,
	validateSplitTunnelItems,
} from './schemas.ts'
import {
	type AccountState,
	buildConnector,
	buildState,
	type CloudflareStandinSeed,
	type ConnectorState,
	cloudflareSeedSchema,
	cloudflareTime,
	type DnsRecordState,
	type ProfileState,
	type RouteState,
	type ScopeFamily,
	type StandinState,
	type TokenScope,
	type TokenSeed,
	type TunnelState,
	type VirtualNetworkState,
	type ZoneState,
} from './seed.ts'
import { ROUTE_NOT_FOUND, writeRoute } from './teamnet.ts'
import { registerTeamnetApi } from './teamnet-api.ts'

/** Options: the seed, plus a clock for deterministic timestamps. */
export interface CloudflareStandinOptions extends CloudflareStandinSeed {
	/** Milliseconds since the epoch; `Date.now` by default. */
	now?: () => number
}

/** One request to `/client/v4`, as the stand-in answered it. */
export interface RequestLogEntry {
	/** 1, 2, 3… in arrival order. */
	seq: number
	/** Arrival time, Unix milliseconds. */
	at: number
	method: string
	/** The full path, e.g. `/client/v4/accounts/…/devices/policy/include`. */
	path: string
	/** The query string as sent, without `?` (`name.exact=www.example.com&per_page=100`), or ''. */
	query: string
	status: number
	/** The permission family the endpoint needs (from the path), null for unknown routes. */
	scope: ScopeFamily | null
	/** The presented token's name (or value), null when absent or unknown. */
	token: string | null
	/** The presented token's scopes, null when absent or unknown. */
	tokenScopes: TokenScope[] | null
	/** Any method other than GET/HEAD/OPTIONS: an attempted write, whatever the answer. */
	write: boolean
	/** Whether the request changed state. */
	applied: boolean
	/** Kinds of the faults that fired for it, in order. */
	faults: FaultSpec['kind'][]
	/** The parsed JSON body of a write (the raw text when it is not JSON). */
	body?: unknown
}

/** What a hand edit left behind (for a deletion: the record or route as it was deleted). */
export type HandEditResult =
	| { kind: 'tunnel-config'; version: number; config: TunnelConfig }
	| { kind: 'split-tunnel'; mode: 'include' | 'exclude'; list: SplitTunnelItem[] }
	| { kind: 'dns-record'; op: 'create' | 'update' | 'delete'; record: DnsRecordState }
	| { kind: 'route'; op: 'create' | 'update' | 'delete'; route: RouteState }

/** A JSON copy of the state, as `GET /__standin/state` returns it. */
export interface StandinSnapshot {
	accounts: Array<{
		id: string
		name: string
		tunnels: Array<Omit<TunnelState, 'connectors'> & { connectors: ConnectorState[] }>
		profiles: ProfileState[]
		zones: Array<Omit<ZoneState, 'accountId'>>
		virtualNetworks: VirtualNetworkState[]
		/** Deleted routes included (`deleted_at` set). */
		routes: RouteState[]
	}>
	tokens: Array<{ name: string; scopes: TokenScope[]; accounts: string[] | null }>
}

/** The stand-in: a fetch handler plus the handles tests need. */
export interface CloudflareStandin {
	/** Answers one request (API under `/client/v4`, control API under `/__standin`). */
	fetch(request: Request): Promise<Response>
	/** The Hono app behind `fetch`. */
	readonly app: Hono<StandinEnv>
	/** The live state; replaced by `reset`. */
	readonly state: StandinState
	/** Every `/client/v4` request so far. */
	readonly requests: readonly RequestLogEntry[]
	/** The log entries that were writes (attempted, whatever the answer). */
	writes(): RequestLogEntry[]
	/** Empties the request log. */
	clearRequests(): void
	/** Installs a fault; returns its id. */
	addFault(spec: FaultSpec): string
	/** The installed faults with their fire counts. */
	faults(): Fault[]
	/** Removes one fault, or all. */
	clearFaults(id?: string): void
	/** Changes a tunnel configuration or split-tunnel list as the dashboard would. */
	handEdit(edit: HandEdit): HandEditResult
	/** Marks a connector (by index or id) as lagging: it keeps its config_version. Un-lagging catches it up. */
	setConnectorLagging(
		accountId: string,
		tunnelId: string,
		connector: number | string,
		lagging?: boolean,
	): void
	/** Sets how many connectors a tunnel has (0 = tunnel down); new ones run the current version. */
	setConnectorCount(accountId: string, tunnelId: string, count: number): void
	/** A tunnel's live state; throws when unknown. */
	tunnel(accountId: string, tunnelId: string): TunnelState
	/** A device profile's live state (`default` or a policy id); throws when unknown. */
	profile(accountId: string, policyId?: string): ProfileState
	/** A zone's live state, by id or name (`example.com`); throws when unknown. */
	zone(zone: string): ZoneState
	/** A copy of a zone's records (by zone id or name), in creation order. */
	records(zone: string): DnsRecordState[]
	/** A copy of an account's routes in creation order: live ones, or all with `includeDeleted`. */
	routes(accountId: string, options?: { includeDeleted?: boolean }): RouteState[]
	/** A copy of an account's virtual networks (the default one first unless seeded otherwise). */
	virtualNetworks(accountId: string): VirtualNetworkState[]
	/** A JSON copy of the state. */
	snapshot(): StandinSnapshot
	/** Back to the seed (or a new one); clears faults and the request log. */
	reset(seed?: CloudflareStandinSeed): void
}

/** Hono environment of the stand-in app. */
export type StandinEnv = { Variables: { entry: RequestLogEntry } }

/** What the endpoint modules (`dns-api.ts`, `teamnet-api.ts`) get from the stand-in. */
export interface ApiTools {
	/** The live state (replaced by `reset`). */
	state(): StandinState
	/** The current time in Cloudflare's format. */
	now(): string
	/** Checks the bearer token for the scope family: the token, or the answer refusing it. */
	authenticate(c: Context<StandinEnv>, family: ScopeFamily): TokenSeed | Response
	/** Checks an authenticated token may touch the account, and that it exists; null when so. */
	authorizeAccount(c: Context<StandinEnv>, token: TokenSeed, accountId: string): Response | null
	/** `authenticate`, then `authorizeAccount`; null when allowed. */
	authorize(c: Context<StandinEnv>, family: ScopeFamily, accountId: string): Response | null
	/** Reads a JSON body; answers 400 when it is missing or not JSON. */
	readJson(
		c: Context<StandinEnv>,
	): Promise<{ ok: true; value: unknown } | { ok: false; response: Response }>
	/** A success envelope. */
	ok(c: Context<StandinEnv>, result: unknown): Response
	/** One page of a list with `result_info`, or 400 when the page query is bad. */
	page(c: Context<StandinEnv>, items: readonly unknown[], bounds: PageBounds): Response
	/** A failure envelope with one error item. */
	fail(c: Context<StandinEnv>, status: 400 | 403 | 404, code: number, message: string): Response
	/** 403 code 10000: the token may not touch this. */
	denied(c: Context<StandinEnv>): Response
	/** 404 code 7003 for an unknown object in the path (e.g. `/zones/{id}`). */
	noRoute(c: Context<StandinEnv>, path: string): Response
	/** 400 for a query parameter the endpoint refuses. */
	badQuery(c: Context<StandinEnv>, message: string): Response
}

/** A Cloudflare error or message item. */
export interface CloudflareMessage {
	code: number
	message: string
	error_chain?: Array<{ code: number; message: string }>
}

/** Codes the stand-in answers with (see the module note on which are observed). */
export const CODES = {
	invalidHeaders: 6003,
	invalidAuthorizationFormat: 6111,
	authentication: 10000,
	noRoute: 7003,
	rateLimited: 971,
	badConfiguration: 1056,
	malformedJson: 6007,
	invalidBody: 1001,
	tunnelNotFound: 1003,
	policyNotFound: 2006,
	invalidQuery: 1002,
	internal: 1000,
} as const

/** The body of every JSON answer under `/client/v4`. */
export function envelope(
	success: boolean,
	result: unknown,
	errors: CloudflareMessage[] = [],
): { success: boolean; errors: CloudflareMessage[]; messages: never[]; result: unknown } {
	return { success, errors, messages: [], result: success ? result : null }
}

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

/** Creates a stand-in seeded from options (omitted keys take `defaultCloudflareSeed()`'s). */
export function createCloudflareStandin(options: CloudflareStandinOptions = {}): CloudflareStandin {
	const { now = Date.now, ...initialSeed } = options
	let seed: CloudflareStandinSeed = structuredClone(initialSeed)
	let state = buildState(seed, now())
	let requests: RequestLogEntry[] = []
	let faults: Fault[] = []
	let nextFaultId = 1
	let nextSeq = 1

	const account = (accountId: string): AccountState => {
		const found = state.accounts.get(accountId)
		if (found === undefined) {
			throw new Error(`unknown account ${accountId}`)
		}
		return found
	}
	const tunnel = (accountId: string, tunnelId: string): TunnelState => {
		const found = account(accountId).tunnels.get(tunnelId)
		if (found === undefined) {
			throw new Error(`unknown tunnel ${tunnelId} in account ${accountId}`)
		}
		return found
	}
	const profile = (accountId: string, policyId = 'default'): ProfileState => {
		const found = account(accountId).profiles.get(policyId)
		if (found === undefined) {
			throw new Error(`unknown device profile ${policyId} in account ${accountId}`)
		}
		return found
	}

	const zone = (idOrName: string): ZoneState => {
		const wanted = idOrName.toLowerCase()
		for (const a of state.accounts.values()) {
			const found = a.zones.get(idOrName) ?? [...a.zones.values()].find((z) => z.name === wanted)
			if (found !== undefined) {
				return found
			}
		}
		throw new Error(`unknown zone ${idOrName}`)
	}

	/** Stores a new configuration version; connectors that are not lagging pick it up. */
	const writeTunnelConfig = (target: TunnelState, config: TunnelConfig) => {
		target.version += 1
		target.config = structuredClone(config)
		target.createdAt = cloudflareTime(now())
		for (const connector of target.connectors) {
			if (!connector.lagging) {
				connector.configVersion = target.version
			}
		}
	}

	/** Stores a split-tunnel list; writing the other mode's list switches the mode (the old list is gone). */
	const writeSplitTunnel = (
		target: ProfileState,
		mode: 'include' | 'exclude',
		list: SplitTunnelItem[],
	) => {
		target.mode = mode
		target.list = structuredClone(list)
	}

	const rejected = (message: string) =>
		new Error(`hand edit rejected, as the dashboard would: ${message}`)

	const handEditRecord = (edit: Extract<HandEdit, { kind: 'dns-record' }>): HandEditResult => {
		const target = zone(edit.zone)
		const at = cloudflareTime(now())
		if (edit.op === 'create') {
			const { id, ...body } = edit.record
			const written = writeRecord(target, body, { mode: 'create', now: at, id })
			if (!written.ok) {
				throw rejected(written.refusal.message)
			}
			target.records.push(written.record)
			return { kind: 'dns-record', op: edit.op, record: structuredClone(written.record) }
		}
		const index = target.records.findIndex((r) => r.id === edit.id)
		const existing = target.records[index]
		if (existing === undefined) {
			throw rejected(`${RECORD_NOT_FOUND.message} (${edit.id} in ${target.name})`)
		}
		if (edit.op === 'delete') {
			target.records.splice(index, 1)
			return { kind: 'dns-record', op: edit.op, record: structuredClone(existing) }
		}
		const written = writeRecord(target, edit.record, { mode: 'edit', now: at, existing })
		if (!written.ok) {
			throw rejected(written.refusal.message)
		}
		target.records[index] = written.record
		return { kind: 'dns-record', op: edit.op, record: structuredClone(written.record) }
	}

	const handEditRoute = (edit: Extract<HandEdit, { kind: 'route' }>): HandEditResult => {
		const target = account(edit.accountId)
		const at = cloudflareTime(now())
		if (edit.op === 'create') {
			const { id, ...body } = edit.route
			const written = writeRoute(target, body, { mode: 'create', now: at, id })
			if (!written.ok) {
				throw rejected(written.refusal.message)
			}
			target.routes.set(written.route.id, written.route)
			return { kind: 'route', op: edit.op, route: structuredClone(written.route) }
		}
		const existing = target.routes.get(edit.id)
		if (existing === undefined || existing.deleted_at !== null) {
			throw rejected(`${ROUTE_NOT_FOUND.message} (${edit.id})`)
		}
		if (edit.op === 'delete') {
			existing.deleted_at = at
			return { kind: 'route', op: edit.op, route: structuredClone(existing) }
		}
		const written = writeRoute(target, edit.route, { mode: 'edit', now: at, existing })
		if (!written.ok) {
			throw rejected(written.refusal.message)
		}
		target.routes.set(existing.id, written.route)
		return { kind: 'route', op: edit.op, route: structuredClone(written.route) }
	}

	const handEdit = (edit: HandEdit): HandEditResult => {
		if (edit.kind === 'dns-record') {
			return handEditRecord(edit)
		}
		if (edit.kind === 'route') {
			return handEditRoute(edit)
		}
		if (edit.kind === 'tunnel-config') {
			const target = tunnel(edit.accountId, edit.tunnelId)
			const next =
				typeof edit.config === 'function'
					? edit.config(structuredClone(target.config))
					: edit.config
			const parsed = tunnelConfigSchema.safeParse(next)
			const problem = parsed.success ? validateIngress(parsed.data) : z.prettifyError(parsed.error)
			if (!parsed.success || problem !== null) {
				throw rejected(String(problem))
			}
			writeTunnelConfig(target, parsed.data)
			return { kind: 'tunnel-config', version: target.version, config: target.config ?? {} }
		}
		const target = profile(edit.accountId, edit.policyId ?? 'default')
		const mode = edit.mode ?? target.mode
		const current = target.mode === mode ? target.list : []
		const next = typeof edit.list === 'function' ? edit.list(structuredClone(current)) : edit.list
		const parsed = parseSplitTunnelList(next)
		const problem = parsed.ok ? validateSplitTunnelItems(parsed.value) : parsed.message
		if (!parsed.ok || problem !== null) {
			throw rejected(String(problem))
		}
		writeSplitTunnel(target, mode, parsed.value)
		return { kind: 'split-tunnel', mode, list: structuredClone(target.list) }
	}

	const addFault = (spec: FaultSpec): string => {
		const id = `fault-${nextFaultId++}`
		faults.push({ ...spec, id, fired: 0 })
		return id
	}
	const clearFaults = (id?: string) => {
		faults = id === undefined ? [] : faults.filter((f) => f.id !== id)
	}

	const setConnectorLagging = (
		accountId: string,
		tunnelId: string,
		which: number | string,
		lagging = true,
	) => {
		const target = tunnel(accountId, tunnelId)
		const connector =
			typeof which === 'number'
				? target.connectors[which]
				: target.connectors.find((c) => c.id === which)
		if (connector === undefined) {
			throw new Error(`tunnel ${tunnelId} has no connector ${which}`)
		}
		connector.lagging = lagging
		if (!lagging) {
			connector.configVersion = target.version
		}
	}

	const setConnectorCount = (accountId: string, tunnelId: string, count: number) => {
		const target = tunnel(accountId, tunnelId)
		if (count < target.connectors.length) {
			target.connectors.length = count
		}
		for (let i = target.connectors.length; i < count; i++) {
			target.connectors.push(buildConnector({}, i, target.version, now()))
		}
	}

	const snapshot = (): StandinSnapshot =>
		structuredClone({
			accounts: [...state.accounts.values()].map((a) => ({
				id: a.id,
				name: a.name,
				tunnels: [...a.tunnels.values()],
				profiles: [...a.profiles.values()],
				zones: [...a.zones.values()].map(({ accountId: _, ...z }) => z),
				virtualNetworks: [...a.virtualNetworks.values()],
				routes: [...a.routes.values()],
			})),
			tokens: [...state.tokens.values()].map((t) => ({
				name: t.name ?? t.value,
				scopes: t.scopes,
				accounts: t.accounts ?? null,
			})),
		})

	const reset = (next?: CloudflareStandinSeed) => {
		if (next !== undefined) {
			seed = structuredClone(next)
		}
		state = buildState(seed, now())
		requests = []
		faults = []
		nextSeq = 1
	}

	/** Runs matching faults in order; returns the answer of the first answering one. */
	const runFaults = async (c: Context<StandinEnv>): Promise<Response | null> => {
		const entry = c.get('entry')
		for (const fault of [...faults]) {
			if (!faults.includes(fault) || !faultMatches(fault, c.req.method, entry.path)) {
				continue
			}
			fault.fired += 1
			if (fault.times !== undefined && fault.fired >= fault.times) {
				faults = faults.filter((f) => f !== fault)
			}
			entry.faults.push(fault.kind)
			switch (fault.kind) {
				case 'delay':
					await new Promise((resolve) => setTimeout(resolve, fault.ms))
					break
				case 'hand-edit':
					handEdit(fault.edit)
					break
				case 'status':
					return c.json(
						envelope(false, null, [
							{
								code: fault.code ?? CODES.internal,
								message: fault.message ?? `Injected failure (HTTP ${fault.status})`,
							},
						]),
						fault.status as 400,
						fault.retryAfter === undefined ? {} : { 'Retry-After': String(fault.retryAfter) },
					)
				case 'rate-limit': {
					const headers: Record<string, string> =
						fault.retryAfter === undefined ? {} : { 'Retry-After': String(fault.retryAfter) }
					return c.json(
						envelope(false, null, [
							{
								code: CODES.rateLimited,
								message: 'Please wait and consider throttling your request speed',
							},
						]),
						429,
						headers,
					)
				}
				case 'html': {
					const status = fault.status ?? 502
					return c.html(htmlErrorPage(status), status as 502)
				}
				case 'success-false':
					return c.json(
						envelope(false, null, [
							{ code: fault.code ?? CODES.internal, message: fault.message ?? 'Injected failure' },
						]),
						200,
					)
				case 'body':
					return new Response(JSON.stringify(fault.body), {
						status: fault.status ?? 200,
						headers: { 'content-type': 'application/json' },
					})
			}
		}
		return null
	}

	const app = new Hono<StandinEnv>()

	// ---- the request log and faults wrap every API request, known route or not
	app.use('*', async (c, next) => {
		const { pathname: path, search } = new URL(c.req.url)
		if (path.startsWith('/__standin')) {
			return next()
		}
		const write = !READ_METHODS.has(c.req.method)
		const entry: RequestLogEntry = {
			seq: nextSeq++,
			at: now(),
			method: c.req.method,
			path,
			query: search.slice(1),
			status: 0,
			scope: scopeOf(path),
			token: null,
			tokenScopes: null,
			write,
			applied: false,
			faults: [],
		}
		if (write) {
			const text = await c.req.text()
			try {
				entry.body = JSON.parse(text)
			} catch {
				entry.body = text
			}
		}
		requests.push(entry)
		c.set('entry', entry)
		const faulted = await runFaults(c)
		if (faulted !== null) {
			entry.status = faulted.status
			return faulted
		}
		await next()
		entry.status = c.res.status
	})

	// ---- control API
	const control = new Hono<StandinEnv>()
	control.get('/state', (c) => c.json(snapshot()))
	control.post('/reset', async (c) => {
		const text = await c.req.text()
		if (text.trim() === '') {
			reset()
			return c.json({ ok: true })
		}
		const parsed = cloudflareSeedSchema.safeParse(safeJson(text))
		if (!parsed.success) {
			return c.json({ error: `invalid seed: ${z.prettifyError(parsed.error)}` }, 400)
		}
		reset(parsed.data as CloudflareStandinSeed)
		return c.json({ ok: true })
	})
	control.get('/requests', (c) => {
		const writesOnly = c.req.query('writes') !== undefined
		return c.json({ requests: writesOnly ? requests.filter((r) => r.write) : requests })
	})
	control.delete('/requests', (c) => {
		requests = []
		return c.json({ ok: true })
	})
	control.get('/faults', (c) => c.json({ faults }))
	control.post('/faults', async (c) => {
		const body = safeJson(await c.req.text())
		const parsed = z.union([faultSpecSchema, z.array(faultSpecSchema)]).safeParse(body)
		if (!parsed.success) {
			return c.json({ error: `invalid fault: ${z.prettifyError(parsed.error)}` }, 400)
		}
		const specs = Array.isArray(parsed.data) ? parsed.data : [parsed.data]
		return c.json({ ids: specs.map((spec) => addFault(spec as FaultSpec)) })
	})
	control.delete('/faults', (c) => {
		clearFaults()
		return c.json({ ok: true })
	})
	control.delete('/faults/:id', (c) => {
		const id = c.req.param('id')
		if (!faults.some((f) => f.id === id)) {
			return c.json({ error: `no fault ${id}` }, 404)
		}
		clearFaults(id)
		return c.json({ ok: true })
	})
	control.post('/hand-edit', async (c) => {
		const parsed = handEditSchema.safeParse(safeJson(await c.req.text()))
		if (!parsed.success) {
			return c.json({ error: `invalid hand edit: ${z.prettifyError(parsed.error)}` }, 400)
		}
		try {
			return c.json(handEdit(parsed.data as HandEdit))
		} catch (e) {
			return c.json({ error: (e as Error).message }, 400)
		}
	})
	const lagBody = z.object({
		accountId: z.string(),
		tunnelId: z.string(),
		connector: z.union([z.int().min(0), z.string()]),
		lagging: z.boolean().default(true),
	})
	control.post('/connectors/lagging', async (c) => {
		const parsed = lagBody.safeParse(safeJson(await c.req.text()))
		if (!parsed.success) {
			return c.json({ error: z.prettifyError(parsed.error) }, 400)
		}
		const { accountId, tunnelId, connector, lagging } = parsed.data
		try {
			setConnectorLagging(accountId, tunnelId, connector, lagging)
		} catch (e) {
			return c.json({ error: (e as Error).message }, 404)
		}
		return c.json({ connectors: tunnel(accountId, tunnelId).connectors })
	})
	const countBody = z.object({ accountId: z.string(), tunnelId: z.string(), count: z.int().min(0) })
	control.post('/connectors/count', async (c) => {
		const parsed = countBody.safeParse(safeJson(await c.req.text()))
		if (!parsed.success) {
			return c.json({ error: z.prettifyError(parsed.error) }, 400)
		}
		const { accountId, tunnelId, count } = parsed.data
		try {
			setConnectorCount(accountId, tunnelId, count)
		} catch (e) {
			return c.json({ error: (e as Error).message }, 404)
		}
		return c.json({ connectors: tunnel(accountId, tunnelId).connectors })
	})
	app.route('/__standin', control)

	// ---- the Cloudflare API
	const api = new Hono<StandinEnv>()

	const denied = (c: Context<StandinEnv>) =>
		c.json(
			envelope(false, null, [{ code: CODES.authentication, message: 'Authentication error' }]),
			403,
		)
	const noRoute = (c: Context<StandinEnv>, path: string) =>
		c.json(
			envelope(false, null, [
				{
					code: CODES.noRoute,
					message: `Could not route to ${path}, perhaps your object identifier is invalid?`,
				},
			]),
			404,
		)

	/** Checks the bearer token for the endpoint's scope family: the token, or the refusal. */
	const authenticate = (c: Context<StandinEnv>, family: ScopeFamily): TokenSeed | Response => {
		const entry = c.get('entry')
		const match = /^Bearer +(\S+) *$/i.exec(c.req.header('authorization') ?? '')
		if (match === null) {
			return c.json(
				envelope(false, null, [
					{
						code: CODES.invalidHeaders,
						message: 'Invalid request headers',
						error_chain: [
							{
								code: CODES.invalidAuthorizationFormat,
								message: 'Invalid format for Authorization header',
							},
						],
					},
				]),
				400,
			)
		}
		const token = state.tokens.get(match[1] ?? '')
		if (token === undefined) {
			return denied(c)
		}
		entry.token = token.name ?? token.value
		entry.tokenScopes = [...token.scopes]
		const needed: TokenScope[] = entry.write ? [family] : [family, `${family}:read`]
		return token.scopes.some((s) => needed.includes(s)) ? token : denied(c)
	}

	/** Checks an authenticated token may touch the account, and that the account exists. */
	const authorizeAccount = (
		c: Context<StandinEnv>,
		token: TokenSeed,
		accountId: string,
	): Response | null => {
		if (token.accounts !== undefined && !token.accounts.includes(accountId)) {
			return denied(c)
		}
		return state.accounts.has(accountId) ? null : noRoute(c, `/accounts/${accountId}`)
	}

	/** Checks the bearer token for the endpoint's scope and the account; null when allowed. */
	const authorize = (
		c: Context<StandinEnv>,
		family: ScopeFamily,
		accountId: string,
	): Response | null => {
		const token = authenticate(c, family)
		return token instanceof Response ? token : authorizeAccount(c, token, accountId)
	}

	/** Reads a JSON body; answers 400 when it is missing or not JSON. */
	const readJson = async (
		c: Context<StandinEnv>,
	): Promise<{ ok: true; value: unknown } | { ok: false; response: Response }> => {
		const text = await c.req.text()
		try {
			return { ok: true, value: JSON.parse(text) }
		} catch {
			return {
				ok: false,
				response: c.json(
					envelope(false, null, [
						{ code: CODES.malformedJson, message: 'Malformed JSON in request body' },
					]),
					400,
				),
			}
		}
	}

	const invalidBody = (c: Context<StandinEnv>, message: string, code: number = CODES.invalidBody) =>
		c.json(envelope(false, null, [{ code, message }]), 400)

	// Every tunnel and profile route authorizes the token for the account first, then finds its object.
	const findTunnel = (c: Context<StandinEnv>): TunnelState | Response => {
		const denied = authorize(c, 'tunnel', c.req.param('accountId') ?? '')
		if (denied !== null) {
			return denied
		}
		const found = state.accounts
			.get(c.req.param('accountId') ?? '')
			?.tunnels.get(c.req.param('tunnelId') ?? '')
		return (
			found ??
			c.json(
				envelope(false, null, [{ code: CODES.tunnelNotFound, message: 'Tunnel not found' }]),
				404,
			)
		)
	}

	const findProfile = (c: Context<StandinEnv>): ProfileState | Response => {
		const denied = authorize(c, 'zero-trust', c.req.param('accountId') ?? '')
		if (denied !== null) {
			return denied
		}
		// The default profile lives at `/devices/policy`; `default` is no custom policy id.
		const policyId = c.req.param('policyId')
		const key = policyId === undefined ? 'default' : policyId === 'default' ? '' : policyId
		const found = state.accounts.get(c.req.param('accountId') ?? '')?.profiles.get(key)
		return (
			found ??
			c.json(
				envelope(false, null, [
					{ code: CODES.policyNotFound, message: 'Device settings profile not found' },
				]),
				404,
			)
		)
	}

	const configurationResult = (accountId: string, target: TunnelState) => ({
		account_id: accountId,
		tunnel_id: target.id,
		version: target.version,
		source: 'cloudflare',
		created_at: target.createdAt,
		config: target.config,
	})

	const tunnelPath = '/accounts/:accountId/cfd_tunnel/:tunnelId'

	api.get(`${tunnelPath}/configurations`, (c) => {
		const accountId = c.req.param('accountId')
		const target = findTunnel(c)
		if (target instanceof Response) {
			return target
		}
		return c.json(envelope(true, configurationResult(accountId, target)))
	})

	api.put(`${tunnelPath}/configurations`, async (c) => {
		const accountId = c.req.param('accountId')
		const target = findTunnel(c)
		if (target instanceof Response) {
			return target
		}
		const json = await readJson(c)
		if (!json.ok) {
			return json.response
		}
		const body = parseTunnelConfigurationPutBody(json.value)
		if (!body.ok) {
			return invalidBody(c, `Bad Configuration: ${body.message}`)
		}
		const problem = validateIngress(body.value.config)
		if (problem !== null) {
			return invalidBody(c, badConfigurationMessage(problem), CODES.badConfiguration)
		}
		writeTunnelConfig(target, body.value.config ?? {})
		c.get('entry').applied = true
		return c.json(envelope(true, configurationResult(accountId, target)))
	})

	api.get(`${tunnelPath}/connections`, (c) => {
		const target = findTunnel(c)
		if (target instanceof Response) {
			return target
		}
		return c.json(envelope(true, target.connectors.map(connectorResult)))
	})

	// Static `include`/`exclude` routes first: `/devices/policy/:policyId` would match them too.
	for (const mode of ['include', 'exclude'] as const) {
		for (const prefix of [
			'/accounts/:accountId/devices/policy',
			'/accounts/:accountId/devices/policy/:policyId',
		]) {
			api.get(`${prefix}/${mode}`, (c) => {
				const target = findProfile(c)
				if (target instanceof Response) {
					return target
				}
				// A profile in the other mode has no list of this kind (undocumented: the stand-in answers []).
				return c.json(envelope(true, target.mode === mode ? target.list : []))
			})
			api.put(`${prefix}/${mode}`, async (c) => {
				const target = findProfile(c)
				if (target instanceof Response) {
					return target
				}
				const json = await readJson(c)
				if (!json.ok) {
					return json.response
				}
				const list = parseSplitTunnelList(json.value)
				if (!list.ok) {
					return invalidBody(c, `Invalid split tunnel list: ${list.message}`)
				}
				const problem = validateSplitTunnelItems(list.value)
				if (problem !== null) {
					return invalidBody(c, `Invalid split tunnel list: ${problem}`)
				}
				writeSplitTunnel(target, mode, list.value)
				c.get('entry').applied = true
				return c.json(envelope(true, target.list))
			})
		}
	}

	for (const path of [
		'/accounts/:accountId/devices/policy',
		'/accounts/:accountId/devices/policy/:policyId',
	]) {
		api.get(path, (c) => {
			const target = findProfile(c)
			return target instanceof Response ? target : c.json(envelope(true, profileResult(target)))
		})
	}

	api.get('/accounts/:accountId/devices/policies', (c) => {
		const accountId = c.req.param('accountId')
		const denied = authorize(c, 'zero-trust', accountId)
		if (denied !== null) {
			return denied
		}
		const custom = [...account(accountId).profiles.values()].filter((p) => !p.isDefault)
		return c.json(envelope(true, custom.map(profileResult)))
	})

	const tools: ApiTools = {
		state: () => state,
		now: () => cloudflareTime(now()),
		authenticate,
		authorizeAccount,
		authorize,
		readJson,
		ok: (c, result) => c.json(envelope(true, result)),
		page: (c, items, bounds) => {
			const page = paginate(items, new URL(c.req.url).searchParams, bounds)
			return page.ok
				? c.json({ ...envelope(true, page.result), result_info: page.resultInfo })
				: tools.badQuery(c, page.message)
		},
		fail: (c, status, code, message) => c.json(envelope(false, null, [{ code, message }]), status),
		denied,
		noRoute,
		badQuery: (c, message) => invalidBody(c, message, CODES.invalidQuery),
	}
	registerDnsApi(api, tools)
	registerTeamnetApi(api, tools)

	app.route(API_BASE_PATH, api)

	app.notFound((c) =>
		c.req.path.startsWith('/__standin')
			? c.json({ error: `no control route ${c.req.method} ${c.req.path}` }, 404)
			: c.json(
					envelope(false, null, [{ code: CODES.noRoute, message: 'No route for the URI' }]),
					404,
				),
	)
	app.onError((e, c) =>
		c.json(
			envelope(false, null, [{ code: CODES.internal, message: `stand-in error: ${e.message}` }]),
			500,
		),
	)

	return {
		fetch: async (request) => app.fetch(request),
		app,
		get state() {
			return state
		},
		get requests() {
			return requests
		},
		writes: () => requests.filter((r) => r.write),
		clearRequests: () => {
			requests = []
		},
		addFault,
		faults: () => faults.map((f) => ({ ...f })),
		clearFaults,
		handEdit,
		setConnectorLagging,
		setConnectorCount,
		tunnel,
		profile,
		zone,
		records: (idOrName) => structuredClone(zone(idOrName).records),
		routes: (accountId, options = {}) =>
			structuredClone(
				[...account(accountId).routes.values()].filter(
					(r) => options.includeDeleted === true || r.deleted_at === null,
				),
			),
		virtualNetworks: (accountId) =>
			structuredClone([...account(accountId).virtualNetworks.values()]),
		snapshot,
		reset,
	}
}

/** The permission family a request path belongs to (for the request log), null when none. */
function scopeOf(path: string): ScopeFamily | null {
	if (path.includes('/cfd_tunnel/') || path.includes('/teamnet/')) {
		return 'tunnel'
	}
	if (path.includes('/devices/')) {
		return 'zero-trust'
	}
	return path === `${API_BASE_PATH}/zones` || path.startsWith(`${API_BASE_PATH}/zones/`)
		? 'dns'
		: null
}

function connectorResult(connector: ConnectorState) {
	return {
		id: connector.id,
		arch: connector.arch,
		version: connector.version,
		run_at: connector.runAt,
		config_version: connector.configVersion,
		features: ['ha-origin', 'serialized_headers', 'support_datagram_v3_2', 'management_logs'],
		conns: connector.conns.map((conn) => ({
			id: conn.id,
			uuid: conn.id,
			client_id: connector.id,
			client_version: connector.version,
			colo_name: conn.coloName,
			is_pending_reconnect: false,
			opened_at: conn.openedAt,
			origin_ip: conn.originIp,
		})),
	}
}

/** The device profile as GET `/devices/policy[/{id}]` answers it: one of `include` / `exclude`. */
function profileResult(profile: ProfileState) {
	const common = {
		allow_mode_switch: false,
		allow_updates: false,
		allowed_to_leave: true,
		auto_connect: 0,
		captive_portal: 180,
		disable_auto_fallback: false,
		enabled: profile.enabled,
		exclude_office_ips: false,
		fallback_domains: [],
		service_mode_v2: { mode: 'warp' },
		support_url: '',
		switch_locked: false,
		tunnel_protocol: 'wireguard',
		[profile.mode]: profile.list,
	}
	if (profile.isDefault) {
		return { default: true, ...common }
	}
	return {
		policy_id: profile.policyId,
		name: profile.name,
		default: false,
		...(profile.match === null ? {} : { match: profile.match }),
		...(profile.precedence === null ? {} : { precedence: profile.precedence }),
		...common,
	}
}

function safeJson(text: string): unknown {
	try {
		return JSON.parse(text)
	} catch {
		return undefined
	}
}
