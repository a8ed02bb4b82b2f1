// The gateway side of the test network's self-test: sends one datagram from --interface to --to (the
// WS-Discovery group or a camera's address) on port 3702, and prints one JSON line with every answer that came
// back within --timeout-ms, or as soon as --expect answers did: {"answers":[{from, name, echo, afterMs}]}.
//   node --import tsx test/helpers/udp-probe.ts --interface 10.213.7.1 --to 239.255.255.250 --expect 3
import { randomUUID } from "node:crypto";
import { createSocket } from "node:dgram";
import { isIPv4 } from "node:net";
import { parseArgs } from "node:util";

const PORT = 3702;

const { values } = parseArgs({
  options: {
    interface: { type: "string" },
    to: { type: "string" },
    expect: { type: "string", default: "1" },
    "timeout-ms": { type: "string", default: "3000" },
  },
});
const iface = values.interface;
const to = values.to;
if (!iface || !isIPv4(iface) || !to || !isIPv4(to))
  throw new Error("--interface and --to take IPv4 addresses");
const expected = Number(values.expect);
const timeoutMs = Number(values["timeout-ms"]);
const multicast = Number(to.split(".")[0]) >= 224 && Number(to.split(".")[0]) <= 239;

interface Answer {
  from: string;
  name: unknown;
  echo: unknown;
  afterMs: number;
}

const nonce = randomUUID();
const answers: Answer[] = [];
const socket = createSocket("udp4");
let sentAt = 0;

const finish = () => {
  process.stdout.write(JSON.stringify({ nonce, answers }) + "\n");
  socket.close();
};
const timer = setTimeout(finish, timeoutMs);

socket.on("error", (err) => {
  process.stderr.write(`udp-probe: ${err.message}\n`);
  process.exit(1);
});
socket.on("message", (msg, rinfo) => {
  let body: { name?: unknown; echo?: unknown };
  try {
    body = JSON.parse(msg.toString("utf8")) as typeof body;
  } catch {
    body = { echo: msg.toString("utf8") };
  }
  answers.push({
    from: rinfo.address,
    name: body.name,
    echo: body.echo,
    afterMs: performance.now() - sentAt,
  });
  if (answers.length >= expected) {
    clearTimeout(timer);
    finish();
  }
});
// Bound to the gateway's address and told the multicast interface, as a prober on a multi-homed box must be.
socket.bind(0, iface, () => {
  if (multicast) socket.setMulticastInterface(iface);
  sentAt = performance.now();
  socket.send(nonce, PORT, to);
});
