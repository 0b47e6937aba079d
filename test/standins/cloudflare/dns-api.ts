/**
 * @module The Cloudflare stand-in's zone and DNS record endpoints (scope family `dns`: Zone › DNS ›
 * Edit, whose `:read` variant lists and reads). A zone belongs to one account: a token limited to
 * other accounts is refused (403), and `GET /zones` lists only the zones of accounts the token may
 * touch. Paging: zones 20 per page by default (5 to 50, as documented), records 100 (1 to
 * 5,000,000). Rules and answers live in `dns.ts`.
 */
import type { Context, Hono } from 'hono'
import {
	RECORD_NOT_FOUND,
	recordFilter,
	recordResult,
	sortRecords,
	writeRecord,
	zoneFilter,
	zoneResult,
} from './dns.ts'
import type { AccountState, ZoneState } from './seed.ts'
import type { ApiTools, StandinEnv } from './standin.ts'

const ZONE_PAGES = { defaultPerPage: 20, minPerPage: 5, maxPerPage: 50 }
const RECORD_PAGES = { defaultPerPage: 100, minPerPage: 1, maxPerPage: 5_000_000 }

/** Adds `/zones…` to the API app. */
export function registerDnsApi(api: Hono<StandinEnv>, tools: ApiTools): void {
	/** Authorizes the token for the zone's account, then finds the zone. */
	const findZone = (
		c: Context<StandinEnv>,
	): { zone: ZoneState; account: AccountState } | Response => {
		const token = tools.authenticate(c, 'dns')
		if (token instanceof Response) {
			return token
		}
		const zoneId = c.req.param('zoneId') ?? ''
		for (const account of tools.state().accounts.values()) {
			const zone = account.zones.get(zoneId)
			if (zone !== undefined) {
				return tools.authorizeAccount(c, token, account.id) ?? { zone, account }
			}
		}
		return tools.noRoute(c, `/zones/${zoneId}`)
	}

	api.get('/zones', (c) => {
		const token = tools.authenticate(c, 'dns')
		if (token instanceof Response) {
			return token
		}
		const query = new URL(c.req.url).searchParams
		const accountId = query.get('account.id')
		if (accountId !== null && token.accounts !== undefined && !token.accounts.includes(accountId)) {
			return tools.denied(c)
		}
		const filter = zoneFilter(query)
		if (!filter.ok) {
			return tools.badQuery(c, filter.message)
		}
		const visible = [...tools.state().accounts.values()].filter(
			(a) => token.accounts === undefined || token.accounts.includes(a.id),
		)
		const zones = visible
			.flatMap((account) => [...account.zones.values()].map((zone) => ({ zone, account })))
			.filter(({ zone, account }) => filter.keep(zone, account))
			.sort((a, b) => a.zone.name.localeCompare(b.zone.name))
		return tools.page(
			c,
			zones.map(({ zone, account }) => zoneResult(zone, account)),
			ZONE_PAGES,
		)
	})

	api.get('/zones/:zoneId', (c) => {
		const found = findZone(c)
		return found instanceof Response ? found : tools.ok(c, zoneResult(found.zone, found.account))
	})

	api.get('/zones/:zoneId/dns_records', (c) => {
		const found = findZone(c)
		if (found instanceof Response) {
			return found
		}
		const query = new URL(c.req.url).searchParams
		const filter = recordFilter(query)
		if (!filter.ok) {
			return tools.badQuery(c, filter.message)
		}
		const sorted = sortRecords(found.zone.records.filter(filter.keep), query)
		if (!sorted.ok) {
			return tools.badQuery(c, sorted.message)
		}
		return tools.page(c, sorted.records.map(recordResult), RECORD_PAGES)
	})

	api.post('/zones/:zoneId/dns_records', async (c) => {
		const found = findZone(c)
		if (found instanceof Response) {
			return found
		}
		const json = await tools.readJson(c)
		if (!json.ok) {
			return json.response
		}
		const written = writeRecord(found.zone, json.value, { mode: 'create', now: tools.now() })
		if (!written.ok) {
			return tools.fail(c, 400, written.refusal.code, written.refusal.message)
		}
		found.zone.records.push(written.record)
		c.get('entry').applied = true
		return tools.ok(c, recordResult(written.record))
	})

	const recordPath = '/zones/:zoneId/dns_records/:recordId'

	/** The zone and the index of the path's record in it, or the answer refusing the request. */
	const findRecord = (c: Context<StandinEnv>): { zone: ZoneState; index: number } | Response => {
		const found = findZone(c)
		if (found instanceof Response) {
			return found
		}
		const index = found.zone.records.findIndex((r) => r.id === c.req.param('recordId'))
		return index === -1
			? tools.fail(c, 404, RECORD_NOT_FOUND.code, RECORD_NOT_FOUND.message)
			: { zone: found.zone, index }
	}

	api.get(recordPath, (c) => {
		const found = findRecord(c)
		if (found instanceof Response) {
			return found
		}
		const record = found.zone.records[found.index]
		return record === undefined ? c.notFound() : tools.ok(c, recordResult(record))
	})

	for (const [method, mode] of [
		['put', 'overwrite'],
		['patch', 'edit'],
	] as const) {
		api[method](recordPath, async (c) => {
			const found = findRecord(c)
			if (found instanceof Response) {
				return found
			}
			const existing = found.zone.records[found.index]
			const json = await tools.readJson(c)
			if (!json.ok || existing === undefined) {
				return json.ok ? c.notFound() : json.response
			}
			const written = writeRecord(found.zone, json.value, { mode, now: tools.now(), existing })
			if (!written.ok) {
				return tools.fail(c, 400, written.refusal.code, written.refusal.message)
			}
			found.zone.records[found.index] = written.record
			c.get('entry').applied = true
			return tools.ok(c, recordResult(written.record))
		})
	}

	api.delete(recordPath, (c) => {
		const found = findRecord(c)
		if (found instanceof Response) {
			return found
		}
		const [deleted] = found.zone.records.splice(found.index, 1)
		c.get('entry').applied = true
		return tools.ok(c, { id: deleted?.id })
	})
}
