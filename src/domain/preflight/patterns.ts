/**
 * @module The three small pattern languages of the `ownership` section: repository path globs
 * (`clusters/tethys/**`), name patterns (`cert-manager*`), and dotted paths into HelmRelease values
 * (`**.image.tag`). Each has a syntax check that returns the reason in words, for located errors.
 */

/** Why a repository path glob is not usable, or undefined when it is. */
export function pathGlobProblem(glob: string): string | undefined {
	if (glob.includes('\\')) {
		return `path "${glob}" contains a backslash; repository paths use "/"`
	}
	if (glob.startsWith('/')) {
		return `path "${glob}" starts with "/"; write it relative to the repository root: "${glob.replace(/^\/+/, '')}"`
	}
	if (glob.startsWith('./')) {
		return `path "${glob}" starts with "./"; write it without, e.g. "${glob.slice(2)}"`
	}
	for (const segment of glob.replace(/\/$/, '').split('/')) {
		if (segment === '') {
			return `path "${glob}" has an empty segment ("//")`
		}
		if (segment === '.' || segment === '..') {
			return `path "${glob}" contains "${segment}"; write it relative to the repository root without "." or ".." segments`
		}
		if (segment.includes('**') && segment !== '**') {
			return `path "${glob}": "**" must be a whole segment ("a/**/b"); use "*" within a name`
		}
	}
	return undefined
}

/**
 * Compiles a repository path glob: `*` and `?` within one segment, `**` across segments. A glob
 * also matches everything under a directory it names, as git pathspecs do, so `clusters/tethys`
 * and `clusters/tethys/**` mean the same.
 */
export function compilePathGlob(glob: string): (path: string) => boolean {
	const segments = glob.replace(/\/$/, '').split('/')
	let source = ''
	segments.forEach((segment, index) => {
		const last = index === segments.length - 1
		if (segment === '**') {
			// `a/**/b` matches `a/b` too; a trailing `**` matches anything below.
			source += last ? '.*' : '(?:[^/]+/)*'
			return
		}
		source += segmentSource(segment, '[^/]')
		if (!last) {
			source += '/'
		}
	})
	const whole = new RegExp(`^${source}(?:/.*)?$`)
	return (path) => whole.test(path)
}

/** The literal directory a glob starts with (`clusters/tethys` for `clusters/tethys/**`). */
export function globBase(glob: string): string {
	const base: string[] = []
	for (const segment of glob.replace(/\/$/, '').split('/')) {
		if (/[*?]/.test(segment)) {
			break
		}
		base.push(segment)
	}
	return base.join('/')
}

/** Why a name or namespace pattern is not usable, or undefined when it is. */
export function namePatternProblem(pattern: string): string | undefined {
	if (/\s/.test(pattern)) {
		return `pattern "${pattern}" contains whitespace; Kubernetes names never do`
	}
	return undefined
}

/** Compiles a name pattern: `*` any run of characters, `?` one character, the rest literal. */
export function compileNamePattern(pattern: string): (name: string) => boolean {
	if (!/[*?]/.test(pattern)) {
		return (name) => name === pattern
	}
	const re = new RegExp(`^${segmentSource(pattern, '.')}$`, 's')
	return (name) => re.test(name)
}

function segmentSource(segment: string, any: string): string {
	let out = ''
	for (const ch of segment) {
		if (ch === '*') {
			out += `${any}*`
		} else if (ch === '?') {
			out += any
		} else {
			out += ch.replace(/[.+^${}()|[\]\\/-]/g, '\\$&')
		}
	}
	return out
}

/** Why a dotted values path is not usable; `wildcards: false` for a plain path such as `use`. */
export function valuesPathProblem(path: string, wildcards: boolean): string | undefined {
	const segments = path.split('.')
	if (segments.some((s) => s === '')) {
		return `"${path}" has an empty key; separate keys with single dots, e.g. "global.image.tag"`
	}
	if (!wildcards && segments.some((s) => /[*?]/.test(s))) {
		return `"${path}" must be a plain path without wildcards (it names the one place the value belongs)`
	}
	if (segments.some((s) => s.includes('**') && s !== '**')) {
		return `"${path}": "**" must be a whole key ("**.image.tag"); use "*" within a key`
	}
	return undefined
}

/**
 * Compiles a dotted values path: keys separated by dots, `*` matches one key (or list index),
 * `**` any number of keys (none included). Glob characters within a key match within that key.
 */
export function compileValuesPath(pattern: string): (path: readonly string[]) => boolean {
	const parts = pattern.split('.').map((s) => (s === '**' ? '**' : compileNamePattern(s)))
	const match = (p: number, k: number, keys: readonly string[]): boolean => {
		if (p === parts.length) {
			return k === keys.length
		}
		const part = parts[p]
		if (part === '**') {
			for (let skip = k; skip <= keys.length; skip++) {
				if (match(p + 1, skip, keys)) {
					return true
				}
			}
			return false
		}
		const key = keys[k]
		if (key === undefined || part === undefined) {
			return false
		}
		return part(key) && match(p + 1, k + 1, keys)
	}
	return (keys) => match(0, 0, keys)
}
