import { appendFileSync } from "node:fs";

// What reached the simulated camera, for tests that must prove a request never came (a forged camera must
// never be sent a credential). One JSON line per request, written before the request is answered, so a client
// holding the answer knows the line is on disk.

export type Received =
  | {
      readonly kind: "soap";
      readonly operation: string | undefined;
      /** A WS-Security header (UsernameToken digest) came with it. */
      readonly wsSecurity: boolean;
      /** An HTTP Authorization header (Digest or Basic) came with it. */
      readonly authorization: boolean;
    }
  | {
      readonly kind: "snapshot";
      /** The scheme of the request's Authorization header. */
      readonly authorization: "digest" | "basic" | "none" | "other";
    }
  | {
      readonly kind: "rtsp";
      readonly method: string;
      readonly authorization: boolean;
      /** The request URL carried user:password@. */
      readonly userinfo: boolean;
    };

export class Recorder {
  constructor(private readonly file: string | undefined) {}

  record(entry: Received): void {
    if (this.file !== undefined) appendFileSync(this.file, `${JSON.stringify(entry)}\n`);
  }
}
