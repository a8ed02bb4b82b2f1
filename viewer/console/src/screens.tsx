import type { FunctionComponent } from "preact";
import type { Route } from "./router.js";
import type { Role } from "./types.js";
import { GuardiansScreen } from "./screens/guardians.js";
import { HomeScreen } from "./screens/home.js";
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
  component: FunctionComponent<{ route: Route }>;
}

const admins: readonly Role[] = ["operator", "school_admin"];

/**
 * Every screen, in menu order. A new screen is one file under screens/ and one line here; the role decides
 * what a signed-in user sees (the gateway still decides what they may do).
 */
export const screens: readonly Screen[] = [
  {
    path: "/",
    title: { id: "Beranda", en: "Home" },
    roles: ["operator", "school_admin", "teacher"],
    needsSchool: false,
    inMenu: true,
    component: HomeScreen,
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
];

export function screenFor(path: string): Screen | undefined {
  return screens.find((s) => s.path === path);
}

export { admins };
