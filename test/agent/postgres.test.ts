/**
 * The postgres probe against a real PostgreSQL server (a throwaway cluster on loopback). Skipped,
 * with the reason, only where no PostgreSQL binaries exist at all.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runProbe } from '../../agent/src/probes/run.ts'
import { type AgentTarget, agentTargetResultSchema } from '../../src/contracts/agent.ts'
import { selfSignedCert, type TestCert } from './helpers/certs.ts'
import { freePort } from './helpers/net.ts'
import { findPostgresBin, startPostgres, type TestPostgres } from './helpers/postgres.ts'

const bin = findPostgresBin()
const reason = 'no PostgreSQL binaries (initdb, pg_ctl) on PATH or under /usr/lib/postgresql/*/bin'

describe.skipIf(!bin)(
	`postgres probe against a real server${bin ? '' : ` — skipped: ${reason}`}`,
	() => {
		let cert: TestCert
		let pg: TestPostgres
		let target: AgentTarget

		beforeAll(async () => {
			cert = await selfSignedCert(3)
			pg = await startPostgres({
				bin: bin ?? '',
				port: await freePort(),
				certPath: cert.certPath,
				keyPath: cert.keyPath,
			})
			target = { name: 'db', host: 'localhost', port: pg.port, probe: 'postgres' }
		}, 90_000)

		afterAll(async () => {
			await pg?.stop()
			await pg?.remove()
			await cert?.remove()
		}, 30_000)

		it("answers 'S' with TLS on, and the certificate days left are reported", async () => {
			const r = await runProbe(target, 3000)
			expect(agentTargetResultSchema.safeParse(r).success).toBe(true)
			expect(r).toMatchObject({ ok: true, error: null, postgres: { ssl: true } })
			expect(r.phases.handshake).toBeGreaterThanOrEqual(0)
			expect(r.phases.tls).toBeGreaterThan(0)
			expect(r.tls?.daysLeft).toBeGreaterThan(2.9)
			expect(r.tls?.daysLeft).toBeLessThanOrEqual(3)
		})

		it("answers 'N' once TLS is turned off", async () => {
			await pg.setSsl(false)
			let r = await runProbe(target, 3000)
			for (let i = 0; i < 50 && r.postgres?.ssl !== false; i++) {
				await new Promise((resolve) => setTimeout(resolve, 100)) // the reload is asynchronous
				r = await runProbe(target, 3000)
			}
			expect(r).toMatchObject({ ok: true, error: null, postgres: { ssl: false } })
			expect(r.tls).toBeUndefined()
		})

		it('says refused once the server is down', async () => {
			await pg.stop()
			const r = await runProbe({ ...target, host: '127.0.0.1' }, 3000)
			expect(r).toMatchObject({ ok: false, error: 'refused', phase: 'connect' })
		})
	},
)
