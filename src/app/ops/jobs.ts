/** How a cron job ended, as recorded in `cron_ticks`. */
export interface JobResult {
	outcome: 'ok' | 'skipped'
	detail: string
}
