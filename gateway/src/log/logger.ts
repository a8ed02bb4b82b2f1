import { pino, type Logger } from "pino";

export type { Logger };

/**
 * JSON logs on stderr (stdout carries the few human lines: "Pantau ready at …"). Secrets are redacted by
 * path here and, in URLs and ffmpeg argv, by ffmpeg/redact.ts before they reach a log call.
 */
export function createLogger(level: string, destination: NodeJS.WritableStream | number = 2): Logger {
  return pino(
    {
      level,
      base: undefined,
      redact: {
        paths: ["password", "*.password", "source.password", "secretKey", "*.secretKey", "token", "*.token"],
        censor: "[redacted]",
      },
    },
    typeof destination === "number" ? pino.destination({ fd: destination, sync: false }) : destination,
  );
}

/** A child logger whose messages start with a context prefix, e.g. `[cam kelas-1a/sub] `. */
export function contextLogger(parent: Logger, prefix: string): Logger {
  return parent.child({}, { msgPrefix: `[${prefix}] ` });
}
