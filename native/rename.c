/* native/rename.c — renameBatch: the quarantine moves of one batch of `crifs repair --apply` (src/repair/apply.ts),
 * each as lstat → compare with the plan's identity → renameat2(RENAME_NOREPLACE), back to back in C: no JS runs
 * between an item's guard and its rename, and the batch costs no JS object per item.
 *
 *   renameBatch(srcs: (string | Buffer)[], dsts: (string | Buffer)[], ids: Float64Array): Int32Array
 *
 * ids holds dev, ino, ctimeMs per item (ctimeMs as Node's Stats has it: sec * 1e3 + nsec / 1e6; NaN: not
 * compared). The result per item: 0 moved; 1 gone (lstat: ENOENT, ENOTDIR); 2 another inode stands at the path
 * (dev or ino differ); 3 the inode changed (ctime differs); 4 not attempted (an earlier item failed); -errno when
 * lstat or the rename failed otherwise: the batch stops there (the items after it are 4). A destination that
 * exists is EEXIST (RENAME_NOREPLACE); a filesystem that does not know the flag (EINVAL) gets a plain rename, as
 * Node's renameSync would make. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <node_api.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rename.h"

enum { RB_MOVED = 0, RB_GONE = 1, RB_OTHER = 2, RB_CHANGED = 3, RB_SKIPPED = 4 };

/* A path argument (a string, or a Buffer for a name that is not UTF-8) into buf; -ENAMETOOLONG when it does not
 * fit, -EINVAL when it is neither or holds a NUL. */
static int rb_path(napi_env env, napi_value v, char *buf, size_t size) {
  bool is_buffer = false;
  size_t len = 0;
  if (napi_is_buffer(env, v, &is_buffer) == napi_ok && is_buffer) {
    void *data;
    if (napi_get_buffer_info(env, v, &data, &len) != napi_ok || memchr(data, 0, len)) return -EINVAL;
    if (len >= size - 1) return -ENAMETOOLONG;
    memcpy(buf, data, len);
    buf[len] = 0;
    return 0;
  }
  if (napi_get_value_string_utf8(env, v, buf, size, &len) != napi_ok) return -EINVAL;
  if (len >= size - 1 || memchr(buf, 0, len)) return len >= size - 1 ? -ENAMETOOLONG : -EINVAL;
  return 0;
}

/* One item: its guard (lstat against the identity), then its move. */
static int rb_one(const char *src, const char *dst, double dev, double ino, double ctime_ms) {
  struct stat st;
  if (lstat(src, &st) != 0) return (errno == ENOENT || errno == ENOTDIR) ? RB_GONE : -errno;
  if ((double)st.st_dev != dev || (double)st.st_ino != ino) return RB_OTHER;
  /* the same double arithmetic as Node's Stats.ctimeMs, so equal times compare equal */
  double now = (double)st.st_ctim.tv_sec * 1e3 + (double)st.st_ctim.tv_nsec / 1e6;
  if (!isnan(ctime_ms) && now != ctime_ms) return RB_CHANGED;
  if (renameat2(AT_FDCWD, src, AT_FDCWD, dst, RENAME_NOREPLACE) == 0) return RB_MOVED;
  if (errno != EINVAL) return -errno;
  /* a filesystem without RENAME_NOREPLACE: the plain rename the JS path makes */
  return rename(src, dst) == 0 ? RB_MOVED : -errno;
}

static napi_value rename_batch(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3], out, ab;
  uint32_t n = 0, m = 0;
  bool ok_a = false, ok_b = false;
  napi_typedarray_type type;
  size_t ids_len = 0;
  void *ids_data = NULL;
  bool is_typed = false;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 3 ||
      napi_is_array(env, argv[0], &ok_a) != napi_ok || !ok_a || napi_is_array(env, argv[1], &ok_b) != napi_ok ||
      !ok_b || napi_get_array_length(env, argv[0], &n) != napi_ok ||
      napi_get_array_length(env, argv[1], &m) != napi_ok || n != m ||
      napi_is_typedarray(env, argv[2], &is_typed) != napi_ok || !is_typed ||
      napi_get_typedarray_info(env, argv[2], &type, &ids_len, &ids_data, NULL, NULL) != napi_ok ||
      type != napi_float64_array || ids_len != (size_t)n * 3) {
    napi_throw_type_error(env, NULL,
                          "renameBatch(srcs, dsts, ids): two arrays of paths of one length and a Float64Array "
                          "of 3 numbers per path");
    return NULL;
  }
  const double *ids = ids_data;
  int32_t *res = NULL;
  if (napi_create_arraybuffer(env, (size_t)n * sizeof(int32_t), (void **)&res, &ab) != napi_ok ||
      napi_create_typedarray(env, napi_int32_array, n, ab, 0, &out) != napi_ok)
    return NULL;
  char src[PATH_MAX + 1], dst[PATH_MAX + 1];
  uint32_t i = 0;
  for (; i < n; i++) {
    napi_value s, d;
    int r;
    if (napi_get_element(env, argv[0], i, &s) != napi_ok || napi_get_element(env, argv[1], i, &d) != napi_ok)
      r = -EINVAL;
    else if ((r = rb_path(env, s, src, sizeof src)) == 0 && (r = rb_path(env, d, dst, sizeof dst)) == 0)
      r = rb_one(src, dst, ids[3 * i], ids[3 * i + 1], ids[3 * i + 2]);
    res[i] = r;
    if (r < 0) break;
  }
  for (i = i < n ? i + 1 : n; i < n; i++) res[i] = RB_SKIPPED;
  return out;
}

void rb_register(napi_env env, napi_value exports) {
  napi_value fn;
  napi_create_function(env, "renameBatch", NAPI_AUTO_LENGTH, rename_batch, NULL, &fn);
  napi_set_named_property(env, exports, "renameBatch", fn);
}
