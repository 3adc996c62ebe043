import assert from "node:assert/strict";
import { test } from "node:test";
import { scenario } from "./testing.js";
import { unreadablePath } from "./unreadable-path.js";

test("read errors met while gathering become warnings, one per path", () => {
  const input = {
    ...scenario().input(),
    readErrors: [{ path: "/r/tmpmounts", message: "cannot list directory: permission denied" }],
  };
  assert.deepEqual(
    unreadablePath.run(input).map((f) => `${f.severity} ${f.path} ${f.message}`),
    ["warning /r/tmpmounts cannot list directory: permission denied"],
  );
});
