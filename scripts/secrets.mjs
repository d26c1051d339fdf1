#!/usr/bin/env node
// npm run secrets -- --env production --out <new file> [--config wrangler.toml]
//
// Generates the Worker secrets of a NEW deployment into a private file, for
// `wrangler secret bulk <file> --env <env>` (docs/deploy.md): so they are never pasted at
// a prompt, never in shell history, and the file can be deleted once loaded.
//   SIGNING_PRIVATE_KEYS  one RSA-3072 PS384 key per kid of the environment's SIGNING_KEYS var
//   PRINCIPAL_SECRET_KEY  32 random bytes, base64 (seals principal secrets, derives id keys)
// The file is JSON (`{"NAME": "value"}`), created with mode 0600; an existing file is never
// overwritten. Nothing is sent anywhere. Loading it over a deployment that already has
// secrets replaces its keys: every principal would have to be created again.
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { dirname, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { CliError } from "./lib/principals.mjs";
import { DEFAULT_CONFIG, environmentConfig } from "./lib/wranglerConfig.mjs";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const USAGE =
	"usage: npm run secrets -- --env <name> --out <new file> [--config <wrangler config>]";

try {
	await main();
} catch (error) {
	// One line, never a stack, and never a value from the file.
	const message =
		error instanceof CliError
			? error.message
			: `${error instanceof Error ? error.name : "Error"}: ${String(error instanceof Error ? error.message : error).split("\n")[0]}`;
	console.error(`error: ${message}`);
	process.exit(1);
}

async function main() {
	let values;
	try {
		({ values } = parseArgs({
			options: {
				env: { type: "string" },
				out: { type: "string" },
				config: { type: "string", default: DEFAULT_CONFIG },
				help: { type: "boolean", short: "h" },
			},
		}));
	} catch (error) {
		throw new CliError(`${error.message.split("\n")[0]} (${USAGE})`);
	}
	if (values.help) {
		console.log(USAGE);
		return;
	}
	if (!values.env)
		throw new CliError(
			"--env is required: the wrangler.toml environment the secrets are for, e.g. --env production",
		);
	if (!values.out)
		throw new CliError(
			'--out is required: a new file in a private directory, e.g. --out "$(mktemp -d)/production.json"',
		);
	const out = resolve(values.out);
	const inRepo = relative(ROOT, out);
	if (!inRepo.startsWith("..") && !inRepo.startsWith("/"))
		throw new CliError(
			`--out ${values.out} is inside the repository, where it could be committed: write it to a private directory, e.g. "$(mktemp -d)/production.json"`,
		);

	const section = await environmentConfig(values.env, values.config);
	const schedule = signingSchedule(section.vars?.SIGNING_KEYS, values.env, values.config);
	const { generateSigningKey } = await verifierLibrary();

	const privateKeys = {};
	for (const entry of schedule) {
		const key = await generateSigningKey({
			kid: entry.kid,
			bits: 3072,
			activeFrom: new Date(entry.activeFrom),
		});
		privateKeys[entry.kid] = key.privateJwk;
	}
	const secrets = {
		SIGNING_PRIVATE_KEYS: JSON.stringify(privateKeys),
		PRINCIPAL_SECRET_KEY: randomBytes(32).toString("base64"),
	};
	try {
		// "wx": fail rather than overwrite; 0600: only this user may read it.
		writeFileSync(out, `${JSON.stringify(secrets, null, 2)}\n`, { flag: "wx", mode: 0o600 });
	} catch (error) {
		const why = error?.code === "EEXIST" ? "it already exists" : (error?.code ?? "write failed");
		throw new CliError(`cannot write ${values.out}: ${why}`);
	}

	const kids = schedule.map((e) => e.kid).join(", ");
	console.log(`Wrote SIGNING_PRIVATE_KEYS (${kids}) and PRINCIPAL_SECRET_KEY to ${out} (mode 0600).
Next:
  npx wrangler secret bulk ${shellQuote(out)} --env ${values.env}
Keep a copy in your secret store (rotating a key and creating principals need these
values; Worker secrets cannot be read back), then delete the file.`);
}

/** The environment's SIGNING_KEYS var: a JSON array of {kid, activeFrom, retiredAt?}. */
function signingSchedule(raw, env, config) {
	const fix = `set SIGNING_KEYS in [env.${env}.vars] of ${config}, e.g. SIGNING_KEYS = '[{"kid":"${env}-1","activeFrom":"2026-01-01T00:00:00Z"}]'`;
	if (typeof raw !== "string" || raw.trim() === "")
		throw new CliError(`[env.${env}.vars] has no SIGNING_KEYS: ${fix}`);
	let parsed;
	try {
		parsed = JSON.parse(raw);
	} catch {
		throw new CliError(`[env.${env}.vars] SIGNING_KEYS is not valid JSON: ${fix}`);
	}
	const valid =
		Array.isArray(parsed) &&
		parsed.length > 0 &&
		parsed.every(
			(e) =>
				typeof e?.kid === "string" &&
				/^[A-Za-z0-9._-]{1,64}$/.test(e.kid) &&
				typeof e.activeFrom === "string" &&
				!Number.isNaN(Date.parse(e.activeFrom)),
		);
	if (!valid)
		throw new CliError(
			`[env.${env}.vars] SIGNING_KEYS must be a non-empty JSON array of {"kid","activeFrom"} (kid: 1-64 of A-Z a-z 0-9 . _ -): ${fix}`,
		);
	const kids = parsed.map((e) => e.kid);
	const twice = kids.find((kid, i) => kids.indexOf(kid) !== i);
	if (twice) throw new CliError(`[env.${env}.vars] SIGNING_KEYS lists kid ${twice} twice`);
	return parsed;
}

/** The verifier package's key generator (packages/verify, built by npm ci). */
async function verifierLibrary() {
	try {
		return await import("edge-license-verifier");
	} catch {
		throw new CliError(
			"cannot load edge-license-verifier (packages/verify): run npm ci, or npm run build:verify",
		);
	}
}

function shellQuote(text) {
	return /^[\w./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}
