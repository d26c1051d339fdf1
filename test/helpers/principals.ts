import { env } from "cloudflare:workers";
import { importBoxKey, sealSecret } from "../../src/auth/secretBox";

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
	await env.DB.prepare(
		`INSERT INTO principals (access_key_id, account_id, secret_ciphertext, allowed_operations, rate_tier, status, created_at)
		 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
		 ON CONFLICT (access_key_id) DO UPDATE SET account_id = ?2, secret_ciphertext = ?3, allowed_operations = ?4,
			rate_tier = ?5, status = ?6`,
	)
		.bind(
			p.accessKeyId,
			p.accountId,
			await sealSecret(key, p.accessKeyId, p.secretAccessKey),
			JSON.stringify(options.operations ?? ["*"]),
			options.rateTier ?? "bulk",
			options.status ?? "ACTIVE",
			new Date().toISOString(),
		)
		.run();
}
