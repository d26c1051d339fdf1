import { isoSeconds } from "../clock";
import { deleteAuditEvents, deleteEndedCheckouts } from "./d1";

/**
 * SPEC §11: D1 history older than the retention period goes, deleted by the daily
 * scheduled run in bounded statements. One run stops at its budget; what is left
 * is older still and goes the next day, so a backlog drains over a few runs
 * without one run holding D1 for long.
 */

export interface RetentionBudget {
	/** Rows one DELETE statement may remove. */
	batchRows: number;
	/** Statements per table per run. */
	maxBatches: number;
	/** Wall time per run, in ms; checked between statements. */
	maxMs: number;
}

const DEFAULT_RETENTION_BUDGET: Readonly<RetentionBudget> = {
	batchRows: 1000,
	maxBatches: 100,
	maxMs: 60_000,
};

export interface RetentionReport {
	checkoutsDeleted: number;
	auditEventsDeleted: number;
	/** False when a budget ran out before every old row was gone. */
	complete: boolean;
}

/** Deletes ended checkouts and audit events from before `now - historyMs`. */
export async function purgeHistory(
	db: D1Database,
	now: number,
	historyMs: number,
	budget: RetentionBudget = DEFAULT_RETENTION_BUDGET,
): Promise<RetentionReport> {
	const cutoff = now - historyMs;
	// Elapsed wall time, not the service clock (which tests move): a budget of work.
	const started = performance.now();
	const drain = async (
		deleteBatch: (limit: number) => Promise<number>,
	): Promise<{ deleted: number; done: boolean }> => {
		let deleted = 0;
		for (let batch = 0; batch < budget.maxBatches; batch++) {
			if (batch > 0 && performance.now() - started > budget.maxMs) break;
			const n = await deleteBatch(budget.batchRows);
			deleted += n;
			if (n < budget.batchRows) return { deleted, done: true };
		}
		return { deleted, done: false };
	};
	const checkouts = await drain((limit) => deleteEndedCheckouts(db, isoSeconds(cutoff), limit));
	const audit = await drain((limit) =>
		deleteAuditEvents(db, new Date(cutoff).toISOString(), limit),
	);
	return {
		checkoutsDeleted: checkouts.deleted,
		auditEventsDeleted: audit.deleted,
		complete: checkouts.done && audit.done,
	};
}
