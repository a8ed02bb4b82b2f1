import type { AccessState } from "../access/access-state.js";
import type { Alert } from "../alerts/alert.js";
import type { HealthMonitor, MonitorEvent } from "./health-monitor.js";

/** Where alerts go (the AlertDispatcher): takes one, returns at once, never throws. */
export interface AlertSink {
  raise(alert: Alert): void;
}

/**
 * Turns what the health monitor stores into alerts: a camera gone offline, its recovery (with how long it
 * was out), drift (replaced, firmware, resolution, rebooted) and flapping. While a camera flaps its
 * offline/recovery notices are held back (the flag is the one alert, as Nagios does); when the flag goes off
 * and the camera is still offline, that offline is told then. Degraded is the console's business, not a
 * page at night.
 */
export function alertOnHealth(monitor: HealthMonitor, access: AccessState, sink: AlertSink): void {
  /** When each camera's current outage began (for the recovery's duration). */
  const offlineSince = new Map<string, number>();

  const base = (e: MonitorEvent): Omit<Alert, "kind" | "reason"> | undefined => {
    if (e.schoolId === null) return undefined;
    const snap = access.snapshot();
    const school = snap.schools.get(e.schoolId);
    const camera = snap.cameras.get(e.cameraId);
    return {
      schoolId: e.schoolId,
      schoolName: school?.name ?? e.schoolId,
      cameraId: e.cameraId,
      cameraName: camera?.name ?? e.cameraId,
      at: e.at,
      ...(school ? { timeZone: school.timeZone } : {}),
    };
  };

  /** Cameras whose current outage was told (a recovery is news only to whoever heard of the outage). */
  const announced = new Set<string>();
  const offline = (b: Omit<Alert, "kind" | "reason">, cameraId: string, since: number, reason: string) => {
    announced.add(cameraId);
    sink.raise({ ...b, kind: "offline", since, reason });
  };

  monitor.onEvent((e) => {
    const b = base(e);
    if (b === undefined) return;
    const now = monitor.get(e.cameraId);
    const flapping = now?.flapping ?? false;
    switch (e.kind) {
      case "state":
        if (e.to === "offline") {
          offlineSince.set(e.cameraId, e.at);
          if (!flapping) offline(b, e.cameraId, e.at, e.reason);
        } else if (e.from === "offline") {
          const since = offlineSince.get(e.cameraId);
          offlineSince.delete(e.cameraId);
          // Paused or disabled while offline is no recovery: nothing was fixed; the outage stays told.
          if (announced.has(e.cameraId) && (e.to === "online" || e.to === "degraded")) {
            announced.delete(e.cameraId);
            sink.raise({
              ...b,
              kind: "recovery",
              reason: e.reason,
              ...(since === undefined ? {} : { since }),
            });
          }
        }
        return;
      case "flapping":
        if (e.on) sink.raise({ ...b, kind: "flapping", reason: "flapping" });
        else if (now?.state === "offline" && !announced.has(e.cameraId)) {
          offline(b, e.cameraId, offlineSince.get(e.cameraId) ?? e.at, now.reason);
        }
        return;
      case "drift":
        sink.raise({ ...b, kind: "drift", reason: e.drift.kind, detail: { ...e.drift } });
        return;
    }
  });
}
