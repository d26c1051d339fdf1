import { LicenseManagerClient } from "@aws-sdk/client-license-manager";
import { exports } from "cloudflare:workers";

export const ENDPOINT = "http://license-manager.test";

/** Sends a request through the Worker's fetch handler, inside the test's isolate. */
export function workerFetch(input: Request | string, init?: RequestInit): Promise<Response> {
	return exports.default.fetch(input instanceof Request ? input : new Request(input, init));
}

/**
 * The real AWS SDK for JavaScript, its request handler replaced by one that calls
 * the Worker: serialisation, SigV4 signing and error parsing are the SDK's own.
 */
export function sdkClient(
	credentials = { accessKeyId: "AKIDLOCALDEV0000001", secretAccessKey: "dev-secret-not-for-production" },
): LicenseManagerClient {
	return new LicenseManagerClient({
		region: "us-east-1",
		endpoint: ENDPOINT,
		credentials,
		maxAttempts: 1,
		requestHandler: {
			async handle(request: {
				method: string;
				protocol: string;
				hostname: string;
				port?: number;
				path: string;
				query?: Record<string, string | string[] | null>;
				headers: Record<string, string>;
				body?: string | Uint8Array;
			}) {
				const url = `${request.protocol}//${request.hostname}${request.port ? `:${request.port}` : ""}${request.path}`;
				const res = await workerFetch(url, {
					method: request.method,
					headers: request.headers,
					body: request.body as BodyInit | undefined,
				});
				const headers: Record<string, string> = {};
				res.headers.forEach((value, key) => {
					headers[key] = value;
				});
				return { response: { statusCode: res.status, reason: res.statusText, headers, body: res.body } };
			},
			updateHttpClientConfig() {},
			httpHandlerConfigs: () => ({}),
		},
	});
}

/** A raw AWS JSON 1.1 call, for what an SDK would refuse to send. */
export async function call(
	operation: string,
	body: unknown,
	headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; text: string; json: Record<string, unknown> }> {
	const res = await workerFetch(`${ENDPOINT}/`, {
		method: "POST",
		headers: {
			"Content-Type": "application/x-amz-json-1.1",
			"X-Amz-Target": `AWSLicenseManager.${operation}`,
			...headers,
		},
		body: typeof body === "string" ? body : JSON.stringify(body),
	});
	const text = await res.text();
	let json: Record<string, unknown> = {};
	try {
		json = JSON.parse(text) as Record<string, unknown>;
	} catch {
		// Left empty: a test asserting on a body will fail visibly.
	}
	return { status: res.status, headers: res.headers, text, json };
}
