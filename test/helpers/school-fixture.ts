import { ApiClient } from "./api-client.js";
import type { TestGateway } from "./gateway.js";

/** Open every day, all day: a classroom whose schedule never gets in a test's way. */
export const allWeek = {
  windows: [1, 2, 3, 4, 5, 6, 7].map((day) => ({ day, start: "00:00", end: "24:00" })),
  holidays: [],
};

export interface SchoolFixture {
  schoolId: string;
  classroomId: string;
  /** A second classroom of the same school, with its own camera, that the guardian has no child in. */
  otherClassroomId: string;
  /** A test-pattern camera (ffmpeg lavfi, no RTSP camera needed) in classroomId. */
  cameraId: string;
  otherCameraId: string;
  guardianId: string;
  linkId: string;
  /** Path of the guardian's access link, `/a/<token>`. */
  linkPath: string;
}

/**
 * A school as an admin sets it up through the API: two classrooms, a camera in each, a guardian with a child
 * in the first, and an access link for them. Everything through the operator's session, nothing behind the API.
 */
export async function makeSchool(
  gw: TestGateway,
  name: string,
  schedule: unknown = allWeek,
  admin: ApiClient = gw.admin,
): Promise<SchoolFixture> {
  const school = (await admin.expect(201, "POST", "/api/schools", { name })) as { id: string };
  const room = (await admin.expect(201, "POST", `/api/schools/${school.id}/classrooms`, {
    name: "Kelas 1A",
    schedule,
  })) as { id: string };
  const other = (await admin.expect(201, "POST", `/api/schools/${school.id}/classrooms`, {
    name: "Kelas 2B",
    schedule,
  })) as { id: string };
  const camera = (await admin.expect(201, "POST", "/api/cameras", {
    schoolId: school.id,
    classroomId: room.id,
    name: "Kamera 1A",
    source: { kind: "test-pattern" },
  })) as { id: string };
  const otherCamera = (await admin.expect(201, "POST", "/api/cameras", {
    schoolId: school.id,
    classroomId: other.id,
    name: "Kamera 2B",
    source: { kind: "test-pattern" },
  })) as { id: string };
  const guardian = (await admin.expect(201, "POST", `/api/schools/${school.id}/guardians`, {
    name: "Ibu Sari",
    phone: "0812-3456-7890",
    children: [{ name: "Budi", classroomId: room.id }],
  })) as { id: string };
  await recordConsent(admin, guardian.id);
  const link = (await admin.expect(201, "POST", `/api/guardians/${guardian.id}/links`, {})) as {
    id: string;
    url: string;
  };
  return {
    schoolId: school.id,
    classroomId: room.id,
    otherClassroomId: other.id,
    cameraId: camera.id,
    otherCameraId: otherCamera.id,
    guardianId: guardian.id,
    linkId: link.id,
    linkPath: new URL(link.url).pathname,
  };
}

/** Records the guardian's consent as the school would (a signed paper form): links may be issued after. */
export async function recordConsent(admin: ApiClient, guardianId: string): Promise<void> {
  await admin.expect(201, "POST", `/api/guardians/${guardianId}/consent`, {
    method: "paper_form",
    note: "Formulir persetujuan ditandatangani",
  });
}

/**
 * A parent's phone that opened the link and tapped its button: GET shows the page (and registers nothing),
 * the button posts it back. Throws unless the phone ends up registered. A phone already registered for this
 * guardian is sent straight to /watch by the GET.
 */
export async function openLink(
  gw: { url: string },
  linkPath: string,
  phone: ApiClient = new ApiClient(gw.url),
): Promise<ApiClient> {
  const page = await phone.get(linkPath);
  if (page.status === 303) return phone;
  if (page.status !== 200 || !page.text.includes(`action="${linkPath}"`))
    throw new Error(`open link: ${String(page.status)} ${page.text}`);
  const r = await postLink(phone, linkPath);
  if (r.status !== 303) throw new Error(`open link, the button: ${String(r.status)} ${r.text}`);
  return phone;
}

/** The link page's button: a same-origin form post of the link (`replace=1` confirms moving the phone). */
export function postLink(phone: ApiClient, linkPath: string, form = "", origin: string = phone.base) {
  return phone.post(linkPath, form, {
    "content-type": "application/x-www-form-urlencoded",
    origin,
  });
}

/** Stream URLs for a client (phone or admin); throws with the refusal's code otherwise. */
export async function watchAs(
  gw: TestGateway,
  client: ApiClient,
  cameraId: string,
): Promise<{ hls: string; ws: string; token: string; watermark?: string }> {
  const r = await client.post(`/api/watch/${cameraId}`);
  if (r.status !== 200)
    throw new Error(
      `watch ${cameraId}: ${String(r.status)} ${String((r.body as { error?: { code?: string } } | undefined)?.error?.code)}`,
    );
  const w = r.body as { hls: string; ws: string; watermark?: string };
  return {
    hls: gw.url + w.hls,
    ws: gw.url.replace(/^http/, "ws") + w.ws,
    token: /\/live\/([^/]+)\//.exec(w.hls)?.[1] ?? "",
    ...(w.watermark !== undefined && { watermark: w.watermark }),
  };
}
