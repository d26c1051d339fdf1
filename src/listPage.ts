import { jsonLength } from "./encoding";

/**
 * SPEC §11: a list response is at most a configured number of bytes; a page ends
 * early with a NextToken rather than grow. Every List* operation takes its page
 * through `takePage`, wherever its items come from (the license object, D1).
 */

/**
 * What the response holds besides its items: the braces, the list's member name
 * and a NextToken (requests accept NextTokens up to 4096 characters; the tokens
 * minted are far shorter).
 */
export const LIST_ENVELOPE_BYTES = 8 * 1024;

export interface PageBudget {
	/** The request's MaxResults. */
	maxItems: number;
	/** The whole response's limit (config `limits.listResponseBytes`). */
	maxBytes: number;
}

export interface Page<T> {
	items: T[];
	/** Another item exists after the page: the caller answers a NextToken. */
	more: boolean;
}

/**
 * Takes items from `source` in order until `maxItems` are taken or the next one
 * would push the response past `maxBytes`. `source` is read lazily and never past
 * the first item left out, so a cursor over storage stops there. The first item
 * is always taken, even alone over the budget, so paging always progresses (a
 * license document is far smaller than a response: SPEC §11).
 */
export function takePage<T>(
	source: Iterable<T>,
	budget: PageBudget,
	size: (item: T) => number = jsonLength,
): Page<T> {
	const room = budget.maxBytes - LIST_ENVELOPE_BYTES;
	const items: T[] = [];
	let bytes = 0;
	for (const item of source) {
		if (items.length >= budget.maxItems) return { items, more: true };
		// One comma between items.
		const next = size(item) + (items.length > 0 ? 1 : 0);
		if (items.length > 0 && bytes + next > room) return { items, more: true };
		items.push(item);
		bytes += next;
	}
	return { items, more: false };
}

/** `items`, each passed through `f`, lazily: a page taken from it stops the cursor where it ends. */
export function* mapped<T, U>(items: Iterable<T>, f: (item: T) => U): Generator<U> {
	for (const item of items) yield f(item);
}
