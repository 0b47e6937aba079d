/** @module TCP probe: resolve and connect; success means something accepts on the port. */
import { connect, resolve, type Trace } from './steps.ts'

/** Resolves and connects, then closes. */
export async function probeTcp(trace: Trace): Promise<void> {
	await connect(trace, await resolve(trace))
}
