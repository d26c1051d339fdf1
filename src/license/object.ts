import { DurableObject } from "cloudflare:workers";
import { borrowIdOf } from "../borrowId";
import { clock, isoSeconds } from "../clock";
import { type Config, loadConfig } from "../config";
import type { Env } from "../env";
import { mapped, type Page, type PageBudget, takePage } from "../listPage";
import { logEvent } from "../log";
import { fail, type Result } from "../result";
import * as access from "./access";
import { LicenseAlarm } from "./alarm";
import { BorrowLedger } from "./borrowLedger";
import * as borrowRules from "./borrowRules";
import { checkoutReplayOf } from "./clientTokens";
import type {
	Caller,
	CheckoutAnswer,
	CheckoutCommand,
	CreateLicenseCommand,
	CreateVersionCommand,
} from "./contract";
import type { Borrow, License, LicenseHeader, LicenseStatus } from "./model";
import * as outbox from "./outbox";
import { type FixedWindowLimiter, perLicenseLimiter } from "./rateLimit";
import { RevocationListKeeper } from "./revocationListKeeper";
import { SellerCommits } from "./sellerCommits";
import { type BorrowFilter, LicenseStore, migrate } from "./storage";

/**
 * One license: the only writer of its borrows, usage and ClientToken records. This
 * file is the RPC surface and the concurrency; what is allowed is decided by the
 * pure rules beside it (./access.ts, ./borrowRules.ts, ./sellerRules.ts), the
 * commits are the borrow ledger's (./borrowLedger.ts) and the seller's
 * (./sellerCommits.ts), what D1 must copy is built in ./outbox.ts, the signed
 * revocation list is kept by ./revocationListKeeper.ts, and when the object wakes
 * is ./alarm.ts. Vocabulary: ./model.ts.
 *
 * Concurrency design for checkout: the object decides and commits in one
 * synchronous step and answers the claims; the Worker signs them and stores the
 * response back (`checkout` says why, and which rules that keeps).
 */
export class LicenseObject extends DurableObject<Env> {
	private readonly store: LicenseStore;
	private header: LicenseHeader | null = null;
	private current: License | null = null;
	private readonly drainer: outbox.OutboxDrainer;
	private readonly alarms: LicenseAlarm;
	private readonly ledger: BorrowLedger;
	private readonly seller: SellerCommits;
	private readonly revocationLists: RevocationListKeeper;
	/** Loaded once, in the constructor: a deploy with other vars restarts the object. */
	private config: Config;
	private limiter: FixedWindowLimiter;

	constructor(ctx: DurableObjectState, env: Env) {
		super(ctx, env);
		this.store = new LicenseStore(ctx.storage.sql);
		this.config = loadConfig(env);
		this.limiter = perLicenseLimiter(this.config);
		this.alarms = new LicenseAlarm(this.store, ctx.storage, () => this.config.retention);
		this.drainer = new outbox.OutboxDrainer(this.store, env.DB, () => this.alarms.schedule());
		// Read at each call: the header changes with CreateLicense, env and config with a (tests') redeploy.
		const view = { header: () => this.header, config: () => this.config, env: () => this.env };
		this.ledger = new BorrowLedger(this.store, ctx.storage, this.alarms, view);
		this.seller = new SellerCommits({
			store: this.store,
			// A seller commit reloads the license inside its transaction (its outbox record
			// is built from the new version); if the transaction then rolls back, the
			// in-memory license is read again so it never shows an uncommitted change.
			storage: {
				transactionSync: <T>(commit: () => T): T => {
					try {
						return ctx.storage.transactionSync(commit);
					} catch (err) {
						this.reload();
						throw err;
					}
				},
			},
			license: () => ({ header: this.header, current: this.current }),
			reload: () => this.reload(),
			migrateSchema: () => this.migrateSchema(),
			limits: () => this.config.limits,
			scheduleAlarm: () => this.alarms.schedule(),
			expireDue: (now) => this.ledger.expireDue(now),
		});
		this.revocationLists = new RevocationListKeeper(this.store, view);
		// An unknown license id leaves no object behind: tables are made by CreateLicense.
		if (this.store.exists()) {
			this.migrateSchema();
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

	/** Tests only, as `redeployForTests`: the per-license limiter, given instead of built from config. */
	static useLimiterForTests(object: LicenseObject, limiter: FixedWindowLimiter): void {
		object.limiter = limiter;
	}

	private migrateSchema(): void {
		migrate(this.ctx.storage.sql, (step) => this.ctx.storage.transactionSync(step));
		// Borrows stored before borrow ids get theirs once (SQL has no SHA-256).
		this.ctx.storage.transactionSync(() => this.store.backfillBorrowIds(borrowIdOf));
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

	// ---- reads ----------------------------------------------------------------

	getLicense(caller: Caller, arn: string, version?: string): Result<License> {
		const seen = access.visibleLicense(this.header, this.current, caller, arn);
		if (!seen.ok) return seen;
		if (version === undefined) return seen;
		const doc = /^[1-9][0-9]*$/.test(version) ? this.store.version(Number(version)) : null;
		if (!doc)
			return fail("ResourceNotFoundException", `License version ${version} does not exist.`);
		return { ok: true, value: doc };
	}

	getUsage(caller: Caller, arn: string): Result<string> {
		const seen = access.visibleLicense(this.header, this.current, caller, arn);
		if (!seen.ok) return seen;
		const usage = this.store.usage();
		return { ok: true, value: borrowRules.usageReport(seen.value, (name) => usage.get(name) ?? 0) };
	}

	/** One page of versions after `afterVersion`, within the request's MaxResults and the response budget. */
	listVersions(
		caller: Caller,
		arn: string,
		afterVersion: number,
		budget: PageBudget,
	): Result<Page<License>> {
		const seen = access.visibleLicense(this.header, this.current, caller, arn);
		if (!seen.ok) return seen;
		return { ok: true, value: takePage(this.store.versionsAfter(afterVersion), budget) };
	}

	// ---- borrowing -----------------------------------------------------------

	/**
	 * SPEC §4 steps 4-9, then the commit: the object decides and commits, the Worker
	 * signs. Nothing here awaits, so the replay check, the limits and the commit are
	 * one synchronous step that no other call can interleave with — a burst cannot
	 * over-allocate, and nothing is held in memory across a signature.
	 *
	 * Why the signature is not made here: signing is ~2 ms of CPU on the object's one
	 * thread, so an object that signs caps its license at one thread's signing rate
	 * and queues every concurrent checkout behind the others' signatures. Committed
	 * first, the decision (borrow, usage, ClientToken record holding the claims,
	 * outbox) answers the claims; the Worker signs them and stores the response back
	 * (`storeCheckoutResponse`). The rules that makes keep:
	 * - a refusal is answered before any claims exist: it costs no signature;
	 * - concurrent duplicates find the record the first one committed, so there is one
	 *   borrow; each signs the same claims, and the first response stored back is the
	 *   one every duplicate and replay answers, byte for byte;
	 * - a Worker that fails or dies after the decision leaves a borrow whose claims
	 *   are stored: a retry of the same ClientToken signs them and stores them back.
	 */
	checkout(cmd: CheckoutCommand): Result<CheckoutAnswer> {
		const stored = this.header
			? this.store.clientToken(cmd.caller.accountId, cmd.clientToken)
			: null;
		if (stored) return checkoutReplayOf(stored, cmd.requestHash);
		const now = clock.now();
		const license = access.consumableLicense(this.header, this.current, cmd.caller, cmd.licenseArn);
		if (!license.ok) return license;
		const refusal = borrowRules.borrowRefusal(license.value, now);
		if (refusal) return { ok: false, error: refusal };
		const retryAfter = this.limiter.take(now);
		if (retryAfter !== null) {
			return fail(
				"RateLimitExceededException",
				"Too many checkouts of this license; try again shortly.",
				{ retryAfter },
			);
		}
		const borrower = { accountId: cmd.caller.accountId, nodeId: cmd.nodeId };
		const held = this.ledger.holdings();
		const plan = borrowRules.planBorrow(license.value, cmd.entitlements, held, borrower);
		if (!plan.ok) return plan;
		const tooMany = this.ledger.liveBorrowLimit(now);
		if (tooMany) return tooMany;
		return {
			ok: true,
			value: { unsigned: this.ledger.commitCheckout(cmd, license.value, plan.value, now) },
		};
	}

	/**
	 * The Worker's signed response for a decided checkout (compare-and-set): the first
	 * stored wins, and every store-back answers the bytes stored, so duplicates that
	 * each signed end with one identical body.
	 */
	storeCheckoutResponse(caller: Caller, clientToken: string, response: string): Result<string> {
		const stored = this.header
			? this.store.storeSignedResponse(caller.accountId, clientToken, response)
			: null;
		if (stored === null) {
			// Records outlive their borrow by a day; one missing here is a bug, not a client error.
			logEvent("checkout_store_back_without_record", {}, "error");
			return fail(
				"ServerInternalException",
				"The server experienced an internal error. Try again.",
			);
		}
		return { ok: true, value: stored };
	}

	/** SPEC §4: early return of a borrow's quantities; repeating it, or after expiry, changes nothing. */
	checkIn(caller: Caller, token: string, beneficiary?: string): Result<string> {
		const found = this.ownBorrow(caller, token);
		if (!found.ok) return found;
		const { borrow, license } = found.value;
		const now = clock.now();
		const decision = borrowRules.checkInDecision(borrow, license, beneficiary, now);
		if (!decision.ok) return decision;
		if (decision.value === "unchanged") return { ok: true, value: "{}" };
		// Expired, and the alarm has not run yet: settle it as the alarm would.
		if (decision.value === "expire") this.ledger.expire(borrow, now);
		else this.ledger.checkIn(borrow, caller, now);
		return { ok: true, value: "{}" };
	}

	/** SPEC §4: moves the server-side Expiration to now + TTL (bounded by validity); the signed token keeps its exp. */
	extend(caller: Caller, token: string, dryRun: boolean): Result<string> {
		const found = this.ownBorrow(caller, token);
		if (!found.ok) return found;
		const { borrow, license } = found.value;
		const now = clock.now();
		const refusal = borrowRules.extendRefusal(borrow, license, now);
		if (refusal) return refusal;
		if (dryRun)
			return { ok: true, value: borrowRules.extendResponse(token, isoSeconds(borrow.expiresAt)) };
		const expiresAt = this.ledger.extend(borrow, license, caller, now);
		return { ok: true, value: borrowRules.extendResponse(token, isoSeconds(expiresAt)) };
	}

	private ownBorrow(caller: Caller, token: string): Result<{ borrow: Borrow; license: License }> {
		const borrow = this.header ? this.store.borrow(token) : null;
		return access.ownBorrow(this.header, this.current, borrow, caller);
	}

	// ---- the seller's view of borrows (SPEC §8) and the revocation list (§9) ------

	/**
	 * One page of borrows, newest first: the issuer sees every borrow, the beneficiary
	 * account only its own. Borrows past their Expiration that the alarm has not ended
	 * yet are settled first, so a listing never shows one ACTIVE that is not.
	 */
	listBorrows(
		caller: Caller,
		arn: string,
		filter: Omit<BorrowFilter, "accountId">,
		budget: PageBudget,
	): Result<Page<borrowRules.BorrowView>> {
		const seen = access.visibleLicense(this.header, this.current, caller, arn);
		if (!seen.ok) return seen;
		this.ledger.settleDue(clock.now());
		const accountId = this.header?.issuerAccount === caller.accountId ? null : caller.accountId;
		const borrows = this.store.borrowsNewestFirst({ ...filter, accountId });
		return { ok: true, value: takePage(mapped(borrows, borrowRules.borrowView), budget) };
	}

	/**
	 * SPEC §8 RevokeBorrow, issuer only: the quantities of a live borrow return at
	 * once, the borrow goes on the revocation list, and D1 learns it through the
	 * outbox. Repeating it answers the same; an expired borrow cannot be revoked.
	 */
	revokeBorrow(caller: Caller, arn: string, borrowId: string, reason?: string): Result<string> {
		const owned = access.issuedLicense(this.header, this.current, caller, arn);
		if (!owned.ok) return owned;
		const borrow = this.store.borrowById(borrowId);
		if (!borrow) return fail("ResourceNotFoundException", `Borrow ${borrowId} does not exist.`);
		const now = clock.now();
		const decision = borrowRules.revokeDecision(borrow, now);
		if (!decision.ok) {
			// A live borrow past its Expiration: settle it as the alarm would, then refuse.
			if (borrow.status === "ACTIVE") this.ledger.expire(borrow, now);
			return decision;
		}
		if (decision.value === "revoke") this.ledger.revoke(borrow, caller, arn, reason ?? null, now);
		const revokedAt = decision.value === "revoke" ? now : (borrow.revokedAt ?? now);
		return { ok: true, value: borrowRules.revokeResponse(borrowId, isoSeconds(revokedAt)) };
	}

	/**
	 * SPEC §9: the license's signed revocation list, or null for an id that holds no
	 * license. The signed list is kept and served until it changes or ages, and
	 * concurrent fetches share one signature (./revocationListKeeper.ts).
	 */
	async revocationList(): Promise<string | null> {
		if (!this.header) return null;
		return this.revocationLists.serve(this.header.arn);
	}

	// ---- seller operations (./sellerCommits.ts) -----------------------------------

	createLicense(cmd: CreateLicenseCommand): Promise<Result<string>> {
		return this.recorded(this.seller.createLicense(cmd));
	}

	createVersion(cmd: CreateVersionCommand): Promise<Result<string>> {
		return this.recorded(this.seller.createVersion(cmd));
	}

	deleteLicense(caller: Caller, arn: string, sourceVersion: string): Promise<Result<string>> {
		return this.recorded(this.seller.deleteLicense(caller, arn, sourceVersion));
	}

	/**
	 * SPEC §7: a seller operation replies once D1 holds its change, so a listing right
	 * after it sees it. If D1 refuses, the change stands (the object decided it) and
	 * the outbox keeps retrying; the caller is told to retry, which is idempotent.
	 */
	private async recorded(decision: Result<string>): Promise<Result<string>> {
		if (!decision.ok || (await this.drainer.sendAll())) return decision;
		return fail(
			"ServerInternalException",
			"The change was made but its records are not yet queryable; retry the same request.",
		);
	}

	// ---- the alarm (./alarm.ts decides what runs and when) ----------------------------

	override alarm(): Promise<void> {
		const work = {
			expireDue: (now: number) => this.ledger.expireDue(now),
			sendOutbox: () => this.drainer.sendDue(),
		};
		return this.alarms.run(this.header ? work : null);
	}

	/** Sends the outbox rows that are due to D1 now (see OutboxDrainer); tests call it. */
	drainOutbox(): Promise<boolean> {
		return this.drainer.sendDue();
	}
}
