#!/usr/bin/env node
// `npm run setup:engines`: builds policyc's engines from Debian's Go sources.
//
// - policyc-opa.wasm  OPA's compiler (Rego -> Wasm) as a WASI command, run in-process by policyc
// - policyc-opa       the same program built natively: OPA's interpreter, the tests' oracle
// - policyc-cel.wasm  cel-go with Kubernetes' CEL environment and the API server's admission
//                     policy validator, as a WASI reactor policyc calls in-process
// - policyc-cel       the same code built natively, the oracle of the CEL bridge tests
//
// Idempotent: the result lives in a cache directory keyed by the hash of policyc's Go
// glue and package list (go/), and dist/go points at it. A second run does nothing.
// The Debian archive's address is read from this machine's own apt sources; only the
// suite is changed to sid. Nothing is installed system-wide: apt runs with a private
// sources list and state directory, and packages are unpacked with `dpkg -x`.
//
// The toolchain and sources (Debian's Go and the Go source packages) are kept in the cache too, so
// `go test` of the glue packages runs against them: in every build, and with --go-test (npm test).
//
// Options: --force (rebuild even if cached), --quiet, --go-test (run the glue's Go tests only).
import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const GO_DIR = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.dirname(GO_DIR);
const args = new Set(process.argv.slice(2));
const quiet = args.has("--quiet");
const log = (msg) => quiet || process.stderr.write(`setup:engines: ${msg}\n`);

/** The programs built, each for the targets listed. */
const PROGRAMS = [
  { dir: "opa", name: "policyc-opa", targets: ["native", "wasip1"] },
  // The CEL engine runs as a WASI reactor: Node calls its exported functions many times.
  { dir: "cel", name: "policyc-cel", targets: ["native", "wasip1"], reactor: true },
];

export function cacheRoot() {
  if (process.env.POLICYC_CACHE_DIR) return path.resolve(process.env.POLICYC_CACHE_DIR);
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache");
  return path.join(base, "policyc");
}

/** Bump when the build steps below change in a way that changes the engines. */
const BUILD_RECIPE = 3;

/** Hash of what determines the build: the Go glue, the package list, the recipe version. */
export function engineKey() {
  const hash = createHash("sha256").update(`recipe ${BUILD_RECIPE}\0`);
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile() && /\.(go|txt)$/.test(entry.name)) {
        hash.update(path.relative(GO_DIR, full)).update("\0").update(fs.readFileSync(full)).update("\0");
      }
    }
  };
  walk(GO_DIR);
  return hash.digest("hex").slice(0, 16);
}

function run(cmd, argv, options = {}) {
  return execFileSync(cmd, argv, { stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 << 20, ...options }).toString();
}

/** The machine's Debian archive URI and keyring, read from its own apt sources. */
function debianArchive() {
  const candidates = [];
  const dir = "/etc/apt/sources.list.d";
  if (fs.existsSync(dir)) {
    for (const file of fs.readdirSync(dir).sort()) {
      const text = fs.readFileSync(path.join(dir, file), "utf8");
      if (file.endsWith(".sources")) {
        for (const stanza of text.split(/\n\s*\n/)) {
          const field = (name) => stanza.match(new RegExp(`^${name}:\\s*(.+)$`, "mi"))?.[1].trim();
          const uris = field("URIs")?.split(/\s+/) ?? [];
          const types = field("Types") ?? "";
          if (!types.split(/\s+/).includes("deb")) continue;
          for (const uri of uris) candidates.push({ uri, keyring: field("Signed-By") });
        }
      } else if (file.endsWith(".list")) candidates.push(...listEntries(text));
    }
  }
  if (fs.existsSync("/etc/apt/sources.list")) candidates.push(...listEntries(fs.readFileSync("/etc/apt/sources.list", "utf8")));
  const main = candidates.find((c) => !/security|updates|backports/.test(c.uri));
  if (!main) throw new Error("no Debian archive found in this machine's apt sources (/etc/apt/sources.list.d, /etc/apt/sources.list)");
  return { uri: main.uri, keyring: main.keyring ?? "/usr/share/keyrings/debian-archive-keyring.gpg" };
}

function listEntries(text) {
  const out = [];
  for (const line of text.split("\n")) {
    const m = line.match(/^\s*deb\s+(?:\[([^\]]*)\]\s+)?(\S+)\s+\S+/);
    if (!m) continue;
    const keyring = m[1]?.match(/signed-by=(\S+)/)?.[1];
    out.push({ uri: m[2], keyring });
  }
  return out;
}

function packages() {
  return fs
    .readFileSync(path.join(GO_DIR, "packages.txt"), "utf8")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"));
}

function goArch() {
  return { x64: "amd64", arm64: "arm64", ia32: "386", arm: "arm", ppc64: "ppc64le", s390x: "s390x" }[process.arch] ?? process.arch;
}

/** Hash of what determines the toolchain: the package list, policyc's shim, the recipe version. */
function toolchainKey() {
  return createHash("sha256")
    .update(`recipe ${BUILD_RECIPE}\0`)
    .update(fs.readFileSync(path.join(GO_DIR, "packages.txt")))
    .update(fs.readFileSync(path.join(GO_DIR, "shim", "logrus_terminal_wasip1.go")))
    .digest("hex")
    .slice(0, 16);
}

/**
 * The Go toolchain and the Go sources of OPA, cel-go and Kubernetes, unpacked from Debian's
 * packages into the cache (kept: a changed glue file rebuilds without downloading, and `go test`
 * runs against the same sources). Returns its folder: `prefix/` (the unpacked packages) and
 * `versions.json` (each package's version).
 */
function ensureToolchain() {
  const root = path.join(cacheRoot(), "toolchain");
  const dir = path.join(root, toolchainKey());
  if (fs.existsSync(path.join(dir, "versions.json"))) return dir;
  fs.mkdirSync(root, { recursive: true });
  const work = path.join(root, `.build-${process.pid}`);
  fs.rmSync(work, { recursive: true, force: true });
  fs.mkdirSync(work);
  try {
    const apt = path.join(work, "apt");
    for (const d of ["lists/partial", "archives/partial", "cache"]) fs.mkdirSync(path.join(apt, d), { recursive: true });
    const { uri, keyring } = debianArchive();
    fs.writeFileSync(path.join(apt, "sources.list"), `deb [signed-by=${keyring}] ${uri} sid main\n`);
    const aptOptions = [
      `-oDir::Etc::SourceList=${path.join(apt, "sources.list")}`,
      "-oDir::Etc::SourceParts=/dev/null",
      `-oDir::State::Lists=${path.join(apt, "lists")}`,
      `-oDir::Cache=${path.join(apt, "cache")}`,
      `-oDir::Cache::Archives=${path.join(apt, "archives")}`,
      "-oAPT::Sandbox::User=root",
      "-oDebug::NoLocking=1",
      "-qq",
    ];
    log(`fetching the Debian sid package index`);
    run("apt-get", [...aptOptions, "update"]);
    const debs = path.join(work, "debs");
    fs.mkdirSync(debs);
    const wanted = packages();
    log(`downloading ${wanted.length} packages`);
    run("apt-get", [...aptOptions, "download", ...wanted], { cwd: debs });
    const prefix = path.join(work, "prefix");
    fs.mkdirSync(prefix);
    const versions = {};
    for (const file of fs.readdirSync(debs).sort()) {
      if (!file.endsWith(".deb")) continue;
      const deb = path.join(debs, file);
      const [name, version] = run("dpkg-deb", ["-f", deb, "Package", "Version"])
        .split("\n")
        .map((l) => l.replace(/^[^:]+:\s*/, ""));
      versions[name] = version;
      run("dpkg-deb", ["-x", deb, prefix]);
    }
    const missing = wanted.filter((p) => !versions[p]);
    if (missing.length) throw new Error(`packages not downloaded: ${missing.join(", ")}`);
    // policyc's own shim: logrus has no terminal check for wasip1.
    fs.copyFileSync(
      path.join(GO_DIR, "shim", "logrus_terminal_wasip1.go"),
      path.join(prefix, "usr/share/gocode/src/github.com/sirupsen/logrus/terminal_check_wasip1_policyc.go"),
    );
    fs.rmSync(apt, { recursive: true, force: true });
    fs.rmSync(debs, { recursive: true, force: true });
    fs.writeFileSync(path.join(work, "versions.json"), JSON.stringify(versions, null, 2) + "\n");
    // Older toolchains go: one is kept.
    for (const old of fs.readdirSync(root)) if (!old.startsWith(".")) fs.rmSync(path.join(root, old), { recursive: true, force: true });
    fs.renameSync(work, dir);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  return dir;
}

/**
 * The Go environment of a build or test, in GOPATH mode as Debian packages the sources: Debian's
 * GOPATH, and before it a GOPATH holding policyc's glue under the import path `policyc/` (a fresh
 * copy of go/cel and go/opa, at a fixed place so Go's caches recognise it).
 */
function goSetup(toolchain) {
  const prefix = path.join(toolchain, "prefix");
  const goroot = fs
    .readdirSync(path.join(prefix, "usr/lib"))
    .filter((d) => /^go-\d/.test(d))
    .map((d) => path.join(prefix, "usr/lib", d))[0];
  if (!goroot) throw new Error("the Go toolchain package did not unpack a GOROOT under usr/lib");
  const glue = path.join(cacheRoot(), "glue");
  fs.rmSync(glue, { recursive: true, force: true });
  for (const program of PROGRAMS)
    fs.cpSync(path.join(GO_DIR, program.dir), path.join(glue, "src", "policyc", program.dir), { recursive: true });
  const env = {
    ...process.env,
    GO111MODULE: "off",
    GOPATH: `${glue}${path.delimiter}${path.join(prefix, "usr/share/gocode")}`,
    GOROOT: goroot,
    GOTOOLCHAIN: "local",
    GOFLAGS: "-trimpath",
    CGO_ENABLED: "0",
    // Kept between builds: a changed glue file rebuilds in seconds, not minutes.
    GOCACHE: path.join(cacheRoot(), "gocache"),
    HOME: glue,
  };
  return { go: path.join(goroot, "bin/go"), env, prefix };
}

/** `go test` of policyc's Go glue packages, natively; throws with Go's output when a test fails. */
function goTest(setup) {
  const out = run(setup.go, ["test", "policyc/cel/..."], { env: { ...setup.env, GOOS: "linux", GOARCH: goArch() } });
  const lines = out.trim().split("\n");
  for (const l of lines) log(`go test: ${l}`);
  return lines.filter((l) => /^ok\s/.test(l)).length;
}

function build(entry) {
  const started = Date.now();
  const toolchain = ensureToolchain();
  const versions = JSON.parse(fs.readFileSync(path.join(toolchain, "versions.json"), "utf8"));
  const setup = goSetup(toolchain);
  const goVersion = run(setup.go, ["env", "GOVERSION"], { env: setup.env }).trim();
  const tested = goTest(setup);
  const outputs = {};
  for (const program of PROGRAMS) {
    for (const target of program.targets) {
      const wasm = target === "wasip1";
      const out = path.join(entry, program.name + (wasm ? ".wasm" : ""));
      const t0 = Date.now();
      log(`building ${path.basename(out)} with ${goVersion}`);
      const mode = wasm && program.reactor ? ["-buildmode=c-shared"] : [];
      run(setup.go, ["build", ...mode, "-ldflags=-s -w", "-o", out, `policyc/${program.dir}`], {
        env: { ...setup.env, GOOS: wasm ? "wasip1" : "linux", GOARCH: wasm ? "wasm" : goArch() },
      });
      outputs[path.basename(out)] = { seconds: Math.round((Date.now() - t0) / 100) / 10 };
    }
  }
  writeNotices(setup.prefix, versions, path.join(entry, NOTICES));
  return { goVersion, versions, goTestPackages: tested, outputs, seconds: Math.round((Date.now() - started) / 1000) };
}

const NOTICES = "THIRD_PARTY_NOTICES";

/**
 * THIRD_PARTY_NOTICES for what the engines are built from: the Go toolchain and runtime, OPA,
 * cel-go, the Kubernetes libraries and every dependency, each with its Debian copyright file
 * (authors and license texts), so the notices follow the packages when they change.
 */
function writeNotices(prefix, versions, file) {
  const parts = [
    "Third-party software in policyc's engines (policyc-opa.wasm, policyc-cel.wasm)",
    "",
    "The engines are compiled from the Go sources of the Debian packages listed below. Each",
    "section is that package's copyright file, as Debian ships it: the upstream authors, and the",
    "licenses under which their code is distributed. Generated by go/setup.mjs at build time.",
    "",
  ];
  for (const pkg of Object.keys(versions).sort()) {
    const copyright = path.join(prefix, "usr/share/doc", pkg, "copyright");
    parts.push("=".repeat(78), `${pkg} ${versions[pkg]}`, "=".repeat(78), "");
    parts.push(fs.existsSync(copyright) ? fs.readFileSync(copyright, "utf8").trimEnd() : "(this package ships no copyright file)", "");
  }
  fs.writeFileSync(file, parts.join("\n") + "\n");
}

/** The package root's copy of the engines' notices (what `npm pack` ships next to LICENSE). */
function copyNotices(entry) {
  const from = path.join(entry, NOTICES);
  if (fs.existsSync(from)) fs.copyFileSync(from, path.join(ROOT, NOTICES));
}

/** Points dist/go at the cache entry (a symlink; `prepack` replaces it with a copy). */
function link(entry) {
  const dist = path.join(ROOT, "dist");
  fs.mkdirSync(dist, { recursive: true });
  const target = path.join(dist, "go");
  fs.rmSync(target, { recursive: true, force: true });
  fs.symlinkSync(entry, target, "dir");
  copyNotices(entry);
}

function pack() {
  const target = path.join(ROOT, "dist", "go");
  const real = fs.realpathSync(target);
  copyNotices(real);
  if (real === target) return;
  fs.rmSync(target);
  fs.cpSync(real, target, { recursive: true });
}

function main() {
  if (args.has("--pack")) return pack();
  if (args.has("--go-test")) {
    const n = goTest(goSetup(ensureToolchain()));
    log(`go test: ${n} packages passed`);
    return;
  }
  const key = engineKey();
  const engines = path.join(cacheRoot(), "engines");
  const entry = path.join(engines, key);
  if (!args.has("--force") && fs.existsSync(path.join(entry, "manifest.json"))) {
    link(entry);
    log(`engines up to date (${entry})`);
    return;
  }
  fs.mkdirSync(engines, { recursive: true });
  const work = path.join(engines, ".build");
  fs.rmSync(work, { recursive: true, force: true });
  fs.mkdirSync(work);
  const staged = path.join(work, "out");
  fs.mkdirSync(staged);
  try {
    const manifest = { key, ...build(staged) };
    fs.writeFileSync(path.join(staged, "manifest.json"), JSON.stringify(manifest, null, 2) + "\n");
    fs.rmSync(entry, { recursive: true, force: true });
    fs.renameSync(staged, entry);
    log(`built in ${manifest.seconds} s: ${entry}`);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  link(entry);
}

try {
  main();
} catch (error) {
  const detail = [error.stdout, error.stderr]
    .map((x) => x?.toString().trim())
    .filter(Boolean)
    .map((x) => `\n${x}`)
    .join("");
  process.stderr.write(`setup:engines: failed: ${error.message}${detail}\n`);
  process.exit(1);
}
