import type { Borrower } from "./borrowRules";
import type { Lease } from "./model";

/**
 * Checkouts decided but not yet committed, because their token is being signed (an
 * await, during which the object takes other calls). Memory only, on purpose: an
 * object that dies mid-signature leaves nothing half-held — its client saw no
 * success, and nothing was committed.
 *
 * - What they hold counts against every limit (`units`, `borrows`, and per node and
 *   per account for the borrow policy), so a burst cannot over-allocate and a refusal
 *   never costs a signature.
 * - Their ClientTokens are known (`signingOf`), so a concurrent duplicate waits for
 *   the first and then replays its stored bytes (PSS is randomised; a re-sign differs).
 */
export class InFlightCheckouts {
	private readonly held = new Map<string, number>();
	private count = 0;
	private readonly byNode = new Map<string, number>();
	private readonly byAccount = new Map<string, number>();
	private readonly signing = new Map<string, Promise<unknown>>();

	/** Units of an entitlement held by checkouts being signed. */
	units(entitlement: string): number {
		return this.held.get(entitlement) ?? 0;
	}

	/** Checkouts being signed. */
	get borrows(): number {
		return this.count;
	}

	/** Checkouts of one NodeId being signed. */
	nodeBorrows(nodeId: string): number {
		return this.byNode.get(nodeId) ?? 0;
	}

	/** Checkouts of one account being signed. */
	accountBorrows(accountId: string): number {
		return this.byAccount.get(accountId) ?? 0;
	}

	/**
	 * The checkout with this (account, ClientToken) being signed, if any. Not an async
	 * "wait until": the caller must look again in the same synchronous step in which
	 * it goes on, or a duplicate could slip in between.
	 */
	signingOf(key: string): Promise<unknown> | undefined {
		return this.signing.get(key);
	}

	/** Holds `leases`, the borrower's counts and the key while `work` (signing, then the commit) runs. */
	async run<T>(
		key: string,
		leases: readonly Lease[],
		borrower: Borrower,
		work: () => Promise<T>,
	): Promise<T> {
		this.adjust(leases, borrower, 1);
		const running = work();
		this.signing.set(key, running);
		try {
			return await running;
		} finally {
			this.signing.delete(key);
			this.adjust(leases, borrower, -1);
		}
	}

	private adjust(leases: readonly Lease[], borrower: Borrower, by: 1 | -1): void {
		this.count += by;
		bump(this.byAccount, borrower.accountId, by);
		if (borrower.nodeId !== undefined) bump(this.byNode, borrower.nodeId, by);
		for (const lease of leases) {
			if (lease.quantity === 0) continue;
			this.held.set(lease.name, this.units(lease.name) + by * lease.quantity);
		}
	}
}

/** Adds `by` to a count, dropping it at zero so the maps hold only what is in flight. */
function bump(counts: Map<string, number>, key: string, by: number): void {
	const next = (counts.get(key) ?? 0) + by;
	if (next === 0) counts.delete(key);
	else counts.set(key, next);
}
