/**
 * The tunnel's ingress rules as the operator meets them: each bad input is refused with its message
 * at its YAML path and line:column; good input is normalised the way cloudflared compares it.
 */
import { describe, expect, it } from 'vitest'
import { diagnosticsOf, ingressDoc, validState } from './support.ts'

const CATCH_ALL_ADVICE =
	'so the rules after it could never match; the catch-all belongs in tunnel.catchAll, which is always last'
const IDN_LABEL = 'ñandúgüeñoçàèìòùâêîôûäëïöüÿ'.repeat(2)
const WILDCARD_RULE =
	'at most one wildcard "*", and only as the leftmost label, e.g. "*.example.com"'

interface Case {
	name: string
	yaml: string
	/** Every line the operator sees, in order (`line:col path message`). */
	expected: string[]
}

describe('the catch-all', () => {
	const cases: Case[] = [
		{
			name: 'a catch-all rule that is not last',
			yaml: ingressDoc(
				'    - service: http://a:80',
				'    - hostname: b.example.com',
				'      service: http://b:80',
			),
			expected: [
				`7:7 tunnel.ingress[0] this rule matches every request (no hostname, no path), ${CATCH_ALL_ADVICE}`,
			],
		},
		{
			name: 'a catch-all rule present twice (both reported)',
			yaml: ingressDoc(
				'    - service: http://a:80',
				'    - hostname: b.example.com',
				'      service: http://b:80',
				'    - service: http_status:503',
			),
			expected: [
				`7:7 tunnel.ingress[0] this rule matches every request (no hostname, no path), ${CATCH_ALL_ADVICE}`,
				`10:7 tunnel.ingress[2] this rule matches every request (no hostname, no path), ${CATCH_ALL_ADVICE}`,
			],
		},
		{
			name: 'a catch-all written as the last ingress rule, cloudflared style',
			yaml: ingressDoc(
				'    - hostname: a.example.com',
				'      service: http://a:80',
				'    - service: http_status:404',
			),
			expected: [
				`9:7 tunnel.ingress[1] this rule matches every request (no hostname, no path), ${CATCH_ALL_ADVICE}`,
			],
		},
		{
			name: 'bare "*" as a rule with no path',
			yaml: ingressDoc('    - hostname: "*"', '      service: http://a:80'),
			expected: [
				`7:7 tunnel.ingress[0] this rule matches every request (hostname "*", no path), ${CATCH_ALL_ADVICE}`,
			],
		},
		{
			name: 'a catchAll that is not a valid service',
			yaml: `${ingressDoc('    - hostname: a.example.com', '      service: http://a:80')}  catchAll: http://fallback/oops\n`,
			expected: [
				`9:13 tunnel.catchAll service "http://fallback/oops" has a path; cloudflared keeps the visitor's path, so the origin must be scheme://host:port only`,
			],
		},
	]
	it.each(cases)('$name', ({ yaml, expected }) => {
		expect(diagnosticsOf(yaml)).toEqual(expected)
	})

	it('is appended last, http_status:404 by default', () => {
		const { state } = validState(
			ingressDoc('    - hostname: a.example.com', '      service: http://a:80'),
		)
		expect(state.tunnel?.ingress).toEqual([
			{ hostname: 'a.example.com', service: 'http://a:80' },
			{ service: 'http_status:404' },
		])
	})

	it('is appended last with the service written in catchAll', () => {
		const { state } = validState(
			`${ingressDoc('    - hostname: a.example.com', '      service: http://a:80')}  catchAll: http_status:503\n`,
		)
		expect(state.tunnel?.ingress.at(-1)).toEqual({ service: 'http_status:503' })
	})

	it('is the only rule when ingress is empty', () => {
		const { state } = validState(ingressDoc('    []'))
		expect(state.tunnel?.ingress).toEqual([{ service: 'http_status:404' }])
	})

	it('"*" with a path is an ordinary rule, sent without a hostname', () => {
		const { state, warnings } = validState(
			ingressDoc('    - hostname: "*"', '      path: ^/healthz$', '      service: http://h:80'),
		)
		expect(warnings).toEqual([])
		expect(state.tunnel?.ingress[0]).toEqual({ path: '^/healthz$', service: 'http://h:80' })
	})
})

describe('hostnames', () => {
	const refused: Case[] = [
		{
			name: 'a hostname with a port',
			yaml: ingressDoc('    - hostname: a.example.com:443', '      service: http://a:80'),
			expected: [
				'7:17 tunnel.ingress[0].hostname hostname cannot contain a port ("a.example.com:443"); put the port in the service URL',
			],
		},
		{
			name: 'a wildcard that is not the leftmost label (a.*.example.com)',
			yaml: ingressDoc('    - hostname: a.*.example.com', '      service: http://a:80'),
			expected: [`7:17 tunnel.ingress[0].hostname hostname "a.*.example.com": ${WILDCARD_RULE}`],
		},
		{
			name: 'two wildcards (**.x)',
			yaml: ingressDoc('    - hostname: "**.x"', '      service: http://a:80'),
			expected: [`7:17 tunnel.ingress[0].hostname hostname "**.x": ${WILDCARD_RULE}`],
		},
		{
			name: 'a wildcard that is not a whole label (*example.com)',
			yaml: ingressDoc('    - hostname: "*example.com"', '      service: http://a:80'),
			expected: [`7:17 tunnel.ingress[0].hostname hostname "*example.com": ${WILDCARD_RULE}`],
		},
		{
			name: 'a lone surrogate',
			yaml: ingressDoc('    - hostname: "\\uD8F3.example.com"', '      service: http://a:80'),
			expected: [
				'7:17 tunnel.ingress[0].hostname hostname contains invalid Unicode (a lone surrogate)',
			],
		},
		{
			name: 'a label longer than 63 characters',
			yaml: ingressDoc(
				`    - hostname: ${'a'.repeat(64)}.example.com`,
				'      service: http://a:80',
			),
			expected: [
				`7:17 tunnel.ingress[0].hostname hostname "${'a'.repeat(64)}.example.com" has a label of 64 characters as ASCII (punycode); DNS allows at most 63 per label`,
			],
		},
		{
			name: 'an IDN label that exceeds 63 characters only once punycoded',
			// 54 characters as written, 74 as punycode (checked against Python's punycode codec)
			yaml: ingressDoc(`    - hostname: ${IDN_LABEL}.example.com`, '      service: http://a:80'),
			expected: [
				`7:17 tunnel.ingress[0].hostname hostname "${IDN_LABEL}.example.com" has a label of 74 characters as ASCII (punycode); DNS allows at most 63 per label`,
			],
		},
		{
			name: 'a name longer than 253 characters',
			// 4 labels of 63 + "com" + 4 dots = 259
			yaml: ingressDoc(
				`    - hostname: ${`${'a'.repeat(63)}.`.repeat(4)}com`,
				'      service: http://a:80',
			),
			expected: [
				`7:17 tunnel.ingress[0].hostname hostname "${`${'a'.repeat(63)}.`.repeat(4)}com" is 259 characters long as ASCII (punycode); DNS allows at most 253`,
			],
		},
		{
			name: 'an IP address',
			yaml: ingressDoc('    - hostname: 10.0.0.1', '      service: http://a:80'),
			expected: [
				'7:17 tunnel.ingress[0].hostname "10.0.0.1" is not a public DNS name (a tunnel hostname needs a domain, not an IP)',
			],
		},
		{
			name: 'a URL instead of a hostname',
			yaml: ingressDoc('    - hostname: https://a.example.com', '      service: http://a:80'),
			expected: [
				'7:17 tunnel.ingress[0].hostname hostname cannot contain a scheme or path ("https://a.example.com"); use the path field for paths',
			],
		},
		{
			name: 'an unquoted * (YAML reads it as an alias)',
			yaml: ingressDoc('    - hostname: *', '      path: ^/x', '      service: http://a:80'),
			expected: [
				'7:17 (document) invalid YAML: a bare * starts an alias; write "*" in quotes for a wildcard hostname',
			],
		},
		{
			name: 'an IPv6 literal',
			yaml: ingressDoc('    - hostname: "[fd00::1]"', '      service: http://a:80'),
			expected: [
				'7:17 tunnel.ingress[0].hostname "[fd00::1]" is not a public DNS name (a tunnel hostname needs a domain, not an IP)',
			],
		},
		{
			name: 'an empty hostname',
			yaml: ingressDoc('    - hostname: ""', '      service: http://a:80'),
			expected: ['7:17 tunnel.ingress[0].hostname hostname is empty'],
		},
		{
			name: 'an underscore',
			yaml: ingressDoc('    - hostname: my_app.example.com', '      service: http://a:80'),
			expected: [
				'7:17 tunnel.ingress[0].hostname "my_app.example.com" is not a valid hostname (letters, digits, hyphens and dots only)',
			],
		},
	]
	it.each(refused)('refuses $name', ({ yaml, expected }) => {
		expect(diagnosticsOf(yaml)).toEqual(expected)
	})

	const normalised: { written: string; sent: string }[] = [
		{ written: 'Label.Example.COM', sent: 'label.example.com' },
		{ written: 'label.example.com.', sent: 'label.example.com' },
		{ written: 'môô.example.com', sent: 'xn--m-xgaa.example.com' },
		{ written: 'MÔÔ.Example.com.', sent: 'xn--m-xgaa.example.com' },
		{ written: 'xn--m-xgaa.example.com', sent: 'xn--m-xgaa.example.com' },
		{ written: '"*.Example.com"', sent: '*.example.com' },
		{ written: `${'a'.repeat(63)}.example.com`, sent: `${'a'.repeat(63)}.example.com` },
	]
	it.each(normalised)('sends $written as $sent', ({ written, sent }) => {
		const { state } = validState(
			ingressDoc(`    - hostname: ${written}`, '      service: http://a:80'),
		)
		expect(state.tunnel?.ingress[0]?.hostname).toBe(sent)
	})

	it('accepts a name of exactly 253 characters', () => {
		const name = `${`${'a'.repeat(62)}.`.repeat(4)}a` // 4 × 63 + 1
		expect(name).toHaveLength(253)
		const { state } = validState(
			ingressDoc(`    - hostname: ${name}`, '      service: http://a:80'),
		)
		expect(state.tunnel?.ingress[0]?.hostname).toBe(name)
	})
})

describe('duplicate and shadowed rules', () => {
	const cases: Case[] = [
		{
			name: 'the same hostname twice',
			yaml: ingressDoc(
				'    - hostname: a.example.com',
				'      service: http://a:80',
				'    - hostname: a.example.com',
				'      service: http://b:80',
			),
			expected: [
				'9:7 tunnel.ingress[1] duplicate rule: hostname "a.example.com" is already ingress[0] (hostnames are compared in lowercase)',
			],
		},
		{
			name: 'the same hostname differing only in case (and a trailing dot)',
			yaml: ingressDoc(
				'    - hostname: a.example.com',
				'      service: http://a:80',
				'    - hostname: A.Example.COM.',
				'      service: http://b:80',
			),
			expected: [
				'9:7 tunnel.ingress[1] duplicate rule: hostname "a.example.com" is already ingress[0] (hostnames are compared in lowercase)',
			],
		},
		{
			name: 'the same hostname and path twice',
			yaml: ingressDoc(
				'    - hostname: a.example.com',
				'      path: ^/api',
				'      service: http://a:80',
				'    - hostname: A.example.com',
				'      path: ^/api',
				'      service: http://b:80',
			),
			expected: [
				'10:7 tunnel.ingress[1] duplicate rule: hostname "a.example.com" path "^/api" is already ingress[0] (hostnames are compared in lowercase)',
			],
		},
		{
			name: 'a wildcard before a specific host',
			yaml: ingressDoc(
				'    - hostname: "*.example.com"',
				'      service: http://a:80',
				'    - hostname: a.example.com',
				'      service: http://b:80',
			),
			expected: [
				'9:7 tunnel.ingress[1] rule can never match: ingress[0] (hostname "*.example.com") matches every request this one would, and the first match wins; move this rule above it',
			],
		},
		{
			name: 'a wildcard before a host two labels deeper (cloudflared matches any depth)',
			yaml: ingressDoc(
				'    - hostname: "*.example.com"',
				'      service: http://a:80',
				'    - hostname: a.b.example.com',
				'      service: http://b:80',
			),
			expected: [
				'9:7 tunnel.ingress[1] rule can never match: ingress[0] (hostname "*.example.com") matches every request this one would, and the first match wins; move this rule above it',
			],
		},
		{
			name: 'a wildcard before a narrower wildcard',
			yaml: ingressDoc(
				'    - hostname: "*.example.com"',
				'      service: http://a:80',
				'    - hostname: "*.b.example.com"',
				'      service: http://b:80',
			),
			expected: [
				'9:7 tunnel.ingress[1] rule can never match: ingress[0] (hostname "*.example.com") matches every request this one would, and the first match wins; move this rule above it',
			],
		},
		{
			name: 'a rule without a path before the same host with a path',
			yaml: ingressDoc(
				'    - hostname: a.example.com',
				'      service: http://a:80',
				'    - hostname: a.example.com',
				'      path: ^/api',
				'      service: http://b:80',
			),
			expected: [
				'9:7 tunnel.ingress[1] rule can never match: ingress[0] (hostname "a.example.com") matches every request this one would, and the first match wins; move this rule above it',
			],
		},
		{
			name: 'a "*" rule with a path before a host with the same path',
			yaml: ingressDoc(
				'    - hostname: "*"',
				'      path: ^/healthz$',
				'      service: http://a:80',
				'    - hostname: a.example.com',
				'      path: ^/healthz$',
				'      service: http://b:80',
			),
			expected: [
				'10:7 tunnel.ingress[1] rule can never match: ingress[0] (hostname "*" path "^/healthz$") matches every request this one would, and the first match wins; move this rule above it',
			],
		},
	]
	it.each(cases)('refuses $name', ({ yaml, expected }) => {
		expect(diagnosticsOf(yaml)).toEqual(expected)
	})

	const allowed: Case[] = [
		{
			name: 'a specific host before a wildcard that covers it',
			yaml: ingressDoc(
				'    - hostname: a.example.com',
				'      service: http://a:80',
				'    - hostname: "*.example.com"',
				'      service: http://b:80',
			),
			expected: [],
		},
		{
			name: 'a wildcard before the apex (*.example.com does not match example.com)',
			yaml: ingressDoc(
				'    - hostname: "*.example.com"',
				'      service: http://a:80',
				'    - hostname: example.com',
				'      service: http://b:80',
			),
			expected: [],
		},
		{
			name: 'a host with a path before the same host without one',
			yaml: ingressDoc(
				'    - hostname: a.example.com',
				'      path: ^/api',
				'      service: http://a:80',
				'    - hostname: a.example.com',
				'      service: http://b:80',
			),
			expected: [],
		},
		{
			name: 'one host with two different paths',
			yaml: ingressDoc(
				'    - hostname: a.example.com',
				'      path: ^/api',
				'      service: http://a:80',
				'    - hostname: a.example.com',
				'      path: ^/admin',
				'      service: http://b:80',
			),
			expected: [],
		},
	]
	it.each(allowed)('allows $name', ({ yaml, expected }) => {
		expect(diagnosticsOf(yaml)).toEqual(expected)
		validState(yaml)
	})
})

describe('services', () => {
	const service = (value: string): string =>
		ingressDoc('    - hostname: a.example.com', `      service: ${value}`)
	const refused: Case[] = [
		{
			name: 'a URL without a scheme',
			yaml: service('localhost:80'),
			expected: [
				'8:16 tunnel.ingress[0].service service "localhost:80" has no scheme; write e.g. http://localhost:80 (schemes: http, https, tcp, ssh, rdp, smb, unix), http_status:404 or one of hello_world, bastion, socks-proxy',
			],
		},
		{
			name: 'a URL with a path',
			yaml: service('http://svc/api'),
			expected: [
				`8:16 tunnel.ingress[0].service service "http://svc/api" has a path; cloudflared keeps the visitor's path, so the origin must be scheme://host:port only`,
			],
		},
		{
			name: 'a URL with a trailing slash (cloudflared refuses it too)',
			yaml: service('http://svc:8080/'),
			expected: [
				`8:16 tunnel.ingress[0].service service "http://svc:8080/" has a path; cloudflared keeps the visitor's path, so the origin must be scheme://host:port only`,
			],
		},
		{
			name: 'a URL with a query',
			yaml: service('http://svc?x=1'),
			expected: [
				'8:16 tunnel.ingress[0].service service "http://svc?x=1" has a query or fragment; the origin must be scheme://host:port only',
			],
		},
		{
			name: 'an unsupported scheme',
			yaml: service('ftp://svc'),
			expected: [
				'8:16 tunnel.ingress[0].service service "ftp://svc": unsupported scheme "ftp" (use http, https, tcp, ssh, rdp, smb or unix:)',
			],
		},
		{
			name: 'a port out of range',
			yaml: service('http://svc:70000'),
			expected: [
				'8:16 tunnel.ingress[0].service service "http://svc:70000": port 70000 is out of range (1-65535)',
			],
		},
		{
			name: 'credentials in the URL',
			yaml: service('http://user:pw@svc:80'),
			expected: [
				'8:16 tunnel.ingress[0].service service "http://user:pw@svc:80" must not carry credentials',
			],
		},
		{
			name: 'http_status:99',
			yaml: service('http_status:99'),
			expected: [
				'8:16 tunnel.ingress[0].service "http_status:99" is not a valid HTTP status; use http_status:NNN with NNN from 100 to 999',
			],
		},
		{
			name: 'http_status:1000',
			yaml: service('http_status:1000'),
			expected: [
				'8:16 tunnel.ingress[0].service "http_status:1000" is not a valid HTTP status; use http_status:NNN with NNN from 100 to 999',
			],
		},
		{
			name: 'a non-numeric http_status',
			yaml: service('http_status:teapot'),
			expected: [
				'8:16 tunnel.ingress[0].service "http_status:teapot" is not a valid HTTP status; use http_status:NNN with NNN from 100 to 999',
			],
		},
		{
			name: 'socks5, which is not a cloudflared built-in (socks-proxy is)',
			yaml: service('socks5'),
			expected: [
				'8:16 tunnel.ingress[0].service service "socks5" has no scheme; write e.g. http://socks5 (schemes: http, https, tcp, ssh, rdp, smb, unix), http_status:404 or one of hello_world, bastion, socks-proxy',
			],
		},
		{
			name: 'a unix socket without a path',
			yaml: service('"unix:"'),
			expected: [
				'8:16 tunnel.ingress[0].service service "unix:" needs a socket path, e.g. unix:/run/app.sock',
			],
		},
	]
	it.each(refused)('refuses $name', ({ yaml, expected }) => {
		expect(diagnosticsOf(yaml)).toEqual(expected)
	})

	const accepted: { written: string; sent: string }[] = [
		{ written: 'http_status:100', sent: 'http_status:100' },
		{ written: 'http_status:999', sent: 'http_status:999' },
		{ written: 'http_status:0404', sent: 'http_status:404' },
		{ written: 'HTTPS://svc.apps.svc:8443', sent: 'https://svc.apps.svc:8443' },
		{ written: 'tcp://db:5432', sent: 'tcp://db:5432' },
		{ written: 'ssh://node:22', sent: 'ssh://node:22' },
		{ written: 'unix:/run/app.sock', sent: 'unix:/run/app.sock' },
		{ written: 'unix+tls:/run/app.sock', sent: 'unix+tls:/run/app.sock' },
		{ written: 'hello_world', sent: 'hello_world' },
		{ written: 'bastion', sent: 'bastion' },
		{ written: 'socks-proxy', sent: 'socks-proxy' },
		{ written: 'http://[fd00::1]:8080', sent: 'http://[fd00::1]:8080' },
	]
	it.each(accepted)('sends $written as $sent', ({ written, sent }) => {
		const { state } = validState(service(written))
		expect(state.tunnel?.ingress[0]?.service).toBe(sent)
	})
})

describe('path regexes', () => {
	const path = (value: string): string =>
		ingressDoc(
			'    - hostname: a.example.com',
			`      path: ${JSON.stringify(value)}`,
			'      service: http://a:80',
		)

	it('warns (and still accepts) an unanchored path', () => {
		const { warnings } = validState(path('/api'))
		expect(warnings).toEqual([
			'8:13 tunnel.ingress[0].path warning: path "/api" is not anchored: cloudflared matches it anywhere in the request path, not only at the start; write "^/api" to match a prefix',
		])
	})

	it('warns when one alternative is unanchored', () => {
		expect(validState(path('^/api|/admin')).warnings).toEqual([
			'8:13 tunnel.ingress[0].path warning: path "^/api|/admin" is not anchored: cloudflared matches it anywhere in the request path, not only at the start; start every alternative with ^ to match a prefix',
		])
	})

	const anchored = ['^/api', '(?i)^/api', '\\A/api', '^/a|^/b', '^/static/.*\\.(png|jpe?g)$']
	it.each(anchored)('does not warn about %s', (value) => {
		expect(validState(path(value)).warnings).toEqual([])
	})

	const refused: Case[] = [
		{
			name: 'an invalid regex',
			yaml: path('^/api('),
			expected: [
				'8:13 tunnel.ingress[0].path path "^/api(" is not a valid regular expression: unterminated group',
			],
		},
		{
			name: 'a lookahead',
			yaml: path('^/api(?!/internal)'),
			expected: [
				`8:13 tunnel.ingress[0].path path "^/api(?!/internal)" uses a lookaround assertion, which Go's RE2 (used by cloudflared) does not support`,
			],
		},
		{
			name: 'a lookbehind',
			yaml: path('^/(?<=a)b'),
			expected: [
				`8:13 tunnel.ingress[0].path path "^/(?<=a)b" uses a lookaround assertion, which Go's RE2 (used by cloudflared) does not support`,
			],
		},
		{
			name: 'a backreference',
			yaml: path('^/(a+)/\\1$'),
			expected: [
				`8:13 tunnel.ingress[0].path path "^/(a+)/\\1$" uses a backreference (\\1), which Go's RE2 (used by cloudflared) does not support`,
			],
		},
		{
			name: 'a named backreference',
			yaml: path('^/(?<x>a)\\k<x>'),
			expected: [
				`8:13 tunnel.ingress[0].path path "^/(?<x>a)\\k<x>" uses a named backreference (\\k), which Go's RE2 (used by cloudflared) does not support`,
			],
		},
		{
			name: 'a repeat count over RE2’s 1000',
			yaml: path('^/a{1001}'),
			expected: [
				`8:13 tunnel.ingress[0].path path "^/a{1001}" is not a valid regular expression: a repeat count above 1000 (RE2's limit)`,
			],
		},
		{
			name: 'an escape RE2 does not know',
			yaml: path('^/api\\Z'),
			expected: [
				'8:13 tunnel.ingress[0].path path "^/api\\Z" is not a valid regular expression: \\Z is not an escape RE2 knows',
			],
		},
	]
	it.each(refused)('refuses $name', ({ yaml, expected }) => {
		expect(diagnosticsOf(yaml)).toEqual(expected)
	})

	// Valid in Go's RE2, though JavaScript's `u` mode would refuse them as written.
	const re2Only = [
		'^/api\\-v1',
		'^/(?P<version>v[0-9]+)/',
		'^/(?i:admin)',
		'^/x{y}',
		'^/[[:alpha:]]+$',
		'^/\\Q*.txt\\E$',
		'^/\\pL+',
		'^/[]a]',
	]
	it.each(re2Only)('accepts the RE2 syntax %s', (value) => {
		expect(diagnosticsOf(path(value))).toEqual([])
	})

	it('sends the path exactly as written', () => {
		const { state } = validState(path('(?i)^/API/v[0-9]+'))
		expect(state.tunnel?.ingress[0]?.path).toBe('(?i)^/API/v[0-9]+')
	})
})

describe('every error is reported, not just the first', () => {
	it('reports errors from several rules and fields at once, in file order', () => {
		const yaml = ingressDoc(
			'    - hostname: a.example.com:8080',
			'      service: localhost:80',
			'    - hostname: b.example.com',
			'      path: ^/(?=x)',
			'      service: http_status:1000',
		)
		expect(diagnosticsOf(yaml)).toEqual([
			'7:17 tunnel.ingress[0].hostname hostname cannot contain a port ("a.example.com:8080"); put the port in the service URL',
			'8:16 tunnel.ingress[0].service service "localhost:80" has no scheme; write e.g. http://localhost:80 (schemes: http, https, tcp, ssh, rdp, smb, unix), http_status:404 or one of hello_world, bastion, socks-proxy',
			`10:13 tunnel.ingress[1].path path "^/(?=x)" uses a lookaround assertion, which Go's RE2 (used by cloudflared) does not support`,
			'11:16 tunnel.ingress[1].service "http_status:1000" is not a valid HTTP status; use http_status:NNN with NNN from 100 to 999',
		])
	})
})

describe('origin settings', () => {
	it('are kept per rule and for the whole tunnel', () => {
		const yaml = `${ingressDoc(
			'    - hostname: k3s.example.com',
			'      service: https://kubernetes.default.svc:443',
			'      originRequest: { noTLSVerify: true, connectTimeout: 30 }',
		)}  originRequest:\n    http2Origin: true\n`
		const { state } = validState(yaml)
		expect(state.tunnel?.ingress[0]).toEqual({
			hostname: 'k3s.example.com',
			service: 'https://kubernetes.default.svc:443',
			originRequest: { noTLSVerify: true, connectTimeout: 30 },
		})
		expect(state.tunnel?.originRequest).toEqual({ http2Origin: true })
	})
})
