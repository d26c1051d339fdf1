import { useState } from "preact/hooks";
import { isUnknownOperation } from "../api/errors";
import type { Borrow, BorrowStatus, ExtensionApi, RevokeBorrowOutput } from "../api/extension";
import { currentToken, firstPage } from "../view/paging";
import { ErrorNote, Loading, Pager, Time, Unavailable } from "./common";
import { useAsync } from "./hooks";

const STATUSES: { value: BorrowStatus | ""; label: string }[] = [
	{ value: "ACTIVE", label: "Active" },
	{ value: "", label: "All" },
	{ value: "CHECKED_IN", label: "Checked in" },
	{ value: "EXPIRED", label: "Expired" },
	{ value: "REVOKED", label: "Revoked" },
];

/** SPEC §8: ACTIVE and CHECKED_IN borrows can be revoked (an EXPIRED token is already dead). */
export function revocable(b: Borrow): boolean {
	return b.Status === "ACTIVE" || b.Status === "CHECKED_IN";
}

export function quantities(b: Borrow): string {
	return b.EntitlementsAllowed.map((e) =>
		e.Unit === "None"
			? `${e.Name}${e.Value ? ` = ${e.Value}` : ""}`
			: `${e.Name} × ${e.Value ?? "1"}`,
	).join(", ");
}

type Revoke =
	| { step: "idle" }
	| { step: "confirm"; borrow: Borrow }
	| { step: "sending"; borrow: Borrow }
	| { step: "answered"; answer: RevokeBorrowOutput }
	| { step: "failed"; borrow: Borrow; error: unknown };

/** Live borrows of a license (ListBorrows), each revocable after a confirmation (RevokeBorrow). */
export function Borrows({
	api,
	arn,
	round,
	onRevoked,
}: {
	api: ExtensionApi;
	arn: string;
	round: number;
	onRevoked: () => void;
}) {
	const [status, setStatus] = useState<BorrowStatus | "">("ACTIVE");
	const [paging, setPaging] = useState(firstPage());
	const [revoke, setRevoke] = useState<Revoke>({ step: "idle" });
	const [reason, setReason] = useState("");
	const [page] = useAsync(
		() =>
			api.listBorrows({
				LicenseArn: arn,
				MaxResults: 20,
				...(status ? { Status: status } : {}),
				...(currentToken(paging) ? { NextToken: currentToken(paging) } : {}),
			}),
		[arn, status, paging, round],
	);

	async function send(borrow: Borrow) {
		setRevoke({ step: "sending", borrow });
		try {
			const answer = await api.revokeBorrow({
				LicenseArn: arn,
				BorrowId: borrow.BorrowId,
				// The service judges the reason (≤ 256 printable characters) and says what is wrong.
				...(reason.trim() ? { Reason: reason.trim() } : {}),
			});
			setRevoke({ step: "answered", answer });
			onRevoked();
		} catch (error) {
			setRevoke({ step: "failed", borrow, error });
		}
	}

	if (page.state === "failed" && isUnknownOperation(page.error)) {
		return <Unavailable operation="ListBorrows" />;
	}
	return (
		<>
			<div class="filters">
				<label for="borrow-status">Show</label>
				<select
					id="borrow-status"
					value={status}
					onChange={(e) => {
						setStatus(e.currentTarget.value as BorrowStatus | "");
						setPaging(firstPage());
					}}
				>
					{STATUSES.map((s) => (
						<option key={s.value} value={s.value}>
							{s.label}
						</option>
					))}
				</select>
			</div>
			{revoke.step === "answered" ? (
				<p class="note ok" role="status">
					The service answered: borrow <code>{revoke.answer.BorrowId}</code> is{" "}
					{revoke.answer.Status} since <Time iso={revoke.answer.RevokedAt} />.
				</p>
			) : null}
			{revoke.step === "failed" ? (
				isUnknownOperation(revoke.error) ? (
					<Unavailable operation="RevokeBorrow" />
				) : (
					<ErrorNote error={revoke.error} context="The revocation was refused:" />
				)
			) : null}
			{revoke.step === "confirm" ? (
				<fieldset class="confirm">
					<legend class="visually-hidden">Revoke this borrow</legend>
					<p>
						Revoke borrow <code>{revoke.borrow.BorrowId}</code> held by account{" "}
						{revoke.borrow.Account}
						{revoke.borrow.NodeId ? ` on node ${revoke.borrow.NodeId}` : ""}? Its quantities return
						at once and its token goes on the revocation list.
					</p>
					<label for="revoke-reason">Reason (optional, listed with the borrow)</label>
					<input
						id="revoke-reason"
						type="text"
						maxLength={256}
						value={reason}
						onInput={(e) => setReason(e.currentTarget.value)}
					/>
					<button type="button" class="danger" onClick={() => send(revoke.borrow)}>
						Confirm revoke
					</button>
					<button type="button" class="secondary" onClick={() => setRevoke({ step: "idle" })}>
						Cancel
					</button>
				</fieldset>
			) : null}
			{page.state === "loading" ? <Loading what="borrows" /> : null}
			{page.state === "failed" ? (
				<ErrorNote error={page.error} context="Could not list borrows:" />
			) : null}
			{page.state === "done" && page.value.Borrows.length === 0 ? (
				<p class="muted">
					No {status ? STATUSES.find((s) => s.value === status)?.label.toLowerCase() : ""} borrows.
				</p>
			) : null}
			{page.state === "done" && page.value.Borrows.length > 0 ? (
				<>
					<table class="borrows">
						<thead>
							<tr>
								<th scope="col">Account</th>
								<th scope="col">Node</th>
								<th scope="col">Quantities</th>
								<th scope="col">Issued</th>
								<th scope="col">Expires</th>
								<th scope="col">Status</th>
								<th scope="col">
									<span class="visually-hidden">Action</span>
								</th>
							</tr>
						</thead>
						<tbody>
							{page.value.Borrows.map((b) => (
								<tr key={b.BorrowId}>
									<td data-label="Account">{b.Account}</td>
									<td data-label="Node">{b.NodeId ?? "—"}</td>
									<td data-label="Quantities">{quantities(b)}</td>
									<td data-label="Issued">
										<Time iso={b.IssuedAt} />
									</td>
									<td data-label="Expires">
										<Time iso={b.Expiration} />
									</td>
									<td data-label="Status">
										{b.Status}
										{b.RevokeReason ? <span class="muted"> — {b.RevokeReason}</span> : null}
									</td>
									<td data-label="Action">
										{revocable(b) ? (
											<button
												type="button"
												aria-label={`Revoke borrow ${b.BorrowId}`}
												disabled={revoke.step === "sending"}
												onClick={() => {
													setReason("");
													setRevoke({ step: "confirm", borrow: b });
												}}
											>
												Revoke
											</button>
										) : null}
									</td>
								</tr>
							))}
						</tbody>
					</table>
					<Pager
						label="Borrow pages"
						paging={paging}
						nextToken={page.value.NextToken}
						setPaging={setPaging}
					/>
				</>
			) : null}
		</>
	);
}
