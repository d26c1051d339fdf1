import { describe, expect, it } from "vitest";
import type { Retention } from "../../../src/config";
import { type AlarmDue, nextWakeTime } from "../../../src/license/alarm";

/** The alarm's arbitration: one wake time for expiry, the outbox, ClientToken purge and retention. */

const NOW = 1_000_000_000;
const DAY = 86_400_000;
const retention = { endedBorrowMs: 30 * DAY } as Retention;
const nothing: AlarmDue = {
	nextExpiry: null,
	outbox: null,
	nextClientTokenPurge: null,
	earliestEndedBorrow: null,
};

describe("nextWakeTime", () => {
	it("sets no alarm when nothing waits", () => {
		expect(nextWakeTime(nothing, NOW, retention)).toBeNull();
	});

	it("wakes at the earliest task due", () => {
		const due = { ...nothing, nextExpiry: NOW + 50_000, nextClientTokenPurge: NOW + 40_000 };
		expect(nextWakeTime(due, NOW, retention)).toBe(NOW + 40_000);
	});

	it("lets fresh outbox rows gather for 5 s; a retry keeps its backoff", () => {
		expect(nextWakeTime({ ...nothing, outbox: { at: NOW, retry: false } }, NOW, retention)).toBe(
			NOW + 5000,
		);
		expect(
			nextWakeTime({ ...nothing, outbox: { at: NOW + 500, retry: true } }, NOW, retention),
		).toBe(NOW + 500);
		// An earlier expiry is not delayed by the outbox's gathering.
		const both = { ...nothing, outbox: { at: NOW, retry: false }, nextExpiry: NOW + 10 };
		expect(nextWakeTime(both, NOW, retention)).toBe(NOW + 10);
	});

	it("purges ended borrows a retention period after they ended, coalesced by an hour; a backlog at once", () => {
		const ended = NOW - DAY;
		expect(nextWakeTime({ ...nothing, earliestEndedBorrow: ended }, NOW, retention)).toBe(
			ended + 30 * DAY + 3_600_000,
		);
		const overdue = NOW - 31 * DAY;
		expect(nextWakeTime({ ...nothing, earliestEndedBorrow: overdue }, NOW, retention)).toBe(NOW);
	});
});
