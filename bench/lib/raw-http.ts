import { connect, type Socket } from "node:net";

/** One response: status, the headers the load generators need, and the body (or only its length). */
export interface RawResponse {
  status: number;
  /** Set-Cookie and the like are not needed by the load generators; only these are kept. */
  contentLength: number;
  body: Buffer | undefined;
  /** When the last body byte arrived (performance.timeOrigin + performance.now(), ms). */
  at: number;
}

const crlf2 = Buffer.from("\r\n\r\n");

/** Wall-clock ms with sub-ms resolution, comparable between the bench's processes on one machine. */
export const nowMs = (): number => performance.timeOrigin + performance.now();

/**
 * A minimal HTTP/1.1 keep-alive client on one socket, one request at a time: the load generators' cost per
 * request has to stay far below the server's, and node:http's client (IncomingMessage, header objects,
 * stream machinery per response) costs about as much as the gateway's own handler. Only `Content-Length`
 * responses are understood; that is what both Pantau (express `send`) and nginx (static files) answer.
 */
export class RawHttpConnection {
  private socket: Socket | undefined;
  private connecting: Promise<Socket> | undefined;
  private pending:
    { resolve: (r: RawResponse) => void; reject: (e: Error) => void; keepBody: boolean } | undefined;
  private head: Buffer = Buffer.alloc(0);
  private headDone = false;
  private status = 0;
  private length = 0;
  private received = 0;
  private chunks: Buffer[] = [];
  private closeAfter = false;
  /** Connections opened, including reconnects after a server close. */
  connects = 0;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly extraHeaders = "",
  ) {}

  /** GET `path`; the body is kept only when `keepBody` (playlists), else only counted (media). */
  async get(path: string, keepBody: boolean): Promise<RawResponse> {
    if (this.pending) throw new Error("RawHttpConnection: one request at a time");
    const socket = this.socket ?? (await this.open());
    return new Promise<RawResponse>((resolve, reject) => {
      this.pending = { resolve, reject, keepBody };
      this.head = Buffer.alloc(0);
      this.headDone = false;
      this.chunks = [];
      this.received = 0;
      socket.write(
        `GET ${path} HTTP/1.1\r\nHost: ${this.host}:${String(this.port)}\r\n${this.extraHeaders}\r\n`,
        "latin1",
      );
    });
  }

  close(): void {
    this.socket?.destroy();
    this.socket = undefined;
  }

  private open(): Promise<Socket> {
    return (this.connecting ??= new Promise<Socket>((resolve, reject) => {
      const s = connect({ host: this.host, port: this.port, noDelay: true });
      const fail = (err: Error) => {
        this.connecting = undefined;
        reject(err);
      };
      s.once("error", fail);
      s.once("connect", () => {
        s.off("error", fail);
        this.connects++;
        this.socket = s;
        this.connecting = undefined;
        s.on("data", (d: Buffer) => {
          this.onData(d);
        });
        s.on("error", (err) => {
          this.fail(err);
        });
        s.on("close", () => {
          if (this.socket === s) this.socket = undefined;
          this.fail(new Error("connection closed"));
        });
        resolve(s);
      });
    }));
  }

  private fail(err: Error): void {
    const p = this.pending;
    this.pending = undefined;
    p?.reject(err);
  }

  private onData(d: Buffer): void {
    let data = d;
    if (!this.headDone) {
      this.head = this.head.length === 0 ? data : Buffer.concat([this.head, data]);
      const end = this.head.indexOf(crlf2);
      if (end < 0) return;
      const text = this.head.toString("latin1", 0, end);
      this.status = Number(text.slice(9, 12));
      const cl = /\r\ncontent-length:\s*(\d+)/i.exec(text);
      if (!cl) {
        this.socket?.destroy();
        this.fail(new Error(`response without Content-Length (status ${String(this.status)})`));
        return;
      }
      this.length = Number(cl[1]);
      this.closeAfter = /\r\nconnection:\s*close/i.test(text);
      this.headDone = true;
      data = this.head.subarray(end + 4);
    }
    this.received += data.length;
    if (this.pending?.keepBody === true && data.length > 0) this.chunks.push(data);
    if (this.received < this.length) return;
    if (this.received > this.length) {
      // Only one request is ever in flight, so extra bytes are a protocol error, not a pipelined response.
      this.socket?.destroy();
      this.fail(new Error("more bytes than Content-Length"));
      return;
    }
    const p = this.pending;
    this.pending = undefined;
    if (this.closeAfter) this.close();
    p?.resolve({
      status: this.status,
      contentLength: this.length,
      body: p.keepBody ? Buffer.concat(this.chunks) : undefined,
      at: nowMs(),
    });
  }
}
