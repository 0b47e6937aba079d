/**
 * Builders for tidegate.yaml documents whose line numbers are known, and a view of the result as
 * the operator sees it: `line:col path message`, exactly as `tidegate validate` prints it.
 */

import { loadDesiredState } from '../../../src/domain/desired-state/load.ts'
import type { DesiredState } from '../../../src/domain/desired-state/model.ts'
import { type Diagnostic, formatDiagnostic } from '../../../src/domain/diagnostics.ts'

/** A valid Cloudflare account id. */
export const ACCOUNT = '0123456789abcdef0123456789abcdef'
/** A valid tunnel id. */
export const TUNNEL = '6ff4dfd7-2b77-4a4f-84d9-3241bea658dc'

/** A document whose `tunnel.ingress` list is `lines`; its first line is line 7 of the file. */
export function ingressDoc(...lines: string[]): string {
	return [
		'version: 1',
		'owner: oceanid',
		'tunnel:',
		`  accountId: ${ACCOUNT}`,
		`  tunnelId: ${TUNNEL}`,
		'  ingress:',
		...lines,
		'',
	].join('\n')
}

/** A document whose `splitTunnel.include` list is `lines`; its first line is line 6 of the file. */
export function includeDoc(...lines: string[]): string {
	return [
		'version: 1',
		'owner: oceanid',
		'splitTunnel:',
		`  accountId: ${ACCOUNT}`,
		'  include:',
		...lines,
		'',
	].join('\n')
}

/** One diagnostic as the CLI prints it, without the file name: `7:17 tunnel.ingress[0].hostname …`. */
export function seen(d: Diagnostic): string {
	return formatDiagnostic('', d).replace(/^:/, '')
}

/** Everything the operator would see for `text`: the errors (or, when valid, the warnings). */
export function diagnosticsOf(text: string): string[] {
	const result = loadDesiredState(text)
	return (result.ok ? result.value.warnings : result.error).map(seen)
}

/** Loads `text`, failing the test with the diagnostics when it is not valid. */
export function validState(text: string): { state: DesiredState; warnings: string[] } {
	const result = loadDesiredState(text)
	if (!result.ok) {
		throw new Error(`expected a valid document, got:\n${result.error.map(seen).join('\n')}`)
	}
	return { state: result.value.state, warnings: result.value.warnings.map(seen) }
}

/** True when `text` is refused. */
export function isRefused(text: string): boolean {
	return !loadDesiredState(text).ok
}
