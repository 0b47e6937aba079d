/** A location inside the YAML document, as keys and list indexes from the root. */
export type YamlPath = readonly (string | number)[]

/** One finding about a desired-state file, located once the YAML source is known. */
export interface Diagnostic {
	severity: 'error' | 'warning'
	path: YamlPath
	message: string
	/** 1-based; absent only when the source could not be located (e.g. an empty file). */
	line?: number
	column?: number
}

/** Renders a path the way an operator reads it: `tunnel.ingress[2].hostname`. */
export function formatPath(path: YamlPath): string {
	if (path.length === 0) {
		return '(document)'
	}
	let out = ''
	for (const segment of path) {
		if (typeof segment === 'number') {
			out += `[${segment}]`
		} else {
			out += out === '' ? segment : `.${segment}`
		}
	}
	return out
}

/**
 * `file:line:col path message`, the format editors and CI logs turn into links. Messages quote
 * what was written, so control and bidi characters are shown escaped, never sent to a terminal.
 */
export function formatDiagnostic(file: string, d: Diagnostic): string {
	const where = d.line === undefined ? file : `${file}:${d.line}:${d.column ?? 1}`
	const prefix = d.severity === 'warning' ? 'warning: ' : ''
	return `${where} ${visible(formatPath(d.path))} ${prefix}${visible(d.message)}`
}

// C0 and C1 controls (ESC starts terminal sequences), and the bidi overrides of "Trojan Source".
const INVISIBLE = /[\p{Cc}\u202a-\u202e\u2066-\u2069]/gu

function visible(text: string): string {
	return text.replace(INVISIBLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
}

/** Convenience constructors keep call sites short. */
export const error = (path: YamlPath, message: string): Diagnostic => ({
	severity: 'error',
	path,
	message,
})
export const warning = (path: YamlPath, message: string): Diagnostic => ({
	severity: 'warning',
	path,
	message,
})
