import { type Entitlement, isCounted, type Metadata } from "./model";

/**
 * SPEC §10: a license's borrow policy, kept in its LicenseMetadata under reserved
 * names so that AWS shapes (CreateLicense, CreateLicenseVersion, GetLicense) carry it
 * unchanged. Pure: read from a version's metadata and entitlements. The Worker
 * validates it at CreateLicense/CreateLicenseVersion (`policyErrors`); the object
 * reads it from the version current at checkout (`borrowPolicyOf`), so a new
 * version's policy applies to new borrows only and never touches live ones.
 */
export interface BorrowPolicy {
	/** Entitlement name → units never lent (FlexNet's BORROW_LOWWATER). */
	lowWater: ReadonlyMap<string, number>;
	/** Live borrows one NodeId may hold; when set, a checkout must name its node. */
	maxPerNode: number | null;
	/** Live borrows one borrowing account may hold. */
	maxPerAccount: number | null;
}

export const POLICY_PREFIX = "borrow.";
export const LOW_WATER = "borrow.lowWater";
export const MAX_PER_NODE = "borrow.maxPerNode";
export const MAX_PER_ACCOUNT = "borrow.maxPerAccount";
const POLICY_NAMES: ReadonlySet<string> = new Set([LOW_WATER, MAX_PER_NODE, MAX_PER_ACCOUNT]);

const NO_POLICY: BorrowPolicy = { lowWater: new Map(), maxPerNode: null, maxPerAccount: null };

/** A positive safe integer, written as a JSON number ("2", not "2.0" or "\"2\""). */
function positiveInteger(value: unknown): number | null {
	return typeof value === "number" && Number.isSafeInteger(value) && value >= 1 ? value : null;
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
	try {
		return { ok: true, value: JSON.parse(text) };
	} catch {
		return { ok: false };
	}
}

function quoted(text: string): string {
	return `'${text.length > 64 ? `${text.slice(0, 64)}…` : text}'`;
}

/**
 * Every problem of the policy entries in `metadata`, one message per entry, each
 * naming it. Empty: the policy is well formed (or absent).
 */
export function policyErrors(
	metadata: readonly Metadata[] | undefined,
	entitlements: readonly Entitlement[],
): string[] {
	const errors: string[] = [];
	const seen = new Set<string>();
	for (const { Name, Value } of metadata ?? []) {
		if (!Name.startsWith(POLICY_PREFIX)) continue;
		const entry = `License metadata entry ${quoted(Name)}`;
		if (seen.has(Name)) {
			errors.push(`${entry} is given more than once`);
			continue;
		}
		seen.add(Name);
		if (!POLICY_NAMES.has(Name)) {
			errors.push(
				`${entry} is not a borrow policy: the reserved names are ${LOW_WATER}, ${MAX_PER_NODE} and ${MAX_PER_ACCOUNT}`,
			);
			continue;
		}
		const parsed = parseJson(Value);
		if (!parsed.ok) {
			errors.push(`${entry} is not valid JSON`);
			continue;
		}
		if (Name !== LOW_WATER) {
			if (positiveInteger(parsed.value) === null)
				errors.push(`${entry} must be an integer of at least 1`);
			continue;
		}
		const value = parsed.value;
		if (typeof value !== "object" || value === null || Array.isArray(value)) {
			errors.push(`${entry} must be a JSON object of entitlement name to units`);
			continue;
		}
		for (const [name, units] of Object.entries(value)) {
			const have = entitlements.find((e) => e.Name === name);
			if (!have) errors.push(`${entry} names ${quoted(name)}, which is not an entitlement`);
			else if (!isCounted(have.Unit))
				errors.push(`${entry} names ${quoted(name)}, which is not counted (unit None)`);
			else if (positiveInteger(units) === null)
				errors.push(`${entry}: units of ${quoted(name)} must be an integer of at least 1`);
		}
	}
	return errors;
}

/**
 * The policy of a version whose metadata passed `policyErrors`. Entries that do not
 * parse are ignored rather than trusted: none can be stored, but a version stored
 * before policies existed may hold anything under these names.
 */
export function borrowPolicyOf(
	metadata: readonly Metadata[] | undefined,
	entitlements: readonly Entitlement[],
): BorrowPolicy {
	if (!metadata?.some((m) => m.Name.startsWith(POLICY_PREFIX))) return NO_POLICY;
	if (policyErrors(metadata, entitlements).length > 0) return NO_POLICY;
	const value = (name: string): unknown => {
		const entry = metadata.find((m) => m.Name === name);
		return entry === undefined ? undefined : JSON.parse(entry.Value);
	};
	const lowWater = new Map<string, number>(
		Object.entries((value(LOW_WATER) as Record<string, number> | undefined) ?? {}),
	);
	return {
		lowWater,
		maxPerNode: positiveInteger(value(MAX_PER_NODE)),
		maxPerAccount: positiveInteger(value(MAX_PER_ACCOUNT)),
	};
}
