// native/link-index.c — a links scan's name index, and the resolution of every symlink of a container's merged
// root over it, with no system call but one xattr read per merged dir (src/links/broken-links.ts).
//
//   scan (scan.c, index: true)   every entry of every tree ──► li_rec_t (hash of its tree path, tree, kind)
//   li_build                     per tree: an open-addressing table  hash(path) → kind, and link target
//   resolveLinks(layers, …)      per link: the overlay rules of src/fs/overlay-view.ts (#merge) and the walk of
//                                src/fs/resolve-in-root.ts (40 hops, absolute targets restart at /), layer by
//                                layer over the tables: hidden, fine, or ENOENT / ENOTDIR / ELOOP and where
//
// A path is known by two hashes (64 + 32 bits) of its bytes; two names of one tree with the same 96 bits would
// make the tree's table unusable (li_build marks it incomplete and the caller resolves it in JS, by lstat).
// Names are bytes: a result path goes to JS in decodeName's form (make_name, scan.c).
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include "link-index.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>

napi_status make_name(napi_env env, const char *s, size_t len, napi_value *out); /* scan.c */

/* The kernel's MAXSYMLINKS, as src/fs/resolve-in-root.ts's maxSymlinkHops. */
#define MAX_HOPS 40

/* A tree's table: slot i holds h1[i] and hk[i] = the low 29 bits of h2 << 3 | kind (0: empty). 12 bytes a
 * slot, at most 3/4 full: about 16 bytes an entry (a 1 M-entry store: 16 MB). */
typedef struct {
  uint64_t *h1;
  uint32_t *hk;
  uint64_t cap;
  int complete;
} li_tree_t;

/* The links' targets, by (tree, path hash): open addressing, at most half full. */
typedef struct {
  uint64_t h1;
  uint32_t hk;
  uint32_t tree_plus1; /* 0: empty */
  uint32_t no;
} li_link_t;

struct li_index {
  uint32_t ntrees;
  li_tree_t *trees;
  li_link_t *links;
  uint64_t lmask;
  char *arena; /* link targets, back to back */
  uint64_t *toff;
  uint32_t *tlen;
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
  h_init(&h);
  h_feed(&h, rel, rlen);
  h_feed(&h, "/", 1);
  h_feed(&h, name, strlen(name));
  li_rec_t *r = &v->v[v->len++];
  h_final(&h, &r->h1, &r->h2);
  r->tk = (tree & 0x0fffffffu) | ((uint32_t)kind << 28);
}

/* ---------- the tables ---------- */

static inline uint32_t hk_of(uint32_t h2, int kind) { return ((h2 & 0x1fffffffu) << 3) | (uint32_t)kind; }

/* The slot of (h1, h2) in t: its own, or the empty one where it would go. */
static uint64_t find_slot(const li_tree_t *t, uint64_t h1, uint32_t h2) {
  uint32_t want = hk_of(h2, 0);
  uint64_t i = (uint64_t)(((__uint128_t)h1 * t->cap) >> 64); /* h1 scaled to [0, cap) */
  for (;; i = i + 1 == t->cap ? 0 : i + 1) {
    uint32_t hk = t->hk[i];
    if (hk == 0 || (t->h1[i] == h1 && (hk & ~7u) == want)) return i;
  }
}

/* The number (from 1) of the link target of (tree, h1, h2); 0 when none was read. */
static uint32_t link_no(const li_index_t *ix, uint32_t tree, uint64_t h1, uint32_t h2) {
  uint32_t want = hk_of(h2, 0);
  for (uint64_t i = (h1 ^ tree) & ix->lmask;; i = (i + 1) & ix->lmask) {
    const li_link_t *l = &ix->links[i];
    if (l->tree_plus1 == 0) return 0;
    if (l->tree_plus1 == tree + 1 && l->h1 == h1 && l->hk == want) return l->no;
  }
}

void li_free(li_index_t *ix) {
  if (!ix) return;
  for (uint32_t t = 0; ix->trees && t < ix->ntrees; t++) {
    free(ix->trees[t].h1);
    free(ix->trees[t].hk);
  }
  free(ix->trees);
  free(ix->links);
  free(ix->arena);
  free(ix->toff);
  free(ix->tlen);
  free(ix);
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
    for (size_t j = 0; j < recs[i].len; j++) count[recs[i].v[j].tk & 0x0fffffffu]++;
  for (uint32_t t = 0; t < ntrees; t++) {
    uint64_t cap = count[t] + count[t] / 3 + 16; /* load at most 3/4 */
    ix->trees[t].h1 = malloc(cap * sizeof(uint64_t));
    ix->trees[t].hk = calloc(cap, sizeof(uint32_t));
    if (!ix->trees[t].h1 || !ix->trees[t].hk) goto oom;
    ix->trees[t].cap = cap;
    ix->trees[t].complete = complete[t];
  }
  for (size_t i = 0; i < nrecs; i++) {
    for (size_t j = 0; j < recs[i].len; j++) {
      li_rec_t *r = &recs[i].v[j];
      li_tree_t *t = &ix->trees[r->tk & 0x0fffffffu];
      uint64_t k = find_slot(t, r->h1, r->h2);
      if (t->hk[k] != 0) t->complete = 0; /* two names, one hash: this tree cannot be trusted */
      t->h1[k] = r->h1;
      t->hk[k] = hk_of(r->h2, (int)(r->tk >> 28));
    }
    free(recs[i].v);
    recs[i].v = NULL;
    recs[i].len = recs[i].cap = 0;
  }
  /* link targets: number them, copy them into one arena */
  size_t nlinks = 0, bytes = 0;
  for (size_t b = 0; b < nbufs; b++) {
    for (size_t off = 0; off < link_lens[b];) {
      uint32_t hdr[3];
      memcpy(hdr, link_bufs[b] + off, sizeof hdr);
      off += sizeof hdr + hdr[1] + hdr[2];
      nlinks++;
      bytes += hdr[2];
    }
  }
  ix->arena = malloc(bytes ? bytes : 1);
  ix->toff = malloc((nlinks ? nlinks : 1) * sizeof(uint64_t));
  ix->tlen = malloc((nlinks ? nlinks : 1) * sizeof(uint32_t));
  uint64_t lcap = 16;
  while (lcap < 2 * nlinks) lcap *= 2;
  ix->links = calloc(lcap, sizeof(li_link_t));
  ix->lmask = lcap - 1;
  if (!ix->arena || !ix->toff || !ix->tlen || !ix->links || nlinks >= UINT32_MAX) goto oom;
  size_t n = 0, at = 0;
  for (size_t b = 0; b < nbufs; b++) {
    for (size_t off = 0; off < link_lens[b];) {
      uint32_t hdr[3];
      memcpy(hdr, link_bufs[b] + off, sizeof hdr);
      const char *rel = link_bufs[b] + off + sizeof hdr;
      const char *target = rel + hdr[1];
      off += sizeof hdr + hdr[1] + hdr[2];
      memcpy(ix->arena + at, target, hdr[2]);
      ix->toff[n] = at;
      ix->tlen[n] = hdr[2];
      at += hdr[2];
      if (hdr[0] < ntrees && !(hdr[1] == 1 && rel[0] == '/')) { /* a tree root that is a link is no layer */
        uint64_t h1;
        uint32_t h2;
        li_hash(rel, hdr[1], &h1, &h2);
        uint64_t i = (h1 ^ hdr[0]) & ix->lmask;
        while (ix->links[i].tree_plus1 != 0) i = (i + 1) & ix->lmask;
        ix->links[i] = (li_link_t){h1, hk_of(h2, 0), hdr[0] + 1, (uint32_t)(n + 1)};
      }
      n++;
    }
  }
  free(count);
  return ix;
oom:
  free(count);
  for (size_t i = 0; i < nrecs; i++) {
    free(recs[i].v);
    recs[i].v = NULL;
  }
  li_free(ix);
  return NULL;
}

static void finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  li_free(data);
}

napi_status li_wrap(napi_env env, li_index_t *ix, napi_value *out) {
  napi_status st = napi_create_external(env, ix, finalize, NULL, out);
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
  size_t cap = b->cap ? b->cap : 4096;
  while (cap < b->len + extra) cap *= 2;
  char *n = realloc(b->p, cap);
  if (!n) return -1;
  b->p = n;
  b->cap = cap;
  return 0;
}

/* A merged dir on the walk: its path (a prefix of ctx.path), its hash state, its layers (a run of ctx.pool). */
typedef struct {
  size_t plen;
  li_hstate_t h;
  size_t loff, lcnt;
} level_t;

typedef struct {
  size_t off, len; /* into ctx.comps */
} comp_t;

typedef struct {
  /* the view */
  uint32_t nlayers;
  const li_tree_t **layer; /* per layer, top first */
  uint32_t *tree;
  const li_index_t **owner;
  char **dir;
  size_t *dirlen;
  int opaque_trusted, opaque_user;
  /* the walk */
  bytes_t path;
  bytes_t comps;
  comp_t *todo;
  size_t ntodo, captodo;
  level_t *levels;
  size_t depth, caplevels;
  uint32_t *pool;
  size_t poollen, cappool;
  /* opaque answers: (layer, h1, h2) → 1 + opaque; open addressing, grown at half load */
  struct {
    uint64_t h1;
    uint32_t h2;
    uint32_t layer_plus1;
    int opaque;
  } *op;
  size_t opcap, oplen;
  bytes_t host;
  int oom, incomplete;
} ctx_t;

static int push_todo(ctx_t *c, size_t off, size_t len) {
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
static int push_components(ctx_t *c, const char *p, size_t len) {
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

static int pool_reserve(ctx_t *c, size_t extra) {
  if (c->poollen + extra <= c->cappool) return 0;
  size_t cap = c->cappool ? c->cappool : 256;
  while (cap < c->poollen + extra) cap *= 2;
  uint32_t *n = realloc(c->pool, cap * sizeof(uint32_t));
  if (!n) return -1;
  c->pool = n;
  c->cappool = cap;
  return 0;
}

static int push_level(ctx_t *c, size_t plen, const li_hstate_t *h, size_t loff, size_t lcnt) {
  if (c->depth == c->caplevels) {
    size_t cap = c->caplevels ? c->caplevels * 2 : 64;
    level_t *n = realloc(c->levels, cap * sizeof(level_t));
    if (!n) return -1;
    c->levels = n;
    c->caplevels = cap;
  }
  c->levels[c->depth++] = (level_t){plen, *h, loff, lcnt};
  c->poollen = loff + lcnt;
  return 0;
}

/* Back to `depth` levels: the path and the pool shrink to the top one's. */
static void pop_to(ctx_t *c, size_t depth) {
  c->depth = depth;
  level_t *top = &c->levels[depth - 1];
  c->path.len = top->plen;
  c->poollen = top->loff + top->lcnt;
}

static int is_y(const char *host, const char *name) {
  char v[2];
  ssize_t n = lgetxattr(host, name, v, sizeof v);
  return n == 1 && v[0] == 'y';
}

/* isOpaqueDir of the dir at ctx.path (its full length) in `layer`, asked once per (layer, path) and call. */
static int is_opaque(ctx_t *c, uint32_t layer, uint64_t h1, uint32_t h2) {
  if (c->oplen * 2 >= c->opcap) {
    size_t cap = c->opcap ? c->opcap * 2 : 1024;
    void *n = calloc(cap, sizeof(*c->op));
    if (!n) {
      c->oom = 1;
      return 0;
    }
    void *old = c->op;
    size_t oldcap = c->opcap;
    c->op = n;
    c->opcap = cap;
    for (size_t i = 0; i < oldcap; i++) {
      __typeof__(c->op) e = (__typeof__(c->op))old + i;
      if (e->layer_plus1 == 0) continue;
      size_t j = (e->h1 ^ e->layer_plus1) & (cap - 1);
      while (c->op[j].layer_plus1 != 0) j = (j + 1) & (cap - 1);
      c->op[j] = *e;
    }
    free(old);
  }
  size_t j = (h1 ^ (layer + 1)) & (c->opcap - 1);
  for (; c->op[j].layer_plus1 != 0; j = (j + 1) & (c->opcap - 1))
    if (c->op[j].layer_plus1 == layer + 1 && c->op[j].h1 == h1 && c->op[j].h2 == h2) return c->op[j].opaque;
  c->host.len = 0;
  if (bytes_reserve(&c->host, c->dirlen[layer] + c->path.len + 1) < 0) {
    c->oom = 1;
    return 0;
  }
  memcpy(c->host.p, c->dir[layer], c->dirlen[layer]);
  memcpy(c->host.p + c->dirlen[layer], c->path.p, c->path.len);
  c->host.p[c->dirlen[layer] + c->path.len] = 0;
  int opaque = (c->opaque_trusted && is_y(c->host.p, "trusted.overlay.opaque")) ||
               (c->opaque_user && is_y(c->host.p, "user.overlay.opaque"));
  c->op[j].h1 = h1;
  c->op[j].h2 = h2;
  c->op[j].layer_plus1 = layer + 1;
  c->op[j].opaque = opaque;
  c->oplen++;
  return opaque;
}

/* What the merged dir at the top level holds at `name`: appends "/" + name to ctx.path (left there), its
 * layers to the pool after the top level's (left there), and returns the kind (LK_NONE: absent or whited out),
 * the layer it comes from and its hash state. The rules of OverlayView's #merge. */
static int lookup_child(ctx_t *c, const char *name, size_t nlen, uint32_t *top_layer, li_hstate_t *hs,
                        size_t *lcnt) {
  level_t *dir = &c->levels[c->depth - 1];
  if (bytes_reserve(&c->path, nlen + 1) < 0 || pool_reserve(c, dir->lcnt) < 0) {
    c->oom = 1;
    return LK_NONE;
  }
  dir = &c->levels[c->depth - 1];
  c->path.p[c->path.len++] = '/';
  memcpy(c->path.p + c->path.len, name, nlen);
  c->path.len += nlen;
  *hs = dir->h;
  h_feed(hs, "/", 1);
  h_feed(hs, name, nlen);
  uint64_t h1;
  uint32_t h2;
  h_final(hs, &h1, &h2);
  int top = LK_NONE;
  size_t merged = 0;
  for (size_t k = 0; k < dir->lcnt; k++) {
    uint32_t layer = c->pool[dir->loff + k];
    const li_tree_t *t = c->layer[layer];
    uint32_t hk = t->hk[find_slot(t, h1, h2)];
    if (hk == 0) continue;
    int kind = (int)(hk & 7u);
    if (kind == LK_WHITEOUT) break; /* hides the name here and in every lower layer */
    if (top == LK_NONE) {
      top = kind;
      *top_layer = layer;
    }
    if (kind != LK_DIR) break; /* a non-dir hides everything below; below a dir, it ends the merge */
    /* a dir below a dir: it merges unless the one above is opaque. Asked only here, where the answer
     * matters (#merge asks for every dir with layers below it: the same merge, more xattr reads) */
    if (merged > 0 && is_opaque(c, c->pool[c->poollen + merged - 1], h1, h2)) break;
    c->pool[c->poollen + merged++] = layer;
  }
  *lcnt = merged;
  return top;
}

enum { R_HIDDEN = 0, R_OK = 1, R_ENOENT = 2, R_ENOTDIR = 3, R_ELOOP = 4 };

/* Judges the link at tree path rel of layer `layer`: R_HIDDEN when the merged tree does not show it, else the
 * outcome of resolving it (resolveInRoot, following the last component). *at / *atlen: the failure's path,
 * or the resolved path for R_OK, in ctx.path or ctx.host. */
static int judge(ctx_t *c, uint32_t layer, const char *rel, size_t rlen, const char **at, size_t *atlen) {
  c->path.len = 0;
  c->comps.len = 0;
  c->ntodo = 0;
  c->depth = 0;
  c->poollen = 0;
  if (pool_reserve(c, c->nlayers) < 0) return c->oom = 1, R_HIDDEN;
  for (uint32_t i = 0; i < c->nlayers; i++) c->pool[i] = i;
  li_hstate_t h;
  h_init(&h);
  if (push_level(c, 0, &h, 0, c->nlayers) < 0) return c->oom = 1, R_HIDDEN;
  /* the lookup of rel, following nothing: every component but the last must be a merged dir */
  size_t i = 0;
  while (i < rlen && rel[i] == '/') i++;
  const char *last = NULL;
  size_t lastlen = 0;
  while (i < rlen) {
    size_t e = i;
    while (e < rlen && rel[e] != '/') e++;
    size_t next = e;
    while (next < rlen && rel[next] == '/') next++;
    if (next >= rlen) {
      last = rel + i;
      lastlen = e - i;
      break;
    }
    uint32_t tl = 0;
    size_t lcnt = 0;
    size_t loff = c->poollen;
    int k = lookup_child(c, rel + i, e - i, &tl, &h, &lcnt);
    if (c->oom) return R_HIDDEN;
    if (k != LK_DIR) return R_HIDDEN;
    if (push_level(c, c->path.len, &h, loff, lcnt) < 0) return c->oom = 1, R_HIDDEN;
    i = next;
  }
  if (last == NULL) return R_HIDDEN;
  {
    uint32_t tl = 0;
    size_t lcnt = 0;
    li_hstate_t hs;
    int k = lookup_child(c, last, lastlen, &tl, &hs, &lcnt);
    pop_to(c, c->depth);
    if (c->oom || k != LK_LINK || tl != layer) return R_HIDDEN;
  }
  /* resolve: the link's name from its dir, as resolve(rel) walks it */
  if (push_components(c, last, lastlen) < 0) return c->oom = 1, R_HIDDEN;
  int hops = 0;
  int leaf = 0; /* the walk ended on a non-dir: ctx.path is its path */
  while (c->ntodo > 0) {
    comp_t comp = c->todo[--c->ntodo];
    if (leaf) {
      *at = c->path.p;
      *atlen = c->path.len;
      return R_ENOTDIR;
    }
    /* comps may move when a target is pushed: copy the name out */
    const char *name = c->comps.p + comp.off;
    if (comp.len == 1 && name[0] == '.') continue;
    if (comp.len == 2 && name[0] == '.' && name[1] == '.') {
      if (c->depth > 1) pop_to(c, c->depth - 1); /* at the root, ".." stays at the root */
      continue;
    }
    uint32_t tl = 0;
    size_t lcnt = 0;
    li_hstate_t hs;
    size_t loff = c->poollen;
    int k = lookup_child(c, name, comp.len, &tl, &hs, &lcnt);
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
      uint64_t h1;
      uint32_t h2;
      h_final(&hs, &h1, &h2);
      uint32_t no = link_no(ix, c->tree[tl], h1, h2);
      if (no == 0) return c->incomplete = 1, R_HIDDEN; /* a link whose target was not read: not whole */
      uint64_t toff = ix->toff[no - 1];
      uint32_t tlen = ix->tlen[no - 1];
      if (tlen == 0) {
        *at = c->path.p;
        *atlen = c->path.len;
        return R_ENOENT; /* an empty symlink body resolves to nothing */
      }
      const char *target = ix->arena + toff;
      if (target[0] == '/')
        pop_to(c, 1);
      else
        pop_to(c, c->depth);
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

/* Bytes of a JS path argument: a Buffer as it is (fsPath of a name that is not UTF-8), a string as UTF-8. */
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

/*
 * resolveLinks(indexes: External[], trees: Uint32Array, dirs: (string | Buffer)[], opaque: 0 either | 1 trusted
 *              | 2 user, linkLayers: Uint32Array, rels: (string | Buffer)[], wantPaths: boolean)
 *   → { codes: Uint8Array, at: (string | undefined)[] } | null
 * Layer i of the view (top first) is tree trees[i] of indexes[i], whose host dir is dirs[i]. Link j is the link
 * at tree path rels[j] of layer linkLayers[j]. codes[j]: 0 hidden by the merge, 1 resolves, 2 ENOENT, 3 ENOTDIR,
 * 4 ELOOP; at[j]: where it failed, or with wantPaths the path it resolves to. null: a layer's index is not
 * complete (the caller resolves by lstat instead).
 */
napi_value li_resolve_links(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7], result = NULL, codes_ab, codes, ats;
  ctx_t c;
  memset(&c, 0, sizeof c);
  bytes_t arg = {0};
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 7) {
    napi_throw_type_error(env, NULL, "resolveLinks needs seven arguments");
    return NULL;
  }
  uint32_t n = 0, nlinks = 0, opaque = 0;
  bool want_paths = false;
  napi_get_array_length(env, argv[0], &n);
  napi_get_value_uint32(env, argv[3], &opaque);
  napi_get_array_length(env, argv[5], &nlinks);
  napi_get_value_bool(env, argv[6], &want_paths);
  napi_typedarray_type type;
  size_t tlen = 0, llen = 0;
  void *tdata = NULL, *ldata = NULL;
  if (napi_get_typedarray_info(env, argv[1], &type, &tlen, &tdata, NULL, NULL) != napi_ok ||
      type != napi_uint32_array || tlen < n ||
      napi_get_typedarray_info(env, argv[4], &type, &llen, &ldata, NULL, NULL) != napi_ok ||
      type != napi_uint32_array || llen < nlinks || n == 0) {
    napi_throw_type_error(env, NULL, "resolveLinks: bad arguments");
    return NULL;
  }
  c.nlayers = n;
  c.opaque_trusted = opaque != 2;
  c.opaque_user = opaque != 1;
  c.layer = calloc(n, sizeof(*c.layer));
  c.owner = calloc(n, sizeof(*c.owner));
  c.tree = calloc(n, sizeof(uint32_t));
  c.dir = calloc(n, sizeof(char *));
  c.dirlen = calloc(n, sizeof(size_t));
  if (!c.layer || !c.owner || !c.tree || !c.dir || !c.dirlen) goto oom;
  for (uint32_t i = 0; i < n; i++) {
    napi_value v;
    void *ix = NULL;
    uint32_t t = ((uint32_t *)tdata)[i];
    if (napi_get_element(env, argv[0], i, &v) != napi_ok || napi_get_value_external(env, v, &ix) != napi_ok ||
        ix == NULL || t >= ((li_index_t *)ix)->ntrees) {
      napi_throw_type_error(env, NULL, "resolveLinks: indexes must be scan indexes");
      goto done;
    }
    c.owner[i] = ix;
    c.tree[i] = t;
    c.layer[i] = &((li_index_t *)ix)->trees[t];
    if (!c.layer[i]->complete) {
      napi_get_null(env, &result);
      goto done;
    }
    if (napi_get_element(env, argv[2], i, &v) != napi_ok || arg_bytes(env, v, &arg) < 0) goto oom;
    c.dir[i] = malloc(arg.len + 1);
    if (!c.dir[i]) goto oom;
    memcpy(c.dir[i], arg.p, arg.len + 1);
    c.dirlen[i] = arg.len;
  }
  uint8_t *out = NULL;
  if (napi_create_arraybuffer(env, nlinks ? nlinks : 1, (void **)&out, &codes_ab) != napi_ok) goto oom;
  napi_create_typedarray(env, napi_uint8_array, nlinks, codes_ab, 0, &codes);
  napi_create_array_with_length(env, nlinks, &ats);
  for (uint32_t j = 0; j < nlinks; j++) {
    napi_value v;
    uint32_t layer = ((uint32_t *)ldata)[j];
    if (napi_get_element(env, argv[5], j, &v) != napi_ok || arg_bytes(env, v, &arg) < 0) goto oom;
    const char *at = NULL;
    size_t atlen = 0;
    int r = layer < n ? judge(&c, layer, arg.p, arg.len, &at, &atlen) : R_HIDDEN;
    if (c.oom) goto oom;
    if (c.incomplete) {
      napi_get_null(env, &result);
      goto done;
    }
    out[j] = (uint8_t)r;
    if (at != NULL && (r != R_OK || want_paths)) {
      napi_value s;
      if (make_name(env, at, atlen, &s) != napi_ok) goto oom;
      napi_set_element(env, ats, j, s);
    }
  }
  napi_create_object(env, &result);
  napi_set_named_property(env, result, "codes", codes);
  napi_set_named_property(env, result, "at", ats);
  goto done;
oom:
  napi_throw_error(env, NULL, "resolveLinks: out of memory");
  result = NULL;
done:
  for (uint32_t i = 0; c.dir && i < n; i++) free(c.dir[i]);
  free(c.dir);
  free(c.dirlen);
  free(c.layer);
  free(c.owner);
  free(c.tree);
  free(c.path.p);
  free(c.comps.p);
  free(c.todo);
  free(c.levels);
  free(c.pool);
  free(c.op);
  free(c.host.p);
  free(arg.p);
  return result;
}
