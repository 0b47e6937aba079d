/**
 * @module The baseline a benchmark compares with in the same run: the same benchmark code (this
 * bench/ folder, copied over) run against an earlier commit's sources, checked out as a
 * `git worktree` in the system's temporary folder and sharing this checkout's node_modules.
 *
 *   BENCH_BASELINE=<ref>   the commit to compare with (default: BASELINE_COMMIT); `none` skips it
 */
import { execFileSync, spawn } from 'node:child_process'
import { cpSync, existsSync, lstatSync, readlinkSync, symlinkSync, unlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

/** main's head before the performance work (the figures in docs/performance.md compare with it). */
export const BASELINE_COMMIT = '66aa5e029e7673874e9589632871e01c6a98caf2'

/** The line a benchmark prints its result on when BENCH_JSON is set. */
const JSON_PREFIX = 'BENCH_JSON:'

/** The baseline's commit, or null when BENCH_BASELINE=none. */
export function baselineCommit(): string | null {
	const ref = process.env.BENCH_BASELINE ?? BASELINE_COMMIT
	if (ref === 'none' || ref === '') {
		return null
	}
	return execFileSync('git', ['rev-parse', '--verify', `${ref}^{commit}`], {
		cwd: ROOT,
		encoding: 'utf8',
	}).trim()
}

/** A checkout of the baseline with this bench/ folder in it; created once, then reused. */
export function baselineRoot(commit: string): string {
	const dir = join(tmpdir(), `tidegate-baseline-${commit.slice(0, 12)}`)
	if (!existsSync(join(dir, 'package.json'))) {
		// A checkout removed by hand leaves its registration behind; prune it first.
		execFileSync('git', ['worktree', 'prune'], { cwd: ROOT })
		execFileSync('git', ['worktree', 'add', '--detach', '--force', dir, commit], {
			cwd: ROOT,
			stdio: 'ignore',
		})
	}
	// The checkout may have been made from another clone (since removed): point it at this one's.
	const modules = join(dir, 'node_modules')
	const existing = lstatSync(modules, { throwIfNoEntry: false })
	if (existing?.isSymbolicLink() && readlinkSync(modules) !== join(ROOT, 'node_modules')) {
		unlinkSync(modules)
	}
	if (!existsSync(modules)) {
		symlinkSync(join(ROOT, 'node_modules'), modules, 'dir')
	}
	cpSync(join(ROOT, 'bench'), join(dir, 'bench'), { recursive: true, force: true })
	return dir
}

/** Prints a benchmark's result for runBaseline when BENCH_JSON is set; true when it did. */
export function printJsonResult(result: unknown): boolean {
	if (!process.env.BENCH_JSON) {
		return false
	}
	process.stdout.write(`\n${JSON_PREFIX}${JSON.stringify(result)}\n`)
	return true
}

/**
 * Runs `bench/<script>` in the baseline's checkout as a child process and returns what it printed
 * with printJsonResult, or null when no baseline is wanted. Waits for the child to exit.
 */
export async function runBaseline<T>(
	script: string,
	env: Record<string, string> = {},
): Promise<{ commit: string; result: T } | null> {
	const commit = baselineCommit()
	if (!commit) {
		return null
	}
	const dir = baselineRoot(commit)
	const child = spawn(process.execPath, [join(dir, 'bench', script)], {
		cwd: dir,
		env: { ...process.env, ...env, BENCH_JSON: '1', BENCH_BASELINE: 'none' },
		stdio: ['ignore', 'pipe', 'inherit'],
	})
	let out = ''
	child.stdout.setEncoding('utf8')
	child.stdout.on('data', (chunk: string) => {
		out += chunk
	})
	const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
	const line = out.split('\n').find((l) => l.startsWith(JSON_PREFIX))
	if (code !== 0 || !line) {
		throw new Error(`baseline ${script} at ${commit.slice(0, 7)} exited ${code}:\n${out}`)
	}
	return { commit, result: JSON.parse(line.slice(JSON_PREFIX.length)) as T }
}
