/**
 * The official `cloudflare` SDK (7.3.0), tree-shaken to zones, DNS records and private-network
 * routes as tidegate builds it, against the stand-in served on loopback: the paths and query keys
 * it sends exist, auto-pagination ends, results parse, and refusals raise the SDK's error classes.
 */
import { BadRequestError, NotFoundError, PermissionDeniedError, RateLimitError } from 'cloudflare'
import { BaseRecords } from 'cloudflare/resources/dns/records'
import { BaseRoutes } from 'cloudflare/resources/zero-trust/networks/routes/routes'
import { BaseZones } from 'cloudflare/resources/zones/zones'
import { createClient } from 'cloudflare/tree-shakable'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
	DEFAULT_ACCOUNT_ID,
	DEFAULT_TUNNEL_ID,
	DEFAULT_ZONE_ID,
	DNS_TOKEN,
	defaultCloudflareSeed,
	NETOPS_ROUTE_ID,
	READ_ONLY_TOKEN,
	TUNNEL_TOKEN,
} from '../../standins/cloudflare/seed.ts'
import {
	type RunningCloudflareStandin,
	serveCloudflareStandin,
} from '../../standins/cloudflare/server.ts'

let running: RunningCloudflareStandin

const client = (apiToken: string) =>
	createClient({
		apiToken,
		baseURL: running.apiBaseUrl,
		maxRetries: 0,
		resources: [BaseZones, BaseRecords, BaseRoutes],
	})

const zone = { zone_id: DEFAULT_ZONE_ID }
const account = { account_id: DEFAULT_ACCOUNT_ID }
const tunnelCname = {
	...zone,
	type: 'CNAME',
	name: 'label.example.com',
	content: `${DEFAULT_TUNNEL_ID}.cfargotunnel.com`,
	proxied: true,
	ttl: 1,
	comment: 'managed by tidegate',
} as const

beforeAll(async () => {
	running = await serveCloudflareStandin({ port: 0 })
})

afterAll(async () => {
	await running.close()
})

beforeEach(() => {
	// A test may reseed the server; the next starts from the default seed again.
	running.standin.reset(defaultCloudflareSeed())
})

const requests = () => running.standin.requests.map((r) => `${r.method} ${r.path}?${r.query}`)

/** The error a call rejects with (a test fails when it resolves). */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
	return promise.then(
		(value) => {
			throw new Error(`expected a rejection, got ${JSON.stringify(value)}`)
		},
		(error: unknown) => error,
	)
}

describe('zones', () => {
	it('zones.list auto-paginates until an empty page', async () => {
		running.standin.reset({
			accounts: [
				{
					id: DEFAULT_ACCOUNT_ID,
					zones: Array.from({ length: 7 }, (_, i) => ({
						id: `${i}`.repeat(32),
						name: `z${i}.example`,
					})),
				},
			],
		})
		const names: string[] = []
		for await (const found of client(DNS_TOKEN).zones.list({ per_page: 5 })) {
			names.push(found.name)
		}
		expect(names).toEqual(Array.from({ length: 7 }, (_, i) => `z${i}.example`))
		expect(requests()).toEqual([
			'GET /client/v4/zones?per_page=5',
			'GET /client/v4/zones?per_page=5&page=2',
			'GET /client/v4/zones?per_page=5&page=3',
		])
	})

	it('zones.list sends account.id and name with dots, and finds the zone of a hostname', async () => {
		const page = await client(DNS_TOKEN).zones.list({
			account: { id: DEFAULT_ACCOUNT_ID },
			name: 'example.com',
		})
		expect(page.result.map((z) => [z.id, z.name, z.account.id])).toEqual([
			[DEFAULT_ZONE_ID, 'example.com', DEFAULT_ACCOUNT_ID],
		])
		expect(page.result_info).toMatchObject({ page: 1, per_page: 20 })
		expect(running.standin.requests[0]?.query).toBe(
			`account.id=${DEFAULT_ACCOUNT_ID}&name=example.com`,
		)
	})

	it('zones.get', async () => {
		const found = await client(DNS_TOKEN).zones.get(zone)
		expect(found).toMatchObject({ id: DEFAULT_ZONE_ID, name: 'example.com', status: 'active' })
	})
})

describe('DNS records', () => {
	it('list filters by name.exact and type', async () => {
		const page = await client(DNS_TOKEN).dns.records.list({
			...zone,
			name: { exact: 'www.example.com' },
			type: 'A',
		})
		expect(page.result.map((r) => [r.type, r.name, r.proxied])).toEqual([
			['A', 'www.example.com', true],
		])
		expect(running.standin.requests[0]?.query).toBe('name.exact=www.example.com&type=A')
	})

	it('create, get, update (PUT), edit (PATCH), delete', async () => {
		const records = client(DNS_TOKEN).dns.records
		const created = await records.create(tunnelCname)
		expect(created).toMatchObject({
			type: 'CNAME',
			name: 'label.example.com',
			proxied: true,
			ttl: 1,
			comment: 'managed by tidegate',
		})
		expect(await records.get(created.id, zone)).toEqual(created)
		const replaced = await records.update(created.id, {
			...tunnelCname,
			content: 'elsewhere.example.net',
			comment: 'moved',
		})
		expect(replaced).toMatchObject({
			id: created.id,
			content: 'elsewhere.example.net',
			comment: 'moved',
		})
		const edited = await records.edit(created.id, { ...tunnelCname, comment: 'back' })
		expect(edited).toMatchObject({ content: tunnelCname.content, comment: 'back' })
		expect(await records.delete(created.id, zone)).toEqual({ id: created.id })
		expect(await rejection(records.get(created.id, zone))).toBeInstanceOf(NotFoundError)
		expect(running.standin.writes().map((w) => `${w.method} ${w.status}`)).toEqual([
			'POST 200',
			'PUT 200',
			'PATCH 200',
			'DELETE 200',
		])
	})

	it('a wildcard CNAME works', async () => {
		const created = await client(DNS_TOKEN).dns.records.create({
			...tunnelCname,
			name: '*.apps.example.com',
		})
		expect(created.name).toBe('*.apps.example.com')
	})

	it('CNAME exclusivity raises BadRequestError with codes 81053 and 81054', async () => {
		const records = client(DNS_TOKEN).dns.records
		const cname = await rejection(records.create({ ...tunnelCname, name: 'www.example.com' }))
		expect(cname).toBeInstanceOf(BadRequestError)
		expect((cname as BadRequestError).errors).toMatchObject([{ code: 81053 }])
		await records.create(tunnelCname)
		const address = await rejection(
			records.create({
				...zone,
				type: 'A',
				name: 'label.example.com',
				content: '192.0.2.1',
				ttl: 1,
			}),
		)
		expect(address).toBeInstanceOf(BadRequestError)
		expect((address as BadRequestError).errors).toMatchObject([{ code: 81054 }])
	})

	it('a 429 raises RateLimitError with Retry-After', async () => {
		running.standin.addFault({
			path: '/zones/*/dns_records',
			kind: 'rate-limit',
			retryAfter: 120,
			times: 1,
		})
		const error = await rejection(client(DNS_TOKEN).dns.records.create(tunnelCname))
		expect(error).toBeInstanceOf(RateLimitError)
		expect((error as RateLimitError).headers?.get('retry-after')).toBe('120')
		expect(running.standin.records(DEFAULT_ZONE_ID)).toHaveLength(4)
	})

	it('a tunnel token cannot touch DNS; a dns:read token cannot write', async () => {
		const tunnelOnly = await rejection(client(TUNNEL_TOKEN).zones.list())
		expect(tunnelOnly).toBeInstanceOf(PermissionDeniedError)
		expect((tunnelOnly as PermissionDeniedError).errors).toMatchObject([{ code: 10000 }])
		expect(await rejection(client(TUNNEL_TOKEN).dns.records.create(tunnelCname))).toBeInstanceOf(
			PermissionDeniedError,
		)
		const readOnly = client(READ_ONLY_TOKEN).dns.records
		expect((await readOnly.list(zone)).result).toHaveLength(4)
		expect(await rejection(readOnly.create(tunnelCname))).toBeInstanceOf(PermissionDeniedError)
		expect(running.standin.records(DEFAULT_ZONE_ID)).toHaveLength(4)
	})

	it('the SDK resolves an envelope without a result to null: the caller must refuse it', async () => {
		running.standin.addFault({
			method: 'POST',
			path: '/zones/*/dns_records',
			kind: 'body',
			body: { success: true, errors: [], messages: [], result: null },
		})
		expect(await client(DNS_TOKEN).dns.records.create(tunnelCname)).toBeNull()
	})
})

describe('private-network routes', () => {
	it('list with is_deleted=false, create, edit, delete (soft), get', async () => {
		const routes = client(TUNNEL_TOKEN).zeroTrust.networks.routes
		const listed = []
		for await (const route of routes.list({ ...account, is_deleted: false })) {
			listed.push(route)
		}
		expect(listed).toMatchObject([
			{ id: NETOPS_ROUTE_ID, network: '10.8.0.0/16', tunnel_name: 'netops-office' },
		])
		expect(running.standin.requests[0]?.query).toBe('is_deleted=false')
		const created = await routes.create({
			...account,
			network: '10.42.0.0/16',
			tunnel_id: DEFAULT_TUNNEL_ID,
			comment: 'Pods - oceanid',
		})
		expect(created).toMatchObject({ network: '10.42.0.0/16', tunnel_id: DEFAULT_TUNNEL_ID })
		const edited = await routes.edit(created.id ?? '', { ...account, comment: 'Pods' })
		expect(edited.comment).toBe('Pods')
		const deleted = await routes.delete(created.id ?? '', account)
		expect(deleted.deleted_at).toEqual(expect.any(String))
		expect((await routes.get(created.id ?? '', account)).deleted_at).toBe(deleted.deleted_at)
		const live = await routes.list({ ...account, is_deleted: false, tunnel_id: DEFAULT_TUNNEL_ID })
		expect(live.result).toEqual([])
	})

	it('the same network twice raises BadRequestError; an unknown route NotFoundError', async () => {
		const routes = client(TUNNEL_TOKEN).zeroTrust.networks.routes
		const duplicate = await rejection(
			routes.create({ ...account, network: '10.8.0.0/16', tunnel_id: DEFAULT_TUNNEL_ID }),
		)
		expect(duplicate).toBeInstanceOf(BadRequestError)
		expect((duplicate as BadRequestError).errors).toMatchObject([{ code: 1014 }])
		const missing = await rejection(routes.delete(crypto.randomUUID(), account))
		expect(missing).toBeInstanceOf(NotFoundError)
		expect((missing as NotFoundError).errors).toMatchObject([{ code: 1015 }])
	})

	it('a dns token cannot touch routes', async () => {
		const error = await rejection(client(DNS_TOKEN).zeroTrust.networks.routes.list(account))
		expect(error).toBeInstanceOf(PermissionDeniedError)
	})
})
