import { useState } from "preact/hooks";
import type { LicenseManagerApi } from "../api/licenseManager";
import type { VersionAnswer } from "../api/types";
import { licenseHref } from "../route";
import {
	type CreateForm,
	createLicenseInput,
	type EntitlementRow,
	emptyForm,
	UNITS,
} from "../view/createForm";
import { ErrorNote } from "./common";
import { newClientToken } from "./hooks";

type TextField = Exclude<keyof CreateForm, "entitlements" | "allowEarlyCheckIn">;

/** A form over CreateLicense; the service judges the input and its answer is shown as it came. */
export function CreateLicense({ api, region }: { api: LicenseManagerApi; region: string }) {
	const [form, setForm] = useState<CreateForm>(() => emptyForm(region));
	// One token per intended license: sending again after a lost answer cannot create two.
	const [clientToken, setClientToken] = useState(newClientToken);
	const [busy, setBusy] = useState(false);
	const [answer, setAnswer] = useState<VersionAnswer | null>(null);
	const [error, setError] = useState<unknown>(null);

	const field = (name: TextField, label: string, extra: Record<string, unknown> = {}) => (
		<>
			<label for={`create-${name}`}>{label}</label>
			<input
				id={`create-${name}`}
				value={form[name]}
				onInput={(e) => setForm({ ...form, [name]: e.currentTarget.value })}
				{...extra}
			/>
		</>
	);
	const setRow = (i: number, row: Partial<EntitlementRow>) =>
		setForm({
			...form,
			entitlements: form.entitlements.map((r, j) => (j === i ? { ...r, ...row } : r)),
		});

	async function submit(e: Event) {
		e.preventDefault();
		setBusy(true);
		setError(null);
		setAnswer(null);
		try {
			const created = await api.createLicense(createLicenseInput(form, clientToken));
			setAnswer(created);
			setClientToken(newClientToken());
		} catch (err) {
			setError(err);
		} finally {
			setBusy(false);
		}
	}

	return (
		<main>
			<p>
				<a href="#/">← Licenses</a>
			</p>
			<h1>Create a license</h1>
			<form class="form create" onSubmit={submit}>
				<fieldset>
					<legend>License</legend>
					{field("licenseName", "License name", { required: true })}
					{field("productName", "Product name", { required: true })}
					{field("productSku", "Product SKU", { required: true, spellcheck: false })}
					{field("issuerName", "Issuer name", { required: true })}
					{field("beneficiary", "Beneficiary", { required: true })}
					{field("homeRegion", "Home region", { required: true, spellcheck: false })}
					{field("validFrom", "Valid from (UTC)", { type: "date", required: true })}
					{field("validUntil", "Valid until (UTC)", { type: "date" })}
				</fieldset>
				<fieldset>
					<legend>Entitlements</legend>
					{form.entitlements.map((row, i) => (
						<div class="entitlement-row" key={i}>
							<label for={`ent-name-${i}`}>Entitlement {i + 1} name</label>
							<input
								id={`ent-name-${i}`}
								value={row.name}
								onInput={(e) => setRow(i, { name: e.currentTarget.value })}
							/>
							<label for={`ent-unit-${i}`}>Entitlement {i + 1} unit</label>
							<select
								id={`ent-unit-${i}`}
								value={row.unit}
								onChange={(e) => setRow(i, { unit: e.currentTarget.value })}
							>
								{UNITS.map((u) => (
									<option key={u} value={u}>
										{u}
									</option>
								))}
							</select>
							<label for={`ent-amount-${i}`}>
								Entitlement {i + 1} {row.unit === "None" ? "value" : "maximum"}
							</label>
							<input
								id={`ent-amount-${i}`}
								value={row.amount}
								inputMode={row.unit === "None" ? "text" : "numeric"}
								onInput={(e) => setRow(i, { amount: e.currentTarget.value })}
							/>
							{form.entitlements.length > 1 ? (
								<button
									type="button"
									class="secondary"
									onClick={() =>
										setForm({ ...form, entitlements: form.entitlements.filter((_, j) => j !== i) })
									}
								>
									Remove entitlement {i + 1}
								</button>
							) : null}
						</div>
					))}
					<button
						type="button"
						class="secondary"
						onClick={() =>
							setForm({
								...form,
								entitlements: [...form.entitlements, { name: "", unit: "Count", amount: "" }],
							})
						}
					>
						Add entitlement
					</button>
				</fieldset>
				<fieldset>
					<legend>Borrowing</legend>
					{field("maxTimeToLiveInMinutes", "Longest borrow (minutes)", {
						inputMode: "numeric",
						required: true,
					})}
					<label class="check">
						<input
							type="checkbox"
							checked={form.allowEarlyCheckIn}
							onChange={(e) => setForm({ ...form, allowEarlyCheckIn: e.currentTarget.checked })}
						/>
						Allow early check-in
					</label>
					{field("lowWater", 'Never lend (borrow.lowWater, JSON such as {"Seats": 2})', {
						spellcheck: false,
					})}
					{field("maxPerNode", "Live borrows per node (borrow.maxPerNode)", {
						inputMode: "numeric",
					})}
					{field("maxPerAccount", "Live borrows per account (borrow.maxPerAccount)", {
						inputMode: "numeric",
					})}
				</fieldset>
				<button type="submit" disabled={busy}>
					{busy ? "Creating…" : "Create license"}
				</button>
			</form>
			{error ? <ErrorNote error={error} context="The service refused the license:" /> : null}
			{answer ? (
				<p class="note ok" role="status">
					The service answered: <a href={licenseHref(answer.LicenseArn)}>{answer.LicenseArn}</a> is{" "}
					{answer.Status}, version {answer.Version}.
				</p>
			) : null}
		</main>
	);
}
