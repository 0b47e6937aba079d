/**
 * @module A throwaway PostgreSQL cluster for the postgres probe: initdb in a temp dir, loopback
 * only, on a free port, with TLS on (the given certificate). PostgreSQL refuses to run as root,
 * so as uid 0 every server command runs as the `postgres` user through runuser.
 */
import { execFile } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { appendFile, chmod, chown, copyFile, mkdtemp, rm } from 'node:fs/promises'
import { userInfo } from 'node:os'
import { delimiter, join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** Where initdb and pg_ctl are: on PATH, else Debian's /usr/lib/postgresql/<newest>/bin. */
export function findPostgresBin(): string | null {
	for (const dir of (process.env.PATH ?? '').split(delimiter)) {
		if (dir && existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl'))) {
			return dir
		}
	}
	const base = '/usr/lib/postgresql'
	if (!existsSync(base)) {
		return null
	}
	const versions = readdirSync(base)
		.filter((v) => /^\d+(\.\d+)?$/.test(v))
		.sort((a, b) => Number(b) - Number(a))
	for (const v of versions) {
		const dir = join(base, v, 'bin')
		if (existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl'))) {
			return dir
		}
	}
	return null
}

/** A running cluster. */
export interface TestPostgres {
	port: number
	/** Turns TLS on or off and reloads (ssl is a reloadable setting). */
	setSsl(on: boolean): Promise<void>
	stop(): Promise<void>
	remove(): Promise<void>
}

/** Starts a cluster; `bin` from findPostgresBin(). */
export async function startPostgres(options: {
	bin: string
	port: number
	certPath: string
	keyPath: string
}): Promise<TestPostgres> {
	const asRoot = userInfo().uid === 0
	const pgUser = asRoot ? await userIds('postgres') : null
	if (asRoot && !pgUser) {
		throw new Error('running as root and there is no postgres user to run PostgreSQL as')
	}
	const pg = (tool: string, args: string[]) =>
		asRoot
			? run('runuser', ['-u', 'postgres', '--', join(options.bin, tool), ...args], {
					timeout: 60_000,
				})
			: run(join(options.bin, tool), args, { timeout: 60_000 })

	const dir = await mkdtemp('/tmp/tidegate-pg-')
	const data = join(dir, 'data')
	const cert = join(dir, 'server.crt')
	const key = join(dir, 'server.key')
	await copyFile(options.certPath, cert)
	await copyFile(options.keyPath, key)
	await chmod(key, 0o600)
	if (pgUser) {
		for (const path of [dir, cert, key]) {
			await chown(path, pgUser.uid, pgUser.gid)
		}
	}
	await pg('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8'])
	await appendFile(
		join(data, 'postgresql.conf'),
		[
			'',
			"listen_addresses = '127.0.0.1'",
			`port = ${options.port}`,
			`unix_socket_directories = '${dir}'`,
			'fsync = off',
			'ssl = on',
			`ssl_cert_file = '${cert}'`,
			`ssl_key_file = '${key}'`,
			'',
		].join('\n'),
	)
	const conf = join(data, 'postgresql.conf')
	await pg('pg_ctl', ['-D', data, '-l', join(dir, 'server.log'), '-w', '-t', '60', 'start'])
	return {
		port: options.port,
		async setSsl(on) {
			await appendFile(conf, `ssl = ${on ? 'on' : 'off'}\n`)
			await pg('pg_ctl', ['-D', data, 'reload'])
		},
		async stop() {
			await pg('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => {})
		},
		async remove() {
			await rm(dir, { recursive: true, force: true })
		},
	}
}

async function userIds(name: string): Promise<{ uid: number; gid: number } | null> {
	try {
		const [uid, gid] = await Promise.all([run('id', ['-u', name]), run('id', ['-g', name])])
		return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) }
	} catch {
		return null
	}
}
