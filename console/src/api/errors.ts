/**
 * An error the service answered, in its own words: the AWS error type (`__type` /
 * `x-amzn-ErrorType`) and its `message`. The page shows both; nothing is made up here.
 */
export class ServiceError extends Error {
	readonly type: string;
	readonly status: number;
	readonly requestId: string | undefined;

	constructor(type: string, message: string, status = 0, requestId?: string) {
		super(message);
		this.name = "ServiceError";
		this.type = type;
		this.status = status;
		this.requestId = requestId;
	}
}

/** The target is not served here: what a server without the extension operations answers. */
export function isUnknownOperation(err: unknown): boolean {
	return err instanceof ServiceError && err.type === "UnknownOperationException";
}

// `x-amzn-ErrorType` may carry a URL suffix (`Type:http://...`) and `__type` a
// namespace prefix (`com.amazonaws#Type`), as AWS's own services send them.
function bareType(raw: string): string {
	const afterHash = raw.slice(raw.lastIndexOf("#") + 1);
	const colon = afterHash.indexOf(":");
	return (colon === -1 ? afterHash : afterHash.slice(0, colon)).trim();
}

function readJsonObject(text: string): Record<string, unknown> | null {
	try {
		const parsed: unknown = JSON.parse(text);
		return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)
			? (parsed as Record<string, unknown>)
			: null;
	} catch {
		return null;
	}
}

/** Reads an AWS JSON 1.1 error response. A body that is not one still becomes words. */
export function parseServiceError(status: number, headers: Headers, body: string): ServiceError {
	const requestId = headers.get("x-amzn-RequestId") ?? undefined;
	const json = readJsonObject(body);
	const rawType =
		headers.get("x-amzn-ErrorType") ?? (typeof json?.__type === "string" ? json.__type : "");
	const message = json
		? [json.message, json.Message].find((m): m is string => typeof m === "string")
		: undefined;
	const type = bareType(rawType);
	if (type && message !== undefined) return new ServiceError(type, message, status, requestId);
	if (type) {
		return new ServiceError(
			type,
			`The service answered ${type} without a message.`,
			status,
			requestId,
		);
	}
	return new ServiceError(
		`HTTP ${status}`,
		`The server answered HTTP ${status} without an AWS error (is this the license service's address?).`,
		status,
		requestId,
	);
}

/** One line for people: the service's message, with its error type as context. */
export function describeError(err: unknown): { type: string; message: string } {
	if (err instanceof ServiceError) return { type: err.type, message: err.message };
	if (err instanceof Error) return { type: err.name, message: err.message };
	return { type: "Error", message: String(err) };
}
