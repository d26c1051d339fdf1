import type { Metadata } from "../api/types";

/** SPEC §10: the borrow policy lives in LicenseMetadata under these reserved names. */
export const POLICY_NAMES = [
	"borrow.lowWater",
	"borrow.maxPerNode",
	"borrow.maxPerAccount",
] as const;

const LABELS: Record<(typeof POLICY_NAMES)[number], string> = {
	"borrow.lowWater": "Never lent (low water)",
	"borrow.maxPerNode": "Live borrows per node",
	"borrow.maxPerAccount": "Live borrows per account",
};

export interface PolicyEntry {
	name: string;
	label: string;
	value: string;
}

// lowWater is a JSON object {"Seats": 2}: shown as "Seats: 2". Anything else is shown
// exactly as stored — the server decides what is valid, the page only shows it.
function showValue(name: string, value: string): string {
	if (name !== "borrow.lowWater") return value;
	try {
		const parsed: unknown = JSON.parse(value);
		if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) {
			const parts = Object.entries(parsed).map(([k, v]) => `${k}: ${String(v)}`);
			if (parts.length > 0) return parts.join(", ");
		}
	} catch {
		// not JSON: shown as stored
	}
	return value;
}

/** The policy entries a license carries, in a fixed order; absent ones are left out. */
export function borrowPolicy(metadata: Metadata[] | undefined): PolicyEntry[] {
	const out: PolicyEntry[] = [];
	for (const name of POLICY_NAMES) {
		const m = metadata?.find((x) => x.Name === name);
		if (m) out.push({ name, label: LABELS[name], value: showValue(name, m.Value) });
	}
	return out;
}

/** Metadata that is not policy, shown as it is. */
export function otherMetadata(metadata: Metadata[] | undefined): Metadata[] {
	return (metadata ?? []).filter((m) => !(POLICY_NAMES as readonly string[]).includes(m.Name));
}
