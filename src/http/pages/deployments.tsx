/**
 * The Flux part of the dashboard: success rate with a daily chart (inline SVG, text labels, so it
 * reads without colour), deployments per commit, and recent failures with their class and hint.
 */

import type { PreflightLink } from '../../app/preflight/link.ts'
import type { FluxView } from '../../app/views/dashboard.ts'
import { FAILURE_HINTS } from '../../domain/flux/classify.ts'
import type { FluxDeploymentRecord } from '../../domain/flux/ports.ts'
import { utc } from './format.ts'

const DAY = 24 * 60 * 60 * 1000
const pct = (rate: number | null) => (rate === null ? '—' : `${Math.round(rate * 100)}%`)
function duration(ms: number): string {
	if (ms < 60_000) {
		return `${Math.round(ms / 1000)} s`
	}
	if (ms < 3_600_000) {
		return `${Math.round(ms / 60_000)} min`
	}
	return `${(ms / 3_600_000).toFixed(1)} h`
}

/** Daily success rate over the last 14 days; a day with no decided deployment has no bar. */
function RateChart(props: { daily: FluxView['daily']; now: number }) {
	const today = Math.floor(props.now / DAY) * DAY
	const days = Array.from({ length: 14 }, (_, i) => today - (13 - i) * DAY)
	const byDay = new Map(props.daily.map((d) => [d.day, d]))
	const width = 14 * 40
	const height = 120
	const summary = days
		.map((day) => {
			const d = byDay.get(day)
			return d
				? `${new Date(day).toISOString().slice(5, 10)}: ${pct(d.successes / (d.successes + d.failures))}`
				: null
		})
		.filter((s) => s !== null)
		.join(', ')
	return (
		<svg
			viewBox={`0 0 ${width} ${height + 30}`}
			width={width}
			class="chart"
			role="img"
			aria-label={`Daily deployment success rate, last 14 days: ${summary || 'no deployments'}`}
		>
			<line x1="0" y1={height} x2={width} y2={height} stroke="currentColor" stroke-width="1" />
			{days.map((day, i) => {
				const d = byDay.get(day)
				const x = i * 40 + 6
				const label = new Date(day).toISOString().slice(8, 10)
				if (!d) {
					return (
						<text x={x + 14} y={height + 14} text-anchor="middle">
							{label}
						</text>
					)
				}
				const rate = d.successes / (d.successes + d.failures)
				const h = Math.max(2, rate * (height - 16))
				return (
					<g>
						<title>{`${new Date(day).toISOString().slice(0, 10)}: ${pct(rate)} (${d.successes} of ${d.successes + d.failures})`}</title>
						<rect
							x={x}
							y={height - h}
							width="28"
							height={h}
							fill={rate >= 0.9 ? 'var(--ok)' : rate >= 0.5 ? 'var(--warn)' : 'var(--bad)'}
						/>
						<text x={x + 14} y={height - h - 3} text-anchor="middle">
							{pct(rate)}
						</text>
						<text x={x + 14} y={height + 14} text-anchor="middle">
							{label}
						</text>
					</g>
				)
			})}
		</svg>
	)
}

function pushToApplied(deployment: FluxDeploymentRecord): string {
	const done = deployment.objects.every((o) => o.outcome === 'success')
	const last = Math.max(...deployment.objects.map((o) => o.succeededAt ?? 0))
	// Clocks differ between GitHub, Flux and tidegate; a negative span says nothing useful.
	if (!deployment.pushedAt || !done || last === 0 || last < deployment.pushedAt) {
		return '—'
	}
	return duration(last - deployment.pushedAt)
}

const PREFLIGHT_TEXT: Record<PreflightLink['status'], string> = {
	clean: '✓ no conflict',
	conflicts: '✗ conflicts found',
	incomplete: '! not fully checked',
	error: '! could not run',
	'not-run': '— not run',
}

function PreflightCell(props: { link: PreflightLink | null }) {
	const { link } = props
	if (!link) {
		return <span class="muted">—</span>
	}
	return (
		<>
			<span class={link.status === 'conflicts' ? 'bad' : link.status === 'clean' ? 'ok' : 'muted'}>
				{PREFLIGHT_TEXT[link.status]}
				{link.conflictCount > 0 ? ` (${link.conflictCount})` : ''}
			</span>
			{link.caughtOwnershipFailure === null ? null : (
				<>
					<br />
					<span class={link.caughtOwnershipFailure ? 'ok' : 'warn'}>
						{link.caughtOwnershipFailure
							? 'it flagged the ownership conflict Flux then hit'
							: 'Flux hit an ownership conflict the check did not flag'}
					</span>
				</>
			)}
		</>
	)
}

/** The section. */
export function DeploymentsSection(props: { flux: FluxView; now: number }) {
	const { flux } = props
	return (
		<>
			<p>
				Success rate over the last 7 days: <strong>{pct(flux.rate.rate)}</strong>
				{flux.rate.total > 0
					? ` (${flux.rate.successes} of ${flux.rate.total} object deployments succeeded)`
					: ' (no deployment decided yet)'}
				.
			</p>
			<RateChart daily={flux.daily} now={props.now} />
			<div class="scroll">
				<table>
					<caption>
						Per commit: which Kustomizations and HelmReleases reconciled it, and how long after the
						push.
					</caption>
					<thead>
						<tr>
							<th scope="col">Commit</th>
							<th scope="col">Pushed (UTC)</th>
							<th scope="col">Objects</th>
							<th scope="col">Push → applied</th>
							<th scope="col">Pre-flight</th>
						</tr>
					</thead>
					<tbody>
						{flux.deployments.map((d) => (
							<tr>
								<td>
									<code>
										{d.commitSha ? d.commitSha.slice(0, 7) : (d.revision ?? d.revisionKey)}
									</code>
								</td>
								<td>{utc(d.pushedAt, 'minute')}</td>
								<td>
									<ul>
										{d.objects.map((o) => (
											<li
												class={
													o.outcome === 'failure' ? 'bad' : o.outcome === 'success' ? 'ok' : 'muted'
												}
											>
												{o.outcome === 'success' ? '✓' : o.outcome === 'failure' ? '✗' : '…'}{' '}
												{o.ref.kind}/{o.ref.namespace}/{o.ref.name} — {o.outcome}
												{o.failureClass ? ` (${FAILURE_HINTS[o.failureClass].title})` : ''}
											</li>
										))}
									</ul>
								</td>
								<td>{pushToApplied(d)}</td>
								<td>
									<PreflightCell link={flux.preflight.get(d.id) ?? null} />
								</td>
							</tr>
						))}
					</tbody>
				</table>
			</div>
			<h3>Recent Flux failures</h3>
			{flux.failures.length === 0 ? (
				<p class="muted">None recorded.</p>
			) : (
				<div class="scroll">
					<table>
						<thead>
							<tr>
								<th scope="col">When (UTC)</th>
								<th scope="col">Object</th>
								<th scope="col">Class and what to do</th>
							</tr>
						</thead>
						<tbody>
							{flux.failures.map((e) => (
								<tr>
									<td>{utc(e.occurredAt, 'minute')}</td>
									<td>
										{e.object.kind}/{e.object.namespace}/{e.object.name}
										{e.revision ? (
											<>
												<br />
												<code>{e.revision.raw}</code>
											</>
										) : null}
									</td>
									<td>
										{e.failureClass ? (
											<>
												<strong>{FAILURE_HINTS[e.failureClass].title}</strong>:{' '}
												{FAILURE_HINTS[e.failureClass].hint}
												<br />
											</>
										) : null}
										<span class="muted">{e.message.slice(0, 300)}</span>
									</td>
								</tr>
							))}
						</tbody>
					</table>
				</div>
			)}
		</>
	)
}
