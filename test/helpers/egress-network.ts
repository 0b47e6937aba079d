/**
 * @module What test/helpers/egress-global-setup.ts starts on loopback for the Worker's egress
 * tests, as handed to vitest.config.ts and the tests through `provide`/`inject`. Types only, no
 * Node imports, so both type-check programs (workerd and Node) can see it.
 */

/** One real agent process, standing for one node. */
export interface EgressTestNode {
	name: string
	url: string
	/**
	 * The source address its probes connect from (AGENT_SOURCE_ADDRESS): its "node IP", and the
	 * egress IP the Worker's echo reports for it.
	 */
	source: string
}

/** The loopback world of the egress tests. */
export interface EgressTestNetwork {
	/** The secret every agent shares; the integration project's AGENT_SECRET binding. */
	secret: string
	/** node-a, which fans out to node-b and node-c: the integration project's AGENT_URL. */
	agentUrl: string
	nodes: EgressTestNode[]
	/** The node whose source address the database's firewall drops (the seed's case). */
	cutOffNode: string
	ports: {
		/** A Postgres front door that drops `cutOffNode` and answers everyone else. */
		db: number
		/** A Postgres front door that drops every node but not the edge (127.0.0.1). */
		walled: number
		/** An HTTP service answering 200 (Label Studio behind the right port). */
		app: number
		/** Nothing listens here. */
		refused: number
	}
	/** A receiving agent ("node-solo") whose only peer is down. */
	soloAgentUrl: string
	/** Base URLs of things that are not a working agent, each failing one way. */
	impostors: {
		html: string
		tunnelError: string
		garbage: string
		array: string
		invalid: string
		otherRequest: string
		serverError: string
		/** A valid matrix without X-Tidegate-Response-Signature (does not hold the secret). */
		unsigned: string
		/** A valid matrix signed for another request (a recorded answer played back). */
		replayedAnswer: string
		slow: string
		huge: string
		refused: string
	}
}

declare module 'vitest' {
	export interface ProvidedContext {
		egress: EgressTestNetwork
	}
}
