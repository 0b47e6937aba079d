/**
 * @module The DNS records that make a tunnel's hostnames resolve: a proxied CNAME
 * `<hostname>` → `<tunnelId>.cfargotunnel.com` in the zone that holds the hostname (longest
 * suffix). Zones are shared: tidegate marks its records with the comment `tidegate ingress -
 * <owner>` and follows the ownership rule (rails.ts), so it never overwrites or deletes a record
 * it did not write unless the rule says `adopt: true`. Records are written one by one.
 */
import { type DnsRecordSpec, dnsComment, type TunnelState } from '../../desired-state/model.ts'
import { formatPath } from '../../diagnostics.ts'
import { type Change, causeFinder, type LiveRead, type PlanBase, type Rails } from '../plan.ts'
import {
	claimedWarning,
	claimOf,
	type Ownership,
	sharedRails,
	unreadableRefusal,
} from '../rails.ts'
import {
	type DnsRecordInput,
	dnsResource,
	type LiveDns,
	type LiveDnsRecord,
	type Zone,
} from '../state.ts'

/** One record operation, in the order they are sent. */
export type DnsOp =
	| { op: 'create'; zoneId: string; record: DnsRecordInput }
	| { op: 'overwrite'; zoneId: string; id: string; record: DnsRecordInput }
	| { op: 'delete'; zoneId: string; id: string; name: string }

/** A record as tidegate last wrote it (history, D1). */
export interface RecordedDnsRecord {
	name: string
	zoneId: string
	content: string
}

/** What tidegate last wrote, from its history. */
export interface AppliedDns {
	records: RecordedDnsRecord[]
}

/** What the desired state asks of DNS for one tunnel. */
export interface DesiredDns {
	accountId: string
	tunnelId: string
	records: DnsRecordSpec[]
	/** The comment that marks tidegate's records (it ends with the owner suffix). */
	comment: string
}

/** The plan for the DNS records of one tunnel's hostnames. */
export interface DnsPlan extends PlanBase {
	kind: 'dns'
	accountId: string
	tunnelId: string
	/** Where every hostname points once written. */
	target: string
	changes: Change<DnsRecordView>[]
	ops: DnsOp[]
	/** tidegate's records after the write (recorded before it). */
	owned: RecordedDnsRecord[]
	/** The zone of each desired hostname, for the dashboard. */
	zones: Record<string, string>
}

/** A record in a plan's change, as people read it. */
export interface DnsRecordView {
	name: string
	type: string
	content: string
	proxied: boolean
	comment?: string
}

/** The CNAME target of a tunnel. */
export const tunnelTarget = (tunnelId: string): string => `${tunnelId}.cfargotunnel.com`

/** Plans the records of every desired hostname and the removal of those tidegate wrote before. */
export function planDns(
	desired: DesiredDns,
	liveRead: LiveRead<LiveDns> | undefined,
	applied: AppliedDns | undefined,
	ownership: Ownership,
	rails: Rails,
): DnsPlan {
	const target = tunnelTarget(desired.tunnelId)
	const plan: DnsPlan = {
		kind: 'dns',
		resource: dnsResource(desired.tunnelId),
		accountId: desired.accountId,
		tunnelId: desired.tunnelId,
		target,
		changes: [],
		ops: [],
		owned: [],
		zones: {},
		refusals: [],
		warnings: [],
		foreign: [],
		managed: true,
	}
	if (!liveRead?.ok) {
		plan.refusals.push(
			unreadableRefusal('the DNS records of the tunnel hostnames', liveRead?.error),
		)
		return plan
	}
	const { zones, records } = liveRead.value
	const appliedByName = new Map((applied?.records ?? []).map((r) => [r.name, r]))
	const cause = causeFinder(applied !== undefined, (a: string, b: string) => a === b)
	const byName = groupByName(records)
	const wantedNames = new Set(desired.records.map((r) => r.hostname))

	for (const spec of desired.records) {
		const zone = zoneOf(spec.hostname, zones)
		if (!zone) {
			plan.refusals.push({
				rail: 'no-zone',
				message: `${where(spec)}: ${spec.hostname} is in no DNS zone of account ${desired.accountId} (${zones.length} zones: ${zones.map((z) => z.name).join(', ') || 'none'}); add its zone to the account, or set dns: false on the rule if its DNS is managed elsewhere`,
			})
			continue
		}
		plan.zones[spec.hostname] = zone.name
		const record: DnsRecordInput = {
			name: spec.hostname,
			type: 'CNAME',
			content: target,
			proxied: true,
			ttl: 1,
			comment: desired.comment,
		}
		const wanted = view(record)
		const existing = byName.get(spec.hostname) ?? []
		const owned = () => plan.owned.push({ name: spec.hostname, zoneId: zone.id, content: target })
		const lastWritten = appliedByName.get(spec.hostname)?.content
		if (existing.length === 0) {
			owned()
			plan.ops.push({ op: 'create', zoneId: zone.id, record })
			plan.changes.push({
				action: 'add',
				key: spec.hostname,
				after: wanted,
				cause: cause(target, undefined, lastWritten),
			})
			continue
		}
		const single = existing.length === 1 ? existing[0] : undefined
		const claim = single ? claimOf(spec.hostname, single.comment, ownership) : 'foreign'
		if (single && (claim === 'ours' || (claim === 'claimed' && matches(single, record)))) {
			owned()
			if (!matches(single, record)) {
				plan.ops.push({ op: 'overwrite', zoneId: zone.id, id: single.id, record })
				plan.changes.push({
					action: 'update',
					key: spec.hostname,
					before: view(single),
					after: wanted,
					cause: cause(target, single.content, lastWritten),
				})
			}
			continue
		}
		if (single && spec.adopt && ['CNAME', 'A', 'AAAA'].includes(single.type)) {
			owned()
			plan.ops.push({ op: 'overwrite', zoneId: zone.id, id: single.id, record })
			plan.changes.push({
				action: 'adopt',
				key: spec.hostname,
				before: view(single),
				after: wanted,
				cause: cause(target, single.content, lastWritten),
			})
			continue
		}
		for (const other of existing) {
			plan.foreign.push(recordKey(other))
		}
		plan.refusals.push({
			rail: 'foreign-conflict',
			message: `${where(spec)}: ${spec.hostname} already has ${existing.map(describeRecord).join(' and ')}, which tidegate did not create; it never overwrites a record it does not own. Delete it, set adopt: true on the rule to take ${existing.length === 1 && ['CNAME', 'A', 'AAAA'].includes(existing[0]?.type ?? '') ? 'it' : 'a single CNAME, A or AAAA record'} over, or dns: false to leave this hostname's DNS alone`,
		})
	}

	// Records of names no longer desired: tidegate's are removed, others stay untouched.
	for (const [name, existing] of byName) {
		if (wantedNames.has(name)) {
			continue
		}
		for (const record of existing) {
			const claim = claimOf(name, record.comment, ownership)
			if (claim === 'ours' && record.type === 'CNAME') {
				plan.ops.push({ op: 'delete', zoneId: record.zoneId, id: record.id, name })
				plan.changes.push({
					action: 'remove',
					key: name,
					before: view(record),
					cause: cause(undefined, record.content, appliedByName.get(name)?.content),
				})
				continue
			}
			plan.foreign.push(recordKey(record))
			if (claim === 'claimed') {
				plan.warnings.push(claimedWarning(`the DNS record ${describeRecord(record)}`, ownership))
			}
		}
	}
	sharedRails(plan, { rails, ownership, what: 'DNS records', label: (key) => key })
	return plan
}

/** After the write: the records of the plan resolve to the tunnel, and no foreign record went. */
export function verifyDns(plan: DnsPlan, after: LiveDns): string[] {
	const problems: string[] = []
	const now = new Set(after.records.map(recordKey))
	const lost = plan.foreign.filter((key) => !now.has(key))
	if (lost.length > 0) {
		problems.push(
			`DNS records tidegate does not own are missing after the write: ${lost.join(', ')}`,
		)
	}
	const names = new Map(after.records.map((r) => [r.name, r]))
	for (const record of plan.owned) {
		const found = names.get(record.name)
		if (!found || found.content !== record.content) {
			problems.push(`${record.name} does not point at ${record.content} after the write`)
		}
	}
	return problems
}

/** The names tidegate owns according to one recorded write. */
export function dnsOwnership(document: unknown): { keys: string[]; protected: string[] } {
	const records = (document as Partial<AppliedDns> | null)?.records ?? []
	return { keys: records.map((r) => r.name), protected: [] }
}

/** The zone holding a hostname: the longest zone name it ends with (`*.` counts as a label). */
export function zoneOf(hostname: string, zones: readonly Zone[]): Zone | undefined {
	const name = hostname.startsWith('*.') ? hostname.slice(2) : hostname
	let best: Zone | undefined
	for (const zone of zones) {
		const zoneName = zone.name.toLowerCase()
		if (
			(name === zoneName || name.endsWith(`.${zoneName}`)) &&
			zoneName.length > (best?.name.length ?? -1)
		) {
			best = zone
		}
	}
	return best
}

/** The identity of a record that is not tidegate's (a record type, name and content). */
export function recordKey(record: Pick<LiveDnsRecord, 'type' | 'name' | 'content'>): string {
	return `${record.type} ${record.name} ${record.content}`
}

function groupByName(records: readonly LiveDnsRecord[]): Map<string, LiveDnsRecord[]> {
	const out = new Map<string, LiveDnsRecord[]>()
	for (const record of records) {
		const name = record.name.toLowerCase()
		out.set(name, [...(out.get(name) ?? []), record])
	}
	return out
}

function matches(live: LiveDnsRecord, wanted: DnsRecordInput): boolean {
	return (
		live.type === wanted.type &&
		live.content.toLowerCase() === wanted.content &&
		live.proxied === wanted.proxied &&
		live.comment === wanted.comment
	)
}

function view(
	record: Pick<LiveDnsRecord, 'name' | 'type' | 'content' | 'proxied' | 'comment'>,
): DnsRecordView {
	return {
		name: record.name,
		type: record.type,
		content: record.content,
		proxied: record.proxied,
		...(record.comment !== undefined && { comment: record.comment }),
	}
}

function describeRecord(record: LiveDnsRecord): string {
	return `the ${record.type} record ${record.content} (${record.comment ? `comment "${record.comment}", ` : ''}id ${record.id})`
}

function where(spec: DnsRecordSpec): string {
	return `tidegate.yaml${spec.line === undefined ? '' : ` line ${spec.line}`} (${formatPath(spec.at)})`
}

/** What DNS needs from a desired state: the tunnel's hostnames whose rules keep `dns` on. */
export function desiredDns(tunnel: TunnelState, owner: string): DesiredDns {
	return {
		accountId: tunnel.accountId,
		tunnelId: tunnel.tunnelId,
		records: tunnel.dns,
		comment: dnsComment(owner),
	}
}
