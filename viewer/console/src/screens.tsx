import type { FunctionComponent } from "preact";
import type { Route } from "./router.js";
import type { GatewayRole, Role } from "./types.js";
import { AccountsScreen } from "./screens/accounts.js";
import { AlertsScreen } from "./screens/alerts.js";
import { AuditScreen } from "./screens/audit.js";
import { ClassroomsScreen } from "./screens/classrooms.js";
import { CameraWizardScreen } from "./screens/camera-wizard.js";
import { CamerasScreen } from "./screens/cameras.js";
import { DashboardScreen } from "./screens/dashboard.js";
import { EdgesScreen } from "./screens/edges.js";
import { HomeScreen } from "./screens/home.js";
import { SchoolHealthScreen } from "./screens/school-health.js";
import { SchoolsScreen } from "./screens/schools.js";
import { GuardiansScreen } from "./screens/guardians.js";
import { QrSheetScreen } from "./screens/qr-sheet.js";
import { RosterImportScreen } from "./screens/roster-import.js";

/** One screen of the console: where it lives, its menu name in both languages, and who sees it. */
export interface Screen {
  path: string;
  title: { id: string; en: string };
  roles: readonly Role[];
  /** Needs a school chosen (an operator picks one in the header first). */
  needsSchool: boolean;
  /** Shown in the menu (a wizard step or a print sheet is reached from its screen instead). */
  inMenu: boolean;
  /** Only at a gateway in this role (the edges screen is a hub's). */
  gateway?: GatewayRole;
  component: FunctionComponent<{ route: Route }>;
}

const admins: readonly Role[] = ["operator", "school_admin"];

/**
 * Every screen, in menu order. A new screen is one file under screens/ and one line here; the role decides
 * what a signed-in user sees (the gateway still decides what they may do).
 */
export const screens: readonly Screen[] = [
  // First in an operator's menu: Diskominfo opens the console to see the fleet.
  {
    path: "/dashboard",
    title: { id: "Dasbor", en: "Dashboard" },
    roles: ["operator"],
    needsSchool: false,
    inMenu: true,
    component: DashboardScreen,
  },
  {
    path: "/",
    title: { id: "Beranda", en: "Home" },
    roles: ["operator", "school_admin", "teacher"],
    needsSchool: false,
    inMenu: true,
    component: HomeScreen,
  },
  {
    path: "/schools",
    title: { id: "Sekolah", en: "Schools" },
    roles: ["operator"],
    needsSchool: false,
    inMenu: true,
    component: SchoolsScreen,
  },
  {
    path: "/classrooms",
    title: { id: "Kelas", en: "Classrooms" },
    roles: admins,
    needsSchool: true,
    inMenu: true,
    component: ClassroomsScreen,
  },
  {
    path: "/cameras",
    title: { id: "Kamera", en: "Cameras" },
    roles: admins,
    needsSchool: true,
    inMenu: true,
    component: CamerasScreen,
  },
  {
    path: "/cameras/new",
    title: { id: "Tambah kamera", en: "Add camera" },
    roles: admins,
    needsSchool: true,
    inMenu: false,
    component: CameraWizardScreen,
  },
  {
    path: "/guardians",
    title: { id: "Wali murid", en: "Guardians" },
    roles: admins,
    needsSchool: true,
    inMenu: true,
    component: GuardiansScreen,
  },
  {
    path: "/guardians/import",
    title: { id: "Impor daftar wali", en: "Import the guardian roster" },
    roles: admins,
    needsSchool: true,
    inMenu: false,
    component: RosterImportScreen,
  },
  {
    path: "/guardians/sheet",
    title: { id: "Lembar QR kelas", en: "Classroom QR sheet" },
    roles: admins,
    needsSchool: true,
    inMenu: false,
    component: QrSheetScreen,
  },
  {
    path: "/health",
    title: { id: "Kesehatan kamera", en: "Camera health" },
    roles: admins,
    needsSchool: true,
    inMenu: true,
    component: SchoolHealthScreen,
  },
  {
    path: "/edges",
    title: { id: "Edge sekolah", en: "School edges" },
    roles: admins,
    needsSchool: false,
    inMenu: true,
    gateway: "hub",
    component: EdgesScreen,
  },
  {
    path: "/accounts",
    title: { id: "Akun", en: "Accounts" },
    roles: admins,
    needsSchool: false,
    inMenu: true,
    component: AccountsScreen,
  },
  {
    path: "/audit",
    title: { id: "Log audit", en: "Audit log" },
    roles: admins,
    needsSchool: false,
    inMenu: true,
    component: AuditScreen,
  },
  {
    path: "/alerts",
    title: { id: "Peringatan", en: "Alerts" },
    roles: ["operator"],
    needsSchool: false,
    inMenu: true,
    component: AlertsScreen,
  },
];

/** The screen at `path` when this account may open it at this gateway. */
export function screenFor(path: string, role: Role, gateway: GatewayRole): Screen | undefined {
  return screens.find((s) => s.path === path && opens(s, role, gateway));
}

export function opens(s: Screen, role: Role, gateway: GatewayRole): boolean {
  return s.roles.includes(role) && (s.gateway === undefined || s.gateway === gateway);
}

export { admins };
