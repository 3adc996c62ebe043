/* native/list.c — listStats: the entries of one dir with what lstat says of each, in one call that returns packed
 * results (doctor's listing of snapshots/: 10^4 leaked dirs cost one readdir and one fstatat each, and no JS
 * Dirent or Stats object per entry). src/fs/list-stats.ts reads it, and has the same in JS when the addon is not
 * built.
 *
 *   listStats(dir: string | Buffer): { names: Buffer, ascii: boolean, stats: Float64Array } | number
 *
 * names: every entry's name but . and .., each followed by a NUL, sorted bytewise (the order Node's readdirSync
 * gives: libuv sorts with strcmp); ascii: whether no name holds a byte >= 0x80. stats: LS_STRIDE numbers per
 * entry: errno of its fstatat (0: it answered), 1 for a dir else 0, mtimeMs, ctimeMs (as Node's Stats computes
 * them: sec * 1e3 + nsec / 1e6), dev, ino. A number instead of the object: -errno of opening or reading the dir. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <node_api.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "list.h"

enum { LS_STRIDE = 6 };

/* The names, back to back with their NULs, and each one's offset. */
struct ls_names {
  char *text;
  size_t len, cap;
  size_t *at;
  size_t n, atcap;
};

static int ls_push(struct ls_names *s, const char *name) {
  size_t len = strlen(name) + 1;
  if (s->len + len > s->cap) {
    size_t cap = s->cap == 0 ? 16384 : s->cap * 2;
    while (cap < s->len + len) cap *= 2;
    char *t = realloc(s->text, cap);
    if (t == NULL) return -ENOMEM;
    s->text = t;
    s->cap = cap;
  }
  if (s->n == s->atcap) {
    size_t cap = s->atcap == 0 ? 1024 : s->atcap * 2;
    size_t *a = realloc(s->at, cap * sizeof *a);
    if (a == NULL) return -ENOMEM;
    s->at = a;
    s->atcap = cap;
  }
  memcpy(s->text + s->len, name, len);
  s->at[s->n++] = s->len;
  s->len += len;
  return 0;
}

static const char *ls_base;
static int ls_cmp(const void *a, const void *b) {
  return strcmp(ls_base + *(const size_t *)a, ls_base + *(const size_t *)b);
}

/* Reads the dir into s (unsorted); 0 or -errno. */
static int ls_read(int fd, struct ls_names *s) {
  DIR *d = fdopendir(fd);
  if (d == NULL) {
    int e = errno;
    close(fd);
    return -e;
  }
  int r = 0;
  for (;;) {
    errno = 0;
    struct dirent *e = readdir(d);
    if (e == NULL) {
      if (errno != 0) r = -errno;
      break;
    }
    const char *n = e->d_name;
    if (n[0] == '.' && (n[1] == 0 || (n[1] == '.' && n[2] == 0))) continue;
    if ((r = ls_push(s, n)) != 0) break;
  }
  closedir(d);
  return r;
}

static napi_value list_stats(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], out = NULL, v;
  char dir[PATH_MAX + 1];
  bool is_buffer = false;
  size_t len = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1) goto usage;
  if (napi_is_buffer(env, argv[0], &is_buffer) == napi_ok && is_buffer) {
    void *data;
    if (napi_get_buffer_info(env, argv[0], &data, &len) != napi_ok || len >= sizeof dir - 1 || memchr(data, 0, len))
      goto usage;
    memcpy(dir, data, len);
    dir[len] = 0;
  } else if (napi_get_value_string_utf8(env, argv[0], dir, sizeof dir, &len) != napi_ok || len >= sizeof dir - 1 ||
             memchr(dir, 0, len)) {
    goto usage;
  }
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    napi_create_int32(env, -errno, &out);
    return out;
  }
  int dfd = dup(fd); /* fdopendir takes fd; the stats go by dfd, closed after */
  struct ls_names s = {0};
  int r = dfd < 0 ? -errno : ls_read(fd, &s);
  if (dfd < 0) close(fd);
  if (r != 0) {
    if (dfd >= 0) close(dfd);
    free(s.text);
    free(s.at);
    napi_create_int32(env, r, &out);
    return out;
  }
  ls_base = s.text;
  qsort(s.at, s.n, sizeof *s.at, ls_cmp);
  napi_value ab, stats, names;
  double *st = NULL;
  char *bytes = NULL;
  bool ascii = true;
  if (napi_create_arraybuffer(env, s.n * LS_STRIDE * sizeof(double), (void **)&st, &ab) != napi_ok ||
      napi_create_typedarray(env, napi_float64_array, s.n * LS_STRIDE, ab, 0, &stats) != napi_ok ||
      napi_create_buffer(env, s.len, (void **)&bytes, &names) != napi_ok) {
    close(dfd);
    free(s.text);
    free(s.at);
    return NULL;
  }
  size_t o = 0;
  for (size_t i = 0; i < s.n; i++) {
    const char *name = s.text + s.at[i];
    size_t n = strlen(name) + 1;
    memcpy(bytes + o, name, n);
    for (size_t k = 0; k < n && ascii; k++) ascii = (unsigned char)name[k] < 0x80;
    o += n;
    struct stat sb;
    double *row = st + i * LS_STRIDE;
    if (fstatat(dfd, name, &sb, AT_SYMLINK_NOFOLLOW) != 0) {
      row[0] = errno;
      for (int k = 1; k < LS_STRIDE; k++) row[k] = 0;
      continue;
    }
    row[0] = 0;
    row[1] = S_ISDIR(sb.st_mode) ? 1 : 0;
    row[2] = (double)sb.st_mtim.tv_sec * 1e3 + (double)sb.st_mtim.tv_nsec / 1e6;
    row[3] = (double)sb.st_ctim.tv_sec * 1e3 + (double)sb.st_ctim.tv_nsec / 1e6;
    row[4] = (double)sb.st_dev;
    row[5] = (double)sb.st_ino;
  }
  close(dfd);
  free(s.text);
  free(s.at);
  if (napi_create_object(env, &out) != napi_ok) return NULL;
  napi_set_named_property(env, out, "names", names);
  napi_get_boolean(env, ascii, &v);
  napi_set_named_property(env, out, "ascii", v);
  napi_set_named_property(env, out, "stats", stats);
  return out;
usage:
  napi_throw_type_error(env, NULL, "listStats(dir): dir must be a string or a Buffer without a NUL");
  return NULL;
}

void ls_register(napi_env env, napi_value exports) {
  napi_value fn;
  napi_create_function(env, "listStats", NAPI_AUTO_LENGTH, list_stats, NULL, &fn);
  napi_set_named_property(env, exports, "listStats", fn);
}
