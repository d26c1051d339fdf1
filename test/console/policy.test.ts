import { describe, expect, it } from "vitest";
import { borrowPolicy, otherMetadata } from "../../console/src/view/policy";

describe("borrowPolicy (SPEC §10 LicenseMetadata names)", () => {
	it("shows the three policy entries that are present, in a fixed order", () => {
		const metadata = [
			{ Name: "borrow.maxPerAccount", Value: "3" },
			{ Name: "team", Value: "cad" },
			{ Name: "borrow.lowWater", Value: '{"Seats":2,"Render":1}' },
		];
		expect(borrowPolicy(metadata)).toEqual([
			{ name: "borrow.lowWater", label: "Never lent (low water)", value: "Seats: 2, Render: 1" },
			{ name: "borrow.maxPerAccount", label: "Live borrows per account", value: "3" },
		]);
		expect(otherMetadata(metadata)).toEqual([{ Name: "team", Value: "cad" }]);
	});

	it("shows a value it cannot read exactly as stored (the server is the judge)", () => {
		expect(borrowPolicy([{ Name: "borrow.lowWater", Value: "{oops" }])[0]?.value).toBe("{oops");
		expect(borrowPolicy(undefined)).toEqual([]);
	});
});
