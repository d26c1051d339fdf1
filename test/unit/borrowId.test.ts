import { describe, expect, it } from "vitest";
import { BORROW_ID_LABEL, BORROW_ID_PATTERN, borrowIdOf } from "../../src/borrowId";
import { hex, sha256Hex } from "../../src/encoding";
import { mintConsumptionToken } from "../../src/licenseIds";

const TOKEN = "0123456789abcdef0123456789abcd0123456789abcdef0123456789abcdef01";

describe("borrowIdOf", () => {
	it("is b- and the first 32 hex digits of SHA-256 over the labelled token", async () => {
		const expected = `b-${(await sha256Hex(`${BORROW_ID_LABEL}\0${TOKEN}`)).slice(0, 32)}`;
		expect(borrowIdOf(TOKEN)).toBe(expected);
		expect(BORROW_ID_LABEL).toBe("edge-license-manager/borrow-id/v1");
		// A fixed vector (computed independently with Node's crypto), so a change to the
		// derivation cannot pass unnoticed: ids already published would stop matching.
		expect(borrowIdOf("token")).toBe("b-99e2369824fb798fc9463137d3c27105");
	});

	it("is deterministic, has the documented format, and neither equals nor contains the token", () => {
		const seen = new Set<string>();
		for (let i = 0; i < 200; i++) {
			const token = mintConsumptionToken(`l-${hex(crypto.getRandomValues(new Uint8Array(16)))}`);
			const id = borrowIdOf(token);
			expect(id).toMatch(BORROW_ID_PATTERN);
			expect(id).toMatch(/^b-[0-9a-f]{32}$/);
			expect(borrowIdOf(token)).toBe(id);
			expect(id).not.toBe(token);
			expect(id).not.toContain(token);
			expect(token).not.toContain(id.slice(2));
			seen.add(id);
		}
		expect(seen.size).toBe(200);
	});

	it("is not the plain SHA-256 of the token (the label separates it from other hashes)", async () => {
		expect(borrowIdOf(TOKEN).slice(2)).not.toBe((await sha256Hex(TOKEN)).slice(0, 32));
	});

	it("hashes the whole text: tokens differing in one character, or empty, give different ids", () => {
		expect(borrowIdOf(`${TOKEN.slice(0, -1)}0`)).not.toBe(borrowIdOf(TOKEN));
		expect(borrowIdOf("")).toMatch(BORROW_ID_PATTERN);
		expect(borrowIdOf("é")).not.toBe(borrowIdOf("e\u0301"));
	});
});
