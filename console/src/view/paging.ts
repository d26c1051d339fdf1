/**
 * NextToken paging with a way back: AWS tokens only go forward, so the tokens of the
 * pages seen so far are kept. `tokens[i]` opens page i; page 0 needs none.
 */
export interface Paging {
	tokens: (string | undefined)[];
	index: number;
}

export const firstPage = (): Paging => ({ tokens: [undefined], index: 0 });

export function currentToken(p: Paging): string | undefined {
	return p.tokens[p.index];
}

export function hasPrevious(p: Paging): boolean {
	return p.index > 0;
}

/** Moves on with the NextToken the current page answered; unchanged when there is none. */
export function nextPage(p: Paging, nextToken: string | undefined): Paging {
	if (!nextToken) return p;
	return { tokens: [...p.tokens.slice(0, p.index + 1), nextToken], index: p.index + 1 };
}

export function previousPage(p: Paging): Paging {
	return p.index === 0 ? p : { tokens: p.tokens, index: p.index - 1 };
}

/** "Page 2": for the pager's label. */
export function pageLabel(p: Paging): string {
	return `Page ${p.index + 1}`;
}
