import { spawn } from "node:child_process";
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stderrTail, stopChild, stopOnce, track } from "./cleanup.js";
import { sleep } from "./env.js";

export const nginxPath = "/usr/sbin/nginx";
/** nobody:nogroup on Debian: the user nginx runs as when the bench itself runs as root. */
const nobody = { uid: 65534, gid: 65534 };

export interface Nginx {
  url: string;
  port: number;
  /** PIDs of the master and its workers, for CPU and memory sampling. */
  pid: number;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve));
  const address = srv.address();
  const port = typeof address === "object" && address ? address.port : 0;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

/**
 * Debian's nginx-light serving `root` statically on 127.0.0.1, configured the way an integrator would serve
 * an HLS folder (sendfile, keep-alive, no access log), with its own prefix and temp paths in a temp folder
 * so it needs neither /etc/nginx nor /var/lib/nginx. As root it is started as nobody, so it never runs
 * privileged; `root` must then be readable by nobody.
 */
export async function startNginx(opts: { root: string; workers: number }): Promise<Nginx> {
  const prefix = mkdtempSync(join(tmpdir(), "pantau-bench-nginx-"));
  for (const d of ["tmp", "logs"]) mkdirSync(join(prefix, d));
  const asRoot = process.getuid?.() === 0;
  const port = await freePort();
  const conf = join(prefix, "nginx.conf");
  writeFileSync(
    conf,
    `daemon off;
master_process on;
worker_processes ${String(opts.workers)};
pid ${join(prefix, "nginx.pid")};
error_log stderr warn;
events { worker_connections 8192; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  tcp_nodelay on;
  keepalive_timeout 65;
  keepalive_requests 1000000;
  client_body_temp_path ${join(prefix, "tmp/body")};
  proxy_temp_path ${join(prefix, "tmp/proxy")};
  fastcgi_temp_path ${join(prefix, "tmp/fastcgi")};
  uwsgi_temp_path ${join(prefix, "tmp/uwsgi")};
  scgi_temp_path ${join(prefix, "tmp/scgi")};
  types {
    application/vnd.apple.mpegurl m3u8;
    video/mp4 mp4 m4s;
  }
  default_type application/octet-stream;
  server {
    listen 127.0.0.1:${String(port)};
    root ${opts.root};
    location ~ \\.m3u8$ { add_header Cache-Control no-cache; }
  }
}
`,
  );
  if (asRoot) {
    for (const p of [prefix, join(prefix, "tmp"), join(prefix, "logs"), conf])
      chownSync(p, nobody.uid, nobody.gid);
    chmodSync(opts.root, 0o755);
  }
  const child = track(
    spawn(nginxPath, ["-p", prefix, "-c", conf, "-e", "stderr"], {
      stdio: ["ignore", "ignore", "pipe"],
      ...(asRoot ? nobody : {}),
    }),
  );
  const stderr = stderrTail(child, 50);
  const stop = stopOnce("nginx", async () => {
    // SIGQUIT: graceful shutdown of master and workers (nginx docs, "Controlling nginx").
    await stopChild(child, "SIGQUIT", 5000);
    rmSync(prefix, { recursive: true, force: true });
  });
  const url = `http://127.0.0.1:${String(port)}`;
  // Ready when it answers.
  const end = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`nginx exited ${String(child.exitCode)}:\n${stderr.join("\n")}`);
    try {
      await fetch(`${url}/`);
      break;
    } catch {
      if (Date.now() > end) throw new Error(`nginx not answering after 10 s:\n${stderr.join("\n")}`);
      await sleep(100);
    }
  }
  return {
    url,
    port,
    pid: child.pid!,
    stop,
  };
}
