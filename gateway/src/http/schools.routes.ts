import {
  classroomCreateSchema,
  classroomPatchSchema,
  pauseSchema,
  schoolCreateSchema,
  schoolPatchSchema,
} from "../schools/school.js";
import type { SchoolService } from "../schools/school.service.js";
import { scheduleSchema } from "../schools/schedule.js";
import type { AdminAuth } from "./admin-auth.js";
import { ApiRouter } from "./api-router.js";
import { pathId } from "./errors.js";

/** Schools, classrooms, schedules and privacy pauses (SchoolService decides who sees and changes what). */
export function schoolRoutes(service: SchoolService, auth: AdminAuth): ApiRouter {
  const api = new ApiRouter(auth);
  const schoolId = (raw: unknown) => pathId(raw, "school");
  const classroomId = (raw: unknown) => pathId(raw, "classroom");

  api.get("/api/schools", { summary: "Schools you can see", tag: "schools", auth: "admin" }, (req, res) => {
    res.json({ schools: service.list(auth.caller(req)) });
  });

  api.post(
    "/api/schools",
    {
      summary: "Add a school (operator)",
      tag: "schools",
      auth: "admin",
      body: schoolCreateSchema,
      returns: { status: 201, description: "Created" },
    },
    (req, res, body) => {
      res.status(201).json(service.create(auth.caller(req), body));
    },
  );

  api.get("/api/schools/:id", { summary: "One school", tag: "schools", auth: "admin" }, (req, res) => {
    const caller = auth.caller(req);
    res.json(service.get(caller, schoolId(req.params.id)));
  });

  api.patch(
    "/api/schools/:id",
    { summary: "Change a school", tag: "schools", auth: "admin", body: schoolPatchSchema },
    (req, res, body) => {
      const caller = auth.caller(req);
      res.json(service.update(caller, schoolId(req.params.id), body));
    },
  );

  api.delete(
    "/api/schools/:id",
    {
      summary: "Remove an empty school (operator)",
      tag: "schools",
      auth: "admin",
      returns: { status: 204, description: "Removed" },
    },
    (req, res) => {
      const caller = auth.caller(req);
      service.delete(caller, schoolId(req.params.id));
      res.status(204).end();
    },
  );

  api.get(
    "/api/schools/:id/classrooms",
    { summary: "Classrooms of a school, with their viewing state", tag: "classrooms", auth: "admin" },
    (req, res) => {
      const caller = auth.caller(req);
      res.json({ classrooms: service.classroomsOf(caller, schoolId(req.params.id)) });
    },
  );

  api.post(
    "/api/schools/:id/classrooms",
    {
      summary: "Add a classroom",
      tag: "classrooms",
      auth: "admin",
      body: classroomCreateSchema,
      returns: { status: 201, description: "Created" },
    },
    (req, res, body) => {
      const caller = auth.caller(req);
      res.status(201).json(service.addClassroom(caller, schoolId(req.params.id), body));
    },
  );

  api.patch(
    "/api/classrooms/:id",
    { summary: "Rename a classroom", tag: "classrooms", auth: "admin", body: classroomPatchSchema },
    (req, res, body) => {
      const caller = auth.caller(req);
      res.json(service.renameClassroom(caller, classroomId(req.params.id), body));
    },
  );

  api.delete(
    "/api/classrooms/:id",
    {
      summary: "Remove a classroom without cameras or guardians",
      tag: "classrooms",
      auth: "admin",
      returns: { status: 204, description: "Removed" },
    },
    (req, res) => {
      const caller = auth.caller(req);
      service.deleteClassroom(caller, classroomId(req.params.id));
      res.status(204).end();
    },
  );

  api.put(
    "/api/classrooms/:id/schedule",
    {
      summary: "Set the weekly viewing windows and holidays",
      tag: "classrooms",
      auth: "admin",
      body: scheduleSchema,
    },
    (req, res, body) => {
      const caller = auth.caller(req);
      res.json(service.setSchedule(caller, classroomId(req.params.id), body));
    },
  );

  api.post(
    "/api/classrooms/:id/pause",
    {
      summary: "Pause a classroom for privacy (N minutes, or until lifted)",
      tag: "classrooms",
      auth: "admin",
      body: pauseSchema,
    },
    (req, res, body) => {
      const caller = auth.caller(req);
      res.json(service.pause(caller, classroomId(req.params.id), body.minutes));
    },
  );

  api.delete(
    "/api/classrooms/:id/pause",
    { summary: "Lift a privacy pause", tag: "classrooms", auth: "admin" },
    (req, res) => {
      const caller = auth.caller(req);
      res.json(service.resume(caller, classroomId(req.params.id)));
    },
  );

  return api;
}
