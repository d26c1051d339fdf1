import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import {
	CheckoutBorrowLicenseCommand,
	CreateLicenseCommand,
} from "@aws-sdk/client-license-manager";
import { licenseStub, parseLicenseArn } from "../../src/license/ids";
import type { LicenseObject } from "../../src/license/object";
import { call, sdkClient } from "./client";
import { licenseInput, uniqueToken } from "./licenses";

/**
 * Records helpers: the two places a license's facts live — the object's own
 * SQLite (authoritative) and D1 (the copy) — read directly, so tests can assert
 * what was stored, not only what was answered.
 */

export type Row = Record<string, unknown>;

export function stubOf(arn: string): DurableObjectStub<LicenseObject> {
	const ref = parseLicenseArn(arn);
	if (!ref) throw new Error(`not a minted license ARN: ${arn}`);
	return licenseStub(env, ref.licenseId);
}

/** Runs one SQL statement in the license object's storage. */
export function objectRows(arn: string, sql: string, ...bindings: unknown[]): Promise<Row[]> {
	return runInDurableObject(
		stubOf(arn),
		(_instance, state) => state.storage.sql.exec(sql, ...bindings).toArray() as Row[],
	);
}

export async function d1Rows(sql: string, ...bindings: unknown[]): Promise<Row[]> {
	const { results } = await env.DB.prepare(sql)
		.bind(...bindings)
		.all<Row>();
	return results;
}

export async function d1Count(sql: string, ...bindings: unknown[]): Promise<number> {
	const row = await env.DB.prepare(sql)
		.bind(...bindings)
		.first<{ n: number }>();
	return row?.n ?? 0;
}

export async function createLicense(
	overrides: Parameters<typeof licenseInput>[0] = {},
): Promise<string> {
	const out = await sdkClient().send(new CreateLicenseCommand(licenseInput(overrides)));
	if (!out.LicenseArn) throw new Error("CreateLicense returned no LicenseArn");
	return out.LicenseArn;
}

export interface BorrowBody {
	LicenseArn: string;
	ClientToken: string;
	DigitalSignatureMethod: "JWT_PS384";
	Entitlements: { Name: string; Unit: string; Value?: string }[];
	NodeId?: string;
}

export function borrowBody(
	arn: string,
	entitlements: BorrowBody["Entitlements"] = [{ Name: "Seats", Unit: "Count", Value: "1" }],
	clientToken = uniqueToken("b"),
): BorrowBody {
	return {
		LicenseArn: arn,
		ClientToken: clientToken,
		DigitalSignatureMethod: "JWT_PS384",
		Entitlements: entitlements,
	};
}

/** A raw CheckoutBorrowLicense: the exact response text is what replays must reproduce. */
export function borrow(body: BorrowBody) {
	return call("CheckoutBorrowLicense", body);
}

/** The SDK's typed view, for the rare assertion that wants it. */
export function sdkBorrow(body: BorrowBody) {
	return sdkClient().send(new CheckoutBorrowLicenseCommand(body as never));
}

/** GetLicenseUsage as `{name: ConsumedValue}`. */
export async function consumed(arn: string): Promise<Record<string, string>> {
	const res = await call("GetLicenseUsage", { LicenseArn: arn });
	if (res.status !== 200) throw new Error(`GetLicenseUsage failed: ${res.text}`);
	const usages = (
		res.json.LicenseUsage as { EntitlementUsages: { Name: string; ConsumedValue: string }[] }
	).EntitlementUsages;
	return Object.fromEntries(usages.map((u) => [u.Name, u.ConsumedValue]));
}
