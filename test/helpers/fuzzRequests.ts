import fc from "fast-check";
import { AWS_OPERATIONS } from "../../src/operations/names";

/**
 * Hostile requests for the property-based fuzz: valid requests of every operation,
 * then mutated — members replaced by wrong types, nulls, huge and deep values,
 * strings that are not well-formed, boundary quantities; members deleted, added
 * under prototype names, duplicated; ARNs and consumption tokens swapped for ones
 * the service never minted or the caller may not touch; whole bodies that are not
 * JSON objects at all.
 *
 * Requests are modelled as JSON *text* trees rather than JS values, so that
 * duplicate member names, member order, `__proto__` members and numbers JS cannot
 * hold (1e400) reach the Worker exactly as a hostile client would send them.
 */
export type Json =
	| { raw: string } // emitted verbatim: numbers, literals, deep or broken text
	| { str: string }
	| { arr: Json[] }
	| { obj: [string, Json][] };

export function emit(j: Json): string {
	if ("raw" in j) return j.raw;
	if ("str" in j) return JSON.stringify(j.str);
	if ("arr" in j) return `[${j.arr.map(emit).join(",")}]`;
	return `{${j.obj.map(([k, v]) => `${JSON.stringify(k)}:${emit(v)}`).join(",")}}`;
}

/** A plain JS value (strings, numbers, booleans, arrays, objects) as a JSON tree. */
export function toJson(value: unknown): Json {
	if (typeof value === "string") return { str: value };
	if (Array.isArray(value)) return { arr: value.map(toJson) };
	if (value !== null && typeof value === "object") {
		return { obj: Object.entries(value).map(([k, v]) => [k, toJson(v)]) };
	}
	return { raw: JSON.stringify(value) ?? "null" };
}

/** What the fuzz's requests refer to: its own licenses and borrow, and the control it must never change. */
export interface FuzzTargets {
	account: string;
	/** The fuzz caller's license with live borrows: checkouts, check-ins, versions. */
	license: string;
	/** The fuzz caller's license that DeleteLicense may delete. */
	deletable: string;
	/** A live borrow on `license`. */
	token: string;
	/** Another account's license and borrow: nothing the fuzz sends may change them. */
	controlArn: string;
	controlToken: string;
	controlAccount: string;
}

/** Every AWS operation the service serves (the fuzz covers them all). */
export const OPERATIONS = AWS_OPERATIONS;
export type Operation = (typeof OPERATIONS)[number];

function licenseBody(): Record<string, unknown> {
	return {
		LicenseName: "Fuzz license",
		ProductName: "Fuzz product",
		Issuer: { Name: "Fuzz Issuer" },
		HomeRegion: "us-east-1",
		Validity: { Begin: "2020-01-01T00:00:00Z", End: "2099-01-01T00:00:00Z" },
		Entitlements: [
			{ Name: "Seats", Unit: "Count", MaxCount: 5 },
			{ Name: "Tier", Unit: "None", Value: "Gold" },
		],
		ConsumptionConfiguration: {
			RenewType: "None",
			BorrowConfiguration: { AllowEarlyCheckIn: true, MaxTimeToLiveInMinutes: 60 },
		},
	};
}

/** A valid request of `op` against the fuzz's own resources. */
export function validRequest(op: Operation, t: FuzzTargets, clientToken: string): Json {
	switch (op) {
		case "CheckoutBorrowLicense":
			return toJson({
				LicenseArn: t.license,
				ClientToken: clientToken,
				DigitalSignatureMethod: "JWT_PS384",
				Entitlements: [
					{ Name: "Seats", Unit: "Count", Value: "1" },
					{ Name: "Tier", Unit: "None" },
				],
				NodeId: "node-1",
				CheckoutMetadata: [{ Name: "user", Value: "ada" }],
			});
		case "CheckInLicense":
			return toJson({ LicenseConsumptionToken: t.token, Beneficiary: t.account });
		case "ExtendLicenseConsumption":
			return toJson({ LicenseConsumptionToken: t.token, DryRun: true });
		case "CreateLicense":
			return toJson({
				...licenseBody(),
				ProductSKU: "FUZZ-1",
				Beneficiary: "Fuzz Beneficiary",
				ClientToken: clientToken,
			});
		case "GetLicense":
			return toJson({ LicenseArn: t.license, Version: "1" });
		case "ListLicenses":
			return toJson({
				LicenseArns: [t.license],
				Filters: [{ Name: "ProductSKU", Values: ["FUZZ-1"] }],
				MaxResults: 10,
			});
		case "CreateLicenseVersion":
			return toJson({
				...licenseBody(),
				LicenseArn: t.license,
				Status: "AVAILABLE",
				ClientToken: clientToken,
			});
		case "ListLicenseVersions":
			return toJson({ LicenseArn: t.license, MaxResults: 5 });
		case "DeleteLicense":
			return toJson({ LicenseArn: t.deletable, SourceVersion: "1" });
		case "GetLicenseUsage":
			return toJson({ LicenseArn: t.license });
	}
}

// ---- hostile values ---------------------------------------------------------

/** Any UTF-16 code unit, unpaired surrogates included (fast-check's own units skip them). */
const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));
const codeUnits = (maxLength: number) => fc.string({ unit: codeUnit, maxLength });
const hexDigits = (n: number) =>
	fc.string({ unit: fc.constantFrom(..."0123456789abcdef"), minLength: n, maxLength: n });

const NOT_WELL_FORMED = ["\ud800", "seats\ud800", "\udc00", "\ude00\ud83d", "a\udbffb", "\udfff"];
const QUANTITIES = [
	"0",
	"1",
	"01",
	"-1",
	"1.0",
	"1e3",
	" 1",
	"9007199254740991",
	"9007199254740992",
	"99999999999999999999",
];
const INTERESTING = [
	"",
	" ",
	"\u0000",
	"a\u0000b",
	"caf\u00e9",
	"cafe\u0301",
	"🎉",
	"\u202e",
	"\ufeff",
	"%00",
	"../",
	"null",
	"__proto__",
	"Count",
	"None",
	"Seats",
	"Tier",
	"JWT_PS384",
	"AVAILABLE",
	"DELETED",
	"PENDING_DELETE",
	"2020-01-01T00:00:00Z",
	"2021-02-30T00:00:00Z",
	"us-east-1",
	"eu-west-1",
	...QUANTITIES,
	...NOT_WELL_FORMED,
];
export const PROTOTYPE_KEYS = [
	"__proto__",
	"constructor",
	"prototype",
	"toString",
	"valueOf",
	"hasOwnProperty",
	"__defineGetter__",
];
const MEMBER_NAMES = [
	"LicenseArn",
	"LicenseArns",
	"LicenseConsumptionToken",
	"ClientToken",
	"DigitalSignatureMethod",
	"Entitlements",
	"Name",
	"Unit",
	"Value",
	"MaxCount",
	"Overage",
	"AllowCheckIn",
	"NodeId",
	"CheckoutMetadata",
	"Beneficiary",
	"DryRun",
	"Version",
	"SourceVersion",
	"Status",
	"Filters",
	"Values",
	"MaxResults",
	"NextToken",
	"HomeRegion",
	"Validity",
	"Begin",
	"End",
	"ConsumptionConfiguration",
	"BorrowConfiguration",
	"MaxTimeToLiveInMinutes",
];

const BOUNDARY_NUMBERS = [
	0,
	-1,
	1,
	5,
	6,
	100,
	101,
	43200,
	43201,
	2 ** 31,
	2 ** 53 - 1,
	2 ** 53,
	2 ** 64,
	1.5,
	1e21,
	-1e308,
];

const numberJson: fc.Arbitrary<Json> = fc.oneof(
	fc.constantFrom(...BOUNDARY_NUMBERS).map(toJson),
	fc.integer().map(toJson),
	fc.double({ noNaN: true, noDefaultInfinity: true }).map(toJson),
	fc
		.constantFrom("1e400", "-1e400", "-0", "1E2", "123456789012345678901234567890", "0.0000001")
		.map((raw) => ({ raw })),
);

const stringJson: fc.Arbitrary<Json> = fc
	.oneof(
		{ weight: 3, arbitrary: fc.constantFrom(...INTERESTING) },
		{ weight: 2, arbitrary: codeUnits(24) },
		{ weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 24 }) },
		{ weight: 1, arbitrary: fc.constantFrom(...NOT_WELL_FORMED) },
		// Lengths around the limits: 64, 128, 256, 1024, 2048.
		{
			weight: 1,
			arbitrary: fc
				.constantFrom(64, 65, 128, 129, 256, 257, 1024, 1025, 2048, 2049)
				.map((n) => "x".repeat(n)),
		},
	)
	.map((s) => ({ str: s }));

/** Nesting as deep as the body allows: text, since building it as a JS value would recurse. */
const deepJson: fc.Arbitrary<Json> = fc
	.tuple(fc.constantFrom(64, 1_000, 20_000, 120_000), fc.boolean())
	.map(([depth, list]) => ({
		raw: list
			? `${"[".repeat(depth)}${"]".repeat(depth)}`
			: `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`,
	}));

/** Strings and lists big enough to matter, some past the 256 KiB body limit. */
const hugeJson: fc.Arbitrary<Json> = fc.oneof(
	fc.constantFrom(4_096, 65_536, 200_000, 270_000).map((n) => ({ str: "x".repeat(n) })),
	fc
		.constantFrom(101, 1_000, 5_000)
		.map((n) =>
			toJson(Array.from({ length: n }, (_, i) => ({ Name: `n${i}`, Unit: "Count", Value: "1" }))),
		),
);

export const memberName: fc.Arbitrary<string> = fc.oneof(
	fc.constantFrom(...PROTOTYPE_KEYS),
	fc.constantFrom(...MEMBER_NAMES),
	fc.constantFrom(...NOT_WELL_FORMED),
	codeUnits(12),
);

const leafJson: fc.Arbitrary<Json> = fc.oneof(
	{ weight: 2, arbitrary: fc.constant<Json>({ raw: "null" }) },
	{ weight: 1, arbitrary: fc.boolean().map(toJson) },
	{ weight: 3, arbitrary: numberJson },
	{ weight: 5, arbitrary: stringJson },
);

/** Any hostile value: mostly small, sometimes a structure, rarely huge or deep. */
export const hostileJson: fc.Arbitrary<Json> = fc.oneof(
	{ weight: 10, arbitrary: leafJson },
	{ weight: 2, arbitrary: fc.array(leafJson, { maxLength: 4 }).map((arr) => ({ arr })) },
	{
		weight: 2,
		arbitrary: fc
			.array(fc.tuple(memberName, leafJson), { maxLength: 4 })
			.map((obj): Json => ({ obj })),
	},
	{
		weight: 1,
		arbitrary: fc
			.record({ Name: leafJson, Unit: leafJson, Value: leafJson, MaxCount: leafJson })
			.map((e): Json => ({ arr: [{ obj: Object.entries(e) }] })),
	},
	{ weight: 1, arbitrary: deepJson },
	{ weight: 1, arbitrary: hugeJson },
);

// ---- ARNs and consumption tokens the fuzz caller must get nowhere with -----

/** Placement digits the service never mints, and random ones. */
const placementPair = fc.oneof(
	fc.constantFrom(
		"10",
		"11",
		"13",
		"16",
		"19",
		"1a",
		"1f",
		"20",
		"24",
		"2f",
		"0a",
		"0f",
		"f0",
		"ff",
	),
	hexDigits(2),
);

export function badArn(t: FuzzTargets): fc.Arbitrary<string> {
	const arn = (partition: string, account: string, id: string) =>
		`arn:${partition}:license-manager::${account}:license:${id}`;
	return fc.oneof(
		fc
			.tuple(placementPair, hexDigits(30), fc.constantFrom(t.account, t.controlAccount))
			.map(([p, h, account]) => arn("aws", account, `l-${p}${h}`)),
		fc.constantFrom(
			t.controlArn,
			t.controlArn.replace(t.controlAccount, t.account),
			t.license.replace(t.account, t.controlAccount),
			t.license.toUpperCase(),
			t.license.slice(0, -1),
			`${t.license}0`,
			t.license.replace("arn:aws:", "arn:aws-cn:"),
			t.license.replace("arn:aws:", "arn:aws-us-gov:"),
			t.license.replace("license-manager", "s3"),
			`${t.license}:extra`,
			"arn:aws:license-manager::111122223333:license:l-",
			`arn:aws:license-manager::111122223333:license:l-${"0".repeat(33)}`,
			"arn:aws:license-manager::111122223333:license:../l-00",
		),
		codeUnits(40),
	);
}

export function badToken(t: FuzzTargets): fc.Arbitrary<string> {
	return fc.oneof(
		fc.tuple(placementPair, hexDigits(62)).map(([p, h]) => `${p}${h}`),
		fc.constantFrom(
			t.controlToken,
			`${t.controlToken.slice(0, 32)}${t.token.slice(32)}`,
			`${t.token.slice(0, 32)}${t.controlToken.slice(32)}`,
			t.token.toUpperCase(),
			t.token.slice(0, -1),
			`${t.token}0`,
			`l-${t.token}`,
		),
		hexDigits(64),
		codeUnits(70),
	);
}

// ---- mutations --------------------------------------------------------------

export type Mutation =
	| { kind: "replace"; at: number; value: Json }
	| { kind: "delete"; at: number }
	| { kind: "add"; at: number; key: string; value: Json }
	| { kind: "duplicate"; at: number; value: Json; after: boolean }
	| { kind: "ref"; value: string };

export const mutation = (t: FuzzTargets, op: Operation): fc.Arbitrary<Mutation> => {
	const token = op === "CheckInLicense" || op === "ExtendLicenseConsumption";
	return fc.oneof(
		{
			weight: 5,
			arbitrary: fc.record({ kind: fc.constant("replace"), at: fc.nat(), value: hostileJson }),
		},
		{ weight: 2, arbitrary: fc.record({ kind: fc.constant("delete"), at: fc.nat() }) },
		{
			weight: 2,
			arbitrary: fc.record({
				kind: fc.constant("add"),
				at: fc.nat(),
				key: memberName,
				value: hostileJson,
			}),
		},
		{
			weight: 2,
			arbitrary: fc.record({
				kind: fc.constant("duplicate"),
				at: fc.nat(),
				value: hostileJson,
				after: fc.boolean(),
			}),
		},
		{
			weight: 3,
			arbitrary: fc.record({
				kind: fc.constant("ref"),
				value: token ? badToken(t) : badArn(t),
			}),
		},
	) as fc.Arbitrary<Mutation>;
};

type Path = number[];

/** Every node below the root, depth first; members and list items alike. */
function nodePaths(root: Json, prefix: Path = [], out: Path[] = []): Path[] {
	const children = "obj" in root ? root.obj.map(([, v]) => v) : "arr" in root ? root.arr : [];
	children.forEach((child, i) => {
		const path = [...prefix, i];
		out.push(path);
		nodePaths(child, path, out);
	});
	return out;
}

function nodeAt(root: Json, path: Path): Json {
	let node = root;
	for (const i of path) {
		node = ("obj" in node ? node.obj[i]?.[1] : "arr" in node ? node.arr[i] : undefined) as Json;
	}
	return node;
}

/** The members whose values name a license or a borrow. */
const REF_MEMBERS = new Set(["LicenseArn", "LicenseConsumptionToken", "LicenseArns"]);

function replaceRefs(node: Json, value: string): void {
	if (!("obj" in node)) return;
	node.obj.forEach((member, i) => {
		const [key, v] = member;
		if (!REF_MEMBERS.has(key)) return;
		node.obj[i] = [key, "arr" in v ? { arr: [{ str: value }, ...v.arr] } : { str: value }];
	});
}

/** Applies one mutation to a copy of `root`; indices wrap, so every choice lands somewhere. */
export function mutate(root: Json, m: Mutation): Json {
	const copy = structuredClone(root);
	if (m.kind === "ref") {
		replaceRefs(copy, m.value);
		return copy;
	}
	const paths = nodePaths(copy);
	if (m.kind === "add") {
		const objects = [[], ...paths].filter((p) => "obj" in nodeAt(copy, p));
		const target = nodeAt(copy, objects[m.at % objects.length] as Path) as {
			obj: [string, Json][];
		};
		target.obj.push([m.key, m.value]);
		return copy;
	}
	if (paths.length === 0) return copy;
	const path = paths[m.at % paths.length] as Path;
	const parent = nodeAt(copy, path.slice(0, -1));
	const i = path.at(-1) as number;
	if (m.kind === "replace") {
		if ("obj" in parent) (parent.obj[i] as [string, Json])[1] = m.value;
		else if ("arr" in parent) parent.arr[i] = m.value;
	} else if (m.kind === "delete") {
		if ("obj" in parent) parent.obj.splice(i, 1);
		else if ("arr" in parent) parent.arr.splice(i, 1);
	} else if ("obj" in parent) {
		const key = (parent.obj[i] as [string, Json])[0];
		parent.obj.splice(m.after ? i + 1 : i, 0, [key, m.value]);
	} else if ("arr" in parent) {
		// A list item repeated exactly (duplicate entitlement or metadata names), or a hostile one beside it.
		parent.arr.splice(i, 0, m.after ? structuredClone(parent.arr[i] as Json) : m.value);
	}
	return copy;
}

/** Bodies that are not a JSON object at all, or too big, or not UTF-8. */
export const wholeBody: fc.Arbitrary<string | Uint8Array> = fc.oneof(
	fc.constantFrom(
		"",
		"null",
		"[]",
		'"text"',
		"1",
		"true",
		"{",
		'{"a":}',
		"{}",
		'{"__proto__":{"isAdmin":true}}',
		'{"constructor":{"prototype":{"polluted":1}}}',
		'{"LicenseArn":"a","LicenseArn":null}',
		"\ufeff{}",
		`{"a":"${"x".repeat(262_144)}"}`,
	),
	deepJson.map(emit),
	codeUnits(40),
	fc.uint8Array({ maxLength: 48 }),
	fc.uint8Array({ maxLength: 16 }).map((bytes) => new Uint8Array([0x7b, ...bytes, 0x7d])),
);

export type Plan =
	| { kind: "valid" }
	| { kind: "mutate"; mutations: Mutation[] }
	| { kind: "body"; body: string | Uint8Array };

export interface FuzzRequest {
	op: Operation;
	clientToken: string;
	plan: Plan;
}

export function fuzzRequest(t: FuzzTargets): fc.Arbitrary<FuzzRequest> {
	return fc.constantFrom(...OPERATIONS).chain((op) =>
		fc.record({
			op: fc.constant(op),
			// Short, so that tokens repeat: replays and "same token, different request" both happen.
			clientToken: fc.string({
				unit: fc.constantFrom(..."abc012"),
				minLength: 1,
				maxLength: 4,
			}),
			plan: fc.oneof(
				{ weight: 1, arbitrary: fc.constant<Plan>({ kind: "valid" }) },
				{
					weight: 12,
					arbitrary: fc
						.array(mutation(t, op), { minLength: 1, maxLength: 3 })
						.map((mutations): Plan => ({ kind: "mutate", mutations })),
				},
				{
					weight: 1,
					arbitrary: wholeBody.map((body): Plan => ({ kind: "body", body })),
				},
			),
		}),
	);
}

/** The body a fuzz request sends. */
export function bodyOf(req: FuzzRequest, t: FuzzTargets): string | Uint8Array {
	if (req.plan.kind === "body") return req.plan.body;
	let json = validRequest(req.op, t, req.clientToken);
	if (req.plan.kind === "mutate") for (const m of req.plan.mutations) json = mutate(json, m);
	return emit(json);
}

/**
 * A fuzz file's fast-check run parameters: a random seed unless FUZZ_SEED replays
 * one, and FUZZ_PATH (from a failure's report) to replay just the failing case.
 */
export function fuzzParameters(
	settings: { FUZZ_SEED?: string; FUZZ_PATH?: string },
	numRuns: number,
): { seed: number; numRuns: number; path?: string; endOnFailure?: boolean } {
	const seed = settings.FUZZ_SEED ? Number(settings.FUZZ_SEED) : (Math.random() * 2 ** 31) | 0;
	const path = settings.FUZZ_PATH || undefined;
	return { seed, numRuns, ...(path ? { path, endOnFailure: true } : {}) };
}
