/** The shapes the console reads from the API (it imports no gateway code: the JSON is the contract). */
export type Role = "operator" | "school_admin" | "teacher";

/** The gateway's part in a fleet (GET /api/auth/me `gateway.role`): the fleet's screens are a hub's. */
export type GatewayRole = "standalone" | "edge" | "hub";

export interface User {
  id: string;
  username: string;
  displayName: string;
  role: Role;
  schoolId: string | null;
  classroomIds: string[];
  disabled: boolean;
}

export interface School {
  id: string;
  name: string;
  npsn: string | null;
  address: string;
  /** The kecamatan (district) of the kabupaten; "" for none. */
  area: string;
  contact: string;
  timeZone: string;
  demo: boolean;
}
