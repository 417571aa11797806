/* NumPy .npy reader and writer.  See ingot_npy.h for the contract.
 *
 * The header is a Python dict literal, written by numpy as repr() of
 * {'descr': ..., 'fortran_order': ..., 'shape': ...}.  numpy reads it with
 * ast.literal_eval; we accept the small subset of Python literal syntax that
 * can describe a plain array (strings without escapes, True/False, a tuple of
 * non-negative ints, keys in any order, optional trailing commas, Python 2's
 * 'L' suffix on ints) and reject everything else with a message.
 *
 * A file is treated as hostile: the magic, version and header length are
 * checked before the header is read, the header is parsed with explicit
 * bounds, dims are checked for overflow, and the data must be exactly
 * numel * itemsize bytes before anything that size is allocated. */
#include "ingot_npy.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define NPY_MAGIC "\x93NUMPY"
#define NPY_MAGIC_LEN 6
#define NPY_ALIGN 64                 /* numpy.lib.format.ARRAY_ALIGN */
#define NPY_GROWTH_AXIS_DIGITS 21    /* numpy reserves room to grow shape[0] */
#define NPY_MAX_HEADER ((size_t)1 << 20)

/* ---- errors ------------------------------------------------------------------ */

/* Formats "name: message" into err, one line: control characters become '?'. */
static int npy_fail(char *err, size_t errlen, const char *name, const char *fmt, ...) {
  if (!err || errlen == 0) return -1;
  int n = snprintf(err, errlen, "%s: ", name ? name : "<buffer>");
  if (n < 0) n = 0;
  if ((size_t)n < errlen) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
    va_end(ap);
  }
  for (char *c = err; *c; c++)
    if ((unsigned char)*c < 0x20 || *c == 0x7f) *c = '?';
  return -1;
}

/* A printable, bounded copy of untrusted header text for messages. */
static void npy_quote(char *dst, size_t dstlen, const char *s, size_t n) {
  if (dstlen < 5) {
    if (dstlen) dst[0] = 0;
    return;
  }
  size_t keep = n < dstlen - 4 ? n : dstlen - 4, j = 0;
  for (size_t i = 0; i < keep; i++) {
    unsigned char c = (unsigned char)s[i];
    dst[j++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
  }
  if (keep < n)
    for (int k = 0; k < 3; k++) dst[j++] = '.';
  dst[j] = 0;
}

static int host_is_little_endian(void) {
  const uint16_t one = 1;
  return *(const uint8_t *)&one == 1;
}

/* ---- dtypes -------------------------------------------------------------------- */

typedef struct {
  char kind;
  int size;
  int dtype; /* ONNX code */
} npy_type_t;

static const npy_type_t npy_types[] = {
    {'f', 4, 1},  {'f', 2, 10}, {'f', 8, 11}, {'i', 1, 3},  {'i', 2, 5},  {'i', 4, 6},
    {'i', 8, 7},  {'u', 1, 2},  {'u', 2, 4},  {'u', 4, 12}, {'u', 8, 13}, {'b', 1, 9},
};
#define NPY_NTYPES (sizeof npy_types / sizeof npy_types[0])

size_t ingot_npy_dtype_size(int dtype) {
  for (size_t i = 0; i < NPY_NTYPES; i++)
    if (npy_types[i].dtype == dtype) return (size_t)npy_types[i].size;
  return 0;
}

/* ---- header parsing ---------------------------------------------------------- */

typedef struct {
  int dtype;
  size_t itemsize;
  int rank;
  int64_t dims[INGOT_NPY_MAX_RANK];
  size_t nbytes;
} npy_hdr_t;

typedef struct {
  const char *p, *end;
  const char *name;
  char *err;
  size_t errlen;
} npy_cur_t;

static void skip_ws(npy_cur_t *c) {
  while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r' || *c->p == '\f' ||
                           *c->p == '\v'))
    c->p++;
}

static int expect(npy_cur_t *c, char ch, const char *what) {
  skip_ws(c);
  if (c->p >= c->end)
    return npy_fail(c->err, c->errlen, c->name, "header dict ends early (expected '%c' %s)", ch, what);
  if (*c->p != ch) {
    char got[24];
    npy_quote(got, sizeof got, c->p, (size_t)(c->end - c->p) < 12 ? (size_t)(c->end - c->p) : 12);
    return npy_fail(c->err, c->errlen, c->name, "header dict syntax: expected '%c' %s, found '%s'", ch, what, got);
  }
  c->p++;
  return 0;
}

/* A quoted string without escapes; *s and *n point into the header. */
static int parse_string(npy_cur_t *c, const char **s, size_t *n, const char *what) {
  skip_ws(c);
  if (c->p >= c->end || (*c->p != '\'' && *c->p != '"'))
    return npy_fail(c->err, c->errlen, c->name, "header dict syntax: expected a quoted string for %s", what);
  char q = *c->p++;
  const char *b = c->p;
  while (c->p < c->end && *c->p != q) {
    if (*c->p == '\\')
      return npy_fail(c->err, c->errlen, c->name, "header dict: escapes in strings are not supported (%s)", what);
    if (*c->p == '\n' || *c->p == 0)
      return npy_fail(c->err, c->errlen, c->name, "header dict syntax: unterminated string (%s)", what);
    c->p++;
  }
  if (c->p >= c->end) return npy_fail(c->err, c->errlen, c->name, "header dict syntax: unterminated string (%s)", what);
  *s = b;
  *n = (size_t)(c->p - b);
  c->p++;
  return 0;
}

static int word_is(const npy_cur_t *c, const char *w) {
  size_t n = strlen(w);
  if ((size_t)(c->end - c->p) < n || memcmp(c->p, w, n) != 0) return 0;
  /* not a prefix of a longer identifier */
  if ((size_t)(c->end - c->p) > n) {
    char nx = c->p[n];
    if ((nx >= 'a' && nx <= 'z') || (nx >= 'A' && nx <= 'Z') || (nx >= '0' && nx <= '9') || nx == '_') return 0;
  }
  return 1;
}

static int parse_descr(npy_cur_t *c, npy_hdr_t *h) {
  skip_ws(c);
  if (c->p < c->end && *c->p == '[')
    return npy_fail(c->err, c->errlen, c->name, "structured dtypes (a list 'descr') are not supported");
  const char *s;
  size_t n;
  if (parse_string(c, &s, &n, "'descr'")) return -1;
  char shown[40];
  npy_quote(shown, sizeof shown, s, n);
  size_t i = 0;
  char order = 0;
  if (n > 0 && (s[0] == '<' || s[0] == '>' || s[0] == '|' || s[0] == '=')) order = s[i++];
  if (i >= n) return npy_fail(c->err, c->errlen, c->name, "invalid dtype '%s'", shown);
  char kind = s[i++];
  if (i >= n || n - i > 2) return npy_fail(c->err, c->errlen, c->name, "unsupported dtype '%s'", shown);
  int size = 0;
  for (; i < n; i++) {
    if (s[i] < '0' || s[i] > '9') return npy_fail(c->err, c->errlen, c->name, "unsupported dtype '%s'", shown);
    size = size * 10 + (s[i] - '0');
  }
  const npy_type_t *t = NULL;
  for (size_t k = 0; k < NPY_NTYPES; k++)
    if (npy_types[k].kind == kind && npy_types[k].size == size) t = &npy_types[k];
  if (!t) return npy_fail(c->err, c->errlen, c->name, "unsupported dtype '%s'", shown);
  if (size > 1) {
    /* Multi-byte data must be in the host's order: '<' (or '=' / none,
     * numpy's "native") on a little-endian host. */
    char native = host_is_little_endian() ? '<' : '>';
    if (order == '|')
      return npy_fail(c->err, c->errlen, c->name, "invalid dtype '%s' ('|' on a multi-byte type)", shown);
    if (order != 0 && order != '=' && order != native)
      return npy_fail(c->err, c->errlen, c->name, "%s-endian data ('%s') is not supported",
                      order == '>' ? "big" : "little", shown);
  }
  h->dtype = t->dtype;
  h->itemsize = (size_t)t->size;
  return 0;
}

static int parse_bool(npy_cur_t *c, int *out) {
  skip_ws(c);
  if (word_is(c, "True")) {
    c->p += 4;
    *out = 1;
    return 0;
  }
  if (word_is(c, "False")) {
    c->p += 5;
    *out = 0;
    return 0;
  }
  return npy_fail(c->err, c->errlen, c->name, "header dict: 'fortran_order' must be True or False");
}

static int parse_dim(npy_cur_t *c, int64_t *out) {
  skip_ws(c);
  if (c->p < c->end && *c->p == '-')
    return npy_fail(c->err, c->errlen, c->name, "header dict: negative dimension in 'shape'");
  if (c->p >= c->end || *c->p < '0' || *c->p > '9')
    return npy_fail(c->err, c->errlen, c->name, "header dict: 'shape' must be a tuple of integers");
  uint64_t v = 0;
  while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
    unsigned d = (unsigned)(*c->p - '0');
    if (v > ((uint64_t)INT64_MAX - d) / 10)
      return npy_fail(c->err, c->errlen, c->name, "header dict: dimension in 'shape' is too large");
    v = v * 10 + d;
    c->p++;
  }
  if (c->p < c->end && (*c->p == 'L' || *c->p == 'l')) c->p++; /* Python 2 long */
  *out = (int64_t)v;
  return 0;
}

/* '(' [dim (',' dim)* [',']] ')'; a one-element tuple needs its comma. */
static int parse_shape(npy_cur_t *c, npy_hdr_t *h) {
  skip_ws(c);
  if (c->p >= c->end || *c->p != '(')
    return npy_fail(c->err, c->errlen, c->name, "header dict: 'shape' must be a tuple");
  c->p++;
  int rank = 0, commas = 0;
  for (;;) {
    skip_ws(c);
    if (c->p >= c->end) return npy_fail(c->err, c->errlen, c->name, "header dict ends inside 'shape'");
    if (*c->p == ')') {
      c->p++;
      break;
    }
    if (rank >= INGOT_NPY_MAX_RANK)
      return npy_fail(c->err, c->errlen, c->name, "shape has more than %d dimensions", INGOT_NPY_MAX_RANK);
    if (parse_dim(c, &h->dims[rank])) return -1;
    rank++;
    skip_ws(c);
    if (c->p < c->end && *c->p == ',') {
      c->p++;
      commas++;
      continue;
    }
    if (c->p < c->end && *c->p == ')') {
      c->p++;
      break;
    }
    return npy_fail(c->err, c->errlen, c->name, "header dict syntax: expected ',' or ')' in 'shape'");
  }
  if (rank == 1 && commas == 0)
    return npy_fail(c->err, c->errlen, c->name, "header dict: 'shape' (n) is not a tuple (write (n,))");
  h->rank = rank;
  return 0;
}

static int parse_header(const char *text, size_t len, const char *name, char *err, size_t errlen, npy_hdr_t *h) {
  npy_cur_t c = {text, text + len, name, err, errlen};
  int have_descr = 0, have_order = 0, have_shape = 0, fortran = 0;
  if (expect(&c, '{', "at the start of the header")) return -1;
  for (;;) {
    skip_ws(&c);
    if (c.p < c.end && *c.p == '}') {
      c.p++;
      break;
    }
    const char *k;
    size_t kn;
    if (parse_string(&c, &k, &kn, "a key")) return -1;
    if (expect(&c, ':', "after a key")) return -1;
    int *seen;
    if (kn == 5 && memcmp(k, "descr", 5) == 0) {
      seen = &have_descr;
      if (!*seen && parse_descr(&c, h)) return -1;
    } else if (kn == 13 && memcmp(k, "fortran_order", 13) == 0) {
      seen = &have_order;
      if (!*seen && parse_bool(&c, &fortran)) return -1;
    } else if (kn == 5 && memcmp(k, "shape", 5) == 0) {
      seen = &have_shape;
      if (!*seen && parse_shape(&c, h)) return -1;
    } else {
      char shown[40];
      npy_quote(shown, sizeof shown, k, kn);
      return npy_fail(err, errlen, name, "header dict has unexpected key '%s'", shown);
    }
    if (*seen) {
      char shown[40];
      npy_quote(shown, sizeof shown, k, kn);
      return npy_fail(err, errlen, name, "header dict has key '%s' twice", shown);
    }
    *seen = 1;
    skip_ws(&c);
    if (c.p < c.end && *c.p == ',') {
      c.p++;
      continue;
    }
    if (expect(&c, '}', "or ',' after a value")) return -1;
    break;
  }
  skip_ws(&c);
  if (c.p != c.end) return npy_fail(err, errlen, name, "header has extra text after the dict");
  if (!have_descr) return npy_fail(err, errlen, name, "header dict lacks 'descr'");
  if (!have_order) return npy_fail(err, errlen, name, "header dict lacks 'fortran_order'");
  if (!have_shape) return npy_fail(err, errlen, name, "header dict lacks 'shape'");
  if (fortran) return npy_fail(err, errlen, name, "Fortran order not supported (save with a C-contiguous array)");
  /* numel * itemsize must fit both size_t and int64 */
  uint64_t lim = (uint64_t)(SIZE_MAX < (uint64_t)INT64_MAX ? SIZE_MAX : (uint64_t)INT64_MAX);
  uint64_t bytes = h->itemsize;
  int zero = 0;
  for (int i = 0; i < h->rank; i++) {
    uint64_t d = (uint64_t)h->dims[i];
    if (d == 0) zero = 1;
    else if (!zero && bytes > lim / d) return npy_fail(err, errlen, name, "shape's element count overflows");
    else if (!zero) bytes *= d;
  }
  h->nbytes = zero ? 0 : (size_t)bytes;
  return 0;
}

/* Checks magic, version and header length against the total size.  p holds
 * min(total, 12) bytes.  On success *hoff and *hlen locate the header text. */
static int parse_prefix(const uint8_t *p, uint64_t total, const char *name, char *err, size_t errlen, size_t *hoff,
                        size_t *hlen) {
  if (total == 0) return npy_fail(err, errlen, name, "empty file, not a .npy file");
  size_t m = total < NPY_MAGIC_LEN ? (size_t)total : NPY_MAGIC_LEN;
  if (memcmp(p, NPY_MAGIC, m) != 0) return npy_fail(err, errlen, name, "not a .npy file (bad magic)");
  if (total < 10) return npy_fail(err, errlen, name, "truncated .npy header (%u bytes)", (unsigned)total);
  int major = p[6], minor = p[7];
  if ((major != 1 && major != 2 && major != 3) || minor != 0)
    return npy_fail(err, errlen, name, "unsupported .npy format version %d.%d", major, minor);
  size_t pre = major == 1 ? 10 : 12;
  if (total < pre) return npy_fail(err, errlen, name, "truncated .npy header (%u bytes)", (unsigned)total);
  uint64_t n = major == 1 ? (uint64_t)p[8] | (uint64_t)p[9] << 8
                          : (uint64_t)p[8] | (uint64_t)p[9] << 8 | (uint64_t)p[10] << 16 | (uint64_t)p[11] << 24;
  if (n == 0) return npy_fail(err, errlen, name, "header length is 0");
  if (n > total - pre)
    return npy_fail(err, errlen, name, "header length %llu runs past the end of the file (%llu bytes)",
                    (unsigned long long)n, (unsigned long long)total);
  if (n > NPY_MAX_HEADER)
    return npy_fail(err, errlen, name, "header length %llu is implausibly large", (unsigned long long)n);
  *hoff = pre;
  *hlen = (size_t)n;
  return 0;
}

static int check_data_size(const npy_hdr_t *h, uint64_t have, const char *name, char *err, size_t errlen) {
  if (have < h->nbytes)
    return npy_fail(err, errlen, name, "truncated data: %llu bytes, shape and dtype need %llu",
                    (unsigned long long)have, (unsigned long long)h->nbytes);
  if (have > h->nbytes)
    return npy_fail(err, errlen, name, "%llu extra bytes after the data (shape and dtype need %llu)",
                    (unsigned long long)(have - h->nbytes), (unsigned long long)h->nbytes);
  return 0;
}

static void publish(const npy_hdr_t *h, void *data, ingot_npy_t *out) {
  memset(out, 0, sizeof *out);
  out->dtype = h->dtype;
  out->rank = h->rank;
  for (int i = 0; i < h->rank; i++) out->dims[i] = h->dims[i];
  out->data = data;
  out->nbytes = h->nbytes;
  /* bool is one byte per element; make any nonzero byte a clean 1 */
  if (h->dtype == 9)
    for (size_t i = 0; i < h->nbytes; i++) ((uint8_t *)data)[i] = ((uint8_t *)data)[i] != 0;
}

/* ---- reading -------------------------------------------------------------------- */

int ingot_npy_read_buffer(const void *buf, size_t len, const char *name, ingot_npy_t *out, char *err,
                          size_t errlen) {
  if (!name) name = "<buffer>";
  if (!out) return npy_fail(err, errlen, name, "no output given");
  memset(out, 0, sizeof *out);
  if (!buf && len) return npy_fail(err, errlen, name, "no buffer given");
  const uint8_t *p = buf;
  size_t hoff, hlen;
  if (parse_prefix(p, len, name, err, errlen, &hoff, &hlen)) return -1;
  npy_hdr_t h;
  memset(&h, 0, sizeof h);
  if (parse_header((const char *)p + hoff, hlen, name, err, errlen, &h)) return -1;
  if (check_data_size(&h, len - hoff - hlen, name, err, errlen)) return -1;
  void *data = malloc(h.nbytes ? h.nbytes : 1);
  if (!data) return npy_fail(err, errlen, name, "out of memory for %zu bytes", h.nbytes);
  if (h.nbytes) memcpy(data, p + hoff + hlen, h.nbytes);
  publish(&h, data, out);
  return 0;
}

static int read_exact(FILE *f, void *dst, size_t n) { return n == 0 || fread(dst, 1, n, f) == n; }

int ingot_npy_read(const char *path, ingot_npy_t *out, char *err, size_t errlen) {
  const char *name = path ? path : "<null>";
  if (!out) return npy_fail(err, errlen, name, "no output given");
  memset(out, 0, sizeof *out);
  if (!path) return npy_fail(err, errlen, name, "no path given");
  FILE *f = fopen(path, "rb");
  if (!f) return npy_fail(err, errlen, name, "cannot open: %s", strerror(errno));
  int rc = -1;
  char *hdr = NULL;
  void *data = NULL;
  struct stat sb;
  if (fstat(fileno(f), &sb) != 0) {
    npy_fail(err, errlen, name, "cannot stat: %s", strerror(errno));
    goto done;
  }
  if (!S_ISREG(sb.st_mode)) {
    npy_fail(err, errlen, name, "not a regular file");
    goto done;
  }
  uint64_t total = (uint64_t)sb.st_size;
  uint8_t pre[12] = {0};
  size_t npre = total < sizeof pre ? (size_t)total : sizeof pre;
  if (!read_exact(f, pre, npre)) {
    npy_fail(err, errlen, name, "read error: %s", ferror(f) ? strerror(errno) : "file shrank");
    goto done;
  }
  size_t hoff, hlen;
  if (parse_prefix(pre, total, name, err, errlen, &hoff, &hlen)) goto done;
  hdr = malloc(hlen);
  if (!hdr) {
    npy_fail(err, errlen, name, "out of memory for the header");
    goto done;
  }
  if (fseek(f, (long)hoff, SEEK_SET) != 0 || !read_exact(f, hdr, hlen)) {
    npy_fail(err, errlen, name, "read error in the header");
    goto done;
  }
  npy_hdr_t h;
  memset(&h, 0, sizeof h);
  if (parse_header(hdr, hlen, name, err, errlen, &h)) goto done;
  if (check_data_size(&h, total - hoff - hlen, name, err, errlen)) goto done;
  data = malloc(h.nbytes ? h.nbytes : 1);
  if (!data) {
    npy_fail(err, errlen, name, "out of memory for %zu bytes", h.nbytes);
    goto done;
  }
  if (!read_exact(f, data, h.nbytes)) {
    npy_fail(err, errlen, name, "read error in the data: %s", ferror(f) ? strerror(errno) : "file shrank");
    goto done;
  }
  if (fgetc(f) != EOF) {
    npy_fail(err, errlen, name, "file grew while being read");
    goto done;
  }
  publish(&h, data, out);
  data = NULL;
  rc = 0;
done:
  free(data);
  free(hdr);
  fclose(f);
  return rc;
}

void ingot_npy_free(ingot_npy_t *t) {
  if (!t) return;
  free(t->data);
  memset(t, 0, sizeof *t);
}

/* ---- writing -------------------------------------------------------------------- */

int ingot_npy_write(const char *path, int dtype, int rank, const int64_t *dims, const void *data, char *err,
                    size_t errlen) {
  const char *name = path ? path : "<null>";
  if (!path) return npy_fail(err, errlen, name, "no path given");
  const npy_type_t *t = NULL;
  for (size_t k = 0; k < NPY_NTYPES; k++)
    if (npy_types[k].dtype == dtype) t = &npy_types[k];
  if (!t) {
    if (dtype == 16) return npy_fail(err, errlen, name, "bfloat16 has no .npy dtype (convert to float32 first)");
    return npy_fail(err, errlen, name, "dtype %d cannot be written to .npy", dtype);
  }
  if (rank < 0 || rank > INGOT_NPY_MAX_RANK)
    return npy_fail(err, errlen, name, "rank %d is outside 0..%d", rank, INGOT_NPY_MAX_RANK);
  if (rank > 0 && !dims) return npy_fail(err, errlen, name, "no dims given");
  uint64_t bytes = (uint64_t)t->size;
  int zero = 0;
  for (int i = 0; i < rank; i++) {
    if (dims[i] < 0) return npy_fail(err, errlen, name, "negative dim %lld at axis %d", (long long)dims[i], i);
    if (dims[i] == 0) zero = 1;
    else if (!zero && bytes > (uint64_t)INT64_MAX / (uint64_t)dims[i])
      return npy_fail(err, errlen, name, "element count overflows");
    else if (!zero) bytes *= (uint64_t)dims[i];
  }
  if (zero) bytes = 0;
  if (bytes > SIZE_MAX) return npy_fail(err, errlen, name, "tensor too large");
  if (bytes && !data) return npy_fail(err, errlen, name, "no data given");

  /* The header exactly as numpy.lib.format.write_array makes it. */
  char hdr[512];
  int n = snprintf(hdr, sizeof hdr, "{'descr': '%c%c%d', 'fortran_order': False, 'shape': (",
                   t->size == 1 ? '|' : (host_is_little_endian() ? '<' : '>'), t->kind, t->size);
  for (int i = 0; i < rank; i++)
    n += snprintf(hdr + n, sizeof hdr - (size_t)n, i ? ", %lld" : "%lld", (long long)dims[i]);
  n += snprintf(hdr + n, sizeof hdr - (size_t)n, "%s), }", rank == 1 ? "," : "");
  if (rank > 0) {
    int d0 = snprintf(NULL, 0, "%lld", (long long)dims[0]);
    for (int i = d0; i < NPY_GROWTH_AXIS_DIGITS; i++) hdr[n++] = ' ';
  }
  int pad = NPY_ALIGN - (NPY_MAGIC_LEN + 2 + 2 + n + 1) % NPY_ALIGN;
  if (pad == NPY_ALIGN) pad = 0;
  for (int i = 0; i < pad; i++) hdr[n++] = ' ';
  hdr[n++] = '\n';
  uint8_t pre[10];
  memcpy(pre, NPY_MAGIC, NPY_MAGIC_LEN);
  pre[6] = 1;
  pre[7] = 0;
  pre[8] = (uint8_t)(n & 0xff);
  pre[9] = (uint8_t)(n >> 8);

  FILE *f = fopen(path, "wb");
  if (!f) return npy_fail(err, errlen, name, "cannot create: %s", strerror(errno));
  int ok = fwrite(pre, 1, sizeof pre, f) == sizeof pre && fwrite(hdr, 1, (size_t)n, f) == (size_t)n &&
           (bytes == 0 || fwrite(data, 1, (size_t)bytes, f) == (size_t)bytes);
  int saved = errno;
  if (fclose(f) != 0 && ok) {
    ok = 0;
    saved = errno;
  }
  if (!ok) {
    remove(path);
    return npy_fail(err, errlen, name, "write failed: %s", strerror(saved));
  }
  return 0;
}
