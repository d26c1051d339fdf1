import { env } from "cloudflare:workers";
import { principalInsert } from "../../scripts/lib/principalRecord";
import { importBoxKey, sealSecret } from "../../src/auth/secretBox";

/** Test principals: the two dev accounts, fresh keys, and writing them to D1 as the CLI does. */

export interface TestPrincipal {
	accessKeyId: string;
	secretAccessKey: string;
	accountId: string;
}

/** The issuer account of most tests (the documented dev principal's account). */
export const ISSUER: TestPrincipal = {
	accessKeyId: "AKIDLOCALDEV0000001",
	secretAccessKey: "dev-secret-not-for-production",
	accountId: "111122223333",
};

/** A second account, for cross-account tests. */
export const OTHER: TestPrincipal = {
	accessKeyId: "AKIDLOCALDEV0000002",
	secretAccessKey: "dev-secret-2-not-for-production",
	accountId: "444455556666",
};

/** A fresh principal whose access key id is unique to this run (rate-limit buckets outlive a file). */
export function freshPrincipal(accountId: string, label: string): TestPrincipal {
	const suffix = crypto.randomUUID().replace(/-/g, "").slice(0, 12).toUpperCase();
	return {
		accessKeyId: `AKID${label.toUpperCase()}${suffix}`,
		secretAccessKey: `secret-${label}-${suffix}`,
		accountId,
	};
}

/** Writes a principal the way `npm run principal -- create` does: secret sealed under PRINCIPAL_SECRET_KEY. */
export async function putPrincipal(
	p: TestPrincipal,
	options: {
		operations?: string[];
		rateTier?: "standard" | "bulk";
		status?: "ACTIVE" | "REVOKED";
	} = {},
): Promise<void> {
	const key = await importBoxKey(env.PRINCIPAL_SECRET_KEY as string);
	const { sql, params } = principalInsert(
		{
			accessKeyId: p.accessKeyId,
			accountId: p.accountId,
			sealedSecret: await sealSecret(key, p.accessKeyId, p.secretAccessKey),
			operations: options.operations ?? ["*"],
			rateTier: options.rateTier ?? "bulk",
			...(options.status ? { status: options.status } : {}),
		},
		{ replace: true },
	);
	await env.DB.prepare(sql)
		.bind(...params)
		.run();
}
