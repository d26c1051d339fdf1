import { exports } from "cloudflare:workers";
import { Sha256 } from "@aws-crypto/sha256-js";
import { SignatureV4 } from "@smithy/signature-v4";
import { expect } from "vitest";
import { clock } from "../../src/clock";
import { EXTENSION_TARGET_PREFIX } from "../../src/operations/names";
import { ISSUER, type TestPrincipal } from "./principals";

/**
 * Wire requests: AWS JSON 1.1 calls signed botocore-style and sent through the
 * Worker's own fetch handler, answered as a `Reply` (status, headers, exact text,
 * parsed body). For what an SDK would refuse to send, and for asserting bytes.
 */

export const ENDPOINT = "http://license-manager.test";
export const JSON_11 = "application/x-amz-json-1.1";

/** A response read whole: `text` is exact (replays compare it), `json` is `{}` when it is no JSON. */
export interface Reply {
	status: number;
	headers: Headers;
	text: string;
	json: Record<string, unknown>;
}

export async function readReply(res: Response): Promise<Reply> {
	const text = await res.text();
	let json: Record<string, unknown> = {};
	try {
		json = JSON.parse(text) as Record<string, unknown>;
	} catch {
		// Left empty: a test asserting on the body fails visibly.
	}
	return { status: res.status, headers: res.headers, text, json };
}

/** Sends a request through the Worker's fetch handler, inside the test's isolate. */
export function workerFetch(input: Request | string, init?: RequestInit): Promise<Response> {
	return exports.default.fetch(input instanceof Request ? input : new Request(input, init));
}

/** Signed parts of a request, to be taken apart after signing (auth and access tests). */
export interface Signed {
	headers: Record<string, string>;
	body: string;
}

export interface SignOptions {
	/** Signing time; default the service's clock (which tests move, as a client corrects its skew). */
	date?: Date;
	service?: string;
	region?: string;
	/** Extra headers present when signing (so they are signed), e.g. another `x-amz-target`. */
	headers?: Record<string, string>;
	sessionToken?: string;
}

/**
 * Signs like botocore: only content-type, host, x-amz-date and x-amz-target (the
 * smallest set AWS accepts, plus `opts.headers`), with the AWS SDK's own SigV4 signer.
 */
async function signedHeaders(
	operation: string,
	payload: string | Uint8Array,
	principal: TestPrincipal,
	opts: SignOptions,
): Promise<Record<string, string>> {
	const signer = new SignatureV4({
		service: opts.service ?? "license-manager",
		region: opts.region ?? "us-east-1",
		credentials: {
			accessKeyId: principal.accessKeyId,
			secretAccessKey: principal.secretAccessKey,
			...(opts.sessionToken ? { sessionToken: opts.sessionToken } : {}),
		},
		sha256: Sha256,
		// botocore does not send x-amz-content-sha256; @smithy's signer adds it unless told not to.
		applyChecksum: false,
	});
	const host = new URL(ENDPOINT).hostname;
	const signed = await signer.sign(
		{
			method: "POST",
			protocol: "http:",
			hostname: host,
			path: "/",
			headers: {
				host,
				"content-type": JSON_11,
				"x-amz-target": `AWSLicenseManager.${operation}`,
				...opts.headers,
			},
			body: payload,
		},
		{ signingDate: opts.date ?? new Date(clock.now()) },
	);
	return { ...signed.headers } as Record<string, string>;
}

/** Signs a request and returns its parts (`body` sent as given if a string, else as JSON). */
export async function sign(
	operation: string,
	body: unknown,
	principal: TestPrincipal = ISSUER,
	opts: SignOptions = {},
): Promise<Signed> {
	const text = typeof body === "string" ? body : JSON.stringify(body);
	return { headers: await signedHeaders(operation, text, principal, opts), body: text };
}

/** A signed request as a `Request`, ready for any fetch handler. */
export async function signedRequest(
	operation: string,
	body: string | Uint8Array,
	principal: TestPrincipal = ISSUER,
	headers: Record<string, string> = {},
): Promise<Request> {
	const signed = await signedHeaders(operation, body, principal, { headers });
	return new Request(`${ENDPOINT}/`, { method: "POST", headers: signed, body });
}

/** Sends signed parts, with headers replaced (null removes one) and optionally another body. */
export async function send(
	signed: Signed,
	changes: { headers?: Record<string, string | null>; body?: string } = {},
): Promise<Reply> {
	const headers = new Headers();
	for (const [k, v] of Object.entries(signed.headers)) headers.set(k, v);
	for (const [k, v] of Object.entries(changes.headers ?? {})) {
		if (v === null) headers.delete(k);
		else headers.set(k, v);
	}
	const body = changes.body ?? signed.body;
	return readReply(
		await workerFetch(new Request(`${ENDPOINT}/`, { method: "POST", headers, body })),
	);
}

/** The Authorization header of signed parts, whatever its case. */
export function authorizationOf(signed: Signed): string {
	const entry = Object.entries(signed.headers).find(([k]) => k.toLowerCase() === "authorization");
	if (!entry) throw new Error("not signed");
	return entry[1];
}

export function signatureOf(signed: Signed): string {
	const m = /Signature=([0-9a-f]{64})/.exec(authorizationOf(signed));
	if (!m?.[1]) throw new Error("no signature");
	return m[1];
}

/** A raw AWS JSON 1.1 call, signed: `body` is sent as given if a string, else as JSON. */
export async function call(
	operation: string,
	body: unknown,
	headers: Record<string, string> = {},
	principal: TestPrincipal = ISSUER,
): Promise<Reply> {
	const text = typeof body === "string" ? body : JSON.stringify(body);
	return readReply(await workerFetch(await signedRequest(operation, text, principal, headers)));
}

/** A raw extension call (SPEC §8), signed botocore-style: `EdgeLicenseManager.<operation>`. */
export function extensionCall(
	operation: string,
	body: unknown,
	principal: TestPrincipal = ISSUER,
): Promise<Reply> {
	return call(
		operation,
		body,
		{ "x-amz-target": `${EXTENSION_TARGET_PREFIX}${operation}` },
		principal,
	);
}

/** A raw CheckoutBorrowLicense: the exact response text is what replays must reproduce. */
export function checkoutCall(body: unknown, principal: TestPrincipal = ISSUER): Promise<Reply> {
	return call("CheckoutBorrowLicense", body, {}, principal);
}

/** GetLicenseUsage exactly as on the wire: compare before/after to prove nothing changed. */
export async function usageText(arn: string): Promise<string> {
	const res = await call("GetLicenseUsage", { LicenseArn: arn });
	expect(res.status, res.text).toBe(200);
	return res.text;
}

/** GetLicenseUsage as `{name: ConsumedValue}`. */
export async function usage(arn: string): Promise<Record<string, string>> {
	const body = JSON.parse(await usageText(arn)) as {
		LicenseUsage: { EntitlementUsages: { Name: string; ConsumedValue: string }[] };
	};
	return Object.fromEntries(
		body.LicenseUsage.EntitlementUsages.map((u) => [u.Name, u.ConsumedValue]),
	);
}

/** GetLicense (of `version`, else the current one) exactly as on the wire. */
export async function licenseText(arn: string, version?: string): Promise<string> {
	const res = await call(
		"GetLicense",
		version === undefined ? { LicenseArn: arn } : { LicenseArn: arn, Version: version },
	);
	expect(res.status, res.text).toBe(200);
	return res.text;
}
