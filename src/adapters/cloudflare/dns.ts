/** Zones and DNS records behind the DnsApi port: mapping and checking only. */
import * as z from 'zod'
import type { DnsApi } from '../../domain/edge/ports.ts'
import type { LiveDnsRecord } from '../../domain/edge/state.ts'
import { err, ok } from '../../lib/result.ts'
import type { createDnsClient } from './client.ts'
import { classifyError, readAllPages, readResult, type TokenIdentity } from './envelope.ts'

const TOKEN: TokenIdentity = {
	name: 'CF_DNS_API_TOKEN',
	permission: 'Zone › DNS › Edit (and Zone › Zone › Read) on the zones of the tunnel hostnames',
}

const zoneSchema = z.looseObject({ id: z.string(), name: z.string() })

const recordSchema = z.looseObject({
	id: z.string(),
	name: z.string(),
	type: z.string(),
	content: z.string().default(''),
	proxied: z.boolean().default(false),
	comment: z.string().nullish(),
})

const deletedSchema = z.looseObject({ id: z.string() })

/** DnsApi over the official SDK. */
export function cloudflareDnsApi(client: ReturnType<typeof createDnsClient>): DnsApi {
	const records = client.dns.records
	const toLive = (zoneId: string, r: z.infer<typeof recordSchema>): LiveDnsRecord => ({
		id: r.id,
		zoneId,
		name: r.name.toLowerCase(),
		type: r.type,
		content: r.content,
		proxied: r.proxied,
		...(typeof r.comment === 'string' && r.comment !== '' && { comment: r.comment }),
	})
	const attempt = async <T>(call: () => Promise<T>) => {
		try {
			return await call()
		} catch (e) {
			return err(classifyError(e, TOKEN))
		}
	}
	return {
		zones: (accountId) =>
			attempt(async () => {
				const zones = await readAllPages(
					(page) =>
						client.zones.list({ account: { id: accountId }, page, per_page: 50 }).asResponse(),
					zoneSchema,
				)
				return zones.ok
					? ok(zones.value.map((z) => ({ id: z.id, name: z.name.toLowerCase() })))
					: zones
			}),
		records: (zoneId, name) =>
			attempt(async () => {
				const found = await readAllPages(
					(page) =>
						records
							.list({ zone_id: zoneId, name: { exact: name }, page, per_page: 100 })
							.asResponse(),
					recordSchema,
				)
				return found.ok ? ok(found.value.map((r) => toLive(zoneId, r))) : found
			}),
		create: (zoneId, record) =>
			attempt(async () => {
				const created = await readResult(
					await records.create({ zone_id: zoneId, ...record }).asResponse(),
					recordSchema,
				)
				return created.ok ? ok(toLive(zoneId, created.value)) : created
			}),
		overwrite: (zoneId, id, record) =>
			attempt(async () => {
				const updated = await readResult(
					await records.update(id, { zone_id: zoneId, ...record }).asResponse(),
					recordSchema,
				)
				return updated.ok ? ok(toLive(zoneId, updated.value)) : updated
			}),
		delete: (zoneId, id) =>
			attempt(async () => {
				const deleted = await readResult(
					await records.delete(id, { zone_id: zoneId }).asResponse(),
					deletedSchema,
				)
				return deleted.ok ? ok(undefined) : deleted
			}),
	}
}
