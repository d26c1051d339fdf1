import { exports } from "cloudflare:workers";
import { Sha256 } from "@aws-crypto/sha256-js";
import { LicenseManagerClient } from "@aws-sdk/client-license-manager";
import { SignatureV4 } from "@smithy/signature-v4";
import { clock } from "../../src/clock";
import { ISSUER, type TestPrincipal } from "./principals";

export const ENDPOINT = "http://license-manager.test";

/** Sends a request through the Worker's fetch handler, inside the test's isolate. */
export function workerFetch(input: Request | string, init?: RequestInit): Promise<Response> {
	return exports.default.fetch(input instanceof Request ? input : new Request(input, init));
}

/**
 * The real AWS SDK for JavaScript, its request handler replaced by one that calls
 * the Worker: serialisation, SigV4 signing and error parsing are the SDK's own.
 */
export function sdkClient(principal: TestPrincipal = ISSUER): LicenseManagerClient {
	const client = new LicenseManagerClient({
		region: "us-east-1",
		endpoint: ENDPOINT,
		credentials: { accessKeyId: principal.accessKeyId, secretAccessKey: principal.secretAccessKey },
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
				return {
					response: { statusCode: res.status, reason: res.statusText, headers, body: res.body },
				};
			},
			updateHttpClientConfig() {},
			httpHandlerConfigs: () => ({}),
		},
	});
	// Sign with the service's clock, which tests move forward, as a real client
	// corrects its skew from the Date header.
	client.middlewareStack.add(
		(next) => (args) => {
			client.config.systemClockOffset = clock.now() - Date.now();
			return next(args);
		},
		{ step: "build", name: "testClockOffset" },
	);
	return client;
}

/**
 * Signs like botocore: only content-type, host, x-amz-date and x-amz-target (the
 * smallest set AWS accepts), with the AWS SDK's own SigV4 signer and the service's clock.
 */
export async function signedRequest(
	operation: string,
	body: string | Uint8Array,
	principal: TestPrincipal = ISSUER,
	headers: Record<string, string> = {},
): Promise<Request> {
	const signer = new SignatureV4({
		service: "license-manager",
		region: "us-east-1",
		credentials: { accessKeyId: principal.accessKeyId, secretAccessKey: principal.secretAccessKey },
		sha256: Sha256,
		// botocore sends no x-amz-content-sha256: sign exactly content-type;host;x-amz-date;x-amz-target.
		applyChecksum: false,
	});
	const signed = await signer.sign(
		{
			method: "POST",
			protocol: "http:",
			hostname: new URL(ENDPOINT).hostname,
			path: "/",
			headers: {
				host: new URL(ENDPOINT).hostname,
				"content-type": "application/x-amz-json-1.1",
				"x-amz-target": `AWSLicenseManager.${operation}`,
				...headers,
			},
			body,
		},
		{ signingDate: new Date(clock.now()) },
	);
	return new Request(`${ENDPOINT}/`, { method: "POST", headers: signed.headers, body });
}

/** A raw AWS JSON 1.1 call, signed, for what an SDK would refuse to send. */
export async function call(
	operation: string,
	body: unknown,
	headers: Record<string, string> = {},
	principal: TestPrincipal = ISSUER,
): Promise<{ status: number; headers: Headers; text: string; json: Record<string, unknown> }> {
	const res = await workerFetch(
		await signedRequest(
			operation,
			typeof body === "string" ? body : JSON.stringify(body),
			principal,
			headers,
		),
	);
	const text = await res.text();
	let json: Record<string, unknown> = {};
	try {
		json = JSON.parse(text) as Record<string, unknown>;
	} catch {
		// Left empty: a test asserting on a body will fail visibly.
	}
	return { status: res.status, headers: res.headers, text, json };
}
