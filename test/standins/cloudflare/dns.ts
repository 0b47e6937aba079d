/**
 * @module Zones and DNS records for the Cloudflare stand-in. The checks the API applies to a record
 * write (the name lands in the zone, content fits the type, `proxied` only for A/AAAA/CNAME, TTL,
 * comment length and tag quota per plan, CNAME exclusivity, identical records), the list filters,
 * and the answers, type-checked against the `cloudflare` SDK's `Zone` and `RecordResponse` so
 * `npm run typecheck` fails when they drift apart.
 *
 * Evidence: 81053 / 81054 / 81058 / 81044 / 9000 / 9300 and their messages are observed in real
 * answers; 9021 (TTL) and 9041 (proxied) are observed codes with the stand-in's wording; every
 * other code and message is the stand-in's own choice. All refusals are HTTP 400 (404 for an
 * unknown record), as observed. The SDK types `comment` as an optional string, but the API answers
 * `"comment": null` for a record without one, and so does the stand-in.
 */
import type { RecordResponse } from 'cloudflare/resources/dns/records'
import type { Zone } from 'cloudflare/resources/zones/zones'
import ipaddr from 'ipaddr.js'
import { z } from 'zod'
import type { AccountState, DnsRecordState, ZonePlan, ZoneState } from './seed.ts'

/** The record types the stand-in models (others are refused as unsupported). */
export const DNS_RECORD_TYPES = ['A', 'AAAA', 'CNAME', 'MX', 'NS', 'PTR', 'TXT'] as const

/** A record type the stand-in models. */
export type DnsRecordType = (typeof DNS_RECORD_TYPES)[number]

/** Codes of the DNS answers (see the module note on which are observed). */
export const DNS_CODES = {
	validation: 1004,
	invalidName: 9000,
	invalidContent: 9005,
	invalidTtl: 9021,
	notProxiable: 9041,
	invalidComment: 9101,
	tagQuota: 9300,
	addressOrCnameExists: 81053,
	cnameExists: 81054,
	identicalRecord: 81058,
	recordNotFound: 81044,
} as const

/** Comment length and tag quota by plan (Cloudflare documents 100 vs 500 characters; tags need a paid plan). */
export const PLAN_LIMITS: Record<ZonePlan, { commentLength: number; tags: number }> = {
	free: { commentLength: 100, tags: 0 },
	pro: { commentLength: 500, tags: 10 },
	business: { commentLength: 500, tags: 10 },
	enterprise: { commentLength: 500, tags: 10 },
}

/** A refused write: the error item to answer with. */
export interface DnsRefusal {
	code: number
	message: string
}

/** What a record write does: create one, or replace (PUT) / patch (PATCH) an existing one. */
export type RecordWrite =
	| { mode: 'create'; now: string; id?: string | undefined }
	| { mode: 'overwrite' | 'edit'; now: string; existing: DnsRecordState }

/** The record to store, or the refusal. */
export type RecordWriteResult =
	| { ok: true; record: DnsRecordState }
	| { ok: false; refusal: DnsRefusal }

// Unknown keys (settings, data, private_routing…) are accepted and not stored.
const recordBodySchema = z.looseObject({
	type: z.string().optional(),
	name: z.string().optional(),
	content: z.string().optional(),
	proxied: z.boolean().optional(),
	ttl: z.number().optional(),
	priority: z.number().optional(),
	comment: z.string().nullable().optional(),
	tags: z.array(z.string()).optional(),
})

const PROXIABLE_TYPES: ReadonlySet<string> = new Set(['A', 'AAAA', 'CNAME'])
const HOSTNAME_CONTENT_TYPES: ReadonlySet<string> = new Set(['CNAME', 'MX', 'NS', 'PTR'])

/**
 * Checks one record write against the zone as the API would, without changing the zone: the
 * caller stores the record. PUT (`overwrite`) replaces every field (omitted ones take their
 * defaults), PATCH (`edit`) changes only the fields sent.
 */
export function writeRecord(zone: ZoneState, body: unknown, write: RecordWrite): RecordWriteResult {
	const refuse = (code: number, message: string): RecordWriteResult => ({
		ok: false,
		refusal: { code, message },
	})
	const parsed = recordBodySchema.safeParse(body)
	if (!parsed.success) {
		const issue = parsed.error.issues[0]
		const where = issue?.path.length ? issue.path.join('.') : 'the body'
		return refuse(DNS_CODES.validation, `DNS Validation Error: ${where}: ${issue?.message}`)
	}
	const given = parsed.data
	// PATCH fills what it does not send from the record; PUT and POST start from nothing.
	const base = write.mode === 'edit' ? write.existing : undefined
	const type = given.type ?? base?.type
	const rawName = given.name ?? base?.name
	const rawContent = given.content ?? base?.content
	for (const [field, value] of [
		['type', type],
		['name', rawName],
		['content', rawContent],
	] as const) {
		if (value === undefined) {
			return refuse(DNS_CODES.validation, `DNS Validation Error: ${field} is required`)
		}
	}
	if (!isModeledType(type)) {
		return refuse(
			DNS_CODES.validation,
			`DNS Validation Error: the stand-in does not model ${type} records (it models ${DNS_RECORD_TYPES.join(', ')})`,
		)
	}
	const name = recordName(rawName ?? '', zone.name)
	if (name === null) {
		return refuse(DNS_CODES.invalidName, 'DNS name is invalid.')
	}
	const content = recordContent(type, rawContent ?? '', name)
	if (!content.ok) {
		return refuse(DNS_CODES.invalidContent, content.message)
	}
	const proxied = given.proxied ?? base?.proxied ?? false
	if (proxied && !isProxiable(type)) {
		return refuse(DNS_CODES.notProxiable, `This ${type} record cannot be proxied.`)
	}
	const ttl = given.ttl ?? base?.ttl ?? 1
	const minTtl = zone.plan === 'enterprise' ? 30 : 60
	if (!Number.isInteger(ttl) || (ttl !== 1 && (ttl < minTtl || ttl > 86400))) {
		return refuse(
			DNS_CODES.invalidTtl,
			`Invalid TTL. Must be between ${minTtl} and 86400 seconds, or 1 for Automatic.`,
		)
	}
	const priority = given.priority ?? base?.priority
	if (type === 'MX' && (priority === undefined || !isPriority(priority))) {
		return refuse(
			DNS_CODES.validation,
			'DNS Validation Error: MX records need a priority from 0 to 65535',
		)
	}
	const limits = PLAN_LIMITS[zone.plan]
	const sentComment = given.comment === undefined ? base?.comment : given.comment
	// An empty comment clears it, as the dashboard does (the stand-in's choice for the API).
	const comment = sentComment === undefined || sentComment === '' ? null : sentComment
	if (comment !== null && /[\r\n]/.test(comment)) {
		return refuse(DNS_CODES.invalidComment, 'DNS record comment must not contain line breaks.')
	}
	if (comment !== null && [...comment].length > limits.commentLength) {
		return refuse(
			DNS_CODES.invalidComment,
			`DNS record comment is too long: at most ${limits.commentLength} characters on the ${zone.plan} plan.`,
		)
	}
	const tags = given.tags ?? base?.tags ?? []
	if (tags.length > limits.tags) {
		return refuse(
			DNS_CODES.tagQuota,
			`DNS record has ${tags.length} tags, exceeding the quota of ${limits.tags}.`,
		)
	}
	const badTag = tags.find((t) => !/^[A-Za-z0-9_-]+(:.*)?$/.test(t))
	if (badTag !== undefined) {
		return refuse(
			DNS_CODES.validation,
			`DNS Validation Error: tag "${badTag}" is not name:value (names: letters, digits, - and _)`,
		)
	}
	// The record being replaced (PUT, PATCH): it keeps its id and never conflicts with itself.
	const before = write.mode === 'create' ? undefined : write.existing
	const conflict = conflictOf(zone, {
		id: before?.id,
		type,
		name,
		content: content.value,
		priority,
	})
	if (conflict !== null) {
		return { ok: false, refusal: conflict }
	}
	const commentChanged = comment !== (before?.comment ?? null)
	const tagsChanged = tags.join('\n') !== (before?.tags ?? []).join('\n')
	const record: DnsRecordState = {
		id: before?.id ?? (write.mode === 'create' ? write.id : undefined) ?? newRecordId(),
		type,
		name,
		content: content.value,
		proxied,
		// Proxied records always answer with an automatic TTL (the stand-in stores it so).
		ttl: proxied ? 1 : ttl,
		comment,
		tags: [...tags],
		created_on: before?.created_on ?? write.now,
		modified_on: write.now,
	}
	if (type === 'MX') {
		record.priority = priority
	}
	const commentModifiedOn = commentChanged ? write.now : before?.comment_modified_on
	if (comment !== null && commentModifiedOn !== undefined) {
		record.comment_modified_on = commentModifiedOn
	}
	const tagsModifiedOn = tagsChanged ? write.now : before?.tags_modified_on
	if (tags.length > 0 && tagsModifiedOn !== undefined) {
		record.tags_modified_on = tagsModifiedOn
	}
	return { ok: true, record }
}

/** The refusal for an unknown record id (observed: 404, code 81044). */
export const RECORD_NOT_FOUND: DnsRefusal = {
	code: DNS_CODES.recordNotFound,
	message: 'Record does not exist.',
}

/**
 * The full record name as the API stores it: lowercase, no trailing dot, `@` for the apex, and a
 * name that does not end in the zone taken as relative to it (`www` → `www.example.com`; the API
 * appends the zone to `app.other.org` too). Null when it is no valid DNS name: labels of letters,
 * digits, `-` and `_`, `*` only as the whole leftmost label, at most 253 characters.
 */
export function recordName(raw: string, zoneName: string): string | null {
	let name = raw.trim().toLowerCase().replace(/\.$/, '')
	if (name === '@') {
		name = zoneName
	} else if (name !== zoneName && !name.endsWith(`.${zoneName}`)) {
		name = `${name}.${zoneName}`
	}
	const labels = name.split('.')
	const valid = labels.every(
		(label, i) =>
			(i === 0 && label === '*') || /^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$/.test(label),
	)
	return valid && name.length <= 253 ? name : null
}

/** Filters for `GET /zones/{zone_id}/dns_records`, or why the query was refused. */
export function recordFilter(
	query: URLSearchParams,
): { ok: true; keep: (record: DnsRecordState) => boolean } | { ok: false; message: string } {
	const tests: Array<(record: DnsRecordState) => boolean> = []
	for (const field of ['name', 'content', 'comment'] as const) {
		const plain = query.get(field)
		if (plain !== null) {
			tests.push((r) => (r[field] ?? '').toLowerCase() === plain.toLowerCase())
		}
		for (const [op, matches] of TEXT_OPERATORS) {
			const value = query.get(`${field}.${op}`)
			if (value !== null) {
				tests.push((r) => r[field] !== null && matches(r[field].toLowerCase(), value.toLowerCase()))
			}
		}
	}
	if (query.has('comment.present')) {
		tests.push((r) => r.comment !== null)
	}
	if (query.has('comment.absent')) {
		tests.push((r) => r.comment === null)
	}
	const type = query.get('type')
	if (type !== null) {
		tests.push((r) => r.type === type.toUpperCase())
	}
	const proxied = query.get('proxied')
	if (proxied !== null) {
		if (proxied !== 'true' && proxied !== 'false') {
			return { ok: false, message: 'proxied must be true or false' }
		}
		tests.push((r) => r.proxied === (proxied === 'true'))
	}
	const tagPresent = query.get('tag.present')
	if (tagPresent !== null) {
		tests.push((r) => r.tags.some((t) => tagName(t) === tagPresent.toLowerCase()))
	}
	const tagAbsent = query.get('tag.absent')
	if (tagAbsent !== null) {
		tests.push((r) => !r.tags.some((t) => tagName(t) === tagAbsent.toLowerCase()))
	}
	const tagExact = query.get('tag.exact')
	if (tagExact !== null) {
		tests.push((r) => r.tags.some((t) => t.toLowerCase() === tagExact.toLowerCase()))
	}
	const match = query.get('match') ?? 'all'
	if (match !== 'all' && match !== 'any') {
		return { ok: false, message: 'match must be all or any' }
	}
	return {
		ok: true,
		keep: (record) =>
			tests.length === 0 ||
			(match === 'all' ? tests.every((t) => t(record)) : tests.some((t) => t(record))),
	}
}

/** Sorts records by `order` (type, name, content, ttl, proxied) and `direction`; creation order by default. */
export function sortRecords(
	records: DnsRecordState[],
	query: URLSearchParams,
): { ok: true; records: DnsRecordState[] } | { ok: false; message: string } {
	const order = query.get('order')
	const direction = query.get('direction') ?? 'asc'
	if (direction !== 'asc' && direction !== 'desc') {
		return { ok: false, message: 'direction must be asc or desc' }
	}
	if (order === null) {
		return { ok: true, records: direction === 'desc' ? [...records].reverse() : records }
	}
	if (!['type', 'name', 'content', 'ttl', 'proxied'].includes(order)) {
		return { ok: false, message: 'order must be one of type, name, content, ttl, proxied' }
	}
	const key = order as 'type' | 'name' | 'content' | 'ttl' | 'proxied'
	const sign = direction === 'desc' ? -1 : 1
	return {
		ok: true,
		records: [...records].sort((a, b) => sign * compare(a[key], b[key])),
	}
}

/** Filters for `GET /zones`: `name` (with `op:value` operators), `account.id`, `account.name`, `status`. */
export function zoneFilter(
	query: URLSearchParams,
):
	| { ok: true; keep: (zone: ZoneState, account: AccountState) => boolean }
	| { ok: false; message: string } {
	const tests: Array<(zone: ZoneState, account: AccountState) => boolean> = []
	const name = query.get('name')
	if (name !== null) {
		const matcher = zoneNameMatcher(name)
		if (matcher === null) {
			return { ok: false, message: `name: unknown operator in "${name}"` }
		}
		tests.push((zone) => matcher(zone.name))
	}
	const accountId = query.get('account.id')
	if (accountId !== null) {
		tests.push((zone) => zone.accountId === accountId)
	}
	const accountName = query.get('account.name')
	if (accountName !== null) {
		tests.push((_zone, account) => account.name.toLowerCase() === accountName.toLowerCase())
	}
	const status = query.get('status')
	if (status !== null) {
		tests.push((zone) => zone.status === status)
	}
	const match = query.get('match') ?? 'all'
	if (match !== 'all' && match !== 'any') {
		return { ok: false, message: 'match must be all or any' }
	}
	return {
		ok: true,
		keep: (zone, account) =>
			tests.length === 0 ||
			(match === 'all'
				? tests.every((t) => t(zone, account))
				: tests.some((t) => t(zone, account))),
	}
}

/** A record's answer; each member is checked against the SDK's type for its record type. */
export type RecordAnswer = WithNullComment<
	| RecordResponse.ARecord
	| RecordResponse.AAAARecord
	| RecordResponse.CNAMERecord
	| RecordResponse.MXRecord
	| RecordResponse.NSRecord
	| RecordResponse.PTRRecord
	| RecordResponse.TXTRecord
>

/** A record as the API answers it (`RecordResponse`). */
export function recordResult(record: DnsRecordState): RecordAnswer {
	const common = {
		id: record.id,
		name: record.name,
		content: record.content,
		proxiable: isProxiable(record.type),
		proxied: record.proxied,
		ttl: record.ttl,
		settings: {},
		meta: {},
		comment: record.comment,
		tags: [...record.tags],
		created_on: record.created_on,
		modified_on: record.modified_on,
		comment_modified_on: record.comment_modified_on,
		tags_modified_on: record.tags_modified_on,
	} satisfies Omit<WithNullComment<RecordResponse.ARecord>, 'type'>
	switch (record.type) {
		case 'A':
			return { ...common, type: 'A' } satisfies WithNullComment<RecordResponse.ARecord>
		case 'AAAA':
			return { ...common, type: 'AAAA' } satisfies WithNullComment<RecordResponse.AAAARecord>
		case 'CNAME':
			return { ...common, type: 'CNAME' } satisfies WithNullComment<RecordResponse.CNAMERecord>
		case 'MX':
			return {
				...common,
				type: 'MX',
				priority: record.priority ?? 0,
			} satisfies WithNullComment<RecordResponse.MXRecord>
		case 'NS':
			return { ...common, type: 'NS' } satisfies WithNullComment<RecordResponse.NSRecord>
		case 'PTR':
			return { ...common, type: 'PTR' } satisfies WithNullComment<RecordResponse.PTRRecord>
		case 'TXT':
			return { ...common, type: 'TXT' } satisfies WithNullComment<RecordResponse.TXTRecord>
	}
}

/** A zone as the API answers it (`Zone`). */
export function zoneResult(zone: ZoneState, account: AccountState): Zone {
	const paid = zone.plan !== 'free'
	return {
		id: zone.id,
		name: zone.name,
		status: zone.status,
		paused: false,
		type: 'full',
		development_mode: 0,
		name_servers: ['ada.ns.cloudflare.com', 'bob.ns.cloudflare.com'],
		original_name_servers: null,
		original_registrar: null,
		original_dnshost: null,
		created_on: zone.createdOn,
		modified_on: zone.createdOn,
		activated_on: zone.status === 'active' ? zone.createdOn : null,
		meta: {
			step: 2,
			custom_certificate_quota: paid ? 1 : 0,
			page_rule_quota: paid ? 20 : 3,
			phishing_detected: false,
			cdn_only: false,
			dns_only: false,
			foundation_dns: false,
		},
		owner: { id: account.id, name: account.name, type: 'organization' },
		account: { id: account.id, name: account.name },
		permissions: ['#dns_records:edit', '#dns_records:read', '#zone:read'],
		plan: {
			id: `${zone.plan}-plan`,
			name: PLAN_NAMES[zone.plan],
			price: 0,
			currency: 'USD',
			frequency: '',
			is_subscribed: true,
			can_subscribe: false,
			legacy_id: zone.plan,
			legacy_discount: false,
			externally_managed: false,
		},
	} satisfies Zone
}

/** Whether Cloudflare can proxy the record: A, AAAA and CNAME records. */
export function isProxiable(type: string): boolean {
	return PROXIABLE_TYPES.has(type)
}

/** A new record id: 32 hex, as Cloudflare's. */
export function newRecordId(): string {
	return crypto.randomUUID().replaceAll('-', '')
}

type WithNullComment<T> = T extends unknown
	? Omit<T, 'comment'> & { comment: string | null }
	: never

const PLAN_NAMES: Record<ZonePlan, string> = {
	free: 'Free Website',
	pro: 'Pro Website',
	business: 'Business Website',
	enterprise: 'Enterprise Website',
}

const TEXT_OPERATORS: ReadonlyArray<[string, (value: string, wanted: string) => boolean]> = [
	['exact', (value, wanted) => value === wanted],
	['contains', (value, wanted) => value.includes(wanted)],
	['startswith', (value, wanted) => value.startsWith(wanted)],
	['endswith', (value, wanted) => value.endsWith(wanted)],
]

/** `equal` (default), `not_equal`, `starts_with`, `ends_with`, `contains`, and their `_case_sensitive` forms. */
function zoneNameMatcher(filter: string): ((name: string) => boolean) | null {
	const match = /^([a-z_]+):(.*)$/.exec(filter)
	const op = match?.[1] ?? 'equal'
	const wanted = match === null ? filter : (match[2] ?? '')
	const sensitive = op.endsWith('_case_sensitive')
	const base = sensitive ? op.slice(0, -'_case_sensitive'.length) : op
	const fold = (s: string) => (sensitive ? s : s.toLowerCase())
	const tests: Record<string, (name: string) => boolean> = {
		equal: (name) => fold(name) === fold(wanted),
		not_equal: (name) => fold(name) !== fold(wanted),
		starts_with: (name) => fold(name).startsWith(fold(wanted)),
		ends_with: (name) => fold(name).endsWith(fold(wanted)),
		contains: (name) => fold(name).includes(fold(wanted)),
	}
	return tests[base] ?? null
}

function recordContent(
	type: DnsRecordType,
	raw: string,
	name: string,
): { ok: true; value: string } | { ok: false; message: string } {
	if (type === 'A') {
		return ipaddr.IPv4.isValidFourPartDecimal(raw)
			? { ok: true, value: raw }
			: { ok: false, message: 'Content for A record must be a valid IPv4 address.' }
	}
	if (type === 'AAAA') {
		return raw.includes(':') && ipaddr.IPv6.isValid(raw)
			? { ok: true, value: raw }
			: { ok: false, message: 'Content for AAAA record must be a valid IPv6 address.' }
	}
	if (HOSTNAME_CONTENT_TYPES.has(type)) {
		const host = raw.trim().toLowerCase().replace(/\.$/, '')
		const labels = host.split('.')
		if (
			host.length > 253 ||
			labels.length < 2 ||
			!labels.every((l) => /^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$/.test(l))
		) {
			return { ok: false, message: `Content for ${type} record must be a valid hostname.` }
		}
		if (type === 'CNAME' && host === name) {
			return { ok: false, message: "Content for CNAME record must not match the record's name." }
		}
		return { ok: true, value: host }
	}
	return raw === ''
		? { ok: false, message: 'Content for TXT record must not be empty.' }
		: { ok: true, value: raw }
}

/** CNAME exclusivity and identical records, among the zone's other records. */
function conflictOf(
	zone: ZoneState,
	record: {
		id: string | undefined
		type: DnsRecordType
		name: string
		content: string
		priority: number | undefined
	},
): DnsRefusal | null {
	const sameName = zone.records.filter((r) => r.id !== record.id && r.name === record.name)
	const identical = sameName.some(
		(r) =>
			r.type === record.type &&
			r.content === record.content &&
			(record.type !== 'MX' || r.priority === record.priority),
	)
	if (identical) {
		return { code: DNS_CODES.identicalRecord, message: 'An identical record already exists.' }
	}
	// A CNAME shares its name with nothing (RFC 1034 §3.6.2); Cloudflare answers 81053 when the
	// new record is the CNAME and 81054 when the CNAME is already there.
	if (record.type === 'CNAME' && sameName.length > 0) {
		return {
			code: DNS_CODES.addressOrCnameExists,
			message: 'An A, AAAA, or CNAME record with that host already exists.',
		}
	}
	if (sameName.some((r) => r.type === 'CNAME')) {
		return {
			code: DNS_CODES.cnameExists,
			message: 'A CNAME record with that host already exists.',
		}
	}
	return null
}

function isModeledType(type: string | undefined): type is DnsRecordType {
	return (DNS_RECORD_TYPES as readonly string[]).includes(type ?? '')
}

function isPriority(value: number): boolean {
	return Number.isInteger(value) && value >= 0 && value <= 65535
}

function tagName(tag: string): string {
	return tag.split(':', 1)[0]?.toLowerCase() ?? ''
}

function compare(a: string | number | boolean, b: string | number | boolean): number {
	return a < b ? -1 : a > b ? 1 : 0
}
