// Builds the operator console (console/) into the Worker's static assets (dist/assets):
// dist/assets/console/{index.html, app.js, app.css} and dist/assets/_headers.
// Run by `npm ci` (prepare), `npm start` and the test config; the output is git-ignored.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const ASSETS_DIR = join(ROOT, "dist/assets");

export async function buildConsole(): Promise<void> {
	const out = join(ASSETS_DIR, "console");
	// Written in place, never emptied first, and a file only when its bytes change: a
	// running `npm start` serves this directory and reloads on every write (the test
	// config builds it too, so `npm test` beside `npm start` must not touch it).
	await mkdir(out, { recursive: true });
	const built = await build({
		write: false,
		absWorkingDir: ROOT,
		entryPoints: { app: "console/src/main.tsx" },
		outdir: out,
		bundle: true,
		format: "esm",
		target: "es2022",
		platform: "browser",
		jsx: "automatic",
		jsxImportSource: "preact",
		minify: true,
		sourcemap: "linked",
		legalComments: "linked",
		logLevel: "warning",
	});
	for (const file of built.outputFiles) await writeIfChanged(file.path, file.contents);
	for (const file of ["index.html", "favicon.svg"]) {
		await writeIfChanged(join(out, file), await readFile(join(ROOT, "console/static", file)));
	}
	await writeIfChanged(
		join(ASSETS_DIR, "_headers"),
		await readFile(join(ROOT, "console/static/_headers")),
	);
}

async function writeIfChanged(path: string, bytes: Uint8Array): Promise<void> {
	const before = await readFile(path).catch(() => null);
	if (before?.equals(bytes)) return;
	await mkdir(dirname(path), { recursive: true });
	await writeFile(path, bytes);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
	await buildConsole();
	console.log(`console built into ${ASSETS_DIR}`);
}
