#!/usr/bin/env node
// edge-license-verify: check an edge-license-manager borrow token offline, and manage the
// deployment's signing keys. A thin shell over the compiled library in ../dist
// (Node 20 cannot import the TypeScript sources), so the CLI and apps that embed
// the library can never disagree about what "valid" means.
import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";

const USAGE = `Usage:
  edge-license-verify --jwks <file|url> --license-arn <arn> [options] <token|->
      Verify a SignedToken from CheckoutBorrowLicense ("-" reads it from stdin).
      --node-id <id>           require the token to be bound to this node
      --issuer <id>            require this issuer (the deployment's ISSUER_ID)
      --entitlement <name>     require this entitlement (repeatable)
      --now <ISO-8601>         verify as of this instant instead of the system clock
      --clock-tolerance <sec>  allowed clock skew (default 300)
      --revocations <file|url> the license's revocation list (GET /revocations/<license-id>):
                               a token listed on it is INVALID REVOKED; an expired list
                               is INVALID STALE_REVOCATION_LIST
      --allow-http-localhost   allow --jwks/--revocations http://localhost… (also
                               127.0.0.0/8, [::1]); otherwise a URL must be https://
      Prints "VALID" and the claims (exit 0) or "INVALID <CODE>: <why>" (exit 1).

  edge-license-verify keys generate [--kid <kid>] [--bits 2048|3072|4096] [--active-from <ISO>] [--json]
      Make a new PS384 signing key and print the config fragments to install it.

  edge-license-verify keys show --jwks <file|url> [--signing-keys <file|JSON>] [--now <ISO>]
                       [--allow-http-localhost]
      List the JWKS entries, whether a verifier can use them, and, given the
      SIGNING_KEYS var, where each is in its schedule. Exit 1 if no key is usable
      or private key material is published.

Exit status: 0 valid/ok, 1 invalid/problem found, 2 usage or setup error.`;

/**
 * Control characters a token or a JWKS could carry — C0 and C1 (ESC and CSI start
 * terminal sequences), DEL, line separators and bidi overrides — are printed as
 * \uXXXX escapes, never raw. Kept here rather than imported from the library: usage
 * errors are printed even when dist/ cannot be loaded. (The library's own
 * messages already escape these; this is the terminal's last line of defence.)
 */
const UNSAFE =
	// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
	/[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

function escapeControls(text) {
	return String(text).replace(UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** Writes text, keeping its line breaks and escaping every other control character. */
function print(stream, text) {
	stream.write(text.split("\n").map(escapeControls).join("\n"));
}

class UsageError extends Error {}
/** Verification could not be performed (unreadable JWKS, bad config): exit 2. */
class SetupError extends Error {}

async function loadLibrary() {
	try {
		return await import("../dist/index.js");
	} catch (cause) {
		throw new SetupError(
			`cannot load dist/index.js (${cause?.message ?? cause}); build it first: npm run build (npm run build:verify from the repository root)`,
		);
	}
}

function parse(args, options) {
	try {
		return parseArgs({
			args,
			options: { ...options, help: { type: "boolean", short: "h" } },
			allowPositionals: true,
		});
	} catch (cause) {
		throw new UsageError(cause.message);
	}
}

function isoArg(value, name) {
	if (value === undefined) return undefined;
	const ms = Date.parse(value);
	if (!Number.isFinite(ms))
		throw new UsageError(`${name} must be an ISO-8601 timestamp, got ${JSON.stringify(value)}`);
	return new Date(ms);
}

async function readSource(source, what) {
	try {
		return await readFile(source, "utf8");
	} catch (cause) {
		throw new SetupError(`cannot read ${what} from ${source}: ${cause.message}`);
	}
}

function parseJson(text, what) {
	try {
		return JSON.parse(text);
	} catch (cause) {
		throw new SetupError(`${what} is not JSON: ${cause.message}`);
	}
}

async function loadJwks(lib, source, allowHttpLocalhost) {
	if (source === undefined) throw new UsageError("--jwks <file|url> is required");
	if (/^https?:\/\//i.test(source)) {
		if (/^http:/i.test(source) && !allowHttpLocalhost) {
			throw new SetupError(
				`refusing to fetch the JWKS over plain http:// (${source}): anyone on the path could replace the keys. Use https://, or for a local server pass --allow-http-localhost (localhost, 127.0.0.0/8 and [::1] only)`,
			);
		}
		try {
			return await lib.fetchJwks(source, undefined, {
				allowInsecureLocalhost: Boolean(allowHttpLocalhost),
			});
		} catch (cause) {
			throw new SetupError(`cannot fetch JWKS from ${source}: ${cause.message}`);
		}
	}
	return parseJson(await readSource(source, "JWKS"), `JWKS file ${source}`);
}

/**
 * The revocation list, verified with the same keys and for the same license as the
 * token. Fetch and read failures are setup errors; a list that does not verify (or
 * has expired) is a BorrowTokenError, reported like a token's.
 */
async function loadRevocations(lib, source, allowHttpLocalhost, options) {
	if (/^https?:\/\//i.test(source)) {
		if (/^http:/i.test(source) && !allowHttpLocalhost) {
			throw new SetupError(
				`refusing to fetch the revocation list over plain http:// (${source}): anyone on the path could swap it. Use https://, or for a local server pass --allow-http-localhost (localhost, 127.0.0.0/8 and [::1] only)`,
			);
		}
		try {
			return await lib.fetchRevocationList(source, options, undefined, {
				allowInsecureLocalhost: Boolean(allowHttpLocalhost),
			});
		} catch (cause) {
			if (lib.isBorrowTokenError(cause)) throw cause;
			throw new SetupError(`cannot fetch the revocation list from ${source}: ${cause.message}`);
		}
	}
	return lib.verifyRevocationList(await readSource(source, "revocation list"), options);
}

async function readStdin() {
	const chunks = [];
	for await (const chunk of process.stdin) chunks.push(chunk);
	return Buffer.concat(chunks).toString("utf8");
}

async function verify(args) {
	const { values, positionals } = parse(args, {
		jwks: { type: "string" },
		"license-arn": { type: "string" },
		"node-id": { type: "string" },
		issuer: { type: "string" },
		entitlement: { type: "string", multiple: true },
		now: { type: "string" },
		"clock-tolerance": { type: "string" },
		revocations: { type: "string" },
		"allow-http-localhost": { type: "boolean" },
	});
	if (values.help) return help();
	if (positionals.length !== 1)
		throw new UsageError("expected exactly one token argument (or - for stdin)");
	if (!values["license-arn"]) throw new UsageError("--license-arn <arn> is required");
	const tolerance = values["clock-tolerance"];
	if (tolerance !== undefined && !(Number(tolerance) >= 0)) {
		throw new UsageError("--clock-tolerance must be a non-negative number of seconds");
	}
	const now = isoArg(values.now, "--now");
	const [tokenArg] = positionals;
	const token = (tokenArg === "-" ? await readStdin() : tokenArg).trim();

	const lib = await loadLibrary();
	const keys = await loadJwks(lib, values.jwks, values["allow-http-localhost"]);
	const clockToleranceSec = tolerance === undefined ? undefined : Number(tolerance);
	try {
		const revocationList =
			values.revocations === undefined
				? undefined
				: await loadRevocations(lib, values.revocations, values["allow-http-localhost"], {
						keys,
						licenseArn: values["license-arn"],
						issuer: values.issuer,
						now,
						clockToleranceSec,
					});
		const claims = await lib.verifyBorrowToken(token, {
			revocationList,
			keys,
			licenseArn: values["license-arn"],
			issuer: values.issuer,
			nodeId: values["node-id"],
			entitlements: values.entitlement ?? [],
			now,
			clockToleranceSec,
		});
		// JSON escapes C0 controls in strings but not C1 (U+0085, U+009B): print() does.
		print(process.stdout, `VALID\n${JSON.stringify(claims, null, 2)}\n`);
		return 0;
	} catch (error) {
		if (lib.isBorrowTokenError(error)) {
			// One line, whatever the message holds.
			print(process.stdout, `INVALID ${error.code}: ${escapeControls(error.message)}\n`);
			return 1;
		}
		if (error instanceof TypeError) throw new SetupError(error.message);
		throw error;
	}
}

async function keysGenerate(args) {
	const { values, positionals } = parse(args, {
		kid: { type: "string" },
		bits: { type: "string", default: "3072" },
		"active-from": { type: "string" },
		json: { type: "boolean" },
	});
	if (values.help) return help();
	if (positionals.length > 0) throw new UsageError(`unexpected argument ${positionals[0]}`);
	const lib = await loadLibrary();
	let key;
	try {
		key = await lib.generateSigningKey({
			kid: values.kid,
			bits: Number(values.bits),
			activeFrom: isoArg(values["active-from"], "--active-from"),
		});
	} catch (cause) {
		if (cause instanceof TypeError) throw new UsageError(cause.message);
		throw cause;
	}
	if (values.json) {
		print(process.stdout, `${JSON.stringify(key, null, 2)}\n`);
		return 0;
	}
	const bits = Number(values.bits);
	print(
		process.stdout,
		[
			`# New signing key ${key.kid} (RSA-${bits}, PS384)`,
			"#",
			"# 1. SECRET SIGNING_PRIVATE_KEYS (a JSON object): add this member next to the existing ones.",
			`${JSON.stringify(key.kid)}: ${JSON.stringify(key.privateJwk)}`,
			"#",
			"# 2. Var SIGNING_KEYS (a JSON array): append this entry.",
			JSON.stringify(key.signingKeysEntry),
			"#",
			"# 3. Public JWK, as GET /.well-known/jwks.json will publish it:",
			JSON.stringify(key.publicJwk),
			"#",
			"# Store the merged secret (paste it at the prompt; never commit it): npx wrangler secret put SIGNING_PRIVATE_KEYS",
			"",
		].join("\n"),
	);
	return 0;
}

/** Where a kid is in the SIGNING_KEYS schedule at `now`. */
function scheduleStatus(entry, now) {
	if (!entry) return "not in SIGNING_KEYS";
	const from = Date.parse(entry.activeFrom);
	const retired =
		entry.retiredAt === undefined ? Number.POSITIVE_INFINITY : Date.parse(entry.retiredAt);
	if (!Number.isFinite(from) || Number.isNaN(retired)) return "bad SIGNING_KEYS dates";
	if (now < from) return `pending until ${entry.activeFrom}`;
	if (now >= retired) return `retired at ${entry.retiredAt}`;
	return `active since ${entry.activeFrom}`;
}

async function loadSchedule(source) {
	if (source === undefined) return undefined;
	// The var's value pasted inline, or a file holding it.
	const text = source.trimStart().startsWith("[")
		? source
		: await readSource(source, "SIGNING_KEYS");
	const parsed = parseJson(text, "SIGNING_KEYS");
	if (!Array.isArray(parsed) || parsed.some((e) => typeof e?.kid !== "string")) {
		throw new SetupError('SIGNING_KEYS must be a JSON array of {"kid","activeFrom","retiredAt"?}');
	}
	return new Map(parsed.map((e) => [e.kid, e]));
}

async function keysShow(args) {
	const { values, positionals } = parse(args, {
		jwks: { type: "string" },
		"signing-keys": { type: "string" },
		now: { type: "string" },
		"allow-http-localhost": { type: "boolean" },
	});
	if (values.help) return help();
	if (positionals.length > 0) throw new UsageError(`unexpected argument ${positionals[0]}`);
	const now = (isoArg(values.now, "--now") ?? new Date()).getTime();
	const lib = await loadLibrary();
	const jwks = await loadJwks(lib, values.jwks, values["allow-http-localhost"]);
	const schedule = await loadSchedule(values["signing-keys"]);
	let report;
	try {
		report = lib.inspectJwks(jwks);
	} catch (cause) {
		throw new SetupError(cause.message);
	}

	const rows = report.map((k) => [
		k.kid ?? "(no kid)",
		k.usable ? "usable" : "unusable",
		[
			k.usable ? `RSA-${k.bits} ${lib.TOKEN_ALG}` : k.reason,
			schedule ? scheduleStatus(schedule.get(k.kid), now) : undefined,
			k.hasPrivateMembers ? "PRIVATE KEY MATERIAL PUBLISHED" : undefined,
		]
			.filter(Boolean)
			.join("; "),
	]);
	const published = new Set(report.map((k) => k.kid));
	for (const [kid, entry] of schedule ?? []) {
		if (!published.has(kid))
			rows.push([kid, "missing", `not in the JWKS; ${scheduleStatus(entry, now)}`]);
	}
	const width = Math.max(3, ...rows.map((r) => r[0].length));
	const lines = [["KID", "STATUS", "DETAILS"], ...rows].map(
		([kid, status, details]) => `${kid.padEnd(width)}  ${status.padEnd(9)}  ${details}`,
	);
	print(process.stdout, `${lines.join("\n")}\n`);
	const problem = !report.some((k) => k.usable) || report.some((k) => k.hasPrivateMembers);
	return problem ? 1 : 0;
}

function help() {
	print(process.stdout, `${USAGE}\n`);
	return 0;
}

async function main(argv) {
	const [first, second, ...rest] = argv;
	if (first === undefined) throw new UsageError("missing arguments");
	if (first === "help") return help();
	if (first === "keys") {
		if (second === "generate") return keysGenerate(rest);
		if (second === "show") return keysShow(rest);
		throw new UsageError(`unknown command: keys ${second ?? ""}`.trim());
	}
	return verify(argv);
}

try {
	process.exitCode = await main(process.argv.slice(2));
} catch (error) {
	if (error instanceof UsageError) {
		print(
			process.stderr,
			`edge-license-verify: ${escapeControls(error.message)}\n(see edge-license-verify --help)\n`,
		);
		process.exitCode = 2;
	} else if (error instanceof SetupError) {
		print(process.stderr, `edge-license-verify: ${escapeControls(error.message)}\n`);
		process.exitCode = 2;
	} else {
		print(process.stderr, `edge-license-verify: unexpected error: ${error?.stack ?? error}\n`);
		process.exitCode = 2;
	}
}
