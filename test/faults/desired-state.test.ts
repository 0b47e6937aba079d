/**
 * Bad desired state reaching the real Worker (docs/reliability.md, the "Desired state" fault classes): every class of broken
 * tidegate.yaml is committed and reconciled. An invalid file fails the run with a located error on
 * the commit and writes nothing; a file the loader normalises (case, trailing dot, IDN, IPv6
 * forms, BOM) is applied in its canonical form; a dangerous change is refused by a rail. After each
 * case the good file is committed back and the edge converges to it.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { useEdge } from '../integration/support/network.ts'
import {
	commit,
	desiredYaml,
	expectLiveIs,
	live,
	type RunRow,
	reconcileNow,
	resetWorld,
} from './support/world.ts'

const edge = useEdge()
const BASE = desiredYaml()

beforeAll(async () => {
	await resetWorld(edge)
	await commit(edge, BASE)
	expect((await reconcileNow()).status).toBe('applied')
})

const rule = (hostname: string, service = 'http://svc.apps:80', more = '') =>
	`    - hostname: ${hostname}\n      service: ${service}${more}`
const entry = (address: string, description = 'Net') =>
	`    - address: ${address}\n      description: ${description}`

/** One committed file and what the Worker must make of it. */
interface Case {
	name: string
	yaml: string
	expect:
		| { outcome: 'invalid'; message: RegExp }
		| { outcome: 'refused'; message: RegExp }
		| { outcome: 'applied'; check?: () => void }
}

const invalid = (name: string, yaml: string, message: RegExp): Case => ({
	name,
	yaml,
	expect: { outcome: 'invalid', message },
})
// The base file's entries (one protected) stay, so only the case's own change is judged.
const BASE_ENTRIES = `    - address: 10.42.0.0/16
      description: K8s Pod Network
    - address: 10.43.0.0/16
      description: K8s Service Network
      protected: true
    - address: 192.168.2.0/24
      description: Calypso GPU`
const withRules = (rules: string) => desiredYaml({ rules })
const withEntries = (entries: string) => desiredYaml({ entries: `${BASE_ENTRIES}\n${entries}` })

/** Runs one case end to end and checks the three promises. */
async function runCase(c: Case): Promise<void> {
	const before = live(edge)
	const sha = await commit(edge, c.yaml)
	edge.cloudflare.clearRequests()
	const run: RunRow = await reconcileNow({ trigger: 'push' })
	if (c.expect.outcome === 'applied') {
		// Applied, or already in sync when the normalised form is what Cloudflare holds.
		expect(['applied', 'in_sync'], run.error_message ?? '').toContain(run.status)
		c.expect.check?.()
	} else {
		if (c.expect.outcome === 'invalid') {
			expect(run).toMatchObject({ status: 'failed', error_code: 'config_invalid' })
			// Located: file, line and column.
			expect(run.error_message).toMatch(/tidegate\.yaml:\d+:\d+ /)
			expect(run.error_message).toMatch(c.expect.message)
		} else {
			expect(run.status).toBe('refused')
			expect(run.summary).toMatch(c.expect.message)
		}
		// Nothing written, nothing changed; the commit says why.
		expect(edge.cloudflare.writes()).toEqual([])
		expect(live(edge)).toEqual(before)
		const [status] = await edge.github.statuses({ ref: sha })
		expect(status).toMatchObject({ context: 'tidegate/edge-sync', state: 'failure' })
	}
	// The good file again: converged.
	await commit(edge, BASE)
	expect(['applied', 'in_sync']).toContain((await reconcileNow({ trigger: 'push' })).status)
	expectLiveIs(edge, BASE)
}

const FILE_CASES: Case[] = [
	invalid('a YAML syntax error', `${BASE}\n  bad: [unclosed`, /invalid YAML/),
	invalid('a duplicate key', `${BASE}\nowner: someone-else\n`, /duplicate key "owner"/),
	invalid(
		'a wrong type',
		desiredYaml({ extra: 'sync:\n  maxDeletions: lots\n' }),
		/must be a number/,
	),
	invalid(
		'an unknown field',
		desiredYaml({ extra: 'syncc:\n  drift: correct\n' }),
		/unknown key "syncc"/,
	),
	invalid('a file over the 256 KiB cap', `${BASE}\n# ${'x'.repeat(300 * 1024)}\n`, /262144 bytes/),
	invalid('an empty include list', desiredYaml({ entries: '    []' }), /at least one entry/),
	invalid('binary garbage', '\u0000\u0001\u0002PK\u0003\u0004', /.+/),
	{ name: 'a byte-order mark (legal YAML)', yaml: `\uFEFF${BASE}`, expect: { outcome: 'applied' } },
]

const HOSTNAME_CASES: Case[] = [
	invalid('a lone surrogate', withRules(rule('"\\uD8F3.example.com"')), /lone surrogate/),
	invalid(
		'a hostname with a port',
		withRules(rule('host.example.com:443')),
		/cannot contain a port/,
	),
	invalid('a wildcard inside a name', withRules(rule('a.*.example.com')), /at most one wildcard/),
	invalid('a bare "*"', withRules(rule("'*'")), /matches every request/),
	invalid(
		'the same hostname differing only in case',
		withRules(`${rule('a.example.com')}\n${rule('A.example.com')}`),
		/duplicate rule/,
	),
	invalid(
		'a wildcard before a specific host (shadowing)',
		withRules(`${rule("'*.example.com'")}\n${rule('a.example.com')}`),
		/can never match/,
	),
	invalid('a label over 63 bytes', withRules(rule(`${'a'.repeat(64)}.example.com`)), /label of 64/),
	invalid(
		'a name over 253 bytes',
		withRules(rule(`${Array.from({ length: 60 }, () => 'abcd').join('.')}.com`)),
		/./,
	),
	{
		name: 'uppercase and a trailing dot (normalised)',
		yaml: withRules(rule('LABEL.Example.COM.')),
		expect: {
			outcome: 'applied',
			check: () => expect(live(edge).ingress[0]?.hostname).toBe('label.example.com'),
		},
	},
	{
		name: 'an IDN (sent as punycode)',
		yaml: withRules(rule('môô.example.com')),
		expect: {
			outcome: 'applied',
			check: () => expect(live(edge).ingress[0]?.hostname).toBe('xn--m-xgaa.example.com'),
		},
	},
]

const RULE_CASES: Case[] = [
	invalid(
		'an invalid path regex',
		withRules(rule('a.example.com', 'http://svc.apps:80', '\n      path: "^/api(["')),
		/not a valid regular expression/,
	),
	invalid(
		'a service without a scheme',
		withRules(rule('a.example.com', 'localhost:80')),
		/no scheme/,
	),
	invalid(
		'a service with a path',
		withRules(rule('a.example.com', 'http://svc/api')),
		/has a path/,
	),
	invalid(
		'http_status:99',
		withRules(rule('a.example.com', 'http_status:99')),
		/not a valid HTTP status/,
	),
	invalid(
		'http_status:1000',
		withRules(rule('a.example.com', 'http_status:1000')),
		/not a valid HTTP status/,
	),
	invalid(
		'a catch-all first',
		withRules(`    - service: http_status:404\n${rule('a.example.com')}`),
		/matches every request/,
	),
	invalid(
		'two catch-alls',
		withRules(
			`${rule('a.example.com')}\n    - service: http_status:404\n    - service: http_status:503`,
		),
		/matches every request/,
	),
	{
		name: 'an unanchored path (a warning, applied)',
		yaml: withRules(rule('a.example.com', 'http://svc.apps:80', '\n      path: /api')),
		expect: { outcome: 'applied' },
	},
]

const CIDR_CASES: Case[] = [
	invalid('an invalid CIDR', withEntries(entry('10.0.0.300/8')), /not a valid IPv4 or IPv6 CIDR/),
	invalid('a non-canonical CIDR', withEntries(entry('10.0.0.1/8')), /host bits set/),
	invalid('0.0.0.0/0', withEntries(entry('0.0.0.0/0')), /covers every address/),
	invalid('::/0', withEntries(entry('::/0')), /covers every address/),
	invalid('a duplicate CIDR', withEntries(entry('10.42.0.0/16', 'Again')), /duplicate/),
	invalid('overlapping CIDRs', withEntries(entry('10.0.0.0/8', 'Outer')), /contains include/),
	invalid('an IPv4-mapped IPv6 address', withEntries(entry('::ffff:10.0.0.1/128')), /IPv4-mapped/),
	invalid('an IPv6 zone id', withEntries(entry('fe80::1%eth0/128')), /zone ids/),
	{
		name: 'IPv6 expanded and uppercase (canonicalised)',
		yaml: withEntries(entry('FD00:0010:0000:0000:0000:0000:0000:0000/64')),
		expect: {
			outcome: 'applied',
			check: () =>
				expect(live(edge).include.map((e) => ('address' in e ? e.address : e.host))).toContain(
					'fd00:10::/64',
				),
		},
	},
]

const MASS_CHANGE_CASES: Case[] = [
	{
		name: 'removing more entries than sync.maxDeletions',
		yaml: desiredYaml({
			rules: rule('only.example.com'),
			entries: entry('10.43.0.0/16', 'K8s Service Network'),
			extra: 'sync:\n  maxDeletions: 1\n',
		}),
		expect: { outcome: 'refused', message: /more than sync.maxDeletions \(1\)/ },
	},
	{
		name: 'removing a protected entry',
		yaml: desiredYaml({
			entries: `${entry('10.42.0.0/16', 'K8s Pod Network')}\n${entry('192.168.2.0/24', 'Calypso GPU')}`,
		}),
		expect: { outcome: 'refused', message: /protected/ },
	},
	{
		name: 'removing every public hostname from the tunnel',
		yaml: desiredYaml({ rules: '    []' }).replace('  ingress:\n    []', '  ingress: []'),
		expect: { outcome: 'refused', message: /every public hostname/ },
	},
]

const CLASSES: [string, Case[]][] = [
	['Desired state: the file', FILE_CASES],
	['Desired state: hostnames', HOSTNAME_CASES],
	['Desired state: ingress rules', RULE_CASES],
	['Desired state: CIDRs', CIDR_CASES],
	['Desired state: mass changes', MASS_CHANGE_CASES],
]

for (const [name, cases] of CLASSES) {
	describe(name, () => {
		for (const c of cases) {
			it(`${c.name} → ${c.expect.outcome}, nothing else written, converges`, () => runCase(c))
		}
	})
}

describe('Desired state: the file', () => {
	it('a deleted tidegate.yaml is not an empty desired state: nothing is removed', async () => {
		await commit(edge, null)
		edge.cloudflare.clearRequests()
		const run = await reconcileNow({ trigger: 'push' })
		expect(run).toMatchObject({ status: 'failed', error_code: 'config_missing' })
		expect(edge.cloudflare.requests).toEqual([])
		expectLiveIs(edge, BASE)
		await commit(edge, BASE)
		expect((await reconcileNow()).status).toBe('in_sync')
	})
})
