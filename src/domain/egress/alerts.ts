/**
 * @module The alert text of one egress check: one message for all the changes it confirmed, so an
 * outage of one target on three nodes is one alert, not three. Only transitions are alerted
 * (ok → failing, failing → ok, and a first confirmation that is failing); never a state that
 * merely persists, never `unknown → ok`, and never a cell that `egress.expect` does not require.
 */
import type { EgressIps, EgressVerdict } from './classify.ts'
import { type Expectation, isExpected } from './expectations.ts'
import type { EgressTarget } from './model.ts'
import type { EgressTransition } from './tracking.ts'

/** Alerts are sent as one text of at most this many characters (the queue message's cap). */
export const MAX_ALERT_CHARS = 4000

/** Keeps the transitions worth an alert. */
export function alertableTransitions(
	transitions: EgressTransition[],
	expectations: Expectation[],
): EgressTransition[] {
	return transitions.filter((t) => {
		if (t.transition.from === 'unknown' && t.transition.to === 'ok') {
			return false
		}
		return t.kind !== 'cell' || isExpected(expectations, t.node, t.target)
	})
}

/** Formats a duration for people: `45 s`, `12 min`, `3 h 5 min`, `2 d 4 h`. */
export function formatDuration(ms: number): string {
	const s = Math.max(0, Math.round(ms / 1000))
	if (s < 60) {
		return `${s} s`
	}
	const min = Math.round(s / 60)
	if (min < 60) {
		return `${min} min`
	}
	const h = Math.floor(min / 60)
	if (h < 48) {
		return min % 60 === 0 ? `${h} h` : `${h} h ${min % 60} min`
	}
	return `${Math.floor(h / 24)} d ${h % 24} h`
}

const iso = (ms: number) => new Date(ms).toISOString()

/** The alert text for a check's alertable transitions, or null when there is nothing to say. */
export function egressAlertText(input: {
	transitions: EgressTransition[]
	targets: EgressTarget[]
	verdicts: Map<string, EgressVerdict>
	/** Each node's public egress IP, to name it beside the node. */
	egressIps?: EgressIps
	/** Why the agent call failed, for an agent transition to failing. */
	agentFailure: { code: string; message: string } | null
	publicUrl: string | undefined
}): string | null {
	if (input.transitions.length === 0) {
		return null
	}
	const targets = new Map(input.targets.map((t) => [t.name, t]))
	const ips = input.egressIps ?? new Map()
	const lines = input.transitions.map((t) =>
		line(t, targets, input.verdicts, input.agentFailure, ips),
	)
	const failing = input.transitions.filter((t) => t.transition.to === 'failing').length
	const recovered = input.transitions.length - failing
	const counts = [
		failing > 0 ? `${failing} failing` : '',
		recovered > 0 ? `${recovered} recovered` : '',
	]
		.filter(Boolean)
		.join(', ')
	const tail = input.publicUrl ? `\nDetails: ${input.publicUrl}/api/egress` : ''
	const head = `tidegate egress: ${counts}`
	let text = [head, ...lines].join('\n')
	if (text.length + tail.length > MAX_ALERT_CHARS) {
		const kept: string[] = [head]
		let used = head.length + tail.length + 40
		for (const l of lines) {
			if (used + l.length + 1 > MAX_ALERT_CHARS) {
				break
			}
			kept.push(l)
			used += l.length + 1
		}
		kept.push(`… and ${lines.length - (kept.length - 1)} more`)
		text = kept.join('\n')
	}
	return text + tail
}

function line(
	t: EgressTransition,
	targets: Map<string, EgressTarget>,
	verdicts: Map<string, EgressVerdict>,
	agentFailure: { code: string; message: string } | null,
	ips: EgressIps,
): string {
	const { to, from, at, lastedMs } = t.transition
	const ip = ips.get(t.node)
	const node = ip ? `${t.node} (egress ${ip})` : t.node
	if (t.kind === 'agent') {
		return to === 'failing'
			? `✗ the egress agent is unreachable (${agentFailure ? `${agentFailure.code}: ${agentFailure.message}` : 'no valid answer'}) — every node × target is unknown until it answers`
			: `✓ the egress agent answers again${lastedMs === null ? '' : ` after ${formatDuration(lastedMs)}`}`
	}
	if (t.kind === 'node') {
		const why = t.nodeObservation?.error ?? 'unreachable'
		return to === 'failing'
			? `✗ the agent on ${t.node} is unreachable (${why}): its targets are unknown, not failing`
			: `✓ the agent on ${t.node} answers again${lastedMs === null ? '' : ` after ${formatDuration(lastedMs)}`}`
	}
	const target = targets.get(t.target)
	const what = target
		? `${t.target} (${target.host}:${target.port} ${target.probe}${target.tls ? '+tls' : ''}${target.hostnames.length > 0 ? `, serves ${target.hostnames.join(', ')}` : ''})`
		: t.target
	const verdict = verdicts.get(t.target)
	if (to === 'failing') {
		const cell = t.cell
		const error = cell?.error
			? `${cell.error}${cell.phase ? ` in ${cell.phase}` : ''}${cell.message ? `: ${cell.message}` : ''}`
			: 'failing'
		const since = t.outageStartedAt ?? at
		const first = from === 'unknown' ? ' (since the first checks)' : ''
		return `✗ ${node} cannot reach ${what} since ${iso(since)}${first} — ${error}${verdict ? `. ${verdict.text}` : ''}`
	}
	const out =
		t.outageStartedAt !== undefined
			? ` after ${formatDuration((t.outageEndedAt ?? at) - t.outageStartedAt)} out`
			: lastedMs === null
				? ''
				: ` after ${formatDuration(lastedMs)}`
	return `✓ ${node} reaches ${what} again${out}`
}
