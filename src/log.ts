/**
 * Structured logs (SPEC §12): one JSON object per line, so Workers Logs and
 * `wrangler tail --format json` can filter on fields. What may appear is decided
 * here by the callers' field lists: never a secret, a signature, a consumption
 * token, a signed token or a request body — ids, names, counts and outcomes only.
 */

/** One line per API request (`POST /`), success or error. */
export interface RequestLogLine {
	type: "request";
	requestId: string;
	/** The operation's name, or null for a target no operation answers to. */
	operation: string | null;
	/** The authenticated caller's account; null when authentication did not succeed. */
	account: string | null;
	/** The access key id the request claimed (well-formed ones only), or null. */
	accessKeyId: string | null;
	licenseArn?: string;
	/** "ok", or the AWS error's `__type`. */
	outcome: string;
	/** True when a ClientToken retry was answered from the stored response. */
	replay?: boolean;
	ms: number;
}

export function logRequest(line: RequestLogLine): void {
	console.log(JSON.stringify(line));
}

/** An event outside a request: outbox retries, alarm and scheduled-run failures, retention reports. */
export function logEvent(
	type: string,
	fields: Record<string, string | number | boolean | null | undefined>,
	level: "info" | "error" = "info",
): void {
	const line = JSON.stringify({ type, ...fields });
	if (level === "error") console.error(line);
	else console.log(line);
}

/** An error's message for a log line: its class and message, never an object dump. */
export function errorText(err: unknown): string {
	if (err instanceof Error) return `${err.name}: ${err.message}`.slice(0, 500);
	return String(err).slice(0, 500);
}
