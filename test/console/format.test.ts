import { describe, expect, it } from "vitest";
import { shortArn, showMinutes, showTime } from "../../console/src/view/format";

describe("showTime", () => {
	it("shows the instant in the given zone and the exact UTC instant for the title", () => {
		const t = showTime("2026-03-01T23:30:00Z", { locale: "en-US", timeZone: "Asia/Tokyo" });
		expect(t.text).toBe("Mar 2, 2026, 8:30 AM");
		expect(t.utc).toBe("2026-03-01 23:30:00 UTC");
	});

	it("keeps text it cannot read as a date, rather than showing Invalid Date", () => {
		expect(showTime("soon")).toEqual({ text: "soon", utc: "soon" });
	});
});

describe("showMinutes", () => {
	it("uses the largest whole unit", () => {
		expect(showMinutes(60)).toBe("1 hour");
		expect(showMinutes(120)).toBe("2 hours");
		expect(showMinutes(43_200)).toBe("30 days");
		expect(showMinutes(90)).toBe("90 minutes");
		expect(showMinutes(1)).toBe("1 minute");
	});
});

describe("shortArn", () => {
	it("keeps the resource part of a license ARN", () => {
		expect(shortArn("arn:aws:license-manager::111122223333:license:l-0123")).toBe("l-0123");
	});
});
