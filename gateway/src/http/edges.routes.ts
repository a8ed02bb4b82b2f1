import { z } from "zod";
import { cameraCreateSchema } from "../cameras/camera.schema.js";
import type { EdgeService } from "../fleet/edge.service.js";
import { edgeCameraAdoptSchema, edgeCreateSchema } from "../fleet/edge.service.js";
import type { AdminAuth } from "./admin-auth.js";
import { ApiRouter } from "./api-router.js";
import { pathId } from "./errors.js";

const forwardedBody = z.record(z.string(), z.unknown());

/** The console's calls that run at a school's edge, under `/api/edges/:id/…`, and where they go there. */
const forwarded = [
  { path: "/discovery/scan", to: "/api/discovery/scan", summary: "Scan the school's network from its edge" },
  { path: "/onvif/inspect", to: "/api/onvif/inspect", summary: "Inspect an ONVIF camera from the edge" },
  { path: "/cameras/test", to: "/api/cameras/test", summary: "Test a stream URL from the edge" },
] as const;

/**
 * Edges (hub): operators make and remove them and get an edge's credentials once; the console drives an
 * edge's discovery, inspect, test and registration through here (EdgeService forwards over the link).
 */
export function edgeRoutes(service: EdgeService, auth: AdminAuth): ApiRouter {
  const api = new ApiRouter(auth);
  const edgeId = (raw: unknown) => pathId(raw, "edge");

  api.get(
    "/api/edges",
    { summary: "Edges you can see, with their link now", tag: "fleet", auth: "admin" },
    (req, res) => {
      res.json({ edges: service.list(auth.caller(req)) });
    },
  );

  api.post(
    "/api/edges",
    {
      summary: "Add a school's edge (operator); its NATS seed is in this answer only",
      tag: "fleet",
      auth: "admin",
      body: edgeCreateSchema,
      returns: { status: 201, description: "Created, with credentials.seed shown once" },
    },
    (req, res, body) => {
      res.status(201).json(service.create(auth.caller(req), body));
    },
  );

  api.get("/api/edges/:id", { summary: "One edge", tag: "fleet", auth: "admin" }, (req, res) => {
    res.json(service.get(auth.caller(req), edgeId(req.params.id)));
  });

  api.delete(
    "/api/edges/:id",
    {
      summary: "Remove an edge (operator): the NATS server refuses its key from now on",
      tag: "fleet",
      auth: "admin",
    },
    (req, res) => {
      service.delete(auth.caller(req), edgeId(req.params.id));
      res.status(204).end();
    },
  );

  for (const f of forwarded) {
    api.post(
      `/api/edges/:id${f.path}`,
      {
        summary: `${f.summary} (answered as POST ${f.to} at the edge)`,
        tag: "fleet",
        auth: "admin",
        body: forwardedBody,
      },
      async (req, res, body) => {
        const reply = await service.forward(auth.caller(req), edgeId(req.params.id), {
          method: "POST",
          path: f.to,
          body,
        });
        res.status(reply.status).json(reply.body);
      },
    );
  }

  api.post(
    "/api/edges/:id/cameras",
    {
      summary: "Register a camera at the edge's school: its source stays at the edge, the hub relays it",
      tag: "fleet",
      auth: "admin",
      body: cameraCreateSchema.omit({ schoolId: true }),
      returns: { status: 201, description: "The hub's camera" },
    },
    async (req, res, body) => {
      res.status(201).json(await service.registerCamera(auth.caller(req), edgeId(req.params.id), body));
    },
  );

  api.get(
    "/api/edges/:id/cameras",
    {
      summary: "The edge's cameras as its heartbeat says them, each with atHub: whether the hub has it",
      tag: "fleet",
      auth: "admin",
    },
    (req, res) => {
      res.json({ cameras: service.edgeCameras(auth.caller(req), edgeId(req.params.id)) });
    },
  );

  api.post(
    "/api/edges/:id/cameras/:cameraId/adopt",
    {
      summary:
        "Adopt a camera the edge already has (registered there while it ran standalone): the hub makes its " +
        "record from the edge's, in the classroom given; the source and password stay at the edge",
      tag: "fleet",
      auth: "admin",
      body: edgeCameraAdoptSchema,
      returns: { status: 201, description: "The hub's camera" },
    },
    async (req, res, body) => {
      res
        .status(201)
        .json(
          await service.adoptCamera(
            auth.caller(req),
            edgeId(req.params.id),
            pathId(req.params.cameraId, "camera"),
            body,
          ),
        );
    },
  );
  return api;
}
