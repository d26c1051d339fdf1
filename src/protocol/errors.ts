import { errorText, logEvent } from "../log";
import type { ErrorType, Result, WireError } from "../result";

/**
 * Errors on the wire: the one place a failure becomes a response. The seed fixes
 * the status — 400 for everything but ServerInternalException (500), the auth and
 * throttling errors included, so no SDK follows a redirect or retries a throttle
 * by itself.
 */
function statusOf(type: ErrorType): 400 | 500 {
	return type === "ServerInternalException" ? 500 : 400;
}

/** Thrown inside the Worker; rendered once, by `renderError`. */
export class AwsError extends Error {
	readonly type: ErrorType;
	readonly location: string | undefined;
	readonly retryAfter: number | undefined;
	constructor(wire: WireError);
	constructor(type: ErrorType, message: string, extra?: Partial<WireError>);
	constructor(a: ErrorType | WireError, message?: string, extra?: Partial<WireError>) {
		const wire: WireError =
			typeof a === "string" ? { type: a, message: message ?? "", ...extra } : a;
		super(wire.message);
		this.name = "AwsError";
		this.type = wire.type;
		this.location = wire.location;
		this.retryAfter = wire.retryAfter;
	}
}

export function unwrap<T>(result: Result<T>): T {
	if (!result.ok) throw new AwsError(result.error);
	return result.value;
}

const INTERNAL_MESSAGE = "The server experienced an internal error. Try again.";

/**
 * The only place an error becomes a response. Anything that is not an AwsError is
 * a bug or an outage: it is logged with the request id and answered with a
 * generic ServerInternalException, never with its message or stack. Its
 * x-amzn-RequestId and Date are stamped by ./responseHeaders.ts, as on every response.
 */
export function renderError(err: unknown, requestId: string): Response {
	let error: AwsError;
	if (err instanceof AwsError) {
		error = err;
	} else {
		// The stack goes to the operator's log only, never to the client.
		logEvent(
			"request_failed",
			{
				requestId,
				error: errorText(err),
				stack: err instanceof Error ? (err.stack ?? null) : null,
			},
			"error",
		);
		error = new AwsError("ServerInternalException", INTERNAL_MESSAGE);
	}
	const body: Record<string, unknown> = {
		__type: error.type,
		message: error.message,
		Message: error.message,
	};
	const headers = new Headers({
		"Content-Type": "application/x-amz-json-1.1",
		"x-amzn-ErrorType": error.type,
	});
	if (error.type === "RedirectException" && error.location) {
		body.Location = error.location;
		headers.set("Location", error.location);
	}
	if (error.type === "RateLimitExceededException" && error.retryAfter !== undefined) {
		headers.set("Retry-After", String(error.retryAfter));
	}
	return new Response(JSON.stringify(body), { status: statusOf(error.type), headers });
}
