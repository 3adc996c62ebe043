// cli/commands/doctor-checks.ts — `crifs doctor --list-checks`: every check doctor runs, in its order, with
// its summary, the runtimes whose stores it checks and what it reads. Reads no store.

import { checks } from "../../checks/index.js";
import { type ListingView, renderListing } from "../render/format.js";

/** JSON contract: docs/json.md#doctor---list-checks (schema doctorChecks). */
export function checkRows() {
  return checks.map((c) => ({
    id: c.id,
    summary: c.summary,
    runtimes: [...c.runtimes],
    needs: [...c.needs],
  }));
}

export function listChecksCommand(view: ListingView): string {
  return renderListing(
    view,
    checkRows(),
    {
      check: (r) => r.id,
      runtimes: (r) => r.runtimes.join(","),
      summary: (r) => r.summary,
    },
    { id: (r) => r.id },
  );
}
