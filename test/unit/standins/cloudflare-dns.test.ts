/** Behaviour of the Cloudflare stand-in's zones and DNS records: listing, writes, refusals, scopes, hand edits. */
import { beforeEach, describe, expect, it } from 'vitest'
import {
	type CallOptions,
	callControl,
	callStandin,
	failureOf,
	resultOf,
} from '../../standins/cloudflare/call.ts'
import {
	DEFAULT_ACCOUNT_ID,
	DEFAULT_TUNNEL_ID,
	DEFAULT_ZONE_ID,
	DNS_TOKEN,
	READ_ONLY_TOKEN,
	TUNNEL_TOKEN,
	ZERO_TRUST_TOKEN,
} from '../../standins/cloudflare/seed.ts'
import {
	type CloudflareStandin,
	createCloudflareStandin,
} from '../../standins/cloudflare/standin.ts'

const ZONES = '/client/v4/zones'
const RECORDS = `${ZONES}/${DEFAULT_ZONE_ID}/dns_records`
const TUNNEL_TARGET = `${DEFAULT_TUNNEL_ID}.cfargotunnel.com`
const OTHER_ACCOUNT = 'a'.repeat(32)
const OTHER_ZONE = 'b'.repeat(32)

/** A tunnel CNAME as tidegate writes it. */
const tunnelCname = (name: string) => ({
	type: 'CNAME',
	name,
	content: TUNNEL_TARGET,
	proxied: true,
	ttl: 1,
	comment: 'managed by tidegate',
})

interface DnsRecord {
	id: string
	name: string
	type: string
	content: string
	proxied: boolean
	ttl: number
	comment: string | null
	tags: string[]
	created_on: string
	modified_on: string
	comment_modified_on?: string
	priority?: number
}

let clock = Date.UTC(2026, 7, 20, 10, 0, 0)
let standin: CloudflareStandin

beforeEach(() => {
	clock = Date.UTC(2026, 7, 20, 10, 0, 0)
	standin = createCloudflareStandin({ now: () => clock })
})

function call(method: string, path: string, options: Partial<CallOptions> = {}) {
	return callStandin(standin, method, path, { ...options, token: options.token ?? DNS_TOKEN })
}

async function names(query = ''): Promise<string[]> {
	const records = resultOf<DnsRecord[]>(await call('GET', `${RECORDS}${query}`))
	return records.map((r) => `${r.type} ${r.name}`)
}

/** A second account with a pro-plan zone, and tokens for it. */
function twoAccounts() {
	standin = createCloudflareStandin({
		now: () => clock,
		accounts: [
			{ id: DEFAULT_ACCOUNT_ID, zones: [{ id: DEFAULT_ZONE_ID, name: 'example.com' }] },
			{
				id: OTHER_ACCOUNT,
				name: 'Oceanid',
				zones: [{ id: OTHER_ZONE, name: 'oceanid.dev', plan: 'pro' }],
			},
		],
		tokens: [
			{ value: DNS_TOKEN, scopes: ['dns'] },
			{ value: 'other-only', scopes: ['dns'], accounts: [OTHER_ACCOUNT] },
		],
	})
}

describe('zones', () => {
	it('lists the zones the token can see, paginated, in the SDK Zone shape', async () => {
		const response = await call('GET', ZONES)
		expect(response.status).toBe(200)
		const zones = resultOf<Array<{ id: string; name: string; account: { id: string } }>>(response)
		expect(zones).toEqual([
			expect.objectContaining({
				id: DEFAULT_ZONE_ID,
				name: 'example.com',
				status: 'active',
				account: { id: DEFAULT_ACCOUNT_ID, name: expect.any(String) },
				plan: expect.objectContaining({ name: 'Free Website' }),
				name_servers: expect.any(Array),
			}),
		])
		expect(response.json?.result_info).toEqual({
			page: 1,
			per_page: 20,
			count: 1,
			total_count: 1,
			total_pages: 1,
		})
	})

	it('filters by name (with operators), account.id and account.name', async () => {
		twoAccounts()
		const listed = async (query: string, token = DNS_TOKEN) =>
			resultOf<Array<{ name: string }>>(await call('GET', `${ZONES}?${query}`, { token })).map(
				(z) => z.name,
			)
		expect(await listed('')).toEqual(['example.com', 'oceanid.dev'])
		expect(await listed('name=EXAMPLE.com')).toEqual(['example.com'])
		expect(await listed('name=ends_with:.dev')).toEqual(['oceanid.dev'])
		expect(await listed('name=contains:o')).toEqual(['example.com', 'oceanid.dev'])
		expect(await listed('name=not_equal:example.com')).toEqual(['oceanid.dev'])
		expect(await listed(`account.id=${OTHER_ACCOUNT}`)).toEqual(['oceanid.dev'])
		expect(await listed('account.name=oceanid')).toEqual(['oceanid.dev'])
		expect(await listed('name=nothing.example')).toEqual([])
		expect((await call('GET', `${ZONES}?name=like:x`)).status).toBe(400)
	})

	it('shows a token limited to some accounts only their zones, and refuses the others', async () => {
		twoAccounts()
		const mine = await call('GET', ZONES, { token: 'other-only' })
		expect(resultOf<Array<{ name: string }>>(mine).map((z) => z.name)).toEqual(['oceanid.dev'])
		expect(
			failureOf(
				await call('GET', `${ZONES}?account.id=${DEFAULT_ACCOUNT_ID}`, { token: 'other-only' }),
			),
		).toMatchObject({ status: 403, code: 10000 })
		expect(failureOf(await call('GET', RECORDS, { token: 'other-only' }))).toMatchObject({
			status: 403,
			code: 10000,
		})
		expect(
			(await call('GET', `${ZONES}/${OTHER_ZONE}/dns_records`, { token: 'other-only' })).status,
		).toBe(200)
	})

	it('pages 5 to 50 zones at a time', async () => {
		standin = createCloudflareStandin({
			accounts: [
				{
					id: DEFAULT_ACCOUNT_ID,
					zones: Array.from({ length: 7 }, (_, i) => ({
						id: `${i}`.repeat(32),
						name: `zone${i}.example`,
					})),
				},
			],
		})
		const second = await call('GET', `${ZONES}?per_page=5&page=2`)
		expect(resultOf<Array<{ name: string }>>(second).map((z) => z.name)).toEqual([
			'zone5.example',
			'zone6.example',
		])
		expect(second.json?.result_info).toEqual({
			page: 2,
			per_page: 5,
			count: 2,
			total_count: 7,
			total_pages: 2,
		})
		expect(resultOf<unknown[]>(await call('GET', `${ZONES}?per_page=5&page=3`))).toEqual([])
		for (const query of ['per_page=4', 'per_page=51', 'page=0', 'page=x']) {
			expect(failureOf(await call('GET', `${ZONES}?${query}`)), query).toMatchObject({
				status: 400,
			})
		}
	})

	it('serves one zone by id; an unknown one is 404 code 7003', async () => {
		expect(resultOf<{ name: string }>(await call('GET', `${ZONES}/${DEFAULT_ZONE_ID}`)).name).toBe(
			'example.com',
		)
		expect(failureOf(await call('GET', `${ZONES}/${'f'.repeat(32)}/dns_records`))).toMatchObject({
			status: 404,
			code: 7003,
		})
	})
})

describe('listing records', () => {
	it('answers the seeded records in the SDK RecordResponse shape', async () => {
		const response = await call('GET', RECORDS)
		const records = resultOf<DnsRecord[]>(response)
		expect(records.map((r) => `${r.type} ${r.name}`)).toEqual([
			'A example.com',
			'A www.example.com',
			'MX mail.example.com',
			'TXT example.com',
		])
		expect(records[1]).toEqual({
			id: expect.stringMatching(/^[0-9a-f]{32}$/),
			type: 'A',
			name: 'www.example.com',
			content: '203.0.113.10',
			proxiable: true,
			proxied: true,
			ttl: 1,
			settings: {},
			meta: {},
			comment: 'Marketing site - web',
			tags: [],
			created_on: '2026-08-20T10:00:00.000000Z',
			modified_on: '2026-08-20T10:00:00.000000Z',
			comment_modified_on: '2026-08-20T10:00:00.000000Z',
		})
		expect(records[2]).toMatchObject({ priority: 10, proxiable: false, proxied: false })
		expect(records[3]).toMatchObject({ comment: null })
		expect(records[3]).not.toHaveProperty('comment_modified_on')
		expect(response.json?.result_info).toMatchObject({ per_page: 100, total_count: 4 })
	})

	it('filters by name (plain or name.exact, any case), type, content, comment and proxied', async () => {
		expect(await names('?name=WWW.example.com')).toEqual(['A www.example.com'])
		expect(await names('?name.exact=www.example.com&type=A')).toEqual(['A www.example.com'])
		expect(await names('?name.exact=www.example.com&type=CNAME')).toEqual([])
		expect(await names('?name.endswith=.example.com')).toEqual([
			'A www.example.com',
			'MX mail.example.com',
		])
		expect(await names('?type=txt')).toEqual(['TXT example.com'])
		expect(await names('?comment.exact=mail%20-%20IT')).toEqual(['MX mail.example.com'])
		expect(await names('?comment.contains=marketing')).toEqual([
			'A example.com',
			'A www.example.com',
		])
		expect(await names('?comment.absent')).toEqual(['TXT example.com'])
		expect(await names('?comment.present&proxied=false')).toEqual(['MX mail.example.com'])
		expect(await names('?content.exact=203.0.113.10&name=example.com')).toEqual(['A example.com'])
		expect(await names('?name=mail.example.com&type=TXT&match=any')).toEqual([
			'MX mail.example.com',
			'TXT example.com',
		])
		expect((await call('GET', `${RECORDS}?proxied=maybe`)).status).toBe(400)
	})

	it('orders and pages', async () => {
		expect(await names('?order=name&direction=desc&per_page=2')).toEqual([
			'A www.example.com',
			'MX mail.example.com',
		])
		const last = await call('GET', `${RECORDS}?order=type&per_page=3&page=2`)
		expect(resultOf<DnsRecord[]>(last).map((r) => r.type)).toEqual(['TXT'])
		expect(last.json?.result_info).toEqual({
			page: 2,
			per_page: 3,
			count: 1,
			total_count: 4,
			total_pages: 2,
		})
		expect((await call('GET', `${RECORDS}?order=colour`)).status).toBe(400)
	})
})

describe('writing records', () => {
	it('creates a proxied tunnel CNAME, and reads it back', async () => {
		const created = await call('POST', RECORDS, { body: tunnelCname('label.example.com') })
		expect(created.status).toBe(200)
		const record = resultOf<DnsRecord>(created)
		expect(record).toMatchObject({
			type: 'CNAME',
			name: 'label.example.com',
			content: TUNNEL_TARGET,
			proxied: true,
			proxiable: true,
			ttl: 1,
			comment: 'managed by tidegate',
			tags: [],
		})
		expect(resultOf<DnsRecord>(await call('GET', `${RECORDS}/${record.id}`))).toEqual(record)
		expect(standin.records('example.com').map((r) => r.name)).toContain('label.example.com')
		expect(standin.requests.at(-2)).toMatchObject({
			method: 'POST',
			scope: 'dns',
			token: 'dns',
			write: true,
			applied: true,
			body: tunnelCname('label.example.com'),
		})
	})

	it('stores names in full: relative, @, trailing dot, any case, wildcards', async () => {
		for (const [sent, stored] of [
			['label', 'label.example.com'],
			['@', 'example.com'],
			['Deep.Label.Example.COM.', 'deep.label.example.com'],
			['*.apps.example.com', '*.apps.example.com'],
			['_acme-challenge', '_acme-challenge.example.com'],
			// A name from another zone is taken as relative, as the API does.
			['app.other.org', 'app.other.org.example.com'],
		]) {
			const response = await call('POST', RECORDS, {
				body: { type: 'TXT', name: sent, content: `for ${sent}`, ttl: 1 },
			})
			expect(resultOf<DnsRecord>(response).name, sent).toBe(stored)
		}
		expect(await names('?name=*.apps.example.com')).toEqual(['TXT *.apps.example.com'])
	})

	it.each([
		['a..example.com'],
		['a.*.example.com'],
		['x*.example.com'],
		[`${'x'.repeat(64)}.example.com`],
		['-bad.example.com'],
		['caf\u00e9.example.com'],
		[''],
	])('refuses the name %s with 400 code 9000', async (name) => {
		const response = await call('POST', RECORDS, { body: tunnelCname(name) })
		expect(failureOf(response)).toEqual({
			status: 400,
			code: 9000,
			message: 'DNS name is invalid.',
		})
	})

	it.each([
		['A not an IPv4 address', { type: 'A', name: 'x', content: '2001:db8::1' }, 9005],
		['AAAA not an IPv6 address', { type: 'AAAA', name: 'x', content: '10.0.0.1' }, 9005],
		['CNAME to itself', { type: 'CNAME', name: 'x', content: 'x.example.com' }, 9005],
		['CNAME to no hostname', { type: 'CNAME', name: 'x', content: 'nowhere' }, 9005],
		['MX without priority', { type: 'MX', name: 'x', content: 'mx.example.net' }, 1004],
		['proxied TXT', { type: 'TXT', name: 'x', content: 'hello', proxied: true }, 9041],
		[
			'proxied MX',
			{ type: 'MX', name: 'x', content: 'mx.example.net', priority: 1, proxied: true },
			9041,
		],
		['TTL below 60', { type: 'A', name: 'x', content: '192.0.2.1', ttl: 30 }, 9021],
		['TTL above a day', { type: 'A', name: 'x', content: '192.0.2.1', ttl: 86401 }, 9021],
		['a type not modeled', { type: 'SRV', name: 'x', content: '1 1 1 x.example.com' }, 1004],
		['no type', { name: 'x', content: '192.0.2.1' }, 1004],
		['no content', { type: 'A', name: 'x' }, 1004],
		['a string for proxied', { type: 'A', name: 'x', content: '192.0.2.1', proxied: 'yes' }, 1004],
		['a comment of 101 characters', { ...tunnelCname('x'), comment: 'c'.repeat(101) }, 9101],
		['a comment with a line break', { ...tunnelCname('x'), comment: 'a\nb' }, 9101],
		['tags on the free plan', { ...tunnelCname('x'), tags: ['owner:tidegate'] }, 9300],
	])('refuses %s with 400, storing nothing', async (_name, body, code) => {
		const response = await call('POST', RECORDS, { body })
		expect(failureOf(response)).toMatchObject({ status: 400, code })
		expect(standin.records(DEFAULT_ZONE_ID)).toHaveLength(4)
		expect(standin.requests.at(-1)).toMatchObject({ write: true, applied: false })
	})

	it('counts a comment in characters, not UTF-16 units: 100 emoji fit the free plan', async () => {
		const response = await call('POST', RECORDS, {
			body: { ...tunnelCname('x'), comment: '🌊'.repeat(100) },
		})
		expect(response.status).toBe(200)
	})

	it('allows 500-character comments and tags on paid plans', async () => {
		twoAccounts()
		const response = await call('POST', `${ZONES}/${OTHER_ZONE}/dns_records`, {
			body: { ...tunnelCname('label'), comment: 'c'.repeat(500), tags: ['owner:tidegate'] },
		})
		expect(resultOf<DnsRecord>(response)).toMatchObject({
			name: 'label.oceanid.dev',
			tags: ['owner:tidegate'],
			tags_modified_on: '2026-08-20T10:00:00.000000Z',
		})
		const tooLong = await call('POST', `${ZONES}/${OTHER_ZONE}/dns_records`, {
			body: { ...tunnelCname('other'), comment: 'c'.repeat(501) },
		})
		expect(failureOf(tooLong)).toMatchObject({ status: 400, code: 9101 })
	})

	it('answers proxied records with an automatic TTL, and others with theirs', async () => {
		const proxied = await call('POST', RECORDS, { body: { ...tunnelCname('x'), ttl: 300 } })
		expect(resultOf<DnsRecord>(proxied).ttl).toBe(1)
		const plain = await call('POST', RECORDS, {
			body: { type: 'A', name: 'y', content: '192.0.2.1', ttl: 300 },
		})
		expect(resultOf<DnsRecord>(plain)).toMatchObject({ ttl: 300, proxied: false, comment: null })
	})

	it('PUT replaces every field, PATCH only those sent; both keep id and created_on', async () => {
		const id = resultOf<DnsRecord>(await call('POST', RECORDS, { body: tunnelCname('label') })).id
		clock += 60_000
		const patched = resultOf<DnsRecord>(
			await call('PATCH', `${RECORDS}/${id}`, { body: { comment: 'renamed' } }),
		)
		expect(patched).toMatchObject({
			id,
			content: TUNNEL_TARGET,
			proxied: true,
			comment: 'renamed',
			created_on: '2026-08-20T10:00:00.000000Z',
			modified_on: '2026-08-20T10:01:00.000000Z',
			comment_modified_on: '2026-08-20T10:01:00.000000Z',
		})
		clock += 60_000
		const put = resultOf<DnsRecord>(
			await call('PUT', `${RECORDS}/${id}`, {
				body: { type: 'CNAME', name: 'label', content: 'elsewhere.example.net', ttl: 1 },
			}),
		)
		expect(put).toMatchObject({
			id,
			content: 'elsewhere.example.net',
			proxied: false,
			comment: null,
			created_on: '2026-08-20T10:00:00.000000Z',
			modified_on: '2026-08-20T10:02:00.000000Z',
		})
		expect(put).not.toHaveProperty('comment_modified_on')
		expect(
			failureOf(await call('PUT', `${RECORDS}/${id}`, { body: { comment: 'x' } })),
		).toMatchObject({
			status: 400,
			code: 1004,
		})
	})

	it('an empty comment clears it', async () => {
		const id = resultOf<DnsRecord>(await call('POST', RECORDS, { body: tunnelCname('label') })).id
		const cleared = await call('PATCH', `${RECORDS}/${id}`, { body: { comment: '' } })
		expect(resultOf<DnsRecord>(cleared).comment).toBeNull()
	})

	it('deletes a record, answering { id }; an unknown record is 404 code 81044', async () => {
		const id = resultOf<DnsRecord>(await call('POST', RECORDS, { body: tunnelCname('label') })).id
		const deleted = await call('DELETE', `${RECORDS}/${id}`)
		expect(deleted.json).toEqual({ success: true, errors: [], messages: [], result: { id } })
		for (const [method, body] of [
			['DELETE', undefined],
			['GET', undefined],
			['PATCH', { comment: 'x' }],
			['PUT', tunnelCname('label')],
		] as const) {
			const response = await call(method, `${RECORDS}/${id}`, body === undefined ? {} : { body })
			expect(failureOf(response), method).toEqual({
				status: 404,
				code: 81044,
				message: 'Record does not exist.',
			})
		}
		expect(await names('?name=label.example.com')).toEqual([])
	})

	it('refuses a body that is not JSON with 400 code 6007', async () => {
		expect(failureOf(await call('POST', RECORDS, { rawBody: '{"type":' }))).toMatchObject({
			status: 400,
			code: 6007,
		})
	})
})

describe('CNAME exclusivity', () => {
	it('refuses a CNAME where any record has the name: 81053', async () => {
		for (const name of ['www.example.com', 'mail.example.com', 'example.com']) {
			expect(failureOf(await call('POST', RECORDS, { body: tunnelCname(name) })), name).toEqual({
				status: 400,
				code: 81053,
				message: 'An A, AAAA, or CNAME record with that host already exists.',
			})
		}
	})

	it('refuses any record where a CNAME has the name: 81054', async () => {
		await call('POST', RECORDS, { body: tunnelCname('label.example.com') })
		for (const body of [
			{ type: 'A', name: 'label', content: '192.0.2.1' },
			{ type: 'TXT', name: 'label', content: 'hello' },
		]) {
			expect(failureOf(await call('POST', RECORDS, { body }))).toEqual({
				status: 400,
				code: 81054,
				message: 'A CNAME record with that host already exists.',
			})
		}
		const other = await call('POST', RECORDS, {
			body: { ...tunnelCname('label'), content: 'other.example.net' },
		})
		expect(failureOf(other)).toMatchObject({ code: 81053 })
	})

	it('refuses an identical record: 81058', async () => {
		await call('POST', RECORDS, { body: tunnelCname('label') })
		expect(failureOf(await call('POST', RECORDS, { body: tunnelCname('label') }))).toEqual({
			status: 400,
			code: 81058,
			message: 'An identical record already exists.',
		})
		const secondA = await call('POST', RECORDS, {
			body: { type: 'A', name: 'www', content: '203.0.113.11', proxied: true },
		})
		expect(secondA.status).toBe(200)
	})

	it('applies to renames too, but a record never conflicts with itself', async () => {
		const id = resultOf<DnsRecord>(await call('POST', RECORDS, { body: tunnelCname('label') })).id
		expect((await call('PATCH', `${RECORDS}/${id}`, { body: { proxied: false } })).status).toBe(200)
		const rename = await call('PATCH', `${RECORDS}/${id}`, { body: { name: 'www' } })
		expect(failureOf(rename)).toMatchObject({ code: 81053 })
		expect(standin.records('example.com').find((r) => r.id === id)?.name).toBe('label.example.com')
	})

	it('lets a CNAME replace an A record once the A record is deleted', async () => {
		const www = standin.records('example.com').find((r) => r.name === 'www.example.com')
		await call('DELETE', `${RECORDS}/${www?.id}`)
		expect((await call('POST', RECORDS, { body: tunnelCname('www') })).status).toBe(200)
	})
})

describe('scopes', () => {
	it('needs the dns scope: tunnel and zero-trust tokens are refused, changing nothing', async () => {
		for (const token of [TUNNEL_TOKEN, ZERO_TRUST_TOKEN]) {
			for (const [method, path] of [
				['GET', ZONES],
				['GET', RECORDS],
				['POST', RECORDS],
			] as const) {
				const body = method === 'POST' ? { body: tunnelCname('label') } : {}
				const response = await call(method, path, { token, ...body })
				expect(failureOf(response), `${token} ${method} ${path}`).toMatchObject({
					status: 403,
					code: 10000,
				})
			}
		}
		expect(standin.records(DEFAULT_ZONE_ID)).toHaveLength(4)
		expect(standin.requests.at(-1)).toMatchObject({ scope: 'dns', token: 'zero-trust' })
	})

	it('lets read-only tokens list and read, not write', async () => {
		expect((await call('GET', ZONES, { token: READ_ONLY_TOKEN })).status).toBe(200)
		expect((await call('GET', RECORDS, { token: READ_ONLY_TOKEN })).status).toBe(200)
		const id = standin.records(DEFAULT_ZONE_ID)[0]?.id
		for (const [method, path] of [
			['POST', RECORDS],
			['PATCH', `${RECORDS}/${id}`],
			['PUT', `${RECORDS}/${id}`],
			['DELETE', `${RECORDS}/${id}`],
		] as const) {
			const response = await call(method, path, { token: READ_ONLY_TOKEN, body: tunnelCname('x') })
			expect(response.status, method).toBe(403)
		}
		expect(standin.records(DEFAULT_ZONE_ID)).toHaveLength(4)
	})

	it('does not let the dns token touch tunnels, device profiles or routes', async () => {
		for (const path of [
			`/client/v4/accounts/${DEFAULT_ACCOUNT_ID}/cfd_tunnel/${DEFAULT_TUNNEL_ID}/configurations`,
			`/client/v4/accounts/${DEFAULT_ACCOUNT_ID}/devices/policy/include`,
			`/client/v4/accounts/${DEFAULT_ACCOUNT_ID}/teamnet/routes`,
		]) {
			expect((await call('GET', path)).status, path).toBe(403)
		}
	})
})

describe('faults on DNS paths', () => {
	it('match zone and record paths by method', async () => {
		standin.addFault({
			method: 'POST',
			path: '/zones/:zone/dns_records',
			kind: 'rate-limit',
			retryAfter: 30,
			times: 1,
		})
		const limited = await call('POST', RECORDS, { body: tunnelCname('label') })
		expect(limited.status).toBe(429)
		expect(limited.headers.get('retry-after')).toBe('30')
		expect(standin.records(DEFAULT_ZONE_ID)).toHaveLength(4)
		expect((await call('POST', RECORDS, { body: tunnelCname('label') })).status).toBe(200)
	})

	it('answer a success envelope without a result', async () => {
		standin.addFault({
			path: '/zones/*/dns_records',
			kind: 'body',
			body: { success: true, errors: [], messages: [], result: null },
		})
		const response = await call('POST', RECORDS, { body: tunnelCname('label') })
		expect(response.json).toEqual({ success: true, errors: [], messages: [], result: null })
		expect(standin.records(DEFAULT_ZONE_ID)).toHaveLength(4)
	})
})

describe('hand edits and state', () => {
	it('create, change and delete records as the dashboard would', () => {
		const created = standin.handEdit({
			kind: 'dns-record',
			op: 'create',
			zone: 'example.com',
			record: { type: 'A', name: 'label', content: '192.0.2.7', proxied: true },
		})
		expect(created).toMatchObject({
			kind: 'dns-record',
			op: 'create',
			record: { name: 'label.example.com' },
		})
		const id = created.kind === 'dns-record' ? created.record.id : ''
		standin.handEdit({
			kind: 'dns-record',
			op: 'update',
			zone: DEFAULT_ZONE_ID,
			id,
			record: { comment: 'ops' },
		})
		expect(standin.zone(DEFAULT_ZONE_ID).records.find((r) => r.id === id)).toMatchObject({
			content: '192.0.2.7',
			comment: 'ops',
		})
		standin.handEdit({ kind: 'dns-record', op: 'delete', zone: DEFAULT_ZONE_ID, id })
		expect(standin.records(DEFAULT_ZONE_ID).some((r) => r.id === id)).toBe(false)
		expect(standin.requests).toEqual([])
	})

	it('refuse what the API refuses', () => {
		expect(() =>
			standin.handEdit({
				kind: 'dns-record',
				op: 'create',
				zone: 'example.com',
				record: { type: 'CNAME', name: 'www', content: TUNNEL_TARGET },
			}),
		).toThrow(/hand edit rejected.*CNAME record with that host/)
		expect(() =>
			standin.handEdit({ kind: 'dns-record', op: 'delete', zone: 'example.com', id: 'nope' }),
		).toThrow(/Record does not exist/)
		expect(() => standin.zone('nowhere.example')).toThrow(/unknown zone/)
	})

	it('race a write: a record appears between our list and our create', async () => {
		standin.addFault({
			method: 'POST',
			path: '/zones/*/dns_records',
			times: 1,
			kind: 'hand-edit',
			edit: {
				kind: 'dns-record',
				op: 'create',
				zone: 'example.com',
				record: { type: 'A', name: 'label', content: '192.0.2.9' },
			},
		})
		expect(await names('?name=label.example.com')).toEqual([])
		const response = await call('POST', RECORDS, { body: tunnelCname('label') })
		expect(failureOf(response)).toMatchObject({ code: 81053 })
	})

	it('are served by the control API, and the state shows zones; reset restores the seed', async () => {
		const control = (method: string, path: string, body?: unknown) =>
			callControl(standin, method, path, body)
		const edit = {
			kind: 'dns-record',
			op: 'create',
			zone: DEFAULT_ZONE_ID,
			record: tunnelCname('label'),
		}
		expect((await control('POST', '/hand-edit', edit)).status).toBe(200)
		const refused = await control('POST', '/hand-edit', edit)
		expect(refused.status).toBe(400)
		expect(String(refused.json.error)).toContain('identical record')
		const state = (await control('GET', '/state')).json as unknown as {
			accounts: Array<{ zones: Array<{ id: string; name: string; records: DnsRecord[] }> }>
		}
		expect(state.accounts[0]?.zones[0]).toMatchObject({ id: DEFAULT_ZONE_ID, name: 'example.com' })
		expect(state.accounts[0]?.zones[0]?.records.map((r) => r.name)).toContain('label.example.com')
		await control('POST', '/reset')
		expect(standin.records(DEFAULT_ZONE_ID)).toHaveLength(4)
	})

	it('checks seeded records as the API would', () => {
		expect(() =>
			createCloudflareStandin({
				accounts: [
					{
						id: DEFAULT_ACCOUNT_ID,
						zones: [
							{
								id: DEFAULT_ZONE_ID,
								name: 'example.com',
								records: [
									{ type: 'A', name: 'www', content: '192.0.2.1' },
									{ type: 'CNAME', name: 'www', content: 'elsewhere.example.net' },
								],
							},
						],
					},
				],
			}),
		).toThrow(/seeded record CNAME www in example.com: An A, AAAA, or CNAME record/)
	})
})
