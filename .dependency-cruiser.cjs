// The layer order of the gateway (issue 10), checked by `npm run check` (depcruise). From the bottom:
//   base: common/, config/, log/, net/ — pure helpers, settings, logging, address rules;
//   storage and outside systems: db/, *.repository.ts, ffmpeg/, onvif/ clients;
//   services: *.service.ts — permissions, the unit of work, audit;
//   streaming: streaming/ — the packager, the rendition supervisor and the media servers (LL-HLS, WebSocket);
//   http: http/ — the API and pages: parse, call a service, answer;
//   main.ts — the composition root, imported by nobody.
// Each rule forbids an import from a lower layer to a higher one; type-only imports count too (a type from
// above is still knowledge of above), except where a rule says otherwise.
const src = "^gateway/src/";

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-cycles",
      severity: "error",
      comment: "An import cycle makes two modules one: neither can be read, tested or moved alone.",
      from: {},
      to: { circular: true },
    },
    {
      name: "base-at-the-bottom",
      severity: "error",
      comment:
        "common/, config/, log/ and net/ are used by everything and use nothing of the gateway above them.",
      from: { path: `${src}(common|config|log|net)/` },
      to: { path: src, pathNot: `${src}(common|config|log|net)/` },
    },
    {
      name: "storage-below-services",
      severity: "error",
      comment:
        "The database, repositories and ingest listeners (ingest/) store or receive; they do not decide, stream or answer requests.",
      from: { path: [`${src}db/`, `${src}ingest/`, "\\.repository\\.ts$"] },
      to: { path: ["\\.service\\.ts$", `${src}(streaming|http)/`, `${src}main\\.ts$`] },
    },
    {
      name: "services-below-streaming-and-http",
      severity: "error",
      comment:
        "A service checks permissions and commits through the unit of work; streams follow its changes through " +
        "the unit of work's listeners (main.ts), and it never sees express.",
      from: { path: "\\.service\\.ts$" },
      to: { path: [`${src}(streaming|http)/`, `${src}main\\.ts$`, "^node_modules/express/"] },
    },
    {
      name: "streaming-below-http",
      severity: "error",
      comment: "The packager and media servers do not know the API, its routes or the services behind them.",
      from: { path: `${src}(streaming|ffmpeg)/` },
      to: { path: [`${src}http/`, "\\.service\\.ts$", `${src}main\\.ts$`] },
    },
    {
      name: "routes-over-services",
      severity: "error",
      comment: "Routes parse, call a service and answer; reading and writing storage is the services' job.",
      from: { path: `${src}http/.+\\.routes\\.ts$` },
      to: { path: "\\.repository\\.ts$" },
    },
    {
      name: "main-is-the-root",
      severity: "error",
      comment:
        "Only tests and scripts start the gateway; nothing inside it reaches back to the composition root.",
      from: { path: src, pathNot: `${src}main\\.ts$` },
      to: { path: `${src}main\\.ts$` },
    },
    {
      name: "gateway-and-viewer-apart",
      severity: "error",
      comment:
        "The viewer is a browser bundle; the gateway builds it from source but shares no module with it.",
      from: { path: ["^gateway/", "^viewer/"] },
      to: { path: ["^test/", "^bench/"] },
    },
    {
      name: "viewer-is-a-browser-bundle",
      severity: "error",
      comment: "The viewer runs in a phone's browser: no gateway module and no Node built-in in its bundle.",
      from: { path: "^viewer/src/" },
      to: { path: ["^gateway/"], dependencyTypes: ["local", "core"] },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default"],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
