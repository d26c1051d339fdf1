/**
 * The one statement that stores a principal in D1's `principals` table
 * (migrations/0002_principals.sql). Every writer builds it here: the principal CLI
 * and `npm start` (through wrangler, as literal SQL), the Worker tests (a prepared
 * statement) and the bench. No imports, so Node, workerd and the bench all load it.
 */

export interface PrincipalRecord {
	accessKeyId: string;
	accountId: string;
	/** The secret sealed under PRINCIPAL_SECRET_KEY (src/auth/secretBox.ts `sealSecret`). */
	sealedSecret: string;
	/** Operation names the key may call, or ["*"]. */
	operations: readonly string[];
	rateTier: "standard" | "bulk";
	status?: "ACTIVE" | "REVOKED";
	/** ISO time; default now. */
	createdAt?: string;
}

/**
 * The INSERT with `?1`…`?7` placeholders and their values. `replace`: an existing row
 * for the key id is overwritten (dev and test principals are re-seeded this way).
 */
export function principalInsert(
	record: PrincipalRecord,
	{ replace = false }: { replace?: boolean } = {},
): { sql: string; params: string[] } {
	const verb = replace ? "INSERT OR REPLACE" : "INSERT";
	return {
		sql: `${verb} INTO principals (access_key_id, account_id, secret_ciphertext, allowed_operations, rate_tier, status, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)`,
		params: [
			record.accessKeyId,
			record.accountId,
			record.sealedSecret,
			JSON.stringify(record.operations),
			record.rateTier,
			record.status ?? "ACTIVE",
			record.createdAt ?? new Date().toISOString(),
		],
	};
}

/** The same statement with its values written in as SQL string literals (wrangler `d1 execute` takes no bindings). */
export function principalInsertLiteral(
	record: PrincipalRecord,
	options: { replace?: boolean } = {},
): string {
	const { sql, params } = principalInsert(record, options);
	const literal = (value: string) => `'${value.replace(/'/g, "''")}'`;
	return `${sql.replace(/\?(\d)/g, (_, i: string) => literal(params[Number(i) - 1] ?? ""))};`;
}
