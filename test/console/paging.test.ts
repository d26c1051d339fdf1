import { describe, expect, it } from "vitest";
import {
	currentToken,
	firstPage,
	hasPrevious,
	nextPage,
	pageLabel,
	previousPage,
} from "../../console/src/view/paging";

describe("paging with NextToken", () => {
	it("goes forward with each page's NextToken and back through the tokens it kept", () => {
		let p = firstPage();
		expect(currentToken(p)).toBeUndefined();
		expect(hasPrevious(p)).toBe(false);
		p = nextPage(p, "t2");
		p = nextPage(p, "t3");
		expect(currentToken(p)).toBe("t3");
		expect(pageLabel(p)).toBe("Page 3");
		p = previousPage(p);
		expect(currentToken(p)).toBe("t2");
		p = previousPage(p);
		expect(currentToken(p)).toBeUndefined();
		expect(previousPage(p)).toBe(p);
	});

	it("stays put on the last page (no NextToken)", () => {
		const p = nextPage(firstPage(), "t2");
		expect(nextPage(p, undefined)).toBe(p);
	});

	it("forgets the old way forward after going back and taking a new one", () => {
		let p = nextPage(nextPage(firstPage(), "a"), "b");
		p = previousPage(previousPage(p));
		p = nextPage(p, "x");
		expect(p).toEqual({ tokens: [undefined, "x"], index: 1 });
	});
});
