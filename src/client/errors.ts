import type { ErrorType } from "../result";

/**
 * An error the service answered (SPEC §1): its AWS error type (`__type` /
 * `x-amzn-ErrorType`), its message, the HTTP status and the request id. A failure
 * to reach the service is `NetworkError`; an answer that is not an AWS error is
 * `HTTP <status>`.
 */
export type ServiceErrorType = ErrorType | "NetworkError" | `HTTP ${number}`;

export class ServiceError extends Error {
	override readonly name = "ServiceError";

	constructor(
		readonly type: ServiceErrorType,
		message: string,
		readonly status = 0,
		readonly requestId?: string,
	) {
		super(message);
	}
}

/** Narrows an unknown rejection to the service's error of one type. */
export function isServiceError<T extends ServiceErrorType>(
	err: unknown,
	type?: T,
): err is ServiceError & { type: T } {
	return err instanceof ServiceError && (type === undefined || err.type === type);
}

// `x-amzn-ErrorType` may carry a URL suffix (`Type:http://...`) and `__type` a
// namespace prefix (`com.amazonaws#Type`), as AWS's own services send them.
function bareType(raw: string): string {
	const afterHash = raw.slice(raw.lastIndexOf("#") + 1);
	const colon = afterHash.indexOf(":");
	return (colon === -1 ? afterHash : afterHash.slice(0, colon)).trim();
}

function jsonObject(text: string): Record<string, unknown> | null {
	try {
		const parsed: unknown = JSON.parse(text);
		return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)
			? (parsed as Record<string, unknown>)
			: null;
	} catch {
		return null;
	}
}

/** Reads an AWS JSON 1.1 error response. */
export function parseServiceError(status: number, headers: Headers, body: string): ServiceError {
	const requestId = headers.get("x-amzn-RequestId") ?? undefined;
	const json = jsonObject(body);
	const type = bareType(
		headers.get("x-amzn-ErrorType") ?? (typeof json?.__type === "string" ? json.__type : ""),
	);
	const message = [json?.message, json?.Message].find((m): m is string => typeof m === "string");
	if (!type) {
		return new ServiceError(
			`HTTP ${status}`,
			`The server answered HTTP ${status} without an AWS error (is this the license service's address?).`,
			status,
			requestId,
		);
	}
	return new ServiceError(
		type as ErrorType,
		message ?? `The service answered ${type} without a message.`,
		status,
		requestId,
	);
}
