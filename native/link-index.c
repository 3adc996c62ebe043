// native/link-index.c — a links scan's name index, and the judging of every symlink of containers' merged roots
// over it, with no system call but one host lstat per broken link whose target's dir the host has
// (src/links/native-links.ts).
//
//   scan (scan.c, index: true)   every entry of every tree ──► li_rec_t (hash of its tree path, tree, kind)
//                                every dir it lists ──► one flistxattr on its fd: opaque marks (li_note_opaque)
//                                every symlink ──► (tree, rel, target) in the walkers' link buffers
//   li_build                     per tree, on the walk's threads: an open-addressing table  hash(path) → kind
//                                and aux (a dir's opaque marks, a link's number); the links' paths and targets
//                                in one arena, listed per tree
//   resolveViews(views, host)    per container view (its layer stack, top first), per link of its layers, on
//                                up to `threads` threads: the overlay rules of src/fs/overlay-view.ts (#merge)
//                                and the walk of src/fs/resolve-in-root.ts (40 hops, absolute targets restart
//                                at /) over the tables: hidden, fine, into a runtime mount, or broken (ENOENT /
//                                ENOTDIR / ELOOP and where); the broken ones' targets looked for on the host; the
//                                rows to report packed and sorted by path as JS sorts strings
//   linkText(index)              the arena as a Buffer, for JS to read paths and targets from (no copy)
//
// Merged dirs are cached per view (path hash → its layers), and a link's lookup starts from the dirs of the
// link before it, so a dir on the way of many links is merged once: the cost per link is a hash probe per
// path component, not one per component and layer (1,000-layer chains). A path is known by two hashes (64 + 32
// bits) of its bytes; two names of one tree with the same 96 bits would make the tree's table unusable
// (li_build marks it incomplete and the caller resolves it in JS, by lstat). A tree whose dirs the walk could
// not all ask for xattrs has its opaque dirs asked by path (lgetxattr) when a merge needs them.
// Names are bytes; JS gets byte ranges and decodes them (src/fs/name-codec.ts).
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include "link-index.h"
#include "utf8.h"

#include <errno.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>

/* The kernel's MAXSYMLINKS, as src/fs/resolve-in-root.ts's maxSymlinkHops. */
#define MAX_HOPS 40
/* A view's cache of merged dirs is emptied past this many (a bound on memory: 24 bytes an entry). */
#define MAX_CACHED_DIRS (1u << 21)

/* A slot of a tree's table: h1, hk = the low 29 bits of h2 << 3 | kind (0: empty), and aux: for a dir its
 * opaque marks (OPQ_*), for a link its number + 1 (0: its target was not read). One cache line holds all a
 * probe reads. */
typedef struct {
  uint64_t h1;
  uint32_t hk;
  uint32_t aux;
} li_slot_t;
enum { OPQ_TRUSTED = 1, OPQ_USER = 2 };

/* A tree's table: at most 3/4 full, about 21 bytes an entry (a 1 M-entry store: 21 MB). */
typedef struct {
  li_slot_t *s;
  uint64_t cap;
  int complete;
  int opaque_known; /* every dir's opaque marks were read in the walk */
} li_tree_t;

struct li_index {
  uint32_t ntrees;
  li_tree_t *trees;
  uint32_t nlinks;
  char *arena; /* link n: its rel at loff[n], its target right after it */
  size_t arena_len;
  uint32_t *loff, *rlen, *tlen;
  uint32_t *tfirst; /* tree t's links are tlinks[tfirst[t] .. tfirst[t + 1]) (not a root that is a link) */
  uint32_t *tlinks;
  int refs; /* JS values holding it: its External and linkText's Buffers */
};

/* ---------- hashing: FNV-1a and a multiply-xorshift, fed byte by byte, so a child's hash extends its dir's ---------- */

typedef struct {
  uint64_t a, b, len;
} li_hstate_t;

static inline void h_init(li_hstate_t *h) {
  h->a = 0xcbf29ce484222325ULL;
  h->b = 0x9e3779b97f4a7c15ULL;
  h->len = 0;
}

static inline void h_feed(li_hstate_t *h, const char *p, size_t n) {
  uint64_t a = h->a, b = h->b;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)p[i];
    a = (a ^ c) * 0x100000001b3ULL;
    b = (b + c + 1) * 0xff51afd7ed558ccdULL;
    b ^= b >> 29;
  }
  h->a = a;
  h->b = b;
  h->len += n;
}

static inline void h_final(const li_hstate_t *h, uint64_t *h1, uint32_t *h2) {
  *h1 = li_mix64(h->a ^ h->len);
  *h2 = (uint32_t)(li_mix64(h->b + h->len) >> 32);
}

void li_hash(const char *p, size_t len, uint64_t *h1, uint32_t *h2) {
  li_hstate_t h;
  h_init(&h);
  h_feed(&h, p, len);
  h_final(&h, h1, h2);
}

void li_record(li_vec_t *v, uint32_t tree, const char *rel, size_t rlen, const char *name, int kind) {
  if (v->len == v->cap) {
    size_t cap = v->cap ? v->cap * 2 : 4096;
    li_rec_t *n = realloc(v->v, cap * sizeof(li_rec_t));
    if (!n) {
      v->failed = 1;
      return;
    }
    v->v = n;
    v->cap = cap;
  }
  li_hstate_t h;
  if (v->dvalid && v->dtree == tree && v->drlen == rlen && memcmp(v->drel, rel, rlen) == 0) {
    /* a walker lists a dir's entries one after another: its path is hashed once, not once a name */
    h.a = v->da;
    h.b = v->db;
    h.len = v->dlen;
  } else {
    h_init(&h);
    h_feed(&h, rel, rlen);
    h_feed(&h, "/", 1);
    v->dvalid = 0;
    if (rlen + 1 > v->drcap) {
      char *n = realloc(v->drel, rlen + 64);
      if (n) {
        v->drel = n;
        v->drcap = rlen + 64;
      }
    }
    if (rlen + 1 <= v->drcap) {
      memcpy(v->drel, rel, rlen);
      v->drlen = rlen;
      v->dtree = tree;
      v->da = h.a;
      v->db = h.b;
      v->dlen = h.len;
      v->dvalid = 1;
    }
  }
  h_feed(&h, name, strlen(name));
  li_rec_t *r = &v->v[v->len++];
  h_final(&h, &r->h1, &r->h2);
  r->tk = (tree & 0x0fffffffu) | ((uint32_t)kind << 28);
}

static void record_path(li_vec_t *v, uint32_t tree, const char *path, size_t len, int kind) {
  if (v->len == v->cap) {
    size_t cap = v->cap ? v->cap * 2 : 4096;
    li_rec_t *n = realloc(v->v, cap * sizeof(li_rec_t));
    if (!n) {
      v->failed = 1;
      return;
    }
    v->v = n;
    v->cap = cap;
  }
  li_rec_t *r = &v->v[v->len++];
  li_hash(path, len, &r->h1, &r->h2);
  r->tk = (tree & 0x0fffffffu) | ((uint32_t)kind << 28);
}

/* Whether the value of xattr `name` of fd is exactly "y" (the kernel reads one byte and wants "y"); -1: cannot
 * tell. */
static int fxattr_is_y(int fd, const char *name) {
  char v[2];
  ssize_t n = fgetxattr(fd, name, v, sizeof v);
  if (n < 0) return errno == ENODATA || errno == ERANGE ? 0 : -1; /* ERANGE: longer than "y" */
  return n == 1 && v[0] == 'y';
}

void li_note_opaque(li_vec_t *v, uint32_t tree, int fd, const char *rel, size_t rlen) {
  char names[4096];
  ssize_t n = flistxattr(fd, names, sizeof names);
  int trusted = 0, user = 0;
  if (n < 0) {
    if (errno == ENOTSUP) return; /* no xattrs on this file system: nothing is opaque */
    if (errno != ERANGE) {
      record_path(v, tree, "", 0, LK_OPAQUE_UNKNOWN);
      return;
    }
    /* a list longer than the buffer: ask for the two names themselves */
    trusted = fxattr_is_y(fd, "trusted.overlay.opaque");
    user = fxattr_is_y(fd, "user.overlay.opaque");
  } else {
    for (ssize_t i = 0; i < n;) {
      const char *name = names + i;
      size_t len = strnlen(name, (size_t)(n - i));
      if (len == 22 && memcmp(name, "trusted.overlay.opaque", 22) == 0) trusted = fxattr_is_y(fd, name);
      if (len == 19 && memcmp(name, "user.overlay.opaque", 19) == 0) user = fxattr_is_y(fd, name);
      i += (ssize_t)len + 1;
    }
  }
  if (trusted < 0 || user < 0) record_path(v, tree, "", 0, LK_OPAQUE_UNKNOWN);
  if (trusted > 0) record_path(v, tree, rel, rlen, LK_OPAQUE_TRUSTED);
  if (user > 0) record_path(v, tree, rel, rlen, LK_OPAQUE_USER);
}

void li_vec_free(li_vec_t *v) {
  free(v->v);
  free(v->drel);
  *v = (li_vec_t){0};
}

/* ---------- the tables ---------- */

static inline uint32_t hk_of(uint32_t h2, int kind) { return ((h2 & 0x1fffffffu) << 3) | (uint32_t)kind; }

/* The slot of (h1, h2) in t: its own, or the empty one where it would go. */
static uint64_t find_slot(const li_tree_t *t, uint64_t h1, uint32_t h2) {
  uint32_t want = hk_of(h2, 0);
  uint64_t i = (uint64_t)(((__uint128_t)h1 * t->cap) >> 64); /* h1 scaled to [0, cap) */
  for (;; i = i + 1 == t->cap ? 0 : i + 1) {
    uint32_t hk = t->s[i].hk;
    if (hk == 0 || (t->s[i].h1 == h1 && (hk & ~7u) == want)) return i;
  }
}

void li_free(li_index_t *ix) {
  if (!ix) return;
  for (uint32_t t = 0; ix->trees && t < ix->ntrees; t++) free(ix->trees[t].s);
  free(ix->trees);
  free(ix->arena);
  free(ix->loff);
  free(ix->rlen);
  free(ix->tlen);
  free(ix->tfirst);
  free(ix->tlinks);
  free(ix);
}

/* The most threads li_build uses. */
#define MAX_BUILD_THREADS 16

/* One thread's share of li_build: the trees t with t % of == k. */
typedef struct {
  li_index_t *ix;
  li_vec_t *recs;
  size_t nrecs;
  uint32_t k, of;
} build_job_t;

/* Inserts the entries of the job's trees, then applies their marks (every entry must be in first). */
static void *insert_entries(void *arg) {
  build_job_t *j = arg;
  li_index_t *ix = j->ix;
  for (int pass = 0; pass < 2; pass++) {
    for (size_t i = 0; i < j->nrecs; i++) {
      for (size_t q = 0; q < j->recs[i].len; q++) {
        const li_rec_t *r = &j->recs[i].v[q];
        uint32_t tree = r->tk & 0x0fffffffu;
        int kind = (int)(r->tk >> 28);
        if (tree % j->of != j->k || (kind >= LK_OPAQUE_TRUSTED) != (pass == 1)) continue;
        li_tree_t *t = &ix->trees[tree];
        if (kind == LK_OPAQUE_UNKNOWN) {
          t->opaque_known = 0; /* a tree whose dirs could not all be asked */
          continue;
        }
        uint64_t k = find_slot(t, r->h1, r->h2);
        if (pass == 1) { /* a dir's opaque xattrs */
          if ((t->s[k].hk & 7u) == LK_DIR) t->s[k].aux |= kind == LK_OPAQUE_TRUSTED ? OPQ_TRUSTED : OPQ_USER;
          continue;
        }
        if (t->s[k].hk != 0) t->complete = 0; /* two names, one hash: this tree cannot be trusted */
        t->s[k].h1 = r->h1;
        t->s[k].hk = hk_of(r->h2, kind);
      }
    }
  }
  return NULL;
}

/* Puts the number of each link of the job's trees into its slot. */
static void *number_links(void *arg) {
  build_job_t *j = arg;
  li_index_t *ix = j->ix;
  for (uint32_t t = j->k; t < ix->ntrees; t += j->of) {
    li_tree_t *tr = &ix->trees[t];
    for (uint32_t q = ix->tfirst[t]; q < ix->tfirst[t + 1]; q++) {
      uint32_t n = ix->tlinks[q];
      uint64_t h1;
      uint32_t h2;
      li_hash(ix->arena + ix->loff[n], ix->rlen[n], &h1, &h2);
      li_slot_t *slot = &tr->s[find_slot(tr, h1, h2)];
      if ((slot->hk & 7u) == LK_LINK) slot->aux = n + 1;
    }
  }
  return NULL;
}

/* Runs fn on each job, jobs[1..] on threads of their own (on this one when a thread cannot start). */
static void run_build_jobs(build_job_t *jobs, size_t n, void *(*fn)(void *)) {
  pthread_t threads[MAX_BUILD_THREADS];
  size_t started = 1;
  for (size_t k = 1; k < n; k++) {
    if (pthread_create(&threads[k], NULL, fn, &jobs[k]) != 0) break;
    started++;
  }
  for (size_t k = started; k < n; k++) fn(&jobs[k]);
  fn(&jobs[0]);
  for (size_t k = 1; k < started; k++) pthread_join(threads[k], NULL);
}

li_index_t *li_build(uint32_t ntrees, li_vec_t *recs, size_t nrecs, const char *const *link_bufs,
                     const size_t *link_lens, size_t nbufs, const unsigned char *complete) {
  li_index_t *ix = calloc(1, sizeof(li_index_t));
  size_t *count = calloc(ntrees ? ntrees : 1, sizeof(size_t));
  if (!ix || !count) goto oom;
  ix->ntrees = ntrees;
  ix->trees = calloc(ntrees ? ntrees : 1, sizeof(li_tree_t));
  if (!ix->trees) goto oom;
  for (size_t i = 0; i < nrecs; i++)
    for (size_t j = 0; j < recs[i].len; j++)
      if ((recs[i].v[j].tk >> 28) < LK_OPAQUE_TRUSTED) count[recs[i].v[j].tk & 0x0fffffffu]++;
  for (uint32_t t = 0; t < ntrees; t++) {
    uint64_t cap = count[t] + count[t] / 3 + 16; /* load at most 3/4 */
    ix->trees[t].s = calloc(cap, sizeof(li_slot_t));
    if (!ix->trees[t].s) goto oom;
    ix->trees[t].cap = cap;
    ix->trees[t].complete = complete[t];
    ix->trees[t].opaque_known = 1;
  }
  /* every entry, then the marks, into the tables: a share of the trees per thread */
  size_t nthreads = nrecs < 1 ? 1 : nrecs > MAX_BUILD_THREADS ? MAX_BUILD_THREADS : nrecs;
  if (nthreads > ntrees) nthreads = ntrees ? ntrees : 1;
  build_job_t jobs[MAX_BUILD_THREADS];
  for (size_t k = 0; k < nthreads; k++) jobs[k] = (build_job_t){ix, recs, nrecs, (uint32_t)k, (uint32_t)nthreads};
  run_build_jobs(jobs, nthreads, insert_entries);
  for (size_t i = 0; i < nrecs; i++) li_vec_free(&recs[i]);
  /* the links: number them, copy paths and targets into one arena, list them per tree */
  size_t nlinks = 0, bytes = 0;
  memset(count, 0, (ntrees ? ntrees : 1) * sizeof(size_t));
  for (size_t b = 0; b < nbufs; b++) {
    for (size_t off = 0; off < link_lens[b];) {
      uint32_t hdr[3];
      memcpy(hdr, link_bufs[b] + off, sizeof hdr);
      const char *rel = link_bufs[b] + off + sizeof hdr;
      off += sizeof hdr + hdr[1] + hdr[2];
      nlinks++;
      bytes += hdr[1] + hdr[2];
      if (hdr[0] < ntrees && !(hdr[1] == 1 && rel[0] == '/')) count[hdr[0]]++;
    }
  }
  if (nlinks >= UINT32_MAX || bytes >= UINT32_MAX) goto oom; /* offsets are 32-bit */
  ix->nlinks = (uint32_t)nlinks;
  ix->arena = malloc(bytes ? bytes : 1);
  ix->arena_len = bytes;
  ix->loff = malloc((nlinks ? nlinks : 1) * sizeof(uint32_t));
  ix->rlen = malloc((nlinks ? nlinks : 1) * sizeof(uint32_t));
  ix->tlen = malloc((nlinks ? nlinks : 1) * sizeof(uint32_t));
  ix->tfirst = calloc((size_t)ntrees + 1, sizeof(uint32_t));
  ix->tlinks = malloc((nlinks ? nlinks : 1) * sizeof(uint32_t));
  if (!ix->arena || !ix->loff || !ix->rlen || !ix->tlen || !ix->tfirst || !ix->tlinks) goto oom;
  for (uint32_t t = 0; t < ntrees; t++) ix->tfirst[t + 1] = ix->tfirst[t] + (uint32_t)count[t];
  memset(count, 0, (ntrees ? ntrees : 1) * sizeof(size_t));
  size_t n = 0, at = 0;
  for (size_t b = 0; b < nbufs; b++) {
    for (size_t off = 0; off < link_lens[b];) {
      uint32_t hdr[3];
      memcpy(hdr, link_bufs[b] + off, sizeof hdr);
      const char *rel = link_bufs[b] + off + sizeof hdr;
      off += sizeof hdr + hdr[1] + hdr[2];
      memcpy(ix->arena + at, rel, hdr[1] + hdr[2]);
      ix->loff[n] = (uint32_t)at;
      ix->rlen[n] = hdr[1];
      ix->tlen[n] = hdr[2];
      at += hdr[1] + hdr[2];
      if (hdr[0] < ntrees && !(hdr[1] == 1 && rel[0] == '/')) /* a tree root that is a link is no layer */
        ix->tlinks[ix->tfirst[hdr[0]] + count[hdr[0]]++] = (uint32_t)n;
      n++;
    }
  }
  /* each link's number into its slot, a share of the trees per thread */
  run_build_jobs(jobs, nthreads, number_links);
  free(count);
  return ix;
oom:
  free(count);
  for (size_t i = 0; i < nrecs; i++) li_vec_free(&recs[i]);
  li_free(ix);
  return NULL;
}

/* The External's finalizer (hint NULL) or a linkText Buffer's (hint = the index). Once the External is gone
 * nothing can resolve through the index again: only the arena of link text that Buffers still show is kept,
 * and the name tables (most of its memory: every entry of every tree) go at once, not when the last row
 * reading the arena does (links --shared reads every layer's files while the broken rows live). */
static void unref(napi_env env, void *data, void *hint) {
  (void)env;
  li_index_t *ix = hint != NULL ? hint : data;
  if (--ix->refs == 0) {
    li_free(ix);
    return;
  }
  if (hint == NULL) {
    for (uint32_t t = 0; ix->trees && t < ix->ntrees; t++) free(ix->trees[t].s);
    free(ix->trees);
    free(ix->tfirst);
    free(ix->tlinks);
    ix->trees = NULL;
    ix->ntrees = 0;
    ix->tfirst = NULL;
    ix->tlinks = NULL;
  }
}

napi_status li_wrap(napi_env env, li_index_t *ix, napi_value *out) {
  ix->refs = 1;
  napi_status st = napi_create_external(env, ix, unref, NULL, out);
  if (st != napi_ok) li_free(ix);
  return st;
}

/* ---------- resolving ---------- */

typedef struct {
  char *p;
  size_t len, cap;
} bytes_t;

static int bytes_reserve(bytes_t *b, size_t extra) {
  if (b->len + extra <= b->cap) return 0;
  size_t cap = b->cap ? b->cap : 64;
  while (cap < b->len + extra) cap *= 2;
  char *n = realloc(b->p, cap);
  if (!n) return -1;
  b->p = n;
  b->cap = cap;
  return 0;
}

static int bytes_put(bytes_t *b, const void *p, size_t n) {
  if (bytes_reserve(b, n) < 0) return -1;
  memcpy(b->p + b->len, p, n);
  b->len += n;
  return 0;
}

/* A merged dir on the walk: its path (a prefix of view.path), its hash state, its layers (a run of view.cpool). */
typedef struct {
  size_t plen;
  li_hstate_t h;
  uint32_t loff, lcnt;
} level_t;

typedef struct {
  size_t off, len; /* into view.comps */
} comp_t;

/* A merged dir met before: its path's hashes, the layer it shows from (+1; 0: empty slot), its layers. */
typedef struct {
  uint64_t h1;
  uint32_t h2;
  uint32_t top_plus1;
  uint32_t loff, lcnt;
} dent_t;

/* Opaque answers of this call: (index, tree, h1, h2) → opaque; open addressing, grown at half load. */
typedef struct {
  const li_index_t *owner; /* NULL: empty */
  uint64_t h1;
  uint32_t h2;
  uint32_t tree;
  int opaque;
} opq_t;

/* Host answers per (index, link no) of a resolveViews call, shared by its threads (relaxed atomic bytes): 0 not
 * asked yet, 1 absent, 2 there. */
typedef struct {
  const li_index_t **of;
  uint8_t **marks;
  size_t n;
} hostmap_t;

/* Answers about host paths, by the path's hashes (val 0: empty slot). Open addressing, grown at half load. */
typedef struct {
  uint64_t h1;
  uint32_t h2;
  uint32_t val;
} hent_t;

typedef struct {
  hent_t *e;
  size_t cap, len;
} htab_t;

/* What one thread of a resolveViews call keeps from view to view: its opaque answers, what it learnt of host
 * paths (lstat of a path; stat of a dir on the way), scratch. */
typedef struct {
  opq_t *op;
  size_t opcap, oplen;
  htab_t exists, dirs;
  bytes_t host; /* scratch: a host path */
  hostmap_t *hosts;
} call_t;

/* A view being judged by one thread: the view's layers (shared, read-only) and this thread's walk. */
typedef struct {
  call_t *call;
  uint32_t nlayers;
  const li_tree_t *const *layer; /* per layer, top first */
  const uint32_t *tree;
  const li_index_t *const *owner;
  char *const *dir;
  const size_t *dirlen;
  int opaque_trusted, opaque_user;
  /* merged dirs met: the cache and the layer lists it points into (the root's first) */
  dent_t *dc;
  size_t dccap, dclen;
  uint32_t *cpool;
  size_t cpoollen, cpoolcap;
  uint32_t *merge; /* scratch: nlayers */
  /* the walk */
  bytes_t path;
  bytes_t comps;
  comp_t *todo;
  size_t ntodo, captodo;
  level_t *levels;
  size_t depth, caplevels;
  /* the levels and path of the dir of the last link looked up */
  level_t *saved;
  size_t nsaved, capsaved;
  bytes_t savedpath;
  int oom, incomplete;
} view_t;

static int push_todo(view_t *c, size_t off, size_t len) {
  if (c->ntodo == c->captodo) {
    size_t cap = c->captodo ? c->captodo * 2 : 64;
    comp_t *n = realloc(c->todo, cap * sizeof(comp_t));
    if (!n) return -1;
    c->todo = n;
    c->captodo = cap;
  }
  c->todo[c->ntodo++] = (comp_t){off, len};
  return 0;
}

/* pushComponents of resolve-in-root.ts: the components of p, last first, so that popping yields them in order;
 * a trailing "/" adds a "." (must be a dir, follow it). */
static int push_components(view_t *c, const char *p, size_t len) {
  if (bytes_reserve(&c->comps, len + 1) < 0) return -1;
  size_t base = c->comps.len;
  memcpy(c->comps.p + base, p, len);
  c->comps.len += len;
  if (len > 0 && p[len - 1] == '/') {
    c->comps.p[c->comps.len] = '.';
    if (push_todo(c, c->comps.len, 1) < 0) return -1;
    c->comps.len++;
  }
  size_t end = len;
  while (end > 0) {
    size_t start = end;
    while (start > 0 && p[start - 1] != '/') start--;
    if (end > start && push_todo(c, base + start, end - start) < 0) return -1;
    end = start > 0 ? start - 1 : 0;
  }
  return 0;
}

static int push_level(view_t *c, size_t plen, const li_hstate_t *h, uint32_t loff, uint32_t lcnt) {
  if (c->depth == c->caplevels) {
    size_t cap = c->caplevels ? c->caplevels * 2 : 64;
    level_t *n = realloc(c->levels, cap * sizeof(level_t));
    if (!n) return -1;
    c->levels = n;
    c->caplevels = cap;
  }
  c->levels[c->depth++] = (level_t){plen, *h, loff, lcnt};
  return 0;
}

/* Back to `depth` levels: the path shrinks to the top one's. */
static void pop_to(view_t *c, size_t depth) {
  c->depth = depth;
  c->path.len = c->levels[depth - 1].plen;
}

static int is_y(const char *host, const char *name) {
  char v[2];
  ssize_t n = lgetxattr(host, name, v, sizeof v);
  return n == 1 && v[0] == 'y';
}

/* isOpaqueDir of the dir at view.path (its full length) in `layer`, asked once per (layer dir, path) and call. */
static int is_opaque(view_t *c, uint32_t layer, uint64_t h1, uint32_t h2) {
  call_t *k = c->call;
  const li_index_t *owner = c->owner[layer];
  uint32_t tree = c->tree[layer];
  if (k->oplen * 2 >= k->opcap) {
    size_t cap = k->opcap ? k->opcap * 2 : 1024;
    opq_t *n = calloc(cap, sizeof(opq_t));
    if (!n) {
      c->oom = 1;
      return 0;
    }
    for (size_t i = 0; i < k->opcap; i++) {
      opq_t *e = &k->op[i];
      if (e->owner == NULL) continue;
      size_t j = (e->h1 ^ e->tree) & (cap - 1);
      while (n[j].owner != NULL) j = (j + 1) & (cap - 1);
      n[j] = *e;
    }
    free(k->op);
    k->op = n;
    k->opcap = cap;
  }
  size_t j = (h1 ^ tree) & (k->opcap - 1);
  for (; k->op[j].owner != NULL; j = (j + 1) & (k->opcap - 1)) {
    opq_t *e = &k->op[j];
    if (e->owner == owner && e->tree == tree && e->h1 == h1 && e->h2 == h2) return e->opaque;
  }
  k->host.len = 0;
  if (bytes_reserve(&k->host, c->dirlen[layer] + c->path.len + 1) < 0) {
    c->oom = 1;
    return 0;
  }
  memcpy(k->host.p, c->dir[layer], c->dirlen[layer]);
  memcpy(k->host.p + c->dirlen[layer], c->path.p, c->path.len);
  k->host.p[c->dirlen[layer] + c->path.len] = 0;
  int opaque = (c->opaque_trusted && is_y(k->host.p, "trusted.overlay.opaque")) ||
               (c->opaque_user && is_y(k->host.p, "user.overlay.opaque"));
  k->op[j] = (opq_t){owner, h1, h2, tree, opaque};
  k->oplen++;
  return opaque;
}

/* The cache slot of (h1, h2): its own, or the empty one where it would go. */
static dent_t *dc_slot(view_t *c, uint64_t h1, uint32_t h2) {
  size_t mask = c->dccap - 1;
  for (size_t i = h1 & mask;; i = (i + 1) & mask) {
    dent_t *e = &c->dc[i];
    if (e->top_plus1 == 0 || (e->h1 == h1 && e->h2 == h2)) return e;
  }
}

static int dc_grow(view_t *c) {
  size_t cap = c->dccap ? c->dccap * 2 : 4096;
  dent_t *n = calloc(cap, sizeof(dent_t));
  if (!n) return -1;
  dent_t *old = c->dc;
  size_t oldcap = c->dccap;
  c->dc = n;
  c->dccap = cap;
  for (size_t i = 0; i < oldcap; i++)
    if (old[i].top_plus1 != 0) *dc_slot(c, old[i].h1, old[i].h2) = old[i];
  free(old);
  return 0;
}

/* Empties the cache of merged dirs; the root's layers (cpool[0, nlayers)) stay. */
static void dc_clear(view_t *c) {
  memset(c->dc, 0, c->dccap * sizeof(dent_t));
  c->dclen = 0;
  c->cpoollen = c->nlayers;
}

/* What the merged dir at the top level holds at `name`: appends "/" + name to view.path (left there), and
 * returns the kind (LK_NONE: absent or whited out), the layer it comes from, its hash state and, for a dir,
 * its layers (a run of view.cpool). The rules of OverlayView's #merge; a merged dir is merged once a view. */
static int lookup_child(view_t *c, const char *name, size_t nlen, uint32_t *top_layer, li_hstate_t *hs,
                        uint32_t *loff, uint32_t *lcnt, uint32_t *aux) {
  if (bytes_reserve(&c->path, nlen + 1) < 0) {
    c->oom = 1;
    return LK_NONE;
  }
  const level_t *dir = &c->levels[c->depth - 1];
  c->path.p[c->path.len++] = '/';
  memcpy(c->path.p + c->path.len, name, nlen);
  c->path.len += nlen;
  *hs = dir->h;
  h_feed(hs, "/", 1);
  h_feed(hs, name, nlen);
  uint64_t h1;
  uint32_t h2;
  h_final(hs, &h1, &h2);
  dent_t *e = dc_slot(c, h1, h2);
  if (e->top_plus1 != 0) {
    *top_layer = e->top_plus1 - 1;
    *loff = e->loff;
    *lcnt = e->lcnt;
    return LK_DIR;
  }
  int top = LK_NONE;
  uint32_t merged = 0, above = 0; /* the opaque marks of the dir above (merge[merged - 1]) */
  const uint32_t marks = (c->opaque_trusted ? OPQ_TRUSTED : 0) | (c->opaque_user ? OPQ_USER : 0);
  for (uint32_t k = 0; k < dir->lcnt; k++) {
    uint32_t layer = c->cpool[dir->loff + k];
    const li_tree_t *t = c->layer[layer];
    const li_slot_t *slot = &t->s[find_slot(t, h1, h2)];
    uint32_t hk = slot->hk;
    if (hk == 0) continue;
    int kind = (int)(hk & 7u);
    if (kind == LK_WHITEOUT) break; /* hides the name here and in every lower layer */
    if (top == LK_NONE) {
      top = kind;
      *top_layer = layer;
      *aux = slot->aux;
    }
    if (kind != LK_DIR) break; /* a non-dir hides everything below; below a dir, it ends the merge */
    /* a dir below a dir: it merges unless the one above is opaque (its marks from the walk, or asked now
     * when the walk could not ask). Asked only here, where the answer matters (#merge asks for every dir with
     * layers below it: the same merge, more xattr reads) */
    if (merged > 0) {
      uint32_t up = c->merge[merged - 1];
      int opaque = c->layer[up]->opaque_known ? (above & marks) != 0 : is_opaque(c, up, h1, h2);
      if (c->oom) return LK_NONE;
      if (opaque) break;
    }
    above = slot->aux;
    c->merge[merged++] = layer;
  }
  *lcnt = merged;
  if (top != LK_DIR) return top;
  if (c->cpoollen + merged > c->cpoolcap) {
    size_t cap = c->cpoolcap * 2;
    while (cap < c->cpoollen + merged) cap *= 2;
    uint32_t *n = realloc(c->cpool, cap * sizeof(uint32_t));
    if (!n) return c->oom = 1, LK_NONE;
    c->cpool = n;
    c->cpoolcap = cap;
  }
  *loff = (uint32_t)c->cpoollen;
  memcpy(c->cpool + c->cpoollen, c->merge, merged * sizeof(uint32_t));
  c->cpoollen += merged;
  if ((c->dclen + 1) * 2 > c->dccap) {
    if (dc_grow(c) < 0) return c->oom = 1, LK_NONE;
  }
  e = dc_slot(c, h1, h2);
  *e = (dent_t){h1, h2, *top_layer + 1, *loff, merged};
  c->dclen++;
  return LK_DIR;
}

enum { R_HIDDEN = 0, R_OK = 1, R_ENOENT = 2, R_ENOTDIR = 3, R_ELOOP = 4 };

/* Whether the link at tree path rel of layer `layer` shows in the merged tree: R_OK (and *last / *lastlen: its
 * name, view.levels: its dir) or R_HIDDEN (whited out, shadowed, under an opaque dir or a non-dir). */
static int lookup_link(view_t *c, uint32_t layer, const char *rel, size_t rlen, const char **last, size_t *lastlen) {
  if (c->dclen >= MAX_CACHED_DIRS) {
    dc_clear(c);
    c->nsaved = 0;
  }
  li_hstate_t h;
  size_t i = 0;
  if (c->nsaved > 0) {
    /* the dirs the last link's lookup went through, as far as they are this link's too */
    size_t cp = 0, m = c->savedpath.len < rlen ? c->savedpath.len : rlen;
    while (cp < m && c->savedpath.p[cp] == rel[cp]) cp++;
    size_t k = c->nsaved;
    while (k > 1) {
      size_t plen = c->saved[k - 1].plen;
      if (plen <= cp && plen < rlen && rel[plen] == '/') break;
      k--;
    }
    memcpy(c->levels, c->saved, k * sizeof(level_t));
    c->depth = k;
    c->path.len = c->saved[k - 1].plen;
    memcpy(c->path.p, c->savedpath.p, c->path.len);
    i = c->path.len;
  } else {
    c->path.len = 0;
    c->depth = 0;
    h_init(&h);
    if (push_level(c, 0, &h, 0, c->nlayers) < 0) return c->oom = 1, R_HIDDEN;
  }
  /* every component but the last must be a merged dir */
  while (i < rlen && rel[i] == '/') i++;
  *last = NULL;
  while (i < rlen) {
    size_t e = i;
    while (e < rlen && rel[e] != '/') e++;
    size_t next = e;
    while (next < rlen && rel[next] == '/') next++;
    if (next >= rlen) {
      *last = rel + i;
      *lastlen = e - i;
      break;
    }
    uint32_t tl = 0, loff = 0, lcnt = 0;
    uint32_t aux = 0;
    int k = lookup_child(c, rel + i, e - i, &tl, &h, &loff, &lcnt, &aux);
    if (c->oom || k != LK_DIR) return R_HIDDEN;
    if (push_level(c, c->path.len, &h, loff, lcnt) < 0) return c->oom = 1, R_HIDDEN;
    i = next;
  }
  if (*last == NULL) return R_HIDDEN;
  /* kept for the next link (links come dir by dir, as the walk met them) */
  if (c->depth > c->capsaved) {
    level_t *n = realloc(c->saved, c->caplevels * sizeof(level_t));
    if (!n) return c->oom = 1, R_HIDDEN;
    c->saved = n;
    c->capsaved = c->caplevels;
  }
  c->savedpath.len = 0;
  if (bytes_put(&c->savedpath, c->path.p, c->path.len) < 0) return c->oom = 1, R_HIDDEN;
  memcpy(c->saved, c->levels, c->depth * sizeof(level_t));
  c->nsaved = c->depth;
  uint32_t tl = 0, loff = 0, lcnt = 0;
  li_hstate_t hs;
  uint32_t aux = 0;
  int k = lookup_child(c, *last, *lastlen, &tl, &hs, &loff, &lcnt, &aux);
  pop_to(c, c->depth);
  if (c->oom || k != LK_LINK || tl != layer) return R_HIDDEN;
  return R_OK;
}

/* Resolves the link `name` (whose target is target[0, tlen)) of the dir lookup_link left (resolveInRoot,
 * following the last component): R_OK or R_ENOENT / R_ENOTDIR / R_ELOOP; *at / *atlen: the resolved path, or
 * where it failed (in view.path). The link itself is the first hop: its target is known, not looked up. */
static int resolve_link(view_t *c, const char *name, size_t nlen, const char *target, size_t tlen, const char **at,
                        size_t *atlen) {
  c->comps.len = 0;
  c->ntodo = 0;
  int hops = 1;
  if (tlen == 0) { /* an empty symlink body resolves to nothing */
    if (bytes_reserve(&c->path, nlen + 1) < 0) return c->oom = 1, R_HIDDEN;
    c->path.p[c->path.len++] = '/';
    memcpy(c->path.p + c->path.len, name, nlen);
    c->path.len += nlen;
    *at = c->path.p;
    *atlen = c->path.len;
    return R_ENOENT;
  }
  if (target[0] == '/') pop_to(c, 1);
  if (push_components(c, target, tlen) < 0) return c->oom = 1, R_HIDDEN;
  int leaf = 0; /* the walk ended on a non-dir: view.path is its path */
  while (c->ntodo > 0) {
    comp_t comp = c->todo[--c->ntodo];
    if (leaf) {
      *at = c->path.p;
      *atlen = c->path.len;
      return R_ENOTDIR;
    }
    const char *cn = c->comps.p + comp.off;
    if (comp.len == 1 && cn[0] == '.') continue;
    if (comp.len == 2 && cn[0] == '.' && cn[1] == '.') {
      if (c->depth > 1) pop_to(c, c->depth - 1); /* at the root, ".." stays at the root */
      continue;
    }
    uint32_t tl = 0, loff = 0, lcnt = 0;
    li_hstate_t hs;
    uint32_t no = 0;
    int k = lookup_child(c, cn, comp.len, &tl, &hs, &loff, &lcnt, &no);
    if (c->oom) return R_HIDDEN;
    if (k == LK_NONE) {
      *at = c->path.p;
      *atlen = c->path.len;
      return R_ENOENT;
    }
    if (k == LK_LINK) {
      hops++;
      if (hops > MAX_HOPS) {
        *at = c->path.p;
        *atlen = c->path.len;
        return R_ELOOP;
      }
      const li_index_t *ix = c->owner[tl];
      if (no == 0) return c->incomplete = 1, R_HIDDEN; /* a link whose target was not read: not whole */
      uint32_t tlen = ix->tlen[no - 1];
      if (tlen == 0) {
        *at = c->path.p;
        *atlen = c->path.len;
        return R_ENOENT; /* an empty symlink body resolves to nothing */
      }
      const char *target = ix->arena + ix->loff[no - 1] + ix->rlen[no - 1];
      if (target[0] == '/')
        pop_to(c, 1);
      else
        pop_to(c, c->depth);
      /* comps may move as the target is pushed: cn is not used past here */
      if (push_components(c, target, tlen) < 0) return c->oom = 1, R_HIDDEN;
      continue;
    }
    if (k == LK_DIR) {
      if (push_level(c, c->path.len, &hs, loff, lcnt) < 0) return c->oom = 1, R_HIDDEN;
    } else {
      leaf = 1;
    }
  }
  if (c->path.len == 0) {
    *at = "/";
    *atlen = 1;
  } else {
    *at = c->path.p;
    *atlen = c->path.len;
  }
  return R_OK;
}

/* mountPointOf (src/links/container-view.ts) over bytes: the longest mount point at or above p, or -1. A byte
 * prefix followed by "/" or the end is a prefix of the decoded strings too. */
static int mount_of(const bytes_t *mps, size_t nmps, const char *p, size_t plen) {
  int best = -1;
  size_t blen = 0;
  for (size_t k = 0; k < nmps; k++) {
    const bytes_t *m = &mps[k];
    int hit = (m->len == 1 && m->p[0] == '/') ||
              (plen >= m->len && memcmp(p, m->p, m->len) == 0 && (plen == m->len || p[m->len] == '/'));
    if (hit && (best < 0 || m->len > blen)) {
      best = (int)k;
      blen = m->len;
    }
  }
  return best;
}

/* hostTargetPath of broken-links.ts: posix.resolve(posix.dirname(rel), target), as bytes into out (NUL-ended).
 * "." and empty components go, ".." drops the one before (never past "/"), no trailing "/". */
static int host_target(bytes_t *out, const char *rel, size_t rlen, const char *t, size_t tlen) {
  out->len = 0;
  if (bytes_reserve(out, rlen + tlen + 3) < 0) return -1;
  const char *parts[2] = {rel, t};
  size_t lens[2] = {rlen, tlen};
  if (tlen > 0 && t[0] == '/') {
    parts[0] = "";
    lens[0] = 0;
  } else {
    size_t d = rlen; /* dirname: rel up to its last "/" (rel is "/"-rooted and canonical) */
    while (d > 0 && rel[d - 1] != '/') d--;
    lens[0] = d;
  }
  for (int q = 0; q < 2; q++) {
    const char *p = parts[q];
    size_t len = lens[q];
    for (size_t i = 0; i < len;) {
      while (i < len && p[i] == '/') i++;
      size_t e = i;
      while (e < len && p[e] != '/') e++;
      size_t n = e - i;
      if (n == 0 || (n == 1 && p[i] == '.')) {
      } else if (n == 2 && p[i] == '.' && p[i + 1] == '.') {
        while (out->len > 0 && out->p[out->len - 1] != '/') out->len--;
        if (out->len > 0) out->len--; /* the "/" before it */
      } else {
        out->p[out->len++] = '/';
        memcpy(out->p + out->len, p + i, n);
        out->len += n;
      }
      i = e;
    }
  }
  if (out->len == 0) out->p[out->len++] = '/';
  out->p[out->len] = 0;
  return 0;
}

/* The slot of (h1, h2) in t, or NULL when t cannot grow. */
static hent_t *htab_slot(htab_t *t, uint64_t h1, uint32_t h2) {
  if ((t->len + 1) * 2 > t->cap) {
    size_t cap = t->cap ? t->cap * 2 : 1024;
    hent_t *n = calloc(cap, sizeof(hent_t));
    if (!n) return NULL;
    for (size_t i = 0; i < t->cap; i++) {
      if (t->e[i].val == 0) continue;
      size_t j = t->e[i].h1 & (cap - 1);
      while (n[j].val != 0) j = (j + 1) & (cap - 1);
      n[j] = t->e[i];
    }
    free(t->e);
    t->e = n;
    t->cap = cap;
  }
  size_t i = h1 & (t->cap - 1);
  while (t->e[i].val != 0 && !(t->e[i].h1 == h1 && t->e[i].h2 == h2)) i = (i + 1) & (t->cap - 1);
  return &t->e[i];
}

/* Whether the host path p[0, len) (absolute, canonical; p[len] is where the caller's NUL may go) resolves to a
 * dir (stat, following links): known from its parent when that is not one. */
static int host_dir(call_t *k, char *p, size_t len, int *oom) {
  if (len <= 1) return 1; /* "/" */
  uint64_t h1;
  uint32_t h2;
  li_hash(p, len, &h1, &h2);
  hent_t *e = htab_slot(&k->dirs, h1, h2);
  if (!e) return *oom = 1, 0;
  if (e->val != 0) return e->val == 2;
  size_t plen = len;
  while (plen > 0 && p[plen - 1] != '/') plen--;
  int dir = host_dir(k, p, plen > 1 ? plen - 1 : 1, oom);
  if (dir) {
    char saved = p[len];
    p[len] = 0;
    struct stat st;
    dir = stat(p, &st) == 0 && S_ISDIR(st.st_mode);
    p[len] = saved;
  }
  e = htab_slot(&k->dirs, h1, h2); /* the table may have grown on the way */
  if (!e) return *oom = 1, 0;
  if (e->val == 0) k->dirs.len++;
  *e = (hent_t){h1, h2, dir ? 2u : 1u};
  return dir;
}

/* lstat(p) == 0 for the NUL-ended host path p[0, len), asked once a thread: a path whose dir is not one on the
 * host (the common broken link: a tree the host lacks) fails without a system call. lstat of a/b/c fails when
 * a/b is not a dir, following links, so asking the dir first gives lstat's answer. */
static int host_exists(call_t *k, char *p, size_t len, int *oom) {
  uint64_t h1;
  uint32_t h2;
  li_hash(p, len, &h1, &h2);
  hent_t *e = htab_slot(&k->exists, h1, h2);
  if (!e) return *oom = 1, 0;
  if (e->val != 0) return e->val == 2;
  size_t plen = len;
  while (plen > 0 && p[plen - 1] != '/') plen--;
  struct stat st;
  int there = host_dir(k, p, plen > 1 ? plen - 1 : 1, oom) && lstat(p, &st) == 0;
  e = htab_slot(&k->exists, h1, h2);
  if (!e) return *oom = 1, 0;
  if (e->val == 0) k->exists.len++;
  *e = (hent_t){h1, h2, there ? 2u : 1u};
  return there;
}

/* Whether the target of link `no` of `ix`, read as a host path, exists on the host (lstat), asked once a call
 * (two threads may both ask: the same answer). */
static int host_has(call_t *k, const li_index_t *ix, uint32_t no, int *oom) {
  hostmap_t *m = k->hosts;
  size_t h = 0;
  while (h < m->n && m->of[h] != ix) h++;
  if (h == m->n) return 0; /* resolve_view made one per index before judging */
  uint8_t *mark = &m->marks[h][no];
  uint8_t known = __atomic_load_n(mark, __ATOMIC_RELAXED);
  if (known == 0) {
    const char *rel = ix->arena + ix->loff[no];
    if (host_target(&k->host, rel, ix->rlen[no], rel + ix->rlen[no], ix->tlen[no]) < 0) {
      *oom = 1;
      return 0;
    }
    /* an error (EACCES, ENAMETOOLONG…): not there to use */
    known = host_exists(k, k->host.p, k->host.len, oom) ? 2 : 1;
    if (*oom) return 0;
    __atomic_store_n(mark, known, __ATOMIC_RELAXED);
  }
  return known == 2;
}

/* A marks array in m for each index of `owners` (on the JS thread, before the judging threads start). */
static int host_marks(hostmap_t *m, const li_index_t *const *owners, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) {
    size_t h = 0;
    while (h < m->n && m->of[h] != owners[i]) h++;
    if (h < m->n) continue;
    const li_index_t **of = realloc(m->of, (m->n + 1) * sizeof(*of));
    if (!of) return -1;
    m->of = of;
    uint8_t **marks = realloc(m->marks, (m->n + 1) * sizeof(*marks));
    if (!marks) return -1;
    m->marks = marks;
    uint8_t *a = calloc(owners[i]->nlinks ? owners[i]->nlinks : 1, 1);
    if (!a) return -1;
    m->of[m->n] = owners[i];
    m->marks[m->n] = a;
    m->n++;
  }
  return 0;
}

/* ---------- comparing as JS compares the decoded strings (UTF-16 code units) ---------- */

/* The UTF-16 code units decodeName gives for p[*i..], one or two, advancing *i; an escaped byte is U+DC80+byte. */
static int next_units(const unsigned char *p, size_t len, size_t *i, uint16_t u[2]) {
  size_t n = utf8_seq(p, len, *i);
  uint32_t cp;
  switch (n) {
  case 0:
    u[0] = (uint16_t)(0xdc00 + p[*i]);
    *i += 1;
    return 1;
  case 1:
    cp = p[*i];
    break;
  case 2:
    cp = ((p[*i] & 0x1fu) << 6) | (p[*i + 1] & 0x3fu);
    break;
  case 3:
    cp = ((p[*i] & 0x0fu) << 12) | ((p[*i + 1] & 0x3fu) << 6) | (p[*i + 2] & 0x3fu);
    break;
  default:
    cp = ((p[*i] & 0x07u) << 18) | ((p[*i + 1] & 0x3fu) << 12) | ((p[*i + 2] & 0x3fu) << 6) | (p[*i + 3] & 0x3fu);
    break;
  }
  *i += n;
  if (cp >= 0x10000) {
    cp -= 0x10000;
    u[0] = (uint16_t)(0xd800 + (cp >> 10));
    u[1] = (uint16_t)(0xdc00 + (cp & 0x3ff));
    return 2;
  }
  u[0] = (uint16_t)cp;
  return 1;
}

/* compareText of broken-links.ts on the strings decodeName makes of a and b. Byte order where the first bytes
 * that differ are ASCII (the common case); else unit by unit from the start. */
static int js_cmp(const char *a, size_t alen, const char *b, size_t blen) {
  size_t n = alen < blen ? alen : blen, i = 0;
  /* the first byte that differs, 8 at a time (paths share long prefixes) */
  while (i + 8 <= n) {
    uint64_t x, y;
    memcpy(&x, a + i, 8);
    memcpy(&y, b + i, 8);
    if (x != y) {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
      i += (size_t)__builtin_ctzll(x ^ y) / 8; /* the lowest set bit is in the first byte that differs */
#else
      i += (size_t)__builtin_clzll(x ^ y) / 8;
#endif
      break;
    }
    i += 8;
  }
  while (i < n && a[i] == b[i]) i++;
  int ca = i < alen ? (unsigned char)a[i] : -1, cb = i < blen ? (unsigned char)b[i] : -1;
  if (ca == cb) return 0;
  /* an ASCII byte (or the end) after equal bytes ends any sequence the same way on both sides: the prefix
   * decodes alike, and the next unit is that byte */
  if (ca < 0x80 && cb < 0x80) return ca < cb ? -1 : 1;
  const unsigned char *pa = (const unsigned char *)a, *pb = (const unsigned char *)b;
  size_t ia = 0, ib = 0;
  uint16_t ua[2], ub[2];
  int na = 0, nb = 0, ka = 0, kb = 0;
  for (;;) {
    if (ka == na) {
      if (ia >= alen) na = 0;
      else na = next_units(pa, alen, &ia, ua);
      ka = 0;
    }
    if (kb == nb) {
      if (ib >= blen) nb = 0;
      else nb = next_units(pb, blen, &ib, ub);
      kb = 0;
    }
    if (na == 0 || nb == 0) return na == nb ? 0 : na == 0 ? -1 : 1;
    if (ua[ka] != ub[kb]) return ua[ka] < ub[kb] ? -1 : 1;
    ka++;
    kb++;
  }
}

/* ---------- resolveViews ---------- */

/* Fields of a row (u32 each), one per link resolveViews reports. */
enum {
  F_LAYER,   /* its layer in the view, 0 = top */
  F_CODE,    /* R_ENOENT / R_ENOTDIR / R_ELOOP for a broken link; R_OK or the failure for one into a mount */
  F_MOUNT,   /* 0: broken; k + 1: into mountPoints[k] */
  F_HOST,    /* 0: its target is not on the host, 1: it is, 2: not asked */
  F_REL,     /* its path in linkText(indexes[layer]); its target follows it */
  F_RELLEN,  /* */
  F_TLEN,    /* */
  F_AT,      /* where resolving it stopped, in the view's `at` Buffer */
  F_ATLEN,   /* */
  F_FLAGS,   /* FL_* */
  F_COUNT
};
/* FL_*_ASCII: every byte < 0x80 (decodes as latin1); FL_*_PLAIN: printable ASCII without "\" (terminalSafe
 * leaves it as it is, and it is as wide as it is long) */
enum { FL_REL_ASCII = 1, FL_REL_PLAIN = 2, FL_TARGET_ASCII = 4, FL_TARGET_PLAIN = 8, FL_AT_ASCII = 16 };

static uint32_t text_flags(const char *p, size_t n, uint32_t ascii, uint32_t plain) {
  uint32_t f = ascii | plain;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)p[i];
    if (c >= 0x80) return 0;
    if (c < 0x20 || c == 0x7f || c == '\\') f = ascii;
  }
  return f;
}

typedef struct {
  const char *p;
  uint32_t len, row;
} sortkey_t;

static int by_path(const void *x, const void *y) {
  const sortkey_t *a = x, *b = y;
  return js_cmp(a->p, a->len, b->p, b->len);
}

/* Bytes of a JS path argument: a Buffer as it is (fsPath of a name that is not UTF-8), a string as UTF-8;
 * NUL-ended. */
static int arg_bytes(napi_env env, napi_value v, bytes_t *out) {
  bool is_buffer = false;
  out->len = 0;
  if (napi_is_buffer(env, v, &is_buffer) == napi_ok && is_buffer) {
    void *data;
    size_t len;
    if (napi_get_buffer_info(env, v, &data, &len) != napi_ok) return -1;
    if (bytes_reserve(out, len + 1) < 0) return -1;
    memcpy(out->p, data, len);
    out->len = len;
    out->p[len] = 0;
    return 0;
  }
  size_t len = 0;
  if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) return -1;
  if (bytes_reserve(out, len + 1) < 0) return -1;
  napi_get_value_string_utf8(env, v, out->p, len + 1, &len);
  out->len = len;
  return 0;
}

/* An array property of `obj` as bytes_t[] (each NUL-ended, allocated to its size);
 * *n its length. -1 on a bad value or no memory. */
static int arg_list(napi_env env, napi_value obj, const char *key, bytes_t **out, uint32_t *n) {
  napi_value arr;
  bool is_array = false;
  *out = NULL;
  *n = 0;
  if (napi_get_named_property(env, obj, key, &arr) != napi_ok) return -1;
  napi_valuetype t;
  if (napi_typeof(env, arr, &t) != napi_ok) return -1;
  if (t == napi_null || t == napi_undefined) return 0;
  if (napi_is_array(env, arr, &is_array) != napi_ok || !is_array) return -1;
  napi_get_array_length(env, arr, n);
  *out = calloc(*n ? *n : 1, sizeof(bytes_t));
  if (!*out) return -1;
  bytes_t scratch = {0};
  for (uint32_t i = 0; i < *n; i++) {
    napi_value v;
    if (napi_get_element(env, arr, i, &v) != napi_ok || arg_bytes(env, v, &scratch) < 0) {
      free(scratch.p);
      return -1;
    }
    bytes_t *e = &(*out)[i];
    e->p = malloc(scratch.len + 1);
    if (!e->p) {
      free(scratch.p);
      return -1;
    }
    memcpy(e->p, scratch.p, scratch.len + 1);
    e->len = scratch.len;
    e->cap = scratch.len + 1;
  }
  free(scratch.p);
  return 0;
}

static void free_list(bytes_t *l, uint32_t n) {
  for (uint32_t i = 0; l && i < n; i++) free(l[i].p);
  free(l);
}

/* Frees what a thread's view holds of its own (the layers are the vconf's). */
static void free_view(view_t *c) {
  free(c->dc);
  free(c->cpool);
  free(c->merge);
  free(c->path.p);
  free(c->comps.p);
  free(c->todo);
  free(c->levels);
  free(c->saved);
  free(c->savedpath.p);
  memset(c, 0, sizeof *c);
}

/* The (h1, h2) set of `only`'s paths: open addressing over h1, at most half full. */
typedef struct {
  uint64_t *h1;
  uint32_t *h2;
  uint8_t *used;
  size_t mask;
} pathset_t;

static int pathset_has(const pathset_t *s, uint64_t h1, uint32_t h2) {
  for (size_t i = h1 & s->mask;; i = (i + 1) & s->mask) {
    if (!s->used[i]) return 0;
    if (s->h1[i] == h1 && s->h2[i] == h2) return 1;
  }
}

/* Room in `set` for n paths (at most half full). -1 on no memory. */
static int pathset_alloc(pathset_t *set, size_t n) {
  size_t cap = 16;
  while (cap < 2 * n) cap *= 2;
  set->mask = cap - 1;
  set->h1 = calloc(cap, sizeof(uint64_t));
  set->h2 = calloc(cap, sizeof(uint32_t));
  set->used = calloc(cap, 1);
  return set->h1 && set->h2 && set->used ? 0 : -1;
}

static void pathset_add(pathset_t *set, const char *p, size_t len) {
  uint64_t h1;
  uint32_t h2;
  li_hash(p, len, &h1, &h2);
  size_t i = h1 & set->mask;
  while (set->used[i] && !(set->h1[i] == h1 && set->h2[i] == h2)) i = (i + 1) & set->mask;
  set->h1[i] = h1;
  set->h2[i] = h2;
  set->used[i] = 1;
}

/* `only` as spans of Buffers, { texts: Buffer[], spans: Uint32Array of (text, offset, length) triples }: each
 * path hashed where its bytes lie (doctor's first read's rows point into its layers' link texts), no string
 * made of it (10^5 paths as strings were ~20 MB of heap through the second read's judging). -1 on a bad value
 * or no memory. */
static int arg_pathspans(napi_env env, napi_value obj, pathset_t *set) {
  napi_value texts, spans, v;
  bool is_array = false;
  uint32_t ntexts = 0;
  napi_typedarray_type type;
  size_t slen = 0;
  void *sdata = NULL;
  if (napi_get_named_property(env, obj, "texts", &texts) != napi_ok ||
      napi_is_array(env, texts, &is_array) != napi_ok || !is_array ||
      napi_get_array_length(env, texts, &ntexts) != napi_ok ||
      napi_get_named_property(env, obj, "spans", &spans) != napi_ok ||
      napi_get_typedarray_info(env, spans, &type, &slen, &sdata, NULL, NULL) != napi_ok ||
      type != napi_uint32_array || slen % 3 != 0)
    return -1;
  const char **tp = calloc(ntexts ? ntexts : 1, sizeof(*tp));
  size_t *tl = calloc(ntexts ? ntexts : 1, sizeof(*tl));
  int ok = -1;
  if (!tp || !tl) goto out;
  for (uint32_t t = 0; t < ntexts; t++) {
    bool is_buffer = false;
    void *data = NULL;
    if (napi_get_element(env, texts, t, &v) != napi_ok || napi_is_buffer(env, v, &is_buffer) != napi_ok ||
        !is_buffer || napi_get_buffer_info(env, v, &data, &tl[t]) != napi_ok)
      goto out;
    tp[t] = data;
  }
  const uint32_t *sp = sdata;
  size_t n = slen / 3;
  if (pathset_alloc(set, n) < 0) goto out;
  for (size_t j = 0; j < n; j++) {
    uint32_t t = sp[3 * j], off = sp[3 * j + 1], len = sp[3 * j + 2];
    if (t >= ntexts || off > tl[t] || len > tl[t] - off) goto out;
    pathset_add(set, tp[t] + off, len);
  }
  ok = 0;
out:
  free(tp);
  free(tl);
  return ok;
}

/* An array property of `obj` (null or absent: *given 0) straight into a pathset: each path hashed from one
 * scratch buffer as it is read, no copy of it kept (`only` may list 10^5 paths: their copies were ~110 bytes
 * each at the peak); or spans of Buffers (arg_pathspans). -1 on a bad value or no memory. */
static int arg_pathset(napi_env env, napi_value obj, const char *key, pathset_t *set, int *given) {
  napi_value arr;
  bool is_array = false;
  uint32_t n = 0;
  *given = 0;
  if (napi_get_named_property(env, obj, key, &arr) != napi_ok) return -1;
  napi_valuetype t;
  if (napi_typeof(env, arr, &t) != napi_ok) return -1;
  if (t == napi_null || t == napi_undefined) return 0;
  if (napi_is_array(env, arr, &is_array) != napi_ok) return -1;
  if (!is_array) {
    if (t != napi_object) return -1;
    *given = 1;
    return arg_pathspans(env, arr, set);
  }
  napi_get_array_length(env, arr, &n);
  if (pathset_alloc(set, n) < 0) return -1;
  *given = 1;
  bytes_t scratch = {0};
  for (uint32_t j = 0; j < n; j++) {
    napi_value v;
    if (napi_get_element(env, arr, j, &v) != napi_ok || arg_bytes(env, v, &scratch) < 0) {
      free(scratch.p);
      return -1;
    }
    pathset_add(set, scratch.p, scratch.len);
  }
  free(scratch.p);
  return 0;
}

/* A view as resolveViews was given it, read-only while threads judge its links. */
typedef struct {
  uint32_t nlayers;
  const li_tree_t **layer;
  uint32_t *tree;
  const li_index_t **owner;
  char **dir;
  size_t *dirlen;
  int opaque_trusted, opaque_user;
  bytes_t *mps;
  uint32_t nmps;
  int want_host;
} vconf_t;

/* One thread's share of a view's links, cands[from, to) (layer << 32 | link no), and what it found. */
typedef struct {
  const vconf_t *conf;
  call_t *call;
  const uint64_t *cands;
  size_t from, to;
  view_t v;
  uint32_t *rows;
  size_t nrows, caprows;
  bytes_t ats;
  double visible;
  int oom, incomplete;
} job_t;

/* Sets up the thread's view of conf: the root's layers are every layer. */
static int view_init(view_t *c, const vconf_t *conf, call_t *call) {
  memset(c, 0, sizeof *c);
  c->call = call;
  c->nlayers = conf->nlayers;
  c->layer = conf->layer;
  c->tree = conf->tree;
  c->owner = conf->owner;
  c->dir = conf->dir;
  c->dirlen = conf->dirlen;
  c->opaque_trusted = conf->opaque_trusted;
  c->opaque_user = conf->opaque_user;
  c->merge = malloc(conf->nlayers * sizeof(uint32_t));
  c->cpoolcap = conf->nlayers < 1024 ? 1024 : (size_t)conf->nlayers * 2;
  c->cpool = malloc(c->cpoolcap * sizeof(uint32_t));
  if (!c->merge || !c->cpool || dc_grow(c) < 0) return -1;
  for (uint32_t i = 0; i < conf->nlayers; i++) c->cpool[i] = i;
  c->cpoollen = conf->nlayers;
  return 0;
}

/* Judges the job's links: counts the visible ones, and rows the broken ones and those in or into a mount. */
static void *judge_job(void *arg) {
  job_t *j = arg;
  const vconf_t *conf = j->conf;
  view_t *c = &j->v;
  if (view_init(c, conf, j->call) < 0) {
    j->oom = 1;
    return NULL;
  }
  for (size_t q = j->from; q < j->to; q++) {
    uint32_t layer = (uint32_t)(j->cands[q] >> 32), no = (uint32_t)j->cands[q];
    const li_index_t *ix = conf->owner[layer];
    const char *rel = ix->arena + ix->loff[no];
    size_t rlen = ix->rlen[no];
    const char *last = NULL, *at = NULL;
    size_t lastlen = 0, atlen = 0;
    if (lookup_link(c, layer, rel, rlen, &last, &lastlen) != R_OK) {
      if (c->oom) break;
      continue;
    }
    j->visible++;
    /* a link at or below a mount point is the mount's; else where resolving it ends decides */
    int mount = mount_of(conf->mps, conf->nmps, rel, rlen);
    int code = R_OK;
    if (mount < 0) {
      code = resolve_link(c, last, lastlen, rel + rlen, ix->tlen[no], &at, &atlen);
      if (c->oom || c->incomplete) break;
      if (conf->nmps > 0) {
        int mp = mount_of(conf->mps, conf->nmps, at, atlen);
        if (code != R_OK || (mp >= 0 && conf->mps[mp].len != atlen)) mount = mp; /* a target strictly below */
      }
      if (code == R_OK && mount < 0) continue;
    }
    if (j->nrows == j->caprows) {
      size_t cap = j->caprows ? j->caprows * 2 : 256;
      uint32_t *r = realloc(j->rows, cap * F_COUNT * sizeof(uint32_t));
      if (!r) {
        j->oom = 1;
        break;
      }
      j->rows = r;
      j->caprows = cap;
    }
    uint32_t *r = j->rows + j->nrows * F_COUNT;
    j->nrows++;
    const char *target = rel + rlen;
    r[F_LAYER] = layer;
    r[F_CODE] = (uint32_t)code;
    r[F_MOUNT] = (uint32_t)(mount + 1);
    r[F_HOST] = 2;
    if (mount < 0 && conf->want_host) {
      int oom = 0;
      r[F_HOST] = (uint32_t)host_has(j->call, ix, no, &oom);
      if (oom) {
        j->oom = 1;
        break;
      }
    }
    r[F_REL] = ix->loff[no];
    r[F_RELLEN] = (uint32_t)rlen;
    r[F_TLEN] = ix->tlen[no];
    r[F_AT] = (uint32_t)j->ats.len;
    r[F_ATLEN] = 0;
    if (at != NULL && code != R_OK) {
      if (j->ats.len + atlen >= UINT32_MAX || bytes_put(&j->ats, at, atlen) < 0) {
        j->oom = 1;
        break;
      }
      r[F_ATLEN] = (uint32_t)atlen;
    }
    r[F_FLAGS] = text_flags(rel, rlen, FL_REL_ASCII, FL_REL_PLAIN) |
                 text_flags(target, ix->tlen[no], FL_TARGET_ASCII, FL_TARGET_PLAIN) |
                 text_flags(j->ats.p + r[F_AT], r[F_ATLEN], FL_AT_ASCII, 0);
  }
  if (c->oom) j->oom = 1;
  if (c->incomplete) j->incomplete = 1;
  free_view(c);
  return NULL;
}

/* Below this many links a view is judged on the calling thread alone. */
#define MIN_LINKS_A_THREAD 4096

/* One view: judges its layers' links on up to `nthreads` threads and makes its result object, or null when an
 * index is not whole. -1 with a JS exception pending. */
static int resolve_view(napi_env env, call_t *calls, uint32_t nthreads, hostmap_t *hosts, napi_value spec,
                        int want_host, napi_value *result) {
  vconf_t conf;
  memset(&conf, 0, sizeof conf);
  bytes_t *dirs = NULL;
  uint32_t ndirs = 0;
  int only = 0;
  pathset_t set = {0};
  uint64_t *cands = NULL;
  job_t *jobs = NULL;
  pthread_t *threads = NULL;
  uint32_t *rows = NULL;
  bytes_t ats = {0};
  sortkey_t *keys = NULL;
  uint32_t njobs = 0;
  int ok = -1;
  napi_value indexes, trees, v;
  uint32_t n = 0, opaque = 0;
  napi_typedarray_type type;
  size_t tlen = 0;
  void *tdata = NULL;
  if (napi_get_named_property(env, spec, "indexes", &indexes) != napi_ok ||
      napi_get_array_length(env, indexes, &n) != napi_ok || n == 0 ||
      napi_get_named_property(env, spec, "trees", &trees) != napi_ok ||
      napi_get_typedarray_info(env, trees, &type, &tlen, &tdata, NULL, NULL) != napi_ok ||
      type != napi_uint32_array || tlen < n || napi_get_named_property(env, spec, "opaque", &v) != napi_ok ||
      napi_get_value_uint32(env, v, &opaque) != napi_ok || arg_list(env, spec, "dirs", &dirs, &ndirs) < 0 ||
      ndirs < n || arg_list(env, spec, "mountPoints", &conf.mps, &conf.nmps) < 0 ||
      arg_pathset(env, spec, "only", &set, &only) < 0) {
    napi_throw_type_error(env, NULL, "resolveViews: bad view");
    goto out;
  }
  conf.nlayers = n;
  conf.opaque_trusted = opaque != 2;
  conf.opaque_user = opaque != 1;
  conf.want_host = want_host;
  conf.layer = calloc(n, sizeof(*conf.layer));
  conf.owner = calloc(n, sizeof(*conf.owner));
  conf.tree = calloc(n, sizeof(uint32_t));
  conf.dir = calloc(n, sizeof(char *));
  conf.dirlen = calloc(n, sizeof(size_t));
  if (!conf.layer || !conf.owner || !conf.tree || !conf.dir || !conf.dirlen) goto oom;
  for (uint32_t i = 0; i < n; i++) {
    void *ix = NULL;
    uint32_t t = ((uint32_t *)tdata)[i];
    if (napi_get_element(env, indexes, i, &v) != napi_ok || napi_get_value_external(env, v, &ix) != napi_ok ||
        ix == NULL || t >= ((li_index_t *)ix)->ntrees) {
      napi_throw_type_error(env, NULL, "resolveViews: indexes must be scan indexes");
      goto out;
    }
    conf.owner[i] = ix;
    conf.tree[i] = t;
    conf.layer[i] = &((li_index_t *)ix)->trees[t];
    if (!conf.layer[i]->complete) {
      ok = 0;
      napi_get_null(env, result);
      goto out;
    }
    conf.dir[i] = dirs[i].p;
    conf.dirlen[i] = dirs[i].len;
    dirs[i].p = NULL;
  }
  if (want_host && host_marks(hosts, conf.owner, n) < 0) goto oom;
  /* the links to judge: every link of every layer, layer by layer, top first (those `only` names) */
  size_t ncands = 0;
  for (uint32_t layer = 0; layer < n; layer++)
    ncands += conf.owner[layer]->tfirst[conf.tree[layer] + 1] - conf.owner[layer]->tfirst[conf.tree[layer]];
  cands = malloc((ncands ? ncands : 1) * sizeof(uint64_t));
  if (!cands) goto oom;
  ncands = 0;
  for (uint32_t layer = 0; layer < n; layer++) {
    const li_index_t *ix = conf.owner[layer];
    uint32_t t = conf.tree[layer];
    for (uint32_t q = ix->tfirst[t]; q < ix->tfirst[t + 1]; q++) {
      uint32_t no = ix->tlinks[q];
      if (only) {
        uint64_t h1;
        uint32_t h2;
        li_hash(ix->arena + ix->loff[no], ix->rlen[no], &h1, &h2);
        if (!pathset_has(&set, h1, h2)) continue;
      }
      cands[ncands++] = (uint64_t)layer << 32 | no;
    }
  }
  /* threads take contiguous runs: links of one dir stay together, and so do the merged dirs they meet */
  njobs = nthreads;
  if (njobs > ncands / MIN_LINKS_A_THREAD) njobs = (uint32_t)(ncands / MIN_LINKS_A_THREAD);
  if (njobs < 1) njobs = 1;
  jobs = calloc(njobs, sizeof(job_t));
  threads = calloc(njobs, sizeof(pthread_t));
  if (!jobs || !threads) goto oom;
  for (uint32_t k = 0; k < njobs; k++)
    jobs[k] = (job_t){.conf = &conf, .call = &calls[k], .cands = cands, .from = ncands * k / njobs,
                      .to = ncands * (k + 1) / njobs};
  uint32_t started = 1;
  for (uint32_t k = 1; k < njobs; k++) {
    if (pthread_create(&threads[k], NULL, judge_job, &jobs[k]) != 0) break;
    started++;
  }
  for (uint32_t k = started; k < njobs; k++) judge_job(&jobs[k]); /* a thread that did not start */
  judge_job(&jobs[0]);
  for (uint32_t k = 1; k < started; k++) pthread_join(threads[k], NULL);
  double visible = 0;
  size_t nrows = 0, atbytes = 0;
  for (uint32_t k = 0; k < njobs; k++) {
    if (jobs[k].oom) goto oom;
    if (jobs[k].incomplete) {
      ok = 0;
      napi_get_null(env, result);
      goto out;
    }
    visible += jobs[k].visible;
    nrows += jobs[k].nrows;
    atbytes += jobs[k].ats.len;
  }
  if (atbytes >= UINT32_MAX) goto oom;
  /* the jobs' rows one after another, their `at` offsets moved to one buffer */
  rows = malloc((nrows ? nrows : 1) * F_COUNT * sizeof(uint32_t));
  if (!rows || bytes_reserve(&ats, atbytes + 1) < 0) goto oom;
  size_t at_row = 0;
  for (uint32_t k = 0; k < njobs; k++) {
    for (size_t q = 0; q < jobs[k].nrows; q++) {
      uint32_t *r = rows + (at_row + q) * F_COUNT;
      memcpy(r, jobs[k].rows + q * F_COUNT, F_COUNT * sizeof(uint32_t));
      r[F_AT] += (uint32_t)ats.len;
    }
    at_row += jobs[k].nrows;
    if (jobs[k].ats.len) memcpy(ats.p + ats.len, jobs[k].ats.p, jobs[k].ats.len);
    ats.len += jobs[k].ats.len;
  }
  /* sorted by path, as JS sorts the decoded strings */
  keys = malloc((nrows ? nrows : 1) * sizeof(sortkey_t));
  if (!keys) goto oom;
  for (size_t j = 0; j < nrows; j++) {
    const uint32_t *r = rows + j * F_COUNT;
    keys[j] = (sortkey_t){conf.owner[r[F_LAYER]]->arena + r[F_REL], r[F_RELLEN], (uint32_t)j};
  }
  qsort(keys, nrows, sizeof(sortkey_t), by_path);
  napi_value rows_ab, rows_v, at_v, vis;
  void *rdata = NULL, *adata = NULL;
  if (napi_create_arraybuffer(env, nrows * F_COUNT * sizeof(uint32_t), &rdata, &rows_ab) != napi_ok ||
      napi_create_typedarray(env, napi_uint32_array, nrows * F_COUNT, rows_ab, 0, &rows_v) != napi_ok ||
      napi_create_buffer(env, ats.len, &adata, &at_v) != napi_ok)
    goto oom;
  for (size_t j = 0; j < nrows; j++)
    memcpy((uint32_t *)rdata + j * F_COUNT, rows + (size_t)keys[j].row * F_COUNT, F_COUNT * sizeof(uint32_t));
  if (ats.len) memcpy(adata, ats.p, ats.len);
  napi_create_object(env, result);
  napi_create_double(env, visible, &vis);
  napi_set_named_property(env, *result, "visible", vis);
  napi_set_named_property(env, *result, "rows", rows_v);
  napi_set_named_property(env, *result, "at", at_v);
  ok = 0;
  goto out;
oom:
  napi_throw_error(env, NULL, "resolveViews: out of memory");
out:
  for (uint32_t k = 0; jobs && k < njobs; k++) {
    free(jobs[k].rows);
    free(jobs[k].ats.p);
  }
  free(jobs);
  free(threads);
  for (uint32_t i = 0; conf.dir && i < n; i++) free(conf.dir[i]);
  free(conf.dir);
  free(conf.dirlen);
  free(conf.layer);
  free(conf.owner);
  free(conf.tree);
  free_list(conf.mps, conf.nmps);
  free_list(dirs, ndirs);
  free(set.h1);
  free(set.h2);
  free(set.used);
  free(cands);
  free(rows);
  free(ats.p);
  free(keys);
  return ok;
}

/* The most threads a view is judged on. */
#define MAX_THREADS 16

/*
 * resolveViews(views: { indexes: External[], trees: Uint32Array, dirs: (string | Buffer)[], opaque: 0 either |
 *              1 trusted | 2 user, mountPoints: (string | Buffer)[],
 *              only: (string | Buffer)[] | { texts: Buffer[], spans: Uint32Array } | null }[],
 *              host: boolean, threads?: number) → ({ visible: number, rows: Uint32Array, at: Buffer } | null)[]
 * Per view (its layers top first: layer i is tree trees[i] of indexes[i], whose host dir is dirs[i]), every
 * link of its layers (only those at the paths `only` lists, when given): `visible` counts those the merged tree
 * shows; a row of F_COUNT fields per visible link that is broken or in or into a mount point, sorted by path.
 * With `host`, a broken link's target is lstat'ed on the host (once per link and call). null for a view one
 * of whose indexes is not whole (the caller resolves it by lstat instead). A view's links are shared among up
 * to `threads` threads (default 1); the call returns when all are judged.
 */
static napi_value resolve_views(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3], out = NULL;
  call_t calls[MAX_THREADS];
  hostmap_t hosts = {0};
  memset(calls, 0, sizeof calls);
  uint32_t n = 0, nthreads = 1;
  bool is_array = false, host = false;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2 ||
      napi_is_array(env, argv[0], &is_array) != napi_ok || !is_array ||
      napi_get_value_bool(env, argv[1], &host) != napi_ok) {
    napi_throw_type_error(env, NULL, "resolveViews needs an array of views and a boolean");
    return NULL;
  }
  if (argc >= 3) napi_get_value_uint32(env, argv[2], &nthreads);
  if (nthreads < 1) nthreads = 1;
  if (nthreads > MAX_THREADS) nthreads = MAX_THREADS;
  for (uint32_t k = 0; k < nthreads; k++) calls[k].hosts = &hosts;
  napi_get_array_length(env, argv[0], &n);
  if (napi_create_array_with_length(env, n, &out) != napi_ok) return NULL;
  for (uint32_t i = 0; i < n; i++) {
    napi_value spec, r = NULL;
    if (napi_get_element(env, argv[0], i, &spec) != napi_ok ||
        resolve_view(env, calls, nthreads, &hosts, spec, host, &r) < 0) {
      out = NULL;
      break;
    }
    napi_set_element(env, out, i, r);
  }
  for (uint32_t k = 0; k < nthreads; k++) {
    free(calls[k].op);
    free(calls[k].exists.e);
    free(calls[k].dirs.e);
    free(calls[k].host.p);
  }
  for (size_t h = 0; h < hosts.n; h++) free(hosts.marks[h]);
  free(hosts.marks);
  free(hosts.of);
  /* the threads' merged-dir caches and walks were malloc'd in their arenas, which glibc keeps mapped when
   * freed: tens of MB on 10^5 links, carried through the rest of doctor's run. Hand them back */
#ifdef __GLIBC__
  malloc_trim(0);
#endif
  return out;
}

/* linkText(index: External): Buffer — the index's arena of link paths and targets, without a copy; the index
 * lives while the Buffer does. */
static napi_value link_text(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], out;
  void *ix = NULL;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      napi_get_value_external(env, argv[0], &ix) != napi_ok || ix == NULL) {
    napi_throw_type_error(env, NULL, "linkText needs a scan index");
    return NULL;
  }
  li_index_t *x = ix;
  if (napi_create_external_buffer(env, x->arena_len, x->arena, unref, x, &out) != napi_ok) {
    /* runtimes that refuse external memory (a V8 sandbox): a copy */
    void *copy = NULL;
    if (napi_create_buffer_copy(env, x->arena_len, x->arena, &copy, &out) != napi_ok) return NULL;
    return out;
  }
  x->refs++;
  return out;
}

void li_register(napi_env env, napi_value exports) {
  napi_value fn;
  napi_create_function(env, "resolveViews", NAPI_AUTO_LENGTH, resolve_views, NULL, &fn);
  napi_set_named_property(env, exports, "resolveViews", fn);
  napi_create_function(env, "linkText", NAPI_AUTO_LENGTH, link_text, NULL, &fn);
  napi_set_named_property(env, exports, "linkText", fn);
}
