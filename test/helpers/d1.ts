import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { CreateLicenseCommand } from "@aws-sdk/client-license-manager";
import { expect } from "vitest";
import { licenseStub } from "../../src/license/contract";
import type { LicenseObject } from "../../src/license/object";
import { parseLicenseArn } from "../../src/licenseIds";
import type { OutboxRecord } from "../../src/records/outbox";
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
	const stub = ref && licenseStub(env, ref.licenseId);
	if (!stub) throw new Error(`not a minted license ARN: ${arn}`);
	return stub;
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

/** GetLicenseUsage as `{name: ConsumedValue}`. */
export async function consumed(arn: string): Promise<Record<string, string>> {
	const res = await call("GetLicenseUsage", { LicenseArn: arn });
	if (res.status !== 200) throw new Error(`GetLicenseUsage failed: ${res.text}`);
	const usages = (
		res.json.LicenseUsage as { EntitlementUsages: { Name: string; ConsumedValue: string }[] }
	).EntitlementUsages;
	return Object.fromEntries(usages.map((u) => [u.Name, u.ConsumedValue]));
}

/** Runs the license's scheduled alarm; resolving (not rejecting) matters: a throwing alarm is retried only a few times. */
export async function runAlarm(arn: string): Promise<void> {
	await expect(runDurableObjectAlarm(stubOf(arn))).resolves.toBe(true);
}

export function scheduledAlarm(arn: string): Promise<number | null> {
	return runInDurableObject(stubOf(arn), (_instance, state) => state.storage.getAlarm());
}

/** The object's outbox, oldest first. */
/** The object's outbox, one entry per record (a row may carry several records of one decision). */
export async function outboxRows(
	arn: string,
): Promise<{ kind: OutboxRecord["kind"]; attempts: number; next: number }[]> {
	const rows = await objectRows(
		arn,
		"SELECT record, attempts, next_attempt_at FROM outbox ORDER BY id",
	);
	return rows.flatMap((r) =>
		[JSON.parse(r.record as string) as OutboxRecord | OutboxRecord[]].flat().map((record) => ({
			kind: record.kind,
			attempts: r.attempts as number,
			next: r.next_attempt_at as number,
		})),
	);
}

/** Makes every D1 write to `table` fail for real while `body` runs. */
export async function withTableParked(table: string, body: () => Promise<void>): Promise<void> {
	await env.DB.exec(`ALTER TABLE ${table} RENAME TO ${table}_parked`);
	try {
		await body();
	} finally {
		await env.DB.exec(`ALTER TABLE ${table}_parked RENAME TO ${table}`);
	}
}

/** One outbox record of every kind about one license and one borrow, for replaying by hand. */
export function sampleRecords(arn: string, token: string, doc: object) {
	const at = "2026-01-01T00:00:00Z";
	const end = "2026-01-01T01:00:00Z";
	const who = { accountId: "111122223333", accessKeyId: "AKIDLOCALDEV0000001", requestId: "r-1" };
	const license = (version: number): OutboxRecord => ({
		kind: "license",
		arn,
		licenseId: arn.slice(-34),
		issuerAccount: who.accountId,
		beneficiary: "My Beneficiary",
		beneficiaryAccount: null,
		productSku: "SKU-1",
		fingerprint: "aws:111122223333:Test Issuer:issuer-fingerprint",
		status: "AVAILABLE",
		version,
		homeRegion: "us-east-1",
		createdAt: at,
		updatedAt: `2026-01-0${version}T00:00:00Z`,
		doc: JSON.stringify({ ...doc, LicenseArn: arn, Version: String(version) }),
		newVersion: true,
	});
	const checkout: OutboxRecord = {
		kind: "checkout",
		token,
		licenseArn: arn,
		...who,
		clientToken: "abc",
		nodeId: null,
		entitlements: "[]",
		issuedAt: at,
		expiresAt: end,
	};
	const expired: OutboxRecord = {
		kind: "checkout-status",
		token,
		status: "EXPIRED",
		expiresAt: end,
		returnedAt: end,
	};
	const audit: OutboxRecord = {
		kind: "audit",
		eventId: `r-1:${token}`,
		at: `${at.slice(0, -1)}.000Z`,
		...who,
		operation: "CheckoutBorrowLicense",
		resourceArn: arn,
		detail: token,
	};
	return { license, checkout, expired, audit };
}
