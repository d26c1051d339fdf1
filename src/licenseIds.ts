import { licenseIdKey } from "./derivedKeys";
import { hex } from "./encoding";
import type { Env } from "./env";

/**
 * What names a license and leads to its object, used by the Worker and the object
 * alike: ARNs, license ids (which carry the object's placement) and consumption
 * tokens (which carry the license id). The stub lookup itself is part of the
 * object's contract (src/license/contract.ts).
 */

/** The seed's LicenseArn pattern, verbatim. */
export const LICENSE_ARN_PATTERN =
	/^arn:aws(-(cn|us-gov|iso-b|iso-c|iso-d))?:[A-Za-z0-9][A-Za-z0-9_/.-]{0,62}:[A-Za-z0-9_/.-]{0,63}:[A-Za-z0-9_/.-]{0,63}:[A-Za-z0-9][A-Za-z0-9:_/+=,@.-]{0,1023}$/;
export const LICENSE_ARN_PATTERN_TEXT =
	"^arn:aws(-(cn|us-gov|iso-b|iso-c|iso-d))?:[A-Za-z0-9][A-Za-z0-9_/.-]{0,62}:[A-Za-z0-9_/.-]{0,63}:[A-Za-z0-9_/.-]{0,63}:[A-Za-z0-9][A-Za-z0-9:_/+=,@.-]{0,1023}$";

const MINTED_ARN = /^arn:(aws(?:-[a-z-]+)?):license-manager::(\d{12}):license:(l-[0-9a-f]{32})$/;
const LICENSE_ID = /^l-[0-9a-f]{32}$/;
const CONSUMPTION_TOKEN = /^([0-9a-f]{32})([0-9a-f]{32})$/;

export function partitionOf(arn: string): string {
	return arn.split(":", 2)[1] ?? "";
}

export interface LicenseRef {
	partition: string;
	issuerAccount: string;
	licenseId: string;
}

/** Null when the ARN is well-formed but not one this service mints: such a license does not exist. */
export function parseLicenseArn(arn: string): LicenseRef | null {
	const m = MINTED_ARN.exec(arn);
	if (!m) return null;
	return { partition: m[1] as string, issuerAccount: m[2] as string, licenseId: m[3] as string };
}

export function licenseArn(partition: string, account: string, licenseId: string): string {
	return `arn:${partition}:license-manager::${account}:license:${licenseId}`;
}

/*
 * Placement. A license's object must be found again from its id alone, whatever
 * the configuration says later, so the id carries it: the first hex digit names
 * the jurisdiction, the second the location hint. The other 30 digits identify
 * the license.
 */
const JURISDICTIONS: readonly (DurableObjectJurisdiction | null)[] = [null, "eu", "fedramp"];
const LOCATION_HINTS: readonly (DurableObjectLocationHint | null)[] = [
	null,
	"wnam",
	"enam",
	"sam",
	"weur",
	"eeur",
	"apac",
	"oc",
	"afr",
	"me",
];

export interface Placement {
	jurisdiction: DurableObjectJurisdiction | null;
	locationHint: DurableObjectLocationHint | null;
}

/** Where a new license's object should live, from its home region. */
export function placementForRegion(homeRegion: string, euJurisdiction: boolean): Placement {
	const r = homeRegion.toLowerCase();
	const jurisdiction = euJurisdiction && r.startsWith("eu-") ? "eu" : null;
	let locationHint: DurableObjectLocationHint | null = null;
	if (/^us-(west|gov-west)-/.test(r) || r.startsWith("mx-")) locationHint = "wnam";
	else if (/^(us-|ca-)/.test(r)) locationHint = "enam";
	else if (r.startsWith("sa-")) locationHint = "sam";
	else if (/^eu-(central|south-2)/.test(r)) locationHint = "eeur";
	else if (r.startsWith("eu-")) locationHint = "weur";
	else if (/^ap-southeast-(2|4|6)$/.test(r)) locationHint = "oc";
	else if (r.startsWith("ap-")) locationHint = "apac";
	else if (r.startsWith("af-")) locationHint = "afr";
	else if (/^(me-|il-)/.test(r)) locationHint = "me";
	return { jurisdiction, locationHint };
}

/*
 * The placements the service mints, as the id's two digits: exactly what
 * placementForRegion can return. No jurisdiction with any hint (0: a region it
 * does not know), the eu jurisdiction only with the two EU hints; fedramp, other
 * pairs and hint digits past 9 are never minted. An id outside this set names no
 * license, and no object is ever made for it: a caller must not choose where, or
 * under which jurisdiction, an object lives. An eu id stays valid whatever
 * EU_JURISDICTION says later, since the id alone decides where its object is.
 */
const MINTABLE: readonly Placement[] = [
	...LOCATION_HINTS.map((locationHint) => ({ jurisdiction: null, locationHint })),
	{ jurisdiction: "eu", locationHint: "weur" },
	{ jurisdiction: "eu", locationHint: "eeur" },
];

const MINTED_PLACEMENTS: ReadonlyMap<string, Placement> = new Map(
	MINTABLE.map((p) => [
		`${JURISDICTIONS.indexOf(p.jurisdiction).toString(16)}${LOCATION_HINTS.indexOf(p.locationHint).toString(16)}`,
		p,
	]),
);

/** The placement a license id carries, or null if the service never mints it. */
export function placementOf(licenseId: string): Placement | null {
	const placement = MINTED_PLACEMENTS.get(licenseId.slice(2, 4));
	return placement ? { ...placement } : null;
}

/**
 * A license id is derived from (account, ClientToken): a retried CreateLicense
 * reaches the same object, which answers it idempotently without any lookup. The
 * derivation is an HMAC under a deployment key (src/derivedKeys.ts), not a plain
 * hash, so a guessed ClientToken does not tell an outsider the ARN.
 */
export async function mintLicenseId(
	env: Pick<Env, "PRINCIPAL_SECRET_KEY">,
	account: string,
	clientToken: string,
	placement: Placement,
): Promise<string> {
	const mac = await crypto.subtle.sign(
		"HMAC",
		await licenseIdKey(env),
		new TextEncoder().encode(`${account}\0${clientToken}`),
	);
	const j = Math.max(0, JURISDICTIONS.indexOf(placement.jurisdiction));
	const h = Math.max(0, LOCATION_HINTS.indexOf(placement.locationHint));
	return `l-${j.toString(16)}${h.toString(16)}${hex(mac).slice(0, 30)}`;
}

/**
 * A consumption token is the license's 32 hex digits then 128 random bits: it
 * leads to the license's object without a lookup and cannot be guessed.
 */
export function mintConsumptionToken(licenseId: string): string {
	return `${licenseId.slice(2)}${hex(crypto.getRandomValues(new Uint8Array(16)))}`;
}

export function licenseIdOfConsumptionToken(token: string): string | null {
	const m = CONSUMPTION_TOKEN.exec(token);
	return m ? `l-${m[1]}` : null;
}

/** The `l-…` id of a license, as the public revocation-list route takes it. */
export function isLicenseId(id: string): boolean {
	return LICENSE_ID.test(id);
}
