import { DurableObject } from "cloudflare:workers";
import { clock, floorToSecond, isoSeconds } from "../clock";
import { type Config, loadConfig } from "../config";
import type { Env } from "../env";
import { mintConsumptionToken } from "../licenseIds";
import { type Page, type PageBudget, takePage } from "../listPage";
import type { OutboxRecord } from "../records/outbox";
import { fail, limitExceeded, type Result, type WireError } from "../result";
import {
	beneficiaryAccountOf,
	consumableLicense,
	isDeleted,
	issuedLicense,
	visibleLicense,
} from "./access";
import { signedCheckoutReply } from "./checkoutReply";
import type {
	Caller,
	CheckoutCommand,
	CreateLicenseCommand,
	CreateVersionCommand,
} from "./contract";
import { documentSizeRefusal } from "./limits";
import type { Lease, License, LicenseStatus } from "./model";
import { OutboxDrainer } from "./outboxDrain";
import { FixedWindowLimiter } from "./rateLimit";
import { auditRecord, borrowStatusRecord, expiryAuditRecord, licenseRecord } from "./records";
import { borrowExpiration, borrowRefusal, checkInRefusal, planLeases } from "./reservation";
import {
	type BorrowRow,
	type LicenseHeader,
	LicenseStore,
	type StoredClientToken,
} from "./storage";

const DAY_MS = 86_400_000;

function perLicenseLimiter(config: Config): FixedWindowLimiter {
	return new FixedWindowLimiter(config.licenseRateLimit, config.licenseRateWindowMs);
}
const EXPIRY_BATCH = 500;
/** Ended borrows deleted per statement, and per alarm (the next alarm continues at once). */
const PURGE_BATCH = 1000;
const PURGE_BATCHES_PER_ALARM = 10;
/**
 * Retention purges are not urgent: one alarm takes every borrow that ended within
 * this window, rather than one alarm per ended borrow 30 days later.
 */
const PURGE_COALESCE_MS = 3_600_000;
/** How long checkout records may wait so that many share one D1 batch (and one alarm). */
const OUTBOX_COALESCE_MS = 2000;

/** A ClientToken seen before: the stored success byte for byte, or a refusal if the request differs. */
function replay(stored: StoredClientToken, requestHash: string): Result<string> {
	if (stored.requestHash === requestHash) return { ok: true, value: stored.response };
	return fail(
		"ValidationException",
		"ClientToken was already used with a different request; use a new ClientToken for a new request.",
	);
}

/**
 * One license: the only writer of its borrows, usage and ClientToken records.
 *
 * Concurrency design for checkout (the object interleaves calls at every await,
 * and signing is an await): the decision is taken synchronously and reserved in
 * memory (`pending`), then the token is signed, then one `transactionSync` writes
 * the borrow, the usage, the ClientToken record holding the exact response and the
 * outbox rows. Because in-flight quantities count against capacity, a refusal never
 * costs a signature and a burst can never over-allocate. Because a ClientToken in
 * flight is held in `inflight`, a concurrent duplicate waits for the first and then
 * replays its stored bytes (PSS is randomised; re-signing would differ). Both maps
 * are memory, so an object that dies mid-signature leaves nothing half-reserved:
 * its client saw no success, and nothing was committed.
 */
export class LicenseObject extends DurableObject<Env> {
	private readonly store: LicenseStore;
	private header: LicenseHeader | null = null;
	private current: License | null = null;
	private readonly pending = new Map<string, number>();
	private pendingBorrows = 0;
	private readonly inflight = new Map<string, Promise<unknown>>();
	private readonly drainer: OutboxDrainer;
	private alarmAt: number | null = null;
	/** Loaded once, in the constructor: a deploy with other vars restarts the object. */
	private config: Config;
	private limiter: FixedWindowLimiter;

	constructor(ctx: DurableObjectState, env: Env) {
		super(ctx, env);
		this.store = new LicenseStore(ctx.storage.sql);
		this.drainer = new OutboxDrainer(this.store, env.DB, () => this.scheduleAlarm());
		this.config = loadConfig(env);
		this.limiter = perLicenseLimiter(this.config);
		if (this.store.exists()) {
			this.store.createSchema();
			this.reload();
		}
	}

	/**
	 * Tests only: what a deploy with other vars or secrets looks like to this object.
	 * The env, the config parsed from it and the per-license limiter built from it are
	 * replaced, as the constructor of a new deployment's object would make them.
	 * Static, so it is no RPC method: only code holding the instance (vitest's
	 * `runInDurableObject`) can call it. Production never does: a deploy restarts objects.
	 */
	static redeployForTests(object: LicenseObject, env: Env): void {
		object.env = env;
		object.config = loadConfig(env);
		object.limiter = perLicenseLimiter(object.config);
	}

	/**
	 * Versions are immutable; the license's status lives in its header (DeleteLicense
	 * changes it without minting a version), so the current view is the current
	 * version with the header's status.
	 */
	private reload(): void {
		this.header = this.store.header();
		const doc = this.header ? this.store.version(this.header.currentVersion) : null;
		this.current =
			doc && this.header ? { ...doc, Status: this.header.status as LicenseStatus } : null;
	}

	// ---- seller operations -------------------------------------------------

	createLicense(cmd: CreateLicenseCommand): Promise<Result<string>> {
		return this.recorded(this.decideCreateLicense(cmd));
	}

	private decideCreateLicense(cmd: CreateLicenseCommand): Result<string> {
		if (this.header) {
			if (this.header.createRequestHash !== cmd.requestHash) {
				return fail(
					"ValidationException",
					"ClientToken was already used to create a license with different parameters.",
				);
			}
			return { ok: true, value: this.header.createResponse };
		}
		if (cmd.accountLicenseLimit !== null) {
			return limitExceeded(
				"licenses per issuer account",
				cmd.accountLicenseLimit,
				"Delete licenses that are no longer needed before creating more.",
			);
		}
		const now = clock.now();
		const license = cmd.license;
		const response = JSON.stringify({
			LicenseArn: license.LicenseArn,
			Status: license.Status,
			Version: license.Version,
		});
		this.ctx.storage.transactionSync(() => {
			this.store.createSchema();
			this.store.insertHeader({
				arn: license.LicenseArn,
				licenseId: cmd.licenseId,
				issuerAccount: cmd.caller.accountId,
				beneficiaryAccount: beneficiaryAccountOf(license.Beneficiary),
				currentVersion: 1,
				status: license.Status,
				createRequestHash: cmd.requestHash,
				createResponse: response,
				deletedAt: null,
			});
			this.store.insertVersion(1, license);
			this.reload();
			this.enqueueLicense(true, now);
			this.store.enqueue(
				auditRecord(cmd.caller, "CreateLicense", license.LicenseArn, now, null),
				now,
			);
		});
		return { ok: true, value: response };
	}

	getLicense(caller: Caller, arn: string, version?: string): Result<License> {
		const seen = this.visible(caller, arn);
		if (!seen.ok) return seen;
		if (version === undefined) return { ok: true, value: seen.value };
		const doc = /^[1-9][0-9]*$/.test(version) ? this.store.version(Number(version)) : null;
		if (!doc)
			return fail("ResourceNotFoundException", `License version ${version} does not exist.`);
		return { ok: true, value: doc };
	}

	getUsage(caller: Caller, arn: string): Result<string> {
		const seen = this.visible(caller, arn);
		if (!seen.ok) return seen;
		const usage = this.store.usage();
		const EntitlementUsages = seen.value.Entitlements.map((e) => ({
			Name: e.Name,
			ConsumedValue: String(e.Unit === "None" ? 0 : (usage.get(e.Name) ?? 0)),
			MaxCount: e.MaxCount === undefined ? undefined : String(e.MaxCount),
			Unit: e.Unit,
		}));
		return { ok: true, value: JSON.stringify({ LicenseUsage: { EntitlementUsages } }) };
	}

	// ---- borrowing -----------------------------------------------------------

	async checkout(cmd: CheckoutCommand): Promise<Result<string>> {
		const key = `${cmd.caller.accountId}\n${cmd.clientToken}`;
		// A duplicate of a request still being signed waits for it, then looks again.
		for (let wait = this.inflight.get(key); wait; wait = this.inflight.get(key)) {
			await wait.catch(() => undefined);
		}
		const stored = this.header
			? this.store.clientToken(cmd.caller.accountId, cmd.clientToken)
			: null;
		if (stored) return replay(stored, cmd.requestHash);
		const now = clock.now();
		const license = this.consumable(cmd.caller, cmd.licenseArn);
		if (!license.ok) return license;
		const refusal = borrowRefusal(license.value, now);
		if (refusal) return { ok: false, error: refusal };
		const retryAfter = this.limiter.take(now);
		if (retryAfter !== null) {
			return fail(
				"RateLimitExceededException",
				"Too many checkouts of this license; try again shortly.",
				{
					retryAfter,
				},
			);
		}
		const usage = this.store.usage();
		const plan = planLeases(
			license.value,
			cmd.entitlements,
			(name) => (usage.get(name) ?? 0) + (this.pending.get(name) ?? 0),
		);
		if (!plan.ok) return plan;
		const tooMany = this.liveBorrowLimitRefusal(now);
		if (tooMany) return tooMany;

		const leases = plan.value;
		this.reserve(leases, +1);
		const work = this.finishCheckout(cmd, license.value, leases, now);
		this.inflight.set(key, work);
		try {
			return await work;
		} finally {
			this.inflight.delete(key);
			this.reserve(leases, -1);
		}
	}

	/**
	 * SPEC §11 live borrows per license, decided in the same synchronous step as
	 * capacity and counting borrows being signed, so a burst cannot pass it. Borrows
	 * past their expiration that the alarm has not yet ended are settled first.
	 */
	private liveBorrowLimitRefusal(now: number): { ok: false; error: WireError } | null {
		const max = this.config.limits.liveBorrowsPerLicense;
		const live = () => this.store.liveBorrowCount() + this.pendingBorrows;
		if (live() < max) return null;
		const nextExpiry = this.store.nextBorrowExpiry();
		if (nextExpiry !== null && nextExpiry <= now) {
			this.expireDue(now);
			this.scheduleAlarm();
			if (live() < max) return null;
		}
		return limitExceeded(
			"live borrows per license",
			max,
			"Check in or wait for borrows to expire, then check out again.",
		);
	}

	private reserve(leases: readonly Lease[], sign: 1 | -1): void {
		this.pendingBorrows += sign;
		for (const lease of leases) {
			if (lease.quantity === 0) continue;
			this.pending.set(lease.name, (this.pending.get(lease.name) ?? 0) + sign * lease.quantity);
		}
	}

	private async finishCheckout(
		cmd: CheckoutCommand,
		license: License,
		leases: Lease[],
		now: number,
	): Promise<Result<string>> {
		const issuedAt = floorToSecond(now);
		const expiresAt = floorToSecond(borrowExpiration(license, now, this.config.maxTtlMinutes));
		const token = mintConsumptionToken(this.header?.licenseId ?? "");
		let reply: Awaited<ReturnType<typeof signedCheckoutReply>>;
		try {
			reply = await signedCheckoutReply(this.env, {
				issuerId: this.config.issuerId,
				license,
				leases,
				token,
				issuedAt,
				expiresAt,
				now,
				...(cmd.nodeId !== undefined ? { nodeId: cmd.nodeId } : {}),
				...(cmd.checkoutMetadata !== undefined ? { checkoutMetadata: cmd.checkoutMetadata } : {}),
			});
		} catch (err) {
			// A key that cannot sign is an outage, not the caller's fault: log it here, tell nothing.
			console.error("checkout signing failed:", err instanceof Error ? err.message : String(err));
			return fail(
				"ServerInternalException",
				"The server experienced an internal error. Try again.",
			);
		}
		const { response, entitlementsAllowed } = reply;
		this.ctx.storage.transactionSync(() => {
			// Re-check what the await could have changed: the capacity was held in
			// `pending` and the ClientToken in `inflight`, so only a record written
			// by another path (none exists today) could be here.
			if (this.store.clientToken(cmd.caller.accountId, cmd.clientToken)) {
				throw new Error("ClientToken recorded while its first request was in flight");
			}
			this.store.insertBorrow({
				token,
				accountId: cmd.caller.accountId,
				clientToken: cmd.clientToken,
				status: "ACTIVE",
				issuedAt,
				expiresAt,
				returnedAt: null,
				leases,
			});
			for (const lease of leases)
				if (lease.quantity > 0) this.store.addUsage(lease.name, lease.quantity);
			this.store.putClientToken(
				cmd.caller.accountId,
				cmd.clientToken,
				cmd.requestHash,
				response,
				token,
				expiresAt + DAY_MS,
			);
			this.enqueue(
				[
					{
						kind: "checkout",
						token,
						licenseArn: license.LicenseArn,
						accountId: cmd.caller.accountId,
						accessKeyId: cmd.caller.accessKeyId,
						clientToken: cmd.clientToken,
						nodeId: cmd.nodeId ?? null,
						entitlements: entitlementsAllowed,
						issuedAt: isoSeconds(issuedAt),
						expiresAt: isoSeconds(expiresAt),
						requestId: cmd.caller.requestId,
					},
					auditRecord(cmd.caller, "CheckoutBorrowLicense", license.LicenseArn, now, token),
				],
				now,
			);
		});
		this.scheduleAlarm();
		return { ok: true, value: response };
	}

	/** SPEC §4: early return of a borrow's quantities; repeating it, or after expiry, changes nothing. */
	checkIn(caller: Caller, token: string, beneficiary?: string): Result<string> {
		const found = this.ownBorrow(caller, token);
		if (!found.ok) return found;
		const { borrow, license } = found.value;
		if (
			beneficiary !== undefined &&
			beneficiary !== borrow.accountId &&
			beneficiary !== license.Beneficiary
		) {
			return fail(
				"ValidationException",
				"Beneficiary does not match the account that borrowed this license.",
			);
		}
		const now = clock.now();
		if (borrow.status !== "ACTIVE") return { ok: true, value: "{}" };
		if (borrow.expiresAt <= now) {
			// Expired, and the alarm has not run yet: settle it as the alarm would.
			this.ctx.storage.transactionSync(() =>
				this.endBorrow(borrow, "EXPIRED", borrow.expiresAt, now, null),
			);
			this.scheduleAlarm();
			return { ok: true, value: "{}" };
		}
		const refusal = checkInRefusal(license, borrow.leases);
		if (refusal) return fail("ValidationException", refusal);
		this.ctx.storage.transactionSync(() => this.endBorrow(borrow, "CHECKED_IN", now, now, caller));
		this.scheduleAlarm();
		return { ok: true, value: "{}" };
	}

	/** SPEC §4: moves the server-side Expiration to now + TTL (bounded by validity); the signed token keeps its exp. */
	extend(caller: Caller, token: string, dryRun: boolean): Result<string> {
		const found = this.ownBorrow(caller, token);
		if (!found.ok) return found;
		const { borrow, license } = found.value;
		const now = clock.now();
		if (borrow.status !== "ACTIVE" || borrow.expiresAt <= now) {
			const state = borrow.status === "CHECKED_IN" ? "was checked in" : "has expired";
			return fail(
				"ValidationException",
				`The borrow ${state}; check out again instead of extending it.`,
			);
		}
		if (license.Status !== "AVAILABLE") {
			return fail(
				"ValidationException",
				`License is ${license.Status}; only borrows of AVAILABLE licenses can be extended.`,
			);
		}
		const refusal = borrowRefusal(license, now);
		if (refusal) return fail("ValidationException", refusal.message);
		if (dryRun) {
			return {
				ok: true,
				value: JSON.stringify({
					LicenseConsumptionToken: token,
					Expiration: isoSeconds(borrow.expiresAt),
				}),
			};
		}
		const expiresAt = floorToSecond(borrowExpiration(license, now, this.config.maxTtlMinutes));
		this.ctx.storage.transactionSync(() => {
			this.store.setBorrowExpiry(token, expiresAt);
			this.store.setClientTokenPurge(token, expiresAt + DAY_MS);
			this.enqueue(borrowStatusRecord(borrow, "ACTIVE", expiresAt, null), now);
			this.enqueue(
				auditRecord(caller, "ExtendLicenseConsumption", license.LicenseArn, now, token),
				now,
			);
		});
		this.scheduleAlarm();
		return {
			ok: true,
			value: JSON.stringify({ LicenseConsumptionToken: token, Expiration: isoSeconds(expiresAt) }),
		};
	}

	/** A borrow of the caller's; anyone else's token is indistinguishable from an unknown one. */
	private ownBorrow(
		caller: Caller,
		token: string,
	): Result<{ borrow: BorrowRow; license: License }> {
		const header = this.header;
		const borrow = header ? this.store.borrow(token) : null;
		if (!header || !this.current || !borrow || borrow.accountId !== caller.accountId) {
			return fail("ResourceNotFoundException", "License consumption token not found.");
		}
		if (isDeleted(header)) {
			return fail(
				"ResourceNotFoundException",
				"License consumption token not found: its license was deleted.",
			);
		}
		return { ok: true, value: { borrow, license: this.current } };
	}

	// ---- versions and deletion --------------------------------------------------

	createVersion(cmd: CreateVersionCommand): Promise<Result<string>> {
		return this.recorded(this.decideCreateVersion(cmd));
	}

	private decideCreateVersion(cmd: CreateVersionCommand): Result<string> {
		const owned = this.issued(cmd.caller, cmd.arn);
		if (!owned.ok) return owned;
		const { header, license } = owned.value;
		const tokenKey = `version:${cmd.clientToken}`;
		const stored = this.store.clientToken(cmd.caller.accountId, tokenKey);
		if (stored) return replay(stored, cmd.requestHash);
		if (isDeleted(header)) {
			return fail("ConflictException", "License is DELETED; it can no longer change.");
		}
		if (cmd.sourceVersion !== undefined && cmd.sourceVersion !== license.Version) {
			return fail(
				"ConflictException",
				`SourceVersion ${cmd.sourceVersion} is not the current version (${license.Version}).`,
			);
		}
		if (cmd.changes.HomeRegion !== license.HomeRegion) {
			return fail("ValidationException", "HomeRegion cannot change in a new license version.");
		}
		if (cmd.changes.Status === "DELETED" || cmd.changes.Status === "PENDING_DELETE") {
			return fail("ValidationException", "Use DeleteLicense to delete a license.");
		}
		const { versionsPerLicense, licenseDocumentBytes } = this.config.limits;
		if (header.currentVersion >= versionsPerLicense) {
			return limitExceeded(
				"versions per license",
				versionsPerLicense,
				"Create a new license instead of another version.",
			);
		}
		const now = clock.now();
		const version = header.currentVersion + 1;
		const doc: License = {
			...license,
			...cmd.changes,
			LicenseArn: license.LicenseArn,
			ProductSKU: license.ProductSKU,
			Beneficiary: license.Beneficiary,
			CreateTime: isoSeconds(now),
			Version: String(version),
		};
		if (!cmd.changes.LicenseMetadata) delete doc.LicenseMetadata;
		// Measured on the document as stored: it includes what the request cannot change.
		const tooLarge = documentSizeRefusal(doc, licenseDocumentBytes);
		if (tooLarge) return { ok: false, error: tooLarge };
		const response = JSON.stringify({
			LicenseArn: doc.LicenseArn,
			Version: doc.Version,
			Status: doc.Status,
		});
		this.ctx.storage.transactionSync(() => {
			this.store.insertVersion(version, doc);
			this.store.setCurrent(version, doc.Status);
			this.store.putClientToken(
				cmd.caller.accountId,
				tokenKey,
				cmd.requestHash,
				response,
				"",
				now + DAY_MS,
			);
			this.reload();
			this.enqueueLicense(true, now);
			this.enqueue(
				auditRecord(cmd.caller, "CreateLicenseVersion", doc.LicenseArn, now, doc.Version),
				now,
			);
		});
		this.scheduleAlarm();
		return { ok: true, value: response };
	}

	deleteLicense(caller: Caller, arn: string, sourceVersion: string): Promise<Result<string>> {
		return this.recorded(this.decideDeleteLicense(caller, arn, sourceVersion));
	}

	private decideDeleteLicense(caller: Caller, arn: string, sourceVersion: string): Result<string> {
		const owned = this.issued(caller, arn);
		if (!owned.ok) return owned;
		const { header, license } = owned.value;
		if (header.status === "DELETED" && header.deletedAt !== null) {
			return {
				ok: true,
				value: JSON.stringify({ Status: "DELETED", DeletionDate: isoSeconds(header.deletedAt) }),
			};
		}
		if (sourceVersion !== license.Version) {
			return fail(
				"ConflictException",
				`SourceVersion ${sourceVersion} is not the current version (${license.Version}).`,
			);
		}
		const now = clock.now();
		this.expireDue(now);
		const live = this.store.liveBorrowCount() + this.pendingBorrows;
		if (live > 0) {
			return fail(
				"ConflictException",
				`License has ${live} live borrow(s); it can be deleted once they end.`,
			);
		}
		this.ctx.storage.transactionSync(() => {
			this.store.markDeleted(now);
			this.reload();
			this.enqueueLicense(false, now);
			this.enqueue(auditRecord(caller, "DeleteLicense", arn, now, license.Version), now);
		});
		return {
			ok: true,
			value: JSON.stringify({ Status: "DELETED", DeletionDate: isoSeconds(now) }),
		};
	}

	/** One page of versions after `afterVersion`, within the request's MaxResults and the response budget. */
	listVersions(
		caller: Caller,
		arn: string,
		afterVersion: number,
		budget: PageBudget,
	): Result<Page<License>> {
		const seen = this.visible(caller, arn);
		if (!seen.ok) return seen;
		return { ok: true, value: takePage(this.store.versionsAfter(afterVersion), budget) };
	}

	/** Seller operations: only the issuer may change a license. */
	// ---- helpers --------------------------------------------------------------

	private visible(caller: Caller, arn: string): Result<License> {
		return visibleLicense(this.header, this.current, caller, arn);
	}

	private consumable(caller: Caller, arn: string): Result<License> {
		return consumableLicense(this.header, this.current, caller, arn);
	}

	private issued(caller: Caller, arn: string): Result<{ header: LicenseHeader; license: License }> {
		return issuedLicense(this.header, this.current, caller, arn);
	}

	private enqueue(record: OutboxRecord | OutboxRecord[], now: number): void {
		this.store.enqueue(record, now);
	}

	private enqueueLicense(newVersion: boolean, now: number): void {
		if (!this.header || !this.current) throw new Error("license not loaded");
		this.enqueue(licenseRecord(this.header, this.current, newVersion, now), now);
	}

	// ---- expiry, purge and the outbox: the alarm ---------------------------------

	override async alarm(): Promise<void> {
		// Alarms are retried only a few times if they throw: this one never does.
		this.alarmAt = null;
		try {
			if (this.header) {
				const now = clock.now();
				this.expireDue(now);
				this.store.purgeClientTokens(now);
				this.purgeEndedBorrows(now);
				await this.drainOutbox();
			}
		} catch (err) {
			console.error("license alarm failed:", err instanceof Error ? err.message : String(err));
		} finally {
			this.scheduleAlarm();
		}
	}

	private expireDue(now: number): void {
		for (;;) {
			const due = this.store.dueBorrows(now, EXPIRY_BATCH);
			if (due.length === 0) return;
			this.ctx.storage.transactionSync(() => {
				for (const borrow of due) this.endBorrow(borrow, "EXPIRED", borrow.expiresAt, now, null);
			});
		}
	}

	/**
	 * SPEC §11: an ended borrow stays `endedBorrowMs` after it ended (a late check-in
	 * or extend still finds it), then goes. Nothing else refers to the row: usage was
	 * released when it ended, and a replay reads the ClientToken record, which is
	 * purged by its own rule. A backlog is taken a bounded amount per alarm.
	 */
	private purgeEndedBorrows(now: number): void {
		const endedBy = now - this.config.retention.endedBorrowMs;
		for (let i = 0; i < PURGE_BATCHES_PER_ALARM; i++) {
			if (this.store.purgeEndedBorrows(endedBy, PURGE_BATCH) < PURGE_BATCH) return;
		}
	}

	/** Releases a live borrow's quantities once; called inside a transaction. */
	private endBorrow(
		borrow: BorrowRow,
		status: "CHECKED_IN" | "EXPIRED",
		at: number,
		now: number,
		caller: Caller | null,
	): void {
		this.store.endBorrow(borrow.token, status, at);
		for (const lease of borrow.leases)
			if (lease.quantity > 0) this.store.addUsage(lease.name, -lease.quantity);
		this.enqueue(borrowStatusRecord(borrow, status, borrow.expiresAt, at), now);
		const arn = this.header?.arn ?? "";
		this.enqueue(
			caller
				? auditRecord(caller, "CheckInLicense", arn, now, borrow.token)
				: expiryAuditRecord(borrow, arn, now),
			now,
		);
	}

	/** Sends due outbox rows to D1 (see OutboxDrainer); seller operations await it. */
	drainOutbox(): Promise<boolean> {
		return this.drainer.drain();
	}

	/**
	 * SPEC §7: a seller operation replies once D1 holds its change, so a listing right
	 * after it sees it. If D1 refuses, the change stands (the object decided it) and
	 * the outbox keeps retrying; the caller is told to retry, which is idempotent.
	 */
	private async recorded(decision: Result<string>): Promise<Result<string>> {
		if (!decision.ok || (await this.drainer.drain(true))) return decision;
		return fail(
			"ServerInternalException",
			"The change was made but its records are not yet queryable; retry the same request.",
		);
	}

	/**
	 * Purges falling due within PURGE_COALESCE_MS of each other share one alarm; a
	 * purge already due (a backlog the last alarm left) runs at once.
	 */
	private purgeAlarmAt(earliestEnded: number): number {
		const due = earliestEnded + this.config.retention.endedBorrowMs;
		const now = clock.now();
		return due <= now ? now : due + PURGE_COALESCE_MS;
	}

	/** The one alarm: the earliest of the next expiry, outbox retry, ClientToken purge and retention purge. */
	private scheduleAlarm(): void {
		try {
			const outbox = this.store.nextOutboxAttempt();
			const ended = this.store.earliestEndedBorrow();
			const candidates = [
				this.store.nextBorrowExpiry(),
				// Checkouts do not wait for D1: fresh rows gather for a moment and go in one
				// batch; a row that failed keeps its backoff.
				outbox === null
					? null
					: outbox.retry
						? outbox.at
						: Math.max(outbox.at, clock.now() + OUTBOX_COALESCE_MS),
				this.store.nextClientTokenPurge(),
				ended === null ? null : this.purgeAlarmAt(ended),
			].filter((t): t is number => t !== null);
			if (candidates.length === 0) return;
			const at = Math.min(...candidates);
			if (this.alarmAt !== null && this.alarmAt <= at) return;
			this.alarmAt = at;
			void this.ctx.storage.setAlarm(at);
		} catch (err) {
			console.error(
				"scheduling the license alarm failed:",
				err instanceof Error ? err.message : String(err),
			);
		}
	}
}
