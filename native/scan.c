// native/scan.c — crifs's native scanner: walks whole trees with N pthreads and aggregates in C.
//
// One call, `scan(roots, options)`, returns a promise. It runs as one napi_async_work; its execute callback
// (on a libuv pool thread) starts `threads - 1` extra pthreads and works as the first one itself.
//
//   work list   each thread walks depth-first from its own stack; when another thread is idle it hands all but
//               its next directory to a shared stack (mutex + condvar + busy count); with nothing local or
//               shared, a thread starts the next tree. So threads mostly take whole trees and split the last
//   directory   getdents64 (64 KiB) → fstatat per name; a subdirectory is opened right away from this one
//               (openat of one name, O_NOFOLLOW, then fstat of the fd: one lookup instead of a stat now and
//               a walk of its whole path later), up to a bound on fds held; past it, or when that open
//               fails, it is stat'ed and later opened by openat2(tree root fd, rel, RESOLVE_NO_SYMLINKS).
//               (Opening an automount point would trigger it, where a stat does not; it is then skipped by
//               the device check like any mount point. Runtime stores hold none.)
//   per thread  usage per tree for directories and single-link inodes; a list of (dev, ino, tree, sizes) of
//               the non-directories with nlink > 1, as met (no set: one name of an inode or many, they are
//               counted once later); symlink and error records in byte buffers
//   files       with `files: true`, each regular file's (dev, ino, nlink, size, allocated) and path in the
//               tree, for links --shared (src/links/layer-files.ts): one fstatat each, as du, in C
//   merge       after the join the threads' lists are grouped per tree. `merge` (below, called from
//               src/fs/walk.ts) then gives each multi-link inode to the first tree in the given order, so
//               cached trees and walked trees go through the same accounting
//
// The JS values are created only in the complete callback. Per-directory errors are data, not exceptions.
// Names are bytes here. A name handed to JS carries them exactly, as src/fs/name-codec.ts's decodeName does:
// valid UTF-8 as the text it spells, each byte that is not part of valid UTF-8 as U+DC80+byte (surrogateescape;
// make_name below). Pure ASCII, the common case, takes the latin1 path with no copy or allocation.
// Roots may come as Buffers (a root whose name is not UTF-8).
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <linux/openat2.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <node_api.h>
#include <pthread.h>
#include <sys/xattr.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "link-index.h"
#include "list.h"
#include "rename.h"
#include "utf8.h"

#define DENTS_SIZE (64 * 1024)
#define MAX_THREADS 64
#define PROGRESS_STRIDE 8 /* doubles per thread in the progress array: 64 bytes, one cache line */
/* Bound on nesting: a bind-mount loop without oneFileSystem would otherwise never end. */
#define MAX_DEPTH 100000
/* Paths longer than this are opened in steps (the kernel refuses paths of PATH_MAX and more). */
#define OPEN_CHUNK 3072

enum op { OP_LSTAT = 0, OP_OPEN = 1, OP_READDIR = 2, OP_STAT = 3, OP_READLINK = 4, OP_DEPTH = 5 };

typedef struct work {
  struct work *next;
  uint32_t tree;
  uint32_t depth;
  int fd; /* the directory, opened from its parent when it was listed; -1: open it by rel */
  size_t len; /* of rel, without the NUL */
  char rel[]; /* "" for the tree root, else "/a/b" */
} work_t;

typedef struct {
  double alloc, apparent, inodes;
} usage_t;

typedef struct {
  uint64_t dev, ino;
  double alloc, size;
  uint32_t tree;
} ml_t;

typedef struct {
  ml_t *v;
  size_t len, cap;
} mlvec_t;

typedef struct {
  char *data;
  size_t len, cap;
  int failed;
} buf_t;

struct scan;

typedef struct {
  struct scan *s;
  pthread_t thread;
  usage_t *usage; /* per tree */
  mlvec_t ml; /* multi-link inodes as met, in no order; an inode met twice is listed twice */
  buf_t links; /* u32 tree, u32 rel len, u32 target len, rel, target */
  size_t nlinks;
  buf_t errs; /* u32 tree, i32 errno, u32 op, u32 rel len, rel */
  size_t nerrs;
  buf_t files; /* u32 tree, u32 rel len, 5 doubles (dev, ino, nlink, size, allocated), rel */
  double entries, dirs;
  double bytes; /* allocated bytes met so far (an inode with several links once per link): progress only */
  char *dents;
  char *target;
  li_vec_t idx; /* with index: every entry met (link-index.c) */
} worker_t;

typedef struct scan {
  /* inputs */
  uint32_t ntrees;
  char **roots;
  uint64_t *stops; /* dev, ino pairs: directories never entered (other trees' roots) */
  uint32_t nstops;
  int one_fs, want_links, want_usage, want_index, want_files;
  uint32_t nthreads;
  /* the progress option: 8 doubles (a cache line) per thread, the first two its entries and bytes so far,
   * written by that thread only, after each directory, and read by JS on a timer (a Float64Array over a
   * SharedArrayBuffer); a line each, so that one thread's stores do not evict another's line; NULL: none */
  double *progress;
  /* per tree */
  int *rootfd;
  uint64_t *rootdev;
  atomic_uint *pending; /* work items of the tree not yet finished; the root fd closes at 0 */
  /* work list */
  pthread_mutex_t mu;
  pthread_cond_t cv;
  work_t *top;
  uint32_t busy, next_tree;
  atomic_uint waiting; /* threads in cond_wait; read without the lock to decide to share */
  atomic_int held;     /* directory fds held by queued work items, at most max_held */
  int max_held;
  worker_t *workers;
  int oom;
  unsigned char *complete; /* with index: per tree, 0 when part of it was not entered (a mount, a stop) */
  li_index_t *index;
  /* results, made in execute */
  size_t *ml_off; /* per tree, into ml_flat (in entries of 4 doubles), ntrees + 1 */
  double *ml_flat;
  /* napi */
  napi_async_work work;
  napi_deferred deferred;
} scan_t;

static atomic_int no_openat2 = 0;

/* ---------- small containers ---------- */

static int buf_reserve(buf_t *b, size_t extra) {
  if (b->len + extra <= b->cap) return 0;
  size_t cap = b->cap ? b->cap : 4096;
  while (cap < b->len + extra) cap *= 2;
  char *d = realloc(b->data, cap);
  if (!d) {
    b->failed = 1;
    return -1;
  }
  b->data = d;
  b->cap = cap;
  return 0;
}

static void buf_put(buf_t *b, const void *p, size_t n) {
  memcpy(b->data + b->len, p, n);
  b->len += n;
}

/* Appends; -1 when out of memory. Sequential writes: new pages are written before they are read (a page
 * read first would map the shared zero page, and replacing it flushes the other walkers' TLBs). */
static int ml_push(mlvec_t *m, uint64_t dev, uint64_t ino, uint32_t tree, double alloc, double size) {
  if (m->len == m->cap) {
    size_t cap = m->cap ? m->cap * 2 : 4096;
    ml_t *v = realloc(m->v, cap * sizeof(ml_t));
    if (!v) return -1;
    m->v = v;
    m->cap = cap;
  }
  m->v[m->len++] = (ml_t){dev, ino, alloc, size, tree};
  return 0;
}

/* ---------- recording ---------- */

static void add_err(worker_t *w, uint32_t tree, int err, uint32_t op, const char *rel, size_t rlen,
                    const char *name) {
  size_t nlen = name ? strlen(name) : 0;
  size_t plen = rlen + (name ? 1 + nlen : 0);
  if (buf_reserve(&w->errs, 16 + plen) < 0) return;
  uint32_t hdr[4] = {tree, (uint32_t)err, op, (uint32_t)plen};
  buf_put(&w->errs, hdr, sizeof hdr);
  buf_put(&w->errs, rel, rlen);
  if (name) {
    buf_put(&w->errs, "/", 1);
    buf_put(&w->errs, name, nlen);
  }
  w->nerrs++;
}

/* Records the symlink `name` in dirfd; its tree path is rel + "/" + name, or "/" for a tree root (name NULL). */
static void add_link(worker_t *w, uint32_t tree, int dirfd, const char *path, const char *rel, size_t rlen,
                     const char *name) {
  ssize_t tl = readlinkat(dirfd, path, w->target, 4096);
  if (tl < 0) {
    add_err(w, tree, errno, OP_READLINK, rel, rlen, name);
    return;
  }
  size_t nlen = name ? strlen(name) : 0;
  size_t plen = name ? rlen + 1 + nlen : 1;
  if (buf_reserve(&w->links, 12 + plen + (size_t)tl) < 0) return;
  uint32_t hdr[3] = {tree, (uint32_t)plen, (uint32_t)tl};
  buf_put(&w->links, hdr, sizeof hdr);
  if (name) {
    buf_put(&w->links, rel, rlen);
    buf_put(&w->links, "/", 1);
    buf_put(&w->links, name, nlen);
  } else {
    buf_put(&w->links, "/", 1);
  }
  buf_put(&w->links, w->target, (size_t)tl);
  w->nlinks++;
}

/* Records the regular file `name` in rel (the files option). */
static void add_file(worker_t *w, uint32_t tree, const char *rel, size_t rlen, const char *name,
                     const struct stat *st) {
  size_t nlen = strlen(name);
  size_t plen = rlen + 1 + nlen;
  if (buf_reserve(&w->files, 8 + 5 * sizeof(double) + plen) < 0) return;
  uint32_t hdr[2] = {tree, (uint32_t)plen};
  double facts[5] = {(double)st->st_dev, (double)st->st_ino, (double)st->st_nlink, (double)st->st_size,
                     (double)st->st_blocks * 512.0};
  buf_put(&w->files, hdr, sizeof hdr);
  buf_put(&w->files, facts, sizeof facts);
  buf_put(&w->files, rel, rlen);
  buf_put(&w->files, "/", 1);
  buf_put(&w->files, name, nlen);
}

static inline void count_inode(worker_t *w, uint32_t tree, const struct stat *st) {
  usage_t *u = &w->usage[tree];
  w->bytes += (double)st->st_blocks * 512.0;
  u->alloc += (double)st->st_blocks * 512.0;
  u->apparent += (double)st->st_size;
  u->inodes += 1;
}

/* Directories and single-link inodes are counted at once; the rest go to the thread's list, for `merge` to
 * give each to the first tree that lists it. */
static void account(worker_t *w, uint32_t tree, const struct stat *st) {
  if (!S_ISDIR(st->st_mode) && st->st_nlink > 1) {
    w->bytes += (double)st->st_blocks * 512.0;
    if (ml_push(&w->ml, (uint64_t)st->st_dev, (uint64_t)st->st_ino, tree, (double)st->st_blocks * 512.0,
                (double)st->st_size) < 0)
      w->s->oom = 1;
  } else {
    count_inode(w, tree, st);
  }
}

static int is_stop(const scan_t *s, uint64_t dev, uint64_t ino) {
  for (uint32_t i = 0; i < s->nstops; i++)
    if (s->stops[2 * i] == dev && s->stops[2 * i + 1] == ino) return 1;
  return 0;
}

/* ---------- opening ---------- */

static int open_step(int at, const char *rel) {
  int flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
  if (!atomic_load_explicit(&no_openat2, memory_order_relaxed)) {
    /* RESOLVE_NO_SYMLINKS: a directory swapped for a symlink during the walk is not followed out of the tree */
    struct open_how how = {.flags = (uint64_t)flags, .resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS};
    int fd = (int)syscall(SYS_openat2, at, rel, &how, sizeof how);
    if (fd >= 0 || (errno != ENOSYS && errno != EPERM)) return fd;
    atomic_store(&no_openat2, 1); /* old kernel, or a seccomp filter: plain openat from now on */
  }
  return openat(at, rel, flags);
}

/* Opens root + rel ("" or "/a/b"), in steps when rel is too long for one call. */
static int open_rel(int rootfd, const char *rel, size_t len) {
  if (len == 0) return open_step(rootfd, ".");
  const char *p = rel + 1;
  size_t left = len - 1;
  if (left < OPEN_CHUNK) return open_step(rootfd, p);
  int at = rootfd;
  char part[OPEN_CHUNK + 1];
  while (left >= OPEN_CHUNK) {
    size_t cut = OPEN_CHUNK;
    while (cut > 0 && p[cut] != '/') cut--;
    if (cut == 0) {
      errno = ENAMETOOLONG;
      if (at != rootfd) close(at);
      return -1;
    }
    memcpy(part, p, cut);
    part[cut] = 0;
    int fd = open_step(at, part);
    int e = errno;
    if (at != rootfd) close(at);
    if (fd < 0) {
      errno = e;
      return -1;
    }
    at = fd;
    p += cut + 1;
    left -= cut + 1;
  }
  int fd = open_step(at, p);
  int e = errno;
  close(at);
  errno = e;
  return fd;
}

/* The index's kind of an lstat (native/link-index.h: as kind() numbers them). */
static int mode_kind(const struct stat *st) {
  if (S_ISREG(st->st_mode)) return LK_FILE;
  if (S_ISDIR(st->st_mode)) return LK_DIR;
  if (S_ISLNK(st->st_mode)) return LK_LINK;
  if (S_ISCHR(st->st_mode) && st->st_rdev == 0) return LK_WHITEOUT;
  return LK_OTHER;
}

/* ---------- walking ---------- */

struct linux_dirent64 {
  uint64_t d_ino;
  int64_t d_off;
  unsigned short d_reclen;
  unsigned char d_type;
  char d_name[];
};

static work_t *new_work(uint32_t tree, uint32_t depth, const char *rel, size_t rlen, const char *name) {
  size_t nlen = name ? strlen(name) : 0;
  size_t len = rlen + (name ? 1 + nlen : 0);
  work_t *it = malloc(sizeof(work_t) + len + 1);
  if (!it) return NULL;
  it->next = NULL;
  it->fd = -1;
  it->tree = tree;
  it->depth = depth;
  it->len = len;
  memcpy(it->rel, rel, rlen);
  if (name) {
    it->rel[rlen] = '/';
    memcpy(it->rel + rlen + 1, name, nlen);
  }
  it->rel[len] = 0;
  return it;
}

/* Lists one directory; its subdirectories to enter are returned as a linked list (count in *nkids). */
static work_t *process_dir(worker_t *w, const work_t *it, uint32_t *nkids) {
  scan_t *s = w->s;
  uint32_t t = it->tree;
  work_t *kids = NULL;
  *nkids = 0;
  if (it->fd >= 0) atomic_fetch_sub_explicit(&s->held, 1, memory_order_relaxed);
  if (it->depth >= MAX_DEPTH) {
    if (it->fd >= 0) close(it->fd);
    add_err(w, t, ELOOP, OP_DEPTH, it->rel, it->len, NULL);
    return NULL;
  }
  int fd = it->fd >= 0 ? it->fd : open_rel(s->rootfd[t], it->rel, it->len);
  if (fd < 0) {
    add_err(w, t, errno, OP_OPEN, it->rel, it->len, NULL);
    return NULL;
  }
  w->dirs++;
  if (s->want_index && it->len > 0) li_note_opaque(&w->idx, t, fd, it->rel, it->len);
  for (;;) {
    long n = syscall(SYS_getdents64, fd, w->dents, DENTS_SIZE);
    if (n < 0) {
      add_err(w, t, errno, OP_READDIR, it->rel, it->len, NULL);
      break;
    }
    if (n == 0) break;
    for (long off = 0; off < n;) {
      struct linux_dirent64 *d = (struct linux_dirent64 *)(w->dents + off);
      off += d->d_reclen;
      const char *name = d->d_name;
      if (name[0] == '.' && (name[1] == 0 || (name[1] == '.' && name[2] == 0))) continue;
      unsigned char dt = d->d_type;
      if (!s->want_usage && dt != DT_UNKNOWN) {
        /* links only: the type from getdents is enough, except for directories that may cross devices */
        if (dt == DT_LNK) {
          w->entries++;
          if (s->want_index) li_record(&w->idx, t, it->rel, it->len, name, LK_LINK);
          if (s->want_links || s->want_index) add_link(w, t, fd, name, it->rel, it->len, name);
          continue;
        }
        if (dt != DT_DIR && !(s->want_files && dt == DT_REG)) {
          w->entries++;
          if (s->want_index) {
            int k = dt == DT_REG ? LK_FILE : LK_OTHER;
            if (dt == DT_CHR) {
              /* d_type cannot tell a whiteout (0:0) from another char device */
              struct stat cst;
              if (fstatat(fd, name, &cst, AT_SYMLINK_NOFOLLOW) < 0) {
                if (errno != ENOENT) add_err(w, t, errno, OP_STAT, it->rel, it->len, name);
                continue;
              }
              k = mode_kind(&cst);
            }
            li_record(&w->idx, t, it->rel, it->len, name, k);
          }
          continue;
        }
        if (!s->one_fs && s->nstops == 0) {
          w->entries++;
          if (s->want_index) li_record(&w->idx, t, it->rel, it->len, name, LK_DIR);
          work_t *k = new_work(t, it->depth + 1, it->rel, it->len, name);
          if (!k) {
            s->oom = 1;
            continue;
          }
          k->next = kids;
          kids = k;
          (*nkids)++;
          continue;
        }
      }
      struct stat st;
      int kfd = -1;
      if (dt == DT_DIR && atomic_load_explicit(&s->held, memory_order_relaxed) < s->max_held) {
        /* Open the subdirectory now, from this one, and stat the open fd: one lookup of one name, where
         * stat-then-open-later costs a lookup of the name plus a walk of the whole path from the tree root.
         * A single name with O_NOFOLLOW cannot lead out of the tree. If it fails (the name became a symlink
         * or a file, or it cannot be read), the name is stat'ed as below and opened later by its path. */
        kfd = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (kfd >= 0 && fstat(kfd, &st) < 0) {
          close(kfd);
          kfd = -1;
        }
      }
      if (kfd < 0 && fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
        add_err(w, t, errno, OP_STAT, it->rel, it->len, name);
        continue;
      }
      /* du -x: an entry on another device (a mount point) is neither counted nor entered */
      if ((s->one_fs && (uint64_t)st.st_dev != s->rootdev[t]) ||
          (S_ISDIR(st.st_mode) && s->nstops && is_stop(s, (uint64_t)st.st_dev, (uint64_t)st.st_ino))) {
        if (kfd >= 0) close(kfd);
        if (s->want_index) s->complete[t] = 0; /* what lies below is not indexed */
        continue;
      }
      if (s->want_index) li_record(&w->idx, t, it->rel, it->len, name, mode_kind(&st));
      if (S_ISDIR(st.st_mode)) {
        w->entries++;
        if (s->want_usage) count_inode(w, t, &st);
        work_t *k = new_work(t, it->depth + 1, it->rel, it->len, name);
        if (!k) {
          if (kfd >= 0) close(kfd);
          s->oom = 1;
          continue;
        }
        if (kfd >= 0) {
          k->fd = kfd;
          atomic_fetch_add_explicit(&s->held, 1, memory_order_relaxed);
        }
        k->next = kids;
        kids = k;
        (*nkids)++;
      } else {
        w->entries++;
        if (s->want_usage) account(w, t, &st);
        if (S_ISLNK(st.st_mode) && (s->want_links || s->want_index))
          add_link(w, t, fd, name, it->rel, it->len, name);
        if (S_ISREG(st.st_mode) && s->want_files) add_file(w, t, it->rel, it->len, name, &st);
      }
    }
  }
  close(fd);
  return kids;
}

/* Starts tree t: stats and counts its root; returns the root's work item when it is a directory. */
static work_t *start_tree(worker_t *w, uint32_t t) {
  scan_t *s = w->s;
  const char *root = s->roots[t];
  struct stat st;
  if (lstat(root, &st) < 0) {
    add_err(w, t, errno, OP_LSTAT, "", 0, NULL);
    return NULL;
  }
  s->rootdev[t] = (uint64_t)st.st_dev;
  w->entries++;
  if (s->want_usage) account(w, t, &st);
  if (!S_ISDIR(st.st_mode)) {
    if (S_ISLNK(st.st_mode) && (s->want_links || s->want_index)) add_link(w, t, AT_FDCWD, root, "", 0, NULL);
    return NULL;
  }
  int fd = open(root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    add_err(w, t, errno, OP_OPEN, "", 0, NULL);
    return NULL;
  }
  s->rootfd[t] = fd;
  work_t *it = new_work(t, 0, "", 0, NULL);
  if (!it) {
    s->oom = 1;
    close(fd);
    s->rootfd[t] = -1;
  }
  return it;
}

/* Counts `nkids` new items of `tree`, then (for an item) the one just done: the root fd closes with the last. */
static void settle(scan_t *s, uint32_t tree, int was_item, uint32_t nkids) {
  if (nkids) atomic_fetch_add(&s->pending[tree], nkids);
  if (was_item && atomic_fetch_sub(&s->pending[tree], 1) == 1 && s->rootfd[tree] >= 0) {
    close(s->rootfd[tree]);
    s->rootfd[tree] = -1;
  }
}

/*
 * Each thread walks depth-first from its own stack, so two threads rarely work in the same directories.
 * Work is shared through the global stack: when another thread waits, all but the top of the local stack
 * goes there. When both stacks are empty, a thread starts the next tree. Done when no tree is left, the
 * global stack is empty and no thread holds work (busy == 0).
 */
static void *worker_main(void *arg) {
  worker_t *w = arg;
  scan_t *s = w->s;
  work_t *local = NULL;
  for (;;) {
    work_t *it = NULL;
    int start = -1;
    if (local) {
      it = local;
      local = it->next;
    } else {
      pthread_mutex_lock(&s->mu);
      for (;;) {
        if (s->top) {
          it = s->top;
          s->top = it->next;
          break;
        }
        if (s->next_tree < s->ntrees) {
          start = (int)s->next_tree++;
          break;
        }
        if (s->busy == 0) break;
        s->waiting++;
        pthread_cond_wait(&s->cv, &s->mu);
        s->waiting--;
      }
      if (!it && start < 0) {
        pthread_cond_broadcast(&s->cv);
        pthread_mutex_unlock(&s->mu);
        return NULL;
      }
      s->busy++;
      pthread_mutex_unlock(&s->mu);
    }

    work_t *kids = NULL;
    uint32_t nkids = 0;
    uint32_t tree;
    if (start >= 0) {
      tree = (uint32_t)start;
      kids = start_tree(w, tree);
      nkids = kids ? 1 : 0;
    } else {
      tree = it->tree;
      kids = process_dir(w, it, &nkids);
      free(it);
    }
    settle(s, tree, start < 0, nkids);
    if (s->progress) {
      /* this thread's own slot: a plain store, no lock; the reader sums the slots on its timer */
      volatile double *p = s->progress + PROGRESS_STRIDE * (w - s->workers);
      p[0] = w->entries;
      p[1] = w->bytes;
    }
    if (kids) {
      work_t *tail = kids;
      while (tail->next) tail = tail->next;
      tail->next = local;
      local = kids;
    }
    if (local && local->next && atomic_load_explicit(&s->waiting, memory_order_relaxed)) {
      /* someone is idle: give away all but the next item */
      work_t *give = local->next, *last = give;
      while (last->next) last = last->next;
      local->next = NULL;
      pthread_mutex_lock(&s->mu);
      last->next = s->top;
      s->top = give;
      pthread_cond_broadcast(&s->cv);
      pthread_mutex_unlock(&s->mu);
    }
    if (!local) {
      pthread_mutex_lock(&s->mu);
      s->busy--;
      if (s->waiting) pthread_cond_broadcast(&s->cv);
      pthread_mutex_unlock(&s->mu);
    }
  }
}

/* ---------- the async work ---------- */

static void free_scan(scan_t *s) {
  if (!s) return;
  for (uint32_t i = 0; i < s->ntrees; i++) {
    free(s->roots ? s->roots[i] : NULL);
    if (s->rootfd && s->rootfd[i] >= 0) close(s->rootfd[i]); /* only after a failure: a walk closes its own */
  }
  free(s->roots);
  free(s->stops);
  free(s->rootfd);
  free(s->rootdev);
  free(s->pending);
  if (s->workers) {
    for (uint32_t i = 0; i < s->nthreads; i++) {
      worker_t *w = &s->workers[i];
      free(w->usage);
      free(w->ml.v);
      free(w->links.data);
      free(w->errs.data);
      free(w->files.data);
      free(w->dents);
      free(w->target);
      li_vec_free(&w->idx);
    }
  }
  free(s->workers);
  free(s->complete);
  li_free(s->index); /* still here only when it was not handed to JS */
  free(s->ml_off);
  free(s->ml_flat);
  pthread_mutex_destroy(&s->mu);
  pthread_cond_destroy(&s->cv);
  free(s);
}

static void execute(napi_env env, void *data) {
  (void)env;
  scan_t *s = data;
  for (uint32_t i = 0; i < s->nthreads; i++) {
    worker_t *w = &s->workers[i];
    w->s = s;
    w->usage = calloc(s->ntrees ? s->ntrees : 1, sizeof(usage_t));
    w->dents = malloc(DENTS_SIZE);
    w->target = malloc(4097);
    if (!w->usage || !w->dents || !w->target) {
      s->oom = 1;
      return;
    }
  }
  uint32_t started = 1;
  for (uint32_t i = 1; i < s->nthreads; i++) {
    if (pthread_create(&s->workers[i].thread, NULL, worker_main, &s->workers[i]) != 0) break;
    started++;
  }
  worker_main(&s->workers[0]);
  for (uint32_t i = 1; i < started; i++) pthread_join(s->workers[i].thread, NULL);

  /* group the threads' lists per tree (a counting sort); `merge` counts an inode listed twice once */
  s->ml_off = calloc((size_t)s->ntrees + 1, sizeof(size_t));
  size_t total = 0;
  for (uint32_t i = 0; i < s->nthreads; i++) total += s->workers[i].ml.len;
  s->ml_flat = malloc((total ? total : 1) * 4 * sizeof(double));
  size_t *fill = calloc(s->ntrees ? s->ntrees : 1, sizeof(size_t));
  if (!s->ml_off || !s->ml_flat || !fill) {
    free(fill);
    s->oom = 1;
    return;
  }
  for (uint32_t i = 0; i < s->nthreads; i++)
    for (size_t j = 0; j < s->workers[i].ml.len; j++) s->ml_off[s->workers[i].ml.v[j].tree + 1]++;
  for (uint32_t t = 0; t < s->ntrees; t++) s->ml_off[t + 1] += s->ml_off[t];
  for (uint32_t i = 0; i < s->nthreads; i++) {
    mlvec_t *m = &s->workers[i].ml;
    for (size_t j = 0; j < m->len; j++) {
      ml_t *e = &m->v[j];
      double *o = s->ml_flat + 4 * (s->ml_off[e->tree] + fill[e->tree]++);
      o[0] = (double)e->dev;
      o[1] = (double)e->ino;
      o[2] = e->alloc;
      o[3] = e->size;
    }
    free(m->v);
    m->v = NULL;
    m->len = m->cap = 0;
  }
  free(fill);
  if (s->want_index) {
    li_vec_t *recs = malloc(s->nthreads * sizeof(li_vec_t));
    const char **bufs = malloc(s->nthreads * sizeof(char *));
    size_t *lens = malloc(s->nthreads * sizeof(size_t));
    int failed = !recs || !bufs || !lens;
    for (uint32_t i = 0; !failed && i < s->nthreads; i++) {
      worker_t *w = &s->workers[i];
      failed |= w->idx.failed;
      recs[i] = w->idx;
      w->idx = (li_vec_t){0};
      bufs[i] = w->links.data;
      lens[i] = w->links.len;
    }
    if (!failed) s->index = li_build(s->ntrees, recs, s->nthreads, bufs, lens, s->nthreads, s->complete);
    else if (recs)
      for (uint32_t i = 0; i < s->nthreads; i++) free(recs[i].v);
    if (!s->index) s->oom = 1;
    free(recs);
    free(bufs);
    free(lens);
  }
}

/* The JS string that carries the bytes p[0..len) exactly (decodeName's form). ASCII: latin1, no copy made
 * here; valid UTF-8: utf8; else UTF-16 built here, each stray byte as U+DC80+byte. */
napi_status make_name(napi_env env, const char *s, size_t len, napi_value *out) {
  const unsigned char *p = (const unsigned char *)s;
  size_t i = 0;
  while (i < len && p[i] < 0x80) i++;
  if (i == len) return napi_create_string_latin1(env, s, len, out);
  int valid = 1;
  for (size_t j = i; j < len;) {
    size_t n = utf8_seq(p, len, j);
    if (n == 0) {
      valid = 0;
      break;
    }
    j += n;
  }
  if (valid) return napi_create_string_utf8(env, s, len, out);
  /* at most one UTF-16 unit per byte: a 4-byte sequence gives 2 units, anything shorter 1 */
  char16_t small[512];
  char16_t *u = len <= 512 ? small : malloc(len * sizeof(char16_t));
  if (!u) return napi_generic_failure;
  size_t k = 0;
  for (size_t j = 0; j < len;) {
    size_t n = utf8_seq(p, len, j);
    uint32_t cp;
    switch (n) {
    case 0:
      u[k++] = (char16_t)(0xdc00 + p[j]);
      j++;
      continue;
    case 1:
      cp = p[j];
      break;
    case 2:
      cp = ((p[j] & 0x1fu) << 6) | (p[j + 1] & 0x3fu);
      break;
    case 3:
      cp = ((p[j] & 0x0fu) << 12) | ((p[j + 1] & 0x3fu) << 6) | (p[j + 2] & 0x3fu);
      break;
    default:
      cp = ((p[j] & 0x07u) << 18) | ((p[j + 1] & 0x3fu) << 12) | ((p[j + 2] & 0x3fu) << 6) | (p[j + 3] & 0x3fu);
      break;
    }
    j += n;
    if (cp >= 0x10000) {
      cp -= 0x10000;
      u[k++] = (char16_t)(0xd800 + (cp >> 10));
      u[k++] = (char16_t)(0xdc00 + (cp & 0x3ff));
    } else {
      u[k++] = (char16_t)cp;
    }
  }
  napi_status st = napi_create_string_utf16(env, u, k, out);
  if (u != small) free(u);
  return st;
}

#define CHECK(call)                                                                                              \
  do {                                                                                                           \
    if ((call) != napi_ok) goto fail;                                                                            \
  } while (0)

/* The walk's buffers live in the worker threads' malloc arenas; glibc keeps freed arena memory mapped, so
 * a process that scanned once would carry tens of MB it no longer uses. Hand it back. */
static void release_arenas(void) {
#ifdef __GLIBC__
  malloc_trim(0);
#endif
}

/* Per tree `files`: { facts: Float64Array (5 per file), paths: Buffer (the rels back to back), ends:
 * Uint32Array (where each rel ends) }, in the order the threads met them. */
static napi_status make_files(napi_env env, scan_t *s, napi_value trees) {
  size_t nt = s->ntrees ? s->ntrees : 1;
  size_t *count = calloc(nt, sizeof(size_t)), *bytes = calloc(nt, sizeof(size_t));
  size_t *at = calloc(nt, sizeof(size_t)), *pat = calloc(nt, sizeof(size_t));
  double **facts = calloc(nt, sizeof(double *));
  char **paths = calloc(nt, sizeof(char *));
  uint32_t **ends = calloc(nt, sizeof(uint32_t *));
  napi_status st = napi_generic_failure;
  if (!count || !bytes || !at || !pat || !facts || !paths || !ends) goto out;
  for (uint32_t i = 0; i < s->nthreads; i++) {
    buf_t *b = &s->workers[i].files;
    for (size_t off = 0; off < b->len;) {
      uint32_t hdr[2];
      memcpy(hdr, b->data + off, sizeof hdr);
      count[hdr[0]]++;
      bytes[hdr[0]] += hdr[1];
      off += sizeof hdr + 5 * sizeof(double) + hdr[1];
    }
  }
  for (uint32_t t = 0; t < s->ntrees; t++) {
    napi_value tr, obj, ab, v;
    void *p;
    if ((st = napi_get_element(env, trees, t, &tr)) != napi_ok) goto out;
    if ((st = napi_create_object(env, &obj)) != napi_ok) goto out;
    if ((st = napi_create_arraybuffer(env, count[t] * 5 * sizeof(double), &p, &ab)) != napi_ok) goto out;
    facts[t] = p;
    if ((st = napi_create_typedarray(env, napi_float64_array, count[t] * 5, ab, 0, &v)) != napi_ok) goto out;
    napi_set_named_property(env, obj, "facts", v);
    if ((st = napi_create_buffer(env, bytes[t], &p, &v)) != napi_ok) goto out;
    paths[t] = p;
    napi_set_named_property(env, obj, "paths", v);
    if ((st = napi_create_arraybuffer(env, count[t] * sizeof(uint32_t), &p, &ab)) != napi_ok) goto out;
    ends[t] = p;
    if ((st = napi_create_typedarray(env, napi_uint32_array, count[t], ab, 0, &v)) != napi_ok) goto out;
    napi_set_named_property(env, obj, "ends", v);
    napi_set_named_property(env, tr, "files", obj);
  }
  for (uint32_t i = 0; i < s->nthreads; i++) {
    buf_t *b = &s->workers[i].files;
    for (size_t off = 0; off < b->len;) {
      uint32_t hdr[2];
      memcpy(hdr, b->data + off, sizeof hdr);
      off += sizeof hdr;
      uint32_t t = hdr[0];
      memcpy(facts[t] + 5 * at[t], b->data + off, 5 * sizeof(double));
      off += 5 * sizeof(double);
      memcpy(paths[t] + pat[t], b->data + off, hdr[1]);
      off += hdr[1];
      pat[t] += hdr[1];
      ends[t][at[t]++] = (uint32_t)pat[t];
    }
    /* copied: let this thread's records go now, not after the others' are copied too (on a 1 M-file store
     * they are 100 MB beside the JS arrays filling up: links --shared's peak RSS) */
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
    release_arenas();
  }
  st = napi_ok;
out:
  free(count), free(bytes), free(at), free(pat), free(facts), free(paths), free(ends);
  return st;
}

static void complete(napi_env env, napi_status status, void *data) {
  scan_t *s = data;
  napi_value result, trees, err;
  if (status != napi_ok || s->oom) goto fail;
  for (uint32_t i = 0; i < s->nthreads; i++)
    if (s->workers[i].links.failed || s->workers[i].errs.failed || s->workers[i].files.failed) goto fail;

  CHECK(napi_create_object(env, &result));
  CHECK(napi_create_array_with_length(env, s->ntrees, &trees));
  size_t total_ml = s->ml_off[s->ntrees];
  napi_value ab;
  void *abdata;
  CHECK(napi_create_arraybuffer(env, total_ml * 4 * sizeof(double), &abdata, &ab));
  if (total_ml) memcpy(abdata, s->ml_flat, total_ml * 4 * sizeof(double));

  napi_value *links = calloc(s->ntrees ? s->ntrees : 1, sizeof(napi_value));
  napi_value *errs = calloc(s->ntrees ? s->ntrees : 1, sizeof(napi_value));
  uint32_t *nl = calloc(s->ntrees ? s->ntrees : 1, sizeof(uint32_t));
  uint32_t *ne = calloc(s->ntrees ? s->ntrees : 1, sizeof(uint32_t));
  if (!links || !errs || !nl || !ne) {
    free(links), free(errs), free(nl), free(ne);
    goto fail;
  }
  double entries = 0, dirs = 0;
  for (uint32_t t = 0; t < s->ntrees; t++) {
    napi_value tr, v;
    if (napi_create_object(env, &tr) != napi_ok) break;
    usage_t u = {0, 0, 0};
    for (uint32_t i = 0; i < s->nthreads; i++) {
      u.alloc += s->workers[i].usage[t].alloc;
      u.apparent += s->workers[i].usage[t].apparent;
      u.inodes += s->workers[i].usage[t].inodes;
    }
    napi_create_double(env, u.alloc, &v);
    napi_set_named_property(env, tr, "allocatedBytes", v);
    napi_create_double(env, u.apparent, &v);
    napi_set_named_property(env, tr, "apparentBytes", v);
    napi_create_double(env, u.inodes, &v);
    napi_set_named_property(env, tr, "inodes", v);
    napi_create_typedarray(env, napi_float64_array, (s->ml_off[t + 1] - s->ml_off[t]) * 4, ab,
                           s->ml_off[t] * 4 * sizeof(double), &v);
    napi_set_named_property(env, tr, "multi", v);
    napi_create_array(env, &links[t]);
    napi_set_named_property(env, tr, "links", links[t]);
    napi_create_array(env, &errs[t]);
    napi_set_named_property(env, tr, "errors", errs[t]);
    napi_set_element(env, trees, t, tr);
  }
  for (uint32_t i = 0; i < s->nthreads; i++) {
    worker_t *w = &s->workers[i];
    entries += w->entries;
    dirs += w->dirs;
    /* with `index` alone the links were read for the index only: no strings for them */
    for (size_t off = 0; s->want_links && off < w->links.len;) {
      uint32_t hdr[3];
      memcpy(hdr, w->links.data + off, sizeof hdr);
      off += sizeof hdr;
      napi_value rel, target;
      make_name(env, w->links.data + off, hdr[1], &rel);
      off += hdr[1];
      make_name(env, w->links.data + off, hdr[2], &target);
      off += hdr[2];
      napi_set_element(env, links[hdr[0]], nl[hdr[0]]++, rel);
      napi_set_element(env, links[hdr[0]], nl[hdr[0]]++, target);
    }
    for (size_t off = 0; off < w->errs.len;) {
      uint32_t hdr[4];
      memcpy(hdr, w->errs.data + off, sizeof hdr);
      off += sizeof hdr;
      napi_value rel, code, op;
      make_name(env, w->errs.data + off, hdr[3], &rel);
      off += hdr[3];
      napi_create_int32(env, (int32_t)hdr[1], &code);
      napi_create_uint32(env, hdr[2], &op);
      napi_set_element(env, errs[hdr[0]], ne[hdr[0]]++, rel);
      napi_set_element(env, errs[hdr[0]], ne[hdr[0]]++, code);
      napi_set_element(env, errs[hdr[0]], ne[hdr[0]]++, op);
    }
  }
  free(links), free(errs), free(nl), free(ne);
  if (s->want_files && make_files(env, s, trees) != napi_ok) goto fail;
  napi_set_named_property(env, result, "trees", trees);
  napi_value v;
  napi_create_double(env, entries, &v);
  napi_set_named_property(env, result, "entries", v);
  napi_create_double(env, dirs, &v);
  napi_set_named_property(env, result, "dirs", v);
  if (s->index) {
    li_index_t *ix = s->index;
    s->index = NULL;
    if (li_wrap(env, ix, &v) == napi_ok) napi_set_named_property(env, result, "index", v);
  }
  napi_resolve_deferred(env, s->deferred, result);
  napi_delete_async_work(env, s->work);
  free_scan(s);
  release_arenas();
  return;
fail:
  napi_create_error(env, NULL, NULL, &err);
  {
    napi_value msg;
    napi_create_string_utf8(env, "native scan failed: out of memory", NAPI_AUTO_LENGTH, &msg);
    napi_create_error(env, NULL, msg, &err);
  }
  napi_reject_deferred(env, s->deferred, err);
  napi_delete_async_work(env, s->work);
  free_scan(s);
  release_arenas();
}

static int get_bool(napi_env env, napi_value obj, const char *key, int dflt) {
  napi_value v;
  bool has = false, b = false;
  if (napi_has_named_property(env, obj, key, &has) != napi_ok || !has) return dflt;
  if (napi_get_named_property(env, obj, key, &v) != napi_ok) return dflt;
  if (napi_get_value_bool(env, v, &b) != napi_ok) return dflt;
  return b;
}

/* A path argument as bytes: a Buffer as it is (a name that is not UTF-8, from fsPath()), a string as UTF-8. */
static char *get_string(napi_env env, napi_value v) {
  size_t len = 0;
  bool is_buffer = false;
  if (napi_is_buffer(env, v, &is_buffer) == napi_ok && is_buffer) {
    void *data;
    if (napi_get_buffer_info(env, v, &data, &len) != napi_ok || memchr(data, 0, len)) return NULL;
    char *s = malloc(len + 1);
    if (!s) return NULL;
    memcpy(s, data, len);
    s[len] = 0;
    return s;
  }
  if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) return NULL;
  char *s = malloc(len + 1);
  if (!s) return NULL;
  napi_get_value_string_utf8(env, v, s, len + 1, &len);
  return s;
}

/* scan(roots: string[], options: { oneFileSystem, links, usage, threads, stops: Float64Array, heldDirs? })
 * → Promise. heldDirs caps the directories opened ahead of their listing (tests set 0). */
static napi_value scan(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], promise;
  scan_t *s = NULL;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2) {
    napi_throw_type_error(env, NULL, "scan(roots, options) needs two arguments");
    return NULL;
  }
  bool is_array = false;
  napi_is_array(env, argv[0], &is_array);
  if (!is_array) {
    napi_throw_type_error(env, NULL, "roots must be an array of strings");
    return NULL;
  }
  s = calloc(1, sizeof(scan_t));
  if (!s) goto oom;
  pthread_mutex_init(&s->mu, NULL);
  pthread_cond_init(&s->cv, NULL);
  napi_get_array_length(env, argv[0], &s->ntrees);
  size_t nt = s->ntrees ? s->ntrees : 1;
  s->roots = calloc(nt, sizeof(char *));
  s->rootfd = malloc(nt * sizeof(int));
  for (size_t i = 0; s->rootfd && i < nt; i++) s->rootfd[i] = -1;
  s->rootdev = calloc(nt, sizeof(uint64_t));
  s->pending = calloc(nt, sizeof(atomic_uint));
  if (!s->roots || !s->rootfd || !s->rootdev || !s->pending) goto oom;
  for (uint32_t i = 0; i < s->ntrees; i++) {
    napi_value v;
    napi_get_element(env, argv[0], i, &v);
    s->roots[i] = get_string(env, v);
    if (!s->roots[i]) {
      free_scan(s);
      napi_throw_type_error(env, NULL, "roots must be an array of strings");
      return NULL;
    }
  }
  s->one_fs = get_bool(env, argv[1], "oneFileSystem", 1);
  s->want_links = get_bool(env, argv[1], "links", 0);
  s->want_usage = get_bool(env, argv[1], "usage", 1);
  s->want_index = get_bool(env, argv[1], "index", 0);
  if (s->want_index) {
    s->complete = malloc(nt);
    if (!s->complete) goto oom;
    memset(s->complete, 1, nt);
  }
  s->want_files = get_bool(env, argv[1], "files", 0);
  s->nthreads = 2;
  {
    /* Directory fds held ahead of their listing: a bounded share of the fd limit (Node raises the soft
     * limit to the hard one), so a flat dir of many subdirs falls back to opening them by path. */
    struct rlimit rl;
    rlim_t cur = getrlimit(RLIMIT_NOFILE, &rl) == 0 ? rl.rlim_cur : 1024;
    rlim_t share = cur == RLIM_INFINITY ? 4096 : cur > 512 ? (cur - 256) / 2 : 0;
    s->max_held = share > 4096 ? 4096 : (int)share;
    napi_value v;
    bool has = false;
    uint32_t n;
    if (napi_has_named_property(env, argv[1], "heldDirs", &has) == napi_ok && has &&
        napi_get_named_property(env, argv[1], "heldDirs", &v) == napi_ok &&
        napi_get_value_uint32(env, v, &n) == napi_ok && (int64_t)n < s->max_held)
      s->max_held = (int)n;
  }
  {
    napi_value v;
    bool has = false;
    uint32_t n;
    if (napi_has_named_property(env, argv[1], "threads", &has) == napi_ok && has &&
        napi_get_named_property(env, argv[1], "threads", &v) == napi_ok &&
        napi_get_value_uint32(env, v, &n) == napi_ok)
      s->nthreads = n < 1 ? 1 : n > MAX_THREADS ? MAX_THREADS : n;
    if (napi_has_named_property(env, argv[1], "stops", &has) == napi_ok && has &&
        napi_get_named_property(env, argv[1], "stops", &v) == napi_ok) {
      napi_typedarray_type type;
      size_t len;
      void *data;
      if (napi_get_typedarray_info(env, v, &type, &len, &data, NULL, NULL) == napi_ok &&
          type == napi_float64_array && len >= 2) {
        s->nstops = (uint32_t)(len / 2);
        s->stops = malloc(s->nstops * 2 * sizeof(uint64_t));
        if (!s->stops) goto oom;
        for (size_t i = 0; i < (size_t)s->nstops * 2; i++) s->stops[i] = (uint64_t)((double *)data)[i];
      }
    }
  }
  {
    napi_value v;
    bool has = false;
    napi_typedarray_type type;
    size_t len;
    void *data;
    if (napi_has_named_property(env, argv[1], "progress", &has) == napi_ok && has &&
        napi_get_named_property(env, argv[1], "progress", &v) == napi_ok &&
        napi_get_typedarray_info(env, v, &type, &len, &data, NULL, NULL) == napi_ok &&
        type == napi_float64_array && len >= PROGRESS_STRIDE * (size_t)s->nthreads)
      s->progress = data; /* the caller keeps the array alive until the promise settles */
  }
  s->workers = calloc(s->nthreads, sizeof(worker_t));
  if (!s->workers) goto oom;

  napi_value name;
  napi_create_string_utf8(env, "crifs-scan", NAPI_AUTO_LENGTH, &name);
  if (napi_create_promise(env, &s->deferred, &promise) != napi_ok) goto oom;
  if (napi_create_async_work(env, NULL, name, execute, complete, s, &s->work) != napi_ok) goto oom;
  if (napi_queue_async_work(env, s->work) != napi_ok) goto oom;
  return promise;
oom:
  free_scan(s);
  napi_throw_error(env, NULL, "native scan: out of memory");
  return NULL;
}

/* kind(path: string | Buffer): what lstat finds at path, as one small integer, without building a Stats object in JS
 * (resolving links asks this for tens of thousands of names). 0 absent (ENOENT, ENOTDIR), 1 regular
 * file, 2 dir, 3 symlink, 4 other, 5 overlay whiteout (char device 0:0); -errno for any other error. */
static napi_value kind(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], out;
  char path[PATH_MAX + 1]; /* room for PATH_MAX bytes, to tell "too long" from "just fits" */
  size_t len = 0;
  bool is_buffer = false;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1) {
    napi_throw_type_error(env, NULL, "kind(path): path must be a string or a Buffer");
    return NULL;
  }
  if (napi_is_buffer(env, argv[0], &is_buffer) == napi_ok && is_buffer) {
    /* a path that is not UTF-8 (fsPath()): its bytes as they are */
    void *data;
    if (napi_get_buffer_info(env, argv[0], &data, &len) != napi_ok || memchr(data, 0, len)) {
      napi_throw_type_error(env, NULL, "kind(path): path must not hold a NUL");
      return NULL;
    }
    if (len >= PATH_MAX) {
      napi_create_int32(env, -ENAMETOOLONG, &out);
      return out;
    }
    memcpy(path, data, len);
    path[len] = 0;
  } else if (napi_get_value_string_utf8(env, argv[0], path, sizeof path, &len) != napi_ok) {
    napi_throw_type_error(env, NULL, "kind(path): path must be a string or a Buffer");
    return NULL;
  }
  if (len >= PATH_MAX) {
    napi_create_int32(env, -ENAMETOOLONG, &out);
    return out;
  }
  struct stat st;
  int k;
  if (lstat(path, &st) != 0)
    k = (errno == ENOENT || errno == ENOTDIR) ? 0 : -errno;
  else if (S_ISREG(st.st_mode))
    k = 1;
  else if (S_ISDIR(st.st_mode))
    k = 2;
  else if (S_ISLNK(st.st_mode))
    k = 3;
  else if (S_ISCHR(st.st_mode) && st.st_rdev == 0)
    k = 5;
  else
    k = 4;
  napi_create_int32(env, k, &out);
  return out;
}

/* merge(lists: Float64Array[]): Float64Array. Each list holds (dev, ino, allocated, apparent) per multi-link
 * inode of one tree, trees in order. Returns (allocated, apparent, inodes) per list: the inodes that list is
 * the first to hold, so a hard-linked inode counts once, for the first tree reaching it (src/fs/walk.ts). */
typedef struct {
  double dev, ino; /* dev is NaN in an empty slot */
} seen_t;

/* The bits of a double, for hashing (the lists may come from a cache file: no conversion of an arbitrary
 * double to an integer, which C leaves undefined); -0 as +0, since they compare equal. */
static inline uint64_t bits(double x) {
  uint64_t u;
  x += 0.0;
  memcpy(&u, &x, sizeof u);
  return u;
}

static napi_value merge(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], out;
  uint32_t n = 0;
  bool is_array = false;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      napi_is_array(env, argv[0], &is_array) != napi_ok || !is_array ||
      napi_get_array_length(env, argv[0], &n) != napi_ok) {
    napi_throw_type_error(env, NULL, "merge(lists): lists must be an array of Float64Arrays");
    return NULL;
  }
  double **data = calloc(n ? n : 1, sizeof(double *));
  size_t *len = calloc(n ? n : 1, sizeof(size_t));
  size_t total = 0;
  if (!data || !len) goto oom;
  for (uint32_t i = 0; i < n; i++) {
    napi_value v;
    napi_typedarray_type type;
    void *d;
    if (napi_get_element(env, argv[0], i, &v) != napi_ok ||
        napi_get_typedarray_info(env, v, &type, &len[i], &d, NULL, NULL) != napi_ok ||
        type != napi_float64_array) {
      free(data), free(len);
      napi_throw_type_error(env, NULL, "merge(lists): lists must be an array of Float64Arrays");
      return NULL;
    }
    data[i] = d;
    total += len[i] / 4;
  }
  size_t cap = 1024;
  while (cap * 3 < total * 4) cap *= 2; /* at most 3/4 full */
  seen_t *set = malloc(cap * sizeof(seen_t));
  void *outdata;
  if (!set) goto oom;
  for (size_t j = 0; j < cap; j++) set[j].dev = NAN;
  if (napi_create_arraybuffer(env, (size_t)n * 3 * sizeof(double), &outdata, &out) != napi_ok) {
    free(set);
    goto oom;
  }
  double *res = outdata;
  for (uint32_t i = 0; i < n; i++) {
    double alloc = 0, apparent = 0, inodes = 0;
    for (size_t k = 0; k + 3 < len[i]; k += 4) {
      double dev = data[i][k], ino = data[i][k + 1];
      for (size_t j = li_mix64(bits(ino) ^ li_mix64(bits(dev))) & (cap - 1);; j = (j + 1) & (cap - 1)) {
        if (isnan(set[j].dev)) {
          set[j].dev = dev;
          set[j].ino = ino;
          alloc += data[i][k + 2];
          apparent += data[i][k + 3];
          inodes += 1;
          break;
        }
        if (set[j].dev == dev && set[j].ino == ino) break;
      }
    }
    res[3 * i] = alloc;
    res[3 * i + 1] = apparent;
    res[3 * i + 2] = inodes;
  }
  free(set), free(data), free(len);
  napi_value typed;
  if (napi_create_typedarray(env, napi_float64_array, (size_t)n * 3, out, 0, &typed) != napi_ok) goto oom2;
  return typed;
oom:
  free(data), free(len);
oom2:
  napi_throw_error(env, NULL, "native merge: out of memory");
  return NULL;
}

/* dataExtent(fd, offset): the next run of data in the open file fd at or after offset, as [start, end)
 * (lseek SEEK_DATA, then SEEK_HOLE from there), so that a sparse file is read by what it holds: Node has no
 * SEEK_DATA. null when no data follows offset (ENXIO); -errno for any other error (the caller then reads the
 * file whole). A file system without holes reports the whole file as one run. Moves fd's file position. */
static napi_value data_extent(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], out, v;
  int32_t fd = -1;
  double offset = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2 ||
      napi_get_value_int32(env, argv[0], &fd) != napi_ok ||
      napi_get_value_double(env, argv[1], &offset) != napi_ok || !(offset >= 0) || offset > 9.0e18) {
    napi_throw_type_error(env, NULL, "dataExtent(fd, offset): fd must be an int, offset a byte offset");
    return NULL;
  }
  off_t start = lseek(fd, (off_t)offset, SEEK_DATA);
  off_t end = start < 0 ? -1 : lseek(fd, start, SEEK_HOLE);
  if (start < 0 || end < 0) {
    if (start < 0 && errno == ENXIO) {
      napi_get_null(env, &out);
      return out;
    }
    napi_create_int32(env, -errno, &out);
    return out;
  }
  napi_create_array_with_length(env, 2, &out);
  napi_create_double(env, (double)start, &v);
  napi_set_element(env, out, 0, v);
  napi_create_double(env, (double)end, &v);
  napi_set_element(env, out, 1, v);
  return out;
}

/* lgetxattr(path, name): the value of extended attribute `name` of `path` (a Buffer: the path's bytes, which
 * need not be UTF-8; a symlink is not followed), as a Buffer; null when the file has no such attribute (or the
 * file system keeps none); -errno otherwise. For names the @napi-rs/xattr addon cannot take (it wants UTF-8). */
static napi_value get_xattr(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], out;
  void *data = NULL;
  size_t plen = 0;
  char name[256];
  size_t nlen = 0;
  bool is_buffer = false;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2 ||
      napi_is_buffer(env, argv[0], &is_buffer) != napi_ok || !is_buffer ||
      napi_get_buffer_info(env, argv[0], &data, &plen) != napi_ok || plen == 0 || plen >= PATH_MAX ||
      memchr(data, 0, plen) != NULL ||
      napi_get_value_string_utf8(env, argv[1], name, sizeof name, &nlen) != napi_ok || nlen == 0 ||
      nlen >= sizeof name - 1) {
    napi_throw_type_error(env, NULL, "lgetxattr(path, name): path must be a Buffer, name an attribute name");
    return NULL;
  }
  char path[PATH_MAX];
  memcpy(path, data, plen);
  path[plen] = 0;
  char value[65536];
  ssize_t n = lgetxattr(path, name, value, sizeof value);
  if (n < 0) {
    if (errno == ENODATA || errno == ENOTSUP) {
      napi_get_null(env, &out);
      return out;
    }
    napi_create_int32(env, -errno, &out);
    return out;
  }
  void *copy = NULL;
  napi_create_buffer_copy(env, (size_t)n, value, &copy, &out);
  return out;
}

/* releaseMemory(): what this process's malloc holds free (the arenas of indexes and scans that are gone)
 * handed back to the kernel: between the phases of a long command. */
static napi_value release_memory(napi_env env, napi_callback_info info) {
  (void)env;
  (void)info;
  release_arenas();
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_value fn;
  napi_create_function(env, "releaseMemory", NAPI_AUTO_LENGTH, release_memory, NULL, &fn);
  napi_set_named_property(env, exports, "releaseMemory", fn);
  napi_create_function(env, "scan", NAPI_AUTO_LENGTH, scan, NULL, &fn);
  napi_set_named_property(env, exports, "scan", fn);
  napi_create_function(env, "kind", NAPI_AUTO_LENGTH, kind, NULL, &fn);
  napi_set_named_property(env, exports, "kind", fn);
  napi_create_function(env, "merge", NAPI_AUTO_LENGTH, merge, NULL, &fn);
  napi_set_named_property(env, exports, "merge", fn);
  napi_create_function(env, "dataExtent", NAPI_AUTO_LENGTH, data_extent, NULL, &fn);
  napi_set_named_property(env, exports, "dataExtent", fn);
  napi_create_function(env, "lgetxattr", NAPI_AUTO_LENGTH, get_xattr, NULL, &fn);
  napi_set_named_property(env, exports, "lgetxattr", fn);
  li_register(env, exports);
  rb_register(env, exports);
  ls_register(env, exports);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
