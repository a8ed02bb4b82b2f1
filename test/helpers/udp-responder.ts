// A camera stand-in for the test network's self-test, run inside a camera namespace: joins the WS-Discovery
// group on --host, listens on port 3702 and answers every datagram (multicast or unicast) to its sender with
// {"name", "echo"}. Prints one JSON ready line; exits when stdin closes, so it cannot outlive its test.
//   node --import tsx test/helpers/udp-responder.ts --host 10.213.7.11 --name c1
import { createSocket } from "node:dgram";
import { parseArgs } from "node:util";

const GROUP = "239.255.255.250";
const PORT = 3702;

const { values } = parseArgs({ options: { host: { type: "string" }, name: { type: "string" } } });
const host = values.host;
const name = values.name ?? host;
if (!host) throw new Error("--host <ipv4> is required");

const socket = createSocket({ type: "udp4", reuseAddr: true });
socket.on("error", (err) => {
  process.stderr.write(`udp-responder ${String(name)}: ${err.message}\n`);
  process.exit(1);
});
socket.on("message", (msg, rinfo) => {
  socket.send(JSON.stringify({ name, echo: msg.toString("utf8") }), rinfo.port, rinfo.address);
});
// Bound to the wildcard address: a socket bound to the host's unicast address would not see the group's datagrams.
socket.bind(PORT, () => {
  socket.addMembership(GROUP, host);
  process.stdout.write(JSON.stringify({ ready: true, name, host, port: PORT }) + "\n");
});
process.stdin.on("close", () => process.exit(0)).resume();
