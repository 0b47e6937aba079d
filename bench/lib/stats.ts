/** @module Small statistics and process helpers shared by the benchmarks in bench/. */
import { readFile } from 'node:fs/promises'

/** The value at quantile q (0..1) of an ascending list (nearest rank). */
export function quantile(sorted: readonly number[], q: number): number {
	const i = Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))))
	return sorted[i] ?? Number.NaN
}

/** Median, min, max and spread ((max - min) / median) of a sample. */
export interface Summary {
	n: number
	min: number
	median: number
	max: number
	/** (max - min) / median: how much runs disagree. */
	spread: number
}

/** Summarises a sample. */
export function summarise(values: readonly number[]): Summary {
	const sorted = [...values].sort((a, b) => a - b)
	const median = quantile(sorted, 0.5)
	const min = sorted[0] ?? Number.NaN
	const max = sorted[sorted.length - 1] ?? Number.NaN
	return { n: sorted.length, min, median, max, spread: median === 0 ? 0 : (max - min) / median }
}

/** Rounds for reports. */
export const round = (value: number, digits = 2): number => {
	const f = 10 ** digits
	return Math.round(value * f) / f
}

/** CPU time (user + system) a process and its children have used, in milliseconds (Linux /proc). */
export async function processCpuMs(pid: number): Promise<number> {
	const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '')
	// Fields after the command (which may contain spaces) start after the last ')'.
	const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
	// utime, stime are fields 14 and 15 (1-based) → indexes 11 and 12 here; clock ticks of 10 ms.
	const ticks = Number(fields[11] ?? 0) + Number(fields[12] ?? 0)
	return ticks * 10
}

/** Pids of a process's descendants (Linux /proc), for servers that fork. */
export async function descendants(pid: number): Promise<number[]> {
	const { readdir } = await import('node:fs/promises')
	const parents = new Map<number, number[]>()
	for (const entry of await readdir('/proc')) {
		if (!/^\d+$/.test(entry)) {
			continue
		}
		const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '')
		const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
		parents.set(ppid, [...(parents.get(ppid) ?? []), Number(entry)])
	}
	const out: number[] = []
	const walk = (p: number) => {
		for (const child of parents.get(p) ?? []) {
			out.push(child)
			walk(child)
		}
	}
	walk(pid)
	return out
}

/** CPU milliseconds of a process tree. */
export async function treeCpuMs(pid: number): Promise<number> {
	const pids = [pid, ...(await descendants(pid))]
	const values = await Promise.all(pids.map(processCpuMs))
	return values.reduce((a, b) => a + b, 0)
}

/** The machine's CPU counters (Linux /proc/stat, all CPUs): total and stolen by the hypervisor. */
export async function machineCpu(): Promise<{ total: number; steal: number }> {
	const line = (await readFile('/proc/stat', 'utf8').catch(() => '')).split('\n')[0] ?? ''
	// cpu user nice system idle iowait irq softirq steal …
	const fields = line.trim().split(/\s+/).slice(1).map(Number)
	return { total: fields.reduce((a, b) => a + b, 0), steal: fields[7] ?? 0 }
}

/**
 * Share of the machine's CPU time the hypervisor took between two readings. On a shared VM it
 * says when throughput figures were taken on a machine that was not all ours.
 */
export function stealShare(
	before: { total: number; steal: number },
	after: { total: number; steal: number },
): number {
	const total = after.total - before.total
	return total > 0 ? (after.steal - before.steal) / total : 0
}
