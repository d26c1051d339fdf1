import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

export interface DevServer {
	endpoint: string;
	demoLicenseArn: string;
	/** Everything `npm start` printed, for a failure message. */
	output: () => string;
	stop: () => Promise<void>;
}

function groupAlive(pid: number): boolean {
	try {
		process.kill(-pid, 0);
		return true;
	} catch {
		return false;
	}
}

async function waitFor(check: () => boolean, ms: number): Promise<boolean> {
	const deadline = Date.now() + ms;
	while (Date.now() < deadline) {
		if (check()) return true;
		await new Promise((r) => setTimeout(r, 100));
	}
	return check();
}

/**
 * Starts the Worker exactly as `npm start` does (scripts/dev-start.mjs: migrations,
 * dev principals, console build, wrangler dev, demo license) on its own port and in
 * its own state directory, so it never meets a developer's running `npm start`.
 * It runs in its own process group, so stop() ends npx, wrangler and workerd with it.
 */
export async function startDevServer(port: number): Promise<DevServer> {
	const stateDir = mkdtempSync(join(tmpdir(), "elm-console-state-"));
	let log = "";
	const child: ChildProcess = spawn(process.execPath, ["scripts/dev-start.mjs"], {
		cwd: ROOT,
		env: {
			...process.env,
			PORT: String(port),
			PERSIST_TO: stateDir,
			WRANGLER_SEND_METRICS: "false",
			NO_COLOR: "1",
		},
		detached: true,
		stdio: ["ignore", "pipe", "pipe"],
	});
	const pid = child.pid as number;
	child.stdout?.on("data", (d: Buffer) => {
		log += d.toString();
	});
	child.stderr?.on("data", (d: Buffer) => {
		log += d.toString();
	});
	let exited = false;
	child.on("exit", () => {
		exited = true;
	});

	const stop = async () => {
		if (groupAlive(pid)) process.kill(-pid, "SIGTERM");
		if (!(await waitFor(() => !groupAlive(pid), 15_000))) process.kill(-pid, "SIGKILL");
		const gone = await waitFor(() => !groupAlive(pid), 5_000);
		rmSync(stateDir, { recursive: true, force: true });
		// No workerd may outlive the tests: it would hold the port and the state directory.
		if (!gone) throw new Error(`processes of group ${pid} (wrangler dev) are still running`);
	};

	const ready = await waitFor(() => exited || /Demo license: arn:\S+/.test(log), 200_000);
	const arn = /Demo license: (arn:\S+)/.exec(log)?.[1];
	if (!ready || exited || !arn) {
		await stop();
		throw new Error(`npm start did not come up on port ${port}:\n${log.slice(-4000)}`);
	}
	return { endpoint: `http://localhost:${port}`, demoLicenseArn: arn, output: () => log, stop };
}
