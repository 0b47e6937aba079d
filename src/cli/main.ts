/**
 * @module `tidegate <command>`: the same core code as the Worker, for CI and for people.
 * Exit codes: 0 success, 1 the input is invalid (or the command failed), 2 usage or unreadable input.
 */
import { parseArgs } from 'node:util'
import { validateCommand } from './validate.ts'

const USAGE = `usage: tidegate <command> [options]

commands:
  validate [file]   check a tidegate.yaml (default ./tidegate.yaml); exit 1 on errors
`

/** Output sinks, so tests can capture them. */
export interface Io {
	out(line: string): void
	err(line: string): void
}

const processIo: Io = {
	out: (line) => process.stdout.write(`${line}\n`),
	err: (line) => process.stderr.write(`${line}\n`),
}

/** Runs one command and returns its exit code. Never throws for bad input. */
export async function main(argv: string[], io: Io = processIo): Promise<number> {
	const [command, ...rest] = argv
	try {
		switch (command) {
			case 'validate': {
				const { positionals } = parseArgs({ args: rest, allowPositionals: true, options: {} })
				return await validateCommand(positionals[0] ?? 'tidegate.yaml', io)
			}
			case undefined:
			case 'help':
			case '--help':
			case '-h':
				io.out(USAGE)
				return command === undefined ? 2 : 0
			default:
				io.err(`tidegate: unknown command "${command}"\n\n${USAGE}`)
				return 2
		}
	} catch (e) {
		// parseArgs reports unknown flags by throwing; anything else is a bug worth its message only.
		io.err(`tidegate: ${e instanceof Error ? e.message : String(e)}`)
		return 2
	}
}
