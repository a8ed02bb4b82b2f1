import type { Camera, EdgeSource } from "../cameras/camera.js";
import type { Clock } from "../common/clock.js";
import type { ProbeOutcome } from "../health/health-monitor.js";
import type { Logger } from "../log/logger.js";
import type { RelayFeeds } from "../streaming/rendition-feed.js";
import type { EdgeDirectory } from "./edge-directory.js";
import { apiReplySchema, edgeStatusSchema, type ApiReply, type ApiRequest } from "./link-messages.js";
import { decodeJson, encodeJson, type LinkTransport } from "./link-transport.js";
import { RelayFeed, type RelayFeedOptions } from "./relay-feed.js";
import { edgeOfStatus, subjects } from "./subjects.js";

/**
 * The hub's side of the link: hears every edge's heartbeat (into the directory), makes the relayed feeds
 * of edges' cameras, forwards the console's calls to an edge, and answers the health monitor for edges'
 * cameras from what their edge last said. A parent's access decision never comes here: it is the hub's own.
 */
export class HubLink {
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly link: LinkTransport,
    private readonly directory: EdgeDirectory,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly relay: RelayFeedOptions,
  ) {}

  start(): void {
    this.unsubscribe = this.link.subscribe(subjects.allStatus, (m) => {
      const edgeId = edgeOfStatus(m.subject);
      let parsed: unknown;
      try {
        parsed = decodeJson(m.data);
      } catch {
        parsed = undefined;
      }
      const status = edgeStatusSchema.safeParse(parsed);
      if (edgeId === undefined || !status.success) {
        this.log.warn(`link: unreadable heartbeat on ${m.subject}: ignored`);
        return;
      }
      this.directory.status(edgeId, status.data);
    });
  }

  close(): void {
    this.unsubscribe?.();
  }

  readonly feeds: RelayFeeds = (camera, rendition, callbacks, log) =>
    new RelayFeed(
      this.link,
      camera.source.edgeId,
      camera.id,
      rendition,
      callbacks,
      this.clock,
      log,
      this.relay,
      () => this.directory.online(camera.source.edgeId),
      (listener) =>
        this.directory.onChange((edgeId, online) => {
          if (online && edgeId === camera.source.edgeId) listener();
        }),
    );

  /** One of the edge's own API calls (link-messages.ts forwardedApi), answered as the edge answered it. */
  async api(edgeId: string, req: ApiRequest, timeoutMs: number): Promise<ApiReply> {
    if (!this.directory.online(edgeId)) {
      return {
        status: 503,
        body: {
          error: {
            code: "edge_offline",
            message: "the school's edge gateway is not connected",
            messages: {
              id: "Gateway sekolah (edge) sedang tidak terhubung ke hub. Periksa listrik dan internet di sekolah.",
              en: "The school's edge gateway is not connected to the hub. Check power and internet at the school.",
            },
          },
        },
      };
    }
    try {
      const data = await this.link.request(subjects.ctl(edgeId, "api"), encodeJson(req), timeoutMs);
      const reply = apiReplySchema.safeParse(decodeJson(data));
      if (reply.success) return reply.data;
      this.log.warn(`[edge ${edgeId}] unreadable answer to ${req.method} ${req.path}`);
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, `[edge ${edgeId}] ${req.method} ${req.path} failed`);
    }
    return {
      status: 504,
      body: {
        error: {
          code: "edge_no_answer",
          message: "the school's edge gateway did not answer",
          messages: {
            id: "Gateway sekolah tidak menjawab. Coba lagi sebentar lagi.",
            en: "The school's edge gateway did not answer. Try again in a moment.",
          },
        },
      },
    };
  }

  /**
   * The health of an edge's camera, as its edge sees it: reachable while it says online or degraded.
   * undefined while the edge is offline or has not said (the monitor shows the camera as unknown then).
   */
  probe(camera: Camera & { source: EdgeSource }): ProbeOutcome | undefined {
    const said = this.directory.camera(camera.source.edgeId, camera.id);
    if (!said || said.state === "unknown" || said.state === "paused" || said.state === "disabled")
      return undefined;
    const ok = said.state === "online" || said.state === "degraded";
    return { ok, ms: 0, ...(!ok && { error: said.reason || "offline at the edge" }) };
  }
}
