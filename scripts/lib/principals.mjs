// Principal records: the same sealing as the Worker (src/auth/secretBox.ts, imported directly:
// Node >= 22.18 strips its types), written to D1 through wrangler.

import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { stripVTControlCharacters } from "node:util";
import { importBoxKey, sealSecret } from "../../src/auth/secretBox.ts";
import { NO_CREDENTIALS_MESSAGE } from "./credentials.mjs";
import { principalInsertLiteral } from "./principalRecord.ts";

const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

export function newAccessKeyId() {
	const bytes = randomBytes(16);
	return `AKIA${Array.from(bytes, (b) => BASE32[b % 32]).join("")}`;
}

export function newSecret() {
	return randomBytes(30).toString("base64").replace(/\+/g, "A").replace(/\//g, "B");
}

/** A failure the command reports as one line (exit status 1), never with a stack or the SQL. */
export class CliError extends Error {
	name = "CliError";
}

export const WRANGLER = join(
	dirname(createRequire(import.meta.url).resolve("wrangler/package.json")),
	"bin",
	"wrangler.js",
);

/**
 * Runs SQL on the D1 database through wrangler (local by default, `persistTo` for another
 * local state dir; `env` and `config` are wrangler's --env and --config) and returns
 * wrangler's `--json` result: one `{results}` per statement.
 * Wrangler runs on this Node directly, not through npx, and without its banner: npm's and
 * wrangler's update checks would reach the network. Any failure becomes a CliError naming
 * what failed; wrangler's own output is not passed through, because it can echo the SQL,
 * which holds sealed secrets.
 *
 * Locally the SQL goes in a private temporary file (--file), never in argv, where any
 * user of the machine could read it in the process list; the file is deleted after.
 * Remotely `--file` is not an option: it is D1's bulk import, which takes the database
 * offline while it runs and returns no rows. There the SQL goes as --command; a principal
 * row holds its secret only sealed under PRINCIPAL_SECRET_KEY, which is never in the SQL.
 */
export function d1(sql, { remote = false, persistTo, env, config } = {}) {
	const where = remote ? "--remote" : "--local";
	const scratch = remote ? undefined : mkdtempSync(join(tmpdir(), "elm-d1-"));
	try {
		const input = remote ? ["--command", sql] : ["--file", privateSqlFile(scratch, sql)];
		const args = [WRANGLER, "d1", "execute", "DB", where, "--json", ...input];
		if (persistTo && !remote) args.push("--persist-to", persistTo);
		if (env) args.push("--env", env);
		if (config) args.push("--config", config);
		let out;
		try {
			out = execFileSync(process.execPath, args, {
				encoding: "utf8",
				stdio: ["ignore", "pipe", "pipe"],
				env: { WRANGLER_HIDE_BANNER: "true", ...process.env },
				timeout: 120_000,
				maxBuffer: 64 * 1024 * 1024,
			});
		} catch (error) {
			throw wranglerFailure(error, sql, remote);
		}
		try {
			const parsed = JSON.parse(out);
			if (Array.isArray(parsed)) return parsed;
		} catch {
			// fall through
		}
		throw new CliError(`wrangler d1 execute ${where} gave an answer that is not its JSON result`);
	} finally {
		if (scratch) rmSync(scratch, { recursive: true, force: true });
	}
}

/** The SQL in a new file only this user can read (its directory is mkdtemp's, mode 0700). */
function privateSqlFile(dir, sql) {
	const path = join(dir, "statements.sql");
	writeFileSync(path, sql, { flag: "wx", mode: 0o600 });
	return path;
}

const NO_CREDENTIALS =
	/CLOUDFLARE_API_TOKEN environment variable|not authenticated|not logged in|wrangler login/i;
const UNREACHABLE = /fetch failed|ENOTFOUND|ECONNREFUSED|ECONNRESET|EAI_AGAIN|socket hang up/i;
const REFUSED_CREDENTIALS = /Authentication error|Invalid access token|\[code: (10000|9109)\]/i;

function wranglerFailure(error, sql, remote) {
	const where = remote ? "--remote" : "--local";
	if (error.code === "ENOENT") return new CliError("could not start wrangler (npm ci first?)");
	if (error.code === "ETIMEDOUT" || error.signal === "SIGTERM")
		return new CliError(`wrangler d1 execute ${where} did not finish within 120 s`);
	const reason = wranglerReason(error.stdout, error.stderr);
	if (remote && reason && NO_CREDENTIALS.test(reason))
		return new CliError(`--remote ${NO_CREDENTIALS_MESSAGE}`);
	if (remote && reason && REFUSED_CREDENTIALS.test(reason))
		return new CliError(
			"Cloudflare refused the credentials (CLOUDFLARE_API_TOKEN or `wrangler login`) for wrangler d1 execute --remote",
		);
	if (remote && reason && UNREACHABLE.test(reason))
		return new CliError(
			`wrangler d1 execute --remote could not reach the Cloudflare API (${redact(reason, sql)}): check the network or proxy`,
		);
	const why = reason ? redact(reason, sql) : `exit status ${error.status ?? "unknown"}`;
	return new CliError(`wrangler d1 execute ${where} failed: ${why}`);
}

/** Wrangler's own error text: the `--json` error object on stdout, else the first [ERROR] line. */
export function wranglerReason(stdout, stderr) {
	try {
		const text = JSON.parse(String(stdout ?? "")).error?.text;
		if (typeof text === "string" && text) return text;
	} catch {
		// not JSON: look at stderr
	}
	const line = stripVTControlCharacters(String(stderr ?? ""))
		.split("\n")
		.find((l) => l.includes("[ERROR]"));
	return line?.replace(/^.*?\[ERROR\]\s*/, "");
}

/** One short line without the SQL or any of its string literals (sealed secrets are among them). */
function redact(text, sql) {
	let out = text.split(sql).join("<SQL>");
	for (const [literal] of sql.matchAll(/'(?:[^']|'')*'/g)) {
		const inner = literal.slice(1, -1);
		if (inner.length >= 4) out = out.split(inner).join("…");
	}
	out = out.replace(/\s+/g, " ").trim();
	return out.length > 200 ? `${out.slice(0, 200)}…` : out;
}

/**
 * SQL that stores a principal, its secret sealed under the deployment's box key
 * (the statement itself: ./principalRecord.ts).
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
	const sealedSecret = await sealSecret(await importBoxKey(boxKey), accessKeyId, secret);
	return principalInsertLiteral(
		{ accessKeyId, accountId, sealedSecret, operations, rateTier },
		{ replace },
	);
}
