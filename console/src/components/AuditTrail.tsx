import { useState } from "preact/hooks";
import { isUnknownOperation } from "../api/errors";
import type { ExtensionApi } from "../api/extension";
import { currentToken, firstPage } from "../view/paging";
import { ErrorNote, Loading, Pager, Time, Unavailable } from "./common";
import { useAsync } from "./hooks";

/** Who did what on this license (ListAuditEvents), newest first, paged. */
export function AuditTrail({ api, arn, round }: { api: ExtensionApi; arn: string; round: number }) {
	const [paging, setPaging] = useState(firstPage());
	const [page] = useAsync(
		() =>
			api.listAuditEvents({
				LicenseArn: arn,
				MaxResults: 20,
				...(currentToken(paging) ? { NextToken: currentToken(paging) } : {}),
			}),
		[arn, paging, round],
	);
	if (page.state === "loading") return <Loading what="the audit trail" />;
	if (page.state === "failed") {
		return isUnknownOperation(page.error) ? (
			<Unavailable operation="ListAuditEvents" />
		) : (
			<ErrorNote error={page.error} context="Could not read the audit trail:" />
		);
	}
	if (page.value.Events.length === 0) return <p class="muted">No events yet.</p>;
	return (
		<>
			<table class="audit">
				<thead>
					<tr>
						<th scope="col">Time</th>
						<th scope="col">Operation</th>
						<th scope="col">Account</th>
						<th scope="col">Access key</th>
						<th scope="col">Borrow</th>
						<th scope="col">Request id</th>
					</tr>
				</thead>
				<tbody>
					{page.value.Events.map((e, i) => (
						<tr key={`${e.RequestId}-${i}`}>
							<td data-label="Time">
								<Time iso={e.Time} />
							</td>
							<td data-label="Operation">{e.Operation}</td>
							<td data-label="Account">{e.Account}</td>
							<td data-label="Access key">
								<code>{e.AccessKeyId}</code>
							</td>
							<td data-label="Borrow">{e.BorrowId ? <code>{e.BorrowId}</code> : "—"}</td>
							<td data-label="Request id">
								<code>{e.RequestId}</code>
							</td>
						</tr>
					))}
				</tbody>
			</table>
			<Pager
				label="Audit pages"
				paging={paging}
				nextToken={page.value.NextToken}
				setPaging={setPaging}
			/>
		</>
	);
}
