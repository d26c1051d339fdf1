// @ts-check
// Where workerd's resident memory is, from /proc/<pid>/smaps, and what Miniflare
// keeps on disk (or tmpfs) for the Durable Objects and D1: the two halves of the
// memory attribution in the soak (BENCHMARKS.md, Memory).
import { execFileSync } from "node:child_process";
import {
	closeSync,
	openSync,
	readdirSync,
	readFileSync,
	readlinkSync,
	readSync,
	statSync,
} from "node:fs";
import { join, relative, sep } from "node:path";
import { round } from "./common.mjs";

/**
 * @typedef {object} RssSplit resident MiB of the given processes, by what backs the pages
 * @property {number} rss everything (sum of the mappings' Rss)
 * @property {number} anon anonymous memory: V8 heaps, malloc (SQLite page caches, workerd's own state), stacks
 * @property {number} file file-backed, not shmem: the workerd binary, libraries, read-only data
 * @property {number} shmem shared memory and tmpfs-backed mappings (SQLite's WAL index `-shm` files when storage is on tmpfs, memfds)
 * @property {number} storageMapped of the above, mappings of files under Miniflare's storage directory
 * @property {number} storageMappings how many such mappings
 */

/**
 * RSS split by backing, read per mapping from /proc/<pid>/smaps (smaps_rollup has
 * the same totals but cannot say which mappings are Miniflare's storage files).
 * @param {number[]} pids
 * @param {string} [storagePath] Miniflare's storage directory, to count its mapped files apart
 * @returns {RssSplit}
 */
export function rssSplit(pids, storagePath) {
	let rss = 0;
	let anon = 0;
	let shmem = 0;
	let storageMapped = 0;
	let storageMappings = 0;
	for (const pid of pids) {
		const text = readFileSync(`/proc/${pid}/smaps`, "utf8");
		let path = "";
		let mappingRss = 0;
		const close = () => {
			if (storagePath && path.startsWith(storagePath) && mappingRss > 0) {
				storageMapped += mappingRss;
				storageMappings++;
			}
		};
		for (const line of text.split("\n")) {
			// A mapping's header: "start-end perms offset dev inode [path]".
			if (/^[0-9a-f]+-[0-9a-f]+ /.test(line)) {
				close();
				path = line.split(/\s+/).slice(5).join(" ");
				mappingRss = 0;
				continue;
			}
			const m = /^(\w+):\s+(\d+) kB/.exec(line);
			if (!m) continue;
			const kb = Number(m[2]);
			if (m[1] === "Rss") {
				rss += kb;
				mappingRss = kb;
			} else if (m[1] === "Anonymous") anon += kb;
		}
		close();
		// smaps has no per-mapping shmem field; the rollup's RssShmem (in status) is exact.
		const status = readFileSync(`/proc/${pid}/status`, "utf8");
		shmem += Number(/RssShmem:\s+(\d+) kB/.exec(status)?.[1] ?? 0);
	}
	const mib = (kb) => round(kb / 1024, 1);
	return {
		rss: mib(rss),
		anon: mib(anon),
		file: mib(rss - anon - shmem),
		shmem: mib(shmem),
		storageMapped: mib(storageMapped),
		storageMappings,
	};
}

/**
 * @typedef {object} StorageGroup
 * @property {number} files
 * @property {number} sqliteDatabases main database files (not -wal/-shm, not the namespace's metadata.sqlite)
 * @property {number} mib bytes of every file, MiB
 * @property {number} walMiB of which write-ahead logs and WAL indexes
 */

/**
 * What Miniflare has persisted, grouped by its top-level folders: `do/<worker>-<Class>/`
 * (one SQLite database per Durable Object), `d1/…` (D1 databases are objects of
 * Miniflare's D1 simulator), `ratelimit`, `cache`, ….
 * On tmpfs these bytes are the machine's memory (Shmem in /proc/meminfo), but not
 * workerd's RSS unless mapped: the `-shm` WAL indexes are, hence `storageMapped`.
 * @param {string | undefined} root
 * @returns {{ totalMiB: number, groups: Record<string, StorageGroup> } | null}
 */
export function storageUsage(root) {
	if (!root) return null;
	/** @type {Record<string, StorageGroup & { bytes: number, walBytes: number }>} */
	const acc = {};
	const walk = (dir) => {
		let entries;
		try {
			entries = readdirSync(dir, { withFileTypes: true });
		} catch {
			return; // removed meanwhile
		}
		for (const e of entries) {
			const full = join(dir, e.name);
			if (e.isDirectory()) {
				walk(full);
				continue;
			}
			let size = 0;
			try {
				size = statSync(full).size;
			} catch {
				continue;
			}
			const parts = relative(root, full).split(sep);
			// "do/product-LicenseObject/<id>.sqlite" → "do/product-LicenseObject".
			const group = parts.length > 2 ? `${parts[0]}/${parts[1]}` : parts[0];
			acc[group] ??= { files: 0, sqliteDatabases: 0, mib: 0, walMiB: 0, bytes: 0, walBytes: 0 };
			const g = acc[group];
			g.files++;
			g.bytes += size;
			if (/-(wal|shm)$/.test(e.name)) g.walBytes += size;
			// metadata.sqlite is the namespace's index of object ids, not an object.
			else if (/\.sqlite$/.test(e.name) && e.name !== "metadata.sqlite") g.sqliteDatabases++;
		}
	};
	walk(root);
	/** @type {Record<string, StorageGroup>} */
	const groups = {};
	let total = 0;
	for (const [name, g] of Object.entries(acc)) {
		total += g.bytes;
		groups[name] = {
			files: g.files,
			sqliteDatabases: g.sqliteDatabases,
			mib: round(g.bytes / 1048576, 1),
			walMiB: round(g.walBytes / 1048576, 1),
		};
	}
	return { totalMiB: round(total / 1048576, 1), groups };
}

/**
 * @typedef {object} SqliteHeap SQLite's own allocations in one process, as `sqlite3_status64` counts them
 * @property {number} usedMiB bytes SQLite holds now (SQLITE_STATUS_MEMORY_USED): page caches, schemas, statements, every open connection
 * @property {number} highwaterMiB the most it ever held at once
 * @property {number} pageCacheMiB of `usedMiB`, page cache pages (SQLITE_STATUS_PAGECACHE_OVERFLOW: no preallocated cache is configured, so every cached page counts here)
 * @property {number} allocations outstanding allocations (SQLITE_STATUS_MALLOC_COUNT)
 */

/** Where `sqlite3Stat` is in each workerd binary, once per binary (nm reads the symbol table). */
const statOffsets = new Map();

/**
 * SQLite's own memory in a workerd process, read from outside: workerd links SQLite
 * statically, and its status counters are one static array (`sqlite3Stat`: ten
 * current values, then ten high-water marks, 64-bit each). Its address comes from
 * the binary's symbol table (workerd ships unstripped) plus where the binary is
 * mapped; the 160 bytes are read from /proc/<pid>/mem (same permission as ptrace).
 * Calling `sqlite3_memory_used()` in the process would need a debugger's inferior
 * call, which gdb 13 cannot make on this machine's CPUs (AMX state). Null when the
 * symbol or the memory cannot be read.
 * @param {number} pid
 * @returns {SqliteHeap | null}
 */
export function sqliteHeap(pid) {
	try {
		const exe = readlinkSync(`/proc/${pid}/exe`);
		let offset = statOffsets.get(exe);
		if (offset === undefined) {
			const nm = execFileSync("nm", [exe], { encoding: "utf8", maxBuffer: 1 << 30 });
			const m = /^([0-9a-f]+) [bBdD] sqlite3Stat$/m.exec(nm);
			offset = m ? BigInt(`0x${m[1]}`) : null;
			statOffsets.set(exe, offset);
		}
		if (offset === null) return null;
		// The binary is position-independent: symbols are offsets from its first mapping.
		const first = readFileSync(`/proc/${pid}/maps`, "utf8")
			.split("\n")
			.find((l) => l.endsWith(exe) && l.split(/\s+/)[2] === "00000000");
		if (!first) return null;
		const base = BigInt(`0x${first.split("-")[0]}`);
		const buf = Buffer.alloc(160);
		const fd = openSync(`/proc/${pid}/mem`, "r");
		try {
			readSync(fd, buf, 0, buf.length, base + offset);
		} finally {
			closeSync(fd);
		}
		const now = (/** @type {number} */ i) => Number(buf.readBigInt64LE(i * 8));
		const max = (/** @type {number} */ i) => Number(buf.readBigInt64LE((10 + i) * 8));
		const mib = (/** @type {number} */ b) => round(b / 1048576, 1);
		// SQLITE_STATUS_MEMORY_USED 0, PAGECACHE_OVERFLOW 2, MALLOC_COUNT 9 (sqlite3.h).
		return {
			usedMiB: mib(now(0)),
			highwaterMiB: mib(max(0)),
			pageCacheMiB: mib(now(2)),
			allocations: now(9),
		};
	} catch {
		return null;
	}
}
