// cli/completion.ts — `crifs completion bash|zsh`: shell completion scripts made from the command definitions
// (cli/program.ts, commander) at the time they are printed, so a command added there completes without an edit
// here: its name, its options (and their values where they are choices or paths) and its arguments. What
// comes from the store (container ids, snapshot keys, image names, pod ids, namespaces) the script asks
// `crifs __complete <kind> <prefix>` for, passing on the store flags already on the command line.
//
// An argument's kind is read from its name in program.ts: <container> container ids and names; <ref> those,
// snapshot keys and image names; <object> snapshot keys; <pod> pod ids and names; <dir>, <file> this host's paths.

import type { Argument, Command, Option } from "commander";
import type { Store } from "../model/store.js";

/** What an argument or an option's value completes to. */
type ValueKind =
  | { readonly kind: "words"; readonly words: readonly string[] }
  | { readonly kind: "store"; readonly what: StoreKind }
  | { readonly kind: "file" }
  | { readonly kind: "none" };

export type StoreKind = "container" | "ref" | "snapshot" | "image" | "pod" | "namespace";
export const storeKinds: readonly StoreKind[] = ["container", "ref", "snapshot", "image", "pod", "namespace"];

const ARGUMENT_KINDS: Readonly<Record<string, StoreKind>> = {
  container: "container",
  ref: "ref",
  object: "snapshot",
  pod: "pod",
  image: "image",
  snapshot: "snapshot",
};

/** The global flags that say which store to read: passed on to `__complete`. */
const STORE_FLAGS = ["--runtime", "--root", "--state", "--config", "--host-root", "-n", "--namespace"];

interface CommandSpec {
  /** "crifs", "crifs snapshots", "crifs snapshots tree". */
  readonly path: string;
  readonly subcommands: readonly string[];
  /** alias → name of each subcommand that has aliases. */
  readonly aliases: Readonly<Record<string, string>>;
  readonly options: readonly string[];
  /** Each option that takes a value (both spellings), with what the value completes to. */
  readonly values: ReadonlyMap<string, ValueKind>;
  readonly args: readonly ValueKind[];
}

function isHidden(c: Command): boolean {
  return (c as unknown as { _hidden?: boolean })._hidden === true || c.name().startsWith("__");
}

function optionValue(o: Option): ValueKind {
  if (o.argChoices !== undefined) return { kind: "words", words: o.argChoices };
  if (o.long === "--namespace") return { kind: "store", what: "namespace" };
  if (/<(dir|file|socket|path|unix:\/\/path)>/.test(o.flags)) return { kind: "file" };
  return { kind: "none" };
}

function argumentValue(a: Argument): ValueKind {
  if (a.argChoices !== undefined) return { kind: "words", words: a.argChoices };
  const what = ARGUMENT_KINDS[a.name()];
  if (what !== undefined) return { kind: "store", what };
  if (/^(dir|file)$/.test(a.name())) return { kind: "file" };
  return { kind: "none" };
}

/** Every visible command under `root`, depth first, as the scripts need it. */
export function commandSpecs(root: Command): CommandSpec[] {
  const out: CommandSpec[] = [];
  const visit = (c: Command, path: string) => {
    const subs = c.commands.filter((s) => !isHidden(s));
    const options: string[] = [];
    const values = new Map<string, ValueKind>();
    for (const o of c.options) {
      if (o.hidden) continue;
      const names = [o.short, o.long].filter((n): n is string => n !== undefined);
      options.push(...names);
      if (o.required || o.optional) for (const n of names) values.set(n, optionValue(o));
    }
    options.push("--help");
    out.push({
      path,
      subcommands: subs.flatMap((s) => [s.name(), ...s.aliases()]),
      aliases: Object.fromEntries(subs.flatMap((s) => s.aliases().map((a) => [a, s.name()] as const))),
      options,
      values,
      args: c.registeredArguments.map(argumentValue),
    });
    for (const s of subs) visit(s, `${path} ${s.name()}`);
  };
  visit(root, root.name());
  return out;
}

/** A shell word in single quotes. */
function q(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/** The tables both scripts read, as `name key value …` triples: one assignment per table. */
function tables(specs: readonly CommandSpec[]): Record<string, [string, string][]> {
  const t: Record<string, [string, string][]> = {
    subs: [],
    alias: [],
    opts: [],
    vopt: [],
    arg: [],
  };
  const value = (v: ValueKind) =>
    v.kind === "words" ? `w:${v.words.join(" ")}` : v.kind === "store" ? `s:${v.what}` : v.kind;
  for (const s of specs) {
    t.subs?.push([s.path, s.subcommands.join(" ")]);
    for (const [a, n] of Object.entries(s.aliases)) t.alias?.push([`${s.path} ${a}`, n]);
    t.opts?.push([s.path, s.options.join(" ")]);
    for (const [o, v] of s.values) t.vopt?.push([`${s.path}|${o}`, value(v)]);
    s.args.forEach((v, i) => {
      t.arg?.push([`${s.path}|${i}`, value(v)]);
    });
  }
  return t;
}

/** `crifs completion bash`: a script for bash 4+ (`source <(crifs completion bash)`). */
export function bashCompletion(root: Command): string {
  const name = root.name();
  const t = tables(commandSpecs(root));
  const decls = Object.entries(t)
    .map(
      ([k, rows]) =>
        `declare -gA _${name}_${k}=(\n${rows.map(([a, b]) => `  [${q(a)}]=${q(b)}`).join("\n")}\n)`,
    )
    .join("\n");
  return `# ${name} completion for bash, made by \`${name} completion bash\` from ${name}'s command definitions.
# Load it with: source <(${name} completion bash)   (or save it in /etc/bash_completion.d/${name})
${decls}

_${name}_complete() {
  local line=\${COMP_LINE:0:COMP_POINT} cur words=() store=() path=${name} prev="" npos=0 i w f n
  cur=\${line##*[[:space:]]}
  read -ra words <<<"$line"
  [[ -n $cur ]] && unset 'words[\${#words[@]}-1]'
  n=\${#words[@]}
  for ((i = 1; i < n; i++)); do
    w=\${words[i]}
    if [[ $w == -* ]]; then
      f=\${w%%=*}
      local key="$path|$f"
      [[ -v _${name}_vopt[$key] ]] || key="${name}|$f"
      if [[ $w == *=* ]]; then
        [[ " ${STORE_FLAGS.join(" ")} " == *" $f "* ]] && store+=("$f" "\${w#*=}")
      elif [[ -v _${name}_vopt[$key] ]]; then
        if ((i + 1 < n)); then
          [[ " ${STORE_FLAGS.join(" ")} " == *" $f "* ]] && store+=("$f" "\${words[i + 1]}")
          ((i++))
        else
          prev=$key
        fi
      fi
      continue
    fi
    if ((npos == 0)) && [[ " \${_${name}_subs[$path]} " == *" $w "* ]]; then
      [[ -v _${name}_alias["$path $w"] ]] && w=\${_${name}_alias["$path $w"]}
      path="$path $w"
    else
      ((npos++))
    fi
  done
  local want=""
  if [[ -n $prev ]]; then
    want=\${_${name}_vopt[$prev]}
  elif [[ $cur == -* ]]; then
    want="w:\${_${name}_opts[$path]} \${_${name}_opts[${name}]}"
  elif ((npos == 0)) && [[ -n \${_${name}_subs[$path]} ]]; then
    want="w:\${_${name}_subs[$path]}"
  else
    want=\${_${name}_arg["$path|$npos"]}
  fi
  COMPREPLY=()
  case $want in
  w:*) mapfile -t COMPREPLY < <(compgen -W "\${want#w:}" -- "$cur") ;;
  s:*) mapfile -t COMPREPLY < <(compgen -W "$("\${words[0]}" "\${store[@]}" __complete "\${want#s:}" "$cur" 2>/dev/null)" -- "$cur") ;;
  file) mapfile -t COMPREPLY < <(compgen -f -- "$cur") ;;
  esac
  # bash splits words at ':' (COMP_WORDBREAKS): the reply replaces only what follows the last one
  if [[ $cur == *:* && $COMP_WORDBREAKS == *:* ]]; then
    local colon=\${cur%"\${cur##*:}"}
    COMPREPLY=("\${COMPREPLY[@]#"$colon"}")
  fi
}
complete -o default -F _${name}_complete ${name}
`;
}

/** `crifs completion zsh`: a script for zsh with compinit (`source <(crifs completion zsh)`, or saved as
 * _crifs in a dir of $fpath). */
export function zshCompletion(root: Command): string {
  const name = root.name();
  const t = tables(commandSpecs(root));
  const decls = Object.entries(t)
    .map(
      ([k, rows]) =>
        `typeset -gA _${name}_${k}\n_${name}_${k}=(\n${rows.map(([a, b]) => `  ${q(a)} ${q(b)}`).join("\n")}\n)`,
    )
    .join("\n");
  return `#compdef ${name}
# ${name} completion for zsh, made by \`${name} completion zsh\` from ${name}'s command definitions.
# Load it with: source <(${name} completion zsh)   (after compinit), or save it as _${name} in a dir of $fpath
${decls}

_${name}() {
  local path_=${name} prev="" npos=0 i w f key want
  local -a store
  for ((i = 2; i < CURRENT; i++)); do
    w=\${words[i]}
    if [[ $w == -* ]]; then
      f=\${w%%=*}
      key="$path_|$f"
      (( \${+_${name}_vopt[$key]} )) || key="${name}|$f"
      if [[ $w == *=* ]]; then
        [[ " ${STORE_FLAGS.join(" ")} " == *" $f "* ]] && store+=("$f" "\${w#*=}")
      elif (( \${+_${name}_vopt[$key]} )); then
        if ((i + 1 < CURRENT)); then
          [[ " ${STORE_FLAGS.join(" ")} " == *" $f "* ]] && store+=("$f" "\${words[i + 1]}")
          ((i++))
        else
          prev=$key
        fi
      fi
      continue
    fi
    if ((npos == 0)) && [[ " \${_${name}_subs[$path_]} " == *" $w "* ]]; then
      (( \${+_${name}_alias[$path_ $w]} )) && w=\${_${name}_alias[$path_ $w]}
      path_="$path_ $w"
    else
      ((npos++))
    fi
  done
  if [[ -n $prev ]]; then
    want=\${_${name}_vopt[$prev]}
  elif [[ $PREFIX == -* ]]; then
    want="w:\${_${name}_opts[$path_]} \${_${name}_opts[${name}]}"
  elif ((npos == 0)) && [[ -n \${_${name}_subs[$path_]} ]]; then
    want="w:\${_${name}_subs[$path_]}"
  else
    want=\${_${name}_arg[$path_|$npos]}
  fi
  case $want in
  w:*) compadd -- \${=want#w:} ;;
  s:*) compadd -- \${(f)"$(\${words[1]} "\${store[@]}" __complete "\${want#s:}" "$PREFIX" 2>/dev/null)"} ;;
  file) _files ;;
  *) _default ;;
  esac
}

if [[ "\${funcstack[1]}" == "_${name}" ]]; then
  _${name} "$@"
else
  compdef _${name} ${name}
fi
`;
}

/** `crifs __complete <kind> <prefix>`: the store's values of `kind` that start with `prefix`, one a line,
 * sorted. Metadata only (no walk, no doctor); nothing at all when no store is found. */
export function completeValues(stores: readonly Store[], what: StoreKind, prefix: string): string {
  const out = new Set<string>();
  const add = (v: string | undefined) => {
    if (v !== undefined && v !== "" && v.startsWith(prefix) && !/[\s\p{Cc}]/u.test(v)) out.add(v);
  };
  for (const s of stores) {
    if (what === "container" || what === "ref") {
      for (const c of s.containers) {
        add(c.id);
        for (const n of c.names ?? []) add(n);
      }
    }
    if (what === "snapshot" || what === "ref") for (const x of s.snapshots) add(x.key);
    if (what === "image" || what === "ref") for (const i of s.images) add(i.name);
    if (what === "pod") {
      for (const p of s.pods ?? []) {
        add(p.id);
        add(p.podName);
      }
    }
    if (what === "namespace") for (const n of s.namespaces) add(n.name);
  }
  return [...out]
    .sort()
    .map((v) => `${v}\n`)
    .join("");
}
