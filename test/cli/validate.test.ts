/**
 * `tidegate validate` as CI and operators run it: the real bin in a child process, from the repo
 * root. Exit 0 valid (warnings printed), 1 invalid (every error, `file:line:col path message`),
 * 2 unreadable input, 64 bad usage, and never a stack trace.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { NODE, ROOT, type Run, runCommand, tidegate as runTidegate } from './support/run.ts'

const FIXTURES = 'test/fixtures/desired-state'

/** `node_modules/.bin/node bin/tidegate.js ...args`, from the repo root. */
function tidegate(...args: string[]): Promise<Run> {
	return runTidegate(args)
}

/** Output lines without the final newline. */
const lines = (text: string): string[] => text.replace(/\n$/, '').split('\n')

const STACK_FRAME = /^\s+at .+[:(]/m

const USAGE = [
	'usage: tidegate <command> [options]',
	'',
	'commands:',
	'  validate [file]          check a tidegate.yaml (default ./tidegate.yaml); exit 1 on errors',
	'  preflight <repo-dir>     find ownership conflicts in the Flux manifests; exit 1 on conflicts',
	'  plan [file]              diff against the live Cloudflare state; exit 2 when changes are pending',
	'  apply [file] [--force]   write the changes (--force lifts only the sync.maxDeletions rail and',
	"                           the rail on other teams' entries vanishing since the last write)",
	'  egress [--timeout ms] [--json]',
	'                           check egress from every node now, through the Worker; exit 1 when a',
	'                           required node cannot reach a target, 2 when some are unknown',
	'',
	'preflight reads <repo-dir>/tidegate.yaml unless --config names another file.',
	'plan and apply read CF_API_BASE_URL, CF_TUNNEL_API_TOKEN, CF_ZERO_TRUST_API_TOKEN,',
	'CF_DNS_API_TOKEN (DNS is skipped without it) and TIDEGATE_OWNER. The CLI keeps no history, so it',
	'never removes an entry, record or route of a shared list: the Worker does that.',
	'egress reads TIDEGATE_URL (the Worker) and TIDEGATE_ADMIN_TOKEN (its ADMIN_TOKEN).',
]

const scratch = mkdtempSync(join(tmpdir(), 'tidegate-cli-'))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

describe('exit 0: valid', () => {
	it('prints a one-line summary for the example cluster', async () => {
		const run = await tidegate('validate', 'examples/tidegate.yaml')
		expect(run).toEqual({
			status: 0,
			stdout:
				'examples/tidegate.yaml: valid (owner oceanid; tunnel 6ff4dfd7-2b77-4a4f-84d9-3241bea658dc: 2 ingress rules + catch-all, 2 DNS records, 3 routes; split tunnel (default profile): 3 include entries; 1 egress target)\n',
			stderr: '',
		})
	})

	it('prints each warning, then the summary, and still exits 0', async () => {
		const file = `${FIXTURES}/warnings.yaml`
		const run = await tidegate('validate', file)
		expect(run.status).toBe(0)
		expect(run.stderr).toBe('')
		expect(lines(run.stdout)).toEqual([
			`${file}:9:13 tunnel.ingress[0].path warning: path "/api" is not anchored: cloudflared matches it anywhere in the request path, not only at the start; write "^/api" to match a prefix`,
			`${file}: valid with 1 warning (owner oceanid; tunnel 6ff4dfd7-2b77-4a4f-84d9-3241bea658dc: 1 ingress rule + catch-all, 1 DNS record)`,
		])
	})

	it('reads a file that starts with a BOM', async () => {
		const run = await tidegate('validate', `${FIXTURES}/bom.yaml`)
		expect(run).toEqual({
			status: 0,
			stdout: `${FIXTURES}/bom.yaml: valid (owner oceanid)\n`,
			stderr: '',
		})
	})

	it('defaults to ./tidegate.yaml in the working directory', async () => {
		const dir = mkdtempSync(join(scratch, 'default-'))
		writeFileSync(join(dir, 'tidegate.yaml'), 'version: 1\nowner: oceanid\n')
		const run = await runCommand(NODE, [join(ROOT, 'bin/tidegate.js'), 'validate'], { cwd: dir })
		expect(run.status).toBe(0)
		expect(run.stdout).toBe('tidegate.yaml: valid (owner oceanid)\n')
	})
})

describe('exit 1: invalid', () => {
	it('reports every error, in file order, as file:line:col path message, then a count', async () => {
		const file = `${FIXTURES}/invalid.yaml`
		const run = await tidegate('validate', file)
		expect(run.status).toBe(1)
		expect(lines(run.stdout)).toEqual([
			`${file}:10:7 tunnel.ingress[1] rule can never match: ingress[0] (hostname "*.example.com") matches every request this one would, and the first match wins; move this rule above it`,
			`${file}:12:17 tunnel.ingress[2].hostname hostname cannot contain a port ("k3s.example.com:6443"); put the port in the service URL`,
			`${file}:13:16 tunnel.ingress[2].service service "kubernetes.default.svc:443" has no scheme; write e.g. http://kubernetes.default.svc:443 (schemes: http, https, tcp, ssh, rdp, smb, unix), http_status:404 or one of hello_world, bastion, socks-proxy`,
			`${file}:19:16 splitTunnel.include[1].address 10.42.1.0/24 lies inside include[0] (10.42.0.0/16); keep one of them`,
		])
		expect(run.stderr).toBe(`${file}: 4 errors\n`)
	})

	it('counts warnings beside errors', async () => {
		const file = join(scratch, 'both.yaml')
		writeFileSync(
			file,
			[
				'version: 1',
				'owner: oceanid',
				'tunnel:',
				'  accountId: 0123456789abcdef0123456789abcdef',
				'  tunnelId: 6ff4dfd7-2b77-4a4f-84d9-3241bea658dc',
				'  ingress:',
				'    - hostname: a.example.com',
				'      path: /api',
				'      service: http://a:80/',
				'',
			].join('\n'),
		)
		const run = await tidegate('validate', file)
		expect(run.status).toBe(1)
		expect(lines(run.stdout)).toEqual([
			`${file}:8:13 tunnel.ingress[0].path warning: path "/api" is not anchored: cloudflared matches it anywhere in the request path, not only at the start; write "^/api" to match a prefix`,
			`${file}:9:16 tunnel.ingress[0].service service "http://a:80/" has a path; cloudflared keeps the visitor's path, so the origin must be scheme://host:port only`,
		])
		expect(run.stderr).toBe(`${file}: 1 error, 1 warning\n`)
	})

	it.each([
		[
			'duplicate-key.yaml',
			'5:3 sync.drift invalid YAML: duplicate key "drift"; each key may appear only once',
		],
		['empty.yaml', '1:1 (document) file is empty; expected a tidegate.yaml document'],
		[
			'control-chars.yaml',
			'8:17 tunnel.ingress[0].hostname "\\u001b[31mred.example.com" is not a valid hostname (letters, digits, hyphens and dots only)',
		],
	])('%s: %s', async (name, expected) => {
		const file = `${FIXTURES}/${name}`
		const run = await tidegate('validate', file)
		expect(run).toEqual({
			status: 1,
			stdout: `${file}:${expected}\n`,
			stderr: `${file}: 1 error\n`,
		})
	})

	it('never writes a raw control character to the terminal', async () => {
		const run = await tidegate('validate', `${FIXTURES}/control-chars.yaml`)
		expect(run.stdout).not.toContain('\u001b')
	})
})

describe('exit 2 for unreadable input, 64 for bad usage, never a stack trace', () => {
	const cases: { name: string; args: string[]; stderr: string[]; status?: number }[] = [
		{
			name: 'a missing file',
			args: ['validate', 'no/such/tidegate.yaml'],
			stderr: ['tidegate: cannot read no/such/tidegate.yaml: no such file'],
		},
		{
			name: 'a directory',
			args: ['validate', 'examples'],
			stderr: ['tidegate: cannot read examples: is a directory'],
		},
		{
			name: 'binary garbage',
			args: ['validate', `${FIXTURES}/binary.bin`],
			stderr: [`tidegate: cannot read ${FIXTURES}/binary.bin: not UTF-8 text (a binary file?)`],
		},
		{
			name: 'an unknown command',
			status: 64,
			args: ['frobnicate'],
			stderr: ['tidegate: unknown command "frobnicate"', '', ...USAGE],
		},
		{
			name: 'an unknown flag',
			status: 64,
			args: ['validate', '--strict', 'examples/tidegate.yaml'],
			stderr: ['tidegate validate: unknown option --strict', '', ...USAGE],
		},
		{
			name: 'two files',
			status: 64,
			args: ['validate', 'a.yaml', 'b.yaml'],
			stderr: ['tidegate validate: expected at most one file, got 2', '', ...USAGE],
		},
		{
			name: 'no command',
			status: 64,
			args: [],
			stderr: USAGE,
		},
	]
	it.each(cases)('$name', async ({ args, stderr, status }) => {
		const run = await tidegate(...args)
		expect(run.status).toBe(status ?? 2)
		expect(run.stdout).toBe('')
		expect(lines(run.stderr)).toEqual(stderr)
		expect(run.stderr).not.toMatch(STACK_FRAME)
	})

	it('prints usage on stdout for --help, exit 0', async () => {
		for (const args of [['--help'], ['help'], ['validate', '--help']]) {
			const run = await tidegate(...args)
			expect(run.status).toBe(0)
			expect(lines(run.stdout)).toEqual(USAGE)
		}
	})
})

describe('hostile files end in a located error, never a crash', () => {
	const hostile: { name: string; content: string | Buffer; expected: RegExp }[] = [
		{
			name: 'an alias bomb',
			content: [
				'version: 1',
				'owner: oceanid',
				'a: &a [x, x, x, x, x, x, x, x, x, x]',
				'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]',
				'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]',
				'd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]',
				'',
			].join('\n'),
			expected: /:4:8 b\[0\] invalid YAML: aliases expand too much/,
		},
		{
			name: 'a file over the size cap',
			content: `version: 1\nowner: oceanid\n${'#'.repeat(300_000)}\n`,
			expected: /:1:1 \(document\) file is 300027 bytes; the limit is 262144 \(256 KiB\)$/m,
		},
		{
			name: 'brackets nested 50,000 deep',
			content: `version: 1\nowner: oceanid\nsync: ${'['.repeat(50_000)}\n`,
			expected:
				/:3:39 \(document\) invalid YAML: \[…\] and \{…\} nested more than 32 levels deep; tidegate refuses it$/m,
		},
		{
			// YAML reads the NULs as part of the key; the key is then shown escaped.
			name: 'NUL bytes',
			content: Buffer.from('version: 1\n\0\0\0owner: oceanid\n'),
			expected: /:2:1 \\u0000\\u0000\\u0000owner unknown key "\\u0000\\u0000\\u0000owner"$/m,
		},
		{
			name: 'a multi-document file',
			content: 'version: 1\nowner: a\n---\nversion: 1\nowner: b\n',
			expected: /:3:1 \(document\) invalid YAML: the file holds more than one document/,
		},
		{
			name: 'tabs for indentation',
			content: 'version: 1\nowner: oceanid\nsync:\n\tdrift: report\n',
			expected:
				/:4:1 \(document\) invalid YAML: tabs are not allowed for indentation; indent with spaces$/m,
		},
	]
	it.each(hostile)('$name', async ({ name, content, expected }) => {
		const file = join(scratch, `${name.replace(/\W+/g, '-')}.yaml`)
		writeFileSync(file, content)
		const run = await tidegate('validate', file)
		expect(run.status).toBe(1)
		expect(run.stdout).toMatch(expected)
		expect(run.stdout.startsWith(`${file}:`)).toBe(true)
		expect(run.stderr).toMatch(/^.+: \d+ errors?\n$/)
		expect(`${run.stdout}${run.stderr}`).not.toMatch(STACK_FRAME)
	})
})

describe('npx tidegate', () => {
	it('runs the same bin with the project’s Node', async () => {
		const run = await runCommand('npx', [
			'--no-install',
			'tidegate',
			'validate',
			`${FIXTURES}/invalid.yaml`,
		])
		expect(run.status).toBe(1)
		expect(lines(run.stdout)).toHaveLength(4)
		expect(run.stdout).toContain(
			`${FIXTURES}/invalid.yaml:12:17 tunnel.ingress[2].hostname hostname cannot contain a port ("k3s.example.com:6443"); put the port in the service URL`,
		)
		expect(run.stderr).toBe(`${FIXTURES}/invalid.yaml: 4 errors\n`)
	})
})
