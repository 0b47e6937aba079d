import { describe, expect, it } from 'vitest'
import {
	normalizeMetadata,
	outcomeOf,
	parseRevision,
	revisionKey,
	toFluxEvent,
} from '../../../src/domain/flux/event.ts'
import { FAILURES, PROGRESS, SUCCESSES } from '../../fixtures/flux/messages.ts'

const SHA = '0123456789abcdef0123456789abcdef01234567'

describe('revisions in every form Flux has sent', () => {
	const cases: [string, ReturnType<typeof parseRevision>][] = [
		[`main@sha1:${SHA}`, { raw: `main@sha1:${SHA}`, type: 'git', ref: 'main', commitSha: SHA }],
		[
			`environment/dev@sha1:${SHA}`,
			{ raw: `environment/dev@sha1:${SHA}`, type: 'git', ref: 'environment/dev', commitSha: SHA },
		],
		[
			`v1.2.0@sha1:${SHA}`,
			{ raw: `v1.2.0@sha1:${SHA}`, type: 'git', ref: 'v1.2.0', commitSha: SHA },
		],
		[`sha1:${SHA}`, { raw: `sha1:${SHA}`, type: 'git', ref: null, commitSha: SHA }],
		[`main/${SHA}`, { raw: `main/${SHA}`, type: 'git', ref: 'main', commitSha: SHA }],
		[
			`release/2026/${SHA}`,
			{ raw: `release/2026/${SHA}`, type: 'git', ref: 'release/2026', commitSha: SHA },
		],
		[SHA, { raw: SHA, type: 'git', ref: null, commitSha: SHA }],
		[
			`latest@sha256:${'a'.repeat(64)}`,
			{ raw: `latest@sha256:${'a'.repeat(64)}`, type: 'oci', ref: 'latest', commitSha: null },
		],
		[
			`sha256:${'b'.repeat(64)}`,
			{ raw: `sha256:${'b'.repeat(64)}`, type: 'oci', ref: null, commitSha: null },
		],
		['6.5.3', { raw: '6.5.3', type: 'chart', ref: null, commitSha: null }],
		[
			'1.2.0-rc.1+3a1f2b9c4d5e',
			{ raw: '1.2.0-rc.1+3a1f2b9c4d5e', type: 'chart', ref: null, commitSha: null },
		],
		['main', { raw: 'main', type: 'other', ref: null, commitSha: null }],
		['', null],
	]
	for (const [raw, expected] of cases) {
		it(`parses ${raw || '(empty)'}`, () => {
			expect(parseRevision(raw)).toEqual(expected)
		})
	}

	it('lowercases an uppercase commit', () => {
		expect(parseRevision(`main@sha1:${SHA.toUpperCase()}`)?.commitSha).toBe(SHA)
	})
})

describe('metadata keys, prefixed and bare', () => {
	it('strips API-group prefixes', () => {
		expect(
			normalizeMetadata({
				'kustomize.toolkit.fluxcd.io/revision': `main@sha1:${SHA}`,
				'kustomize.toolkit.fluxcd.io/originRevision': 'x',
				'event.toolkit.fluxcd.io/cluster': 'tethys',
			}),
		).toEqual({ revision: `main@sha1:${SHA}`, originRevision: 'x', cluster: 'tethys' })
	})

	it('keeps bare keys as they are', () => {
		expect(normalizeMetadata({ revision: '1.2.0', 'app-version': '1.2.0', summary: 's' })).toEqual({
			revision: '1.2.0',
			'app-version': '1.2.0',
			summary: 's',
		})
	})

	it('lets the controller-prefixed key win over a bare one', () => {
		expect(
			normalizeMetadata({ revision: 'from-alert', 'helm.toolkit.fluxcd.io/revision': '1.2.0' }),
		).toEqual({ revision: '1.2.0' })
	})

	it('stringifies non-string values instead of failing', () => {
		expect(normalizeMetadata({ n: 3, b: true })).toEqual({ n: '3', b: 'true' })
	})
})

describe('outcome of an event', () => {
	for (const s of SUCCESSES) {
		it(`success: ${s.reason} "${s.message.slice(0, 40)}"`, () => {
			expect(outcomeOf({ ...s, severity: 'info' })).toBe('success')
		})
	}
	for (const p of PROGRESS) {
		it(`progress: ${p.reason} "${p.message.slice(0, 40)}"`, () => {
			expect(outcomeOf({ ...p, severity: 'info' })).toBe('progress')
		})
	}
	for (const f of FAILURES) {
		it(`failure: ${f.name}`, () => {
			expect(outcomeOf(f)).toBe('failure')
		})
	}
	it('source-controller artifacts are successes of the source', () => {
		expect(
			outcomeOf({
				kind: 'GitRepository',
				severity: 'info',
				reason: 'NewArtifact',
				message: 'stored artifact',
			}),
		).toBe('success')
	})
	it('an unknown severity is never a success', () => {
		expect(
			outcomeOf({
				kind: 'Kustomization',
				severity: 'warning',
				reason: 'ReconciliationSucceeded',
				message: '',
			}),
		).toBe('progress')
	})
})

describe('building the recorded event', () => {
	const input = {
		involvedObject: { kind: 'HelmRelease', namespace: 'web', name: 'shop' },
		severity: 'error',
		timestamp: '2026-01-02T03:05:00Z',
		message: 'Helm install failed: install retries exhausted',
		reason: 'InstallFailed',
		metadata: { 'helm.toolkit.fluxcd.io/revision': '1.2.0' },
		reportingController: 'helm-controller',
	}

	it('takes the time from the event, the class from the message', () => {
		const e = toFluxEvent(input, 99)
		expect(e).toMatchObject({
			occurredAt: Date.parse('2026-01-02T03:05:00Z'),
			receivedAt: 99,
			outcome: 'failure',
			failureClass: 'retries-exhausted',
			revision: { raw: '1.2.0', type: 'chart' },
			commitSha: null,
			commitInferred: false,
		})
		expect(revisionKey(e)).toBe('1.2.0')
	})

	it('uses the received time when Flux sent none, and the origin revision for the commit', () => {
		const e = toFluxEvent(
			{
				...input,
				timestamp: undefined,
				metadata: {
					revision: `latest@sha256:${'c'.repeat(64)}`,
					originRevision: `main@sha1:${SHA}`,
				},
			},
			1234,
		)
		expect(e.occurredAt).toBe(1234)
		expect(e.commitSha).toBe(SHA)
		expect(revisionKey(e)).toBe(SHA)
	})
})
