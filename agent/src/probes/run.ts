/**
 * @module Runs one probe under its timeout and turns every outcome, including a deadline or a
 * socket error, into a result value. A probe never throws.
 */
import type { AgentProbe, AgentTarget, AgentTargetResult } from '../../../src/contracts/agent.ts'
import { probeHttp } from './http.ts'
import { probePostgres } from './postgres.ts'
import { classify, type ProbeOptions, Trace } from './steps.ts'
import { probeTcp } from './tcp.ts'
import { probeTls } from './tls.ts'

const PROBES: Record<AgentProbe, (trace: Trace) => Promise<void>> = {
	tcp: probeTcp,
	tls: probeTls,
	postgres: probePostgres,
	http: probeHttp,
}

/** Probes one target; the whole probe (DNS to verdict) gets `timeoutMs`. */
export async function runProbe(
	target: AgentTarget,
	timeoutMs: number,
	options: ProbeOptions = {},
): Promise<AgentTargetResult> {
	const controller = new AbortController()
	const timer = setTimeout(() => controller.abort(), timeoutMs)
	const trace = new Trace(target, controller.signal, options)
	let ok = false
	try {
		await PROBES[target.probe](trace)
		ok = true
		return trace.result(null)
	} catch (error) {
		return trace.result(classify(error, trace))
	} finally {
		clearTimeout(timer)
		trace.close(ok)
	}
}

/** The result for a target that never got a probe slot: unknown, not failing. */
export function overloadedResult(target: AgentTarget, waitedMs: number): AgentTargetResult {
	return {
		target: target.name,
		probe: target.probe,
		ok: false,
		latencyMs: Math.round(waitedMs * 10) / 10,
		error: 'overloaded',
		phase: 'queue',
		message: 'no free probe slot on this agent within the timeout',
		phases: {},
	}
}
