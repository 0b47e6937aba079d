/**
 * @module The check: this node's probes and, with fan-out, every peer's, all in parallel, so the
 * whole node × target matrix costs about one probe timeout.
 */
import type {
	AgentCheckRequest,
	AgentCheckResponse,
	AgentNodeReport,
	AgentTargetResult,
} from '../../src/contracts/agent.ts'
import type { AddressPolicy } from './addresses.ts'
import type { AgentConfig } from './config.ts'
import type { EgressIpSource } from './egress-ip.ts'
import type { Logger } from './log.ts'
import { askPeer, discoverPeers } from './peers.ts'
import { overloadedResult, runProbe } from './probes/run.ts'
import type { Semaphore } from './semaphore.ts'

/** What a check needs from the running agent. */
export interface CheckContext {
	config: AgentConfig
	log: Logger
	probes: Semaphore
	/** Which resolved addresses probes may connect to. */
	addresses: AddressPolicy
	/** This node's public egress IP, as the Worker sees it. */
	egressIp: EgressIpSource
	/** Peer base URL → the node name it last answered with, to name it when it is down. */
	peerNames: Map<string, string>
}

/** Probes every target from this node, within the shared concurrency bound. */
export async function probeHere(
	ctx: CheckContext,
	request: AgentCheckRequest & { timeoutMs: number },
): Promise<AgentNodeReport> {
	const observedAt = Date.now()
	const t0 = performance.now()
	const egressIp = ctx.egressIp.current(request.timeoutMs)
	const results = await Promise.all(
		request.targets.map(async (target): Promise<AgentTargetResult> => {
			const queued = performance.now()
			if (!(await ctx.probes.acquire(request.timeoutMs))) {
				return overloadedResult(target, performance.now() - queued)
			}
			try {
				return await runProbe(target, request.timeoutMs, {
					sourceAddress: ctx.config.sourceAddress,
					addresses: ctx.addresses,
				})
			} finally {
				ctx.probes.release()
			}
		}),
	)
	return {
		node: ctx.config.nodeName,
		reachable: true,
		error: null,
		observedAt,
		egressIp: await egressIp,
		durationMs: Math.round((performance.now() - t0) * 10) / 10,
		results,
	}
}

/**
 * Runs a whole check: this node, plus every peer when `fanout` is not false. `accepted` is the
 * signature and timestamp of the request being answered, passed to the peers as `origin`.
 */
export async function runCheck(
	ctx: CheckContext,
	request: AgentCheckRequest & { timeoutMs: number; requestId: string },
	accepted: { signature: string; timestamp: number },
): Promise<AgentCheckResponse> {
	if (request.fanout === false) {
		return { requestId: request.requestId, nodes: [await probeHere(ctx, request)] }
	}
	const own = probeHere(ctx, request)
	const discovery = await discoverPeers(ctx.config.peers, ctx.config.podIp)
	if (discovery.error) {
		ctx.log.log('warn', 'peer-discovery-failed', {
			requestId: request.requestId,
			error: discovery.error,
		})
	}
	const secret = ctx.config.secrets[0] ?? ''
	const peers = await Promise.all(
		discovery.urls.map((url) =>
			askPeer({
				url,
				knownName: ctx.peerNames.get(url),
				request,
				origin: accepted,
				secret,
				graceMs: ctx.config.peerGraceMs,
			}),
		),
	)
	const self = await own
	const nodes: AgentNodeReport[] = [self]
	const seen = new Set([self.node])
	for (const report of peers) {
		if (report.reachable && report.peer) {
			ctx.peerNames.set(report.peer, report.node)
		}
		if (seen.has(report.node)) {
			// Our own address in a static list, or two peers claiming one node: keep the first.
			if (report.node !== self.node) {
				ctx.log.log('warn', 'duplicate-node', { node: report.node, peer: report.peer })
			}
			continue
		}
		seen.add(report.node)
		nodes.push(report)
		if (!report.reachable) {
			ctx.log.log('warn', 'peer-unreachable', {
				requestId: request.requestId,
				peer: report.peer,
				error: report.error,
				message: report.message,
			})
		}
	}
	const [first, ...rest] = nodes
	// Reachable peers by name, then the unreachable ones by name.
	rest.sort((a, b) => Number(b.reachable) - Number(a.reachable) || a.node.localeCompare(b.node))
	return {
		requestId: request.requestId,
		nodes: first ? [first, ...rest] : rest,
		discovery: {
			source: discovery.source,
			peers: discovery.urls.length,
			error: discovery.error,
		},
	}
}
