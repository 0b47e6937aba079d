/**
 * @module `tidegate preflight <repo-dir> [--config file]`: the Worker's pre-flight ownership check
 * over a local checkout, for CI before merge. Reads every YAML file under `ownership.fluxPaths`
 * (no bounds: the checkout is local), prints each finding as `file:line message; fix: …`.
 * Exit 0 clean, 1 findings, 2 unreadable directory or config (or no `ownership` section).
 */
import type { Dirent } from 'node:fs'
import { readdir, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { loadDesiredState } from '../domain/desired-state/load.ts'
import { formatDiagnostic } from '../domain/diagnostics.ts'
import {
	checkManifests,
	countFindings,
	formatFinding,
	manifestPathFilter,
} from '../domain/preflight/check.ts'
import type { ManifestFile } from '../domain/preflight/manifests.ts'
import { globBase } from '../domain/preflight/patterns.ts'
import type { Io } from './main.ts'
import { readText } from './validate.ts'

/** Exit codes of `tidegate preflight`. */
export const PREFLIGHT_EXIT = { clean: 0, findings: 1, unreadable: 2 } as const

/** Parsed arguments, or the usage problem. */
export type PreflightArgs =
	| { repoDir: string; config: string | undefined; help: boolean }
	| { problem: string }

/** Parses `<repo-dir> [--config file]`. */
export function parsePreflightArgs(args: string[]): PreflightArgs {
	let parsed: ReturnType<typeof parseArgs>
	try {
		parsed = parseArgs({
			args,
			allowPositionals: true,
			options: { help: { type: 'boolean', short: 'h' }, config: { type: 'string' } },
		})
	} catch (e) {
		const message = (e as Error).message
		const option = /'([^']+)'/.exec(message)?.[1] ?? ''
		return {
			problem: /argument missing/.test(message)
				? `tidegate preflight: ${option.split(' ')[0]} needs a file`
				: `tidegate preflight: unknown option ${option}`,
		}
	}
	const help = parsed.values.help === true
	const [repoDir, ...extra] = parsed.positionals
	if (extra.length > 0) {
		return {
			problem: `tidegate preflight: expected one repository directory, got ${parsed.positionals.length}`,
		}
	}
	if (repoDir === undefined && !help) {
		return { problem: 'tidegate preflight: expected a repository directory, e.g. `.`' }
	}
	const config = parsed.values.config
	return {
		repoDir: repoDir ?? '.',
		config: typeof config === 'string' ? config : undefined,
		help,
	}
}

/** Checks a checkout; see the module comment for exit codes. */
export async function preflightCommand(
	repoDir: string,
	configPath: string | undefined,
	io: Io,
): Promise<number> {
	const dir = await stat(repoDir).catch((e: NodeJS.ErrnoException) => e)
	if (dir instanceof Error || !dir.isDirectory()) {
		const why =
			dir instanceof Error
				? dir.code === 'ENOENT'
					? 'no such directory'
					: dir.message
				: 'not a directory'
		io.err(`tidegate: cannot read ${repoDir}: ${why}`)
		return PREFLIGHT_EXIT.unreadable
	}
	const config = configPath ?? join(repoDir, 'tidegate.yaml')
	const text = await readText(config, io)
	if (text === undefined) {
		return PREFLIGHT_EXIT.unreadable
	}
	const loaded = loadDesiredState(text)
	if (!loaded.ok) {
		for (const d of loaded.error) {
			io.out(formatDiagnostic(config, d))
		}
		io.err(`${config}: invalid; the pre-flight check did not run`)
		return PREFLIGHT_EXIT.unreadable
	}
	const ownership = loaded.value.state.ownership
	if (!ownership) {
		io.err(
			`${config} has no ownership section, so there is nothing to check; add ownership.fluxPaths and ownership.reserved (docs/preflight.md)`,
		)
		return PREFLIGHT_EXIT.unreadable
	}
	const files = await collect(repoDir, ownership.fluxPaths, manifestPathFilter(ownership), io)
	if (files === undefined) {
		return PREFLIGHT_EXIT.unreadable
	}
	const report = checkManifests(files, ownership)
	const where = ownership.fluxPaths.join(', ')
	if (report.findings.length === 0) {
		if (report.files === 0) {
			io.err(`warning: no YAML file under ${repoDir} matches ownership.fluxPaths (${where})`)
		}
		io.out(
			`preflight: no ownership conflicts in ${plural(report.files, 'manifest file')} (${plural(report.resources, 'object')}) under ${where}`,
		)
		return PREFLIGHT_EXIT.clean
	}
	for (const finding of report.findings) {
		io.out(formatFinding(finding, join(repoDir, finding.file)))
	}
	const inFiles = new Set(report.findings.map((f) => f.file)).size
	io.err(
		`preflight: ${countFindings(report.findings)} in ${plural(inFiles, 'file')} (checked ${plural(report.files, 'manifest file')} under ${where})`,
	)
	return PREFLIGHT_EXIT.findings
}

function plural(n: number, noun: string): string {
	return `${n} ${noun}${n === 1 ? '' : 's'}`
}

/**
 * Every file under the checkout that the filter accepts, by repository-relative path, sorted.
 * Only directories that can hold a match are entered; `.git` and symbolic links are skipped
 * (a link could leave the checkout, and Flux's kustomize refuses links out of its root).
 */
async function collect(
	root: string,
	fluxPaths: readonly string[],
	accept: (path: string) => boolean,
	io: Io,
): Promise<ManifestFile[] | undefined> {
	const bases = fluxPaths.map(globBase)
	const mayHold = (dir: string) =>
		bases.some((b) => b === '' || dir === b || b.startsWith(`${dir}/`) || dir.startsWith(`${b}/`))
	const files: ManifestFile[] = []
	const pending = ['']
	while (pending.length > 0) {
		const dir = pending.pop() as string
		let entries: Dirent[]
		try {
			entries = await readdir(join(root, dir), { withFileTypes: true })
		} catch (e) {
			io.err(`tidegate: cannot read ${join(root, dir)}: ${(e as Error).message}`)
			return undefined
		}
		for (const entry of entries) {
			const path = dir === '' ? entry.name : `${dir}/${entry.name}`
			if (entry.isDirectory() && entry.name !== '.git' && mayHold(path)) {
				pending.push(path)
			} else if (entry.isFile() && accept(path)) {
				let text: string
				try {
					text = new TextDecoder().decode(await readFile(join(root, path)))
				} catch (e) {
					io.err(`tidegate: cannot read ${join(root, path)}: ${(e as Error).message}`)
					return undefined
				}
				files.push({ path, text })
			}
		}
	}
	return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
}
