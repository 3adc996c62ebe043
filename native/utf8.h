/* native/utf8.h: the one rule for "is this a valid UTF-8 sequence" that both native files use, so the scanner
 * and the link index decode a name's bytes exactly as src/fs/name-codec.ts does. */
#ifndef CRIFS_UTF8_H
#define CRIFS_UTF8_H

#include <stddef.h>

/* Length of the valid UTF-8 sequence at p[i], or 0 when the byte there does not start one: the rule of
 * utf8SequenceAt in src/fs/name-codec.ts (no overlongs, no surrogates, nothing past U+10FFFF). */
static inline size_t utf8_seq(const unsigned char *p, size_t len, size_t i) {
  unsigned c = p[i];
#define CONT(k) (i + (k) < len && (p[i + (k)] & 0xc0) == 0x80)
  if (c < 0x80) return 1;
  if (c >= 0xc2 && c <= 0xdf) return CONT(1) ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    if (!CONT(1) || !CONT(2)) return 0;
    if (c == 0xe0 && p[i + 1] < 0xa0) return 0;
    if (c == 0xed && p[i + 1] >= 0xa0) return 0;
    return 3;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    if (!CONT(1) || !CONT(2) || !CONT(3)) return 0;
    if (c == 0xf0 && p[i + 1] < 0x90) return 0;
    if (c == 0xf4 && p[i + 1] >= 0x90) return 0;
    return 4;
  }
  return 0;
#undef CONT
}

#endif
