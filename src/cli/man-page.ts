// cli/man-page.ts — docs/man/crifs.1, made from the command definitions (cli/program.ts) and the examples
// (cli/examples.ts): `crifs __man > docs/man/crifs.1` writes it, and man-page.test.ts fails when the file
// is not what the definitions make. No date and no version in it, so that it changes only with the commands.

import type { Command, Option } from "commander";
import { examples } from "./examples.js";

/** Text as roff reads it: backslashes doubled, a leading dot or quote escaped, dashes as \-. */
function roff(s: string): string {
  return s
    .replaceAll("\\", "\\e")
    .replaceAll("-", "\\-")
    .replace(/^([.'])/gm, "\\&$1");
}

function optionItem(o: Option): string {
  return `.TP\n.B ${roff(o.flags)}\n${roff(o.description)}${
    o.argChoices === undefined ? "" : ` (${roff(o.argChoices.join(", "))})`
  }\n`;
}

function isHidden(c: Command): boolean {
  return (c as unknown as { _hidden?: boolean })._hidden === true || c.name().startsWith("__");
}

function usageOf(c: Command, prefix: string): string {
  const args = c.registeredArguments.map((a) => (a.required ? `<${a.name()}>` : `[${a.name()}]`));
  return [prefix, c.name(), c.options.length > 0 ? "[options]" : "", ...args]
    .filter((x) => x !== "")
    .join(" ");
}

/** The man page of `root` (the program of cli/program.ts). */
export function manPage(root: Command): string {
  const name = root.name();
  let out = `.\\" ${name}(1): made by \`${name} __man\` from the command definitions; do not edit
.TH ${name.toUpperCase()} 1 "" "${name}" "User Commands"
.SH NAME
${name} \\- ${roff(root.description())}
.SH SYNOPSIS
.B ${name}
[global options] <command> [options] [arguments]
.SH GLOBAL OPTIONS
`;
  for (const o of root.options) if (!o.hidden) out += optionItem(o);
  out += ".SH COMMANDS\n";
  const visit = (c: Command, prefix: string) => {
    for (const s of c.commands) {
      if (isHidden(s)) continue;
      const aliases = s.aliases().length > 0 ? ` (alias: ${s.aliases().join(", ")})` : "";
      out += `.SS ${roff(usageOf(s, prefix))}\n${roff(s.description())}${roff(aliases)}\n`;
      for (const a of s.registeredArguments) {
        const choices = a.argChoices === undefined ? "" : ` (${a.argChoices.join(", ")})`;
        out += `.TP\n.I ${roff(a.name())}\n${roff(`${a.description}${choices}`)}\n`;
      }
      for (const o of s.options) if (!o.hidden) out += optionItem(o);
      visit(s, `${prefix} ${s.name()}`);
    }
  };
  visit(root, name);
  out += ".SH EXAMPLES\n";
  for (const e of examples) out += `.TP\n.B ${roff(e.line)}\n${roff(e.comment)}\n`;
  out += `.SH ENVIRONMENT
.TP
.B CONTAINER_RUNTIME_ENDPOINT, CONTAINERD_ADDRESS
the runtime's socket when \\-\\-address is not given (before /etc/crictl.yaml), as crictl and ctr take them
.TP
.B CONTAINERD_NAMESPACE
the namespace when \\-n is not given, as ctr takes it
.TP
.B XDG_CACHE_HOME
where the scan cache is kept (default /var/cache/crifs as root)
.TP
.B NO_COLOR
${name} prints no colour in any case
.SH EXIT STATUS
0 success; doctor: 1 warnings, 2 errors; 64 usage, 65 corrupt data, 66 not found, 69 unsupported, 70 internal
error, 73 unsafe, 75 busy, 77 permission denied; 141 when the reader of the output went away.
.SH SEE ALSO
README.md and docs/json.md in the ${name} package.
`;
  return out;
}
