/** One pull request head's checks: both verdicts, the whole edge plan, every pre-flight finding. */

import type { CheckVerdict, PullRequestCheck } from '../../domain/github/ports.ts'
import { EDGE_PLAN_CONTEXT } from '../../domain/github/pull-request-report.ts'
import { describeResource } from '../../domain/preflight/check.ts'
import { utc } from './format.ts'
import { Layout } from './layout.tsx'

const TONE: Record<CheckVerdict['state'], string> = { success: 'ok', failure: 'bad', error: 'warn' }

/** The pull-request check page (linked from the commit statuses and the comment). */
export function PullRequestPage(props: {
	check: PullRequestCheck
	preflightContext: string
	/** The request's CSP nonce for the inline style. */
	nonce: string
}) {
	const { check } = props
	const verdicts: [string, CheckVerdict][] = [
		[EDGE_PLAN_CONTEXT, check.edge],
		[props.preflightContext, check.preflight],
	]
	return (
		<Layout
			title={`#${check.number} at ${check.headSha.slice(0, 7)} · tidegate`}
			nonce={props.nonce}
		>
			<header>
				<h1>
					Pull request #{check.number} at <code>{check.headSha.slice(0, 7)}</code>
				</h1>
				<nav>
					<a href="/">← dashboard</a>
				</nav>
			</header>
			<main>
				<table>
					<tbody>
						{verdicts.map(([context, verdict]) => (
							<tr>
								<th scope="row">
									<code>{context}</code>
								</th>
								<td class={`state ${TONE[verdict.state]}`}>{verdict.state}</td>
								<td>{verdict.summary}</td>
							</tr>
						))}
						<tr>
							<th scope="row">Head</th>
							<td colspan={2}>
								<code>{check.headSha}</code> from {check.headRepository ?? 'a deleted fork'} into{' '}
								{check.baseRef}, checked {utc(check.checkedAt)} UTC
							</td>
						</tr>
					</tbody>
				</table>
				{check.warnings.length > 0 ? (
					<>
						<h2>Warnings</h2>
						<ul>
							{check.warnings.map((w) => (
								<li class="warn">{w}</li>
							))}
						</ul>
					</>
				) : null}
				<h2>Edge plan (read-only, against the live edge)</h2>
				{check.planText ? <pre>{check.planText}</pre> : <p class="muted">No plan was made.</p>}
				<h2>Ownership pre-flight ({check.findings.length})</h2>
				{check.preflightCutOff ? <p class="warn">Not checked: {check.preflightCutOff}</p> : null}
				{check.findings.length === 0 ? (
					<p class="muted">No findings.</p>
				) : (
					<ul>
						{check.findings.map((f) => (
							<li>
								<code>
									{f.file}:{f.line}
								</code>{' '}
								{f.resource ? `${describeResource(f.resource)}: ` : ''}
								{f.message}; fix: {f.fix}
							</li>
						))}
					</ul>
				)}
			</main>
		</Layout>
	)
}
