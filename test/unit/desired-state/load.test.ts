/**
 * tidegate.yaml as a document: YAML-level faults (syntax, duplicate keys, BOM, empty, several
 * documents, alias bombs, size, tabs), unknown keys at every level, wrong types, and the example.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { MAX_DESIRED_STATE_BYTES } from '../../../src/domain/desired-state/load.ts'
import { diagnosticsOf, ingressDoc, isRefused, validState } from './support.ts'

const MINIMAL = 'version: 1\nowner: oceanid\n'

interface Case {
	name: string
	yaml: string
	expected: string[]
}

describe('YAML-level faults', () => {
	const cases: Case[] = [
		{
			name: 'a syntax error, located where the parser gives up',
			yaml: 'version: 1\nowner: "oceanid\n',
			expected: ['3:1 (document) invalid YAML: missing closing "quote'],
		},
		{
			name: 'an unclosed flow sequence',
			yaml: 'version: 1\nowner: oceanid\nsync: [\n',
			expected: [
				'4:1 (document) invalid YAML: flow sequence in block collection must be sufficiently indented and end with a ]',
			],
		},
		{
			name: 'a duplicate key at the top',
			yaml: 'version: 1\nowner: oceanid\nowner: other\n',
			expected: ['3:1 owner invalid YAML: duplicate key "owner"; each key may appear only once'],
		},
		{
			name: 'a duplicate key inside a rule',
			yaml: ingressDoc(
				'    - hostname: a.example.com',
				'      service: http://a:80',
				'      hostname: b.example.com',
			),
			expected: [
				'9:7 tunnel.ingress[0].hostname invalid YAML: duplicate key "hostname"; each key may appear only once',
			],
		},
		{
			name: 'a duplicate key in a flow mapping',
			yaml: `${MINIMAL}sync: { drift: report, drift: correct }\n`,
			expected: [
				'3:24 sync.drift invalid YAML: duplicate key "drift"; each key may appear only once',
			],
		},
		{
			name: 'an empty file',
			yaml: '',
			expected: ['1:1 (document) file is empty; expected a tidegate.yaml document'],
		},
		{
			name: 'a file of comments only',
			yaml: '# nothing here yet\n',
			expected: ['1:1 (document) file is empty; expected a tidegate.yaml document'],
		},
		{
			name: 'a BOM and nothing else',
			yaml: '\uFEFF',
			expected: ['1:1 (document) file is empty; expected a tidegate.yaml document'],
		},
		{
			name: 'a multi-document file',
			yaml: `${MINIMAL}---\n${MINIMAL}`,
			expected: [
				'3:1 (document) invalid YAML: the file holds more than one document (a second "---"); tidegate.yaml is a single document',
			],
		},
		{
			name: 'an alias bomb ("billion laughs")',
			yaml: [
				'version: 1',
				'owner: oceanid',
				'a: &a [x, x, x, x, x, x, x, x, x, x]',
				'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]',
				'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]',
				'd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]',
				'',
			].join('\n'),
			expected: [
				'4:8 b[0] invalid YAML: aliases expand too much (a "billion laughs" alias bomb?); tidegate refuses it (excessive alias count indicates a resource exhaustion attack)',
			],
		},
		{
			name: 'an alias with no anchor',
			yaml: 'version: 1\nowner: *name\n',
			expected: ['2:8 owner invalid YAML: alias *name has no anchor &name before it'],
		},
		{
			name: 'tabs for indentation',
			yaml: `${MINIMAL}sync:\n\tdrift: report\n`,
			expected: [
				'4:1 (document) invalid YAML: tabs are not allowed for indentation; indent with spaces',
			],
		},
		{
			name: 'a list instead of a mapping',
			yaml: '- version: 1\n- owner: oceanid\n',
			expected: ['1:1 (document) must be a mapping (key: value lines), not a list'],
		},
		{
			name: 'a plain string',
			yaml: 'hello\n',
			expected: ['1:1 (document) must be a mapping (key: value lines), not the string "hello"'],
		},
	]
	it.each(cases)('$name', ({ yaml, expected }) => {
		expect(diagnosticsOf(yaml)).toEqual(expected)
	})

	it.each([
		['closed', `${MINIMAL}sync: ${'['.repeat(20_000)}${']'.repeat(20_000)}\n`],
		['unclosed', `${MINIMAL}sync: ${'['.repeat(20_000)}\n`],
	])('refuses %s brackets nested 20,000 deep once, at the 33rd, before parsing', (_, yaml) => {
		expect(diagnosticsOf(yaml)).toEqual([
			'3:39 (document) invalid YAML: […] and {…} nested more than 32 levels deep; tidegate refuses it',
		])
	})

	it('lists at most 20 YAML errors, then says how many more there are', () => {
		// Each line is one error ("a: b" is a mapping nested in a compact mapping): 30 in all.
		const broken = Array.from({ length: 30 }, (_, i) => `k${i}: a: b`).join('\n')
		const lines = diagnosticsOf(`${MINIMAL}${broken}\n`)
		expect(lines).toHaveLength(21)
		expect(lines[0]).toBe(
			'3:5 (document) invalid YAML: nested mappings are not allowed in compact mappings',
		)
		expect(lines[20]).toBe('23:6 (document) 10 more YAML errors not shown; fix these and run again')
	})

	it('reads a file that starts with a BOM, counting positions without it', () => {
		expect(validState(`\uFEFF${MINIMAL}`).state.owner).toBe('oceanid')
		expect(diagnosticsOf(`\uFEFFversion: 1\nowner: oceanid\nbogus: 1\n`)).toEqual([
			'3:1 bogus unknown key "bogus"',
		])
	})

	it('reads CRLF line endings, with the same positions', () => {
		const crlf = `${ingressDoc('    - hostname: a.example.com:1', '      service: http://a:80')}`
			.split('\n')
			.join('\r\n')
		expect(diagnosticsOf(crlf)).toEqual([
			'7:17 tunnel.ingress[0].hostname hostname cannot contain a port ("a.example.com:1"); put the port in the service URL',
		])
	})

	it('accepts a leading "---" and a trailing "..."', () => {
		expect(validState(`---\n${MINIMAL}...\n`).state.owner).toBe('oceanid')
	})

	it('accepts a few ordinary aliases', () => {
		const { state } = validState(
			ingressDoc(
				'    - hostname: a.example.com',
				'      service: https://a:443',
				'      originRequest: &insecure { noTLSVerify: true }',
				'    - hostname: b.example.com',
				'      service: https://b:443',
				'      originRequest: *insecure',
			),
		)
		expect(state.tunnel?.ingress[1]?.originRequest).toEqual({ noTLSVerify: true })
	})

	it('warns about an unknown tag, reading the value as a string', () => {
		const { state, warnings } = validState('version: 1\nowner: !custom oceanid\n')
		expect(state.owner).toBe('oceanid')
		expect(warnings).toEqual([
			'2:8 owner warning: unresolved tag: !custom; the value is read as a plain string',
		])
	})

	it(`refuses a file over the size cap (${MAX_DESIRED_STATE_BYTES} bytes) before parsing`, () => {
		const padding = `# ${'x'.repeat(78)}\n`.repeat(Math.ceil(MAX_DESIRED_STATE_BYTES / 81))
		const text = `${MINIMAL}${padding}`
		expect(diagnosticsOf(text)).toEqual([
			`1:1 (document) file is ${new TextEncoder().encode(text).byteLength} bytes; the limit is 262144 (256 KiB)`,
		])
	})

	it('counts the cap in UTF-8 bytes and accepts a file of exactly the cap', () => {
		const atCap = `${MINIMAL}${'#'.repeat(MAX_DESIRED_STATE_BYTES - MINIMAL.length - 1)}\n`
		expect(new TextEncoder().encode(atCap).byteLength).toBe(MAX_DESIRED_STATE_BYTES)
		expect(validState(atCap).state.owner).toBe('oceanid')
		// One two-byte character more tips it over, though the string length grows by one.
		expect(isRefused(`${atCap.slice(0, -2)}é\n`)).toBe(true)
	})
})

describe('unknown keys, at every level, point at the key', () => {
	const cases: Case[] = [
		{
			name: 'top level',
			yaml: `${MINIMAL}colour: blue\n`,
			expected: ['3:1 colour unknown key "colour"'],
		},
		{
			name: 'top level, a known misspelling',
			yaml: `${MINIMAL}split_tunnel: {}\n`,
			expected: ['3:1 split_tunnel unknown key "split_tunnel"; did you mean splitTunnel?'],
		},
		{
			name: 'tunnel',
			yaml: `${ingressDoc('    []')}  catch_all: http_status:404\n`,
			expected: ['8:3 tunnel.catch_all unknown key "catch_all"; did you mean catchAll?'],
		},
		{
			name: 'an ingress rule',
			yaml: ingressDoc(
				'    - hostname: a.example.com',
				'      service: http://a:80',
				'      hostName: b.example.com',
			),
			expected: ['9:7 tunnel.ingress[0].hostName unknown key "hostName"; did you mean hostname?'],
		},
		{
			name: 'originRequest (block)',
			yaml: ingressDoc(
				'    - hostname: a.example.com',
				'      service: https://a:443',
				'      originRequest:',
				'        noTlsVerify: true',
			),
			expected: ['10:9 tunnel.ingress[0].originRequest.noTlsVerify unknown key "noTlsVerify"'],
		},
		{
			name: 'originRequest (flow)',
			yaml: ingressDoc(
				'    - hostname: a.example.com',
				'      service: https://a:443',
				'      originRequest: { noTLSVerify: true, timeout: 5 }',
			),
			expected: ['9:43 tunnel.ingress[0].originRequest.timeout unknown key "timeout"'],
		},
		{
			name: 'an include entry',
			yaml: [
				MINIMAL,
				'splitTunnel:\n',
				'  accountId: 0123456789abcdef0123456789abcdef\n',
				'  include:\n',
				'    - address: 10.0.0.0/8\n',
				'      description: Net\n',
				'      comment: why\n',
			].join(''),
			expected: ['8:7 splitTunnel.include[0].comment unknown key "comment"'],
		},
		{
			name: 'an egress target',
			yaml: `${MINIMAL}egress:\n  targets:\n    - { name: db, host: db, port: 5432, timeout: 3 }\n`,
			expected: ['5:41 egress.targets[0].timeout unknown key "timeout"'],
		},
		{
			name: 'sync',
			yaml: `${MINIMAL}sync:\n  dryRun: true\n`,
			expected: ['4:3 sync.dryRun unknown key "dryRun"'],
		},
	]
	it.each(cases)('$name', ({ yaml, expected }) => {
		expect(diagnosticsOf(yaml)).toEqual(expected)
	})
})

describe('wrong types and missing fields', () => {
	const cases: Case[] = [
		{
			name: 'a string where a number is expected',
			yaml: `${MINIMAL}egress:\n  targets:\n    - name: db\n      host: db\n      port: "5432"\n`,
			expected: [
				'7:13 egress.targets[0].port must be a number, not the string "5432"; remove the quotes',
			],
		},
		{
			name: 'a fraction where a whole number is expected',
			yaml: `${MINIMAL}sync:\n  maxDeletions: 2.5\n`,
			expected: ['4:17 sync.maxDeletions must be a whole number, not 2.5'],
		},
		{
			name: 'yes where a boolean is expected (YAML 1.2)',
			yaml: `${ingressDoc('    []')}  warpRouting: yes\n`,
			expected: [
				'8:16 tunnel.warpRouting must be true or false, not the string "yes"; YAML 1.2 reads only true and false as booleans, without quotes',
			],
		},
		{
			name: 'a mapping where a list is expected',
			yaml: `${ingressDoc('    hostname: a.example.com')}`,
			// A block value is located at its key.
			expected: ['6:3 tunnel.ingress must be a list, not a mapping'],
		},
		{
			name: 'a negative number',
			yaml: `${MINIMAL}sync:\n  maxDeletions: -1\n`,
			expected: ['4:17 sync.maxDeletions must be at least 0'],
		},
		{
			name: 'a value outside an enumeration',
			yaml: `${MINIMAL}sync:\n  drift: fix\n`,
			expected: ['4:10 sync.drift must be one of "correct", "report"'],
		},
		{
			name: 'an empty value',
			yaml: 'version: 1\nowner:\n',
			expected: ['2:7 owner must be a string, not empty'],
		},
		{
			name: 'missing version and owner',
			yaml: 'sync:\n  drift: report\n',
			expected: ['1:1 version is required (write version: 1)', '1:1 owner is required (a string)'],
		},
		{
			name: 'a version other than 1',
			yaml: 'version: 2\nowner: oceanid\n',
			expected: ['1:10 version must be 1 (the only tidegate.yaml version so far)'],
		},
		{
			name: 'a missing service',
			yaml: ingressDoc('    - hostname: a.example.com'),
			expected: ['7:7 tunnel.ingress[0].service is required (a string)'],
		},
		{
			name: 'an owner that cannot be a description suffix',
			yaml: 'version: 1\nowner: platform team\n',
			expected: [
				'2:8 owner must be 1-40 letters, digits, dots, hyphens or underscores (it is appended to descriptions)',
			],
		},
		{
			name: 'an account id in upper case',
			yaml: 'version: 1\nowner: oceanid\ntunnel:\n  accountId: 0123456789ABCDEF0123456789ABCDEF\n  tunnelId: 6ff4dfd7-2b77-4a4f-84d9-3241bea658dc\n',
			expected: [
				'4:14 tunnel.accountId must be a 32-character lowercase hex Cloudflare account id',
			],
		},
	]
	it.each(cases)('$name', ({ yaml, expected }) => {
		expect(diagnosticsOf(yaml)).toEqual(expected)
	})
})

describe('one run reports every error', () => {
	it('a structural error in one section does not hide the rule errors of another', () => {
		const yaml = [
			'version: 1',
			'owner: oceanid',
			'colour: blue',
			'tunnel:',
			'  accountId: 0123456789abcdef0123456789abcdef',
			'  tunnelId: 6ff4dfd7-2b77-4a4f-84d9-3241bea658dc',
			'  ingress:',
			'    - hostname: a.example.com:443',
			'      service: http://a:80',
			'splitTunnel:',
			'  accountId: 0123456789abcdef0123456789abcdef',
			'  include:',
			'    - address: 10.0.0.1/8',
			'      description: Net',
			'egress:',
			'  targets:',
			'    - { name: db, host: db, port: "5432" }',
			'  expect:',
			'    - target: nope',
			'',
		].join('\n')
		expect(diagnosticsOf(yaml)).toEqual([
			'3:1 colour unknown key "colour"',
			'8:17 tunnel.ingress[0].hostname hostname cannot contain a port ("a.example.com:443"); put the port in the service URL',
			'13:16 splitTunnel.include[0].address "10.0.0.1/8" has host bits set; did you mean 10.0.0.0/8?',
			'17:35 egress.targets[0].port must be a number, not the string "5432"; remove the quotes',
		])
	})
})

describe('egress', () => {
	it('refuses duplicate target names, probe-specific fields and unknown expectations', () => {
		const yaml = [
			MINIMAL,
			'egress:\n',
			'  targets:\n',
			'    - { name: db, host: db.example.com, port: 5432, probe: postgres, path: /health }\n',
			'    - { name: db, host: db2.example.com, port: 5432 }\n',
			'  expect:\n',
			'    - target: api\n',
		].join('')
		expect(diagnosticsOf(yaml)).toEqual([
			'5:7 egress.targets[0] path and expectStatus apply only to probe: http',
			'6:15 egress.targets[1].name duplicate target name (also targets[0])',
			'8:15 egress.expect[0].target unknown target "api"; define it under egress.targets',
		])
	})
})

describe('examples/tidegate.yaml', () => {
	const text = readFileSync(new URL('../../../examples/tidegate.yaml', import.meta.url), 'utf8')

	it('validates without warnings', () => {
		expect(diagnosticsOf(text)).toEqual([])
	})

	it('normalises to the state tidegate applies', () => {
		const { state } = validState(text)
		expect(state.owner).toBe('oceanid')
		expect(state.tunnel?.ingress).toEqual([
			{
				hostname: 'label.example.com',
				service: 'http://label-studio-ls-app.apps.svc.cluster.local:8085',
			},
			{
				hostname: 'agent.example.com',
				service: 'http://tidegate-agent.tidegate.svc.cluster.local:8787',
			},
			{ service: 'http_status:404' },
		])
		const entry = (address: string, description: string, flags = {}) => ({
			address,
			description: `${description} - oceanid`,
			protected: false,
			adopt: false,
			tunnelRoute: true,
			...flags,
		})
		expect(state.splitTunnels).toEqual([
			{
				accountId: '0123456789abcdef0123456789abcdef',
				policy: 'default',
				mode: 'include',
				at: ['splitTunnel'],
				entries: [
					entry('10.42.0.0/16', 'K8s Pod Network'),
					entry('10.43.0.0/16', 'K8s Service Network', { protected: true, adopt: true }),
					entry('192.168.2.0/24', 'Calypso GPU'),
				],
			},
		])
		// Each public hostname gets its DNS record; kubectl goes over WARP through the routes.
		expect(state.tunnel?.dns.map((d) => [d.hostname, d.line])).toEqual([
			['label.example.com', 13],
			['agent.example.com', 16],
		])
		expect(state.tunnel?.routes?.map((r) => [r.network, r.comment])).toEqual([
			['10.42.0.0/16', 'K8s Pod Network - oceanid'],
			['10.43.0.0/16', 'K8s Service Network - oceanid'],
			['192.168.2.0/24', 'Calypso GPU - oceanid'],
		])
		expect(state.sync).toEqual({ drift: 'correct', maxDeletions: 5 })
		expect(state.egress.targets).toEqual([
			{ name: 'labelfish-db', host: 'db.example.com', port: 5432, probe: 'postgres' },
		])
	})
})

describe('defaults', () => {
	it('fills sync and egress when they are left out', () => {
		const { state } = validState(MINIMAL)
		expect(state).toEqual({
			version: 1,
			owner: 'oceanid',
			splitTunnels: [],
			egress: { targets: [], expect: [], checkIngressTargets: false },
			sync: { drift: 'correct', maxDeletions: 5 },
		})
	})
})
