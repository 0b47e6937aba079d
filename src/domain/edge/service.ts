/**
 * @module The `service` of an ingress rule, checked with cloudflared's own rules
 * (ingress/ingress.go): a URL with a scheme and no path, `http_status:NNN`, or a built-in.
 */
import { err, ok, type Result } from '../../lib/result.ts'

const URL_SCHEMES = ['http', 'https', 'tcp', 'ssh', 'rdp', 'smb'] as const
// cloudflared's names for its built-in origins (ingress.go: HelloWorldService, ServiceBastion, ServiceSocksProxy).
const BUILT_INS = ['hello_world', 'bastion', 'socks-proxy'] as const

/** Where a rule sends traffic, once validated; `host`/`port` let the agent probe a URL service. */
export type Service =
	| { kind: 'url'; text: string; scheme: string; host: string; port: number | undefined }
	| { kind: 'unix'; text: string }
	| { kind: 'status'; text: string; status: number }
	| { kind: 'built-in'; text: string }

const DEFAULT_PORTS: Record<string, number> = { http: 80, https: 443, ssh: 22, rdp: 3389, smb: 445 }

/**
 * Validates one ingress `service` string. `text` is the form to send to Cloudflare: the input,
 * with the URL scheme lowercased and an `http_status` code without leading zeros.
 */
export function parseService(input: string): Result<Service, string> {
	if (input.startsWith('http_status:')) {
		const code = input.slice('http_status:'.length)
		const status = Number(code)
		if (!/^\d{1,4}$/.test(code) || status < 100 || status > 999) {
			return err(
				`"${input}" is not a valid HTTP status; use http_status:NNN with NNN from 100 to 999`,
			)
		}
		return ok({ kind: 'status', text: `http_status:${status}`, status })
	}
	if ((BUILT_INS as readonly string[]).includes(input)) {
		return ok({ kind: 'built-in', text: input })
	}
	if (input.startsWith('unix:') || input.startsWith('unix+tls:')) {
		return /^unix(\+tls)?:.+/.test(input)
			? ok({ kind: 'unix', text: input })
			: err(`service "${input}" needs a socket path, e.g. unix:/run/app.sock`)
	}
	const written = /^([a-z][a-z0-9+.-]*):\/\//i.exec(input)?.[1]
	if (written === undefined) {
		return err(
			`service "${input}" has no scheme; write e.g. http://${input} (schemes: ${URL_SCHEMES.join(', ')}, unix), http_status:404 or one of ${BUILT_INS.join(', ')}`,
		)
	}
	// Go's url.Parse lowercases the scheme, so cloudflared accepts HTTP://; send the canonical form.
	const scheme = written.toLowerCase()
	const text = scheme + input.slice(written.length)
	if (!(URL_SCHEMES as readonly string[]).includes(scheme)) {
		return err(
			`service "${input}": unsupported scheme "${written}" (use ${URL_SCHEMES.join(', ')} or unix:)`,
		)
	}
	const port = /^[^/]*\/\/[^/?#]*:(\d+)(?:[/?#]|$)/.exec(text)?.[1]
	if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) {
		return err(`service "${input}": port ${port} is out of range (1-65535)`)
	}
	let url: URL
	try {
		url = new URL(text)
	} catch {
		return err(`service "${input}" is not a valid URL`)
	}
	if (url.hostname === '') {
		return err(`service "${input}" has no host`)
	}
	if (url.username !== '' || url.password !== '') {
		return err(`service "${input}" must not carry credentials`)
	}
	// cloudflared refuses any path, even a lone "/" (its url.Parse keeps it, unlike WHATWG URL), because
	// it forwards the visitor's path unchanged. Look at the text, since WHATWG turns "" into "/".
	const afterAuthority = /^[^/]*\/\/[^/?#]*(.*)$/.exec(text)?.[1] ?? ''
	if (afterAuthority.startsWith('/')) {
		return err(
			`service "${input}" has a path; cloudflared keeps the visitor's path, so the origin must be scheme://host:port only`,
		)
	}
	if (afterAuthority !== '') {
		return err(
			`service "${input}" has a query or fragment; the origin must be scheme://host:port only`,
		)
	}
	return ok({
		kind: 'url',
		text,
		scheme,
		host: url.hostname,
		port: url.port === '' ? DEFAULT_PORTS[scheme] : Number(url.port),
	})
}
