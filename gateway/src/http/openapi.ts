import { z } from "zod";
import type { DocumentedRoute } from "./api-router.js";

const errorSchema = {
  type: "object",
  required: ["error"],
  properties: {
    error: {
      type: "object",
      required: ["code", "message"],
      properties: { code: { type: "string" }, message: { type: "string" }, field: { type: "string" } },
    },
  },
};

function jsonSchema(schema: z.ZodType): unknown {
  // "input": what a client sends (defaults optional); unrepresentable refinements become plain types.
  return z.toJSONSchema(schema, { io: "input", unrepresentable: "any", target: "draft-2020-12" });
}

/** The OpenAPI 3.1 document, built from the same zod schemas that validate each request. */
export function openApiDocument(
  routes: readonly DocumentedRoute[],
  version: string,
): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const { method, path, doc } of routes) {
    const params = [...path.matchAll(/:([A-Za-z]+)/g)].map((m) => ({
      name: m[1],
      in: "path",
      required: true,
      schema: { type: "string" },
    }));
    const query = doc.query
      ? Object.entries(doc.query.shape).map(([name, s]) => ({
          name,
          in: "query",
          required: !(s as z.ZodType).safeParse(undefined).success,
          schema: jsonSchema(s as z.ZodType),
        }))
      : [];
    const op: Record<string, unknown> = {
      summary: doc.summary,
      tags: [doc.tag],
      security: doc.auth === "admin" ? [{ session: [] }] : doc.auth === "device" ? [{ device: [] }] : [],
      parameters: [...params, ...query],
      responses: {
        [String(doc.returns?.status ?? 200)]: {
          description: doc.returns?.description ?? "OK",
          ...(doc.returns?.type !== undefined && { content: { [doc.returns.type]: {} } }),
        },
        "4XX": {
          description: "Refused; the code says why",
          content: { "application/json": { schema: errorSchema } },
        },
      },
    };
    if (doc.body) {
      op.requestBody = { required: true, content: { "application/json": { schema: jsonSchema(doc.body) } } };
    } else if (doc.bodyType !== undefined) {
      op.requestBody = { required: true, content: { [doc.bodyType]: { schema: { type: "string" } } } };
    }
    const key = path.replace(/:([A-Za-z]+)/g, "{$1}");
    (paths[key] ??= {})[method] = op;
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "Pantau gateway API",
      version,
      description:
        "School CCTV gateway. Admin routes need the session cookie from POST /api/auth/login; guardian routes " +
        "the device cookie set by GET /a/{linkToken}. Errors are {error: {code, message, field?}}.",
    },
    components: {
      securitySchemes: {
        session: { type: "apiKey", in: "cookie", name: "pantau_session" },
        device: { type: "apiKey", in: "cookie", name: "pantau_device" },
      },
    },
    paths,
  };
}
