import { X509Certificate, createPrivateKey } from "node:crypto";
import { readFileSync, statSync } from "node:fs";

/** A certificate chain and its private key, read and checked to match. */
export interface TlsPair {
  cert: Buffer;
  key: Buffer;
  /** The leaf certificate's serial number (hex), for logs. */
  serial: string;
  /** When the leaf certificate expires (its notAfter, as printed by OpenSSL). */
  validTo: string;
}

/** A certificate or key file that cannot be used; the message names the setting. */
export class TlsFilesError extends Error {
  readonly code = "tls_files_invalid";
}

/** Setting names for the two files, so that errors name what the operator wrote. */
export interface TlsFileNames {
  certFile: string;
  keyFile: string;
}

const settings: TlsFileNames = { certFile: "http.tls.certFile", keyFile: "http.tls.keyFile" };

function read(path: string, setting: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new TlsFilesError(`${setting}: cannot read ${path} (${why})`);
  }
}

/**
 * Reads both files and checks them: a PEM certificate (chain; the first is the leaf), a PEM private key,
 * and the key is the certificate's. Throws TlsFilesError naming the setting at fault.
 */
export function loadTlsPair(files: TlsFileNames, names: TlsFileNames = settings): TlsPair {
  const cert = read(files.certFile, names.certFile);
  const key = read(files.keyFile, names.keyFile);
  let leaf: X509Certificate;
  try {
    if (!cert.toString("latin1").includes("-----BEGIN CERTIFICATE-----")) throw new Error("no PEM block");
    leaf = new X509Certificate(cert);
  } catch {
    throw new TlsFilesError(`${names.certFile}: ${files.certFile} is not a PEM certificate`);
  }
  let privateKey;
  try {
    privateKey = createPrivateKey(key);
  } catch {
    throw new TlsFilesError(`${names.keyFile}: ${files.keyFile} is not a PEM private key`);
  }
  if (!leaf.checkPrivateKey(privateKey)) {
    throw new TlsFilesError(
      `${names.keyFile}: the key in ${files.keyFile} does not match the certificate in ${files.certFile}`,
    );
  }
  return { cert, key, serial: leaf.serialNumber, validTo: leaf.validTo };
}

function fingerprint(path: string): string {
  try {
    // stat follows symlinks: certbot renews by pointing live/<domain>/*.pem at new files under archive/.
    const s = statSync(path);
    return `${String(s.ino)}:${String(s.size)}:${String(s.mtimeMs)}`;
  } catch {
    return "missing";
  }
}

/**
 * Polls both files (through symlinks) every `intervalMs` and calls `changed` once a change has stayed put for
 * one more look: certbot swaps the two symlinks one after the other, and a half-swapped pair is not news.
 * Polling rather than fs.watch: certbot replaces the symlinks in /etc/letsencrypt/live, and a watch on a
 * replaced file or a symlink's directory misses or double-reports such renames. Returns a stop.
 */
export function watchTlsFiles(files: TlsFileNames, intervalMs: number, changed: () => void): () => void {
  const look = () => `${fingerprint(files.certFile)}|${fingerprint(files.keyFile)}`;
  let used = look();
  let seen = used;
  const timer = setInterval(() => {
    const now = look();
    if (now !== seen) {
      seen = now;
      return;
    }
    if (now === used) return;
    used = now;
    changed();
  }, intervalMs);
  timer.unref();
  return () => {
    clearInterval(timer);
  };
}
