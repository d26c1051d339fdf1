// Principal records: the same sealing as the Worker (src/auth/secretBox.ts, imported directly:
// Node >= 22.18 strips its types), written to D1 through wrangler.

import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { importBoxKey, sealSecret } from "../../src/auth/secretBox.ts";

const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

export function newAccessKeyId() {
	const bytes = randomBytes(16);
	return `AKIA${Array.from(bytes, (b) => BASE32[b % 32]).join("")}`;
}

export function newSecret() {
	return randomBytes(30).toString("base64").replace(/\+/g, "A").replace(/\//g, "B");
}

function sqlString(value) {
	return `'${String(value).replace(/'/g, "''")}'`;
}

/** Runs SQL on the D1 database through wrangler: local by default, `persistTo` for another local state dir. */
export function d1(sql, { remote = false, json = false, persistTo } = {}) {
	const args = [
		"wrangler",
		"d1",
		"execute",
		"DB",
		remote ? "--remote" : "--local",
		"--command",
		sql,
	];
	if (persistTo && !remote) args.push("--persist-to", persistTo);
	if (json) args.push("--json");
	const out = execFileSync("npx", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
	return json ? JSON.parse(out) : out;
}

/**
 * SQL that stores a principal, its secret sealed under the deployment's box key.
 * `replace`: an existing row for the key id is overwritten (dev principals are re-seeded this way).
 */
export async function principalInsertSql({
	accessKeyId,
	accountId,
	secret,
	operations,
	rateTier,
	boxKey,
	replace,
}) {
	const sealed = await sealSecret(await importBoxKey(boxKey), accessKeyId, secret);
	const values = [
		accessKeyId,
		accountId,
		sealed,
		JSON.stringify(operations),
		rateTier,
		"ACTIVE",
		new Date().toISOString(),
	];
	const verb = replace ? "INSERT OR REPLACE" : "INSERT";
	return `${verb} INTO principals (access_key_id, account_id, secret_ciphertext, allowed_operations, rate_tier, status, created_at) VALUES (${values.map(sqlString).join(", ")});`;
}
