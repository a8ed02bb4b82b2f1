import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";

// The school's area (kecamatan), by which the Diskominfo dashboard filters: stored, changed, shown, and a
// bad one refused naming the field with nothing changed.

let gw: TestGateway;

beforeAll(async () => {
  gw = await startTestGateway();
});

afterAll(async () => {
  await gw.close();
});

describe("school area", () => {
  it("is empty by default, set at creation, changed by PATCH, and refused with markup", async () => {
    const plain = (await gw.admin.expect(201, "POST", "/api/schools", { name: "SD Tanpa Area" })) as {
      area: string;
    };
    expect(plain.area).toBe("");
    const s = (await gw.admin.expect(201, "POST", "/api/schools", {
      name: "SD Negeri 3 Sukajadi",
      area: "  Kecamatan Sukajadi ",
    })) as { id: string; area: string };
    expect(s.area).toBe("Kecamatan Sukajadi");
    const moved = (await gw.admin.expect(200, "PATCH", `/api/schools/${s.id}`, { area: "Cidadap" })) as {
      area: string;
    };
    expect(moved.area).toBe("Cidadap");

    const bad = await gw.admin.patch(`/api/schools/${s.id}`, { area: "<b>Cidadap</b>" });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error: { field: "area" } });
    const badNew = await gw.admin.post("/api/schools", { name: "SD Lain", area: "x".repeat(101) });
    expect(badNew.status).toBe(400);
    expect(badNew.body).toMatchObject({ error: { field: "area" } });

    const listed = (await gw.admin.expect(200, "GET", "/api/schools")) as {
      schools: { id: string; name: string; area: string }[];
    };
    expect(listed.schools.find((x) => x.id === s.id)?.area).toBe("Cidadap");
    expect(listed.schools.some((x) => x.name === "SD Lain")).toBe(false);
    const cleared = (await gw.admin.expect(200, "PATCH", `/api/schools/${s.id}`, { area: "" })) as {
      area: string;
    };
    expect(cleared.area).toBe("");
  });
});
