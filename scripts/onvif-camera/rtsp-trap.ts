import { createServer, type Server, type Socket } from "node:net";
import type { Recorder } from "./recorder.js";

// A forger's RTSP port (--rtsp-trap-port): whatever connects is answered 401 with a Basic challenge, the
// cheapest way to make a client send the stream password, and every request is recorded. It serves no video.

const MAX_BUFFERED = 16 * 1024;

export class RtspTrap {
  private readonly server: Server;

  constructor(
    private readonly recorder: Recorder,
    private readonly log: (message: string) => void,
  ) {
    this.server = createServer((socket) => {
      this.onConnection(socket);
    });
  }

  listen(port: number, host: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(port, host, () => {
        this.server.off("error", reject);
        this.server.on("error", (err) => this.log(`rtsp trap: ${err.message}`));
        resolve();
      });
    });
  }

  close(): void {
    this.server.close();
  }

  private onConnection(socket: Socket): void {
    socket.on("error", () => undefined);
    let buffered = "";
    socket.setEncoding("latin1").on("data", (chunk: string) => {
      buffered += chunk;
      if (buffered.length > MAX_BUFFERED) {
        socket.destroy();
        return;
      }
      let end: number;
      while ((end = buffered.indexOf("\r\n\r\n")) >= 0) {
        const head = buffered.slice(0, end);
        buffered = buffered.slice(end + 4);
        this.answer(socket, head);
      }
    });
  }

  private answer(socket: Socket, head: string): void {
    const [requestLine = "", ...lines] = head.split("\r\n");
    const [method = "", url = ""] = requestLine.split(" ");
    const header = (name: string) =>
      lines
        .find((l) => l.toLowerCase().startsWith(`${name}:`))
        ?.slice(name.length + 1)
        .trim();
    const authorization = header("authorization") !== undefined;
    this.recorder.record({ kind: "rtsp", method, authorization, userinfo: /^rtsps?:\/\/[^/]*@/i.test(url) });
    this.log(`rtsp ${method}${authorization ? " with credentials" : ""} → 401`);
    const cseq = header("cseq") ?? "0";
    socket.write(
      `RTSP/1.0 401 Unauthorized\r\nCSeq: ${cseq}\r\nWWW-Authenticate: Basic realm="IP Camera"\r\nContent-Length: 0\r\n\r\n`,
    );
  }
}
