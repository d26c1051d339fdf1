import { describe, expect, it } from "vitest";
import { failureBucketOf } from "../../src/auth/failureLimit";
import { Lru } from "../../src/auth/lru";

describe("Lru", () => {
	it("evicts exactly the least recently used entry past its bound, never the whole map", () => {
		const lru = new Lru<string, number>(3);
		lru.set("a", 1);
		lru.set("b", 2);
		lru.set("c", 3);
		expect(lru.get("a")).toBe(1); // a is now the most recently used
		lru.set("d", 4);
		expect(lru.size).toBe(3);
		expect(lru.has("b")).toBe(false);
		expect([lru.get("a"), lru.get("c"), lru.get("d")]).toEqual([1, 3, 4]);
	});

	it("re-setting a key refreshes it instead of adding a second entry", () => {
		const lru = new Lru<string, number>(2);
		lru.set("a", 1);
		lru.set("b", 2);
		lru.set("a", 10);
		lru.set("c", 3);
		expect(lru.has("b")).toBe(false);
		expect(lru.get("a")).toBe(10);
		expect(lru.size).toBe(2);
	});

	it("has() does not refresh an entry", () => {
		const lru = new Lru<string, number>(2);
		lru.set("a", 1);
		lru.set("b", 2);
		expect(lru.has("a")).toBe(true);
		lru.set("c", 3);
		expect(lru.has("a")).toBe(false);
	});

	it("refuses a bound that is not a positive integer", () => {
		for (const bad of [0, -1, 1.5, Number.NaN]) expect(() => new Lru(bad)).toThrow(RangeError);
	});
});

describe("failureBucketOf", () => {
	const bucket = (address: string | null) =>
		failureBucketOf(new Headers(address === null ? {} : { "cf-connecting-ip": address }));

	it("an IPv4 address is its own bucket; no header, no bucket", () => {
		expect(bucket("203.0.113.7")).toBe("203.0.113.7");
		expect(bucket(null)).toBeNull();
		expect(bucket("  ")).toBeNull();
	});

	it("an IPv6 address counts by its /64, however it is written", () => {
		const same = [
			"2001:db8:a:b::1",
			"2001:0db8:000a:000b:0000:0000:0000:0002",
			"2001:DB8:A:B:1:2:3:4",
			"2001:db8:a:b:ffff::",
		];
		for (const address of same) expect(bucket(address)).toBe("2001:db8:a:b::/64");
		expect(bucket("2001:db8::1")).toBe("2001:db8:0:0::/64");
		expect(bucket("::1")).toBe("0:0:0:0::/64");
		// "::" standing for a single group inside the prefix.
		expect(bucket("1::3:4:5:6:7:8")).toBe("1:0:3:4::/64");
		expect(bucket("64:ff9b::192.0.2.1")).toBe("64:ff9b:0:0::/64");
	});

	it("an IPv4-mapped IPv6 address is the IPv4 address", () => {
		expect(bucket("::ffff:203.0.113.7")).toBe("203.0.113.7");
	});
});
