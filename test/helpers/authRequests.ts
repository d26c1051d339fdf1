import { env } from "cloudflare:workers";
import { Sha256 } from "@aws-crypto/sha256-js";
import { SignatureV4 } from "@smithy/signature-v4";
import { clock } from "../../src/clock";
import { ENDPOINT, workerFetch } from "./client";
import type { TestPrincipal } from "./principals";

/**
 * Signed requests that can be taken apart after signing (auth, access and
 * rate-limit tests): sign botocore-style, then change a header, the body or the
 * Authorization header, and send what is left.
 */

export type Reply = {
	status: number;
	headers: Headers;
	text: string;
	json: Record<string, unknown>;
};

export interface Signed {
	headers: Record<string, string>;
	body: string;
}

export interface SignOptions {
	/** Signing time; default the service's clock. */
	date?: Date;
	service?: string;
	region?: string;
	/** Extra headers present when signing (so they are signed). */
	headers?: Record<string, string>;
	sessionToken?: string;
}

export async function sign(
	operation: string,
	body: unknown,
	principal: TestPrincipal,
	opts: SignOptions = {},
): Promise<Signed> {
	const text = typeof body === "string" ? body : JSON.stringify(body);
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
				"content-type": "application/x-amz-json-1.1",
				"x-amz-target": `AWSLicenseManager.${operation}`,
				...opts.headers,
			},
			body: text,
		},
		{ signingDate: opts.date ?? new Date(clock.now()) },
	);
	return { headers: { ...signed.headers } as Record<string, string>, body: text };
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
	const res = await workerFetch(
		new Request(`${ENDPOINT}/`, { method: "POST", headers, body: changes.body ?? signed.body }),
	);
	const text = await res.text();
	let json: Record<string, unknown> = {};
	try {
		json = JSON.parse(text) as Record<string, unknown>;
	} catch {
		// Left empty: assertions on the body fail visibly.
	}
	return { status: res.status, headers: res.headers, text, json };
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

/** Rows in D1's `licenses` (the queryable copy every CreateLicense waits for). */
export async function licenseCount(): Promise<number> {
	const row = await env.DB.prepare("SELECT COUNT(*) AS n FROM licenses").first<{ n: number }>();
	return row?.n ?? 0;
}

/** A fresh principal whose access key id is unique to this run (rate-limit buckets outlive a file). */
export function freshPrincipal(accountId: string, label: string): TestPrincipal {
	const suffix = crypto.randomUUID().replace(/-/g, "").slice(0, 12).toUpperCase();
	return {
		accessKeyId: `AKID${label.toUpperCase()}${suffix}`,
		secretAccessKey: `secret-${label}-${suffix}`,
		accountId,
	};
}
