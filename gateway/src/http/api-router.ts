import { Router, type Request, type Response } from "express";
import type { z } from "zod";
import { HttpError } from "../common/errors.js";
import { parseOr400 } from "./errors.js";

/**
 * Who may call a route, as the OpenAPI document says it: an admin sign-in, a guardian device, either
 * ("viewer": whoever may watch), or anyone.
 */
export type RouteAuth = "admin" | "device" | "viewer" | "public";

export interface RouteDoc<B extends z.ZodType | undefined = undefined> {
  summary: string;
  tag: string;
  auth: RouteAuth;
  body?: B;
  /** Query parameters, as an object schema. */
  query?: z.ZodObject;
  /** Media type of a non-JSON body (the CSV import). */
  bodyType?: string;
  /** Success status and what it returns, in a word. */
  returns?: { status: number; description: string; type?: string };
}

type Method = "get" | "post" | "put" | "patch" | "delete";
type Body<B> = B extends z.ZodType ? z.infer<B> : undefined;
type Handler<B> = (req: Request, res: Response, body: Body<B>) => void | Promise<void>;

export interface DocumentedRoute {
  method: Method;
  path: string;
  doc: RouteDoc<z.ZodType | undefined>;
}

/**
 * An express Router whose routes carry their own description: the body schema that validates a request is
 * the one the OpenAPI document shows (GET /api/openapi.json), so the two cannot drift apart.
 */
export class ApiRouter {
  readonly router = Router();
  readonly routes: DocumentedRoute[] = [];

  /** `signIn` gates "admin" routes before their body is read: a stranger hears 401, not which field is wrong. */
  constructor(private readonly signIn?: { require(req: Request): unknown }) {}

  get(path: string, doc: RouteDoc, handler: Handler<undefined>): void {
    this.add("get", path, doc, handler);
  }
  post<B extends z.ZodType | undefined = undefined>(
    path: string,
    doc: RouteDoc<B>,
    handler: Handler<B>,
  ): void {
    this.add("post", path, doc, handler);
  }
  put<B extends z.ZodType | undefined = undefined>(
    path: string,
    doc: RouteDoc<B>,
    handler: Handler<B>,
  ): void {
    this.add("put", path, doc, handler);
  }
  patch<B extends z.ZodType | undefined = undefined>(
    path: string,
    doc: RouteDoc<B>,
    handler: Handler<B>,
  ): void {
    this.add("patch", path, doc, handler);
  }
  delete(path: string, doc: RouteDoc, handler: Handler<undefined>): void {
    this.add("delete", path, doc, handler);
  }

  private add<B extends z.ZodType | undefined>(
    method: Method,
    path: string,
    doc: RouteDoc<B>,
    handler: Handler<B>,
  ): void {
    this.routes.push({ method, path, doc });
    this.router[method](path, async (req: Request, res: Response) => {
      if (doc.auth === "admin") this.signIn?.require(req);
      // A body the JSON parser skipped (text/plain, a form) would otherwise be validated as {}: an empty
      // patch, or a pause until lifted. req.is is null when there is no body at all, which stays {}.
      if (doc.body !== undefined && req.is("application/json") === false) {
        throw new HttpError(415, "unsupported_media_type", "send the body as application/json");
      }
      const body = (doc.body === undefined ? undefined : parseOr400(doc.body, req.body ?? {})) as Body<B>;
      await handler(req, res, body);
    });
  }
}
