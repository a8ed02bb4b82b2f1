import { createUser } from "@nats-io/nkeys";
import { z } from "zod";
import type { Caller } from "../access/caller.js";
import { managesSchool, seesSchool } from "../access/permissions.js";
import type { UnitOfWork } from "../audit/unit-of-work.js";
import { publicCamera, type Camera } from "../cameras/camera.js";
import { checkCameraClassroom } from "../cameras/camera-classroom.js";
import type { CameraRepository } from "../cameras/camera.repository.js";
import type { CameraCreate } from "../cameras/camera.schema.js";
import { forbidden, HttpError, notFound } from "../common/errors.js";
import type { ClassroomRepository } from "../schools/classroom.repository.js";
import { idSchema } from "../common/ids.js";
import { nameSchema } from "../common/names.js";
import type { SchoolRepository } from "../schools/school.repository.js";
import type { EdgeCameraStatus, EdgeLinkView } from "./edge-directory.js";
import type { Edge, EdgeCredentials } from "./edge.js";
import type { EdgeRepository } from "./edge.repository.js";
import type { ApiReply, ApiRequest } from "./link-messages.js";

/** What the service needs of the link (hub-link.ts). */
export interface EdgeLinkPort {
  view(edge: Edge): EdgeLinkView;
  /** The edge's own school record, where its registrations go. */
  localSchool(edgeId: string): string | undefined;
  /** The cameras the edge's last heartbeat listed; undefined while the edge is offline. */
  cameras(edgeId: string): readonly EdgeCameraStatus[] | undefined;
  api(edgeId: string, req: ApiRequest): Promise<ApiReply>;
}

/**
 * A camera as the edge's API answers it (POST /api/cameras, GET /api/cameras), as far as the hub reads it:
 * the rest of the answer (its source's address and username, never a password) is dropped here.
 */
const edgeCameraSchema = z.object({
  id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
  name: z.string(),
  videoCodec: z.enum(["h264", "h265"]).nullable(),
  renditions: z.array(z.enum(["main", "sub"])),
});
type EdgeCamera = z.infer<typeof edgeCameraSchema>;

const edgeCameraListSchema = z.object({
  cameras: z.array(edgeCameraSchema.extend({ audio: z.boolean(), enabled: z.boolean() })),
});

/** Adopting one of an edge's cameras at the hub: where it goes (the rest comes from the edge's record). */
export const edgeCameraAdoptSchema = z
  .object({ classroomId: idSchema.optional().describe("A classroom of the edge's school") })
  .strict();
export type EdgeCameraAdopt = z.infer<typeof edgeCameraAdoptSchema>;

/** One of an edge's cameras as its heartbeat says it, and whether the hub has it (adopted or registered). */
export type EdgeCameraView = EdgeCameraStatus & { atHub: boolean };

const edgeOffline = {
  id: "Gateway sekolah (edge) sedang tidak terhubung ke hub. Periksa listrik dan internet di sekolah.",
  en: "The school's edge gateway is not connected to the hub. Check power and internet at the school.",
};

const alreadyAtHub = {
  id: "Hub sudah punya kamera ini. Ia ada di daftar kamera.",
  en: "The hub already has this camera. It is in the cameras list.",
};

function conflictAtHub(): HttpError {
  return new HttpError(409, "conflict", alreadyAtHub.en, undefined, { messages: alreadyAtHub });
}

/** The console shows it on the school field as is. */
const schoolHasEdge = {
  id: "Sekolah ini sudah punya edge. Hapus edge itu dulu bila ingin membuat yang baru.",
  en: "This school already has an edge. Remove that edge first to make a new one.",
};

export const edgeCreateSchema = z
  .object({
    name: nameSchema(100).describe("What operators call it, e.g. the school's name and 'edge'"),
    schoolId: idSchema.describe("The school it serves (one edge per school)"),
  })
  .strict();
export type EdgeCreate = z.infer<typeof edgeCreateSchema>;

/** An edge as the console shows it: the record and what its link says now. */
export type EdgeView = Omit<Edge, "publicKey"> & { link: EdgeLinkView };

/**
 * Operators make and remove edges; a school admin sees their school's. Making one creates its NATS key pair:
 * the hub keeps the public key (the NATS server's authorization file is rewritten after the commit), the seed
 * is answered once and kept nowhere.
 */
export class EdgeService {
  constructor(
    private readonly edges: EdgeRepository,
    private readonly schools: SchoolRepository,
    private readonly classrooms: ClassroomRepository,
    private readonly cameras: CameraRepository,
    private readonly work: UnitOfWork,
    private readonly link: EdgeLinkPort,
    /** fleet.edgeServers: where edges dial, handed out with new credentials. */
    private readonly edgeServers?: readonly string[],
  ) {}

  list({ user }: Caller): EdgeView[] {
    return this.edges
      .list()
      .filter((e) => seesSchool(user, e.schoolId))
      .map((e) => this.view(e));
  }

  get({ user }: Caller, id: string): EdgeView {
    const edge = this.edges.get(id);
    if (!edge || !seesSchool(user, edge.schoolId)) throw notFound("edge");
    return this.view(edge);
  }

  create(caller: Caller, input: EdgeCreate): { edge: EdgeView; credentials: EdgeCredentials } {
    if (caller.user.role !== "operator") throw forbidden("only an operator adds edges");
    if (!this.schools.get(input.schoolId)) throw notFound("school");
    if (this.edges.bySchool(input.schoolId))
      throw new HttpError(409, "conflict", schoolHasEdge.en, "schoolId", { messages: schoolHasEdge });
    const keys = createUser();
    const seed = new TextDecoder().decode(keys.getSeed());
    const edge = this.work.apply(
      caller.actor,
      (e: Edge) => ({
        schoolId: e.schoolId,
        action: "edge.create",
        targetKind: "edge",
        targetId: e.id,
        detail: { name: e.name, publicKey: e.publicKey },
      }),
      () => this.edges.create({ name: input.name, schoolId: input.schoolId, publicKey: keys.getPublicKey() }),
    );
    keys.clear();
    return {
      edge: this.view(edge),
      credentials: { edgeId: edge.id, seed, ...(this.edgeServers && { servers: [...this.edgeServers] }) },
    };
  }

  /** Its key leaves the NATS server's file at once: a connected edge is cut off by the server's reload. */
  delete(caller: Caller, id: string): void {
    const edge = this.edges.get(id);
    if (!edge || !seesSchool(caller.user, edge.schoolId)) throw notFound("edge");
    if (caller.user.role !== "operator") throw forbidden("only an operator removes edges");
    this.work.apply(
      caller.actor,
      {
        schoolId: edge.schoolId,
        action: "edge.delete",
        targetKind: "edge",
        targetId: edge.id,
        detail: { name: edge.name },
      },
      () => {
        this.edges.delete(edge.id);
      },
    );
  }

  /** One of the console's calls run at the edge, by an admin of the edge's school. */
  async forward(caller: Caller, id: string, req: ApiRequest): Promise<ApiReply> {
    const edge = this.managed(caller, id);
    return this.link.api(edge.id, req);
  }

  /**
   * Registers a camera at the edge (its source and password go there and stay there) and then at the hub,
   * under the same id, as an edge camera in the chosen classroom. The edge answers as its own API would; an
   * error is passed on unchanged and nothing is written at the hub.
   */
  async registerCamera(
    caller: Caller,
    id: string,
    input: Omit<CameraCreate, "schoolId">,
  ): Promise<Record<string, unknown>> {
    const edge = this.managed(caller, id);
    const { classroomId, ...atEdge } = input;
    checkCameraClassroom(this.classrooms, edge.schoolId, classroomId);
    const local = this.link.localSchool(edge.id);
    if (local === undefined) throw offline();
    const reply = await this.link.api(edge.id, {
      method: "POST",
      path: "/api/cameras",
      body: { ...atEdge, schoolId: local },
    });
    if (reply.status !== 201) throw new ForwardedError(reply);
    const made = edgeCameraSchema.safeParse(reply.body);
    if (!made.success) throw new HttpError(502, "edge_error", "the edge's answer names no camera");
    return this.createAtHub(caller, edge, made.data, {
      classroomId,
      audio: input.audio,
      enabled: input.enabled,
      adopted: false,
    });
  }

  /**
   * The edge's cameras as its last heartbeat listed them, each marked whether the hub has it: what a school
   * that ran Pantau standalone before it became an edge can adopt.
   */
  edgeCameras(caller: Caller, id: string): EdgeCameraView[] {
    const edge = this.managed(caller, id);
    const said = this.link.cameras(edge.id);
    if (said === undefined) throw offline();
    return said.map((c) => ({ ...c, atHub: this.atHub(edge, c.id) }));
  }

  /**
   * Makes the hub's record of a camera the edge already has (registered there while it ran standalone): its
   * name, codec, renditions, audio and enabled as the edge's record says, in the chosen classroom. Its source
   * and password stay at the edge: the edge's GET /api/cameras answers no password, and the hub keeps only
   * what edgeCameraSchema reads.
   */
  async adoptCamera(
    caller: Caller,
    id: string,
    cameraId: string,
    input: EdgeCameraAdopt,
  ): Promise<Record<string, unknown>> {
    const edge = this.managed(caller, id);
    checkCameraClassroom(this.classrooms, edge.schoolId, input.classroomId);
    if (this.link.cameras(edge.id) === undefined) throw offline();
    if (this.cameras.get(cameraId)) throw conflictAtHub();
    const reply = await this.link.api(edge.id, { method: "GET", path: "/api/cameras" });
    if (reply.status !== 200) throw new ForwardedError(reply);
    const listed = edgeCameraListSchema.safeParse(reply.body);
    if (!listed.success) throw new HttpError(502, "edge_error", "the edge's answer lists no cameras");
    const found = listed.data.cameras.find((c) => c.id === cameraId);
    if (!found) throw notFound("camera at this edge");
    return this.createAtHub(caller, edge, found, {
      classroomId: input.classroomId,
      audio: found.audio,
      enabled: found.enabled,
      adopted: true,
    });
  }

  /** The hub's record of an edge's camera, under the edge's id for it; registered and adopted alike. */
  private createAtHub(
    caller: Caller,
    edge: Edge,
    made: EdgeCamera,
    o: { classroomId: string | undefined; audio: boolean; enabled: boolean; adopted: boolean },
  ): Record<string, unknown> {
    const { id: cameraId, name, videoCodec, renditions } = made;
    const camera = this.work.apply(
      caller.actor,
      (c: Camera) => ({
        schoolId: c.schoolId,
        action: "camera.create",
        targetKind: "camera",
        targetId: c.id,
        detail: {
          name: c.name,
          source: { kind: "edge", edgeId: edge.id },
          classroomId: c.classroomId,
          ...(o.adopted && { adopted: true }),
        },
      }),
      () => {
        // Checked again inside the transaction: two adoptions of one camera at once get one record and a 409.
        if (this.cameras.get(cameraId)) throw conflictAtHub();
        return this.cameras.create(
          {
            schoolId: edge.schoolId,
            classroomId: o.classroomId,
            name,
            source: { kind: "edge", edgeId: edge.id, sub: renditions.includes("sub") },
            audio: o.audio,
            alwaysOn: false,
            enabled: o.enabled,
          },
          { id: cameraId, ...(videoCodec !== null && { videoCodec: videoCodec }) },
        );
      },
    );
    return publicCamera(camera);
  }

  /** The hub has this edge camera (registered from the hub or adopted). */
  private atHub(edge: Edge, cameraId: string): boolean {
    const c = this.cameras.get(cameraId);
    return c?.source.kind === "edge" && c.source.edgeId === edge.id;
  }

  private managed(caller: Caller, id: string): Edge {
    const edge = this.edges.get(id);
    if (!edge || !seesSchool(caller.user, edge.schoolId)) throw notFound("edge");
    if (!managesSchool(caller.user, edge.schoolId)) throw forbidden("you may manage only your own school");
    return edge;
  }

  private view(e: Edge): EdgeView {
    const { publicKey: _publicKey, ...rest } = e;
    return { ...rest, link: this.link.view(e) };
  }
}

function offline(): HttpError {
  return new HttpError(503, "edge_offline", "the school's edge gateway is not connected", undefined, {
    messages: edgeOffline,
  });
}

/** An edge's error answer, passed on to the console as the edge gave it (its words in both languages). */
export class ForwardedError extends HttpError {
  constructor(readonly reply: ApiReply) {
    const error = (reply.body as { error?: { code?: unknown; message?: unknown; field?: unknown } } | null)
      ?.error;
    super(
      reply.status,
      typeof error?.code === "string" ? error.code : "edge_error",
      typeof error?.message === "string" ? error.message : "the edge refused",
      typeof error?.field === "string" ? error.field : undefined,
      error && typeof error === "object" ? { ...error } : undefined,
    );
  }
}
