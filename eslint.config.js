// Lint: @eslint/js recommended + typescript-eslint strictTypeChecked, zero warnings (`npm run check`).
import eslint from "@eslint/js";
import { defineConfig } from "eslint/config";
import tseslint from "typescript-eslint";

export default defineConfig(
  { ignores: ["node_modules/", "data/", "dist/", "coverage/", "scripts/**/*.py"] },
  eslint.configs.recommended,
  tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: "error" },
    rules: {
      // The bugs that matter most in a process- and socket-heavy server: a forgotten await loses errors,
      // an async callback where void is expected (EventEmitter, setTimeout) turns a throw into an
      // unhandled rejection, and a state machine switch must handle every state.
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/switch-exhaustiveness-check": [
        "error",
        { considerDefaultExhaustiveForUnions: false, requireDefaultForNonUnion: false },
      ],

      // Relaxed: log lines and URLs interpolate numbers (ports, ms, byte counts) all the time; strings of
      // other types (objects, errors, unions with undefined) still need an explicit conversion.
      "@typescript-eslint/restrict-template-expressions": ["error", { allowNumber: true }],
      // Relaxed: `(req, res) => res.end()` style arrow shorthands are idiomatic for express and ws handlers.
      "@typescript-eslint/no-confusing-void-expression": ["error", { ignoreArrowShorthand: true }],
      // Relaxed: `while (true)` read loops in the fMP4 box reader and the retry loops are deliberate.
      "@typescript-eslint/no-unnecessary-condition": ["error", { allowConstantLoopConditions: true }],
      // Relaxed: express error handlers need four parameters; `_`-prefixed names mark the unused ones.
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrorsIgnorePattern: "^_" },
      ],
    },
  },
  {
    // dependency-cruiser reads its rules as CommonJS.
    files: ["**/*.cjs"],
    languageOptions: { sourceType: "commonjs", globals: { module: "writable" } },
  },
  {
    // Tests: `expect(fake.method).toHaveBeenCalled()` passes methods unbound by design, and fixtures index
    // into arrays they just built, where `!` is clearer than a guard that can never fire.
    files: ["test/**/*.ts", "bench/**/*.ts"],
    rules: {
      "@typescript-eslint/unbound-method": "off",
      "@typescript-eslint/no-non-null-assertion": "off",
    },
  },
  {
    // Tests read JSON answers ad hoc (`r.body.error.code`); asserting on them is the type check. The gateway's
    // own code keeps every unsafe-any rule.
    files: ["test/**/*.ts"],
    rules: {
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-unsafe-call": "off",
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-argument": "off",
      "@typescript-eslint/no-explicit-any": "off",
    },
  },
  {
    // Plain JavaScript (this file, small scripts) is not part of the TypeScript program: no type-aware rules.
    files: ["**/*.js", "**/*.mjs", "**/*.cjs"],
    extends: [tseslint.configs.disableTypeChecked],
  },
);
