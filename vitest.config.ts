import { defineConfig } from "vitest/config";

// Integration and e2e tests start real ffmpeg, the GStreamer test camera and Chromium: long timeouts.
const slow = { testTimeout: 60_000, hookTimeout: 60_000, pool: "forks" } as const;

// Three tiers, each runnable alone (`vitest run --project unit`; npm run test:unit|test:integration|test:e2e).
// `sequence.groupOrder` runs the unit tier first, then the slow tiers together.
export default defineConfig({
  test: {
    reporters: ["default"],
    // Set here, not per project: the command line's --maxWorkers overrides the root's value, never a project's.
    maxWorkers: 2,
    projects: [
      {
        test: {
          name: "unit",
          include: ["test/unit/**/*.test.ts"],
          // Pure logic with fakes: a test that needs more than a few seconds is waiting for something real.
          testTimeout: 5_000,
          hookTimeout: 5_000,
          pool: "threads",
          setupFiles: ["test/setup/no-child-processes.ts"],
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts"],
          ...slow,
          sequence: { groupOrder: 1 },
        },
      },
      { test: { name: "e2e", include: ["test/e2e/**/*.test.ts"], ...slow, sequence: { groupOrder: 1 } } },
    ],
  },
});
