import { isoSeconds } from "../clock";
import type { Config } from "../config";
import { policyErrors } from "../license/borrowPolicy";
import {
	type ConsumptionConfiguration,
	ENTITLEMENT_UNITS,
	type Entitlement,
	LICENSE_STATUSES,
	type LicenseStatus,
	type Metadata,
	RENEW_TYPES,
} from "../license/model";
import { show, type Validator } from "../protocol/validation";

/** The members CreateLicense and CreateLicenseVersion share, validated once here. */
export interface LicenseBody {
	LicenseName: string;
	ProductName: string;
	Issuer: { Name: string; SignKey?: string };
	HomeRegion: string;
	Validity: { Begin: string; End?: string };
	Entitlements: Entitlement[];
	ConsumptionConfiguration: ConsumptionConfiguration;
	LicenseMetadata?: Metadata[];
}

const TEXT = { required: true, min: 1, max: 1024 } as const;

const ISO_DATE_TIME =
	/^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

function sameCalendarDate(m: RegExpExecArray): boolean {
	const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
	const probe = new Date(Date.UTC(year, month - 1, day));
	return (
		probe.getUTCFullYear() === year &&
		probe.getUTCMonth() === month - 1 &&
		probe.getUTCDate() === day
	);
}

/** An ISO-8601 date-time with a zone and a real calendar date, as epoch ms. */
export function readInstant(
	v: Validator,
	value: unknown,
	path: string,
	required: boolean,
): number | undefined {
	const s = v.string(value, path, { required, min: 1, max: 50 });
	if (s === undefined) return undefined;
	const m = ISO_DATE_TIME.exec(s);
	const ms = Date.parse(s);
	// Date.parse rolls 2021-02-30 over to March: the calendar date must survive the round trip.
	if (!m || Number.isNaN(ms) || !sameCalendarDate(m)) {
		return v.fail(path, s, "be an ISO-8601 date-time");
	}
	return ms;
}

function readDate(
	v: Validator,
	value: unknown,
	path: string,
	required: boolean,
): string | undefined {
	const ms = readInstant(v, value, path, required);
	// Stored and returned as UTC with Z.
	return ms === undefined ? undefined : isoSeconds(ms);
}

function readEntitlements(v: Validator, value: unknown): Entitlement[] | undefined {
	const rules = { required: true, min: 1, max: 100 };
	const out = v.structures(value, "entitlements", rules, (e, path): Entitlement | undefined => {
		const Name = v.string(e.Name, `${path}.name`, { required: true, min: 1, max: 256 });
		const Unit = v.enumValue(e.Unit, `${path}.unit`, ENTITLEMENT_UNITS, true);
		const Value = v.string(e.Value, `${path}.value`, { max: 1024 });
		const maxCountPath = `${path}.maxCount`;
		const MaxCount = v.integer(e.MaxCount, maxCountPath, {
			min: 0,
			max: Number.MAX_SAFE_INTEGER,
		});
		const Overage = v.boolean(e.Overage, `${path}.overage`);
		const AllowCheckIn = v.boolean(e.AllowCheckIn, `${path}.allowCheckIn`);
		if (Name === undefined || Unit === undefined) return undefined;
		// Decided on the validated MaxCount, never the raw member: a null MaxCount is as
		// absent as a missing one (it once passed as "given" and then refused every borrow).
		if (Unit !== "None" && MaxCount === undefined && Overage !== true) {
			if (!v.failedAt(maxCountPath)) {
				v.add(
					`Entitlement ${show(Name)} is counted in ${Unit}: it needs MaxCount unless Overage is true`,
				);
			}
			return undefined;
		}
		const entitlement: Entitlement = { Name, Unit };
		if (Value !== undefined) entitlement.Value = Value;
		if (MaxCount !== undefined) entitlement.MaxCount = MaxCount;
		if (Overage !== undefined) entitlement.Overage = Overage;
		if (AllowCheckIn !== undefined) entitlement.AllowCheckIn = AllowCheckIn;
		return entitlement;
	});
	if (!out) return undefined;
	return v.unique(
		out.map((e) => e.Name),
		"entitlements",
		"entitlement name",
	)
		? out
		: undefined;
}

function readConsumption(
	v: Validator,
	value: unknown,
	config: Config,
): ConsumptionConfiguration | undefined {
	const cc = v.object(value, "consumptionConfiguration", true);
	if (!cc) return undefined;
	const out: ConsumptionConfiguration = {};
	const renew = v.enumValue(cc.RenewType, "consumptionConfiguration.renewType", RENEW_TYPES);
	if (renew !== undefined) out.RenewType = renew;
	const provisional = v.object(
		cc.ProvisionalConfiguration,
		"consumptionConfiguration.provisionalConfiguration",
	);
	if (provisional) {
		const ttl = v.integer(
			provisional.MaxTimeToLiveInMinutes,
			"consumptionConfiguration.provisionalConfiguration.maxTimeToLiveInMinutes",
			{ required: true, min: 1, max: config.maxTtlMinutes },
		);
		if (ttl !== undefined) out.ProvisionalConfiguration = { MaxTimeToLiveInMinutes: ttl };
	}
	const borrow = v.object(cc.BorrowConfiguration, "consumptionConfiguration.borrowConfiguration");
	if (borrow) {
		const allow = v.boolean(
			borrow.AllowEarlyCheckIn,
			"consumptionConfiguration.borrowConfiguration.allowEarlyCheckIn",
			true,
		);
		const ttl = v.integer(
			borrow.MaxTimeToLiveInMinutes,
			"consumptionConfiguration.borrowConfiguration.maxTimeToLiveInMinutes",
			{ required: true, min: 1, max: config.maxTtlMinutes },
		);
		if (allow !== undefined && ttl !== undefined) {
			out.BorrowConfiguration = { AllowEarlyCheckIn: allow, MaxTimeToLiveInMinutes: ttl };
		}
	}
	return out;
}

/**
 * A `{Name, Value}` metadata list (LicenseMetadata, CheckoutMetadata): at most 50,
 * names 1–128 characters, values up to 1,024. Undefined when absent or when a member
 * was refused (the Validator holds why).
 */
export function readMetadata(
	v: Validator,
	value: unknown,
	path = "licenseMetadata",
): Metadata[] | undefined {
	return v.structures(value, path, { max: 50 }, (m, memberPath) => {
		const Name = v.string(m.Name, `${memberPath}.name`, { required: true, min: 1, max: 128 });
		const Value = v.string(m.Value, `${memberPath}.value`, { max: 1024 }) ?? "";
		return Name === undefined ? undefined : { Name, Value };
	});
}

export function readLicenseBody(
	v: Validator,
	input: Record<string, unknown>,
	config: Config,
): LicenseBody {
	const LicenseName = v.string(input.LicenseName, "licenseName", TEXT);
	const ProductName = v.string(input.ProductName, "productName", TEXT);
	const issuer = v.object(input.Issuer, "issuer", true);
	const issuerName = issuer ? v.string(issuer.Name, "issuer.name", TEXT) : undefined;
	const signKey = issuer ? v.string(issuer.SignKey, "issuer.signKey", { max: 2048 }) : undefined;
	const HomeRegion = v.string(input.HomeRegion, "homeRegion", {
		required: true,
		min: 1,
		max: 64,
		pattern: /^[a-z]{2}(-[a-z]+)+-\d+$/,
		patternText: "^[a-z]{2}(-[a-z]+)+-\\d+$",
	});
	const validity = v.object(input.Validity, "validity", true);
	const Begin = validity ? readDate(v, validity.Begin, "validity.begin", true) : undefined;
	const End = validity ? readDate(v, validity.End, "validity.end", false) : undefined;
	if (Begin !== undefined && End !== undefined && Date.parse(End) <= Date.parse(Begin)) {
		v.add("Validity.End must be later than Validity.Begin");
	}
	const Entitlements = readEntitlements(v, input.Entitlements);
	const ConsumptionConfiguration = readConsumption(v, input.ConsumptionConfiguration, config);
	const LicenseMetadata = readMetadata(v, input.LicenseMetadata);
	// SPEC §10: a borrow policy is checked here, for CreateLicense and
	// CreateLicenseVersion alike, against the entitlements it names.
	if (Entitlements !== undefined) {
		for (const problem of policyErrors(LicenseMetadata, Entitlements)) v.add(problem);
	}
	// Callers check v.ok (via done()) before using the result; the casts hold then.
	const body = {
		LicenseName,
		ProductName,
		Issuer: signKey === undefined ? { Name: issuerName } : { Name: issuerName, SignKey: signKey },
		HomeRegion,
		Validity: End === undefined ? { Begin } : { Begin, End },
		Entitlements,
		ConsumptionConfiguration,
	} as LicenseBody;
	if (LicenseMetadata !== undefined) body.LicenseMetadata = LicenseMetadata;
	return body;
}

export function readStatus(v: Validator, value: unknown): LicenseStatus | undefined {
	return v.enumValue(value, "status", LICENSE_STATUSES, true);
}

export function keyFingerprint(account: string, issuerName: string): string {
	return `aws:${account}:${issuerName}:issuer-fingerprint`;
}
