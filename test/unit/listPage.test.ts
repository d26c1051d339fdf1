import { describe, expect, it } from "vitest";
import { jsonLength, utf8Length } from "../../src/encoding";
import { LIST_ENVELOPE_BYTES, takePage } from "../../src/listPage";

/** SPEC §11 list budget: the one helper every List* operation pages through. */

function* counted(items: string[], reads: { n: number }): Generator<string> {
	for (const item of items) {
		reads.n++;
		yield item;
	}
}

describe("takePage", () => {
	const item = (bytes: number) => "x".repeat(bytes - 2); // JSON adds the quotes

	it("stops at MaxResults and says whether more exist", () => {
		const items = ["a", "b", "c"];
		expect(takePage(items, { maxItems: 2, maxBytes: 1 << 20 })).toEqual({
			items: ["a", "b"],
			more: true,
		});
		expect(takePage(items, { maxItems: 3, maxBytes: 1 << 20 })).toEqual({ items, more: false });
		expect(takePage([], { maxItems: 3, maxBytes: 1 << 20 })).toEqual({ items: [], more: false });
	});

	it("ends a page early when the next item would pass the byte budget, commas counted", () => {
		const maxBytes = LIST_ENVELOPE_BYTES + 300;
		// 100 + 1 + 100 + 1 + 98 = 300: three fit exactly, a fourth does not.
		const items = [item(100), item(100), item(98), item(2)];
		const page = takePage(items, { maxItems: 100, maxBytes });
		expect(page.items).toHaveLength(3);
		expect(page.more).toBe(true);
		expect(jsonLength(page.items) - 2).toBe(300);
		expect(
			takePage([item(100), item(100), item(99)], { maxItems: 100, maxBytes }).items,
		).toHaveLength(2);
	});

	it("always takes the first item, even one over the budget, so paging progresses", () => {
		const page = takePage([item(5000), item(10)], {
			maxItems: 100,
			maxBytes: LIST_ENVELOPE_BYTES + 10,
		});
		expect(page.items).toHaveLength(1);
		expect(page.more).toBe(true);
	});

	it("reads the source lazily, never past the first item left out", () => {
		const reads = { n: 0 };
		const items = Array.from({ length: 1000 }, () => item(100));
		takePage(counted(items, reads), { maxItems: 10, maxBytes: 1 << 20 });
		expect(reads.n).toBe(11);
		reads.n = 0;
		takePage(counted(items, reads), { maxItems: 100, maxBytes: LIST_ENVELOPE_BYTES + 1000 });
		expect(reads.n).toBe(10); // 9 taken (9 × 100 + 8 commas), the 10th refused
	});
});

describe("utf8Length", () => {
	it("counts what TextEncoder writes, lone surrogates as U+FFFD", () => {
		const samples = [
			"",
			"abc",
			"é",
			"€",
			"😀",
			"a😀b",
			"\ud800",
			"x\udc00y",
			"\ud83d\ud83d",
			"\u0000",
		];
		for (const s of samples)
			expect(utf8Length(s), JSON.stringify(s)).toBe(new TextEncoder().encode(s).length);
	});
});
