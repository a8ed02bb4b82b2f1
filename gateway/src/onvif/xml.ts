import { SaxesParser } from "saxes";

/** An element with its namespace prefixes removed: attributes under `@name`, text under `#text`. */
export type XmlNode = Record<string, unknown>;

/** XML that must not be trusted: too large, with a DTD, or not well-formed. */
export class XmlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "XmlError";
  }
}

interface Frame {
  attrs: [string, string][];
  children: Map<string, unknown[]>;
  text: string;
}

const local = (qname: string) => qname.slice(qname.indexOf(":") + 1);

/** An element as a value: its text alone when it has neither attributes nor children. */
function valueOf(f: Frame): unknown {
  const text = f.text.trim();
  if (f.attrs.length === 0 && f.children.size === 0) return text;
  const node: XmlNode = {};
  for (const [k, v] of f.attrs) node[`@${k}`] = v;
  for (const [k, list] of f.children) node[k] = list.length === 1 ? list[0] : list;
  if (text !== "") node["#text"] = text;
  return node;
}

/**
 * Parses a SOAP or WS-Discovery message from a device on the network with a strict (well-formedness
 * checking) parser, so a truncated reply fails instead of yielding half a tree. A DTD is refused: SOAP
 * forbids one (SOAP 1.2 part 1 §5), and it is how entity-expansion bombs arrive. Prefixes are dropped:
 * vendors pick different prefixes (tt:, onvif:, ns2:) for the same ONVIF names, which are unique anyway.
 */
export function parseXml(text: string, maxBytes: number): XmlNode {
  if (Buffer.byteLength(text) > maxBytes) throw new XmlError(`larger than ${maxBytes} bytes`);
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) throw new XmlError("contains a DTD, which SOAP forbids");
  const root: Frame = { attrs: [], children: new Map(), text: "" };
  const stack: Frame[] = [root];
  const parser = new SaxesParser({ position: true });
  parser.on("opentag", (tag) => {
    const attrs: [string, string][] = [];
    for (const [name, value] of Object.entries(tag.attributes)) {
      if (name !== "xmlns" && !name.startsWith("xmlns:")) attrs.push([local(name), String(value)]);
    }
    stack.push({ attrs, children: new Map(), text: "" });
  });
  parser.on("text", (t) => {
    const top = stack[stack.length - 1];
    if (top) top.text += t;
  });
  parser.on("cdata", (t) => {
    const top = stack[stack.length - 1];
    if (top) top.text += t;
  });
  parser.on("closetag", (tag) => {
    const f = stack.pop();
    const parent = stack[stack.length - 1];
    if (!f || !parent) return;
    const name = local(tag.name);
    const siblings = parent.children.get(name);
    if (siblings) siblings.push(valueOf(f));
    else parent.children.set(name, [valueOf(f)]);
  });
  try {
    parser.write(text).close();
  } catch (e) {
    throw new XmlError(`not well-formed XML (${(e as Error).message.split("\n")[0]})`);
  }
  return valueOf(root) as XmlNode;
}

const isNode = (v: unknown): v is XmlNode => typeof v === "object" && v !== null && !Array.isArray(v);

/** Every child element called `name` (repeated elements come as an array, a single one as a value). */
export function children(node: unknown, name: string): unknown[] {
  if (!isNode(node)) return [];
  const v = node[name];
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

/** The first child element called `name`, following a path of names. */
export function child(node: unknown, ...path: string[]): unknown {
  let at: unknown = node;
  for (const name of path) {
    at = children(at, name)[0];
    if (at === undefined) return undefined;
  }
  return at;
}

/** An element's text, whether it has attributes (`#text`) or not; undefined when absent or not text. */
export function text(node: unknown, ...path: string[]): string | undefined {
  const at = path.length === 0 ? node : child(node, ...path);
  if (typeof at === "string") return at;
  if (typeof at === "number" || typeof at === "boolean") return String(at);
  if (isNode(at)) {
    const t = at["#text"];
    if (typeof t === "string" || typeof t === "number") return String(t);
    // An element present but empty except for attributes.
    return "";
  }
  return undefined;
}

/** An attribute of an element. */
export function attr(node: unknown, name: string): string | undefined {
  if (!isNode(node)) return undefined;
  const v = node[`@${name}`];
  return typeof v === "string" ? v : undefined;
}

/** Escapes text for an XML element or attribute value. */
export function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
