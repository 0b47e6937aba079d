/** @module Short-lived self-signed certificates made with the openssl CLI. */
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** A PEM certificate and its key. */
export interface TestCert {
	cert: string
	key: string
	certPath: string
	keyPath: string
	dir: string
	remove(): Promise<void>
}

/** A P-256 self-signed certificate for localhost and 127.0.0.1, valid for `days` days. */
export async function selfSignedCert(days: number, commonName = 'localhost'): Promise<TestCert> {
	const dir = await mkdtemp(join(tmpdir(), 'tidegate-cert-'))
	const certPath = join(dir, 'cert.pem')
	const keyPath = join(dir, 'key.pem')
	try {
		await run('openssl', [
			'req',
			'-x509',
			'-newkey',
			'ec',
			'-pkeyopt',
			'ec_paramgen_curve:prime256v1',
			'-nodes',
			'-keyout',
			keyPath,
			'-out',
			certPath,
			'-days',
			String(days),
			'-subj',
			`/CN=${commonName}`,
			'-addext',
			'subjectAltName=DNS:localhost,IP:127.0.0.1',
		])
	} catch (error) {
		throw new Error(
			`the openssl CLI is needed to make test certificates (apt-get install -y openssl): ${String(error)}`,
		)
	}
	return {
		cert: await readFile(certPath, 'utf8'),
		key: await readFile(keyPath, 'utf8'),
		certPath,
		keyPath,
		dir,
		remove: () => rm(dir, { recursive: true, force: true }),
	}
}
