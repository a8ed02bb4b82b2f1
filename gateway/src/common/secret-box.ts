import { createCipheriv, createDecipheriv, createHmac, randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

/**
 * Reads the gateway's secret from config or from a 0600 key file made on first start. Sub-keys for
 * separate purposes are derived with HMAC so a token key never doubles as an encryption key.
 */
export class SecretKeys {
  private constructor(private readonly master: Buffer) {}

  static fromConfig(secretKey: string | undefined, keyFile: string): SecretKeys {
    if (secretKey !== undefined) return new SecretKeys(Buffer.from(secretKey, "utf8"));
    if (!existsSync(keyFile)) {
      mkdirSync(dirname(keyFile), { recursive: true, mode: 0o700 });
      writeFileSync(keyFile, randomBytes(32).toString("hex") + "\n", { mode: 0o600, flag: "wx" });
    }
    chmodSync(keyFile, 0o600);
    return new SecretKeys(Buffer.from(readFileSync(keyFile, "utf8").trim(), "utf8"));
  }

  derive(purpose: string): Buffer {
    return createHmac("sha256", this.master).update(`pantau:${purpose}`).digest();
  }
}

/** AES-256-GCM for secrets at rest (camera passwords): `v1.<iv>.<tag>.<ciphertext>`, base64url. */
export class SecretBox {
  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new Error("SecretBox needs a 32-byte key");
  }

  seal(plain: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", this.key, iv);
    const data = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
    return ["v1", iv, cipher.getAuthTag(), data]
      .map((p) => (typeof p === "string" ? p : p.toString("base64url")))
      .join(".");
  }

  open(sealed: string): string {
    const [v, iv, tag, data] = sealed.split(".");
    if (v !== "v1" || iv === undefined || tag === undefined || data === undefined) {
      throw new Error("sealed secret has an unknown format");
    }
    const decipher = createDecipheriv("aes-256-gcm", this.key, Buffer.from(iv, "base64url"));
    decipher.setAuthTag(Buffer.from(tag, "base64url"));
    return Buffer.concat([decipher.update(Buffer.from(data, "base64url")), decipher.final()]).toString(
      "utf8",
    );
  }
}
