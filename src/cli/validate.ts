/** `tidegate validate [file]`: every error as `file:line:col path message`, or a one-line summary. */
import { readFile } from 'node:fs/promises'
import { loadDesiredState } from '../domain/desired-state/load.ts'
import type { DesiredState } from '../domain/desired-state/model.ts'
import { formatDiagnostic } from '../domain/diagnostics.ts'
import type { Io } from './main.ts'

/** Validates one file; 0 valid, 1 invalid, 2 unreadable. */
export async function validateCommand(file: string, io: Io): Promise<number> {
	const text = await readText(file, io)
	if (text === undefined) {
		return 2
	}
	const loaded = loadDesiredState(text)
	if (!loaded.ok) {
		for (const d of loaded.error) {
			io.out(formatDiagnostic(file, d))
		}
		const errors = loaded.error.filter((d) => d.severity === 'error').length
		const warnings = loaded.error.length - errors
		io.err(
			`${file}: ${count(errors, 'error')}${warnings > 0 ? `, ${count(warnings, 'warning')}` : ''}`,
		)
		return 1
	}
	for (const w of loaded.value.warnings) {
		io.out(formatDiagnostic(file, w))
	}
	const warnings = loaded.value.warnings.length
	io.out(
		`${file}: valid${warnings > 0 ? ` with ${count(warnings, 'warning')}` : ''} (${summarise(loaded.value.state)})`,
	)
	return 0
}

function count(n: number, noun: string): string {
	return `${n} ${noun}${n === 1 ? '' : 's'}`
}

/** Reads a file as UTF-8 text, reporting why it could not be read (binary files included). */
export async function readText(file: string, io: Io): Promise<string | undefined> {
	let bytes: Uint8Array
	try {
		bytes = await readFile(file)
	} catch (e) {
		const code = (e as NodeJS.ErrnoException).code
		const why =
			code === 'ENOENT'
				? 'no such file'
				: code === 'EISDIR'
					? 'is a directory'
					: code === 'EACCES'
						? 'permission denied'
						: (e as Error).message
		io.err(`tidegate: cannot read ${file}: ${why}`)
		return undefined
	}
	try {
		// Fatal decoding: a binary or Latin-1 file is refused, not silently turned into U+FFFD.
		return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes)
	} catch {
		io.err(`tidegate: cannot read ${file}: not UTF-8 text (a binary file?)`)
		return undefined
	}
}

/** One line on what the file declares. */
export function summarise(state: DesiredState): string {
	const parts: string[] = [`owner ${state.owner}`]
	if (state.tunnel) {
		const rules = state.tunnel.ingress.length - 1
		const routes = state.tunnel.routes?.length
		parts.push(
			`tunnel ${state.tunnel.tunnelId}: ${rules} ingress rule${rules === 1 ? '' : 's'} + catch-all, ${state.tunnel.dns.length} DNS record${state.tunnel.dns.length === 1 ? '' : 's'}${routes === undefined ? '' : `, ${routes} route${routes === 1 ? '' : 's'}`}`,
		)
	}
	for (const profile of state.splitTunnels) {
		const n = profile.entries.length
		parts.push(
			`split tunnel (${profile.policy} profile): ${n} ${profile.mode} entr${n === 1 ? 'y' : 'ies'}`,
		)
	}
	const targets = state.egress.targets.length
	if (targets > 0) {
		parts.push(`${targets} egress target${targets === 1 ? '' : 's'}`)
	}
	if (state.ownership) {
		const { reserved, valuesRules, fluxPaths } = state.ownership
		parts.push(
			`pre-flight of ${fluxPaths.join(', ')}: ${reserved.length} reserved entr${reserved.length === 1 ? 'y' : 'ies'}, ${valuesRules.length} values rule${valuesRules.length === 1 ? '' : 's'}`,
		)
	}
	return parts.join('; ')
}
