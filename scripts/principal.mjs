#!/usr/bin/env node
// npm run principal -- create --account 123456789012 [--ops CheckoutBorrowLicense,CheckInLicense,GetUsageHistory | --ops '*'] [--bulk] [--remote] [--env <name>]
// npm run principal -- list [--remote] [--env <name>]
// npm run principal -- revoke --access-key AKIA... [--remote] [--env <name>]
//
// Local (default) uses .dev.vars' PRINCIPAL_SECRET_KEY and the local D1; --remote uses
// the PRINCIPAL_SECRET_KEY environment variable (the same value as the Worker secret)
// and the deployed D1 of the wrangler.toml environment --env names (--config: another
// wrangler config file). A new secret is printed once and stored only sealed.
import { parseArgs } from "node:util";
import { PRINCIPAL_OPERATIONS } from "../src/operations/names.ts";
import { requireCloudflareCredentials } from "./lib/credentials.mjs";
import { readDevVars } from "./lib/devVars.mjs";
import { CliError, d1, newAccessKeyId, newSecret, principalInsertSql } from "./lib/principals.mjs";
import { environmentConfig, requireRemoteDatabase } from "./lib/wranglerConfig.mjs";

// The Worker's own lists (src/operations/names.ts): AWS operations and the
// extension operations (SPEC §8) share one namespace of names.
const OPERATIONS = PRINCIPAL_OPERATIONS;

function usage(message) {
	if (message) console.error(message);
	console.error(
		"usage: npm run principal -- create --account <12 digits> [--ops a,b|*] [--bulk] [--remote] [--env <name>]\n" +
			"       npm run principal -- list [--remote] [--env <name>]\n" +
			"       npm run principal -- revoke --access-key <id> [--remote] [--env <name>]",
	);
	process.exit(2);
}

const { positionals, values } = parseOrUsage({
	allowPositionals: true,
	options: {
		account: { type: "string" },
		ops: { type: "string", default: "*" },
		bulk: { type: "boolean", default: false },
		remote: { type: "boolean", default: false },
		env: { type: "string" },
		config: { type: "string" },
		"access-key": { type: "string" },
		"persist-to": { type: "string" },
		"dev-vars": { type: "string", default: ".dev.vars" },
	},
});
/** An unknown or malformed option is a usage error, not a stack trace. */
function parseOrUsage(config) {
	try {
		return parseArgs(config);
	} catch (error) {
		return usage(error instanceof Error ? error.message : String(error));
	}
}

const remote = values.remote;
const target = {
	remote,
	persistTo: values["persist-to"],
	env: values.env,
	config: values.config,
};
const command = positionals[0];

try {
	await main();
} catch (error) {
	// One line, no stack: the SQL behind a failure can hold sealed secrets, and an
	// operator needs what failed, not where in this script.
	console.error(`error: ${error instanceof CliError ? error.message : oneLine(error)}`);
	process.exit(1);
}

function oneLine(error) {
	const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
	return text.split("\n")[0].slice(0, 200);
}

async function main() {
	if (!["create", "list", "revoke"].includes(command)) usage();
	// Before wrangler runs: an --env wrangler.toml lacks would fall back to the local config.
	if (remote) {
		await requireRemoteDatabase(values.env, values.config);
		requireCloudflareCredentials("--remote");
	} else if (values.env !== undefined) await environmentConfig(values.env, values.config);
	if (command === "create") await create();
	else if (command === "list") list();
	else if (command === "revoke") revoke();
	else usage();
}

async function create() {
	if (!/^\d{12}$/.test(values.account ?? "")) usage("--account must be a 12-digit account id");
	const operations = values.ops === "*" ? ["*"] : values.ops.split(",").map((s) => s.trim());
	const unknown = operations.filter((op) => op !== "*" && !OPERATIONS.includes(op));
	if (unknown.length > 0) usage(`unknown operation(s): ${unknown.join(", ")}`);
	const boxKey = remote
		? process.env.PRINCIPAL_SECRET_KEY
		: readDevVars(values["dev-vars"]).PRINCIPAL_SECRET_KEY;
	if (!boxKey)
		throw new CliError(
			remote
				? "--remote needs PRINCIPAL_SECRET_KEY in the environment: the value of the Worker secret (docs/deploy.md)"
				: `no PRINCIPAL_SECRET_KEY in ${values["dev-vars"]}: run npm start once to create it`,
		);
	const accessKeyId = newAccessKeyId();
	const secret = newSecret();
	d1(
		await principalInsertSql({
			accessKeyId,
			accountId: values.account,
			secret,
			operations,
			rateTier: values.bulk ? "bulk" : "standard",
			boxKey,
		}),
		target,
	);
	console.log(`Access key id:     ${accessKeyId}`);
	console.log(`Secret access key: ${secret}   (shown once; it is stored only encrypted)`);
	console.log(`Account:           ${values.account}`);
	console.log(`Operations:        ${operations.join(", ")}`);
}

function list() {
	const [result] = d1(
		"SELECT access_key_id, account_id, allowed_operations, rate_tier, status, created_at, revoked_at FROM principals ORDER BY created_at",
		target,
	);
	console.table(result?.results ?? []);
}

function revoke() {
	const id = values["access-key"] ?? "";
	if (!/^[A-Z0-9]{16,128}$/.test(id)) usage("--access-key must be an access key id");
	// One round trip: revoke if active (keeping the first revocation time otherwise),
	// then read the row back to tell "revoked now" from "already revoked" from "no such key".
	const [updated, current] = d1(
		`UPDATE principals SET status = 'REVOKED', revoked_at = '${new Date().toISOString()}' WHERE access_key_id = '${id}' AND status <> 'REVOKED' RETURNING access_key_id; ` +
			`SELECT status, revoked_at FROM principals WHERE access_key_id = '${id}'`,
		target,
	);
	const row = current?.results?.[0];
	if (!row) throw new CliError(`no principal with access key id ${id}; nothing was revoked`);
	if ((updated?.results ?? []).length === 0) {
		console.log(
			`${id} was already revoked (at ${row.revoked_at ?? "an unknown time"}); nothing changed.`,
		);
		return;
	}
	console.log(
		`Revoked ${id}. Workers stop accepting it within 60 seconds (their principal cache).`,
	);
}
