// Reads and extends .dev.vars (dotenv format, git-ignored): the local Worker's secrets.
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { parseEnv } from "node:util";

export const DEV_VARS = ".dev.vars";

/**
 * The variables of a dotenv file, parsed by Node's own dotenv parser (the format
 * wrangler reads the file in): single, double and backtick quotes, `#` comments,
 * `export` prefixes and multi-line double-quoted values all mean what they mean to
 * wrangler, so the scripts see the values the Worker sees.
 */
export function readDevVars(path = DEV_VARS) {
	if (!existsSync(path)) return {};
	return { ...parseEnv(readFileSync(path, "utf8")) };
}

/**
 * Single quotes: parseEnv (and wrangler) take the value literally, JSON's double quotes
 * included. A value of the developer's own that holds a single quote keeps a quote
 * style that does not end it early.
 */
function quote(value) {
	if (!value.includes("'")) return `'${value}'`;
	if (!value.includes('"')) return `"${value}"`;
	return `\`${value}\``;
}

/** Makes sure a dev signing key and the secret-box key exist; keeps whatever is already there. */
export function ensureDevVars(path = DEV_VARS) {
	const vars = readDevVars(path);
	const added = [];
	if (!vars.SIGNING_PRIVATE_KEYS) {
		const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 3072 });
		const kid = `dev-${new Date().toISOString().slice(0, 10)}`;
		vars.SIGNING_PRIVATE_KEYS = JSON.stringify({ [kid]: privateKey.export({ format: "jwk" }) });
		vars.SIGNING_KEYS = JSON.stringify([{ kid, activeFrom: "2020-01-01T00:00:00Z" }]);
		added.push(`a dev signing key (${kid}, RSA-3072)`);
	}
	if (!vars.PRINCIPAL_SECRET_KEY) {
		vars.PRINCIPAL_SECRET_KEY = randomBytes(32).toString("base64");
		added.push("a principal secret-box key");
	}
	if (added.length > 0) {
		const body = Object.entries(vars)
			.map(([k, v]) => `${k}=${quote(v)}`)
			.join("\n");
		writeFileSync(path, `# Local secrets for wrangler dev. Never commit.\n${body}\n`, {
			mode: 0o600,
		});
	}
	return { vars, added };
}
