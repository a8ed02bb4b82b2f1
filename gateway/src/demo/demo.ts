import type { CameraRepository } from "../cameras/camera.repository.js";
import type { Camera } from "../cameras/camera.js";

/**
 * The demo (PANTAU_DEMO, default on for an empty database): a test-pattern camera with a running clock,
 * clearly labelled demo, so a fresh `npm start` has something to watch.
 */
export function ensureDemo(cameras: CameraRepository, setting: boolean | undefined): Camera | undefined {
  const existing = cameras.list().find((c) => c.demo);
  if (setting === false) return undefined;
  if (existing) return existing;
  if (setting === undefined && cameras.count() > 0) return undefined;
  return cameras.create(
    {
      name: "Demo — Kelas Contoh",
      source: { kind: "test-pattern" },
      audio: false,
      alwaysOn: false,
      enabled: true,
    },
    { demo: true },
  );
}
