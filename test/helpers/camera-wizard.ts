import type { Locator, Page } from "playwright-core";
import { expect } from "vitest";

// The console's add-camera wizard (viewer/console/src/screens/camera-wizard.tsx) driven as an admin drives
// it, step by step, through its form controls only. test/e2e/console-cameras.test.ts checks each step; a
// journey test adds a camera with addOnvifCamera or addRtspCamera.

/** The wizard's step now on screen (its section's data-step). */
export const wizardStep = (page: Page, step: string) => page.locator(`.wizard-step[data-step="${step}"]`);

/** Decoded frames of the wizard's live preview so far. */
export const previewFramesScript =
  "(() => { const v = document.querySelector('.live-preview video'); return v && v.getVideoPlaybackQuality ? v.getVideoPlaybackQuality().totalVideoFrames : 0; })()";

/** Opens the wizard from the camera list (the school must be chosen already). */
export async function openWizard(page: Page, base: string): Promise<void> {
  await page.goto(`${base}/admin#/cameras`);
  await page.locator('a[href="#/cameras/new"]').click();
  await wizardStep(page, "find").waitFor();
}

/** Step 1, ONVIF: a unicast scan of `cidr` only (no multicast), then the device whose entry shows `deviceText`. */
export async function scanRange(page: Page, cidr: string): Promise<void> {
  await page.locator('input[name="method"][value="onvif"]').check();
  await page.locator('input[name="multicast"]').uncheck();
  await page.locator('input[name="range"][value="cidr"]').check();
  await page.locator('input[name="cidr"]').fill(cidr);
  await page.locator(".scan-form button[type=submit]").click();
  await page.locator(".scan-results").waitFor();
}

export async function chooseDevice(page: Page, deviceText: string): Promise<void> {
  await page.locator(".scan-results .device", { hasText: deviceText }).getByRole("button").click();
  await wizardStep(page, "login").waitFor();
}

/** Step 2: the camera's login, submitted (ONVIF: inspects; RTSP: tests). */
export async function submitLogin(page: Page, username: string, password: string): Promise<void> {
  await page.locator('.wizard-step input[name="username"]').fill(username);
  await page.locator('.wizard-step input[name="password"]').fill(password);
  await page.locator(".wizard-step button[type=submit]").click();
}

/** The step's primary button ("Lanjut" / "Next"). */
export async function next(page: Page): Promise<void> {
  await page.locator(".wizard-step .actions .btn.primary").click();
}

/** Step "test": waits for the measured table and the live preview's first decoded frames. */
export async function waitForTestAndPreview(page: Page, frames = 10): Promise<void> {
  await page.locator(".stream-tests td.fps").first().waitFor({ timeout: 30_000 });
  await expect
    .poll(() => page.evaluate<number>(previewFramesScript), { timeout: 30_000, interval: 200 })
    .toBeGreaterThan(frames);
}

/** The last step: the camera's name and classroom (by its name; "" for none), saved. */
export async function nameAndSave(page: Page, name: string, classroom: string): Promise<void> {
  await wizardStep(page, "room").waitFor();
  await page.locator('.wizard-step input[name="name"]').fill(name);
  const select = page.locator('.wizard-step select[name="classroomId"]');
  // The classrooms arrive after the step opens.
  if (classroom !== "") {
    await select.locator("option", { hasText: classroom }).waitFor({ state: "attached" });
    await select.selectOption({ label: classroom });
  }
  await page.locator(".wizard-step button[type=submit]").click();
}

/** The whole ONVIF path with the suggested streams: scan → device → login → inspect → streams → test → save. */
export async function addOnvifCamera(
  page: Page,
  base: string,
  o: {
    cidr: string;
    deviceText: string;
    username: string;
    password: string;
    name: string;
    classroom: string;
  },
): Promise<void> {
  await openWizard(page, base);
  await scanRange(page, o.cidr);
  await chooseDevice(page, o.deviceText);
  await submitLogin(page, o.username, o.password);
  await wizardStep(page, "inspect").waitFor();
  await next(page);
  await wizardStep(page, "streams").waitFor();
  await next(page);
  await wizardStep(page, "test").waitFor();
  await waitForTestAndPreview(page);
  await next(page);
  await nameAndSave(page, o.name, o.classroom);
  await wizardStep(page, "done").waitFor();
}

/** The RTSP path: URL (and sub URL) → login → test → save. */
export async function addRtspCamera(
  page: Page,
  base: string,
  o: { url: string; subUrl?: string; username: string; password: string; name: string; classroom: string },
): Promise<void> {
  await openWizard(page, base);
  await page.locator('input[name="method"][value="rtsp"]').check();
  await page.locator('.wizard-step input[name="url"]').fill(o.url);
  await page.locator('.wizard-step input[name="subUrl"]').fill(o.subUrl ?? "");
  await next(page);
  await wizardStep(page, "login").waitFor();
  await submitLogin(page, o.username, o.password);
  await wizardStep(page, "test").waitFor();
  await waitForTestAndPreview(page);
  await next(page);
  await nameAndSave(page, o.name, o.classroom);
  await wizardStep(page, "done").waitFor();
}

/** What a push-settings panel (components/push-settings.tsx) shows, read from its fields as an admin copies them. */
export async function readPushSettings(
  panel: Locator,
): Promise<{ server: string; streamKey: string; url: string; expiry: string }> {
  await panel.locator('[name="rtmp-server"]').waitFor();
  return {
    server: await panel.locator('[name="rtmp-server"]').inputValue(),
    streamKey: await panel.locator('[name="stream-key"]').inputValue(),
    url: await panel.locator('[name="publish-url"]').inputValue(),
    expiry: (await panel.locator(".push-expiry").textContent()) ?? "",
  };
}

/** The RTMP push path: the choice → name and classroom → saved; leaves the NVR settings on screen. */
export async function addRtmpCamera(
  page: Page,
  base: string,
  o: { name: string; classroom: string },
): Promise<void> {
  await openWizard(page, base);
  await page.locator('input[name="method"][value="rtmp"]').check();
  await next(page);
  await nameAndSave(page, o.name, o.classroom);
  await wizardStep(page, "done").waitFor();
}
