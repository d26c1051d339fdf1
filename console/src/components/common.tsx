import type { ComponentChildren } from "preact";
import { describeError } from "../api/errors";
import { showTime } from "../view/format";
import type { Paging } from "../view/paging";
import { hasPrevious, nextPage, pageLabel, previousPage } from "../view/paging";
import type { UsageBar } from "../view/usage";

/** A time in the browser's zone; hover shows the exact UTC instant. */
export function Time({ iso }: { iso: string | undefined }) {
	if (!iso) return <span>—</span>;
	const t = showTime(iso);
	return (
		<time dateTime={iso} title={t.utc}>
			{t.text}
		</time>
	);
}

export function Bar({ bar }: { bar: UsageBar }) {
	return (
		<div class="usage">
			<span class="usage-name">{bar.name}</span>
			{/* The bar only draws what the label beside it says in words. */}
			<div class="bar" aria-hidden="true">
				<div class={`fill ${bar.level}`} style={{ width: `${Math.round(bar.fill * 100)}%` }} />
			</div>
			<span class="usage-label">{bar.label}</span>
		</div>
	);
}

/** An error in the service's own words: its message, and its type for whoever reports it. */
export function ErrorNote({ error, context }: { error: unknown; context?: string }) {
	const { type, message } = describeError(error);
	return (
		<div class="note error" role="alert">
			{context ? <p class="note-context">{context}</p> : null}
			<p>
				<strong>{message}</strong>
			</p>
			<p class="note-type">{type}</p>
		</div>
	);
}

export function Loading({ what }: { what: string }) {
	return (
		<p class="loading" role="status">
			Loading {what}…
		</p>
	);
}

/** Where a view needs an operation this server does not have (yet). */
export function Unavailable({ operation }: { operation: string }) {
	return (
		<p class="note unavailable" role="status">
			Not available on this server: it does not offer <code>EdgeLicenseManager.{operation}</code>.
		</p>
	);
}

/** Previous/Next over a keyed listing: `paging` is where the view is, `nextToken` the page's. */
export function Pager({
	paging,
	setPaging,
	nextToken,
	label,
}: {
	paging: Paging;
	setPaging: (next: Paging) => void;
	nextToken: string | undefined;
	label: string;
}) {
	if (!hasPrevious(paging) && !nextToken) return null;
	return (
		<nav class="pager" aria-label={label}>
			<button
				type="button"
				class="secondary"
				onClick={() => setPaging(previousPage(paging))}
				disabled={!hasPrevious(paging)}
			>
				Previous
			</button>
			<span>{pageLabel(paging)}</span>
			<button
				type="button"
				class="secondary"
				onClick={() => setPaging(nextPage(paging, nextToken))}
				disabled={!nextToken}
			>
				Next
			</button>
		</nav>
	);
}

export function Section({
	title,
	children,
	id,
}: {
	title: string;
	children: ComponentChildren;
	id?: string;
}) {
	const headingId = `${id ?? title.toLowerCase().replace(/[^a-z0-9]+/g, "-")}-heading`;
	return (
		<section class="panel" aria-labelledby={headingId}>
			<h2 id={headingId}>{title}</h2>
			{children}
		</section>
	);
}
