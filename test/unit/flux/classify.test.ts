import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
	classifyFailure,
	FAILURE_CLASSES,
	FAILURE_HINTS,
	hintFor,
	isFailureClass,
} from '../../../src/domain/flux/classify.ts'
import { FAILURES } from '../../fixtures/flux/messages.ts'

describe('failure classification from realistic controller messages', () => {
	for (const f of FAILURES) {
		it(`${f.name} → ${f.expected}`, () => {
			expect(classifyFailure(f)).toBe(f.expected)
		})
	}

	it('has fixtures for every class, from both controllers where both report it', () => {
		for (const id of FAILURE_CLASSES) {
			expect(FAILURES.filter((f) => f.expected === id).length, id).toBeGreaterThanOrEqual(2)
		}
		for (const id of [
			'validation-error',
			'health-check-timeout',
			'dependency-not-ready',
		] as const) {
			const kinds = new Set(FAILURES.filter((f) => f.expected === id).map((f) => f.kind))
			expect([...kinds].sort(), id).toEqual(['HelmRelease', 'Kustomization'])
		}
	})
})

describe('classification rules', () => {
	it('ignores the Helm log appended to a message (it mentions waits on every install)', () => {
		const message =
			'Helm install failed for release web/shop with chart shop@1.2.0: another operation (install/upgrade/rollback) is in progress\n\nLast Helm logs:\n\nwaiting for 3 resources with timeout of 5m0s\nBeginning wait for 3 resources with timeout of 5m0s'
		expect(classifyFailure({ kind: 'HelmRelease', reason: 'InstallFailed', message })).toBe('other')
	})

	it('prefers ownership over the "validation error" words inside its text', () => {
		expect(
			classifyFailure({
				reason: 'UpgradeFailed',
				message:
					'Unable to continue with update: Secret "x" in namespace "y" exists and cannot be imported into the current release: invalid ownership metadata; annotation validation error: missing key',
			}),
		).toBe('helm-ownership-conflict')
	})

	it('falls back on the reason when the message says nothing known', () => {
		expect(classifyFailure({ reason: 'HealthCheckFailed', message: 'something odd' })).toBe(
			'health-check-timeout',
		)
		expect(classifyFailure({ reason: 'BuildFailed', message: '' })).toBe('validation-error')
		expect(classifyFailure({ reason: 'RetriesExceeded', message: '' })).toBe('retries-exhausted')
	})

	it('treats an unexplained source-controller failure as a source failure', () => {
		expect(classifyFailure({ kind: 'OCIRepository', reason: 'Weird', message: 'nope' })).toBe(
			'artifact-failure',
		)
	})

	it('puts unknown messages in other', () => {
		expect(classifyFailure({ reason: 'Mystery', message: 'the cluster is on fire' })).toBe('other')
		expect(classifyFailure({})).toBe('other')
	})

	it('never throws, whatever it is given', () => {
		fc.assert(
			fc.property(fc.anything(), fc.anything(), fc.anything(), (kind, reason, message) => {
				const id = classifyFailure({ kind, reason, message } as never)
				return isFailureClass(id)
			}),
		)
		fc.assert(
			fc.property(fc.string({ maxLength: 5000 }), fc.string(), (message, reason) =>
				isFailureClass(classifyFailure({ reason, message })),
			),
		)
	})

	it('has a one-line hint per class', () => {
		for (const id of FAILURE_CLASSES) {
			expect(hintFor(id)).toBe(FAILURE_HINTS[id].hint)
			expect(hintFor(id)).not.toContain('\n')
			expect(hintFor(id).length).toBeGreaterThan(20)
		}
	})

	it('keeps its ids stable (they are stored and filtered on)', () => {
		expect(FAILURE_CLASSES).toEqual([
			'helm-ownership-conflict',
			'validation-error',
			'retries-exhausted',
			'health-check-timeout',
			'dependency-not-ready',
			'artifact-failure',
			'other',
		])
	})
})
