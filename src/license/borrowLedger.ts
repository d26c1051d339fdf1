import { borrowIdOf } from "../borrowId";
import { floorToSecond } from "../clock";
import type { Config } from "../config";
import { mintConsumptionToken } from "../licenseIds";
import type { Failure } from "../result";
import type { LicenseAlarm } from "./alarm";
import * as borrowRules from "./borrowRules";
import { checkoutGrant, unsignedCheckout } from "./checkoutReply";
import { clientTokenPurgeAt } from "./clientTokens";
import type { Caller, CheckoutCommand, UnsignedCheckout } from "./contract";
import type { Borrow, BorrowStatus, Lease, License, LicenseHeader } from "./model";
import * as outbox from "./outbox";
import type { LicenseStore } from "./storage";

/**
 * The borrow ledger: what live borrows hold, and every commit that changes it — a
 * checkout, a check-in, an extension, a revocation, an expiry. Each commit is one
 * transaction (borrow row, usage, ClientToken record, outbox records), then the alarm
 * is set to what is left. Apart from ./object.ts so the object keeps only when these
 * run: it decides in one synchronous step and calls the commit within it.
 */

/** Due borrows ended per transaction when the alarm (or a limit) settles expiries. */
const EXPIRY_BATCH = 500;

/** What the ledger reads of its object at each call (the header changes with CreateLicense). */
export interface LedgerContext {
	header(): LicenseHeader | null;
	config(): Config;
}

export class BorrowLedger {
	/**
	 * What committed live borrows hold: units and the borrow count read from storage
	 * once, kept in step with each checkout after its commit, dropped (and read again)
	 * whenever a borrow ends or is revoked. A checkout counts from its decision (it is
	 * committed before its token is signed), so nothing in flight needs adding. The
	 * per-node and per-account counts are read only when a borrow policy asks for them.
	 */
	private held: { units: Map<string, number>; borrows: number } | null = null;

	constructor(
		private readonly store: LicenseStore,
		private readonly storage: Pick<DurableObjectStorage, "transactionSync">,
		private readonly alarms: LicenseAlarm,
		private readonly context: LedgerContext,
	) {}

	holdings(): borrowRules.Holdings {
		this.held ??= { units: this.store.usage(), borrows: this.store.liveBorrowCount() };
		const { units, borrows } = this.held;
		return {
			units: (name) => units.get(name) ?? 0,
			borrows,
			nodeBorrows: (nodeId) => this.store.liveBorrowsOfNode(nodeId),
			accountBorrows: (accountId) => this.store.liveBorrowsOfAccount(accountId),
		};
	}

	/**
	 * SPEC §11 live borrows per license. At the limit, borrows past their expiration
	 * that the alarm has not yet ended are settled first, then the limit is asked again.
	 */
	liveBorrowLimit(now: number): Failure | null {
		const max = this.context.config().limits.liveBorrowsPerLicense;
		const refusal = borrowRules.liveBorrowLimitRefusal(this.holdings(), max);
		if (!refusal) return null;
		const nextExpiry = this.store.nextBorrowExpiry();
		if (nextExpiry === null || nextExpiry > now) return refusal;
		this.expireDue(now);
		this.alarms.schedule();
		return borrowRules.liveBorrowLimitRefusal(this.holdings(), max);
	}

	/** Commits a decided checkout — borrow, usage, ClientToken record with its claims, outbox — in one transaction. */
	commitCheckout(
		cmd: CheckoutCommand,
		license: License,
		leases: Lease[],
		now: number,
	): UnsignedCheckout {
		const config = this.context.config();
		const token = mintConsumptionToken(this.context.header()?.licenseId ?? "");
		const grant = checkoutGrant(license, leases, token, now, config.maxTtlMinutes, cmd);
		const unsigned = unsignedCheckout(grant, config.issuerId, now);
		const { caller, clientToken } = cmd;
		// Hashed once here; the outbox records carry it, so D1's writes need not hash again.
		const borrowId = borrowIdOf(grant.token);
		// No ClientToken re-check inside: the object's replay check ran in the same
		// synchronous step (LicenseObject.checkout), and the record's primary key
		// refuses a second insert anyway.
		this.storage.transactionSync(() => {
			this.store.insertBorrow({
				token: grant.token,
				borrowId,
				accountId: caller.accountId,
				nodeId: grant.nodeId ?? null,
				clientToken,
				status: "ACTIVE",
				issuedAt: grant.issuedAt,
				expiresAt: grant.expiresAt,
				returnedAt: null,
				// The signed exp: Extend moves expiresAt, never this (the revocation list needs it).
				tokenExp: grant.expiresAt,
				revokedAt: null,
				revokeReason: null,
				leases,
			});
			for (const lease of leases)
				if (lease.quantity > 0) this.store.addUsage(lease.name, lease.quantity);
			this.store.putClientToken(
				caller.accountId,
				clientToken,
				cmd.requestHash,
				"",
				grant.token,
				clientTokenPurgeAt(grant.expiresAt),
				JSON.stringify(unsigned),
			);
			this.store.enqueue(
				[
					outbox.checkoutRecord(caller, clientToken, grant, borrowId),
					outbox.auditRecord(caller, "CheckoutBorrowLicense", license.LicenseArn, now, borrowId),
				],
				now,
			);
		});
		if (this.held) {
			this.held.borrows += 1;
			for (const lease of leases)
				if (lease.quantity > 0)
					this.held.units.set(lease.name, (this.held.units.get(lease.name) ?? 0) + lease.quantity);
		}
		this.alarms.scheduleAfterCheckout(now, grant.expiresAt);
		return unsigned;
	}

	/** SPEC §4 CheckInLicense: the borrow's quantities return now. */
	checkIn(borrow: Borrow, caller: Caller, now: number): void {
		this.storage.transactionSync(() => this.endBorrow(borrow, "CHECKED_IN", now, now, caller));
		this.alarms.schedule();
	}

	/** A live borrow past its Expiration that the alarm has not ended yet: settled as the alarm would. */
	expire(borrow: Borrow, now: number): void {
		this.storage.transactionSync(() =>
			this.endBorrow(borrow, "EXPIRED", borrow.expiresAt, now, null),
		);
		this.alarms.schedule();
	}

	/**
	 * SPEC §4 ExtendLicenseConsumption: the server-side Expiration moves to now + TTL
	 * (bounded by validity), and the ClientToken record's purge with it. Returns the
	 * new Expiration.
	 */
	extend(borrow: Borrow, license: License, caller: Caller, now: number): number {
		const { maxTtlMinutes } = this.context.config();
		const expiresAt = floorToSecond(borrowRules.borrowExpiration(license, now, maxTtlMinutes));
		this.storage.transactionSync(() => {
			this.store.setBorrowExpiry(borrow.token, expiresAt);
			this.store.setClientTokenPurge(borrow.token, clientTokenPurgeAt(expiresAt));
			this.store.enqueue(outbox.borrowStatusRecord(borrow, "ACTIVE", expiresAt, null), now);
			this.store.enqueue(
				outbox.auditRecord(
					caller,
					"ExtendLicenseConsumption",
					license.LicenseArn,
					now,
					borrow.borrowId,
				),
				now,
			);
		});
		this.alarms.schedule();
		return expiresAt;
	}

	/** SPEC §8 RevokeBorrow: a live borrow's quantities return at once; the borrow joins the revocation list. */
	revoke(borrow: Borrow, caller: Caller, arn: string, reason: string | null, now: number): void {
		this.storage.transactionSync(() => {
			const was = this.store.revokeBorrow(borrow.token, now, reason);
			this.held = null;
			if (was === "ACTIVE")
				for (const lease of borrow.leases)
					if (lease.quantity > 0) this.store.addUsage(lease.name, -lease.quantity);
			this.store.enqueue(
				[
					outbox.borrowStatusRecord(borrow, "REVOKED", borrow.expiresAt, borrow.returnedAt ?? now),
					outbox.auditRecord(caller, "RevokeBorrow", arn, now, borrow.borrowId),
				],
				now,
			);
		});
		this.alarms.schedule();
	}

	/** Ends the borrows past their Expiration, if any is live, and sets the alarm to what is left. */
	settleDue(now: number): void {
		if (this.store.nextBorrowExpiry() === null) return;
		this.expireDue(now);
		this.alarms.schedule();
	}

	/** Ends every live borrow whose Expiration has passed, a batch per transaction. */
	expireDue(now: number): void {
		for (;;) {
			const due = this.store.dueBorrows(now, EXPIRY_BATCH);
			if (due.length === 0) return;
			this.storage.transactionSync(() => {
				for (const borrow of due) this.endBorrow(borrow, "EXPIRED", borrow.expiresAt, now, null);
			});
		}
	}

	/** Releases a live borrow's quantities once; called inside a transaction. */
	private endBorrow(
		borrow: Borrow,
		status: Extract<BorrowStatus, "CHECKED_IN" | "EXPIRED">,
		at: number,
		now: number,
		caller: Caller | null,
	): void {
		this.store.endBorrow(borrow.token, status, at);
		this.held = null;
		for (const lease of borrow.leases)
			if (lease.quantity > 0) this.store.addUsage(lease.name, -lease.quantity);
		this.store.enqueue(outbox.borrowStatusRecord(borrow, status, borrow.expiresAt, at), now);
		const arn = this.context.header()?.arn ?? "";
		this.store.enqueue(
			caller
				? outbox.auditRecord(caller, "CheckInLicense", arn, now, borrow.borrowId)
				: outbox.expiryAuditRecord(borrow, arn, now),
			now,
		);
	}
}
