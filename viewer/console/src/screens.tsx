import type { FunctionComponent } from "preact";
import type { Route } from "./router.js";
import type { Role } from "./types.js";
import { CameraWizardScreen } from "./screens/camera-wizard.js";
import { CamerasScreen } from "./screens/cameras.js";
import { HomeScreen } from "./screens/home.js";

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
];

export function screenFor(path: string): Screen | undefined {
  return screens.find((s) => s.path === path);
}

export { admins };
