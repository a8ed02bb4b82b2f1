import { managesSchool, pausesClassroom, seesClassroom, seesSchool } from "../access/permissions.js";
import type { UnitOfWork } from "../audit/unit-of-work.js";
import type { ClassroomRepository } from "../schools/classroom.repository.js";
import {
  classroomCreateSchema,
  classroomPatchSchema,
  pauseSchema,
  schoolCreateSchema,
  schoolPatchSchema,
  type Classroom,
} from "../schools/school.js";
import type { SchoolRepository } from "../schools/school.repository.js";
import { emptySchedule, scheduleSchema, viewingState } from "../schools/schedule.js";
import { actorOf, type AdminAuth } from "./admin-auth.js";
import { ApiRouter } from "./api-router.js";
import { forbidden, notFound } from "../common/errors.js";
import { pathId } from "./errors.js";

/** Schools, classrooms, schedules and privacy pauses; each admin sees and changes only their own scope. */
export function schoolRoutes(
  schools: SchoolRepository,
  classrooms: ClassroomRepository,
  auth: AdminAuth,
  work: UnitOfWork,
  now: () => number = Date.now,
): ApiRouter {
  const api = new ApiRouter(auth);

  const schoolFor = (raw: unknown, can: (schoolId: string) => boolean) => {
    const school = schools.get(pathId(raw, "school"));
    if (!school || !can(school.id)) throw notFound("school");
    return school;
  };

  /** A classroom with its viewing state now; a list passes its school's zone rather than reading it per room. */
  const withState = (c: Classroom, tz = schools.get(c.schoolId)?.timeZone ?? "Asia/Jakarta") => {
    const v = viewingState(c.schedule, c.pause, tz, new Date(now()));
    return {
      ...c,
      viewing: {
        open: v.open,
        reason: v.reason ?? null,
        nextOpenAt: v.nextOpenAt?.toISOString() ?? null,
        closesAt: v.closesAt?.toISOString() ?? null,
      },
    };
  };

  api.get("/api/schools", { summary: "Schools you can see", tag: "schools", auth: "admin" }, (req, res) => {
    const { user } = auth.require(req);
    res.json({ schools: schools.list().filter((s) => seesSchool(user, s.id)) });
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
      const s = auth.require(req);
      if (s.user.role !== "operator") throw forbidden("only an operator adds schools");
      const school = work.apply(
        actorOf(req, s),
        (r: ReturnType<typeof schools.create>) => ({
          schoolId: r.id,
          action: "school.create",
          targetKind: "school",
          targetId: r.id,
          detail: { name: r.name },
        }),
        () => schools.create(body),
      );
      res.status(201).json(school);
    },
  );

  api.get("/api/schools/:id", { summary: "One school", tag: "schools", auth: "admin" }, (req, res) => {
    const { user } = auth.require(req);
    res.json(schoolFor(req.params.id, (id) => seesSchool(user, id)));
  });

  api.patch(
    "/api/schools/:id",
    { summary: "Change a school", tag: "schools", auth: "admin", body: schoolPatchSchema },
    (req, res, body) => {
      const s = auth.require(req);
      const school = schoolFor(req.params.id, (id) => seesSchool(s.user, id));
      if (!managesSchool(s.user, school.id)) throw forbidden();
      const updated = work.apply(
        actorOf(req, s),
        {
          schoolId: school.id,
          action: "school.update",
          targetKind: "school",
          targetId: school.id,
          detail: { ...body },
        },
        () => schools.update(school.id, body),
      );
      res.json(updated);
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
      const s = auth.require(req);
      const school = schoolFor(req.params.id, (id) => seesSchool(s.user, id));
      if (s.user.role !== "operator") throw forbidden("only an operator removes schools");
      work.apply(
        actorOf(req, s),
        {
          schoolId: school.id,
          action: "school.delete",
          targetKind: "school",
          targetId: school.id,
          detail: { name: school.name },
        },
        () => {
          schools.delete(school.id);
        },
      );
      res.status(204).end();
    },
  );

  api.get(
    "/api/schools/:id/classrooms",
    { summary: "Classrooms of a school, with their viewing state", tag: "classrooms", auth: "admin" },
    (req, res) => {
      const { user } = auth.require(req);
      const school = schoolFor(req.params.id, (id) => seesSchool(user, id));
      res.json({
        classrooms: classrooms
          .list(school.id)
          .filter((c) => seesClassroom(user, c))
          .map((c) => withState(c, school.timeZone)),
      });
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
      const s = auth.require(req);
      const school = schoolFor(req.params.id, (id) => seesSchool(s.user, id));
      if (!managesSchool(s.user, school.id)) throw forbidden();
      const room = work.apply(
        actorOf(req, s),
        (r: Classroom) => ({
          schoolId: school.id,
          action: "classroom.create",
          targetKind: "classroom",
          targetId: r.id,
          detail: { name: r.name },
        }),
        () => classrooms.create(school.id, body.name, body.schedule ?? emptySchedule),
      );
      res.status(201).json(withState(room));
    },
  );

  const classroomFor = (raw: unknown, user: Parameters<typeof seesClassroom>[0]) => {
    const room = classrooms.get(pathId(raw, "classroom"));
    if (!room || !seesClassroom(user, room)) throw notFound("classroom");
    return room;
  };

  api.patch(
    "/api/classrooms/:id",
    { summary: "Rename a classroom", tag: "classrooms", auth: "admin", body: classroomPatchSchema },
    (req, res, body) => {
      const s = auth.require(req);
      const room = classroomFor(req.params.id, s.user);
      if (!managesSchool(s.user, room.schoolId)) throw forbidden();
      const updated = work.apply(
        actorOf(req, s),
        {
          schoolId: room.schoolId,
          action: "classroom.update",
          targetKind: "classroom",
          targetId: room.id,
          detail: { ...body },
        },
        () => (body.name === undefined ? room : classrooms.rename(room.id, body.name)),
      );
      res.json(withState(updated));
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
      const s = auth.require(req);
      const room = classroomFor(req.params.id, s.user);
      if (!managesSchool(s.user, room.schoolId)) throw forbidden();
      work.apply(
        actorOf(req, s),
        {
          schoolId: room.schoolId,
          action: "classroom.delete",
          targetKind: "classroom",
          targetId: room.id,
          detail: { name: room.name },
        },
        () => {
          classrooms.delete(room.id);
        },
      );
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
      const s = auth.require(req);
      const room = classroomFor(req.params.id, s.user);
      if (!managesSchool(s.user, room.schoolId)) throw forbidden();
      const updated = work.apply(
        actorOf(req, s),
        {
          schoolId: room.schoolId,
          action: "classroom.schedule",
          targetKind: "classroom",
          targetId: room.id,
          detail: { ...body },
        },
        () => classrooms.setSchedule(room.id, body),
      );
      res.json(withState(updated));
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
      const s = auth.require(req);
      const room = classroomFor(req.params.id, s.user);
      if (!pausesClassroom(s.user, room)) throw forbidden();
      const until = body.minutes === undefined ? null : new Date(now() + body.minutes * 60_000);
      const updated = work.apply(
        actorOf(req, s),
        {
          schoolId: room.schoolId,
          action: "classroom.pause",
          targetKind: "classroom",
          targetId: room.id,
          detail: { until: until?.toISOString() ?? null },
        },
        () => classrooms.pause(room.id, until, s.user.username),
      );
      res.json(withState(updated));
    },
  );

  api.delete(
    "/api/classrooms/:id/pause",
    { summary: "Lift a privacy pause", tag: "classrooms", auth: "admin" },
    (req, res) => {
      const s = auth.require(req);
      const room = classroomFor(req.params.id, s.user);
      if (!pausesClassroom(s.user, room)) throw forbidden();
      const updated = work.apply(
        actorOf(req, s),
        { schoolId: room.schoolId, action: "classroom.resume", targetKind: "classroom", targetId: room.id },
        () => classrooms.resume(room.id),
      );
      res.json(withState(updated));
    },
  );

  return api;
}
