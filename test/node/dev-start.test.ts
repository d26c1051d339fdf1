import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect, createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "./freePort";

// `npm start` (scripts/dev-start.mjs) as a developer meets it, on its own port and in its
// own state directory, so it never meets a developer's running `npm start` (8787).
// A free port chosen before any test runs (see freePort).
let PORT = 0;
beforeAll(async () => {
	PORT = await freePort();
});
const scratch = mkdtempSync(join(tmpdir(), "elm-dev-start-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
	return {
		...process.env,
		PORT: String(PORT),
		PERSIST_TO: join(scratch, "state"),
		WRANGLER_SEND_METRICS: "false",
		NO_COLOR: "1",
		...extra,
	};
}

function runToEnd(extra: NodeJS.ProcessEnv = {}) {
	const res = spawnSync("node", ["scripts/dev-start.mjs"], {
		encoding: "utf8",
		stdio: ["ignore", "pipe", "pipe"],
		env: env(extra),
		timeout: 120_000,
	});
	return { status: res.status, stdout: res.stdout, stderr: res.stderr };
}

async function waitFor(check: () => boolean | Promise<boolean>, ms: number): Promise<boolean> {
	const deadline = Date.now() + ms;
	while (Date.now() < deadline) {
		if (await check()) return true;
		await new Promise((r) => setTimeout(r, 100));
	}
	return check();
}

function portAnswers(port: number): Promise<boolean> {
	return new Promise((resolve) => {
		const socket = connect({ host: "127.0.0.1", port });
		socket.once("connect", () => {
			socket.destroy();
			resolve(true);
		});
		socket.once("error", () => resolve(false));
	});
}

/** Live (not zombie) processes below `root`, from /proc: wrangler, its node, workerd. */
function liveDescendants(root: number): number[] {
	const parent = new Map<number, number>();
	const live = new Set<number>();
	for (const entry of readdirSync("/proc")) {
		if (!/^\d+$/.test(entry)) continue;
		try {
			const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
			const [state, ppid] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
			parent.set(Number(entry), Number(ppid));
			if (state !== "Z" && state !== "X") live.add(Number(entry));
		} catch {
			// exited while listed
		}
	}
	const below = (pid: number): boolean => {
		for (let p = parent.get(pid); p !== undefined && p > 1; p = parent.get(p))
			if (p === root) return true;
		return false;
	};
	return [...live].filter(below);
}

function stillRunning(pids: number[]): number[] {
	return pids.filter((pid) => {
		try {
			const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
			const state = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0];
			return state !== "Z" && state !== "X";
		} catch {
			return false;
		}
	});
}

describe("npm start", () => {
	it("a port already taken is one line naming PORT, exit status 1, and never 'Ready'", async () => {
		const holder: Server = createServer();
		await new Promise<void>((resolve) => holder.listen(PORT, "127.0.0.1", resolve));
		try {
			const res = runToEnd();
			expect(res.status).toBe(1);
			expect(res.stdout).not.toContain("Ready");
			expect(res.stderr).toBe(
				`[start] error: port ${PORT} is already in use: stop what is listening there, or start on another port with PORT=<port> npm start\n`,
			);
		} finally {
			await new Promise((resolve) => holder.close(resolve));
		}
	}, 60_000);

	it("a PORT that is not a port number is one line", () => {
		const res = runToEnd({ PORT: "eighty" });
		expect(res.status).toBe(1);
		expect(res.stderr).toBe("[start] error: PORT=eighty is not a port number (1-65535)\n");
	}, 60_000);

	it("a wrangler failure is one line with wrangler's reason, no stack trace", () => {
		// A state "directory" below a regular file cannot be created.
		const file = join(scratch, "not-a-directory");
		writeFileSync(file, "");
		const res = runToEnd({ PERSIST_TO: join(file, "state") });
		expect(res.status).toBe(1);
		expect(res.stdout).not.toContain("Ready");
		expect(res.stderr).toMatch(
			/^\[start\] error: wrangler d1 migrations apply failed: \S[^\n]*\n$/,
		);
		expect(res.stderr).not.toMatch(/ {4}at /);
	}, 120_000);

	it("SIGTERM stops wrangler and workerd: the port is free and no process is left within seconds", async () => {
		let log = "";
		const child: ChildProcess = spawn("node", ["scripts/dev-start.mjs"], {
			env: env(),
			stdio: ["ignore", "pipe", "pipe"],
		});
		child.stdout?.on("data", (d: Buffer) => {
			log += d.toString();
		});
		child.stderr?.on("data", (d: Buffer) => {
			log += d.toString();
		});
		let exit: number | null | undefined;
		child.on("exit", (code) => {
			exit = code;
		});
		const pid = child.pid as number;
		try {
			const ready = await waitFor(() => exit !== undefined || log.includes("Ready."), 200_000);
			expect(ready && exit === undefined, log.slice(-3000)).toBe(true);
			expect(log).toMatch(/Demo license: arn:aws:license-manager::111122223333:license:l-/);
			expect(await portAnswers(PORT)).toBe(true);
			const started = liveDescendants(pid);
			// wrangler's node, its CLI process and workerd.
			expect(started.length).toBeGreaterThanOrEqual(2);

			const sent = Date.now();
			child.kill("SIGTERM");
			expect(await waitFor(() => exit !== undefined, 15_000)).toBe(true);
			expect(await waitFor(async () => !(await portAnswers(PORT)), 5_000)).toBe(true);
			expect(stillRunning(started)).toEqual([]);
			expect(Date.now() - sent).toBeLessThan(15_000);
			expect(exit).toBe(143);
		} finally {
			if (exit === undefined) child.kill("SIGKILL");
		}
	}, 240_000);
});

describe(".dev.vars", () => {
	it("is read with Node's dotenv parser: quoted values, comments and export work", () => {
		const path = join(scratch, "dev.vars");
		writeFileSync(
			path,
			[
				"# a comment",
				`SIGNING_KEYS='[{"kid":"k1","activeFrom":"2020-01-01T00:00:00Z"}]'`,
				'PRINCIPAL_SECRET_KEY="c2VjcmV0IHdpdGggc3BhY2Vz"  # trailing comment',
				"export ISSUER_ID=plain-value",
				"QUOTED_HASH='a # not a comment'",
			].join("\n"),
		);
		const res = spawnSync(
			"node",
			[
				"--input-type=module",
				"-e",
				"import { readDevVars } from './scripts/lib/devVars.mjs'; console.log(JSON.stringify(readDevVars(process.argv[1])));",
				path,
			],
			{ encoding: "utf8" },
		);
		expect(res.stderr).toBe("");
		expect(JSON.parse(res.stdout)).toEqual({
			SIGNING_KEYS: '[{"kid":"k1","activeFrom":"2020-01-01T00:00:00Z"}]',
			PRINCIPAL_SECRET_KEY: "c2VjcmV0IHdpdGggc3BhY2Vz",
			ISSUER_ID: "plain-value",
			QUOTED_HASH: "a # not a comment",
		});
	});
});
