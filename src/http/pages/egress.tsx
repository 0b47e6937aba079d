/**
 * The egress part of the dashboard: a button that runs a check now, the node × target grid (each
 * cell says ok/failing/unknown in words and shows the latency or the error, colour only repeats
 * it), each node's public egress IP, the edge's own probe, the verdict per target,
 * `egress.expect`, and open outages.
 */

import type { CellView, EgressView, NodeView } from '../../app/egress/view.ts'
import { utc } from './format.ts'

/** Runs `POST /api/egress/check` through the dashboard's button script. */
function CheckNow() {
	return (
		<div class="controls">
			<button type="button" data-action="/api/egress/check" data-output="egress-output">
				Check egress now
			</button>
			<pre id="egress-output" aria-live="polite"></pre>
		</div>
	)
}

/** A node's row header: its name, its public egress IP (what a target's allowlist sees). */
function NodeHeader(props: { node: NodeView }) {
	const { node } = props
	const ip = node.egressIp ?? null
	return (
		<th scope="row">
			{node.node}
			{node.reachable === false ? <span class="bad"> (agent unreachable)</span> : null}
			<br />
			<span class="muted">
				{ip ? `egress ${ip}` : 'egress IP unknown'}
				{node.egressIpError ? ` (${node.egressIpError})` : ''}
			</span>
		</th>
	)
}

function Cell(props: { cell: CellView | undefined }) {
	const { cell } = props
	if (!cell) {
		return <td class="cell-unknown">— not probed</td>
	}
	const detail = cell.message ?? cell.note ?? ''
	if (cell.observed === 'ok') {
		return (
			<td class="cell-ok" title={detail}>
				✓ ok {cell.latencyMs === null ? '' : `${cell.latencyMs} ms`}
			</td>
		)
	}
	if (cell.observed === 'failing') {
		return (
			<td class="cell-bad" title={detail}>
				✗ {cell.error ?? 'failing'}
				{cell.phase ? ` (${cell.phase})` : ''}
				{cell.outage ? (
					<span class="muted"> since {utc(cell.outage.startedAt, 'minute')}</span>
				) : null}
			</td>
		)
	}
	return (
		<td class="cell-unknown" title={detail}>
			? unknown{cell.unknownReason ? ` (${cell.unknownReason})` : ''}
		</td>
	)
}

/** The section. */
export function EgressSection(props: { egress: EgressView }) {
	const { egress } = props
	if (!egress.check) {
		return (
			<>
				<p class="muted">
					No egress check has reached the agent yet
					{egress.lastAttempt
						? ` (last attempt ${utc(egress.lastAttempt.startedAt, 'minute')}: ${egress.lastAttempt.status}${egress.lastAttempt.note ? `, ${egress.lastAttempt.note}` : ''})`
						: ''}
					.
				</p>
				<CheckNow />
			</>
		)
	}
	const cell = (node: string, target: string) =>
		egress.cells.find((c) => c.node === node && c.target === target)
	return (
		<>
			<p>
				Check of {utc(egress.check.startedAt, 'minute')} UTC:{' '}
				{egress.check.status.replace('_', ' ')}
				{egress.check.agentError ? ` — ${egress.check.agentError.message}` : ''}
				{egress.check.note ? ` — ${egress.check.note}` : ''}.
			</p>
			<CheckNow />
			<div class="scroll">
				<table class="matrix">
					<caption>
						Each node probes each target from inside the cluster; under each node, the public IP it
						leaves through (what a target's IP allowlist sees); the edge row is tidegate's own TCP
						connect from Cloudflare.
					</caption>
					<thead>
						<tr>
							<th scope="col">Node</th>
							{egress.targets.map((t) => (
								<th scope="col">
									{t.name}
									<br />
									<span class="muted">
										{t.probe} {t.host}:{t.port}
										{t.source === 'ingress' ? ` (ingress ${t.hostnames.join(', ')})` : ''}
									</span>
								</th>
							))}
						</tr>
					</thead>
					<tbody>
						{egress.nodes.map((node) => (
							<tr>
								<NodeHeader node={node} />
								{egress.targets.map((t) => (
									<Cell cell={cell(node.node, t.name)} />
								))}
							</tr>
						))}
						<tr>
							<th scope="row">edge (Cloudflare)</th>
							{egress.targets.map((t) =>
								t.edgeResult ? (
									<td class={t.edgeResult.ok ? 'cell-ok' : 'cell-bad'}>
										{t.edgeResult.ok
											? `✓ ok ${t.edgeResult.latencyMs} ms`
											: `✗ ${t.edgeResult.error ?? 'failing'}`}
									</td>
								) : (
									<td class="cell-unknown">— not probed</td>
								),
							)}
						</tr>
						<tr>
							<th scope="row">verdict</th>
							{egress.targets.map((t) => (
								<td
									class={
										t.verdict.kind === 'ok' ? 'ok' : t.verdict.kind === 'unknown' ? 'muted' : 'bad'
									}
								>
									{t.verdict.text}
								</td>
							))}
						</tr>
					</tbody>
				</table>
			</div>
			{egress.expectations.length > 0 ? (
				<ul>
					{egress.expectations.map((e) => (
						<li class={e.status === 'met' ? 'ok' : e.status === 'unmet' ? 'bad' : 'muted'}>
							{e.status === 'met' ? '✓' : e.status === 'unmet' ? '✗' : '?'} {e.text}
						</li>
					))}
				</ul>
			) : null}
			<h3>Open outages</h3>
			{egress.openOutages.length === 0 ? (
				<p class="muted">None.</p>
			) : (
				<ul>
					{egress.openOutages.map((o) => (
						<li class="bad">
							✗ {o.node} cannot reach {o.target} since {utc(o.startedAt, 'minute')} UTC (
							{o.failingSamples} failing checks
							{o.lastError ? `, ${o.lastError}` : ''})
						</li>
					))}
				</ul>
			)}
		</>
	)
}
