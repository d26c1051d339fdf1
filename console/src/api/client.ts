import { AwsClient } from "aws4fetch";
import { parseServiceError, ServiceError } from "./errors";

/** The operator's access key, as typed at sign-in. Never sent: it only signs. */
export interface Credentials {
	accessKeyId: string;
	secretAccessKey: string;
	region: string;
}

export const SERVICE = "license-manager";
export const JSON_11 = "application/x-amz-json-1.1";

/** Sends one signed AWS JSON 1.1 call and returns its parsed answer, or throws a ServiceError. */
export type Call = <T>(target: string, input: object) => Promise<T>;

export interface CallOptions {
	/** The service's `POST /` URL: the page's own origin in the console. */
	endpoint: string;
	/** Injectable for tests (the Worker's fetch inside workerd, a fake in unit tests). */
	fetch?: (request: Request) => Promise<Response>;
	/** The local clock, injectable for tests. */
	now?: () => number;
}

const MAX_SKEW_MS = 5 * 60_000;

function amzDate(ms: number): string {
	return new Date(ms).toISOString().replace(/[:-]|\.\d{3}/g, "");
}

/**
 * A signed caller over aws4fetch. Every request signs exactly content-type, host,
 * x-amz-date and x-amz-target (botocore's set, which the service requires):
 * aws4fetch leaves content-type out unless `allHeaders` is set, so it is set, and
 * no other header is added. No retries: the page shows each answer as it came.
 */
export function createCall(credentials: Credentials, options: CallOptions): Call {
	const aws = new AwsClient({
		accessKeyId: credentials.accessKeyId,
		secretAccessKey: credentials.secretAccessKey,
		service: SERVICE,
		region: credentials.region,
		retries: 0,
	});
	const send = options.fetch ?? ((request: Request) => fetch(request));
	const now = options.now ?? Date.now;
	// Learned from the service's Date header when a signature is refused for skew.
	let clockOffsetMs = 0;

	/** One signed exchange: the parsed answer, or the service's error and its clock. */
	async function exchange(
		target: string,
		body: string,
	): Promise<
		{ ok: true; value: unknown } | { ok: false; error: ServiceError; serverTime: number }
	> {
		const request = await aws.sign(options.endpoint, {
			method: "POST",
			headers: { "content-type": JSON_11, "x-amz-target": target },
			body,
			aws: { allHeaders: true, datetime: amzDate(now() + clockOffsetMs) },
		});
		let response: Response;
		try {
			response = await send(request);
		} catch (err) {
			const reason = err instanceof Error ? err.message : String(err);
			throw new ServiceError("NetworkError", `Could not reach the service: ${reason}`);
		}
		const text = await response.text();
		if (response.ok) return { ok: true, value: text ? JSON.parse(text) : {} };
		return {
			ok: false,
			error: parseServiceError(response.status, response.headers, text),
			serverTime: Date.parse(response.headers.get("Date") ?? ""),
		};
	}

	return async <T>(target: string, input: object): Promise<T> => {
		const body = JSON.stringify(input);
		let answer = await exchange(target, body);
		// A browser clock far off makes every signature stale: correct once from the
		// service's Date header, as the AWS SDKs do, and try again.
		if (!answer.ok && answer.error.type === "InvalidSignatureException") {
			const offset = answer.serverTime - now();
			if (Number.isFinite(offset) && Math.abs(offset - clockOffsetMs) > MAX_SKEW_MS) {
				clockOffsetMs = offset;
				answer = await exchange(target, body);
			}
		}
		if (!answer.ok) throw answer.error;
		return answer.value as T;
	};
}
