#!/usr/bin/env node
// `npm start` (also `npm run dev`, the workers-sdk name): everything a newcomer needs,
// then `wrangler dev` on port 8787.
// 0. PORT checked free first: a port something else holds is one line naming PORT;
// 1. .dev.vars with a dev signing key and the principal secret-box key (generated once);
// 2. the local D1 migrated;
// 3. the two documented dev principals, in one `d1 execute` (re-sealed each run, so a
//    new box key still works);
// 4. the operator console built into the Worker's static assets (dist/assets);
// 5. wrangler dev, and once it answers, the demo license (CreateLicense is idempotent
//    on its ClientToken, so every run gets the same ARN back).
// PORT picks another port; PERSIST_TO another local state directory (D1, Durable
// Objects), so a second instance (the browser tests) never shares a developer's state.
// Ctrl-C (SIGINT) or SIGTERM stops wrangler and workerd: wrangler runs in its own
// process group, which is signalled whole and waited for.
// Every failure is one `[start] error:` line, never a stack trace.
import { execFileSync, spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { connect, createServer } from "node:net";
import { setTimeout as delay } from "node:timers/promises";
import { CreateLicenseCommand, LicenseManagerClient } from "@aws-sdk/client-license-manager";
import { buildConsole } from "./build-console.ts";
import { ensureDevVars } from "./lib/devVars.mjs";
import { d1, principalInsertSql, WRANGLER, wranglerReason } from "./lib/principals.mjs";

const PERSIST_TO = process.env.PERSIST_TO || undefined;
const persistArgs = PERSIST_TO ? ["--persist-to", PERSIST_TO] : [];

export const DEV_PRINCIPALS = [
	{
		accessKeyId: "AKIDLOCALDEV0000001",
		secret: "dev-secret-not-for-production",
		accountId: "111122223333",
	},
	{
		accessKeyId: "AKIDLOCALDEV0000002",
		secret: "dev-secret-2-not-for-production",
		accountId: "444455556666",
	},
];

const step = (text) => console.log(`\x1b[36m[start]\x1b[0m ${text}`);

/** A known failure: printed as one line, without a stack. */
class StartError extends Error {}

/** wrangler dev's process group, once started (its pid is the group id). */
let dev;
let stopping = false;

try {
	await main();
} catch (error) {
	const text = error instanceof Error ? error.message : String(error);
	console.error(`[start] error: ${text.split("\n")[0]}`);
	await stopDev();
	process.exit(1);
}

async function main() {
	const port = portFromEnv();
	const endpoint = `http://localhost:${port}`;
	await requirePortFree(port);

	const { vars, added } = ensureDevVars();
	step(added.length ? `created .dev.vars with ${added.join(" and ")}` : "reusing .dev.vars");

	step("applying D1 migrations to the local database");
	wrangler(["d1", "migrations", "apply", "DB", "--local", ...persistArgs], "d1 migrations apply");

	step("seeding the dev principals");
	const statements = await Promise.all(
		DEV_PRINCIPALS.map((p) =>
			principalInsertSql({
				accessKeyId: p.accessKeyId,
				accountId: p.accountId,
				secret: p.secret,
				operations: ["*"],
				rateTier: "bulk",
				boxKey: vars.PRINCIPAL_SECRET_KEY,
				replace: true,
			}),
		),
	);
	d1(statements.join("\n"), { persistTo: PERSIST_TO });

	step("building the operator console");
	await buildConsole();

	step(`starting wrangler dev on ${endpoint}`);
	for (const signal of ["SIGINT", "SIGTERM"])
		process.on(signal, () => stopDev().then(() => process.exit(signal === "SIGINT" ? 130 : 143)));
	// stdin is not passed on: a process group in the background that read the terminal
	// would be stopped (SIGTTIN); wrangler's hotkeys are off, Ctrl-C works as always.
	dev = spawn(process.execPath, [WRANGLER, "dev", "--port", String(port), ...persistArgs], {
		stdio: ["ignore", "inherit", "inherit"],
		detached: true,
	});
	const exited = new Promise((resolve) =>
		dev.on("exit", (code, signal) => resolve({ code, signal })),
	);
	exited.then(async ({ code, signal }) => {
		if (stopping) return;
		console.error(
			`[start] error: wrangler dev stopped (${signal ?? `exit status ${code}`}) on PORT=${port}`,
		);
		await stopDev();
		process.exit(code || 1);
	});
	// Last resort (an uncaught exit path): never leave workerd holding the port.
	process.on("exit", () => killGroup("SIGKILL"));

	await waitUntilUp(endpoint, exited);
	const demo = await createDemoLicense(endpoint);
	const [issuer] = DEV_PRINCIPALS;
	console.log(`
\x1b[32mReady.\x1b[0m Demo license: ${demo}

  export AWS_ACCESS_KEY_ID=${issuer.accessKeyId} AWS_SECRET_ACCESS_KEY=${issuer.secret} AWS_DEFAULT_REGION=us-east-1
  aws license-manager checkout-borrow-license --endpoint-url ${endpoint} \\
    --license-arn ${demo} \\
    --entitlements Name=Seats,Unit=Count,Value=1 --digital-signature-method JWT_PS384 \\
    --client-token demo$(date +%s)

Console: ${endpoint}/console/   (sign in with ${issuer.accessKeyId} / ${issuer.secret})
JWKS: ${endpoint}/.well-known/jwks.json   (Ctrl-C stops the server)
`);
}

function portFromEnv() {
	const raw = process.env.PORT ?? "8787";
	const port = Number(raw);
	if (!/^\d+$/.test(raw) || port < 1 || port > 65535)
		throw new StartError(`PORT=${raw} is not a port number (1-65535)`);
	return port;
}

/**
 * Before anything else: whether another process holds the port. Checked both ways —
 * something answering on localhost (IPv4 or IPv6), or the port not bindable — because
 * wrangler would otherwise fail late, or a server already there would answer the
 * readiness probe and make this script announce "Ready" for someone else's server.
 */
async function requirePortFree(port) {
	const taken = `port ${port} is already in use: stop what is listening there, or start on another port with PORT=<port> npm start`;
	for (const host of ["127.0.0.1", "::1"])
		if (await answers(host, port)) throw new StartError(taken);
	const bindable = await new Promise((resolve) => {
		const server = createServer();
		server.once("error", (error) => resolve(error.code === "EADDRNOTAVAIL"));
		server.listen({ port, host: "127.0.0.1", exclusive: true }, () =>
			server.close(() => resolve(true)),
		);
	});
	if (!bindable) throw new StartError(taken);
}

function answers(host, port) {
	return new Promise((resolve) => {
		const socket = connect({ host, port });
		socket.setTimeout(1000);
		socket.once("connect", () => {
			socket.destroy();
			resolve(true);
		});
		socket.once("timeout", () => {
			socket.destroy();
			resolve(false);
		});
		socket.once("error", () => resolve(false));
	});
}

/** Runs wrangler to completion; a failure is one line with wrangler's own reason. */
function wrangler(args, what) {
	try {
		execFileSync(process.execPath, [WRANGLER, ...args], {
			encoding: "utf8",
			stdio: ["ignore", "pipe", "pipe"],
			env: { WRANGLER_HIDE_BANNER: "true", ...process.env, CI: "true" },
			timeout: 120_000,
		});
	} catch (error) {
		const why = wranglerReason(error.stdout, error.stderr) ?? `exit status ${error.status}`;
		throw new StartError(`wrangler ${what} failed: ${why}`);
	}
}

/** Until wrangler dev answers, or it exits first (then that is the error, not "Ready"). */
async function waitUntilUp(endpoint, exited) {
	let gone = false;
	exited.then(() => {
		gone = true;
	});
	const deadline = Date.now() + 120_000;
	while (Date.now() < deadline && !gone) {
		try {
			if ((await fetch(`${endpoint}/.well-known/jwks.json`)).ok) return;
		} catch {
			// not listening yet
		}
		await delay(500);
	}
	if (gone) await new Promise(() => {}); // the exit handler reports and exits
	throw new StartError(`wrangler dev did not answer on ${endpoint} within 120 s`);
}

async function createDemoLicense(endpoint) {
	const [issuer] = DEV_PRINCIPALS;
	const client = new LicenseManagerClient({
		endpoint,
		region: "us-east-1",
		credentials: { accessKeyId: issuer.accessKeyId, secretAccessKey: issuer.secret },
	});
	try {
		const demo = await client.send(
			new CreateLicenseCommand({
				ClientToken: "edge-license-manager-demo-license-1",
				LicenseName: "Demo license",
				ProductName: "Demo Product",
				ProductSKU: "DEMO-SKU-1",
				Issuer: { Name: "Demo Issuer" },
				HomeRegion: "us-east-1",
				Validity: { Begin: "2024-01-01T00:00:00Z", End: "2099-12-31T00:00:00Z" },
				Beneficiary: "My Beneficiary",
				Entitlements: [
					{ Name: "Seats", Unit: "Count", MaxCount: 10 },
					{ Name: "Tier", Unit: "None", Value: "Pro" },
				],
				ConsumptionConfiguration: {
					RenewType: "None",
					BorrowConfiguration: { AllowEarlyCheckIn: true, MaxTimeToLiveInMinutes: 60 },
				},
			}),
		);
		return demo.LicenseArn;
	} catch (error) {
		const name = error instanceof Error ? error.name : "Error";
		const message = error instanceof Error ? error.message : String(error);
		throw new StartError(`creating the demo license failed: ${name}: ${message}`);
	}
}

function killGroup(signal) {
	if (!dev?.pid) return false;
	try {
		process.kill(-dev.pid, signal);
		return true;
	} catch {
		return false; // the group is gone
	}
}

/**
 * Whether any live process is left in wrangler's group. On Linux, /proc tells a zombie
 * (exited, not yet reaped: it holds no port and no file) from a running process; a
 * signal-0 probe would count zombies too, and where nothing reaps them (a container
 * whose init does not) the wait would never end.
 */
function groupAlive() {
	if (!dev?.pid) return false;
	if (process.platform !== "linux") return killGroup(0);
	for (const entry of readdirSync("/proc")) {
		if (!/^\d+$/.test(entry)) continue;
		let stat;
		try {
			stat = readFileSync(`/proc/${entry}/stat`, "utf8");
		} catch {
			continue; // exited while we looked
		}
		// pid (comm) state ppid pgrp …; comm may hold spaces and parentheses.
		const [state, , pgrp] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
		if (Number(pgrp) === dev.pid && state !== "Z" && state !== "X") return true;
	}
	return false;
}

/** SIGTERM to wrangler's whole group (wrangler, workerd), SIGKILL after 10 s; waits until it is gone. */
async function stopDev() {
	if (stopping || !dev?.pid) return;
	stopping = true;
	killGroup("SIGTERM");
	const deadline = Date.now() + 10_000;
	while (groupAlive()) {
		if (Date.now() > deadline) killGroup("SIGKILL");
		await delay(100);
	}
}
