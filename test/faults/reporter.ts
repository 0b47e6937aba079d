/**
 * @module A vitest reporter that prints the fault suite's counts per fault class (each top-level
 * `describe` of test/faults/ is one class) and writes them to reports/faults.json. Silent when
 * the run had no fault tests. Used by `npm test` and `npm run test:faults` (docs/reliability.md).
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join, relative, sep } from 'node:path'
import type { Reporter, TestModule } from 'vitest/node'

interface ClassCount {
	file: string
	faultClass: string
	cases: number
	passed: number
	failed: number
	skipped: number
	tried: string[]
}

/** Counts per fault class, printed after the run. */
export default class FaultsReporter implements Reporter {
	onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
		const classes = new Map<string, ClassCount>()
		for (const module of testModules) {
			const file = relative(process.cwd(), module.moduleId).split(sep).join('/')
			if (!file.startsWith('test/faults/')) {
				continue
			}
			for (const test of module.children.allTests()) {
				let top: { name: string; parent: unknown } = test
				while (top.parent && (top.parent as { type?: string }).type === 'suite') {
					top = top.parent as { name: string; parent: unknown }
				}
				const faultClass = top === test ? '(no class)' : top.name
				const key = `${file}\u0000${faultClass}`
				const count = classes.get(key) ?? {
					file,
					faultClass,
					cases: 0,
					passed: 0,
					failed: 0,
					skipped: 0,
					tried: [],
				}
				const state = test.result().state
				count.cases++
				if (state === 'passed') {
					count.passed++
				} else if (state === 'failed') {
					count.failed++
				} else {
					count.skipped++
				}
				count.tried.push(test.fullName.slice(faultClass.length).replace(/^ > /, ''))
				classes.set(key, count)
			}
		}
		if (classes.size === 0) {
			return
		}
		const rows = [...classes.values()]
		const total = rows.reduce(
			(t, r) => ({
				cases: t.cases + r.cases,
				passed: t.passed + r.passed,
				failed: t.failed + r.failed,
			}),
			{ cases: 0, passed: 0, failed: 0 },
		)
		const width = Math.max(...rows.map((r) => r.faultClass.length), 'fault class'.length)
		const line = (name: string, cases: unknown, passed: unknown, failed: unknown) =>
			`  ${name.padEnd(width)}  ${String(cases).padStart(5)}  ${String(passed).padStart(6)}  ${String(failed).padStart(6)}`
		const out = [
			'',
			`fault-injection suite (test/faults): ${rows.length} fault classes, ${total.cases} cases, ${total.passed} passed, ${total.failed} failed`,
			line('fault class', 'cases', 'passed', 'failed'),
			...rows.map((r) => line(r.faultClass, r.cases, r.passed, r.failed)),
			'',
		]
		process.stdout.write(`${out.join('\n')}\n`)
		const dir = join(process.cwd(), 'reports')
		mkdirSync(dir, { recursive: true })
		writeFileSync(
			join(dir, 'faults.json'),
			`${JSON.stringify({ generatedAt: new Date().toISOString(), total, classes: rows }, null, 2)}\n`,
		)
	}
}
