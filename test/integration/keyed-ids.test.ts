import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { SecretKeyConfigError } from "../../src/auth/secretBox";
import { licenseIdKey, pageTokenKey } from "../../src/derivedKeys";
import { base64url, sha256Hex } from "../../src/encoding";
import { mintLicenseId, placementForRegion, placementOf } from "../../src/licenseIds";
import { expectAwsError } from "../helpers/expectations";
import { createLicense, licenseInput, uniqueToken } from "../helpers/fixtures";
import { ISSUER } from "../helpers/principals";
import { versionInput } from "../helpers/sdk";
import { call } from "../helpers/wire";

/**
 * SPEC §11: license ids and NextTokens are keyed with a deployment secret (HKDF
 * sub-keys of PRINCIPAL_SECRET_KEY), so neither can be computed or forged outside.
 */

const encoder = new TextEncoder();

/** The id as it was minted before it was keyed: the placement nibbles, then SHA-256(account \0 token). */
async function unkeyedId(account: string, clientToken: string, nibbles: string): Promise<string> {
	return `l-${nibbles}${(await sha256Hex(`${account}\0${clientToken}`)).slice(0, 30)}`;
}

/** A NextToken MAC'd, as before, with the constant that was in the source. */
async function oldConstantToken(position: string, scope: string): Promise<string> {
	const key = await crypto.subtle.importKey(
		"raw",
		encoder.encode("edge-license-manager/page-token/v1"),
		{ name: "HMAC", hash: "SHA-256" },
		false,
		["sign"],
	);
	const mac = new Uint8Array(
		await crypto.subtle.sign("HMAC", key, encoder.encode(`${scope}\n${position}`)),
	);
	return `${base64url(encoder.encode(position))}.${base64url(mac)}`;
}

const randomSecret = () => btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))));

describe("license ids keyed with the deployment secret", () => {
	it("an outsider's SHA-256(account, ClientToken) is not the id; a retried CreateLicense still gets the same ARN", async () => {
		for (const [region, nibbles] of [
			["us-east-1", "02"],
			["us-west-2", "01"],
			["ap-southeast-2", "07"],
			["xx-nowhere-1", "00"],
		] as const) {
			const input = licenseInput({ HomeRegion: region });
			const clientToken = input.ClientToken as string;
			const first = await call("CreateLicense", input);
			expect(first.status, first.text).toBe(200);
			const arn = first.json.LicenseArn as string;
			const id = arn.split(":license:")[1] as string;
			expect(id).toMatch(/^l-[0-9a-f]{32}$/);

			// The placement nibbles are exactly as before; the other 30 digits are not the hash.
			expect(id.slice(2, 4)).toBe(nibbles);
			expect(id).not.toBe(await unkeyedId(ISSUER.accountId, clientToken, nibbles));
			expect(id).toBe(
				await mintLicenseId(env, ISSUER.accountId, clientToken, placementForRegion(region, false)),
			);

			// Idempotent: the retry reaches the same object and gets the same answer.
			const retry = await call("CreateLicense", input);
			expect(retry.status, retry.text).toBe(200);
			expect(retry.json).toEqual(first.json);

			// The outsider's guess names no license.
			const guess = `arn:aws:license-manager::${ISSUER.accountId}:license:${await unkeyedId(ISSUER.accountId, clientToken, nibbles)}`;
			expectAwsError(await call("GetLicense", { LicenseArn: guess }), "ResourceNotFoundException");
		}
	});

	it("another secret mints other ids for the same account and ClientToken, with the same placement", async () => {
		const placement = placementForRegion("eu-central-1", true);
		const secretA = { PRINCIPAL_SECRET_KEY: randomSecret() };
		const secretB = { PRINCIPAL_SECRET_KEY: randomSecret() };
		const a1 = await mintLicenseId(secretA, ISSUER.accountId, "tok", placement);
		const b = await mintLicenseId(secretB, ISSUER.accountId, "tok", placement);
		const a2 = await mintLicenseId(secretA, ISSUER.accountId, "tok", placement);
		expect(a1).toBe(a2);
		expect(b).not.toBe(a1);
		expect(placementOf(a1)).toEqual(placement);
		expect(placementOf(b)).toEqual(placement);
	});

	it("derives distinct keys per purpose: the page-token key does not mint license ids", async () => {
		const data = encoder.encode(`${ISSUER.accountId}\0tok`);
		const byId = new Uint8Array(await crypto.subtle.sign("HMAC", await licenseIdKey(env), data));
		const byPage = new Uint8Array(await crypto.subtle.sign("HMAC", await pageTokenKey(env), data));
		expect(base64url(byId)).not.toBe(base64url(byPage));
		// One import per isolate and secret: the same key object every time.
		expect(await licenseIdKey(env)).toBe(await licenseIdKey(env));
	});

	it("a missing or malformed secret is named, never quoted", async () => {
		const secretText = "c2VjcmV0LW1hdGVyaWFsLXRoYXQtbXVzdC1ub3QtbGVhaw!!";
		const short = btoa("only-twenty-bytes-xx");
		for (const [raw, reason] of [
			[undefined, "PRINCIPAL_SECRET_KEY is not set"],
			["", "PRINCIPAL_SECRET_KEY is not set"],
			[secretText, "PRINCIPAL_SECRET_KEY is not valid base64"],
			[short, "PRINCIPAL_SECRET_KEY must be 32 bytes, base64-encoded"],
		] as const) {
			const err = await Promise.resolve()
				.then(() => licenseIdKey({ PRINCIPAL_SECRET_KEY: raw }))
				.then(
					() => new Error("accepted"),
					(e: unknown) => e as Error,
				);
			expect(err).toBeInstanceOf(SecretKeyConfigError);
			expect(err.message).toBe(reason);
			if (raw) {
				expect(err.message).not.toContain(raw.slice(0, 8));
				expect(String(err.stack)).not.toContain(raw.slice(0, 8));
			}
		}
		// The deployment's own secret still works afterwards.
		expect(
			await mintLicenseId(env, ISSUER.accountId, "tok", placementForRegion("us-east-1", false)),
		).toMatch(/^l-02[0-9a-f]{30}$/);
	});
});

describe("NextTokens keyed with the deployment secret", () => {
	async function threeVersions(): Promise<string> {
		const arn = await createLicense({ LicenseName: "v1" });
		for (const [source, name] of [
			["1", "v2"],
			["2", "v3"],
		] as const) {
			const r = await call(
				"CreateLicenseVersion",
				await versionInput(arn, { LicenseName: name, SourceVersion: source }),
			);
			expect(r.status, r.text).toBe(200);
		}
		return arn;
	}

	it("ListLicenseVersions pages; a token forged with the old constant key or with an edited body is refused", async () => {
		const arn = await threeVersions();
		const seen: string[] = [];
		let nextToken: string | undefined;
		const tokens: string[] = [];
		do {
			const page = await call("ListLicenseVersions", {
				LicenseArn: arn,
				MaxResults: 1,
				...(nextToken ? { NextToken: nextToken } : {}),
			});
			expect(page.status, page.text).toBe(200);
			seen.push(...(page.json.Licenses as { Version: string }[]).map((l) => l.Version));
			nextToken = page.json.NextToken as string | undefined;
			if (nextToken) tokens.push(nextToken);
		} while (nextToken && seen.length < 10);
		expect(seen).toEqual(["1", "2", "3"]);
		expect(tokens).toHaveLength(2);

		const scope = `versions:${ISSUER.accountId}:${arn}`;
		const [, sig] = (tokens[0] as string).split(".") as [string, string];
		for (const forged of [
			// What anyone could mint from the source before: skip to after version 1, or 2.
			await oldConstantToken("1", scope),
			await oldConstantToken("2", scope),
			// A genuine MAC with the position edited from "1" to "2".
			`${base64url(encoder.encode("2"))}.${sig}`,
		]) {
			const r = await call("ListLicenseVersions", {
				LicenseArn: arn,
				MaxResults: 1,
				NextToken: forged,
			});
			expectAwsError(r, "ValidationException", /NextToken is not valid/);
			expect(r.json.Licenses).toBeUndefined();
		}
		// The genuine token still leads to version 2.
		const genuine = await call("ListLicenseVersions", {
			LicenseArn: arn,
			MaxResults: 1,
			NextToken: tokens[0],
		});
		expect((genuine.json.Licenses as { Version: string }[]).map((l) => l.Version)).toEqual(["2"]);
	});

	it("ListLicenses pages; a token forged with the old constant key or with an edited body is refused", async () => {
		const sku = `SKU-KEYED-${uniqueToken()}`;
		const created = await Promise.all(
			Array.from({ length: 5 }, () => createLicense({ ProductSKU: sku })),
		);
		const filters = [{ Name: "ProductSKU", Values: [sku] }];
		const seen: string[] = [];
		const tokens: string[] = [];
		let nextToken: string | undefined;
		do {
			const page = await call("ListLicenses", {
				Filters: filters,
				MaxResults: 2,
				...(nextToken ? { NextToken: nextToken } : {}),
			});
			expect(page.status, page.text).toBe(200);
			seen.push(...(page.json.Licenses as { LicenseArn: string }[]).map((l) => l.LicenseArn));
			nextToken = page.json.NextToken as string | undefined;
			if (nextToken) tokens.push(nextToken);
		} while (nextToken && seen.length < 20);
		expect([...seen].sort()).toEqual([...created].sort());
		expect(tokens).toHaveLength(2);

		// The scope the service binds a ListLicenses token to (caller and query).
		const scope = `licenses:${ISSUER.accountId}:${await sha256Hex(JSON.stringify([[], [["ProductSKU", [sku]]]]))}`;
		const sorted = [...seen].sort();
		const [, sig] = (tokens[0] as string).split(".") as [string, string];
		for (const forged of [
			await oldConstantToken(sorted[0] as string, scope),
			await oldConstantToken(sorted[3] as string, scope),
			`${base64url(encoder.encode(sorted[3] as string))}.${sig}`,
		]) {
			const r = await call("ListLicenses", { Filters: filters, MaxResults: 2, NextToken: forged });
			expectAwsError(r, "ValidationException", /NextToken is not valid/);
			expect(r.json.Licenses).toBeUndefined();
		}
		const genuine = await call("ListLicenses", {
			Filters: filters,
			MaxResults: 2,
			NextToken: tokens[0],
		});
		expect(genuine.status, genuine.text).toBe(200);
		expect(genuine.json.Licenses).toHaveLength(2);
	});
});
