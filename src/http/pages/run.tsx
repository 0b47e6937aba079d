/** One run: what triggered it, the plan as a diff, warnings, every API call it made. */

import type { Run } from '../../domain/edge/runs.ts'
import { utc } from './format.ts'
import { Layout } from './layout.tsx'

const when = (ms: number | null) => (ms === null ? '—' : `${utc(ms)} UTC`)

/** The run page. */
export function RunPage(props: { run: Run; planText: string | null; nonce: string }) {
	const { run } = props
	const calls =
		(run.apiCalls as
			| { api: string; method: string; path: string; status: number | null; ms: number }[]
			| null) ?? []
	return (
		<Layout title={`Run #${run.id} · tidegate`} nonce={props.nonce}>
			<header>
				<h1>Run #{run.id}</h1>
				<nav>
					<a href="/">← dashboard</a>
					<a href={`/api/runs/${run.id}`}>JSON</a>
				</nav>
			</header>
			<main>
				<table>
					<tbody>
						<tr>
							<th scope="row">Status</th>
							<td class="state">{run.status.replace('_', ' ')}</td>
						</tr>
						<tr>
							<th scope="row">Trigger</th>
							<td>
								{run.trigger}
								{run.dryRun ? ' (dry run)' : ''}
								{run.force ? ' (forced)' : ''}
								{run.deliveryId ? ` · GitHub delivery ${run.deliveryId}` : ''}
							</td>
						</tr>
						<tr>
							<th scope="row">Commit</th>
							<td>
								<code>{run.commitSha ?? '—'}</code>
							</td>
						</tr>
						<tr>
							<th scope="row">Summary</th>
							<td>{run.summary ?? '—'}</td>
						</tr>
						{run.errorMessage ? (
							<tr>
								<th scope="row">Error</th>
								<td class="bad">
									{run.errorCode}: {run.errorMessage}
								</td>
							</tr>
						) : null}
						<tr>
							<th scope="row">Timing</th>
							<td>
								queued {when(run.queuedAt)}, finished {when(run.finishedAt)}
								{run.durationMs === null ? '' : ` (${run.durationMs} ms, attempt ${run.attempts})`}
							</td>
						</tr>
					</tbody>
				</table>
				{run.warnings.length > 0 ? (
					<>
						<h2>Warnings</h2>
						<ul>
							{run.warnings.map((w) => (
								<li class="warn">{w}</li>
							))}
						</ul>
					</>
				) : null}
				<h2>Plan</h2>
				{props.planText ? <pre>{props.planText}</pre> : <p class="muted">This run made no plan.</p>}
				<h2>API calls ({calls.length})</h2>
				<div class="scroll">
					<table>
						<thead>
							<tr>
								<th scope="col">API</th>
								<th scope="col">Request</th>
								<th scope="col">Status</th>
								<th scope="col">ms</th>
							</tr>
						</thead>
						<tbody>
							{calls.map((call) => (
								<tr>
									<td>{call.api}</td>
									<td>
										<code>
											{call.method} {call.path}
										</code>
									</td>
									<td>{call.status ?? 'no answer'}</td>
									<td>{call.ms}</td>
								</tr>
							))}
						</tbody>
					</table>
				</div>
			</main>
		</Layout>
	)
}
