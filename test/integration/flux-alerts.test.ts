// Alerts on Flux state changes only, with damping (docs/flux.md): asserted where they end up, at a
// test ALERT_WEBHOOK_URL, after the JOBS queue consumer sent them.
import { beforeEach, describe, expect, it } from 'vitest'
import { hintFor } from '../../src/domain/flux/classify.ts'
import { FAILURES } from '../fixtures/flux/messages.ts'
import {
	fluxEvent,
	kustomizationApplied,
	resetLedger,
	sendAll,
	sendFlux,
	sha,
	useAlertCapture,
	waitFor,
} from './support/flux.ts'

const received = useAlertCapture()

/** Alerts about the object named `name` (the first line names the object). */
const about = (name: string) =>
	received.filter((t) => t.split('\n')[0]?.match(/^\[tidegate\] Flux \S+\/(\S+) /)?.[1] === name)

/** Raises an alert for a fresh sentinel object and waits for it: every alert queued before it has been sent. */
async function drain(): Promise<void> {
	const name = `sentinel-${crypto.randomUUID().slice(0, 8)}`
	await sendAll(ownershipFailure(name, 0))
	await waitFor(() => about(name).length > 0)
}

const ownership = FAILURES.find((f) => f.expected === 'helm-ownership-conflict')?.message ?? ''

function ownershipFailure(name: string, at: number, attempt = 1): string {
	return fluxEvent({
		kind: 'HelmRelease',
		namespace: 'web',
		name,
		at,
		severity: 'error',
		reason: attempt === 1 ? 'InstallFailed' : 'UpgradeFailed',
		message: `${ownership} (attempt ${attempt})`,
		metadata: { revision: '1.2.0', 'app-version': '1.2.0' },
	})
}

function helmSuccess(name: string, at: number, version = '1.2.1'): string {
	return fluxEvent({
		kind: 'HelmRelease',
		namespace: 'web',
		name,
		at,
		reason: 'UpgradeSucceeded',
		message: `Helm upgrade succeeded for release web/${name}.v2 with chart ${name}@${version}`,
		metadata: { revision: version },
	})
}

function timeout(name: string, at: number, commit: string): string {
	return fluxEvent({
		name,
		at,
		severity: 'error',
		reason: 'HealthCheckFailed',
		message: `health check failed after 5m0s: timeout waiting for: [Deployment/apps/${name} status: 'InProgress'] (${at})`,
		metadata: { revision: `main@sha1:${commit}` },
	})
}

beforeEach(resetLedger)

describe('Flux alerts', () => {
	it('alerts once on ok → failing naming object, revision, class and hint; never on retries; once on recovery', async () => {
		const name = 'shop'
		await sendAll(kustomizationApplied('apps', sha('shop-commit'), 0))
		const first = await sendFlux(ownershipFailure(name, 10))
		expect(await first.json()).toMatchObject({ transition: 'ok→failing' })
		// helm-controller retrying: each a new event, none a new alert.
		for (let attempt = 2; attempt <= 4; attempt++) {
			const retry = await sendFlux(ownershipFailure(name, 10 + attempt * 30, attempt))
			expect(await retry.json()).toMatchObject({ transition: null })
		}
		const recovered = await sendFlux(helmSuccess(name, 600))
		expect(await recovered.json()).toMatchObject({ transition: 'failing→ok' })
		await drain()
		const alerts = about(name)
		expect(alerts).toHaveLength(2)
		const [failingAlert, recoveredAlert] = alerts
		expect(failingAlert).toContain('HelmRelease/web/shop is failing')
		expect(failingAlert).toContain('revision 1.2.0')
		expect(failingAlert).toContain(`commit ${sha('shop-commit').slice(0, 7)}, inferred`)
		expect(failingAlert).toContain('helm-ownership-conflict')
		expect(failingAlert).toContain(hintFor('helm-ownership-conflict'))
		expect(recoveredAlert).toMatch(
			/HelmRelease\/web\/shop recovered at revision 1\.2\.1 .*after 10m \(was helm-ownership-conflict\)/,
		)
	})

	it('damps transient failures: a timeout followed by success, or flapping, never alerts', async () => {
		const c = sha('flap')
		await sendAll(
			kustomizationApplied('flappy', c, 0),
			timeout('flappy', 10, c),
			kustomizationApplied('flappy', c, 20),
			timeout('flappy', 30, c),
			kustomizationApplied('flappy', c, 40),
			timeout('flappy', 50, c),
			kustomizationApplied('flappy', c, 60),
		)
		await drain()
		expect(about('flappy')).toEqual([])
	})

	it('alerts on a transient class once it fails twice in a row', async () => {
		const c = sha('stuck')
		await sendAll(kustomizationApplied('stuck', c, 0))
		const once = await sendFlux(timeout('stuck', 10, c))
		expect(await once.json()).toMatchObject({ transition: null })
		const twice = await sendFlux(timeout('stuck', 610, c))
		expect(await twice.json()).toMatchObject({ transition: 'ok→failing' })
		await drain()
		expect(about('stuck')).toEqual([
			expect.stringMatching(
				/Kustomization\/flux-system\/stuck is failing at commit \w{7} on main: health-check-timeout/,
			),
		])
		expect(about('stuck')[0]).toContain(hintFor('health-check-timeout'))
	})

	it('does not alert on an old failure that arrives after a newer success', async () => {
		const c = sha('late')
		await sendAll(kustomizationApplied('late', c, 100))
		const late = await sendFlux(
			fluxEvent({
				name: 'late',
				at: 50,
				severity: 'error',
				reason: 'ReconciliationFailed',
				message: 'Deployment/apps/late dry-run failed (Invalid): Deployment.apps "late" is invalid',
				metadata: { revision: `main@sha1:${c}` },
			}),
		)
		expect(await late.json()).toMatchObject({ transition: null })
		await drain()
		expect(about('late')).toEqual([])
	})

	it('does not alert again when Flux resends the same failing event', async () => {
		const body = ownershipFailure('resent', 10)
		for (let i = 0; i < 5; i++) {
			await sendFlux(body)
		}
		await drain()
		expect(about('resent')).toHaveLength(1)
	})
})
