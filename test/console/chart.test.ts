import { describe, expect, it } from "vitest";
import { chartData, historyInput } from "../../console/src/view/chart";
import { ARN } from "./fixtures";

describe("usage over time", () => {
	it("asks GetUsageHistory for 7 days by hour, or 90 days by day", () => {
		const now = Date.parse("2026-11-30T12:00:00.500Z");
		expect(historyInput(ARN, "week", now)).toEqual({
			LicenseArn: ARN,
			Start: "2026-11-23T12:00:00Z",
			End: "2026-11-30T12:00:00Z",
			Granularity: "HOUR",
		});
		expect(historyInput(ARN, "quarter", now)).toMatchObject({
			Start: "2026-09-01T12:00:00Z",
			Granularity: "DAY",
		});
	});

	it("aligns each entitlement's peaks on one time axis, a missing hour being a gap", () => {
		const chart = chartData({
			Entitlements: [
				{
					Name: "Seats",
					Unit: "Count",
					Points: [
						{ Time: "2026-11-30T10:00:00Z", PeakConsumed: 3, Checkouts: 4 },
						{ Time: "2026-11-30T11:00:00Z", PeakConsumed: 5, Checkouts: 1 },
					],
				},
				{
					Name: "Render",
					Unit: "Count",
					Points: [{ Time: "2026-11-30T11:00:00Z", PeakConsumed: 1, Checkouts: 1 }],
				},
			],
		});
		const t10 = Date.parse("2026-11-30T10:00:00Z") / 1000;
		expect(chart).toEqual({
			names: ["Seats", "Render"],
			data: [
				[t10, t10 + 3600],
				[3, 5],
				[null, 1],
			],
			peaks: [5, 1],
		});
	});
});
