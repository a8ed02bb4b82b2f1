// hls.js ships no types for its light build (LL-HLS without subtitles, alternate audio or DRM, 118 kB gzipped
// against 185 kB): it is the same API, so it takes the full build's types.
declare module "hls.js/light" {
  export * from "hls.js";
  export { default } from "hls.js";
}
