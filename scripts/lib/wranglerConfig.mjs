// The deploy scripts' checks of wrangler.toml, made before wrangler runs, each failing
// with one line that says what to fix. Wrangler's own parser reads the file, so these
// checks see exactly what wrangler will.
//
// Why check at all: given `--env <name>` that the file does not define, wrangler only
// warns and goes on with the top-level configuration — the local development one — so
// a typo would send a `--remote` command to the wrong database.
import { CliError } from "./principals.mjs";

export const DEFAULT_CONFIG = "wrangler.toml";

/** The development database's id at the top level of wrangler.toml: not a real database. */
const LOCAL_PLACEHOLDER_ID = "00000000-0000-4000-8000-000000000000";
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

async function readRaw(config) {
	// Loaded on demand (wrangler takes a second to import), and quietly: importing it
	// logs notices (e.g. "Proxy environment variables detected") that would break the
	// scripts' one-line failures. The wrangler commands they run afterwards log as usual.
	const level = process.env.WRANGLER_LOG;
	process.env.WRANGLER_LOG = "error";
	try {
		const { experimental_readRawConfig } = await import("wrangler");
		return experimental_readRawConfig({ config }).rawConfig;
	} catch (error) {
		const why = error instanceof Error ? error.message.split("\n")[0] : String(error);
		throw new CliError(`cannot read ${config}: ${why}`);
	} finally {
		if (level === undefined) delete process.env.WRANGLER_LOG;
		else process.env.WRANGLER_LOG = level;
	}
}

/**
 * The raw section commands with `--env <env>` use: `[env.<env>]`, or the top level when
 * `env` is undefined. Throws a CliError when the environment is not defined.
 */
export async function environmentConfig(env, config = DEFAULT_CONFIG) {
	const raw = await readRaw(config);
	if (env === undefined) return raw;
	const section = raw.env?.[env];
	if (!section) {
		const known = Object.keys(raw.env ?? {});
		const hint = known.length ? `; it defines ${known.map((e) => `--env ${e}`).join(", ")}` : "";
		throw new CliError(`${config} has no [env.${env}] section${hint}`);
	}
	return section;
}

/** `--env production` → "[env.production]"; the top level → "the top level". */
export function where(env) {
	return env === undefined ? "the top level" : `[env.${env}]`;
}

/**
 * For commands on the deployed D1 database: the environment's DB binding must name a
 * database created with `wrangler d1 create`, not a placeholder.
 */
export async function requireRemoteDatabase(env, config = DEFAULT_CONFIG) {
	const section = await environmentConfig(env, config);
	const db = (section.d1_databases ?? []).find((d) => d?.binding === "DB");
	if (!db) throw new CliError(`${config} has no D1 binding DB in ${where(env)}`);
	const id = String(db.database_id ?? "");
	if (env === undefined && id === LOCAL_PLACEHOLDER_ID)
		throw new CliError(
			`the top-level DB in ${config} is the local development database; for the deployed one add --env production (docs/deploy.md)`,
		);
	if (!UUID.test(id))
		throw new CliError(
			`${config} ${where(env)} has no database_id for DB yet: run \`npx wrangler d1 create ${db.database_name ?? "<name>"}\` and put the id it prints there (docs/deploy.md)`,
		);
	return db;
}
