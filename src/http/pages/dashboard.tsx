/**
 * The dashboard: is everything fine? Status first, then each managed resource with drift marked,
 * the last diff and the run history. Every state is spelled out in text (never colour alone).
 */

import { raw } from 'hono/html'
import { describeMissing } from '../../app/config.ts'
import type {
	DashboardView,
	IncludeRow,
	IngressRow,
	ListTable,
	ResourceNotes,
} from '../../app/views/dashboard.ts'
import type { HealthState } from '../../app/views/health.ts'
import type { Change } from '../../domain/edge/plan.ts'
import { CAUSE_TEXT } from '../../domain/edge/render-plan.ts'
import type { Run } from '../../domain/edge/runs.ts'
import { DeploymentsSection } from './deployments.tsx'
import { EgressSection } from './egress.tsx'
import { utc } from './format.ts'
import { Layout } from './layout.tsx'

const ACTION: Record<Change<unknown>['action'], string> = {
	add: 'will be added',
	update: 'will be updated',
	remove: 'will be removed',
	reorder: 'will move',
	adopt: 'will be taken over',
}

/** A state's CSS class (colour) and mark (the same state in text). */
type Tone = HealthState

const MARK: Record<Tone, string> = { ok: '✓ ', bad: '✗ ', warn: '! ', unknown: '? ' }

const short = (sha: string | null) => (sha ? sha.slice(0, 7) : '—')

function ChangeCell(props: { change: Change<unknown> | undefined }) {
	if (!props.change) {
		return <span class="state ok">✓ in sync</span>
	}
	return (
		<span class="state warn">
			~ {ACTION[props.change.action]} ({CAUSE_TEXT[props.change.cause]})
		</span>
	)
}

function IngressTable(props: { table: NonNullable<DashboardView['ingress']> }) {
	const { table } = props
	return (
		<div class="scroll">
			<table>
				<caption>
					Tunnel {table.tunnelId}, live version {table.liveVersion ?? '?'}, from run {table.runId}.
					First match wins; the catch-all is last.{' '}
					{table.connectors === undefined
						? ''
						: table.connectors.count === 0
							? '✗ No cloudflared connector is connected: nothing here is reachable.'
							: `${table.connectors.count} cloudflared connector(s) connected.`}
				</caption>
				<thead>
					<tr>
						<th scope="col">#</th>
						<th scope="col">Hostname</th>
						<th scope="col">Path</th>
						<th scope="col">Service</th>
						<th scope="col">State</th>
					</tr>
				</thead>
				<tbody>
					{table.rows.map((row: IngressRow) => (
						<tr class={row.change ? 'drift' : ''}>
							<td>{row.position}</td>
							<td>
								<code>{row.hostname}</code>
							</td>
							<td>{row.path ? <code>{row.path}</code> : <span class="muted">any</span>}</td>
							<td>
								<code>{row.service}</code>
							</td>
							<td>
								<ChangeCell change={row.change} />
							</td>
						</tr>
					))}
					{table.removed.map((change) => (
						<tr class="drift">
							<td>—</td>
							<td colspan={3}>
								<code>{change.key}</code> (live only)
							</td>
							<td>
								<ChangeCell change={change} />
							</td>
						</tr>
					))}
				</tbody>
			</table>
		</div>
	)
}

function IncludeTable(props: { table: ListTable }) {
	const { table } = props
	return (
		<div class="scroll">
			<table>
				<caption>
					{table.policy === 'default' ? 'Default device profile' : `Device profile ${table.policy}`}
					, {table.mode} mode, from run {table.runId}. Entries of other owners are never changed.
				</caption>
				<thead>
					<tr>
						<th scope="col">Address or host</th>
						<th scope="col">Description</th>
						<th scope="col">Owner</th>
						<th scope="col">State</th>
					</tr>
				</thead>
				<tbody>
					{table.rows.map((row: IncludeRow) => (
						<tr class={row.change ? 'drift' : ''}>
							<td>
								<code>{row.target}</code>
							</td>
							<td>{row.description}</td>
							<td>
								{row.owner === 'ours' ? (
									'tidegate'
								) : (
									<span class="muted">{row.owner} (kept as is)</span>
								)}
							</td>
							<td>
								<ChangeCell change={row.change} />
							</td>
						</tr>
					))}
					{table.removed.map((change) => (
						<tr class="drift">
							<td>
								<code>{change.key.replace(/^(address|host):/, '')}</code>
							</td>
							<td colspan={2}>(live only)</td>
							<td>
								<ChangeCell change={change} />
							</td>
						</tr>
					))}
				</tbody>
			</table>
		</div>
	)
}

/** Why a resource is not synced, and what its last plan warned about or refused. */
function Notes(props: { notes: ResourceNotes }) {
	const { notes } = props
	return (
		<>
			{notes.refusals.map((message) => (
				<p class="bad">✗ refused: {message}</p>
			))}
			{notes.warnings.map((message) => (
				<p class="warn">! {message}</p>
			))}
		</>
	)
}

function DnsTable(props: { table: NonNullable<DashboardView['dns']> }) {
	const { table } = props
	return (
		<>
			<Notes notes={table} />
			<div class="scroll">
				<table>
					<caption>
						Proxied CNAME records to <code>{table.target}</code>, from run {table.runId}. Records
						tidegate did not create are never changed.
					</caption>
					<thead>
						<tr>
							<th scope="col">Hostname</th>
							<th scope="col">Zone</th>
							<th scope="col">State</th>
						</tr>
					</thead>
					<tbody>
						{table.rows.map((row) => (
							<tr class={row.change ? 'drift' : ''}>
								<td>
									<code>{row.hostname}</code>
								</td>
								<td>{row.zone ?? <span class="muted">—</span>}</td>
								<td>
									{table.managed ? (
										<ChangeCell change={row.change} />
									) : (
										<span class="muted">not synced</span>
									)}
								</td>
							</tr>
						))}
					</tbody>
				</table>
			</div>
		</>
	)
}

function RoutesTable(props: { table: NonNullable<DashboardView['routes']> }) {
	const { table } = props
	return (
		<>
			<Notes notes={table} />
			<div class="scroll">
				<table>
					<caption>
						Private networks routed to the tunnel, from run {table.runId}.{' '}
						{table.managed
							? 'Routes of other owners are never changed.'
							: 'Not managed by tidegate.yaml (tunnel.routes): checked only.'}
					</caption>
					<thead>
						<tr>
							<th scope="col">Network</th>
							<th scope="col">Comment</th>
							<th scope="col">Owner</th>
							<th scope="col">State</th>
						</tr>
					</thead>
					<tbody>
						{table.rows.map((row) => (
							<tr class={row.change ? 'drift' : ''}>
								<td>
									<code>{row.network}</code>
								</td>
								<td>{row.comment}</td>
								<td>
									{row.owner === 'ours' ? 'tidegate' : <span class="muted">{row.owner}</span>}
								</td>
								<td>
									<ChangeCell change={row.change} />
								</td>
							</tr>
						))}
					</tbody>
				</table>
			</div>
		</>
	)
}

const RUN_TONE: Record<Run['status'], Tone> = {
	queued: 'unknown',
	running: 'unknown',
	in_sync: 'ok',
	applied: 'ok',
	planned: 'unknown',
	drift_reported: 'warn',
	suspended: 'warn',
	refused: 'bad',
	failed: 'bad',
	dead: 'bad',
}

/** The run history table; also used on its own page. */
export function RunsTable(props: { runs: Run[] }) {
	return (
		<div class="scroll">
			<table>
				<thead>
					<tr>
						<th scope="col">Run</th>
						<th scope="col">Trigger</th>
						<th scope="col">Status</th>
						<th scope="col">Commit</th>
						<th scope="col">What happened</th>
						<th scope="col">Finished (UTC)</th>
					</tr>
				</thead>
				<tbody>
					{props.runs.map((run) => (
						<tr>
							<td>
								<a href={`/runs/${run.id}`}>#{run.id}</a>
							</td>
							<td>
								{run.trigger}
								{run.dryRun ? ' (dry run)' : ''}
							</td>
							<td class={`state ${RUN_TONE[run.status]}`}>{run.status.replace('_', ' ')}</td>
							<td>
								<code>{short(run.commitSha)}</code>
							</td>
							<td>{run.errorMessage ?? run.summary ?? ''}</td>
							<td>{utc(run.finishedAt)}</td>
						</tr>
					))}
				</tbody>
			</table>
		</div>
	)
}

// Buttons post JSON with the browser's own sign-in (Basic or Access); the API refuses cross-site use.
const SCRIPT = `
for (const button of document.querySelectorAll('button[data-action]')) {
  const out = document.getElementById(button.dataset.output || 'action-output');
  button.addEventListener('click', async () => {
    out.textContent = 'Working…';
    try {
      const res = await fetch(button.dataset.action, {
        method: 'POST', credentials: 'same-origin',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: button.dataset.body || '{}',
      });
      const body = await res.json();
      if (!res.ok) { out.textContent = 'Error ' + res.status + ': ' + (body.error ? body.error.message : ''); return; }
      if (body.planText !== undefined) { out.textContent = (body.summary || body.errorMessage || '') + '\\n\\n' + (body.planText || ''); return; }
      if (res.status === 202) { out.textContent = 'Queued as run #' + body.runId + ': it runs in the background; reload the page (or open /runs/' + body.runId + ') to see how it ended.'; return; }
      if (body.summary !== undefined) { out.textContent = body.summary + '\\n\\nReload the page to see the result.'; return; }
      out.textContent = JSON.stringify(body, null, 2) + '\\n\\nReload the page to see the result.';
    } catch (e) { out.textContent = 'Request failed: ' + e; }
  });
}
`

/** The whole page. */
export function DashboardPage(props: {
	view: DashboardView
	lastDiffText: string | null
	now: number
	/** The request's CSP nonce for the inline script and style. */
	nonce: string
}) {
	const { view } = props
	const { health } = view
	const lines = health.problems.length > 0 ? health.problems : ['Everything is in sync.']
	return (
		<Layout title="tidegate" nonce={props.nonce}>
			<header>
				<h1>tidegate</h1>
				<span class="muted">v{view.status.version}</span>
				<nav>
					<a href="/api/status">status JSON</a>
					<a href="/api/openapi.json">API</a>
				</nav>
			</header>
			<main>
				<section aria-labelledby="status-heading">
					<h2 id="status-heading">Status</h2>
					<div class={`banner ${health.state}`} role="status">
						{lines.map((line) => (
							<p>
								<strong>{MARK[health.state]}</strong>
								{line}
							</p>
						))}
					</div>
					{view.status.missingConfig.length > 0 ? (
						<div class="banner warn">
							<p>
								<strong>Not configured:</strong>
							</p>
							<ul>
								{view.status.missingConfig.map((m) => (
									<li>
										<code>{m.name}</code> (
										{m.kind === 'secret' ? 'wrangler secret put' : 'a var in wrangler.toml'}) —
										{m.problem === 'unset'
											? ` needed for ${m.neededFor}`
											: ` ${describeMissing(m)}`}
									</li>
								))}
							</ul>
						</div>
					) : null}
					{view.status.deadLetters > 0 ? (
						<p class="bad">
							✗ {view.status.deadLetters} queue message(s) could not be processed and are kept as
							dead letters.
						</p>
					) : null}
					<div class="controls">
						<button type="button" data-action="/api/reconcile" data-body='{"dryRun":true}'>
							Dry run (plan only)
						</button>
						<button type="button" data-action="/api/reconcile">
							Reconcile now
						</button>
						{view.status.suspended ? (
							<button type="button" data-action="/api/resume">
								Resume syncing
							</button>
						) : (
							<button type="button" data-action="/api/suspend">
								Suspend syncing
							</button>
						)}
						<pre id="action-output" aria-live="polite"></pre>
					</div>
				</section>

				<section aria-labelledby="ingress-heading">
					<h2 id="ingress-heading">Tunnel ingress</h2>
					{view.ingress ? (
						<IngressTable table={view.ingress} />
					) : (
						<p class="muted">No tunnel planned yet.</p>
					)}
				</section>

				<section aria-labelledby="dns-heading">
					<h2 id="dns-heading">DNS records</h2>
					{view.dns ? <DnsTable table={view.dns} /> : <p class="muted">No DNS planned yet.</p>}
				</section>

				<section aria-labelledby="include-heading">
					<h2 id="include-heading">Split-tunnel lists</h2>
					{view.lists.length > 0 ? (
						view.lists.map((table) => <IncludeTable table={table} />)
					) : (
						<p class="muted">No split tunnel planned yet.</p>
					)}
				</section>

				<section aria-labelledby="routes-heading">
					<h2 id="routes-heading">Private-network routes</h2>
					{view.routes ? (
						<RoutesTable table={view.routes} />
					) : (
						<p class="muted">No routes planned yet.</p>
					)}
				</section>

				<section aria-labelledby="diff-heading">
					<h2 id="diff-heading">Last diff</h2>
					{view.lastDiff && props.lastDiffText ? (
						<>
							<p>
								<a href={`/runs/${view.lastDiff.id}`}>Run #{view.lastDiff.id}</a> (
								{view.lastDiff.trigger}, {view.lastDiff.status.replace('_', ' ')},{' '}
								{utc(view.lastDiff.finishedAt)} UTC)
							</p>
							<pre>{props.lastDiffText}</pre>
						</>
					) : (
						<p class="muted">Nothing has changed yet.</p>
					)}
				</section>

				<section aria-labelledby="egress-heading">
					<h2 id="egress-heading">Egress from every node</h2>
					<EgressSection egress={view.egress} />
				</section>

				<section aria-labelledby="deployments-heading">
					<h2 id="deployments-heading">Deployments (Flux)</h2>
					<DeploymentsSection flux={view.flux} now={props.now} />
				</section>

				<section aria-labelledby="runs-heading">
					<h2 id="runs-heading">Recent runs</h2>
					<RunsTable runs={view.runs} />
				</section>

				<section aria-labelledby="cron-heading">
					<h2 id="cron-heading">Scheduled jobs</h2>
					<div class="scroll">
						<table>
							<thead>
								<tr>
									<th scope="col">Job</th>
									<th scope="col">Last run (UTC)</th>
									<th scope="col">Outcome</th>
								</tr>
							</thead>
							<tbody>
								{view.status.cron.map((tick) => (
									<tr>
										<td>{tick.job}</td>
										<td>{utc(tick.startedAt)}</td>
										<td class={tick.outcome === 'failed' ? 'bad' : ''}>
											{tick.outcome ?? 'running'}: {tick.detail ?? ''}
										</td>
									</tr>
								))}
							</tbody>
						</table>
					</div>
				</section>
			</main>
			<script nonce={props.nonce}>{raw(SCRIPT)}</script>
		</Layout>
	)
}
