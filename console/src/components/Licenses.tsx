import { useState } from "preact/hooks";
import type { LicenseManagerApi } from "../api/licenseManager";
import { type Filter, LICENSE_STATUSES, type License } from "../api/types";
import { licenseHref } from "../route";
import { firstLicenseCommand } from "../view/createForm";
import { currentToken, firstPage } from "../view/paging";
import { countedUsageBars } from "../view/usage";
import { Bar, ErrorNote, Loading, Pager } from "./common";
import { useAsync } from "./hooks";

const PAGE_SIZE = 20;

interface Filters {
	sku: string;
	status: string;
}

function filtersOf(f: Filters): Filter[] {
	const out: Filter[] = [];
	if (f.sku.trim()) out.push({ Name: "ProductSKU", Values: [f.sku.trim()] });
	if (f.status) out.push({ Name: "Status", Values: [f.status] });
	return out;
}

/** Each license's usage comes from its own object (GetLicenseUsage), so each row asks for its own. */
function UsageCell({ api, arn }: { api: LicenseManagerApi; arn: string }) {
	const [usage] = useAsync(() => api.getLicenseUsage({ LicenseArn: arn }), [arn]);
	if (usage.state === "loading") return <span class="muted">loading…</span>;
	if (usage.state === "failed") return <ErrorNote error={usage.error} />;
	const bars = countedUsageBars(usage.value.LicenseUsage.EntitlementUsages);
	if (bars.length === 0) return <span class="muted">nothing counted</span>;
	return (
		<div class="bars">
			{bars.map((b) => (
				<Bar key={b.name} bar={b} />
			))}
		</div>
	);
}

function LicenseRow({ api, license }: { api: LicenseManagerApi; license: License }) {
	return (
		<tr>
			<td data-label="Name">
				<a href={licenseHref(license.LicenseArn)}>{license.LicenseName}</a>
			</td>
			<td data-label="Product">{license.ProductName}</td>
			<td data-label="SKU">{license.ProductSKU}</td>
			<td data-label="Status">
				<span class={`status status-${license.Status.toLowerCase()}`}>{license.Status}</span>
			</td>
			<td data-label="Version">{license.Version}</td>
			<td data-label="Home region">{license.HomeRegion}</td>
			<td data-label="Usage">
				<UsageCell api={api} arn={license.LicenseArn} />
			</td>
		</tr>
	);
}

export function Licenses({
	api,
	endpoint,
	region,
}: {
	api: LicenseManagerApi;
	endpoint: string;
	region: string;
}) {
	const [draft, setDraft] = useState<Filters>({ sku: "", status: "" });
	const [applied, setApplied] = useState<Filters>({ sku: "", status: "" });
	const [paging, setPaging] = useState(firstPage());
	const [page] = useAsync(
		() =>
			api.listLicenses({
				MaxResults: PAGE_SIZE,
				...(filtersOf(applied).length ? { Filters: filtersOf(applied) } : {}),
				...(currentToken(paging) ? { NextToken: currentToken(paging) } : {}),
			}),
		[applied, paging],
	);
	const filtered = applied.sku.trim() !== "" || applied.status !== "";

	function apply(e: Event) {
		e.preventDefault();
		setApplied(draft);
		setPaging(firstPage());
	}

	return (
		<main>
			<div class="title-row">
				<h1>Licenses</h1>
				<a class="button" href="#/create">
					Create license
				</a>
			</div>
			<form class="filters" onSubmit={apply} aria-label="Filter licenses">
				<label for="filter-sku">Product SKU</label>
				<input
					id="filter-sku"
					value={draft.sku}
					spellcheck={false}
					onInput={(e) => setDraft({ ...draft, sku: e.currentTarget.value })}
				/>
				<label for="filter-status">Status</label>
				<select
					id="filter-status"
					value={draft.status}
					onChange={(e) => setDraft({ ...draft, status: e.currentTarget.value })}
				>
					<option value="">Any</option>
					{LICENSE_STATUSES.map((s) => (
						<option key={s} value={s}>
							{s}
						</option>
					))}
				</select>
				<button type="submit">Filter</button>
			</form>
			{page.state === "loading" ? <Loading what="licenses" /> : null}
			{page.state === "failed" ? (
				<ErrorNote error={page.error} context="Could not list licenses:" />
			) : null}
			{page.state === "done" && page.value.Licenses.length === 0 && !filtered ? (
				<div class="note empty">
					<p>
						<strong>No licenses yet.</strong> Create one with the button above, or from a shell:
					</p>
					<pre>
						<code>{firstLicenseCommand(endpoint, region)}</code>
					</pre>
				</div>
			) : null}
			{page.state === "done" && page.value.Licenses.length === 0 && filtered ? (
				<p class="note empty">No license matches these filters.</p>
			) : null}
			{page.state === "done" && page.value.Licenses.length > 0 ? (
				<>
					<table class="licenses" aria-busy={page.reloading}>
						<caption class="visually-hidden">Licenses issued by this account</caption>
						<thead>
							<tr>
								<th scope="col">Name</th>
								<th scope="col">Product</th>
								<th scope="col">SKU</th>
								<th scope="col">Status</th>
								<th scope="col">Version</th>
								<th scope="col">Home region</th>
								<th scope="col">Usage</th>
							</tr>
						</thead>
						<tbody>
							{page.value.Licenses.map((l) => (
								<LicenseRow key={l.LicenseArn} api={api} license={l} />
							))}
						</tbody>
					</table>
					<Pager
						label="License pages"
						paging={paging}
						nextToken={page.value.NextToken}
						setPaging={setPaging}
					/>
				</>
			) : null}
		</main>
	);
}
