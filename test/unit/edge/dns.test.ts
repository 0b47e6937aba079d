// The DNS kind (src/domain/edge/kinds/dns.ts): one proxied CNAME per ingress hostname, in the zone
// that holds it, tidegate's records marked by their comment and its history, others untouched.
import { describe, expect, it } from 'vitest'
import {
	type AppliedDns,
	planDns,
	tunnelTarget,
	zoneOf,
} from '../../../src/domain/edge/kinds/dns.ts'
import { renderPlan } from '../../../src/domain/edge/render-plan.ts'
import { edgeResources, ownershipFrom } from '../../../src/domain/edge/resources.ts'
import type { LiveDns, LiveDnsRecord } from '../../../src/domain/edge/state.ts'
import { err, ok } from '../../../src/lib/result.ts'
import { ACCOUNT, desired, history, TUNNEL } from './support.ts'

const yaml = (rules: string, sync = '') => `version: 1
owner: oceanid
tunnel:
  accountId: ${ACCOUNT}
  tunnelId: ${TUNNEL}
  ingress:
${rules}
${sync}`

const LABEL = `    - hostname: label.example.com
      service: http://label:8085`
const API = `    - hostname: api.eu.example.com
      service: http://api:80`

const zones = [
	{ id: 'z-example', name: 'example.com' },
	{ id: 'z-eu', name: 'eu.example.com' },
	{ id: 'z-other', name: 'example.org' },
]
const target = tunnelTarget(TUNNEL)
const COMMENT = 'tidegate ingress - oceanid'

const ours = (name: string, zoneId = 'z-example', id = `r-${name}`): LiveDnsRecord => ({
	id,
	zoneId,
	name,
	type: 'CNAME',
	content: target,
	proxied: true,
	comment: COMMENT,
})

function dnsPlan(
	rules: string,
	records: LiveDnsRecord[],
	applied?: AppliedDns,
	options: { sync?: string; force?: boolean } = {},
) {
	const state = desired(yaml(rules, options.sync))
	const spec = edgeResources(state).find((s) => s.kind === 'dns')
	if (spec?.kind !== 'dns') {
		throw new Error('no DNS resource')
	}
	const ownership = ownershipFrom('dns', 'oceanid', applied && history(spec.resource, applied))
	const live: LiveDns = { zones, records }
	return planDns(spec.desired, ok(live), applied, ownership, {
		maxDeletions: state.sync.maxDeletions,
		force: options.force ?? false,
	})
}

describe('zone of a hostname', () => {
	const table: Array<[string, string | undefined]> = [
		['label.example.com', 'example.com'],
		['example.com', 'example.com'],
		['api.eu.example.com', 'eu.example.com'],
		['*.eu.example.com', 'eu.example.com'],
		['*.example.com', 'example.com'],
		['label.example.net', undefined],
		['notexample.com', undefined],
	]
	for (const [hostname, zone] of table) {
		it(`${hostname} → ${zone ?? 'no zone'}`, () => {
			expect(zoneOf(hostname, zones)?.name).toBe(zone)
		})
	}
})

describe('DNS records for the tunnel hostnames', () => {
	it('creates a proxied CNAME to the tunnel in the zone that holds each hostname', () => {
		const plan = dnsPlan(`${LABEL}\n${API}`, [])
		expect(plan.ops).toEqual([
			{
				op: 'create',
				zoneId: 'z-example',
				record: {
					name: 'label.example.com',
					type: 'CNAME',
					content: target,
					proxied: true,
					ttl: 1,
					comment: COMMENT,
				},
			},
			{
				op: 'create',
				zoneId: 'z-eu',
				record: expect.objectContaining({ name: 'api.eu.example.com' }),
			},
		])
		expect(plan.changes.map((c) => [c.action, c.key, c.cause])).toEqual([
			['add', 'label.example.com', 'first-sync'],
			['add', 'api.eu.example.com', 'first-sync'],
		])
		expect(
			renderPlan({ resources: [plan], changeCount: 2, refused: false, inSync: false }),
		).toContain(`+ label.example.com CNAME ${target} (proxied)`)
	})

	it('is in sync when the records are there, and writes nothing', () => {
		const plan = dnsPlan(LABEL, [ours('label.example.com')], {
			records: [{ name: 'label.example.com', zoneId: 'z-example', content: target }],
		})
		expect(plan.ops).toEqual([])
		expect(plan.changes).toEqual([])
		expect(plan.refusals).toEqual([])
	})

	it('a wildcard hostname gets a wildcard record', () => {
		const plan = dnsPlan(`    - hostname: "*.example.com"\n      service: http://apps:80`, [])
		expect(plan.ops).toEqual([
			expect.objectContaining({
				op: 'create',
				record: expect.objectContaining({ name: '*.example.com' }),
			}),
		])
	})

	it('skips rules with dns: false (managed elsewhere) and rules without a hostname', () => {
		const plan = dnsPlan(
			`${LABEL}\n      dns: false\n    - path: ^/health\n      service: http://health:80`,
			[],
		)
		expect(plan.ops).toEqual([])
	})

	it('refuses, naming the record, when a record it did not create holds a desired hostname', () => {
		const foreign: LiveDnsRecord = {
			id: 'r-foreign',
			zoneId: 'z-example',
			name: 'label.example.com',
			type: 'A',
			content: '192.0.2.10',
			proxied: false,
			comment: 'old VM',
		}
		const plan = dnsPlan(LABEL, [foreign])
		expect(plan.ops).toEqual([])
		expect(plan.refusals).toEqual([
			{
				rail: 'foreign-conflict',
				message: expect.stringMatching(
					/line 7 \(tunnel\.ingress\[0\]\): label\.example\.com already has the A record 192\.0\.2\.10 \(comment "old VM", id r-foreign\), which tidegate did not create/,
				),
			},
		])
	})

	it('with adopt: true, takes the record over in place', () => {
		const foreign: LiveDnsRecord = {
			...ours('label.example.com'),
			id: 'r-foreign',
			content: 'old.example.net',
			comment: 'by hand',
		}
		const plan = dnsPlan(`${LABEL}\n      adopt: true`, [foreign])
		expect(plan.refusals).toEqual([])
		expect(plan.ops).toEqual([
			{
				op: 'overwrite',
				zoneId: 'z-example',
				id: 'r-foreign',
				record: expect.objectContaining({ content: target }),
			},
		])
		expect(plan.changes[0]).toMatchObject({ action: 'adopt', key: 'label.example.com' })
		expect(plan.owned).toEqual([
			{ name: 'label.example.com', zoneId: 'z-example', content: target },
		])
	})

	it('a record that only carries its comment is kept when tidegate never wrote it', () => {
		const stray = ours('old.example.com')
		const plan = dnsPlan(LABEL, [ours('label.example.com'), stray])
		expect(plan.ops.filter((o) => o.op === 'delete')).toEqual([])
	})

	it('deletes the records of removed hostnames that it wrote, counted against maxDeletions', () => {
		const applied = {
			records: ['label', 'a', 'b', 'c'].map((n) => ({
				name: `${n}.example.com`,
				zoneId: 'z-example',
				content: target,
			})),
		}
		const live = applied.records.map((r) => ours(r.name))
		const plan = dnsPlan(LABEL, live, applied, { sync: 'sync:\n  maxDeletions: 2' })
		expect(
			plan.ops.filter((o) => o.op === 'delete').map((o) => (o.op === 'delete' ? o.name : '')),
		).toEqual(['a.example.com', 'b.example.com', 'c.example.com'])
		expect(plan.refusals.map((r) => r.rail)).toEqual(['max-deletions'])
		const forced = dnsPlan(LABEL, live, applied, { sync: 'sync:\n  maxDeletions: 2', force: true })
		expect(forced.refusals).toEqual([])
	})

	it('refuses a hostname in no zone of the account, with its line', () => {
		const plan = dnsPlan(
			`${LABEL}\n    - hostname: label.example.net\n      service: http://x:80`,
			[],
		)
		expect(plan.refusals).toEqual([
			{
				rail: 'no-zone',
				message: expect.stringMatching(
					/^tidegate\.yaml line 9 \(tunnel\.ingress\[1\]\): label\.example\.net is in no DNS zone of account/,
				),
			},
		])
	})

	it('refuses on an unreadable DNS state, never planning on a guess', () => {
		const state = desired(yaml(LABEL))
		const spec = edgeResources(state).find((s) => s.kind === 'dns')
		if (spec?.kind !== 'dns') {
			throw new Error('no DNS resource')
		}
		const plan = planDns(
			spec.desired,
			err('HTML 502'),
			undefined,
			ownershipFrom('dns', 'oceanid', undefined),
			{
				maxDeletions: 5,
				force: true,
			},
		)
		expect(plan.refusals.map((r) => r.rail)).toEqual(['unreadable'])
		expect(plan.ops).toEqual([])
	})
})
