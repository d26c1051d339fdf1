import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { LicenseObject } from "../../../src/license/object";
import { migrate, SCHEMA_STEPS, schemaVersion } from "../../../src/license/storage";
import { LICENSE_OBJECT_V1_TABLES } from "../../fixtures/licenseObjectV1";
import { expectOk } from "../../helpers/expectations";
import { licenseInput } from "../../helpers/fixtures";
import { objectRows } from "../../helpers/storage";
import { call } from "../../helpers/wire";
import { ARN, borrow, caller, header, ISSUER, license } from "./fixtures";

/**
 * The object's versioned schema (src/license/storage.ts): numbered, append-only
 * steps, the applied version stored. Objects made before versions were stored are
 * version 1 with no number; they must open, keep their data and record it.
 */

/** A fresh object's storage, without going through any RPC method that would create tables. */
function freshObject(): DurableObjectStub<LicenseObject> {
	return env.LICENSES.get(env.LICENSES.newUniqueId());
}

/** Lays down an object as the code before versioned schemas left it: tables, a license, one live borrow. */
function writeVersion1Object(sql: SqlStorage): void {
	for (const statement of LICENSE_OBJECT_V1_TABLES) sql.exec(statement);
	const h = header();
	sql.exec(
		`INSERT INTO license (id, arn, license_id, issuer_account, beneficiary_account, current_version, status,
			create_request_hash, create_response) VALUES (1, ?, ?, ?, ?, 1, 'AVAILABLE', ?, ?)`,
		h.arn,
		h.licenseId,
		h.issuerAccount,
		h.beneficiaryAccount,
		h.createRequestHash,
		h.createResponse,
	);
	sql.exec("INSERT INTO versions (version, doc) VALUES (1, ?)", JSON.stringify(license()));
	const b = borrow();
	sql.exec(
		`INSERT INTO borrows (token, account_id, client_token, status, issued_at, expires_at, returned_at, leases)
		 VALUES (?, ?, ?, 'ACTIVE', ?, ?, NULL, ?)`,
		b.token,
		b.accountId,
		b.clientToken,
		b.issuedAt,
		b.expiresAt,
		JSON.stringify(b.leases),
	);
	sql.exec("INSERT INTO usage (name, consumed) VALUES ('Seats', 2)");
	sql.exec("UPDATE counters SET value = 1 WHERE name = 'live_borrows'");
	// Version 1 stored a checkout's signed response with its record, in one write.
	sql.exec(
		`INSERT INTO client_tokens (account_id, client_token, request_hash, response, consumption_token, purge_at)
		 VALUES (?, ?, 'hash-v1', '{"v1":"response"}', ?, ?)`,
		b.accountId,
		b.clientToken,
		b.token,
		b.expiresAt + 86_400_000,
	);
}

describe("the license object's schema", () => {
	it("opens an object made at version 1 (no stored version), keeps its data and records version 1", async () => {
		await runInDurableObject(freshObject(), (_instance, state) => {
			const sql = state.storage.sql;
			writeVersion1Object(sql);
			expect(schemaVersion(sql)).toBe(0);

			// A new deployment's object starting on that storage.
			const object = new LicenseObject(state, env);
			expect(schemaVersion(sql)).toBe(SCHEMA_STEPS.length);
			expect(SCHEMA_STEPS.length).toBeGreaterThanOrEqual(2);
			expect(object.getLicense(caller(ISSUER), ARN)).toEqual({ ok: true, value: license() });
			const usage = object.getUsage(caller(ISSUER), ARN);
			expect(usage.ok && JSON.parse(usage.value).LicenseUsage.EntitlementUsages[0]).toEqual({
				Name: "Seats",
				ConsumedValue: "2",
				MaxCount: "10",
				Unit: "Count",
			});
			expect(sql.exec("SELECT value FROM counters").toArray()).toEqual([{ value: 1 }]);
			// Its ClientToken record (no `unsigned` column then) still replays its bytes.
			const b = borrow();
			expect(
				object.checkout({
					caller: caller(b.accountId),
					licenseArn: ARN,
					clientToken: b.clientToken,
					requestHash: "hash-v1",
					entitlements: [{ Name: "Seats", Unit: "Count" }],
				}),
			).toEqual({ ok: true, value: { response: '{"v1":"response"}' } });
			expect(sql.exec("SELECT token, status FROM borrows").toArray()).toEqual([
				{ token: borrow().token, status: "ACTIVE" },
			]);
		});
	});

	it("runs a step appended later exactly once, and a failing step leaves neither its changes nor its number", async () => {
		await runInDurableObject(freshObject(), (_instance, state) => {
			const sql = state.storage.sql;
			const tx = (step: () => void) => state.storage.transactionSync(step);
			writeVersion1Object(sql);
			const current = SCHEMA_STEPS.length;
			expect(migrate(sql, tx)).toBe(current);

			// A step appended later runs on an object at the current version.
			const withNext = [...SCHEMA_STEPS, ["ALTER TABLE borrows ADD COLUMN test_only TEXT"]];
			expect(migrate(sql, tx, withNext)).toBe(current + 1);
			expect(sql.exec("SELECT token, test_only FROM borrows").toArray()).toEqual([
				{ token: borrow().token, test_only: null },
			]);
			// Run again (every start does): the ALTER is not repeated, which would throw.
			expect(migrate(sql, tx, withNext)).toBe(current + 1);

			const broken = [...withNext, ["CREATE TABLE half_done (x INTEGER)", "NOT SQL"]];
			expect(() => migrate(sql, tx, broken)).toThrow();
			expect(schemaVersion(sql)).toBe(current + 1);
			expect(sql.exec("SELECT name FROM sqlite_master WHERE name = 'half_done'").toArray()).toEqual(
				[],
			);
		});
	});

	it("a license created now is at the current version", async () => {
		const arn = expectOk(await call("CreateLicense", licenseInput())).LicenseArn as string;
		expect(await objectRows(arn, "SELECT version FROM schema_version")).toEqual([
			{ version: SCHEMA_STEPS.length },
		]);
	});
});
