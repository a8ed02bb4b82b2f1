import { Writable } from "node:stream";
import { pino, type Logger } from "pino";

/** A logger writing into `lines`, for tests that read what a gateway logged. */
export function memoryLog(lines: string[]): Logger {
  return pino(
    { level: "debug" },
    new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    }),
  );
}
