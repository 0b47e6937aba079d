// Runs the real `bin/tidegate.js` in a child process with the project's Node 22, from the repo root.
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const ROOT = fileURLToPath(new URL('../../..', import.meta.url))
export const NODE = join(ROOT, 'node_modules/.bin/node')

/** How a command ended. */
export interface Run {
	status: number | null
	stdout: string
	stderr: string
}

/** Runs a command to completion, collecting its exit status and output. */
export function runCommand(
	command: string,
	args: string[],
	options: { cwd?: string; env?: Record<string, string | undefined> } = {},
): Promise<Run> {
	return new Promise((resolve, reject) => {
		const child = spawn(command, args, {
			cwd: options.cwd ?? ROOT,
			env: options.env ?? process.env,
			stdio: ['ignore', 'pipe', 'pipe'],
		})
		let stdout = ''
		let stderr = ''
		child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
			stdout += chunk
		})
		child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
			stderr += chunk
		})
		child.on('error', reject)
		child.on('close', (status) => resolve({ status, stdout, stderr }))
	})
}

/** `node bin/tidegate.js ...args`. */
export function tidegate(args: string[], env?: Record<string, string | undefined>): Promise<Run> {
	return runCommand(NODE, ['bin/tidegate.js', ...args], env ? { env } : {})
}
