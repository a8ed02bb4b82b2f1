// The camera services on a real SQLite file (issue 10: this logic sat in the camera routes and the ONVIF watcher):
// who may see, change and test a camera, what a teacher is shown, and how an address move is recorded, decided
// and audited, one transaction each, with the unit of work's listeners told.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AuditRepository } from "../../gateway/src/audit/audit.repository.js";
import { UnitOfWork, type ChangeRecord } from "../../gateway/src/audit/unit-of-work.js";
import type { Camera, OnvifBinding } from "../../gateway/src/cameras/camera.js";
import { CameraMoveRepository } from "../../gateway/src/cameras/camera-move.repository.js";
import { CameraMoveService } from "../../gateway/src/cameras/camera-move.service.js";
import { CameraRepository } from "../../gateway/src/cameras/camera.repository.js";
import { cameraCreateSchema } from "../../gateway/src/cameras/camera.schema.js";
import { CameraService } from "../../gateway/src/cameras/camera.service.js";
import type { StreamTestInput, StreamTester } from "../../gateway/src/cameras/stream-tester.js";
import { HttpError } from "../../gateway/src/common/errors.js";
import { SecretBox } from "../../gateway/src/common/secret-box.js";
import { openDatabase, type Db } from "../../gateway/src/db/database.js";
import { AllowedNetworks } from "../../gateway/src/net/allowed-networks.js";
import { NetworkGuard } from "../../gateway/src/net/network-guard.js";
import type { OnvifInspector } from "../../gateway/src/onvif/onvif-inspector.js";
import { ClassroomRepository } from "../../gateway/src/schools/classroom.repository.js";
import { schoolCreateSchema } from "../../gateway/src/schools/school.js";
import { SchoolRepository } from "../../gateway/src/schools/school.repository.js";
import { callerOf } from "../helpers/caller.js";

/** The HTTP error a call is refused with: its status and code. */
const refusalOf = async (fn: () => unknown): Promise<{ status: number; code: string } | undefined> => {
  try {
    await fn();
  } catch (err) {
    if (err instanceof HttpError) return { status: err.status, code: err.code };
    throw err;
  }
  return undefined;
};

const binding: OnvifBinding = {
  deviceServiceUrl: "http://10.20.1.64/onvif/device_service",
  deviceUuid: "urn:uuid:5f2c0000-0000-4000-8000-000000000064",
  profile: "main",
  subProfile: "sub",
  identity: { serialNumber: "SN-64", hardwareId: "HW-1" },
};

let dir: string;
let db: Db;
let audit: AuditRepository;
let heard: ChangeRecord[];
let tested: StreamTestInput[];
let cameras: CameraRepository;
let moves: CameraMoveRepository;
let service: CameraService;
let moveService: CameraMoveService;
let schoolA: string;
let schoolB: string;
let roomA: string;
let roomB: string;
const operator = callerOf({ role: "operator" });

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "pantau-camera-service-"));
  db = openDatabase(join(dir, "pantau.db"));
  audit = new AuditRepository(db);
  const log = pino({ level: "silent" });
  const work = new UnitOfWork(db, audit, log);
  heard = [];
  work.onCommit((c) => {
    heard.push(c);
  });
  const schools = new SchoolRepository(db);
  const classrooms = new ClassroomRepository(db);
  cameras = new CameraRepository(db, new SecretBox(Buffer.alloc(32, 7)));
  moves = new CameraMoveRepository(db);
  tested = [];
  const tester = {
    test: (input: StreamTestInput) => {
      tested.push(input);
      return Promise.resolve({
        ok: true,
        video: { codec: "h264", width: 1280, height: 720 },
        audio: null,
        needsTranscode: false,
      });
    },
  } as unknown as StreamTester;
  // No test here registers by ONVIF: the inspector is never asked.
  const inspector = {} as unknown as OnvifInspector;
  const network = new NetworkGuard(AllowedNetworks.parse(["10.20.0.0/16"]), { interfaces: () => ({}) });
  service = new CameraService(cameras, schools, classrooms, work, inspector, tester, network);
  moveService = new CameraMoveService(cameras, moves, work, log);
  schoolA = schools.create(schoolCreateSchema.parse({ name: "SD Satu" })).id;
  schoolB = schools.create(schoolCreateSchema.parse({ name: "SD Dua" })).id;
  roomA = classrooms.create(schoolA, "Kelas 1A").id;
  roomB = classrooms.create(schoolA, "Kelas 1B").id;
});

afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

/** An ONVIF camera of school A as a registration would have stored it. */
const onvifCamera = (): Camera =>
  cameras.create(
    {
      schoolId: schoolA,
      classroomId: roomA,
      name: "Kelas 1A depan",
      source: {
        kind: "rtsp",
        url: "rtsp://10.20.1.64:554/main",
        subUrl: "rtsp://10.20.1.64:554/sub",
        username: "admin",
        password: "rahasia-64",
      },
      audio: false,
      alwaysOn: false,
      enabled: true,
    },
    { onvif: binding },
  );

const sighting = (to: string) => ({
  deviceUuid: binding.deviceUuid as string,
  from: "10.20.1.64",
  to,
  deviceServiceUrl: `http://${to}/onvif/device_service`,
  reason: "identity_needs_auth" as const,
});

describe("CameraService", () => {
  it("shows a teacher their classroom's cameras without their sources, and lets them change none", async () => {
    const create = (classroomId: string, name: string) =>
      service.create(
        operator,
        cameraCreateSchema.parse({ schoolId: schoolA, classroomId, name, source: { kind: "test-pattern" } }),
      );
    const own = await create(roomA, "Kelas 1A");
    const other = await create(roomB, "Kelas 1B");
    const teacher = callerOf({ role: "teacher", schoolId: schoolA, classroomIds: [roomA] });

    const shown = service.list(teacher);
    expect(shown.map((c) => c.id)).toEqual([own.id]);
    expect(shown[0]).not.toHaveProperty("source");
    expect(service.get(operator, own.id as string)).toHaveProperty("source", { kind: "test-pattern" });
    expect(await refusalOf(() => service.get(teacher, other.id as string))).toEqual({
      status: 404,
      code: "not_found",
    });
    expect(await refusalOf(() => service.update(teacher, own.id as string, { name: "x" }))).toEqual({
      status: 403,
      code: "forbidden",
    });
    const adminB = callerOf({ role: "school_admin", schoolId: schoolB });
    expect(await refusalOf(() => service.delete(adminB, own.id as string))).toEqual({
      status: 404,
      code: "not_found",
    });
    expect(heard.map((c) => c.action)).toEqual(["camera.create", "camera.create"]);
  });

  it("refuses an address outside the allowed networks before anything is stored", async () => {
    const adminA = callerOf({ role: "school_admin", schoolId: schoolA });
    const input = cameraCreateSchema.parse({
      schoolId: schoolA,
      name: "Gerbang",
      source: { kind: "rtsp", url: "rtsp://203.0.113.5/stream" },
    });
    expect(await refusalOf(() => service.create(adminA, input))).toEqual({
      status: 422,
      code: "address_not_allowed",
    });
    expect(cameras.count()).toBe(0);
    expect(audit.query({ limit: 10 })).toEqual([]);
  });

  it("tests a stored camera with its stored credentials, and says the test pattern has no stream", async () => {
    const adminA = callerOf({ role: "school_admin", schoolId: schoolA });
    const camera = await service.create(
      adminA,
      cameraCreateSchema.parse({
        schoolId: schoolA,
        name: "Gerbang",
        source: { kind: "rtsp", url: "rtsp://admin:rahasia@10.20.1.9/main", subUrl: "rtsp://10.20.1.9/sub" },
      }),
    );
    expect(camera.source).toMatchObject({ url: "rtsp://10.20.1.9/main", hasPassword: true });
    expect(JSON.stringify(audit.query({ limit: 10 }))).not.toContain("rahasia");

    const result = await service.testStored(adminA, camera.id as string);
    expect(result.main.ok && result.sub?.ok).toBe(true);
    expect(tested).toEqual([
      { url: "rtsp://10.20.1.9/main", username: "admin", password: "rahasia" },
      { url: "rtsp://10.20.1.9/sub", username: "admin", password: "rahasia" },
    ]);

    const pattern = await service.create(
      adminA,
      cameraCreateSchema.parse({ schoolId: schoolA, name: "Pola", source: { kind: "test-pattern" } }),
    );
    expect(await refusalOf(() => service.testStored(adminA, pattern.id as string))).toEqual({
      status: 422,
      code: "not_rtsp",
    });
    const teacher = callerOf({ role: "teacher", schoolId: schoolA });
    expect(await refusalOf(() => service.testStream(teacher, { url: "rtsp://10.20.1.9/main" }))).toEqual({
      status: 403,
      code: "forbidden",
    });
  });

  it("says a device is registered to anyone, and names the camera only to its own school", () => {
    const camera = onvifCamera();
    const uuids = [binding.deviceUuid, "urn:uuid:unknown", null];
    expect(service.registrations(callerOf({ role: "school_admin", schoolId: schoolA }), uuids)).toEqual([
      { registered: true, cameras: [{ id: camera.id, name: camera.name, schoolId: schoolA }] },
      { registered: false, cameras: [] },
      { registered: false, cameras: [] },
    ]);
    expect(service.registrations(callerOf({ role: "school_admin", schoolId: schoolB }), uuids)[0]).toEqual({
      registered: true,
      cameras: [],
    });
  });
});

describe("CameraMoveService", () => {
  it("records a sighting once, and a confirmation moves the camera there with its credentials", () => {
    const camera = onvifCamera();
    moveService.recordSighting(camera, sighting("10.20.1.80"));
    moveService.recordSighting(camera, sighting("10.20.1.80"));
    moveService.recordSighting(camera, sighting("10.20.1.81"));
    const pending = moves.list({ status: "pending" });
    expect(pending.map((m) => m.to).sort()).toEqual(["10.20.1.80", "10.20.1.81"]);
    expect(audit.query({ action: "camera.move.pending", limit: 10 })).toHaveLength(2);

    const adminA = callerOf({ role: "school_admin", schoolId: schoolA });
    const listed = moveService.list(adminA, { status: "pending" });
    expect(listed[0]?.reason.code).toBe("identity_needs_auth");
    expect(listed[0]).not.toHaveProperty("deviceServiceUrl");

    const first = pending.find((m) => m.to === "10.20.1.80");
    heard = [];
    const { move, camera: moved } = moveService.confirm(adminA, first?.id as string);
    expect(move).toMatchObject({ status: "confirmed", decidedBy: adminA.user.id });
    expect(moved.source).toMatchObject({
      host: "10.20.1.80",
      url: "rtsp://10.20.1.80:554/main",
      subUrl: "rtsp://10.20.1.80:554/sub",
      username: "admin",
      hasPassword: true,
    });
    expect(cameras.get(camera.id)?.source).toMatchObject({ password: "rahasia-64" });
    expect(moves.list({ status: "superseded" }).map((m) => m.to)).toEqual(["10.20.1.81"]);
    expect(heard).toEqual([expect.objectContaining({ action: "camera.move.confirm", targetId: camera.id })]);
    expect(audit.query({ action: "camera.move.confirm", limit: 10 })[0]).toMatchObject({
      actor: { kind: "user", id: adminA.user.id },
      detail: { from: "10.20.1.64", to: "10.20.1.80" },
    });
  });

  it("lets only whoever may change the camera decide, and only while the question stands", async () => {
    const camera = onvifCamera();
    moveService.recordSighting(camera, sighting("10.20.1.80"));
    moveService.recordSighting(camera, sighting("10.20.1.81"));
    const [a, b] = moves.list({ status: "pending" }).sort((x, y) => x.to.localeCompare(y.to));
    const teacher = callerOf({ role: "teacher", schoolId: schoolA, classroomIds: [roomA] });
    const adminB = callerOf({ role: "school_admin", schoolId: schoolB });
    expect(await refusalOf(() => moveService.confirm(teacher, a?.id as string))).toEqual({
      status: 403,
      code: "forbidden",
    });
    expect(await refusalOf(() => moveService.dismiss(adminB, a?.id as string))).toEqual({
      status: 404,
      code: "not_found",
    });
    expect(await refusalOf(() => moveService.list(teacher, { status: "all" }))).toEqual({
      status: 403,
      code: "forbidden",
    });

    expect(moveService.dismiss(operator, a?.id as string).status).toBe("dismissed");
    expect(await refusalOf(() => moveService.confirm(operator, a?.id as string))).toEqual({
      status: 409,
      code: "move_decided",
    });
    // The camera moved elsewhere meanwhile: the other item asks about an address it no longer has.
    cameras.moveOnvif(
      camera.id,
      { ...binding, deviceServiceUrl: "http://10.20.1.99/onvif/device_service" },
      "rtsp://10.20.1.99:554/main",
      undefined,
    );
    expect(await refusalOf(() => moveService.confirm(operator, b?.id as string))).toEqual({
      status: 409,
      code: "move_outdated",
    });
    expect(moves.get(b?.id as string)?.status).toBe("pending");
  });

  it("follows a camera by itself as the system, audited with the serial number it checked", () => {
    const camera = onvifCamera();
    moveService.recordSighting(camera, sighting("10.20.1.81"));
    const moved = moveService.followAddress(camera, {
      deviceUuid: binding.deviceUuid as string,
      to: "10.20.1.80",
      deviceServiceUrl: "http://10.20.1.80/onvif/device_service",
    });
    expect(moved.onvif?.deviceServiceUrl).toBe("http://10.20.1.80/onvif/device_service");
    expect(moves.list({ status: "pending" })).toEqual([]);
    expect(audit.query({ action: "camera.address_changed", limit: 10 })[0]).toMatchObject({
      actor: { kind: "system" },
      detail: { from: "10.20.1.64", to: "10.20.1.80", serialNumber: "SN-64" },
    });
  });
});
