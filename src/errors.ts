// errors.ts — the one error type crifs throws on purpose, its closed set of codes and their exit codes.
// Decoders throw with an offset, adapters add the path once, cli/main.ts prints one line.

export type ErrorCode = "usage" | "not-found" | "permission" | "corrupt" | "busy" | "unsafe" | "unsupported";

/** Exit code per error code. 1 and 2 are kept for doctor (warnings, errors). */
export const exitCodes: Record<ErrorCode, number> = {
  usage: 64,
  "not-found": 66,
  permission: 77,
  corrupt: 65,
  busy: 75,
  unsafe: 73,
  unsupported: 69,
};

export interface CrifsErrorOptions {
  /** The file or directory the problem is about; printed first. */
  path?: string;
  /** What the user should do; printed as a hint. */
  remedy?: string;
  cause?: unknown;
}

export class CrifsError extends Error {
  readonly code: ErrorCode;
  readonly path: string | undefined;
  readonly remedy: string | undefined;

  constructor(code: ErrorCode, message: string, options: CrifsErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "CrifsError";
    this.code = code;
    this.path = options.path;
    this.remedy = options.remedy;
  }

  /** A copy that names `path` (when none is named yet) and keeps everything else. */
  withPath(path: string): CrifsError {
    if (this.path !== undefined) return this;
    return new CrifsError(this.code, this.message, {
      path,
      ...(this.remedy === undefined ? {} : { remedy: this.remedy }),
      cause: this,
    });
  }

  /** One line: `<path>: <message> (hint: <remedy>)`. */
  oneLine(): string {
    const head = this.path === undefined ? this.message : `${this.path}: ${this.message}`;
    return this.remedy === undefined ? head : `${head} (hint: ${this.remedy})`;
  }
}

/** Node's errno codes in words, for messages a person reads. */
export function errnoWords(code: string | undefined): string {
  switch (code) {
    case "ENOENT":
      return "no such file or directory";
    case "EACCES":
    case "EPERM":
      return "permission denied";
    case "ELOOP":
      return "too many levels of symbolic links";
    case "ENOTDIR":
      return "not a directory";
    case "EISDIR":
      return "is a directory";
    case "EIO":
      return "input/output error";
    case "ENAMETOOLONG":
      return "file name too long";
    case "ENOSPC":
      return "no space left on device";
    case "EDQUOT":
      return "disk quota exceeded";
    case "EROFS":
      return "read-only file system";
    default:
      return code === undefined ? "unknown error" : code.toLowerCase();
  }
}

/** Turns an fs error into a CrifsError that names the path and says what to do. */
export function fromFsError(err: unknown, path: string, verb = "read"): CrifsError {
  if (err instanceof CrifsError) return err.withPath(path);
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const words = errnoWords(code);
  if (code === "ENOENT" || code === "ENOTDIR") {
    return new CrifsError("not-found", `cannot ${verb}: ${words}`, {
      path,
      remedy: "check --root/--state/--config, or that the runtime has ever run on this host",
      cause: err,
    });
  }
  if (code === "EACCES" || code === "EPERM") {
    return new CrifsError("permission", `cannot ${verb}: ${words}`, {
      path,
      remedy: "run crifs as root (the runtimes' stores are root-only)",
      cause: err,
    });
  }
  return new CrifsError("corrupt", `cannot ${verb}: ${words}`, { path, cause: err });
}
