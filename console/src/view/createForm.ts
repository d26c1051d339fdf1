import type { CreateLicenseInput, EntitlementInput, Metadata } from "../api/types";

/** What the create-license form holds: text as typed, turned into CreateLicense's input on submit. */
export interface EntitlementRow {
	name: string;
	unit: string;
	/** MaxCount for counted units, Value for `None`. */
	amount: string;
}

export interface CreateForm {
	licenseName: string;
	productName: string;
	productSku: string;
	issuerName: string;
	homeRegion: string;
	beneficiary: string;
	/** yyyy-mm-dd (an `<input type="date">`), read as midnight UTC. */
	validFrom: string;
	validUntil: string;
	entitlements: EntitlementRow[];
	allowEarlyCheckIn: boolean;
	maxTimeToLiveInMinutes: string;
	/** SPEC §10 policy; empty fields are left out. */
	lowWater: string;
	maxPerNode: string;
	maxPerAccount: string;
}

export const UNITS = ["Count", "None", "Seconds", "Bytes", "Gigabytes", "Percent"] as const;

export function emptyForm(homeRegion: string, today: Date = new Date()): CreateForm {
	const from = today.toISOString().slice(0, 10);
	const until = new Date(today.getTime() + 365 * 86_400_000).toISOString().slice(0, 10);
	return {
		licenseName: "",
		productName: "",
		productSku: "",
		issuerName: "",
		homeRegion,
		beneficiary: "",
		validFrom: from,
		validUntil: until,
		entitlements: [{ name: "Seats", unit: "Count", amount: "10" }],
		allowEarlyCheckIn: true,
		maxTimeToLiveInMinutes: "60",
		lowWater: "",
		maxPerNode: "",
		maxPerAccount: "",
	};
}

const dateToIso = (d: string) => `${d}T00:00:00Z`;

function entitlement(row: EntitlementRow): EntitlementInput {
	const name = row.name.trim();
	if (row.unit === "None") {
		return row.amount.trim()
			? { Name: name, Unit: "None", Value: row.amount.trim() }
			: { Name: name, Unit: "None" };
	}
	// A number the server can judge: "abc" stays NaN → JSON null → the server's ValidationException.
	return { Name: name, Unit: row.unit, MaxCount: Number(row.amount.trim()) };
}

/**
 * CreateLicense's input. The page checks nothing the server checks: whatever is
 * wrong comes back as the service's own ValidationException, shown in words.
 */
export function createLicenseInput(form: CreateForm, ClientToken: string): CreateLicenseInput {
	const metadata: Metadata[] = [];
	if (form.lowWater.trim()) metadata.push({ Name: "borrow.lowWater", Value: form.lowWater.trim() });
	if (form.maxPerNode.trim())
		metadata.push({ Name: "borrow.maxPerNode", Value: form.maxPerNode.trim() });
	if (form.maxPerAccount.trim()) {
		metadata.push({ Name: "borrow.maxPerAccount", Value: form.maxPerAccount.trim() });
	}
	const input: CreateLicenseInput = {
		LicenseName: form.licenseName.trim(),
		ProductName: form.productName.trim(),
		ProductSKU: form.productSku.trim(),
		Issuer: { Name: form.issuerName.trim() },
		HomeRegion: form.homeRegion.trim(),
		Beneficiary: form.beneficiary.trim(),
		Validity: form.validUntil
			? { Begin: dateToIso(form.validFrom), End: dateToIso(form.validUntil) }
			: { Begin: dateToIso(form.validFrom) },
		Entitlements: form.entitlements.filter((r) => r.name.trim()).map(entitlement),
		ConsumptionConfiguration: {
			RenewType: "None",
			BorrowConfiguration: {
				AllowEarlyCheckIn: form.allowEarlyCheckIn,
				MaxTimeToLiveInMinutes: Number(form.maxTimeToLiveInMinutes.trim()),
			},
		},
		ClientToken,
	};
	if (metadata.length > 0) input.LicenseMetadata = metadata;
	return input;
}

/** The CLI line the empty state offers, so a first license is one paste away. */
export function firstLicenseCommand(endpoint: string, region: string): string {
	return [
		`aws license-manager create-license --endpoint-url ${endpoint} --region ${region}`,
		`  --license-name "My product" --product-name "My product" --product-sku MY-SKU-1`,
		`  --issuer Name=MyCompany --home-region ${region} --beneficiary "My Beneficiary"`,
		`  --validity Begin=2026-01-01T00:00:00Z,End=2030-01-01T00:00:00Z`,
		`  --entitlements Name=Seats,Unit=Count,MaxCount=10`,
		`  --consumption-configuration 'RenewType=None,BorrowConfiguration={AllowEarlyCheckIn=true,MaxTimeToLiveInMinutes=60}'`,
		`  --client-token first$(date +%s)`,
	].join(" \\\n");
}
