import { createContext } from "preact";
import { useContext } from "preact/hooks";
import type { GatewayRole, School, User } from "./types.js";

/**
 * Who is signed in, the schools they may manage, and the school the screens are about now (a school admin
 * has one; an operator picks one, or none for the regency-wide screens).
 */
export interface Session {
  user: User;
  /** What this gateway is: a hub serves the fleet's edges too. */
  gatewayRole: GatewayRole;
  /** Whether this gateway takes cameras an NVR pushes over RTMP (GET /api/auth/me `gateway.rtmpEnabled`). */
  rtmpEnabled: boolean;
  schools: School[];
  school: School | undefined;
  setSchool: (id: string | undefined) => void;
  /** Reloads the school list (after a school was added or renamed). */
  reloadSchools: () => Promise<void>;
  signOut: () => Promise<void>;
  /** The screens this account may open, in menu order. */
  menu: readonly { path: string; title: { id: string; en: string } }[];
}

export const SessionContext = createContext<Session | undefined>(undefined);

export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error("useSession outside a signed-in console");
  return s;
}
