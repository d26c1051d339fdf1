import { Fragment } from "preact";
import { useState } from "preact/hooks";
import type { ExtensionApi } from "../api/extension";
import type { LicenseManagerApi } from "../api/licenseManager";
import type { License } from "../api/types";
import { showMinutes } from "../view/format";
import { currentToken, firstPage } from "../view/paging";
import { borrowPolicy, otherMetadata } from "../view/policy";
import { countedUsageBars, showLimit } from "../view/usage";
import { AuditTrail } from "./AuditTrail";
import { Borrows } from "./Borrows";
import { Bar, ErrorNote, Loading, Pager, Section, Time } from "./common";
import { useAsync } from "./hooks";
import { StatusAction } from "./StatusAction";
import { UsageHistory } from "./UsageHistory";

function Summary({ license }: { license: License }) {
	return (
		<dl class="facts">
			<dt>Status</dt>
			<dd>
				<span class={`status status-${license.Status.toLowerCase()}`}>{license.Status}</span>
			</dd>
			<dt>Version</dt>
			<dd>{license.Version}</dd>
			<dt>Product</dt>
			<dd>
				{license.ProductName} <span class="muted">({license.ProductSKU})</span>
			</dd>
			<dt>Issuer</dt>
			<dd>{license.Issuer.Name}</dd>
			<dt>Beneficiary</dt>
			<dd>{license.Beneficiary}</dd>
			<dt>Home region</dt>
			<dd>{license.HomeRegion}</dd>
			<dt>Valid</dt>
			<dd>
				<Time iso={license.Validity.Begin} /> –{" "}
				{license.Validity.End ? <Time iso={license.Validity.End} /> : "no end"}
			</dd>
			<dt>ARN</dt>
			<dd>
				<code class="arn">{license.LicenseArn}</code>
			</dd>
		</dl>
	);
}

function Borrowing({ license }: { license: License }) {
	const borrow = license.ConsumptionConfiguration.BorrowConfiguration;
	const policy = borrowPolicy(license.LicenseMetadata);
	const other = otherMetadata(license.LicenseMetadata);
	return (
		<>
			{borrow ? (
				<dl class="facts">
					<dt>Longest borrow</dt>
					<dd>{showMinutes(borrow.MaxTimeToLiveInMinutes)}</dd>
					<dt>Early check-in</dt>
					<dd>{borrow.AllowEarlyCheckIn ? "allowed" : "not allowed"}</dd>
					<dt>Renew type</dt>
					<dd>{license.ConsumptionConfiguration.RenewType ?? "—"}</dd>
				</dl>
			) : (
				<p class="muted">This license has no borrow configuration: it cannot be borrowed.</p>
			)}
			<h3>Borrow policy</h3>
			{policy.length ? (
				<dl class="facts">
					{policy.map((p) => (
						<Fragment key={p.name}>
							<dt>
								{p.label} <code>{p.name}</code>
							</dt>
							<dd>{p.value}</dd>
						</Fragment>
					))}
				</dl>
			) : (
				<p class="muted">No borrow policy (LicenseMetadata borrow.*) on this version.</p>
			)}
			{other.length ? (
				<>
					<h3>Other metadata</h3>
					<dl class="facts">
						{other.map((m) => (
							<Fragment key={m.Name}>
								<dt>{m.Name}</dt>
								<dd>{m.Value}</dd>
							</Fragment>
						))}
					</dl>
				</>
			) : null}
		</>
	);
}

function Versions({ api, arn, round }: { api: LicenseManagerApi; arn: string; round: number }) {
	const [paging, setPaging] = useState(firstPage());
	const [page] = useAsync(
		() =>
			api.listLicenseVersions({
				LicenseArn: arn,
				MaxResults: 20,
				...(currentToken(paging) ? { NextToken: currentToken(paging) } : {}),
			}),
		[arn, paging, round],
	);
	if (page.state === "loading") return <Loading what="versions" />;
	if (page.state === "failed")
		return <ErrorNote error={page.error} context="Could not list versions:" />;
	return (
		<>
			<table class="versions">
				<thead>
					<tr>
						<th scope="col">Version</th>
						<th scope="col">Status</th>
						<th scope="col">Created</th>
						<th scope="col">Entitlements</th>
					</tr>
				</thead>
				<tbody>
					{page.value.Licenses.map((v) => (
						<tr key={v.Version}>
							<td data-label="Version">{v.Version}</td>
							<td data-label="Status">{v.Status}</td>
							<td data-label="Created">
								<Time iso={v.CreateTime} />
							</td>
							<td data-label="Entitlements">
								{v.Entitlements.map((e) => `${e.Name} ${showLimit(e)}`).join(", ")}
							</td>
						</tr>
					))}
				</tbody>
			</table>
			<Pager
				label="Version pages"
				paging={paging}
				nextToken={page.value.NextToken}
				setPaging={setPaging}
			/>
		</>
	);
}

export function LicensePage({
	api,
	extension,
	arn,
}: {
	api: LicenseManagerApi;
	extension: ExtensionApi;
	arn: string;
}) {
	// Bumped after a change (a new version, a revoked borrow): every read of the license runs again.
	const [round, setRound] = useState(0);
	const refresh = () => setRound((r) => r + 1);
	const [data] = useAsync(async () => {
		const [{ License: license }, usage] = await Promise.all([
			api.getLicense({ LicenseArn: arn }),
			api.getLicenseUsage({ LicenseArn: arn }),
		]);
		return { license, bars: countedUsageBars(usage.LicenseUsage.EntitlementUsages) };
	}, [arn, round]);

	return (
		<main>
			<p>
				<a href="#/">← Licenses</a>
			</p>
			{data.state === "loading" ? <Loading what="the license" /> : null}
			{data.state === "failed" ? (
				<ErrorNote error={data.error} context="Could not read this license:" />
			) : null}
			{data.state === "done" ? (
				<>
					<div class="title-row">
						<h1>{data.value.license.LicenseName}</h1>
						<button type="button" class="secondary" onClick={refresh}>
							Refresh
						</button>
					</div>
					<Summary license={data.value.license} />
					<Section title="Usage">
						{data.value.bars.length ? (
							<div class="bars wide">
								{data.value.bars.map((b) => (
									<Bar key={b.name} bar={b} />
								))}
							</div>
						) : (
							<p class="muted">No counted entitlements.</p>
						)}
					</Section>
					<Section title="Entitlements">
						<table class="entitlements">
							<thead>
								<tr>
									<th scope="col">Name</th>
									<th scope="col">Unit</th>
									<th scope="col">Limit or value</th>
									<th scope="col">Check-in</th>
								</tr>
							</thead>
							<tbody>
								{data.value.license.Entitlements.map((e) => (
									<tr key={e.Name}>
										<td data-label="Name">{e.Name}</td>
										<td data-label="Unit">{e.Unit}</td>
										<td data-label="Limit or value">{showLimit(e)}</td>
										<td data-label="Check-in">
											{e.AllowCheckIn === false ? "not allowed" : "allowed"}
										</td>
									</tr>
								))}
							</tbody>
						</table>
					</Section>
					<Section title="Borrowing">
						<Borrowing license={data.value.license} />
					</Section>
					<Section title="Status">
						<StatusAction
							api={api}
							license={data.value.license}
							busy={data.reloading}
							onChanged={refresh}
						/>
					</Section>
					<Section title="Live borrows">
						<Borrows api={extension} arn={arn} round={round} onRevoked={refresh} />
					</Section>
					<Section title="Usage over time">
						<UsageHistory api={extension} arn={arn} round={round} />
					</Section>
					<Section title="Versions">
						<Versions api={api} arn={arn} round={round} />
					</Section>
					<Section title="Audit trail">
						<AuditTrail api={extension} arn={arn} round={round} />
					</Section>
				</>
			) : null}
		</main>
	);
}
