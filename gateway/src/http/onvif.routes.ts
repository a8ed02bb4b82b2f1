import { z } from "zod";
import { BusyError, ConcurrencyLimit } from "../common/concurrency-limit.js";
import type { CameraService } from "../cameras/camera.service.js";
import { cameraHost, onvifPath } from "../cameras/camera.schema.js";
import { addressHttpError, onvifHttpError } from "../cameras/source-errors.js";
import type { Config } from "../config/config.schema.js";
import type { Logger } from "../log/logger.js";
import { AddressNotAllowedError, type NetworkGuard } from "../net/network-guard.js";
import { deviceUrlOf, type OnvifInspector } from "../onvif/onvif-inspector.js";
import { OnvifError } from "../onvif/onvif-error.js";
import { ScanTargetError, scanHosts } from "../net/scan-targets.js";
import { interfaceAddress, MulticastError, type WsDiscovery } from "../onvif/ws-discovery.js";
import type { User } from "../users/user.js";
import type { AdminAuth } from "./admin-auth.js";
import { ApiRouter } from "./api-router.js";
import { explainedError, forbidden, HttpError } from "../common/errors.js";

export const scanSchema = z
  .object({
    multicast: z.boolean().default(true).describe("Send a WS-Discovery Probe to 239.255.255.250"),
    interface: z
      .string()
      .regex(/^[A-Za-z0-9._:@-]{1,40}$/)
      .optional()
      .describe("Interface name or IPv4 address for the multicast probe; default from settings"),
    cidr: z.string().max(40).optional().describe("Also probe every address of this range by unicast (≤ /22)"),
    hosts: z
      .array(z.string().max(40))
      .max(1024)
      .optional()
      .describe("Also probe these IPv4 addresses by unicast"),
    timeoutMs: z.number().int().min(200).max(30_000).optional().describe("How long to wait for answers"),
  })
  .strict();

export const inspectSchema = z
  .object({
    host: cameraHost,
    port: z.number().int().min(1).max(65535).default(80),
    path: onvifPath,
    username: z.string().max(256).optional(),
    password: z.string().max(256).optional(),
  })
  .strict();

/** Discovery scans at once per gateway. */
const MAX_SCANS = 2;

const mayOnboard = (user: User) => user.role === "operator" || user.role === "school_admin";

/** `POST /api/discovery/scan` and `POST /api/onvif/inspect`: from "cameras on the LAN" to streams. */
export function onvifRoutes(
  discovery: WsDiscovery,
  inspector: OnvifInspector,
  cameras: CameraService,
  auth: AdminAuth,
  settings: Config["onvif"],
  network: NetworkGuard,
  log: Logger,
): ApiRouter {
  const api = new ApiRouter(auth);
  // Each scan holds sockets for seconds; more than two at once is a stuck button, refused rather than queued.
  const scans = new ConcurrencyLimit(MAX_SCANS, 0);

  api.post(
    "/api/discovery/scan",
    {
      summary: "Find ONVIF cameras: multicast WS-Discovery and/or unicast over a range",
      tag: "onvif",
      auth: "admin",
      body: scanSchema,
    },
    async (req, res, body) => {
      const caller = auth.caller(req);
      if (!mayOnboard(caller.user)) throw forbidden();
      let hosts: string[];
      try {
        hosts = scanHosts({ cidr: body.cidr, hosts: body.hosts }, network.checker());
      } catch (e) {
        if (e instanceof ScanTargetError && e.refused) throw addressHttpError(e.refused, e.field);
        if (e instanceof ScanTargetError) {
          throw new HttpError(400, "invalid_input", `${e.field}: ${e.message}`, e.field, {
            messages: { id: e.id, en: e.message },
          });
        }
        throw e;
      }
      if (!body.multicast && hosts.length === 0) {
        throw new HttpError(
          400,
          "invalid_input",
          "nothing to probe: turn multicast on or give cidr or hosts",
          "multicast",
        );
      }
      const wanted = body.interface ?? settings.interface;
      const iface = wanted === undefined ? undefined : interfaceAddress(wanted);
      if (wanted !== undefined && iface === undefined) {
        throw new HttpError(
          400,
          "invalid_input",
          `interface: this gateway has no IPv4 interface "${wanted}"`,
          "interface",
          {
            messages: {
              id: `Gateway ini tidak memiliki antarmuka IPv4 "${wanted}".`,
              en: `This gateway has no IPv4 interface "${wanted}".`,
            },
          },
        );
      }
      let report;
      try {
        report = await scans.run(() =>
          discovery.probe({
            multicast: body.multicast,
            interfaceAddress: iface,
            hosts,
            port: settings.discoveryPort,
            timeoutMs: body.timeoutMs ?? settings.scanSeconds * 1000,
          }),
        );
      } catch (e) {
        if (e instanceof BusyError) {
          throw explainedError(429, "scan_busy", {
            id: "Pemindaian lain sedang berjalan. Tunggu beberapa detik lalu coba lagi.",
            en: "Another scan is running. Wait a few seconds and try again.",
          });
        }
        log.warn({ err: e }, "discovery scan failed");
        if (e instanceof MulticastError) {
          throw explainedError(
            502,
            "multicast_unavailable",
            {
              id: "Gateway tidak dapat mengirim multicast di antarmuka ini. Pilih antarmuka jaringan sekolah, atau pindai rentang alamat (cidr).",
              en: "The gateway cannot send multicast on this interface. Choose the school network's interface, or scan an address range (cidr).",
            },
            { detail: e.message },
          );
        }
        throw explainedError(
          502,
          "scan_failed",
          {
            id: "Pemindaian jaringan gagal di gateway ini. Periksa antarmuka jaringan yang dipilih.",
            en: "The network scan failed on this gateway. Check the chosen network interface.",
          },
          { detail: (e as Error).message },
        );
      }
      const registrations = cameras.registrations(
        caller,
        report.devices.map((d) => d.uuid),
      );
      res.json({
        devices: report.devices.map((d, i) => ({ ...d, ...registrations[i] })),
        durationMs: report.durationMs,
        ignored: report.ignored,
        probed: { multicast: body.multicast, interface: iface ?? null, unicastHosts: hosts.length },
      });
    },
  );

  api.post(
    "/api/onvif/inspect",
    {
      summary: "Ask a camera over ONVIF for its identity, clock, profiles and stream URIs",
      tag: "onvif",
      auth: "admin",
      body: inspectSchema,
    },
    async (req, res, body) => {
      const caller = auth.caller(req);
      if (!mayOnboard(caller.user)) throw forbidden();
      try {
        const inspection = await inspector.inspect(deviceUrlOf(body.host, body.port, body.path), {
          username: body.username ?? "",
          password: body.password ?? "",
        });
        const [registration] = cameras.registrations(caller, [inspection.uuid]);
        res.json({ ...inspection, ...registration });
      } catch (e) {
        if (e instanceof OnvifError) log.info({ code: e.code, detail: e.detail }, "ONVIF inspect failed");
        if (e instanceof AddressNotAllowedError) log.info(`ONVIF inspect refused: ${e.detail}`);
        throw onvifHttpError(e);
      }
    },
  );
  return api;
}
