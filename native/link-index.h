// native/link-index.h — the name index a links scan builds (native/link-index.c): every entry of every tree,
// by a 96-bit hash of its tree path, with its kind and, for a symlink, its path and target. scan.c records
// entries while it walks; link-index.c builds the per-tree tables after the walk and judges links over them.
#ifndef CRIFS_LINK_INDEX_H
#define CRIFS_LINK_INDEX_H

#include <node_api.h>
#include <stddef.h>
#include <stdint.h>

/* A 64-bit finaliser (splitmix64's): spreads every input bit over the output; both files' hashes end in it. */
static inline uint64_t li_mix64(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

/* Kinds, as kind() in scan.c numbers them. */
enum { LK_NONE = 0, LK_FILE = 1, LK_DIR = 2, LK_LINK = 3, LK_OTHER = 4, LK_WHITEOUT = 5 };
/* Marks, recorded beside the entries: the dir at the path is opaque (overlay.opaque "y") by its trusted or its
 * user xattr; the tree's dirs could not all be asked (opaque dirs are then asked by path when resolving). */
enum { LK_OPAQUE_TRUSTED = 6, LK_OPAQUE_USER = 7, LK_OPAQUE_UNKNOWN = 8 };

/* One entry as a walker meets it: tree in the low 28 bits, kind in the top 4. */
typedef struct {
  uint64_t h1;
  uint32_t h2;
  uint32_t tk;
} li_rec_t;

typedef struct {
  li_rec_t *v;
  size_t len, cap;
  int failed;
  /* the hash state of rel + "/" of the dir recorded last, so that its other entries hash only their name */
  uint64_t da, db, dlen;
  uint32_t dtree;
  int dvalid;
  char *drel;
  size_t drlen, drcap;
} li_vec_t;

typedef struct li_index li_index_t;

/* The two hashes of a tree path ("/a/b"), as one pass over its bytes. */
void li_hash(const char *p, size_t len, uint64_t *h1, uint32_t *h2);

/* Records the entry rel + "/" + name of `tree` (hashed at once; no path kept). */
void li_record(li_vec_t *v, uint32_t tree, const char *rel, size_t rlen, const char *name, int kind);

/* Records whether the dir at tree path rel (open as fd) is opaque (LK_OPAQUE_* marks): one flistxattr, and a
 * read of the overlay.opaque values only where a dir has them. Not for a tree root (rel ""). */
void li_note_opaque(li_vec_t *v, uint32_t tree, int fd, const char *rel, size_t rlen);

/* Builds the index of `ntrees` trees from the walkers' records and link buffers (u32 tree, u32 rel len,
 * u32 target len, rel, target — scan.c's format). `complete[t]` is 0 for a tree the walk did not see whole.
 * Frees the records. NULL when out of memory. */
li_index_t *li_build(uint32_t ntrees, li_vec_t *recs, size_t nrecs, const char *const *link_bufs,
                     const size_t *link_lens, size_t nbufs, const unsigned char *complete);

void li_free(li_index_t *ix);

/* Frees a walker's record vector: its records and its scratch (li_build does it for the vectors it takes). */
void li_vec_free(li_vec_t *v);

/* The index as a JS external (freed with it and with the Buffers linkText made of it). */
napi_status li_wrap(napi_env env, li_index_t *ix, napi_value *out);

/* Adds the index's functions to the addon's exports: resolveViews, linkText (see link-index.c). */
void li_register(napi_env env, napi_value exports);

#endif
