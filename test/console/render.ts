import type { VNode } from "preact";
import { render } from "preact";
import { act } from "preact/test-utils";
import { afterEach, expect } from "vitest";

const mounted: HTMLElement[] = [];

afterEach(() => {
	for (const root of mounted.splice(0)) {
		render(null, root);
		root.remove();
	}
});

/** Mounts a component into happy-dom's document. */
export async function mount(vnode: VNode): Promise<HTMLElement> {
	const root = document.createElement("div");
	document.body.append(root);
	mounted.push(root);
	await act(() => render(vnode, root));
	return root;
}

/**
 * Lets the fixtures' promises settle and Preact re-render until `check` holds: the
 * fixtures answer at once, so this takes a few microtask turns, never a timer.
 */
export async function until(check: () => boolean, what: string): Promise<void> {
	for (let i = 0; i < 50; i++) {
		if (check()) return;
		await act(async () => {
			await Promise.resolve();
		});
	}
	expect.fail(`never happened: ${what}`);
}

export function text(el: Element): string {
	return (el.textContent ?? "").replace(/\s+/g, " ").trim();
}

export function button(root: Element, name: string): HTMLButtonElement {
	const found = [...root.querySelectorAll("button")].find(
		(b) => (b.getAttribute("aria-label") ?? text(b)) === name,
	);
	if (!found) expect.fail(`no button named ${name}`);
	return found;
}

export async function click(el: HTMLElement): Promise<void> {
	await act(() => el.click());
}

export async function choose(select: HTMLSelectElement, value: string): Promise<void> {
	await act(() => {
		select.value = value;
		select.dispatchEvent(new Event("change", { bubbles: true }));
	});
}

export async function type(input: HTMLInputElement, value: string): Promise<void> {
	await act(() => {
		input.value = value;
		input.dispatchEvent(new Event("input", { bubbles: true }));
	});
}
