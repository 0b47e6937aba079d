/**
 * @module The `service` of an ingress rule, checked with cloudflared's own rules
 * (ingress/ingress.go): a URL with a scheme and no path, `http_status:NNN`, or a built-in.
 */
import { err, ok, type Result } from '../lib/result.ts'

const URL_SCHEMES = ['http', 'https', 'tcp', 'ssh', 'rdp', 'smb'] as const
const BUILT_INS = ['hello_world', 'bastion', 'socks5'] as const

/** Where a rule sends traffic, once validated; `host`/`port` let the agent probe a URL service. */
export type Service =
	| { kind: 'url'; text: string; scheme: string; host: string; port: number | undefined }
	| { kind: 'unix'; text: string }
	| { kind: 'status'; text: string; status: number }
	| { kind: 'built-in'; text: string }

const DEFAULT_PORTS: Record<string, number> = { http: 80, https: 443, ssh: 22, rdp: 3389, smb: 445 }

/** Validates one ingress `service` string. */
export function parseService(input: string): Result<Service, string> {
	if (input.startsWith('http_status:')) {
		const code = input.slice('http_status:'.length)
		if (!/^\d+$/.test(code) || Number(code) < 100 || Number(code) > 999) {
			return err(
				`"${input}" is not a valid HTTP status; use http_status:NNN with NNN from 100 to 999`,
			)
		}
		return ok({ kind: 'status', text: input, status: Number(code) })
	}
	if ((BUILT_INS as readonly string[]).includes(input)) {
		return ok({ kind: 'built-in', text: input })
	}
	if (input.startsWith('unix:') || input.startsWith('unix+tls:')) {
		return /^unix(\+tls)?:.+/.test(input)
			? ok({ kind: 'unix', text: input })
			: err(`service "${input}" needs a socket path, e.g. unix:/run/app.sock`)
	}
	const scheme = /^([a-z][a-z0-9+.-]*):\/\//.exec(input)?.[1]
	if (scheme === undefined) {
		return err(
			`service "${input}" has no scheme; write e.g. http://${input} (schemes: ${URL_SCHEMES.join(', ')}, unix) or http_status:404`,
		)
	}
	if (!(URL_SCHEMES as readonly string[]).includes(scheme)) {
		return err(
			`service "${input}": unsupported scheme "${scheme}" (use ${URL_SCHEMES.join(', ')} or unix:)`,
		)
	}
	let url: URL
	try {
		url = new URL(input)
	} catch {
		return err(`service "${input}" is not a valid URL`)
	}
	if (url.hostname === '') {
		return err(`service "${input}" has no host`)
	}
	// cloudflared forwards the visitor's path unchanged, so a path here would be silently ignored.
	if ((url.pathname !== '' && url.pathname !== '/') || url.search !== '' || url.hash !== '') {
		return err(
			`service "${input}" has a path; cloudflared keeps the visitor's path, so the origin URL must be scheme://host:port only`,
		)
	}
	if (url.username !== '' || url.password !== '') {
		return err(`service "${input}" must not carry credentials`)
	}
	const port = url.port === '' ? DEFAULT_PORTS[scheme] : Number(url.port)
	return ok({ kind: 'url', text: input, scheme, host: url.hostname, port })
}
