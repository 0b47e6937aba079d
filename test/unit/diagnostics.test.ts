/** formatDiagnostic: the text a located finding prints as. */
import { describe, expect, it } from 'vitest'
import { formatDiagnostic, formatPath } from '../../src/domain/diagnostics.ts'

describe('formatDiagnostic', () => {
	it('prints file:line:col path message, and marks warnings', () => {
		expect(
			formatDiagnostic('tidegate.yaml', {
				severity: 'error',
				path: ['tunnel', 'ingress', 2, 'hostname'],
				message: 'hostname is empty',
				line: 12,
				column: 17,
			}),
		).toBe('tidegate.yaml:12:17 tunnel.ingress[2].hostname hostname is empty')
		expect(
			formatDiagnostic('t.yaml', {
				severity: 'warning',
				path: ['a'],
				message: 'm',
				line: 1,
				column: 1,
			}),
		).toBe('t.yaml:1:1 a warning: m')
	})

	it('names the whole document "(document)" and omits an unknown position', () => {
		expect(formatPath([])).toBe('(document)')
		expect(formatDiagnostic('t.yaml', { severity: 'error', path: [], message: 'm' })).toBe(
			't.yaml (document) m',
		)
	})
})
