import { existsSync, readFileSync } from "node:fs";
import { z } from "zod";
import { parse as parseYaml } from "yaml";
import { configSchema, type Config } from "./config.schema.js";

/** A setting that failed validation; the message names the field and the source it came from. */
export class ConfigError extends Error {
  readonly code = "config_invalid";
}

type Leaf = "string" | "number" | "boolean" | "list";

/** `http.port` → `PANTAU_HTTP_PORT`: the contract deployment scripts rely on (design.md, start-up contract). */
export function envName(path: readonly string[]): string {
  return "PANTAU_" + path.map((p) => p.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase()).join("_");
}

function unwrap(schema: z.ZodType): z.ZodType {
  let s = schema;
  for (;;) {
    if (s instanceof z.ZodDefault || s instanceof z.ZodOptional || s instanceof z.ZodPrefault) {
      s = s.unwrap() as z.ZodType;
    } else {
      return s;
    }
  }
}

/** Every leaf setting with its path and the primitive an env string must be coerced to. */
export function settingLeaves(
  schema: z.ZodObject = configSchema,
  prefix: string[] = [],
): { path: string[]; kind: Leaf }[] {
  const out: { path: string[]; kind: Leaf }[] = [];
  for (const [key, child] of Object.entries(schema.shape)) {
    const inner = unwrap(child as z.ZodType);
    const path = [...prefix, key];
    if (inner instanceof z.ZodObject) out.push(...settingLeaves(inner, path));
    else if (inner instanceof z.ZodNumber) out.push({ path, kind: "number" });
    else if (inner instanceof z.ZodBoolean) out.push({ path, kind: "boolean" });
    else if (inner instanceof z.ZodArray) out.push({ path, kind: "list" });
    else out.push({ path, kind: "string" });
  }
  return out;
}

function coerce(raw: string, kind: Leaf, name: string): unknown {
  switch (kind) {
    case "string":
      return raw;
    case "list":
      // `PANTAU_ONVIF_REPROBE_RANGES="10.0.1.0/24, 10.0.2.0/24"`.
      return raw.split(/[\s,]+/).filter((v) => v !== "");
    case "number": {
      const n = Number(raw);
      if (raw.trim() === "" || !Number.isFinite(n))
        throw new ConfigError(`${name}: expected a number, got "${raw}"`);
      return n;
    }
    case "boolean": {
      const v = raw.trim().toLowerCase();
      if (["1", "true", "yes", "on"].includes(v)) return true;
      if (["0", "false", "no", "off"].includes(v)) return false;
      throw new ConfigError(`${name}: expected 1/0/true/false, got "${raw}"`);
    }
  }
}

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== "object" || next === null) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1] as string] = value;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/**
 * Settings that were renamed, old path → new path: a config file or variable written for an older gateway
 * keeps working (the new name wins where both are given).
 */
export const renamedSettings: readonly (readonly [readonly string[], readonly string[]])[] = [
  // Sign-in no longer locks an account; it slows one address (issue 9, item 7).
  [
    ["access", "loginMaxFailures"],
    ["access", "loginFailuresBeforeDelay"],
  ],
  [
    ["access", "lockoutMinutes"],
    ["access", "loginMaxDelayMinutes"],
  ],
];

function getPath(target: Record<string, unknown>, path: readonly string[]): unknown {
  let node: unknown = target;
  for (const key of path) {
    if (typeof node !== "object" || node === null) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

function moveRenamed(values: Record<string, unknown>): void {
  for (const [from, to] of renamedSettings) {
    const parent = getPath(values, from.slice(0, -1));
    const key = from[from.length - 1] as string;
    if (typeof parent !== "object" || parent === null || !(key in parent)) continue;
    const old = (parent as Record<string, unknown>)[key];
    Reflect.deleteProperty(parent, key);
    if (getPath(values, to) === undefined) setPath(values, to, old);
  }
}

/** Parses settings from a plain object (file contents) plus environment overrides into a frozen Config. */
export function parseConfig(fileValues: unknown, env: NodeJS.ProcessEnv = {}, source = "config"): Config {
  if (
    fileValues !== undefined &&
    fileValues !== null &&
    (typeof fileValues !== "object" || Array.isArray(fileValues))
  ) {
    throw new ConfigError(`${source}: expected a mapping of settings at the top level`);
  }
  const merged = structuredClone((fileValues ?? {}) as Record<string, unknown>);
  moveRenamed(merged);
  const oldNames = new Map(renamedSettings.map(([from, to]) => [envName(to), envName(from)]));
  for (const leaf of settingLeaves()) {
    const current = envName(leaf.path);
    const name = env[current] ? current : (oldNames.get(current) ?? current);
    const raw = env[name];
    if (raw !== undefined && raw !== "") setPath(merged, leaf.path, coerce(raw, leaf.kind, name));
  }
  const result = configSchema.safeParse(merged);
  if (!result.success) {
    const lines = result.error.issues.map((i) => {
      const path = i.path.map(String);
      // A list item's variable is the list's own (PANTAU_ONVIF_REPROBE_RANGES, not …_1).
      const setting = path.filter((p) => !/^\d+$/.test(p));
      return `  ${path.join(".") || "(root)"}${setting.length ? ` (${envName(setting)})` : ""}: ${i.message}`;
    });
    throw new ConfigError(`invalid settings in ${source}:\n${lines.join("\n")}`);
  }
  return deepFreeze(result.data);
}

/**
 * Loads `config/pantau.yml` (or `PANTAU_CONFIG`) when present, else the shipped defaults, then applies
 * `PANTAU_*` environment overrides.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, defaultPath = "config/pantau.yml"): Config {
  const path = env.PANTAU_CONFIG ?? defaultPath;
  let fileValues: unknown = {};
  if (existsSync(path)) {
    try {
      fileValues = parseYaml(readFileSync(path, "utf8"));
    } catch (err) {
      throw new ConfigError(`${path}: not valid YAML: ${(err as Error).message}`);
    }
  } else if (env.PANTAU_CONFIG !== undefined) {
    throw new ConfigError(`PANTAU_CONFIG points at ${path}, which does not exist`);
  }
  return parseConfig(fileValues, env, path);
}
