import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { licenseStub } from "../../src/license/contract";
import type { LicenseObject } from "../../src/license/object";
import { parseLicenseArn } from "../../src/licenseIds";
import type { OutboxRecord } from "../../src/records/outbox";

/**
 * The two places a license's facts live — the object's own SQLite (authoritative)
 * and D1 (the copy) — read directly, so tests can assert what was stored, not only
 * what was answered; and the object's alarm, run on demand.
 */

export type Row = Record<string, unknown>;

/** The license object behind a minted ARN. */
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

/** The `n` of a `SELECT COUNT(*) AS n …`. */
export async function d1Count(sql: string, ...bindings: unknown[]): Promise<number> {
	const row = await env.DB.prepare(sql)
		.bind(...bindings)
		.first<{ n: number }>();
	return row?.n ?? 0;
}

/** Rows in D1's `licenses` (the queryable copy every CreateLicense waits for). */
export function licenseCount(): Promise<number> {
	return d1Count("SELECT COUNT(*) AS n FROM licenses");
}

/** Runs the license's alarm now (expiry, purge, outbox retry): false if none was scheduled. */
export function runAlarm(arn: string): Promise<boolean> {
	return runDurableObjectAlarm(stubOf(arn));
}

export function scheduledAlarm(arn: string): Promise<number | null> {
	return runInDurableObject(stubOf(arn), (_instance, state) => state.storage.getAlarm());
}

/**
 * Runs the alarm, then waits for any drain in flight (an alarm due at the real
 * current time may also fire by itself), so D1 holds everything the object decided.
 */
export async function drainOutbox(arn: string): Promise<void> {
	await runAlarm(arn);
	await runInDurableObject(stubOf(arn), (instance) => instance.drainOutbox());
}

/** The object's outbox, oldest first, one entry per record (a row may carry several records of one decision). */
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
