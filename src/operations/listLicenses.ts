import { sha256Hex } from "../encoding";
import { takePage } from "../listPage";
import { show, Validator } from "../protocol/validation";
import { type LicenseQuery, queryIssuedLicenses } from "../records/d1";
import { decodePageToken, encodePageToken, readMaxResults } from "./paging";
import type { Operation } from "./types";

const FILTER_NAMES = ["Beneficiary", "ProductSKU", "Fingerprint", "Status"] as const;
type FilterName = (typeof FILTER_NAMES)[number];

/** Reads D1, the queryable copy: seller operations wait for it, so it holds every committed change. */
export const listLicenses: Operation = async ({ env, config, caller, input }) => {
	const v = new Validator();
	const arnList = v.list(input.LicenseArns, "licenseArns", { max: 100 });
	const arns = arnList?.map(
		(a, i) =>
			v.string(a, `licenseArns.${i + 1}.member`, { required: true, min: 1, max: 2048 }) ?? "",
	);
	const filters = new Map<FilterName, string[]>();
	const filterList = v.list(input.Filters, "filters", { max: 10 });
	filterList?.forEach((raw, i) => {
		const path = `filters.${i + 1}.member`;
		const f = v.object(raw, path, true);
		if (!f) return;
		const name = v.string(f.Name, `${path}.name`, { required: true });
		const values = v.list(f.Values, `${path}.values`, { max: 100 }) ?? [];
		const strings = values.map(
			(x, j) => v.string(x, `${path}.values.${j + 1}.member`, { required: true, max: 2048 }) ?? "",
		);
		if (name === undefined) return;
		if (!(FILTER_NAMES as readonly string[]).includes(name)) {
			v.add(`Filter name ${show(name)} is not supported; use one of ${FILTER_NAMES.join(", ")}`);
			return;
		}
		filters.set(name as FilterName, [...(filters.get(name as FilterName) ?? []), ...strings]);
	});
	const limit = readMaxResults(v, input.MaxResults);
	const nextToken = v.string(input.NextToken, "nextToken", { min: 1, max: 4096 });
	v.done();

	// A NextToken is valid only for the same caller and the same query.
	const scope = `licenses:${caller.accountId}:${await sha256Hex(JSON.stringify([arns ?? [], [...filters]]))}`;
	const afterArn = nextToken === undefined ? null : await decodePageToken(env, nextToken, scope);
	const query: LicenseQuery = {
		issuerAccount: caller.accountId,
		filters,
		afterArn,
		limit: limit + 1,
	};
	if (arns) query.arns = arns;
	const page = takePage(await queryIssuedLicenses(env.DB, query), {
		maxItems: limit,
		maxBytes: config.limits.listResponseBytes,
	});
	const last = page.items.at(-1);
	return {
		Licenses: page.items,
		...(page.more && last ? { NextToken: await encodePageToken(env, last.LicenseArn, scope) } : {}),
	};
};
