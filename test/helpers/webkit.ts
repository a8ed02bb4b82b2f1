import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { exited, isRunning, killOnExit } from "./ready-process.js";

// A real WebKit engine for the tests and benchmarks (issue 12): Debian's webkit2gtk-driver (WebKitWebDriver)
// drives WebKitGTK's MiniBrowser under its own Xvfb display, over W3C WebDriver, with a small typed client
// over fetch. WebKitGTK 2.50's driver speaks classic WebDriver only (a session asking for `webSocketUrl`,
// i.e. BiDi and its script.addPreloadScript, is refused), so there is no "init script": a test that needs
// a script to run before the page's own ones serves the page through test/helpers/injecting-proxy.ts.
// The driver runs one session at a time: one WebKit per test file.

const miniBrowser = "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser";
const startTimeoutMs = 15_000;
const stopGraceMs = 3_000;

/** A WebDriver command the browser answered with an error (its W3C error code and message). */
export class WebDriverError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(`WebDriver ${code}: ${message}`);
    this.name = "WebDriverError";
  }
}

/** The W3C element reference key (WebDriver §12.1). */
const elementKey = "element-6066-11e4-a52e-4f735466cecf";

/** One MiniBrowser window under WebDriver: the commands the tests and benchmarks use, nothing more. */
export interface WebKitSession {
  readonly version: string;
  navigate(url: string): Promise<void>;
  currentUrl(): Promise<string>;
  /** Runs `body` as a function body (`return …`) in the page; `args` arrive as `arguments`. */
  execute<T>(body: string, args?: unknown[]): Promise<T>;
  /** Runs `body` with a callback as its last argument; resolves with what it is called with. */
  executeAsync<T>(body: string, args?: unknown[]): Promise<T>;
  /** The first element matching a CSS selector, clicked as a user would (scrolled into view). */
  click(css: string): Promise<void>;
  /** The window's PNG. */
  screenshot(): Promise<Buffer>;
}

export interface WebKit extends WebKitSession {
  /** Ends the session and stops the driver, the browser and the display. */
  close(): Promise<void>;
}

/** Fails loudly, naming the Debian package, when a part is missing: the WebKit tests must not skip. */
async function requireExecutable(path: string, pkg: string): Promise<void> {
  const { access, constants } = await import("node:fs/promises");
  try {
    await access(path, constants.X_OK);
  } catch {
    throw new Error(`${path} is missing: install Debian's ${pkg} (scripts/setup test does)`);
  }
}

function spawnOwned(command: string, args: string[], env?: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(command, args, {
    stdio: ["ignore", "pipe", "pipe"],
    env: env ?? process.env,
    detached: true,
  });
  killOnExit(child);
  return child;
}

/** SIGTERM to the process group (the driver's MiniBrowser and its web processes too), SIGKILL after grace. */
async function stopGroup(child: ChildProcess): Promise<void> {
  if (!isRunning(child) || child.pid === undefined) return;
  const pid = child.pid;
  const signal = (s: NodeJS.Signals) => {
    try {
      process.kill(-pid, s);
    } catch {
      // already gone
    }
  };
  signal("SIGTERM");
  const timer = setTimeout(() => signal("SIGKILL"), stopGraceMs);
  await exited(child);
  clearTimeout(timer);
  // The group may outlive its leader (the web process exits after the UI process).
  signal("SIGKILL");
}

/** Xvfb picks a free display itself and writes its number to the descriptor given by -displayfd. */
async function startXvfb(): Promise<{ display: string; child: ChildProcess }> {
  await requireExecutable("/usr/bin/Xvfb", "xvfb");
  const child = spawn(
    "/usr/bin/Xvfb",
    ["-displayfd", "3", "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
    {
      stdio: ["ignore", "ignore", "pipe", "pipe"],
      detached: true,
    },
  );
  killOnExit(child);
  const display = await new Promise<string>((resolve, reject) => {
    let out = "";
    let err = "";
    const timer = setTimeout(
      () => reject(new Error(`Xvfb: no display after ${String(startTimeoutMs)} ms: ${err}`)),
      startTimeoutMs,
    );
    child.stderr?.on("data", (b: Buffer) => (err = (err + b.toString()).slice(-2000)));
    (child.stdio[3] as NodeJS.ReadableStream).on("data", (b: Buffer) => {
      out += b.toString();
      if (out.includes("\n")) {
        clearTimeout(timer);
        resolve(`:${out.trim()}`);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`Xvfb exited with ${String(code)}: ${err}`));
    });
  });
  return { display, child };
}

/** A port that was free a moment ago (WebKitWebDriver takes no port 0). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => {
        if (addr !== null && typeof addr === "object") resolve(addr.port);
        else reject(new Error("no port"));
      });
    });
  });
}

interface W3cAnswer {
  value: unknown;
}

async function w3c(method: "GET" | "POST" | "DELETE", url: string, body?: unknown): Promise<unknown> {
  const res = await fetch(url, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json; charset=utf-8" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await res.json()) as W3cAnswer;
  const v = json.value as { error?: string; message?: string } | null;
  if (!res.ok || (v !== null && typeof v === "object" && typeof v.error === "string"))
    throw new WebDriverError(v?.error ?? String(res.status), v?.message ?? "");
  return json.value;
}

async function startDriver(display: string): Promise<{ base: string; child: ChildProcess }> {
  await requireExecutable("/usr/bin/WebKitWebDriver", "webkit2gtk-driver");
  await requireExecutable(miniBrowser, "webkit2gtk-driver (MiniBrowser)");
  let lastError = "";
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const child = spawnOwned("/usr/bin/WebKitWebDriver", [`--port=${String(port)}`, "--host=127.0.0.1"], {
      ...process.env,
      DISPLAY: display,
      // No accessibility bus under Xvfb: GTK would wait for it.
      NO_AT_BRIDGE: "1",
    });
    let stderr = "";
    child.stderr?.on("data", (b: Buffer) => (stderr = (stderr + b.toString()).slice(-2000)));
    child.stdout?.resume();
    const base = `http://127.0.0.1:${String(port)}`;
    const end = Date.now() + startTimeoutMs;
    while (isRunning(child) && Date.now() < end) {
      try {
        const status = (await w3c("GET", `${base}/status`)) as { ready?: boolean };
        if (status.ready === true) return { base, child };
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    lastError = stderr;
    await stopGroup(child);
  }
  throw new Error(`WebKitWebDriver did not start: ${lastError}`);
}

/** The W3C client of one session at `base` (/session/<id>). */
function sessionClient(base: string, version: string): WebKitSession {
  const cmd = (method: "GET" | "POST" | "DELETE", path: string, body?: unknown) =>
    w3c(method, `${base}${path}`, body);
  return {
    version,
    async navigate(url) {
      await cmd("POST", "/url", { url });
    },
    async currentUrl() {
      return (await cmd("GET", "/url")) as string;
    },
    async execute<T>(body: string, args: unknown[] = []) {
      return (await cmd("POST", "/execute/sync", { script: body, args })) as T;
    },
    async executeAsync<T>(body: string, args: unknown[] = []) {
      return (await cmd("POST", "/execute/async", { script: body, args })) as T;
    },
    async click(css) {
      const el = (await cmd("POST", "/element", { using: "css selector", value: css })) as Record<
        string,
        string
      >;
      const id = el[elementKey];
      if (id === undefined) throw new WebDriverError("no such element", css);
      await cmd("POST", `/element/${id}/click`, {});
    },
    async screenshot() {
      return Buffer.from((await cmd("GET", "/screenshot")) as string, "base64");
    },
  };
}

/** A server certificate WebKit accepts for one host (WebKitWebDriver's `certificates` browser option). */
export interface AllowedCertificate {
  /** The host as in the URL, without the port (e.g. "127.0.0.1"). */
  host: string;
  /** A PEM file of the exact leaf certificate the server presents (not its CA): only that one is accepted. */
  certificateFile: string;
}

/**
 * Starts Xvfb, WebKitWebDriver on a free loopback port and a MiniBrowser session (`--automation`), with
 * autoplay as the page asks for it (the player's video is muted, as on iPhones). `certificates` makes the
 * browser accept exactly those certificates for those hosts (a CA file there is not enough: tried). WebKitGTK
 * (GnuTLS) trusts only the system's store, with no setting for an extra CA, so a test's own TLS server is
 * trusted this way rather than by ignoring TLS errors (acceptInsecureCerts stays off; without the option the
 * page does not load).
 */
export async function launchWebKit(opts: { certificates?: AllowedCertificate[] } = {}): Promise<WebKit> {
  const x = await startXvfb();
  let driver: { base: string; child: ChildProcess } | undefined;
  try {
    driver = await startDriver(x.display);
    const created = (await w3c("POST", `${driver.base}/session`, {
      capabilities: {
        alwaysMatch: {
          "webkitgtk:browserOptions": {
            binary: miniBrowser,
            args: ["--automation"],
            ...(opts.certificates !== undefined && { certificates: opts.certificates }),
          },
          timeouts: { script: 30_000, pageLoad: 30_000 },
        },
      },
    })) as { sessionId: string; capabilities: { browserVersion?: string } };
    const sessionUrl = `${driver.base}/session/${created.sessionId}`;
    const client = sessionClient(sessionUrl, created.capabilities.browserVersion ?? "");
    const d = driver;
    let closing: Promise<void> | undefined;
    return {
      ...client,
      close: () =>
        (closing ??= (async () => {
          try {
            await w3c("DELETE", sessionUrl);
          } catch {
            // the browser may be gone already; the group kill below covers it
          }
          await stopGroup(d.child);
          await stopGroup(x.child);
        })()),
    };
  } catch (err) {
    if (driver) await stopGroup(driver.child);
    await stopGroup(x.child);
    throw err;
  }
}
