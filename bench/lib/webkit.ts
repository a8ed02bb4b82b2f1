import { launchWebKit, type WebKit } from "../../test/helpers/webkit.js";
import { onCleanup } from "./cleanup.js";
import type { StatsPage } from "./page-stats.js";

/** WebKitGTK's MiniBrowser as the WebKit tests drive it (test/helpers/webkit.ts), closed by the bench's cleanup. */
export async function startWebKit(): Promise<WebKit> {
  const wk = await launchWebKit();
  onCleanup("webkit", () => wk.close());
  return wk;
}

/** The session as a page the stats are read from: an expression, evaluated as WebDriver's `return`. */
export const webkitStatsPage = (wk: WebKit): StatsPage => ({
  evaluate: <R>(expression: string) => wk.execute<R>(`return ${expression};`),
});
