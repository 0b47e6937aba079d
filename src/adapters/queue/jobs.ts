/** Typed producers for the JOBS queue and its dead-letter queue. */
import type { JobMessage } from '../../contracts/queue.ts'
import type { DeadLetterQueue, JobQueue } from '../../domain/ports.ts'

/** The JOBS producer. `send` is awaited by callers before they answer: a failed send must surface. */
export function jobQueue(queue: Queue<JobMessage>): JobQueue {
	return {
		async send(message) {
			await queue.send(message, { contentType: 'json' })
		},
		async sendBatch(messages) {
			if (messages.length > 0) {
				await queue.sendBatch(messages.map((body) => ({ body, contentType: 'json' })))
			}
		},
	}
}

/** The body of a message sent straight to the dead-letter queue. */
export interface DeadLetterEnvelope {
	deadLetter: true
	reason: string
	queue: string
	messageId: string
	body: unknown
}

/** The JOBS_DLQ producer, for messages that can never succeed. */
export function deadLetterQueue(queue: Queue<DeadLetterEnvelope>): DeadLetterQueue {
	return {
		async send(letter) {
			await queue.send({ deadLetter: true, ...letter }, { contentType: 'json' })
		},
	}
}
