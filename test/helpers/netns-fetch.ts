// HTTP requests from inside a network namespace (`ip netns exec <ns> node --import tsx
// test/helpers/netns-fetch.ts`): a gateway listening on a namespace's own loopback is reachable only from
// there. Reads {base, login?, requests: [{method, path, body?}]} on stdin, signs in first when asked
// (keeping the session cookie), and prints [{status, body}] as one JSON line.

interface Input {
  base: string;
  login?: { username: string; password: string };
  requests: { method: string; path: string; body?: unknown }[];
}

const input = JSON.parse(
  await new Promise<string>((resolve) => {
    let text = "";
    process.stdin
      .setEncoding("utf8")
      .on("data", (t: string) => (text += t))
      .on("end", () => resolve(text));
  }),
) as Input;

let cookie = "";
async function call(
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: unknown }> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers["content-type"] = "application/json";
  if (cookie !== "") headers.cookie = cookie;
  const res = await fetch(input.base + path, {
    method,
    headers,
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const set = res.headers
    .getSetCookie()
    .map((c) => c.split(";")[0] ?? "")
    .filter((c) => c !== "" && !c.endsWith("="));
  if (set.length > 0) cookie = set.join("; ");
  const text = await res.text();
  try {
    return { status: res.status, body: JSON.parse(text) as unknown };
  } catch {
    return { status: res.status, body: text };
  }
}

if (input.login) {
  const r = await call("POST", "/api/auth/login", input.login);
  if (r.status !== 200) throw new Error(`sign-in failed: ${JSON.stringify(r)}`);
}
const out: { status: number; body: unknown }[] = [];
for (const r of input.requests) out.push(await call(r.method, r.path, r.body));
console.log(JSON.stringify(out));
