import { clock } from "../clock";
import type { Retention } from "../config";
import { errorText, logEvent } from "../log";
import type { LicenseStore } from "./storage";

/**
 * The license object's one alarm (ARCHITECTURE: alarms never throw): what it does —
 * expire borrows, purge ClientToken records and ended borrows, send the outbox —
 * and when it next wakes: the earliest moment any of them is due.
 */

/** When each of the alarm's tasks is next due (null: nothing of that kind is waiting). */
export interface AlarmDue {
	/** The earliest Expiration among live borrows. */
	nextExpiry: number | null;
	/** When the head of the outbox may be sent, and whether it failed before. */
	outbox: { at: number; retry: boolean } | null;
	/** The earliest purge time among ClientToken records. */
	nextClientTokenPurge: number | null;
	/** When the earliest ended borrow ended (its purge is due a retention period later). */
	earliestEndedBorrow: number | null;
}

/** How long fresh checkout records may wait so that many share one D1 batch (and one alarm). */
const OUTBOX_COALESCE_MS = 5000;
/**
 * Retention purges are not urgent: one alarm takes every borrow that ended within
 * this window, rather than one alarm per ended borrow 30 days later.
 */
const PURGE_COALESCE_MS = 3_600_000;
/** Ended borrows deleted per statement, and per alarm (the next alarm continues at once). */
const PURGE_BATCH = 1000;
const PURGE_BATCHES_PER_ALARM = 10;

/** The next wake time: the earliest of the next expiry, outbox send, ClientToken purge and retention purge. */
export function nextWakeTime(due: AlarmDue, now: number, retention: Retention): number | null {
	const { outbox, earliestEndedBorrow: ended } = due;
	const candidates = [
		due.nextExpiry,
		// Checkouts do not wait for D1: fresh rows gather for a moment and go in one
		// batch; a row that failed keeps its backoff.
		outbox === null
			? null
			: outbox.retry
				? outbox.at
				: Math.max(outbox.at, now + OUTBOX_COALESCE_MS),
		due.nextClientTokenPurge,
		ended === null ? null : retentionPurgeAt(ended, now, retention),
	].filter((t): t is number => t !== null);
	return candidates.length === 0 ? null : Math.min(...candidates);
}

/**
 * Purges falling due within PURGE_COALESCE_MS of each other share one alarm; a
 * purge already due (a backlog the last alarm left) runs at once.
 */
function retentionPurgeAt(earliestEnded: number, now: number, retention: Retention): number {
	const due = earliestEnded + retention.endedBorrowMs;
	return due <= now ? now : due + PURGE_COALESCE_MS;
}

/** What only the object can do in an alarm: end due borrows (a commit) and send its outbox. */
export interface AlarmWork {
	expireDue(now: number): void;
	sendOutbox(): Promise<boolean>;
}

export class LicenseAlarm {
	/** The alarm this object last set and has not yet run; a later or equal one need not be set again. */
	private alarmAt: number | null = null;
	/** Alarm runs that failed in a row (reset by one that succeeds), for the log line. */
	private failuresInARow = 0;

	constructor(
		private readonly store: LicenseStore,
		private readonly storage: DurableObjectStorage,
		private readonly retention: () => Retention,
	) {}

	/** Runs the due tasks; never throws (an alarm that throws is retried only a few times). */
	async run(work: AlarmWork | null): Promise<void> {
		this.alarmAt = null;
		try {
			if (work) {
				const now = clock.now();
				work.expireDue(now);
				this.store.purgeClientTokens(now);
				this.purgeEndedBorrows(now);
				await work.sendOutbox();
			}
			this.failuresInARow = 0;
		} catch (err) {
			this.failuresInARow++;
			logEvent("alarm_failed", { attempt: this.failuresInARow, error: errorText(err) }, "error");
		} finally {
			this.schedule();
		}
	}

	/**
	 * After a checkout: what it added wakes the object no earlier than the sooner of
	 * its borrow's expiry and the outbox's coalescing delay (its ClientToken purge is a
	 * day after the expiry). An alarm already set at or before that needs no change,
	 * so the hot path skips `schedule()`'s four queries; `schedule()` runs after every
	 * change, so the alarm set is never later than anything already waiting.
	 */
	scheduleAfterCheckout(now: number, expiresAt: number): void {
		if (this.alarmAt !== null && this.alarmAt <= Math.min(expiresAt, now + OUTBOX_COALESCE_MS))
			return;
		this.schedule();
	}

	/** Sets the one alarm to the next wake time, unless an earlier one is already set. */
	schedule(): void {
		try {
			const at = nextWakeTime(
				{
					nextExpiry: this.store.nextBorrowExpiry(),
					outbox: this.store.nextOutboxAttempt(),
					nextClientTokenPurge: this.store.nextClientTokenPurge(),
					earliestEndedBorrow: this.store.earliestEndedBorrow(this.retention().endedBorrowMs),
				},
				clock.now(),
				this.retention(),
			);
			if (at === null) return;
			if (this.alarmAt !== null && this.alarmAt <= at) return;
			this.alarmAt = at;
			void this.storage.setAlarm(at);
		} catch (err) {
			logEvent("alarm_schedule_failed", { error: errorText(err) }, "error");
		}
	}

	/**
	 * SPEC §11: an ended borrow stays `endedBorrowMs` after it ended (a late check-in
	 * or extend still finds it), and while its token is on the revocation list, then goes. Nothing else refers to the row: usage was
	 * released when it ended, and a replay reads the ClientToken record, which is
	 * purged by its own rule. A backlog is taken a bounded amount per alarm.
	 */
	private purgeEndedBorrows(now: number): void {
		const endedBy = now - this.retention().endedBorrowMs;
		for (let i = 0; i < PURGE_BATCHES_PER_ALARM; i++) {
			if (this.store.purgeEndedBorrows(endedBy, now, PURGE_BATCH) < PURGE_BATCH) return;
		}
	}
}
