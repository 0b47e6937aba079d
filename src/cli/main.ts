/**
 * @module `tidegate <command>`: the same core code as the Worker, for CI and for people.
 * Exit codes: 0 success or in sync; 1 invalid input, ownership conflicts, refused plan or failed
 * command, a required egress cell failing; 2 unreadable file (validate, preflight), changes
 * pending (plan) or egress cells unknown; 64 bad usage (EX_USAGE), so it never reads as
 * "pending"; 70 an internal error.
 */
import { parseArgs } from 'node:util'
import { edgeCommand } from './edge.ts'
import { egressCommand, parseEgressArgs } from './egress.ts'
import { parsePreflightArgs, preflightCommand } from './preflight.ts'
import { validateCommand } from './validate.ts'

/** Bad usage: unknown command or option, too many arguments. */
export const EXIT_USAGE = 64
/** A bug in tidegate (EX_SOFTWARE). */
export const EXIT_SOFTWARE = 70

const USAGE = `usage: tidegate <command> [options]

commands:
  validate [file]          check a tidegate.yaml (default ./tidegate.yaml); exit 1 on errors
  preflight <repo-dir>     find ownership conflicts in the Flux manifests; exit 1 on conflicts
  plan [file]              diff against the live Cloudflare state; exit 2 when changes are pending
  apply [file] [--force]   write the changes (--force lifts only the sync.maxDeletions rail and
                           the rail on other teams' entries vanishing since the last write)
  egress [--timeout ms] [--json]
                           check egress from every node now, through the Worker; exit 1 when a
                           required node cannot reach a target, 2 when some are unknown

preflight reads <repo-dir>/tidegate.yaml unless --config names another file.
plan and apply read CF_API_BASE_URL, CF_TUNNEL_API_TOKEN, CF_ZERO_TRUST_API_TOKEN,
CF_DNS_API_TOKEN (DNS is skipped without it) and TIDEGATE_OWNER. The CLI keeps no history, so it
never removes an entry, record or route of a shared list: the Worker does that.
egress reads TIDEGATE_URL (the Worker) and TIDEGATE_ADMIN_TOKEN (its ADMIN_TOKEN).`

/** Output sinks, so tests can capture them. */
export interface Io {
	out(line: string): void
	err(line: string): void
}

const processIo: Io = {
	out: (line) => process.stdout.write(`${line}\n`),
	err: (line) => process.stderr.write(`${line}\n`),
}

class UsageError extends Error {}

/** Parses a command's arguments: at most one file, plus the given boolean flags. */
function parse(command: string, args: string[], flags: string[]) {
	const options = Object.fromEntries([
		['help', { type: 'boolean' as const, short: 'h' }],
		...flags.map((flag) => [flag, { type: 'boolean' as const }]),
	])
	let parsed: ReturnType<
		typeof parseArgs<{ args: string[]; allowPositionals: true; options: typeof options }>
	>
	try {
		parsed = parseArgs({ args, allowPositionals: true, options })
	} catch (e) {
		const option = /'([^']+)'/.exec((e as Error).message)?.[1] ?? ''
		throw new UsageError(`tidegate ${command}: unknown option ${option}`)
	}
	if (parsed.positionals.length > 1) {
		throw new UsageError(
			`tidegate ${command}: expected at most one file, got ${parsed.positionals.length}`,
		)
	}
	const values = parsed.values as Record<string, boolean | undefined>
	return {
		file: parsed.positionals[0] ?? 'tidegate.yaml',
		help: values.help === true,
		flag: (name: string) => values[name] === true,
	}
}

/** Runs one command and returns its exit code. Never throws for bad input. */
export async function main(argv: string[], io: Io = processIo): Promise<number> {
	const [command, ...rest] = argv
	try {
		switch (command) {
			case 'validate': {
				const args = parse(command, rest, [])
				if (args.help) {
					io.out(USAGE)
					return 0
				}
				return await validateCommand(args.file, io)
			}
			case 'preflight': {
				const args = parsePreflightArgs(rest)
				if ('problem' in args) {
					throw new UsageError(args.problem)
				}
				if (args.help) {
					io.out(USAGE)
					return 0
				}
				return await preflightCommand(args.repoDir, args.config, io)
			}
			case 'plan':
			case 'apply': {
				const args = parse(command, rest, command === 'apply' ? ['force'] : [])
				if (args.help) {
					io.out(USAGE)
					return 0
				}
				return await edgeCommand(
					command,
					args.file,
					{ force: args.flag('force'), env: process.env },
					io,
				)
			}
			case 'egress': {
				const args = parseEgressArgs(rest)
				if ('problem' in args) {
					throw new UsageError(args.problem)
				}
				if (args.help) {
					io.out(USAGE)
					return 0
				}
				return await egressCommand({ ...args, env: process.env }, io)
			}
			case undefined:
				io.err(USAGE)
				return EXIT_USAGE
			case 'help':
			case '--help':
			case '-h':
				io.out(USAGE)
				return 0
			default:
				throw new UsageError(`tidegate: unknown command "${command}"`)
		}
	} catch (e) {
		if (e instanceof UsageError) {
			io.err(`${e.message}\n\n${USAGE}`)
			return EXIT_USAGE
		}
		// A bug, not bad input: one line, no stack, and the conventional "internal software error" code.
		io.err(`tidegate: internal error: ${e instanceof Error ? e.message : String(e)}`)
		return EXIT_SOFTWARE
	}
}
