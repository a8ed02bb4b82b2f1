import { defineConfig } from "vitest/config";

// Two tiers in one run: unit tests are pure and fast; integration and e2e tests start real
// ffmpeg, the GStreamer test camera and Chromium, so they get longer timeouts and fewer workers.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    maxWorkers: 2,
    reporters: ["default"],
  },
});
