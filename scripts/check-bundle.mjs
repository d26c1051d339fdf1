#!/usr/bin/env node
// npm run check:bundle [-- --env production] [--budget-kib 150]
//
// Builds the Worker exactly as `wrangler deploy --env <env>` would upload it, with
// --dry-run (nothing is sent, no credentials needed), and fails when the bundle's gzip
// size passes the budget. It runs in CI (.ci/run), so a dependency that bloats the
// Worker — and every cold start with it — is noticed in the change that adds it, and the
// production section of wrangler.toml is checked by wrangler on every change.
// The figure is computed as wrangler reports "Total Upload … gzip": every module of the
// bundle (source maps aside), concatenated and gzipped.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { parseArgs, stripVTControlCharacters } from "node:util";
import { gzipSync } from "node:zlib";
import { CliError } from "./lib/principals.mjs";
import { DEFAULT_CONFIG, environmentConfig } from "./lib/wranglerConfig.mjs";

const WRANGLER = join(
	dirname(createRequire(import.meta.url).resolve("wrangler/package.json")),
	"bin",
	"wrangler.js",
);
const KIB = 1024;
const MODULE = /\.(m?js|cjs|wasm|txt|bin|html|sql)$/;

try {
	process.exitCode = await main();
} catch (error) {
	const message =
		error instanceof CliError
			? error.message
			: String(error instanceof Error ? error.message : error).split("\n")[0];
	console.error(`error: ${message}`);
	process.exitCode = 1;
}

async function main() {
	let values;
	try {
		({ values } = parseArgs({
			options: {
				env: { type: "string", default: "production" },
				"budget-kib": { type: "string", default: "150" },
				config: { type: "string", default: DEFAULT_CONFIG },
			},
		}));
	} catch (error) {
		throw new CliError(error.message.split("\n")[0]);
	}
	const budgetKib = Number(values["budget-kib"]);
	if (!(budgetKib > 0)) throw new CliError("--budget-kib must be a positive number");
	await environmentConfig(values.env, values.config);

	const outdir = mkdtempSync(join(tmpdir(), "elm-bundle-"));
	try {
		dryRun(values.env, values.config, outdir);
		const modules = readdirSync(outdir, { recursive: true, withFileTypes: true })
			.filter((f) => f.isFile() && MODULE.test(f.name))
			.map((f) => readFileSync(join(f.parentPath, f.name)));
		if (modules.length === 0) throw new CliError(`wrangler wrote no modules to ${outdir}`);
		const raw = Buffer.concat(modules);
		const gzip = gzipSync(raw).byteLength;
		const figure = `Worker bundle (--env ${values.env}): ${kib(raw.byteLength)} KiB, gzip ${kib(gzip)} KiB (budget ${budgetKib} KiB)`;
		if (gzip > budgetKib * KIB) {
			console.error(`error: ${figure}: over budget by ${kib(gzip - budgetKib * KIB)} KiB`);
			return 1;
		}
		console.log(figure);
		return 0;
	} finally {
		rmSync(outdir, { recursive: true, force: true });
	}
}

function dryRun(env, config, outdir) {
	const args = ["deploy", "--dry-run", "--env", env, "--config", config, "--outdir", outdir];
	const r = spawnSync(process.execPath, [WRANGLER, ...args], {
		encoding: "utf8",
		stdio: ["ignore", "pipe", "pipe"],
		env: { WRANGLER_SEND_METRICS: "false", ...process.env, CI: "true" },
		timeout: 180_000,
	});
	if (r.error || r.status !== 0) {
		const line = stripVTControlCharacters(`${r.stderr ?? ""}\n${r.stdout ?? ""}`)
			.split("\n")
			.find((l) => l.includes("[ERROR]"));
		const why =
			line?.replace(/^.*?\[ERROR\]\s*/, "") ?? r.error?.message ?? `exit status ${r.status}`;
		throw new CliError(`wrangler ${args.slice(0, 4).join(" ")} failed: ${why}`);
	}
}

function kib(bytes) {
	return (bytes / KIB).toFixed(2);
}
