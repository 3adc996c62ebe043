// native/copy.c — crifs's faithful tree copier (src/copy/): what Node's fs cannot do, and the copy loop.
//
//   copyTree(src, dest, {mode})   copies the tree at src into a new dir dest (which must not exist), as one
//                                 napi_async_work (a libuv pool thread): one depth-first walk with openat/
//                                 getdents64/fstatat relative to directory fds, names as bytes, never following a
//                                 symlink (O_NOFOLLOW, AT_SYMLINK_NOFOLLOW) and never entering another filesystem
//                                 (a mount point inside src is left out with a warning).
//   copyNode(src, dest, mode)     one entry (the merged-view stream of src/copy/copy-entries.ts), synchronous;
//                                 a directory gets everything but its times (set after its contents: setTimes).
//   setTimes(path, a_s, a_ns, m_s, m_ns)   utimensat(AT_SYMLINK_NOFOLLOW).
//   listXattrs(path)              [[name, value], …] of a path, not following a symlink (src/copy/manifest.ts).
//   syncFs(path)                  syncfs(2): a copy made durable before it is renamed into place.
//
// Per entry, in this order (each later step would undo an earlier one otherwise):
//   content    regular file: FICLONE (reflink, auto), else the data runs of SEEK_DATA/SEEK_HOLE copied with
//              copy_file_range (pread/pwrite where the kernel refuses it) and ftruncate to the size, so holes
//              stay holes; hardlink mode: link() to the source inode and nothing else (the inode is shared: a
//              chown or utimes here would change the source) — for symlinks, devices, fifos and sockets too,
//              as `cp -al` does (made anew, as below, only where the kernel refuses the link with EPERM)
//   others     mkdir (0700 until its contents are in), symlinkat (target bytes as read), mknodat for char and
//              block devices (0/0: overlay whiteouts), fifos and sockets
//   owner      fchown / fchownat(AT_SYMLINK_NOFOLLOW) — before the mode, since chown clears setuid/setgid
//   mode       fchmod (setuid, setgid, sticky kept); symlinks have none
//   xattrs     every name listed (trusted.overlay.*, security.capability — which chown clears, hence after it —,
//              system.posix_acl_*), copied by fd, or for symlinks and devices by /proc/self/fd/<dir>/<name>
//   times      atime and mtime to the nanosecond; a directory's after its contents
// Hard-link groups: a non-directory with nlink > 1 is copied once; its (dev, ino) maps to the first copy's path
// and the next names are link()ed to it (open addressing table, grows at 1/2 load).
//
// Errors stop the copy and reject with an Error carrying errno, code, op and rel (the entry's path in the tree,
// as a Buffer: names are bytes). Warnings (a socket cannot be made, a mount point left out) are data.
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <node_api.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/xattr.h>
#include <unistd.h>

#define DENTS_SIZE (32 * 1024)
#define COPY_BUF (256 * 1024)
/* Bound on nesting: each level holds two fds and a listing buffer. */
#define MAX_DEPTH 4096

enum mode { M_COPY = 0, M_REFLINK = 1, M_AUTO = 2, M_HARDLINK = 3 };

typedef struct {
  uint64_t dev, ino;
  char *rel; /* NULL: empty slot */
} hl_t;

typedef struct {
  char *data;
  size_t len, cap;
} buf_t;

typedef struct {
  /* inputs */
  char *src, *dest;
  int mode;
  /* state */
  int try_clone;  /* auto: 1 until FICLONE says the filesystem has none */
  int no_cfr;     /* copy_file_range refused: pread/pwrite from then on */
  dev_t root_dev;
  int dest_root;  /* fd of dest, for linkat of hard-link groups */
  hl_t *hl;
  size_t hl_cap, hl_len;
  char *buf;      /* COPY_BUF for pread/pwrite */
  char *xnames, *xval;
  size_t xnames_cap, xval_cap;
  buf_t rel;      /* the current entry's path in the tree, "a/b/c", NUL-terminated */
  char target[PATH_MAX + 1];
  /* stats */
  double dirs, files, symlinks, specials, sockets, hardlinks, bytes, reflinked;
  /* warnings: rel NUL message NUL, back to back */
  buf_t warns;
  /* the error that stopped the copy */
  int err;
  char op[320];
  char *err_rel;
  /* napi */
  napi_async_work work;
  napi_deferred deferred;
} copy_t;

static int buf_put(buf_t *b, const char *s, size_t n) {
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + n + 1) cap *= 2;
    char *d = realloc(b->data, cap);
    if (!d) return -1;
    b->data = d;
    b->cap = cap;
  }
  memcpy(b->data + b->len, s, n);
  b->len += n;
  b->data[b->len] = 0;
  return 0;
}

/* Records the error (the first one only) with the current entry's path; returns -1. */
static int fail(copy_t *c, int err, const char *fmt, const char *arg) {
  if (c->err) return -1;
  c->err = err ? err : EIO;
  snprintf(c->op, sizeof c->op, fmt, arg ? arg : "");
  c->err_rel = strdup(c->rel.data ? c->rel.data : "");
  return -1;
}

static void warn(copy_t *c, const char *msg) {
  const char *r = c->rel.data ? c->rel.data : "";
  buf_put(&c->warns, r, strlen(r) + 1); /* keeps the NUL: the record separator */
  buf_put(&c->warns, msg, strlen(msg) + 1);
}

/* ---------- hard-link groups ---------- */

static size_t hl_slot(hl_t *v, size_t cap, uint64_t dev, uint64_t ino) {
  uint64_t h = (ino * 0x9E3779B97F4A7C15ull) ^ (dev * 0xC2B2AE3D27D4EB4Full);
  size_t i = (size_t)(h ^ (h >> 29)) & (cap - 1);
  while (v[i].rel && !(v[i].dev == dev && v[i].ino == ino)) i = (i + 1) & (cap - 1);
  return i;
}

/* The first copy's path of (dev, ino), or NULL after recording rel as that first copy. -1 on no memory. */
static const char *hl_first(copy_t *c, uint64_t dev, uint64_t ino, int *oom) {
  if ((c->hl_len + 1) * 2 > c->hl_cap) {
    size_t cap = c->hl_cap ? c->hl_cap * 2 : 1024;
    hl_t *v = calloc(cap, sizeof *v);
    if (!v) {
      *oom = 1;
      return NULL;
    }
    for (size_t i = 0; i < c->hl_cap; i++)
      if (c->hl[i].rel) v[hl_slot(v, cap, c->hl[i].dev, c->hl[i].ino)] = c->hl[i];
    free(c->hl);
    c->hl = v;
    c->hl_cap = cap;
  }
  size_t i = hl_slot(c->hl, c->hl_cap, dev, ino);
  if (c->hl[i].rel) return c->hl[i].rel;
  char *r = strdup(c->rel.data);
  if (!r) {
    *oom = 1;
    return NULL;
  }
  c->hl[i] = (hl_t){dev, ino, r};
  c->hl_len++;
  return NULL;
}

/* ---------- xattrs ---------- */

static int grow(char **p, size_t *cap, size_t need) {
  if (need <= *cap) return 0;
  size_t n = *cap ? *cap : 4096;
  while (n < need) n *= 2;
  char *d = realloc(*p, n);
  if (!d) return -1;
  *p = d;
  *cap = n;
  return 0;
}

/* Copies every xattr from (sfd or spath) to (dfd or dpath): by fd when the fds are >= 0, else by path with
 * the l* calls (symlinks, devices). */
static int copy_xattrs(copy_t *c, int sfd, const char *spath, int dfd, const char *dpath) {
  ssize_t n;
  /* a zero-size buffer would make the calls below answer the size needed instead of the names */
  if (grow(&c->xnames, &c->xnames_cap, 4096) || grow(&c->xval, &c->xval_cap, 4096))
    return fail(c, ENOMEM, "cannot list the xattrs", NULL);
  for (;;) {
    n = sfd >= 0 ? flistxattr(sfd, c->xnames, c->xnames_cap) : llistxattr(spath, c->xnames, c->xnames_cap);
    if (n >= 0) break;
    if (errno == ENOTSUP || errno == ENODATA) return 0; /* the source fs has none */
    if (errno != ERANGE) return fail(c, errno, "cannot list the xattrs", NULL);
    ssize_t need = sfd >= 0 ? flistxattr(sfd, NULL, 0) : llistxattr(spath, NULL, 0);
    if (need < 0 || grow(&c->xnames, &c->xnames_cap, (size_t)need + 1)) return fail(c, ENOMEM, "cannot list the xattrs", NULL);
  }
  for (ssize_t off = 0; off < n;) {
    const char *name = c->xnames + off;
    off += (ssize_t)strlen(name) + 1;
    ssize_t v;
    for (;;) {
      v = sfd >= 0 ? fgetxattr(sfd, name, c->xval, c->xval_cap) : lgetxattr(spath, name, c->xval, c->xval_cap);
      if (v >= 0) break;
      if (errno == ENODATA) break; /* removed meanwhile */
      if (errno != ERANGE) return fail(c, errno, "cannot read xattr %s", name);
      ssize_t need = sfd >= 0 ? fgetxattr(sfd, name, NULL, 0) : lgetxattr(spath, name, NULL, 0);
      if (need < 0 || grow(&c->xval, &c->xval_cap, (size_t)need + 1)) return fail(c, ENOMEM, "cannot read xattr %s", name);
    }
    if (v < 0) continue;
    int r = dfd >= 0 ? fsetxattr(dfd, name, c->xval, (size_t)v, 0) : lsetxattr(dpath, name, c->xval, (size_t)v, 0);
    if (r != 0) return fail(c, errno, "cannot set xattr %s in the copy", name);
  }
  return 0;
}

/* ---------- content ---------- */

static int copy_range(copy_t *c, int in, int out, off_t off, off_t len) {
  off_t end = off + len;
  while (!c->no_cfr && off < end) {
    loff_t oi = off, oo = off;
    ssize_t n = copy_file_range(in, &oi, out, &oo, (size_t)(end - off), 0);
    if (n > 0) {
      off += n;
      continue;
    }
    if (n == 0) return 0; /* the file shrank */
    if (errno == EINTR) continue;
    if (errno == EXDEV || errno == ENOSYS || errno == EINVAL || errno == EOPNOTSUPP || errno == EBADF) {
      c->no_cfr = 1;
      break;
    }
    return fail(c, errno, "cannot copy the content", NULL);
  }
  while (off < end) {
    size_t want = (size_t)(end - off) < COPY_BUF ? (size_t)(end - off) : COPY_BUF;
    ssize_t n = pread(in, c->buf, want, off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail(c, errno, "cannot read the content", NULL);
    }
    if (n == 0) return 0;
    for (ssize_t w = 0; w < n;) {
      ssize_t k = pwrite(out, c->buf + w, (size_t)(n - w), off + w);
      if (k < 0) {
        if (errno == EINTR) continue;
        return fail(c, errno, "cannot write the copy", NULL);
      }
      w += k;
    }
    off += n;
  }
  return 0;
}

/* The content of in into the new empty file out: a reflink where asked and possible, else the data runs. */
static int copy_content(copy_t *c, int in, int out, const struct stat *st, int *reflinked) {
  *reflinked = 0;
  if (st->st_size == 0) return 0;
  if (c->mode == M_REFLINK || (c->mode == M_AUTO && c->try_clone)) {
    if (ioctl(out, FICLONE, in) == 0) {
      *reflinked = 1;
      return 0;
    }
    int e = errno;
    if (c->mode == M_REFLINK) return fail(c, e, "cannot reflink (FICLONE) the file", NULL);
    if (e == EOPNOTSUPP || e == ENOTTY || e == EXDEV || e == EINVAL || e == ENOSYS) c->try_clone = 0;
    else return fail(c, e, "cannot reflink (FICLONE) the file", NULL);
  }
  /* sparse: fewer blocks than the size needs; copy only the data runs */
  if ((off_t)st->st_blocks * 512 < st->st_size) {
    off_t pos = 0;
    for (;;) {
      off_t d = lseek(in, pos, SEEK_DATA);
      if (d < 0) {
        if (errno == ENXIO) break; /* only a hole follows */
        if (errno == EINVAL || errno == EOPNOTSUPP) return copy_range(c, in, out, 0, st->st_size);
        return fail(c, errno, "cannot find the data of the sparse file", NULL);
      }
      off_t h = lseek(in, d, SEEK_HOLE);
      if (h < 0) return fail(c, errno, "cannot find the holes of the sparse file", NULL);
      if (copy_range(c, in, out, d, h - d)) return -1;
      pos = h;
      if (pos >= st->st_size) break;
    }
    if (ftruncate(out, st->st_size) != 0) return fail(c, errno, "cannot set the size of the copy", NULL);
    return 0;
  }
  return copy_range(c, in, out, 0, st->st_size);
}

/* ---------- entries ---------- */

static void times_of(const struct stat *st, struct timespec ts[2]) {
  ts[0] = st->st_atim;
  ts[1] = st->st_mtim;
}

/* Owner, mode and xattrs of an open file or dir (dst), from its source (src). */
static int meta_fd(copy_t *c, int src, int dst, const struct stat *st) {
  if (fchown(dst, st->st_uid, st->st_gid) != 0) return fail(c, errno, "cannot set the owner of the copy", NULL);
  if (fchmod(dst, st->st_mode & 07777) != 0) return fail(c, errno, "cannot set the mode of the copy", NULL);
  return copy_xattrs(c, src, NULL, dst, NULL);
}

/* Owner, mode (not of a symlink), xattrs and times of a name that is not opened (symlinks, devices, fifos). */
static int meta_path(copy_t *c, int sfd, const char *sname, int dfd, const char *dname, const struct stat *st) {
  if (fchownat(dfd, dname, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) != 0)
    return fail(c, errno, "cannot set the owner of the copy", NULL);
  if (!S_ISLNK(st->st_mode) && fchmodat(dfd, dname, st->st_mode & 07777, 0) != 0)
    return fail(c, errno, "cannot set the mode of the copy", NULL);
  char sp[PATH_MAX + 64], dp[PATH_MAX + 64];
  if (sfd == AT_FDCWD) snprintf(sp, sizeof sp, "%s", sname);
  else snprintf(sp, sizeof sp, "/proc/self/fd/%d/%s", sfd, sname);
  if (dfd == AT_FDCWD) snprintf(dp, sizeof dp, "%s", dname);
  else snprintf(dp, sizeof dp, "/proc/self/fd/%d/%s", dfd, dname);
  if (copy_xattrs(c, -1, sp, -1, dp)) return -1;
  struct timespec ts[2];
  times_of(st, ts);
  if (utimensat(dfd, dname, ts, AT_SYMLINK_NOFOLLOW) != 0) return fail(c, errno, "cannot set the times of the copy", NULL);
  return 0;
}

static int open_source(int sfd, const char *name, int flags) {
  int fd = openat(sfd, name, flags | O_NOATIME | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0 && errno == EPERM) fd = openat(sfd, name, flags | O_NOFOLLOW | O_CLOEXEC);
  return fd;
}

/* A regular file (not a second name of a hard-link group). */
static int copy_file(copy_t *c, int sfd, const char *name, int dfd, const char *dname, const struct stat *st) {
  if (c->mode == M_HARDLINK) {
    if (linkat(sfd, name, dfd, dname, 0) != 0) return fail(c, errno, "cannot hard-link the file", NULL);
    c->files++;
    return 0;
  }
  int in = open_source(sfd, name, O_RDONLY);
  if (in < 0) return fail(c, errno, "cannot open the file", NULL);
  int out = openat(dfd, dname, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (out < 0) {
    close(in);
    return fail(c, errno, "cannot create the copy", NULL);
  }
  int reflinked = 0;
  int r = copy_content(c, in, out, st, &reflinked);
  if (r == 0) r = meta_fd(c, in, out, st);
  if (r == 0) {
    struct timespec ts[2];
    times_of(st, ts);
    if (futimens(out, ts) != 0) r = fail(c, errno, "cannot set the times of the copy", NULL);
  }
  close(in);
  if (close(out) != 0 && r == 0) r = fail(c, errno, "cannot write the copy", NULL);
  if (r == 0) {
    c->files++;
    c->bytes += (double)st->st_size;
    if (reflinked) c->reflinked += (double)st->st_size;
  }
  return r;
}

/* Counts a symlink, device, fifo or socket made (or linked). */
static void count_special(copy_t *c, mode_t mode) {
  if (S_ISLNK(mode)) c->symlinks++;
  else if (S_ISSOCK(mode)) c->sockets++;
  else c->specials++;
}

static int copy_special(copy_t *c, int sfd, const char *name, int dfd, const char *dname, const struct stat *st) {
  /* hardlink mode: one linkat, as `cp -al` does, instead of making the entry anew and setting its owner,
   * xattrs and times (4-5 more calls); the entry shares the source's inode like the files do. EPERM (a
   * non-root caller under fs.protected_hardlinks) makes it anew as below. */
  if (c->mode == M_HARDLINK) {
    if (linkat(sfd, name, dfd, dname, 0) == 0) {
      count_special(c, st->st_mode);
      return 0;
    }
    if (errno != EPERM) return fail(c, errno, "cannot hard-link the entry", NULL);
  }
  if (S_ISLNK(st->st_mode)) {
    ssize_t n = readlinkat(sfd, name, c->target, PATH_MAX);
    if (n < 0) return fail(c, errno, "cannot read the symlink", NULL);
    c->target[n] = 0;
    if (symlinkat(c->target, dfd, dname) != 0) return fail(c, errno, "cannot make the symlink", NULL);
    count_special(c, st->st_mode);
  } else {
    if (mknodat(dfd, dname, (st->st_mode & S_IFMT) | 0600, st->st_rdev) != 0) {
      if (S_ISSOCK(st->st_mode) && (errno == EPERM || errno == EOPNOTSUPP)) {
        warn(c, "a socket: not copied (this filesystem cannot hold one)");
        return 0;
      }
      return fail(c, errno, "cannot make the device, fifo or socket", NULL);
    }
    count_special(c, st->st_mode);
  }
  return meta_path(c, sfd, name, dfd, dname, st);
}

static int copy_dir(copy_t *c, int sfd, int dfd, unsigned depth);

/* One entry of the dir sfd (name) as dname in dfd; st is its lstat. */
static int copy_entry(copy_t *c, int sfd, const char *name, int dfd, const struct stat *st, unsigned depth) {
  if (S_ISDIR(st->st_mode)) {
    if (st->st_dev != c->root_dev) {
      warn(c, "a mount point: left out (crifs clone copies one filesystem)");
      return 0;
    }
    if (depth >= MAX_DEPTH) return fail(c, ELOOP, "cannot enter the dir: deeper than %s levels", "4096");
    if (mkdirat(dfd, name, 0700) != 0) return fail(c, errno, "cannot make the dir", NULL);
    int s = open_source(sfd, name, O_RDONLY | O_DIRECTORY);
    if (s < 0) return fail(c, errno, "cannot open the dir", NULL);
    int d = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (d < 0) {
      close(s);
      return fail(c, errno, "cannot open the copy of the dir", NULL);
    }
    int r = copy_dir(c, s, d, depth + 1);
    if (r == 0) r = meta_fd(c, s, d, st);
    if (r == 0) {
      struct timespec ts[2];
      times_of(st, ts);
      if (futimens(d, ts) != 0) r = fail(c, errno, "cannot set the times of the copy", NULL);
    }
    close(s);
    close(d);
    if (r == 0) c->dirs++;
    return r;
  }
  if (st->st_nlink > 1) {
    int oom = 0;
    const char *first = hl_first(c, st->st_dev, st->st_ino, &oom);
    if (oom) return fail(c, ENOMEM, "cannot remember the hard-link group", NULL);
    if (first) {
      if (linkat(c->dest_root, first, dfd, name, 0) != 0) return fail(c, errno, "cannot link the copy to %s", first);
      c->hardlinks++;
      return 0;
    }
  }
  if (S_ISREG(st->st_mode)) return copy_file(c, sfd, name, dfd, name, st);
  return copy_special(c, sfd, name, dfd, name, st);
}

static int copy_dir(copy_t *c, int sfd, int dfd, unsigned depth) {
  char *dents = malloc(DENTS_SIZE);
  if (!dents) return fail(c, ENOMEM, "cannot list the dir", NULL);
  size_t base = c->rel.len;
  int r = 0;
  for (;;) {
    long n = syscall(SYS_getdents64, sfd, dents, DENTS_SIZE);
    if (n < 0) {
      r = fail(c, errno, "cannot list the dir", NULL);
      break;
    }
    if (n == 0) break;
    for (long off = 0; off < n && r == 0;) {
      struct dirent64 *e = (struct dirent64 *)(dents + off);
      off += e->d_reclen;
      const char *name = e->d_name;
      if (name[0] == '.' && (name[1] == 0 || (name[1] == '.' && name[2] == 0))) continue;
      c->rel.len = base;
      if ((base > 0 && buf_put(&c->rel, "/", 1)) || buf_put(&c->rel, name, strlen(name))) {
        r = fail(c, ENOMEM, "cannot list the dir", NULL);
        break;
      }
      struct stat st;
      if (fstatat(sfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
        r = fail(c, errno, "cannot stat the entry", NULL);
        break;
      }
      r = copy_entry(c, sfd, name, dfd, &st, depth);
    }
    if (r) break;
  }
  c->rel.len = base;
  if (c->rel.data) c->rel.data[base] = 0;
  free(dents);
  return r;
}

/* ---------- napi: copyTree ---------- */

static void tree_execute(napi_env env, void *data) {
  copy_t *c = data;
  buf_put(&c->rel, "", 0);
  c->buf = malloc(COPY_BUF);
  if (!c->buf) {
    fail(c, ENOMEM, "cannot start the copy", NULL);
    return;
  }
  struct stat st;
  int s = open(c->src, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (s < 0 || fstat(s, &st) != 0) {
    fail(c, errno, "cannot open the source dir", NULL);
    if (s >= 0) close(s);
    return;
  }
  c->root_dev = st.st_dev;
  if (mkdir(c->dest, 0700) != 0) {
    fail(c, errno, "cannot make the copy's dir", NULL);
    close(s);
    return;
  }
  int d = open(c->dest, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (d < 0) {
    fail(c, errno, "cannot open the copy's dir", NULL);
    close(s);
    return;
  }
  c->dest_root = d;
  if (copy_dir(c, s, d, 0) == 0 && meta_fd(c, s, d, &st) == 0) {
    struct timespec ts[2];
    times_of(&st, ts);
    if (futimens(d, ts) != 0) fail(c, errno, "cannot set the times of the copy", NULL);
    else c->dirs++;
  }
  close(s);
  close(d);
}

static void set_num(napi_env env, napi_value o, const char *k, double v) {
  napi_value x;
  napi_create_double(env, v, &x);
  napi_set_named_property(env, o, k, x);
}

static napi_value make_error(napi_env env, int err, const char *op, const char *rel) {
  napi_value msg, e, v;
  char text[512];
  snprintf(text, sizeof text, "%s: %s", op, strerror(err));
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &msg);
  napi_create_error(env, NULL, msg, &e);
  const char *name = strerrorname_np(err);
  napi_create_string_utf8(env, name ? name : "EIO", NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, e, "code", v);
  napi_create_int32(env, err, &v);
  napi_set_named_property(env, e, "errno", v);
  napi_create_string_utf8(env, op, NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, e, "op", v);
  napi_create_buffer_copy(env, strlen(rel), rel, NULL, &v);
  napi_set_named_property(env, e, "rel", v);
  return e;
}

static void free_copy(copy_t *c) {
  for (size_t i = 0; i < c->hl_cap; i++) free(c->hl[i].rel);
  free(c->hl);
  free(c->buf);
  free(c->xnames);
  free(c->xval);
  free(c->rel.data);
  free(c->warns.data);
  free(c->err_rel);
  free(c->src);
  free(c->dest);
  free(c);
}

static void tree_complete(napi_env env, napi_status status, void *data) {
  copy_t *c = data;
  if (c->err) {
    napi_reject_deferred(env, c->deferred, make_error(env, c->err, c->op, c->err_rel ? c->err_rel : ""));
  } else {
    napi_value o, arr;
    napi_create_object(env, &o);
    set_num(env, o, "dirs", c->dirs);
    set_num(env, o, "files", c->files);
    set_num(env, o, "symlinks", c->symlinks);
    set_num(env, o, "specials", c->specials);
    set_num(env, o, "sockets", c->sockets);
    set_num(env, o, "hardlinks", c->hardlinks);
    set_num(env, o, "bytes", c->bytes);
    set_num(env, o, "reflinkedBytes", c->reflinked);
    napi_create_array(env, &arr);
    uint32_t k = 0;
    for (size_t off = 0; off < c->warns.len;) {
      const char *rel = c->warns.data + off;
      size_t rl = strlen(rel);
      const char *msg = rel + rl + 1;
      size_t ml = strlen(msg);
      napi_value pair, r, m;
      napi_create_array_with_length(env, 2, &pair);
      napi_create_buffer_copy(env, rl, rel, NULL, &r);
      napi_create_string_utf8(env, msg, ml, &m);
      napi_set_element(env, pair, 0, r);
      napi_set_element(env, pair, 1, m);
      napi_set_element(env, arr, k++, pair);
      off += rl + 1 + ml + 1;
    }
    napi_set_named_property(env, o, "warnings", arr);
    napi_resolve_deferred(env, c->deferred, o);
  }
  napi_delete_async_work(env, c->work);
  free_copy(c);
}

/* A path argument as bytes: a Buffer as it is (fsPath() of a name that is not UTF-8), a string as UTF-8. */
static char *get_path(napi_env env, napi_value v) {
  bool is_buffer = false;
  size_t len = 0;
  if (napi_is_buffer(env, v, &is_buffer) == napi_ok && is_buffer) {
    void *data;
    if (napi_get_buffer_info(env, v, &data, &len) != napi_ok || len == 0 || memchr(data, 0, len)) return NULL;
    char *s = malloc(len + 1);
    if (!s) return NULL;
    memcpy(s, data, len);
    s[len] = 0;
    return s;
  }
  if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok || len == 0) return NULL;
  char *s = malloc(len + 1);
  if (!s) return NULL;
  napi_get_value_string_utf8(env, v, s, len + 1, &len);
  if (strlen(s) != len) {
    free(s);
    return NULL;
  }
  return s;
}

static int get_mode(napi_env env, napi_value v) {
  uint32_t m = 99;
  if (napi_get_value_uint32(env, v, &m) != napi_ok || m > M_HARDLINK) return -1;
  return (int)m;
}

/* The (src, dest, mode) of copyTree and copyNode as a new copy_t, or NULL with a JS error thrown. */
static copy_t *copy_args(napi_env env, napi_callback_info info, const char *who) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  char msg[96];
  copy_t *c = calloc(1, sizeof *c);
  if (!c) {
    snprintf(msg, sizeof msg, "%s: out of memory", who);
    napi_throw_error(env, NULL, msg);
    return NULL;
  }
  c->src = argc > 0 ? get_path(env, argv[0]) : NULL;
  c->dest = argc > 1 ? get_path(env, argv[1]) : NULL;
  c->mode = argc > 2 ? get_mode(env, argv[2]) : -1;
  if (!c->src || !c->dest || c->mode < 0) {
    free_copy(c);
    snprintf(msg, sizeof msg, "%s(src, dest, mode): two paths and a mode 0-3", who);
    napi_throw_type_error(env, NULL, msg);
    return NULL;
  }
  c->try_clone = 1;
  c->dest_root = -1;
  return c;
}

/* copyTree(src, dest, mode): Promise<stats>; mode 0 copy, 1 reflink, 2 auto, 3 hardlink. */
static napi_value copy_tree(napi_env env, napi_callback_info info) {
  napi_value promise;
  copy_t *c = copy_args(env, info, "copyTree");
  if (!c) return NULL;
  napi_create_promise(env, &c->deferred, &promise);
  napi_value name;
  napi_create_string_utf8(env, "crifs-copy", NAPI_AUTO_LENGTH, &name);
  napi_create_async_work(env, NULL, name, tree_execute, tree_complete, c, &c->work);
  napi_queue_async_work(env, c->work);
  return promise;
}

/* ---------- napi: one entry at a time ---------- */

/* copyNode(src, dest, mode): [type (S_IFMT bits), reflinked 0/1, warning or null]; throws like copyTree rejects. A dir is made
 * with owner, mode and xattrs; its times come later (setTimes). */
static napi_value copy_node(napi_env env, napi_callback_info info) {
  copy_t *c = copy_args(env, info, "copyNode");
  if (!c) return NULL;
  buf_put(&c->rel, c->src, strlen(c->src));
  struct stat st;
  int reflinked = 0;
  if (fstatat(AT_FDCWD, c->src, &st, AT_SYMLINK_NOFOLLOW) != 0) {
    fail(c, errno, "cannot stat the entry", NULL);
  } else if (S_ISDIR(st.st_mode)) {
    if (mkdir(c->dest, 0700) != 0) {
      fail(c, errno, "cannot make the dir", NULL);
    } else {
      int s = open_source(AT_FDCWD, c->src, O_RDONLY | O_DIRECTORY);
      int d = open(c->dest, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (s < 0 || d < 0) fail(c, errno, "cannot open the dir", NULL);
      else meta_fd(c, s, d, &st);
      if (s >= 0) close(s);
      if (d >= 0) close(d);
    }
  } else if (S_ISREG(st.st_mode)) {
    c->buf = malloc(COPY_BUF);
    if (!c->buf) fail(c, ENOMEM, "cannot copy the file", NULL);
    else if (copy_file(c, AT_FDCWD, c->src, AT_FDCWD, c->dest, &st) == 0) reflinked = c->reflinked > 0;
  } else {
    copy_special(c, AT_FDCWD, c->src, AT_FDCWD, c->dest, &st);
  }
  napi_value out = NULL;
  if (c->err) {
    napi_throw(env, make_error(env, c->err, c->op, c->src));
  } else {
    napi_value v;
    napi_create_array_with_length(env, 3, &out);
    napi_create_uint32(env, st.st_mode & S_IFMT, &v);
    napi_set_element(env, out, 0, v);
    napi_create_uint32(env, (uint32_t)reflinked, &v);
    napi_set_element(env, out, 1, v);
    if (c->warns.len > 0) napi_create_string_utf8(env, c->warns.data + strlen(c->warns.data) + 1, NAPI_AUTO_LENGTH, &v);
    else napi_get_null(env, &v);
    napi_set_element(env, out, 2, v);
  }
  free_copy(c);
  return out;
}

static int get_i64(napi_env env, napi_value v, int64_t *out) {
  double d;
  if (napi_get_value_double(env, v, &d) != napi_ok) return -1;
  *out = (int64_t)d;
  return 0;
}

/* setTimes(path, atimeSec, atimeNsec, mtimeSec, mtimeNsec): utimensat without following a symlink. */
static napi_value set_times(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int64_t v[4];
  char *p = argc == 5 ? get_path(env, argv[0]) : NULL;
  if (!p || get_i64(env, argv[1], &v[0]) || get_i64(env, argv[2], &v[1]) || get_i64(env, argv[3], &v[2]) ||
      get_i64(env, argv[4], &v[3])) {
    free(p);
    napi_throw_type_error(env, NULL, "setTimes(path, atimeSec, atimeNsec, mtimeSec, mtimeNsec)");
    return NULL;
  }
  struct timespec ts[2] = {{.tv_sec = v[0], .tv_nsec = v[1]}, {.tv_sec = v[2], .tv_nsec = v[3]}};
  if (utimensat(AT_FDCWD, p, ts, AT_SYMLINK_NOFOLLOW) != 0)
    napi_throw(env, make_error(env, errno, "cannot set the times of the copy", p));
  free(p);
  return NULL;
}

/* listXattrs(path): [[name, value Buffer], …] in the order listed, not following a symlink; [] where the fs
 * has none. Throws on another error. */
static napi_value list_xattrs(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], arr;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  char *p = argc == 1 ? get_path(env, argv[0]) : NULL;
  if (!p) {
    napi_throw_type_error(env, NULL, "listXattrs(path)");
    return NULL;
  }
  napi_create_array(env, &arr);
  ssize_t n = llistxattr(p, NULL, 0);
  char *names = NULL, *val = NULL;
  if (n < 0) {
    if (errno != ENOTSUP) napi_throw(env, make_error(env, errno, "cannot list the xattrs", p));
    free(p);
    return arr;
  }
  names = malloc((size_t)n + 1);
  if (n > 0 && names) n = llistxattr(p, names, (size_t)n);
  uint32_t k = 0;
  for (ssize_t off = 0; names && n > 0 && off < n;) {
    const char *name = names + off;
    off += (ssize_t)strlen(name) + 1;
    ssize_t vl = lgetxattr(p, name, NULL, 0);
    if (vl < 0) continue;
    char *nv = realloc(val, (size_t)vl + 1);
    if (!nv) break;
    val = nv;
    vl = lgetxattr(p, name, val, (size_t)vl);
    if (vl < 0) continue;
    napi_value pair, nm, bv;
    napi_create_array_with_length(env, 2, &pair);
    napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &nm);
    napi_create_buffer_copy(env, (size_t)vl, val, NULL, &bv);
    napi_set_element(env, pair, 0, nm);
    napi_set_element(env, pair, 1, bv);
    napi_set_element(env, arr, k++, pair);
  }
  free(names);
  free(val);
  free(p);
  return arr;
}

/* syncFs(path): syncfs(2) of the filesystem that holds path (a copy made durable before it is renamed into
 * place). */
static napi_value sync_fs(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  char *p = argc == 1 ? get_path(env, argv[0]) : NULL;
  if (!p) {
    napi_throw_type_error(env, NULL, "syncFs(path)");
    return NULL;
  }
  int fd = open(p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0 || syncfs(fd) != 0) napi_throw(env, make_error(env, errno, "cannot sync the copy to disk", p));
  if (fd >= 0) close(fd);
  free(p);
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_value fn;
  napi_create_function(env, "syncFs", NAPI_AUTO_LENGTH, sync_fs, NULL, &fn);
  napi_set_named_property(env, exports, "syncFs", fn);
  napi_create_function(env, "copyTree", NAPI_AUTO_LENGTH, copy_tree, NULL, &fn);
  napi_set_named_property(env, exports, "copyTree", fn);
  napi_create_function(env, "copyNode", NAPI_AUTO_LENGTH, copy_node, NULL, &fn);
  napi_set_named_property(env, exports, "copyNode", fn);
  napi_create_function(env, "setTimes", NAPI_AUTO_LENGTH, set_times, NULL, &fn);
  napi_set_named_property(env, exports, "setTimes", fn);
  napi_create_function(env, "listXattrs", NAPI_AUTO_LENGTH, list_xattrs, NULL, &fn);
  napi_set_named_property(env, exports, "listXattrs", fn);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
