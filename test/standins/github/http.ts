/** @module GitHub-style JSON answers and error bodies for the stand-in. */
import type { components } from '@octokit/openapi-types'

type BasicError = components['schemas']['basic-error']
type ValidationError = components['schemas']['validation-error']

/** One entry of a `Validation Failed` answer's `errors`. */
export type ValidationErrorItem = NonNullable<ValidationError['errors']>[number]

/** Documentation links GitHub puts in error bodies, by endpoint. */
export const DOCS = {
	rest: 'https://docs.github.com/rest',
	getRef: 'https://docs.github.com/rest/git/refs#get-a-reference',
	getCommit: 'https://docs.github.com/rest/commits/commits#get-a-commit',
	compare: 'https://docs.github.com/rest/commits/commits#compare-two-commits',
	getContent: 'https://docs.github.com/rest/repos/contents#get-repository-content',
	createStatus: 'https://docs.github.com/rest/commits/statuses#create-a-commit-status',
	listStatuses:
		'https://docs.github.com/rest/commits/statuses#list-commit-statuses-for-a-reference',
	listDeliveries:
		'https://docs.github.com/rest/repos/webhooks#list-deliveries-for-a-repository-webhook',
	getDelivery:
		'https://docs.github.com/rest/repos/webhooks#get-a-delivery-for-a-repository-webhook',
	redeliver:
		'https://docs.github.com/rest/repos/webhooks#redeliver-a-delivery-for-a-repository-webhook',
	ping: 'https://docs.github.com/rest/repos/webhooks#ping-a-repository-webhook',
	getPull: 'https://docs.github.com/rest/pulls/pulls#get-a-pull-request',
	listPullFiles: 'https://docs.github.com/rest/pulls/pulls#list-pull-requests-files',
	listComments: 'https://docs.github.com/rest/issues/comments#list-issue-comments',
	createComment: 'https://docs.github.com/rest/issues/comments#create-an-issue-comment',
	getComment: 'https://docs.github.com/rest/issues/comments#get-an-issue-comment',
	updateComment: 'https://docs.github.com/rest/issues/comments#update-an-issue-comment',
	deleteComment: 'https://docs.github.com/rest/issues/comments#delete-an-issue-comment',
	primaryRateLimit:
		'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-primary-rate-limits',
	secondaryRateLimit:
		'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits',
} as const

/** Reason phrases GitHub uses as `message` when nothing more specific applies. */
export const REASONS: Readonly<Record<number, string>> = {
	400: 'Bad Request',
	401: 'Bad credentials',
	403: 'Forbidden',
	404: 'Not Found',
	409: 'Conflict',
	410: 'Gone',
	422: 'Validation Failed',
	429: 'Too Many Requests',
	500: 'Server Error',
	502: 'Bad Gateway',
	503: 'Service Unavailable',
	504: 'Gateway Timeout',
}

/** A JSON answer with GitHub's content type. */
export function json(
	status: number,
	body: unknown,
	headers: Headers | Record<string, string> = {},
): Response {
	const response = new Response(status === 204 ? null : JSON.stringify(body), {
		status,
		headers,
	})
	if (status !== 204) {
		response.headers.set('content-type', 'application/json; charset=utf-8')
	}
	return response
}

/** GitHub's error body: `{"message", "documentation_url", "status"}` (status as a string). */
export function githubError(
	status: number,
	message: string = REASONS[status] ?? 'Error',
	documentationUrl: string = DOCS.rest,
	headers: Headers | Record<string, string> = {},
): Response {
	const body: BasicError = { message, documentation_url: documentationUrl, status: String(status) }
	return json(status, body, headers)
}

/** GitHub's 422 `Validation Failed` body with its `errors` list. */
export function validationFailed(
	errors: ValidationErrorItem[],
	documentationUrl: string,
	message = 'Validation Failed',
): Response {
	const body: ValidationError & { status: string } = {
		message,
		errors,
		documentation_url: documentationUrl,
		status: '422',
	}
	return json(422, body)
}
