/**
 * @module `tidegate egress [--timeout <ms>] [--json]`: runs an egress check now and prints the node
 * × target matrix, each node's public egress IP and the verdict per target. It asks the Worker's
 * admin API (`POST /api/egress/check`, `TIDEGATE_URL` and `TIDEGATE_ADMIN_TOKEN` from the
 * environment), not the agent: the agent is reachable only through the tunnel with a secret the
 * Worker holds, and the Worker records the check like the cron's, so what the CLI shows is what
 * the dashboard shows next. Exit 0 when every required cell is reachable, 1 when one is failing
 * (or an expectation is unmet, or the check could not be made), 2 when nothing required fails but
 * some required cell is unknown. "Required" follows the alerts: the nodes `egress.expect` names
 * for a target, every node for a target without an expectation.
 */
import { parseArgs } from 'node:util'
import { AGENT_TIMEOUT_BOUNDS_MS } from '../contracts/agent.ts'
import { isExpected } from '../domain/egress/expectations.ts'
import type { EgressCheckAnswer } from '../http/api/egress.ts'
import { readCapped } from '../lib/read-capped.ts'
import type { Io } from './main.ts'

/** Exit codes of `tidegate egress`. */
export const EXIT = { reachable: 0, failing: 1, unknown: 2 } as const

/** The parsed arguments, or why they are wrong. */
export type EgressArgs =
	| { timeoutMs: number | undefined; json: boolean; help: boolean }
	| { problem: string }

/** Parses `tidegate egress`'s arguments. */
export function parseEgressArgs(args: string[]): EgressArgs {
	let values: { timeout?: string | boolean; json?: string | boolean; help?: string | boolean }
	try {
		const parsed = parseArgs({
			args,
			allowPositionals: false,
			options: {
				help: { type: 'boolean', short: 'h' },
				json: { type: 'boolean' },
				timeout: { type: 'string' },
			},
		})
		values = parsed.values
	} catch (e) {
		const message = (e as Error).message
		const option = /'([^']+)'/.exec(message)?.[1] ?? ''
		return {
			problem: /argument missing/.test(message)
				? 'tidegate egress: --timeout needs a number of milliseconds'
				: /positional/.test(message)
					? 'tidegate egress: takes no arguments besides its options'
					: `tidegate egress: unknown option ${option}`,
		}
	}
	let timeoutMs: number | undefined
	if (typeof values.timeout === 'string') {
		timeoutMs = Number(values.timeout)
		const { min, max } = AGENT_TIMEOUT_BOUNDS_MS
		if (!/^\d+$/.test(values.timeout) || timeoutMs < min || timeoutMs > max) {
			return { problem: `tidegate egress: --timeout must be a whole number from ${min} to ${max}` }
		}
	}
	return { timeoutMs, json: values.json === true, help: values.help === true }
}

/** The Worker's answer is a matrix of at most 64 targets × a few dozen nodes. */
const MAX_ANSWER_BYTES = 8 * 1024 * 1024
/** The check takes the probe timeout plus the agent grace (4 s) plus D1: wait this much longer. */
const MARGIN_MS = 15_000

/** Runs the check through the Worker and prints it; see the module comment for exit codes. */
export async function egressCommand(
	options: {
		timeoutMs: number | undefined
		json: boolean
		env: Record<string, string | undefined>
	},
	io: Io,
): Promise<number> {
	const base = options.env.TIDEGATE_URL?.trim()
	const token = options.env.TIDEGATE_ADMIN_TOKEN?.trim()
	if (!base || !token) {
		io.err(
			`tidegate egress: set ${!base ? 'TIDEGATE_URL (the Worker, e.g. https://tidegate.example.com)' : "TIDEGATE_ADMIN_TOKEN (the Worker's ADMIN_TOKEN)"}`,
		)
		return EXIT.failing
	}
	let url: URL
	try {
		url = new URL('api/egress/check', base.endsWith('/') ? base : `${base}/`)
	} catch {
		io.err(`tidegate egress: TIDEGATE_URL is not a URL: ${base}`)
		return EXIT.failing
	}
	const waitMs = (options.timeoutMs ?? 5000) + MARGIN_MS
	let response: Response
	try {
		response = await fetch(url, {
			method: 'POST',
			headers: {
				authorization: `Bearer ${token}`,
				'content-type': 'application/json',
				accept: 'application/json',
			},
			body: JSON.stringify(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
			signal: AbortSignal.timeout(waitMs),
		})
	} catch (e) {
		const name = (e as { name?: unknown } | null)?.name
		io.err(
			name === 'TimeoutError'
				? `tidegate egress: ${url.origin} did not answer within ${waitMs} ms`
				: `tidegate egress: could not reach ${url.origin}: ${(e as Error).cause ?? (e as Error).message}`,
		)
		return EXIT.failing
	}
	const read = await readCapped(response.body, MAX_ANSWER_BYTES, {
		contentLength: response.headers.get('content-length'),
	})
	const text = read.ok ? new TextDecoder().decode(read.value) : ''
	let body: unknown
	try {
		body = JSON.parse(text)
	} catch {
		body = undefined
	}
	if (!response.ok) {
		const error = (body as { error?: { code?: string; message?: string } } | undefined)?.error
		io.err(
			`tidegate egress: ${url.origin} answered HTTP ${response.status}${error?.message ? `: ${error.message}` : ''}${response.status === 401 ? ' (check TIDEGATE_ADMIN_TOKEN)' : ''}`,
		)
		return EXIT.failing
	}
	if (!isAnswer(body)) {
		io.err(
			`tidegate egress: ${url.origin} did not answer with an egress matrix (is TIDEGATE_URL the Worker?)`,
		)
		return EXIT.failing
	}
	if (options.json) {
		io.out(JSON.stringify(body, null, 2))
	} else {
		for (const line of render(body)) {
			io.out(line)
		}
	}
	return exitCode(body)
}

function isAnswer(body: unknown): body is EgressCheckAnswer {
	const b = body as Partial<Record<keyof EgressCheckAnswer, unknown>> | undefined
	return (
		typeof b?.summary === 'string' &&
		Array.isArray(b.nodes) &&
		Array.isArray(b.targets) &&
		Array.isArray(b.cells) &&
		Array.isArray(b.expectations)
	)
}

/** Which cells count, as for alerts: the nodes an expectation names, every node without one. */
function exitCode(answer: EgressCheckAnswer): number {
	const required = answer.cells.filter((c) => isExpected(answer.expectations, c.node, c.target))
	if (
		required.some((c) => c.observed === 'failing') ||
		answer.expectations.some((e) => e.status === 'unmet')
	) {
		return EXIT.failing
	}
	const unknown =
		required.some((c) => c.observed === 'unknown') || answer.check?.status === 'agent_failed'
	return unknown ? EXIT.unknown : EXIT.reachable
}

type Cell = EgressCheckAnswer['cells'][number]

function cellText(cell: Cell | undefined): string {
	if (!cell) {
		return '— not probed'
	}
	if (cell.observed === 'ok') {
		return `✓ ${cell.latencyMs === null ? 'ok' : `${cell.latencyMs} ms`}`
	}
	if (cell.observed === 'failing') {
		return `✗ ${cell.error ?? 'failing'}${cell.phase ? ` (${cell.phase})` : ''}`
	}
	return `? ${cell.unknownReason ?? 'unknown'}`
}

/** The matrix as aligned text: one row per node (with its egress IP), the edge, the verdicts. */
export function render(answer: EgressCheckAnswer): string[] {
	const lines: string[] = []
	const check = answer.check
	lines.push(`egress check${check ? ` #${check.id} of ${check.startedAt}` : ''}: ${answer.summary}`)
	if (check?.agentError) {
		lines.push(`the agent did not answer (${check.agentError.code}): ${check.agentError.message}`)
	}
	if (answer.targets.length === 0) {
		return lines
	}
	const header = ['node', 'egress IP', ...answer.targets.map((t) => t.name)]
	const rows = answer.nodes.map((n) => [
		n.reachable === false ? `${n.node} (agent unreachable)` : n.node,
		n.egressIp ?? `? ${n.egressIpError ?? 'unknown'}`,
		...answer.targets.map((t) =>
			cellText(answer.cells.find((c) => c.node === n.node && c.target === t.name)),
		),
	])
	rows.push([
		'edge (Cloudflare)',
		'',
		...answer.targets.map((t) =>
			!t.edge.probed
				? '— not probed'
				: t.edge.ok
					? `✓ ${t.edge.latencyMs ?? ''} ms`
					: `✗ ${t.edge.error ?? 'failing'}`,
		),
	])
	const widths = header.map((_, i) =>
		Math.max(...[header, ...rows].map((r) => (r[i] ?? '').length)),
	)
	const format = (row: string[]) =>
		row
			.map((value, i) => value.padEnd(widths[i] ?? 0))
			.join('  ')
			.trimEnd()
	lines.push('', format(header), ...rows.map(format), '')
	for (const target of answer.targets) {
		lines.push(`${target.name}: ${target.verdict.kind} — ${target.verdict.text}`)
	}
	if (answer.expectations.length > 0) {
		lines.push('')
		for (const e of answer.expectations) {
			lines.push(`${e.status === 'met' ? '✓' : e.status === 'unmet' ? '✗' : '?'} ${e.text}`)
		}
	}
	for (const s of answer.skipped) {
		lines.push(`skipped ${s.name}: ${s.reason}`)
	}
	return lines
}
