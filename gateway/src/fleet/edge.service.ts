import { createUser } from "@nats-io/nkeys";
import { z } from "zod";
import type { Caller } from "../access/caller.js";
import { managesSchool, seesSchool } from "../access/permissions.js";
import type { UnitOfWork } from "../audit/unit-of-work.js";
import { publicCamera, type Camera } from "../cameras/camera.js";
import type { CameraRepository } from "../cameras/camera.repository.js";
import type { CameraCreate } from "../cameras/camera.schema.js";
import { forbidden, HttpError, notFound } from "../common/errors.js";
import type { ClassroomRepository } from "../schools/classroom.repository.js";
import { idSchema } from "../common/ids.js";
import { nameSchema } from "../common/names.js";
import type { SchoolRepository } from "../schools/school.repository.js";
import type { EdgeLinkView } from "./edge-directory.js";
import type { Edge, EdgeCredentials } from "./edge.js";
import type { EdgeRepository } from "./edge.repository.js";
import type { ApiReply, ApiRequest } from "./link-messages.js";

/** What the service needs of the link (hub-link.ts). */
export interface EdgeLinkPort {
  view(edge: Edge): EdgeLinkView;
  /** The edge's own school record, where its registrations go. */
  localSchool(edgeId: string): string | undefined;
  api(edgeId: string, req: ApiRequest): Promise<ApiReply>;
}

/** The edge's answer to POST /api/cameras, as far as the hub reads it. */
const edgeCameraSchema = z.object({
  id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
  name: z.string(),
  videoCodec: z.enum(["h264", "h265"]).nullable(),
  renditions: z.array(z.enum(["main", "sub"])),
});

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
    return { edge: this.view(edge), credentials: { edgeId: edge.id, seed } };
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
    if (classroomId !== undefined && this.classrooms.get(classroomId)?.schoolId !== edge.schoolId)
      throw new HttpError(
        400,
        "invalid_input",
        "classroomId: no such classroom in this school",
        "classroomId",
      );
    const local = this.link.localSchool(edge.id);
    if (local === undefined)
      throw new HttpError(503, "edge_offline", "the school's edge gateway is not connected");
    const reply = await this.link.api(edge.id, {
      method: "POST",
      path: "/api/cameras",
      body: { ...atEdge, schoolId: local },
    });
    if (reply.status !== 201) throw new ForwardedError(reply);
    const made = edgeCameraSchema.safeParse(reply.body);
    if (!made.success) throw new HttpError(502, "edge_error", "the edge's answer names no camera");
    const { id: cameraId, name, videoCodec, renditions } = made.data;
    const camera = this.work.apply(
      caller.actor,
      (c: Camera) => ({
        schoolId: c.schoolId,
        action: "camera.create",
        targetKind: "camera",
        targetId: c.id,
        detail: { name: c.name, source: { kind: "edge", edgeId: edge.id }, classroomId: c.classroomId },
      }),
      () =>
        this.cameras.create(
          {
            schoolId: edge.schoolId,
            classroomId,
            name,
            source: { kind: "edge", edgeId: edge.id, sub: renditions.includes("sub") },
            audio: input.audio,
            alwaysOn: false,
            enabled: input.enabled,
          },
          { id: cameraId, ...(videoCodec !== null && { videoCodec: videoCodec }) },
        ),
    );
    return publicCamera(camera);
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
