import type { OnvifIdentity } from "../cameras/camera.js";
import type { Explanation } from "../common/explanation.js";

// Whether a camera follows its UUID to another host. A WS-Discovery answer is a claim anyone on the network
// can make, and following it sends the camera's credentials there (ffmpeg's RTSP login, ONVIF digests), so the
// gateway moves a camera on its own only when every sign says it is the same device; anything else waits for
// a school admin. Pure: the watcher (address-watcher.ts) does the probing and asking.

/** Why a sighting waits for a person. */
export type MoveReason =
  | "old_address_answers"
  | "several_addresses"
  | "outside_ranges"
  | "no_identity"
  | "identity_needs_auth"
  | "identity_unavailable"
  | "identity_mismatch";

/** What the new host said to an unauthenticated GetDeviceInformation. */
export type IdentityCheck =
  | { kind: "answered"; identity: OnvifIdentity }
  /** It wants credentials: the gateway gives none to a host it has not confirmed. */
  | { kind: "needs_auth" }
  | { kind: "failed"; detail: string };

export interface MoveSituation {
  /** The camera's last known address answered this round with the camera's UUID. */
  oldAnswers: boolean;
  /** Other hosts (not dismissed) that answered with the same UUID, besides the one decided on. */
  rivals: number;
  /** The new host lies inside onvif.reprobeRanges. */
  inRanges: boolean;
  /** A school admin dismissed this camera at this host before. */
  dismissed: boolean;
  /** Recorded at registration; null for cameras registered before identities were kept. */
  recorded: OnvifIdentity | null;
  /** The new host's answer, once asked (only asked when everything else allows a move). */
  seen?: IdentityCheck | undefined;
}

export type MoveDecision =
  | { kind: "ignore" }
  | { kind: "check_identity" }
  | { kind: "move" }
  | { kind: "pending"; reason: MoveReason };

/** A camera that gives no serial number has no identity a re-probe could check. */
export function identityOf(d: { serialNumber: string; hardwareId: string }): OnvifIdentity | null {
  const serialNumber = d.serialNumber.trim();
  return serialNumber === "" ? null : { serialNumber, hardwareId: d.hardwareId.trim() };
}

const pending = (reason: MoveReason): MoveDecision => ({ kind: "pending", reason });

export function decideMove(s: MoveSituation): MoveDecision {
  if (s.dismissed) return { kind: "ignore" };
  // Never while the camera still answers where it is: two answers for one UUID, one of them is not the camera.
  if (s.oldAnswers) return pending("old_address_answers");
  if (s.rivals > 0) return pending("several_addresses");
  if (!s.inRanges) return pending("outside_ranges");
  if (s.recorded === null) return pending("no_identity");
  if (s.seen === undefined) return { kind: "check_identity" };
  switch (s.seen.kind) {
    case "needs_auth":
      return pending("identity_needs_auth");
    case "failed":
      return pending("identity_unavailable");
    case "answered": {
      const same =
        s.seen.identity.serialNumber === s.recorded.serialNumber &&
        s.seen.identity.hardwareId === s.recorded.hardwareId;
      return same ? { kind: "move" } : pending("identity_mismatch");
    }
  }
}

/** What a pending item tells the school admin, in both languages. */
export const moveReasonText: Readonly<Record<MoveReason, Explanation>> = {
  old_address_answers: {
    id: "Kamera masih menjawab di alamatnya, tetapi perangkat lain menjawab dengan identitas yang sama. Bisa jadi perangkat itu meniru kamera: jangan konfirmasi kecuali Anda tahu perangkat itu.",
    en: "The camera still answers at its address, yet another device answered with the same identity. It may be impersonating the camera: do not confirm unless you know that device.",
  },
  several_addresses: {
    id: "Lebih dari satu alamat menjawab dengan identitas kamera ini. Periksa alamat mana yang benar milik kamera.",
    en: "More than one address answered with this camera's identity. Check which address really is the camera.",
  },
  outside_ranges: {
    id: "Kamera terlihat di alamat di luar rentang jaringan kamera yang diatur (onvif.reprobeRanges).",
    en: "The camera was seen at an address outside the configured camera ranges (onvif.reprobeRanges).",
  },
  no_identity: {
    id: "Kamera ini didaftarkan sebelum Pantau menyimpan nomor seri kamera, sehingga perpindahan alamatnya perlu dikonfirmasi.",
    en: "This camera was registered before Pantau kept camera serial numbers, so its address change needs confirming.",
  },
  identity_needs_auth: {
    id: "Perangkat di alamat baru tidak mau menyebut nomor serinya tanpa kata sandi, dan Pantau tidak mengirim kata sandi ke alamat yang belum dikonfirmasi.",
    en: "The device at the new address will not tell its serial number without a password, and Pantau sends no password to an unconfirmed address.",
  },
  identity_unavailable: {
    id: "Perangkat di alamat baru tidak menjawab pertanyaan identitas ONVIF.",
    en: "The device at the new address did not answer the ONVIF identity request.",
  },
  identity_mismatch: {
    id: "Nomor seri atau ID perangkat keras di alamat baru berbeda dari kamera yang terdaftar.",
    en: "The serial number or hardware id at the new address differs from the registered camera's.",
  },
};
