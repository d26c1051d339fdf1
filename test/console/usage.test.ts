import { describe, expect, it } from "vitest";
import { countedUsageBars, showLimit, usageBar } from "../../console/src/view/usage";

describe("usageBar", () => {
	it("is ConsumedValue / MaxCount, both strings on the wire", () => {
		expect(usageBar({ Name: "Seats", ConsumedValue: "3", MaxCount: "10", Unit: "Count" })).toEqual({
			name: "Seats",
			unit: "Count",
			consumed: 3,
			max: 10,
			fill: 0.3,
			label: "3 / 10",
			level: "free",
		});
	});

	it("marks a pool at 80 % busy, at its limit full, past it (overage) over and drawn full", () => {
		const at = (c: string) =>
			usageBar({ Name: "S", ConsumedValue: c, MaxCount: "10", Unit: "Count" });
		expect(at("8").level).toBe("busy");
		expect(at("10")).toMatchObject({ level: "full", fill: 1, label: "10 / 10" });
		expect(at("12")).toMatchObject({ level: "over", fill: 1, label: "12 / 10" });
	});

	it("names a unit other than Count", () => {
		expect(
			usageBar({ Name: "Disk", ConsumedValue: "5", MaxCount: "20", Unit: "Gigabytes" }).label,
		).toBe("5 / 20 Gigabytes");
	});

	it("says when there is no limit (Overage without MaxCount)", () => {
		expect(usageBar({ Name: "Calls", ConsumedValue: "7", Unit: "Count" })).toMatchObject({
			max: null,
			fill: 0,
			label: "7 in use (no limit)",
		});
	});

	it("draws a pool of zero as empty, and any use of it as over", () => {
		expect(usageBar({ Name: "S", ConsumedValue: "0", MaxCount: "0", Unit: "Count" })).toMatchObject(
			{
				fill: 0,
				level: "full",
			},
		);
		expect(usageBar({ Name: "S", ConsumedValue: "1", MaxCount: "0", Unit: "Count" })).toMatchObject(
			{
				fill: 1,
				level: "over",
			},
		);
	});
});

describe("countedUsageBars", () => {
	it("leaves out None-unit entitlements, which carry no quantity", () => {
		const bars = countedUsageBars([
			{ Name: "Seats", ConsumedValue: "1", MaxCount: "10", Unit: "Count" },
			{ Name: "Tier", ConsumedValue: "0", Unit: "None" },
		]);
		expect(bars.map((b) => b.name)).toEqual(["Seats"]);
		expect(countedUsageBars(undefined)).toEqual([]);
	});
});

describe("showLimit", () => {
	it("shows a count, a value, or the overage rule", () => {
		expect(showLimit({ Name: "Seats", Unit: "Count", MaxCount: 10 })).toBe("10");
		expect(showLimit({ Name: "Tier", Unit: "None", Value: "Pro" })).toBe("Pro");
		expect(showLimit({ Name: "Calls", Unit: "Count", Overage: true })).toBe("no limit (overage)");
		expect(showLimit({ Name: "Seats", Unit: "Count", MaxCount: 5, Overage: true })).toBe(
			"5 (overage allowed)",
		);
	});
});
