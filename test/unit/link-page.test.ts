import { describe, expect, it } from "vitest";
import { firstName } from "../../gateway/src/http/viewer.routes.js";

// The link page (GET /a/:linkToken) is fetched by messaging apps' preview bots too: it greets the guardian by
// the first name only, with the honorific a school roster writes before it.
describe("firstName", () => {
  it.each([
    ["Ibu Sari Wulandari", "Ibu Sari"],
    ["Bapak Andi D'Souza", "Bapak Andi"],
    ["Pak Budi", "Pak Budi"],
    ["bu  Rina   Kartika", "bu Rina"],
    ["Hj. Aminah Lubis", "Hj. Aminah"],
    ["Sukarno", "Sukarno"],
    ["Ibu", "Ibu"],
    ["Siti Nurhaliza", "Siti"],
    ["  Wali Demo ", "Wali"],
  ])("%s → %s", (name, expected) => {
    expect(firstName(name)).toBe(expected);
  });
});
