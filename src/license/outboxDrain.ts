import { clock } from "../clock";
import { statementsFor } from "../records/d1";
import type { LicenseStore } from "./storage";

const OUTBOX_BATCH = 200;
const OUTBOX_MAX_BACKOFF_MS = 300_000;

/**
 * Sends a license object's outbox rows to D1, strictly oldest first, in batches. A
 * row is deleted only after D1 accepted its batch (D1 writes are idempotent, so a
 * batch D1 committed but did not acknowledge is harmless to re-send); a failure
 * keeps the rows and defers them with a capped exponential backoff, and everything
 * behind them waits. Drains never overlap.
 */
export class OutboxDrainer {
	private chain: Promise<void> = Promise.resolve();

	constructor(
		private readonly store: LicenseStore,
		private readonly db: D1Database,
		private readonly onDeferred: () => void,
	) {}

	/**
	 * Resolves true once every due row has landed, false if D1 refused a batch.
	 * `now`: send everything, backoff or not — a seller operation waiting for its
	 * own rows must send the older ones first.
	 */
	drain(now = false): Promise<boolean> {
		const next = this.chain.then(() => this.drainOnce(now));
		this.chain = next.then(
			() => undefined,
			() => undefined,
		);
		return next;
	}

	private async drainOnce(ignoreBackoff: boolean): Promise<boolean> {
		for (;;) {
			const rows = this.store.dueOutbox(clock.now(), OUTBOX_BATCH, ignoreBackoff);
			if (rows.length === 0) return true;
			const ids = rows.map((r) => r.id);
			try {
				await this.db.batch(
					rows.flatMap((r) => r.records.flatMap((record) => statementsFor(this.db, record))),
				);
			} catch (err) {
				const attempts = Math.max(...rows.map((r) => r.attempts));
				const backoff = Math.min(OUTBOX_MAX_BACKOFF_MS, 1000 * 2 ** attempts);
				this.store.deferOutbox(ids, clock.now() + backoff);
				console.error(
					`outbox: D1 write of ${rows.length} rows failed (attempt ${attempts + 1}), retrying in ${backoff} ms:`,
					err instanceof Error ? err.message : String(err),
				);
				this.onDeferred();
				return false;
			}
			this.store.deleteOutboxThrough(ids[ids.length - 1] as number);
		}
	}
}
