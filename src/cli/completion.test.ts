import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { Command } from "commander";
import { bashCompletion, commandSpecs, zshCompletion } from "./completion.js";
import { program } from "./program.js";

test("a command added to the program completes without an edit: its name, options, choices and argument kind", () => {
  const p = program(() => {});
  p.command("clone-test")
    .argument("<container>")
    .option("--to <dir>", "where")
    .option("--mode <m>", "how")
    .action(() => {});
  const specs = commandSpecs(p);
  const root = specs.find((s) => s.path === "crifs");
  assert.ok(root?.subcommands.includes("clone-test"));
  assert.ok(!root?.subcommands.includes("__complete"), "hidden commands are not offered");
  const mine = specs.find((s) => s.path === "crifs clone-test");
  assert.deepEqual(mine?.args, [{ kind: "store", what: "container" }]);
  assert.deepEqual(mine?.values.get("--to"), { kind: "file" });
  assert.ok(bashCompletion(p).includes("['crifs clone-test']="));
  // -o's choices come from its definition, whatever they are
  const output = p.options.find((o) => o.long === "--output");
  assert.ok(output?.argChoices?.includes("json"));
  assert.deepEqual(root?.values.get("-o"), { kind: "words", words: output?.argChoices });
});

test("the bash script parses in bash, and the zsh script in zsh when zsh is installed", () => {
  const p = program(() => {});
  const bash = spawnSync("bash", ["-n"], { input: bashCompletion(p), encoding: "utf8" });
  assert.equal(bash.status, 0, bash.stderr);
  const zsh = spawnSync("zsh", ["-n"], { input: zshCompletion(p), encoding: "utf8" });
  if (zsh.error === undefined) assert.equal(zsh.status, 0, zsh.stderr);
});

test("bash completes a subcommand, an option's choices and a path-less line from the tables alone", () => {
  const script = bashCompletion(
    new Command("crifs").addCommand(new Command("snapshots").addCommand(new Command("tree"))),
  );
  const run = (line: string) =>
    spawnSync(
      "bash",
      [
        "-c",
        `${script}\nCOMP_LINE=${JSON.stringify(line)}; COMP_POINT=\${#COMP_LINE}; _crifs_complete; printf '%s\\n' "\${COMPREPLY[@]}"`,
      ],
      { encoding: "utf8" },
    ).stdout;
  assert.equal(run("crifs snap"), "snapshots\n");
  assert.equal(run("crifs snapshots t"), "tree\n");
});
