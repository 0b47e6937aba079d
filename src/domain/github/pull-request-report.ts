/**
 * @module What a pull request is told: the two commit statuses' contexts and the one comment
 * tidegate keeps on it (found again by its marker, edited in place on every push). Pure text.
 */
import { describeResource, type PreflightFinding } from '../preflight/check.ts'
import type { CheckVerdict, PullRequestCheck } from './ports.ts'

/** The commit status context of the read-only edge plan of a pull request's head. */
export const EDGE_PLAN_CONTEXT = 'tidegate/edge-plan'

/** First line of tidegate's comment: how it is found again among the pull request's comments. */
export const COMMENT_MARKER = '<!-- tidegate:pull-request -->'

/** GitHub refuses longer comment bodies; the plan and findings are cut to fit below it. */
export const MAX_COMMENT_CHARS = 65_536

/** Findings listed in the comment; the page behind the link has them all. */
const FINDINGS_SHOWN = 20

const ICON: Record<CheckVerdict['state'], string> = { success: '✅', failure: '❌', error: '⚠️' }

/** The comment body for a check; `link` is the page with the whole plan and every finding. */
export function renderComment(
	check: PullRequestCheck,
	contexts: { edge: string; preflight: string },
	link: string | null,
): string {
	const head = [
		COMMENT_MARKER,
		`### tidegate: checks of \`${check.headSha.slice(0, 7)}\``,
		'',
		'| check | result |',
		'| --- | --- |',
		`| \`${contexts.edge}\` | ${ICON[check.edge.state]} ${cell(check.edge.summary)} |`,
		`| \`${contexts.preflight}\` | ${ICON[check.preflight.state]} ${cell(check.preflight.summary)} |`,
		'',
	]
	const tail = [
		'',
		`${link ? `[The whole plan and every finding](${link}) · ` : ''}Planned against the live edge with reads only at ${new Date(check.checkedAt).toISOString()}. This comment is updated on every push to the pull request.`,
	]
	const findings = findingLines(check.findings, check.preflightCutOff)
	const warnings =
		check.warnings.length > 0 ? ['', ...check.warnings.map((w) => `> warning: ${w}`)] : []
	const fixed = [...head, ...warnings, ...findings, ...tail].join('\n').length
	const plan =
		check.planText === null
			? []
			: planBlock(check.planText, MAX_COMMENT_CHARS - fixed - 200, link !== null)
	return [...head, ...plan, ...warnings, ...findings, ...tail].join('\n')
}

function planBlock(text: string, room: number, linked: boolean): string[] {
	const rest = linked ? 'the link below has the whole plan' : 'too long for a comment'
	const cut =
		text.length <= room ? text : `${text.slice(0, Math.max(0, room - 60))}\n… (cut here; ${rest})`
	const fence = fenceFor(cut)
	return [
		'<details open><summary>Edge plan (what merging would change)</summary>',
		'',
		fence,
		cut,
		fence,
		'',
		'</details>',
	]
}

function findingLines(findings: readonly PreflightFinding[], cutOff: string | null): string[] {
	if (findings.length === 0 && cutOff === null) {
		return []
	}
	const lines = findings
		.slice(0, FINDINGS_SHOWN)
		.map(
			(f) =>
				`- \`${f.file}:${f.line}\`${f.resource ? ` ${describeResource(f.resource)}` : ''}: ${f.message}; fix: ${f.fix}`,
		)
	return [
		'',
		'**Ownership pre-flight**',
		...lines,
		...(findings.length > FINDINGS_SHOWN
			? [`- … and ${findings.length - FINDINGS_SHOWN} more`]
			: []),
		...(cutOff ? [`- not checked: ${cutOff}`] : []),
	]
}

/** A code fence longer than any run of backticks in the text, so the text cannot close it. */
function fenceFor(text: string): string {
	const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length))
	return '`'.repeat(Math.max(3, longest + 1))
}

/** A table cell: no pipes or newlines breaking the row. */
function cell(text: string): string {
	return text.replace(/\|/g, '\\|').replace(/\n/g, ' ')
}
