import type { InitEntry } from "../live-stream.js";
import { SlowViewerPolicy } from "./slow-viewer-policy.js";

/** What a feed needs of its socket: a ws WebSocket, or a fake in unit tests. */
export interface FeedSocket {
  /** Bytes sent but not yet handed to the network (ws: the socket's queue plus the sender's). */
  readonly bufferedAmount: number;
  readonly open: boolean;
  send(data: Buffer | string): void;
  close(code: number, reason: string): void;
}

/** Close code and reason for a viewer that stayed too far behind. */
export const tooSlowClose = { code: 4408, reason: "too_slow" } as const;

/**
 * What one WebSocket viewer is sent: a JSON header `{type:"init", codecs, width, height, rendition}` and the
 * init segment, then fragments. Every fragment, the GOP cache sent on connect as much as a live one, passes
 * the slow-viewer policy: a socket already holding more than the queued-bytes limit skips to a keyframe
 * instead of being handed a whole GOP on top.
 */
export class ViewerFeed {
  private readonly policy: SlowViewerPolicy;

  constructor(
    private readonly socket: FeedSocket,
    private readonly rendition: string,
    o: { maxBufferedBytes: number; dropAfterSkips: number },
    /** Told the size of everything sent, for the viewing session's byte count. */
    private readonly served: (bytes: number) => void,
  ) {
    this.policy = new SlowViewerPolicy(o.maxBufferedBytes, o.dropAfterSkips);
  }

  init(init: Pick<InitEntry, "codecs" | "width" | "height" | "data">): void {
    const { codecs, width, height } = init;
    this.send(JSON.stringify({ type: "init", codecs, width, height, rendition: this.rendition }));
    this.send(init.data);
    this.policy.reset();
  }

  /** The GOP cache on connect: the init, then its fragments from the keyframe on, each held to the limit. */
  gop(gop: { init: InitEntry; data: readonly Buffer[] }): void {
    this.init(gop.init);
    gop.data.forEach((d, i) => {
      this.fragment(d, i === 0);
    });
  }

  fragment(data: Buffer, keyframe: boolean): void {
    switch (this.policy.decide(this.socket.bufferedAmount, keyframe)) {
      case "send":
        this.send(data);
        return;
      case "skip":
        return;
      case "drop":
        this.socket.close(tooSlowClose.code, tooSlowClose.reason);
        return;
    }
  }

  private send(data: Buffer | string): void {
    if (!this.socket.open) return;
    this.socket.send(data);
    this.served(data.length);
  }
}
