/* Tests for runtime/ingot_npy: round trips, the repo's numpy-written inputs,
 * numpy interoperability (when /usr/bin/python3 has numpy), and a corpus of
 * corrupt headers that must each be rejected with a one-line message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <dirent.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "ingot_npy.h"

static char tmpdir[256];

static int setup_tmp(void **state) {
  (void)state;
  snprintf(tmpdir, sizeof tmpdir, "/tmp/ingot_npy_XXXXXX");
  return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown_tmp(void **state) {
  (void)state;
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
  return system(cmd) == 0 ? 0 : -1;
}

static void tmp_path(char *buf, size_t len, const char *leaf) { snprintf(buf, len, "%s/%s", tmpdir, leaf); }

/* Builds magic + version + header length + header + data into a malloc'd buffer. */
static uint8_t *mk(int major, int minor, const char *header, size_t datalen, size_t *outlen) {
  size_t hl = strlen(header), pre = major == 1 ? 10 : 12;
  uint8_t *b = calloc(1, pre + hl + datalen + 1);
  memcpy(b, "\x93NUMPY", 6);
  b[6] = (uint8_t)major;
  b[7] = (uint8_t)minor;
  b[8] = (uint8_t)(hl & 0xff);
  b[9] = (uint8_t)(hl >> 8);
  if (pre == 12) {
    b[10] = (uint8_t)(hl >> 16);
    b[11] = (uint8_t)(hl >> 24);
  }
  memcpy(b + pre, header, hl);
  for (size_t i = 0; i < datalen; i++) b[pre + hl + i] = (uint8_t)(i * 7 + 1);
  *outlen = pre + hl + datalen;
  return b;
}

/* ---- ingot_npy_read_buffer: accepted headers ---------------------------------- */

typedef struct {
  int major;
  const char *header;
  size_t datalen;
  int dtype, rank;
  int64_t dims[3];
} good_case_t;

static void test_accepts_header_variants(void **state) {
  (void)state;
  static const good_case_t cases[] = {
      {1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }          \n", 24, 1, 2, {2, 3}},
      {1, "{'shape': (3,), 'fortran_order': False, 'descr': '<i8'}", 24, 7, 1, {3}},
      {1, "{\"descr\": \"<f2\", \"fortran_order\": False, \"shape\": ()}\n", 2, 10, 0, {0}},
      {1, "{'descr':'=f8','fortran_order':False,'shape':(1,2,1,)}", 16, 11, 3, {1, 2, 1}},
      {1, "{'descr': 'i4', 'fortran_order': False, 'shape': (2,)}", 8, 6, 1, {2}},
      {1, "{'descr': '|b1', 'fortran_order': False, 'shape': (4,)}", 4, 9, 1, {4}},
      {1, "{'descr': '<b1', 'fortran_order': False, 'shape': (4,)}", 4, 9, 1, {4}},
      {1, "{'descr': '|u1', 'fortran_order': False, 'shape': (5,)}", 5, 2, 1, {5}},
      {1, "{'descr': '<u1', 'fortran_order': False, 'shape': (5,)}", 5, 2, 1, {5}},
      {1, "{'descr': '|i1', 'fortran_order': False, 'shape': (5,)}", 5, 3, 1, {5}},
      {1, "{'descr': '<i2', 'fortran_order': False, 'shape': (1,)}", 2, 5, 1, {1}},
      {1, "{'descr': '<u8', 'fortran_order': False, 'shape': (1,)}", 8, 13, 1, {1}},
      {1, "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 7), }\n", 0, 1, 2, {0, 7}},
      {1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2L, 1L), }\n", 8, 1, 2, {2, 1}},
      {1, "\t{ 'descr' : '<f4' ,\n 'fortran_order' : False , 'shape' : ( 1 , ) , } \n", 4, 1, 1, {1}},
      {2, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }\n", 4, 1, 1, {1}},
      {3, "{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }\n", 8, 6, 1, {2}},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const good_case_t *c = &cases[i];
    size_t len;
    uint8_t *b = mk(c->major, 0, c->header, c->datalen, &len);
    ingot_npy_t t;
    char err[256] = "";
    int rc = ingot_npy_read_buffer(b, len, "good.npy", &t, err, sizeof err);
    if (rc != 0) fail_msg("case %zu (%s): %s", i, c->header, err);
    assert_int_equal(t.dtype, c->dtype);
    assert_int_equal(t.rank, c->rank);
    for (int d = 0; d < c->rank; d++) assert_int_equal(t.dims[d], c->dims[d]);
    assert_int_equal(t.nbytes, c->datalen);
    assert_non_null(t.data);
    if (t.dtype != 9) assert_memory_equal(t.data, b + (len - c->datalen), c->datalen ? c->datalen : 0);
    ingot_npy_free(&t);
    assert_null(t.data);
    free(b);
  }
}

static void test_bool_normalised(void **state) {
  (void)state;
  size_t len;
  uint8_t *b = mk(1, 0, "{'descr': '|b1', 'fortran_order': False, 'shape': (3,), }", 3, &len);
  b[len - 3] = 0;
  b[len - 2] = 1;
  b[len - 1] = 0x80;
  ingot_npy_t t;
  assert_int_equal(ingot_npy_read_buffer(b, len, "b.npy", &t, NULL, 0), 0);
  const uint8_t *v = t.data;
  assert_int_equal(v[0], 0);
  assert_int_equal(v[1], 1);
  assert_int_equal(v[2], 1);
  ingot_npy_free(&t);
  free(b);
}

/* ---- ingot_npy_read_buffer: the corrupt corpus ----------------------------------- */

typedef struct {
  const char *why;
  const uint8_t *raw; /* raw bytes, or NULL to build from major/minor/header */
  size_t rawlen;
  int major, minor;
  const char *header;
  size_t datalen;
  const char *expect; /* substring of the message */
} bad_case_t;

#define HDR(shape_descr) "{'descr': " shape_descr ", 'fortran_order': False, 'shape': (2,), }\n"

static void test_rejects_corrupt_corpus(void **state) {
  (void)state;
  static const uint8_t r_short[] = {0x93, 'N', 'U', 'M'};
  static const uint8_t r_zip[] = {'P', 'K', 3, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  static const uint8_t r_text[] = "hello, this is not numpy at all";
  static const uint8_t r_nover[] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0};
  static const uint8_t r_v2short[] = {0x93, 'N', 'U', 'M', 'P', 'Y', 2, 0, 10, 0, 0};
  static const uint8_t r_v2huge[] = {0x93, 'N', 'U', 'M', 'P', 'Y', 2, 0, 0xff, 0xff, 0xff, 0xff, '{', '}'};
  static const uint8_t r_v1past[] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, 0x00, 0x10, '{', '}'};
  static const uint8_t r_nul[] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, 4, 0, '{', 0, 0, '}'};
  static const bad_case_t cases[] = {
      {"empty", (const uint8_t *)"", 0, 0, 0, NULL, 0, "empty file"},
      {"short magic", r_short, sizeof r_short, 0, 0, NULL, 0, "truncated .npy header"},
      {"zip", r_zip, sizeof r_zip, 0, 0, NULL, 0, "bad magic"},
      {"text", r_text, sizeof r_text - 1, 0, 0, NULL, 0, "bad magic"},
      {"no header length", r_nover, sizeof r_nover, 0, 0, NULL, 0, "truncated .npy header"},
      {"v2 short prefix", r_v2short, sizeof r_v2short, 0, 0, NULL, 0, "truncated .npy header"},
      {"v2 header past end", r_v2huge, sizeof r_v2huge, 0, 0, NULL, 0, "runs past the end"},
      {"v1 header past end", r_v1past, sizeof r_v1past, 0, 0, NULL, 0, "runs past the end"},
      {"NUL in header", r_nul, sizeof r_nul, 0, 0, NULL, 0, "header dict syntax"},
      {"version 4.0", NULL, 0, 4, 0, HDR("'<f4'"), 8, "version 4.0"},
      {"version 1.1", NULL, 0, 1, 1, HDR("'<f4'"), 8, "version 1.1"},
      {"version 0.0", NULL, 0, 0, 0, HDR("'<f4'"), 8, "version 0.0"},
      {"header length 0", NULL, 0, 1, 0, "", 8, "header length is 0"},
      {"not a dict", NULL, 0, 1, 0, "['descr', '<f4']", 0, "expected '{'"},
      {"dict not closed", NULL, 0, 1, 0, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,)", 8, "ends early"},
      {"shape not closed", NULL, 0, 1, 0, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,", 8, "ends inside"},
      {"missing colon", NULL, 0, 1, 0, "{'descr' '<f4', 'fortran_order': False, 'shape': (2,)}", 8, "expected ':'"},
      {"missing comma", NULL, 0, 1, 0, "{'descr': '<f4' 'fortran_order': False, 'shape': (2,)}", 8, "expected '}'"},
      {"unquoted key", NULL, 0, 1, 0, "{descr: '<f4', 'fortran_order': False, 'shape': (2,)}", 8, "quoted string"},
      {"unterminated string", NULL, 0, 1, 0, "{'descr: '<f4', 'fortran_order': False, 'shape': (2,)}", 8, "expected ':'"},
      {"string runs to end", NULL, 0, 1, 0, "{'descr': '<f4", 8, "unterminated string"},
      {"escape", NULL, 0, 1, 0, "{'descr': '<f\\x34', 'fortran_order': False, 'shape': (2,)}", 8, "escapes"},
      {"missing descr", NULL, 0, 1, 0, "{'fortran_order': False, 'shape': (2,)}", 8, "lacks 'descr'"},
      {"missing order", NULL, 0, 1, 0, "{'descr': '<f4', 'shape': (2,)}", 8, "lacks 'fortran_order'"},
      {"missing shape", NULL, 0, 1, 0, "{'descr': '<f4', 'fortran_order': False}", 8, "lacks 'shape'"},
      {"unknown key", NULL, 0, 1, 0, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}", 8,
       "unexpected key 'x'"},
      {"duplicate key", NULL, 0, 1, 0, "{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2,)}",
       8, "'descr' twice"},
      {"fortran", NULL, 0, 1, 0, "{'descr': '<f4', 'fortran_order': True, 'shape': (2,)}", 8,
       "Fortran order not supported"},
      {"order as int", NULL, 0, 1, 0, "{'descr': '<f4', 'fortran_order': 0, 'shape': (2,)}", 8, "True or False"},
      {"order prefix word", NULL, 0, 1, 0, "{'descr': '<f4', 'fortran_order': Falsey, 'shape': (2,)}", 8,
       "True or False"},
      {"big-endian", NULL, 0, 1, 0, HDR("'>f4'"), 8, "big-endian"},
      {"big-endian i8", NULL, 0, 1, 0, HDR("'>i8'"), 16, "big-endian"},
      {"pipe on f4", NULL, 0, 1, 0, HDR("'|f4'"), 8, "invalid dtype"},
      {"complex", NULL, 0, 1, 0, HDR("'<c8'"), 16, "unsupported dtype '<c8'"},
      {"unicode", NULL, 0, 1, 0, HDR("'<U3'"), 24, "unsupported dtype"},
      {"object", NULL, 0, 1, 0, HDR("'|O'"), 16, "unsupported dtype"},
      {"f16", NULL, 0, 1, 0, HDR("'<f16'"), 32, "unsupported dtype"},
      {"f4 junk", NULL, 0, 1, 0, HDR("'<f4x'"), 8, "unsupported dtype"},
      {"empty descr", NULL, 0, 1, 0, HDR("''"), 8, "invalid dtype"},
      {"only order char", NULL, 0, 1, 0, HDR("'<'"), 8, "invalid dtype"},
      {"descr not string", NULL, 0, 1, 0, HDR("4"), 8, "quoted string"},
      {"structured", NULL, 0, 1, 0, HDR("[('a', '<f4')]"), 8, "structured"},
      {"shape list", NULL, 0, 1, 0, "{'descr': '<f4', 'fortran_order': False, 'shape': [2]}", 8, "must be a tuple"},
      {"shape int", NULL, 0, 1, 0, "{'descr': '<f4', 'fortran_order': False, 'shape': 2}", 8, "must be a tuple"},
      {"shape (n)", NULL, 0, 1, 0, "{'descr': '<f4', 'fortran_order': False, 'shape': (2)}", 8, "not a tuple"},
      {"shape (,)", NULL, 0, 1, 0, "{'descr': '<f4', 'fortran_order': False, 'shape': (,)}", 0, "tuple of integers"},
      {"shape (2,,)", NULL, 0, 1, 0, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,,)}", 8,
       "tuple of integers"},
      {"shape float", NULL, 0, 1, 0, "{'descr': '<f4', 'fortran_order': False, 'shape': (2.0,)}", 8,
       "expected ',' or ')'"},
      {"shape negative", NULL, 0, 1, 0, "{'descr': '<f4', 'fortran_order': False, 'shape': (-2,)}", 8, "negative"},
      {"rank 9", NULL, 0, 1, 0,
       "{'descr': '<f4', 'fortran_order': False, 'shape': (1,1,1,1,1,1,1,1,1)}", 4, "more than 8 dimensions"},
      {"dim too large", NULL, 0, 1, 0,
       "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,)}", 4, "too large"},
      {"dim product overflows", NULL, 0, 1, 0,
       "{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296)}", 4, "overflows"},
      {"dim times itemsize overflows", NULL, 0, 1, 0,
       "{'descr': '<f8', 'fortran_order': False, 'shape': (4611686018427387904,)}", 4, "overflows"},
      {"huge dim truncated data", NULL, 0, 1, 0,
       "{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000000,)}", 4, "truncated data"},
      {"extra text", NULL, 0, 1, 0, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,)} x", 8, "extra text"},
      {"two dicts", NULL, 0, 1, 0, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,)}{}", 8, "extra text"},
      {"truncated data", NULL, 0, 1, 0, HDR("'<f4'"), 7, "truncated data: 7 bytes, shape and dtype need 8"},
      {"no data", NULL, 0, 1, 0, HDR("'<i8'"), 0, "truncated data"},
      {"extra data", NULL, 0, 1, 0, HDR("'<f4'"), 9, "1 extra bytes"},
      {"scalar extra", NULL, 0, 1, 0, "{'descr': '<f4', 'fortran_order': False, 'shape': ()}", 8, "extra bytes"},
      {"zero-size with data", NULL, 0, 1, 0, "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 5)}", 4,
       "extra bytes"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const bad_case_t *c = &cases[i];
    size_t len = c->rawlen;
    uint8_t *owned = NULL;
    const uint8_t *b = c->raw;
    if (!b) b = owned = mk(c->major, c->minor, c->header, c->datalen, &len);
    ingot_npy_t t;
    memset(&t, 0xab, sizeof t);
    char err[256] = "";
    int rc = ingot_npy_read_buffer(b, len, "bad.npy", &t, err, sizeof err);
    if (rc != -1) fail_msg("case '%s' was accepted", c->why);
    if (strncmp(err, "bad.npy: ", 9) != 0) fail_msg("case '%s': message does not name the file: %s", c->why, err);
    if (!strstr(err, c->expect)) fail_msg("case '%s': message '%s' lacks '%s'", c->why, err, c->expect);
    if (strchr(err, '\n')) fail_msg("case '%s': message has a newline", c->why);
    assert_null(t.data);
    assert_int_equal(t.nbytes, 0);
    free(owned);
  }
}

static void test_error_buffer_edge_cases(void **state) {
  (void)state;
  ingot_npy_t t;
  /* NULL or tiny error buffers are fine */
  assert_int_equal(ingot_npy_read_buffer("xx", 2, "n", &t, NULL, 0), -1);
  char small[8];
  memset(small, 'z', sizeof small);
  assert_int_equal(ingot_npy_read_buffer("xx", 2, "a-long-name.npy", &t, small, sizeof small), -1);
  assert_int_equal(small[7], 0);
  /* control characters in names don't break the one-line rule */
  char err[128];
  assert_int_equal(ingot_npy_read_buffer("", 0, "evil\nname", &t, err, sizeof err), -1);
  assert_null(strchr(err, '\n'));
  assert_non_null(strstr(err, "evil?name"));
  /* NULL name */
  assert_int_equal(ingot_npy_read_buffer("", 0, NULL, &t, err, sizeof err), -1);
  assert_non_null(strstr(err, "<buffer>"));
}

/* ---- ingot_npy_write / ingot_npy_read round trips ------------------------------ */

static void test_round_trip_all_dtypes(void **state) {
  (void)state;
  static const int dtypes[] = {1, 10, 11, 3, 5, 6, 7, 2, 4, 12, 13, 9};
  static const struct {
    int rank;
    int64_t dims[8];
  } shapes[] = {
      {0, {0}}, {1, {0}}, {1, {5}}, {2, {3, 1}}, {3, {2, 3, 4}}, {4, {1, 0, 3, 2}}, {8, {1, 2, 1, 2, 1, 2, 1, 3}},
      {1, {1234567}},
  };
  for (size_t di = 0; di < sizeof dtypes / sizeof dtypes[0]; di++) {
    size_t es = ingot_npy_dtype_size(dtypes[di]);
    assert_true(es > 0);
    for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++) {
      size_t numel = 1;
      for (int d = 0; d < shapes[si].rank; d++) numel *= (size_t)shapes[si].dims[d];
      uint8_t *data = malloc(numel * es + 1);
      for (size_t i = 0; i < numel * es; i++) data[i] = dtypes[di] == 9 ? (uint8_t)(i % 3 == 0) : (uint8_t)(i * 31 + 7);
      char path[512], err[512];
      tmp_path(path, sizeof path, "rt.npy");
      if (ingot_npy_write(path, dtypes[di], shapes[si].rank, shapes[si].dims, data, err, sizeof err) != 0)
        fail_msg("write dtype %d: %s", dtypes[di], err);
      /* header layout as numpy makes it: total header 64-aligned, '\n' last */
      FILE *f = fopen(path, "rb");
      uint8_t pre[10];
      assert_int_equal(fread(pre, 1, 10, f), 10);
      size_t hl = pre[8] | (size_t)pre[9] << 8;
      assert_int_equal((10 + hl) % 64, 0);
      assert_int_equal(fseek(f, (long)(10 + hl - 1), SEEK_SET), 0);
      assert_int_equal(fgetc(f), '\n');
      fclose(f);
      ingot_npy_t t;
      if (ingot_npy_read(path, &t, err, sizeof err) != 0) fail_msg("read back dtype %d: %s", dtypes[di], err);
      assert_int_equal(t.dtype, dtypes[di]);
      assert_int_equal(t.rank, shapes[si].rank);
      for (int d = 0; d < t.rank; d++) assert_int_equal(t.dims[d], shapes[si].dims[d]);
      assert_int_equal(t.nbytes, numel * es);
      if (numel) assert_memory_equal(t.data, data, numel * es);
      ingot_npy_free(&t);
      free(data);
    }
  }
}

static void test_write_rejects_bad_arguments(void **state) {
  (void)state;
  char path[512], err[512];
  tmp_path(path, sizeof path, "w.npy");
  int64_t dims9[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1}, neg[1] = {-3}, big[2] = {INT64_MAX / 2, 4};
  float x = 1;
  assert_int_equal(ingot_npy_write(path, 1, 9, dims9, &x, err, sizeof err), -1);
  assert_non_null(strstr(err, "rank 9"));
  assert_int_equal(ingot_npy_write(path, 1, -1, dims9, &x, err, sizeof err), -1);
  assert_int_equal(ingot_npy_write(path, 1, 1, neg, &x, err, sizeof err), -1);
  assert_non_null(strstr(err, "negative dim -3"));
  assert_int_equal(ingot_npy_write(path, 1, 2, big, &x, err, sizeof err), -1);
  assert_non_null(strstr(err, "overflows"));
  assert_int_equal(ingot_npy_write(path, 16, 0, NULL, &x, err, sizeof err), -1);
  assert_non_null(strstr(err, "bfloat16"));
  assert_int_equal(ingot_npy_write(path, 8, 0, NULL, &x, err, sizeof err), -1);
  assert_non_null(strstr(err, "dtype 8"));
  assert_int_equal(ingot_npy_write(path, 1, 0, NULL, NULL, err, sizeof err), -1);
  assert_non_null(strstr(err, "no data"));
  assert_int_equal(ingot_npy_write("/nonexistent-dir/x.npy", 1, 0, NULL, &x, err, sizeof err), -1);
  assert_non_null(strstr(err, "/nonexistent-dir/x.npy: cannot create"));
  assert_int_equal(access(path, F_OK), -1); /* nothing left behind */
  /* zero-size tensors need no data */
  int64_t z[1] = {0};
  assert_int_equal(ingot_npy_write(path, 1, 1, z, NULL, err, sizeof err), 0);
}

static void test_read_file_errors(void **state) {
  (void)state;
  char path[512], err[512];
  ingot_npy_t t;
  tmp_path(path, sizeof path, "missing.npy");
  assert_int_equal(ingot_npy_read(path, &t, err, sizeof err), -1);
  assert_non_null(strstr(err, path));
  assert_non_null(strstr(err, "cannot open"));
  assert_int_equal(ingot_npy_read(tmpdir, &t, err, sizeof err), -1);
  assert_non_null(strstr(err, "not a regular file"));
  /* truncate a good file on disk: every cut point fails cleanly */
  float v[6] = {1, 2, 3, 4, 5, 6};
  int64_t dims[2] = {2, 3};
  tmp_path(path, sizeof path, "cut.npy");
  assert_int_equal(ingot_npy_write(path, 1, 2, dims, v, err, sizeof err), 0);
  FILE *f = fopen(path, "rb");
  uint8_t whole[256];
  size_t n = fread(whole, 1, sizeof whole, f);
  fclose(f);
  assert_int_equal(n, 128 + 24);
  for (size_t cut = 0; cut < n; cut++) {
    f = fopen(path, "wb");
    assert_int_equal(fwrite(whole, 1, cut, f), cut);
    fclose(f);
    if (ingot_npy_read(path, &t, err, sizeof err) != -1) fail_msg("cut at %zu accepted", cut);
    assert_non_null(strstr(err, path));
    assert_null(t.data);
  }
  /* one byte too many */
  f = fopen(path, "wb");
  assert_int_equal(fwrite(whole, 1, n, f), n);
  fputc(0, f);
  fclose(f);
  assert_int_equal(ingot_npy_read(path, &t, err, sizeof err), -1);
  assert_non_null(strstr(err, "1 extra bytes"));
}

/* ---- files from numpy ------------------------------------------------------------ */

static void test_reads_repo_model_inputs(void **state) {
  (void)state;
  const char *root = getenv("INGOT_ROOT");
  if (!root) skip();
  char dir[1024];
  snprintf(dir, sizeof dir, "%s/models", root);
  DIR *models = opendir(dir);
  assert_non_null(models);
  int count = 0;
  struct dirent *m;
  while ((m = readdir(models))) {
    if (m->d_name[0] == '.') continue;
    static const char *const subs[] = {"inputs", "outputs"};
    for (int s = 0; s < 2; s++) {
      char sub[2048];
      snprintf(sub, sizeof sub, "%s/%s/%s", dir, m->d_name, subs[s]);
      DIR *d = opendir(sub);
      if (!d) continue;
      struct dirent *e;
      while ((e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (l < 4 || strcmp(e->d_name + l - 4, ".npy") != 0) continue;
        char path[4096], err[4096];
        snprintf(path, sizeof path, "%s/%s", sub, e->d_name);
        ingot_npy_t t;
        if (ingot_npy_read(path, &t, err, sizeof err) != 0) fail_msg("%s", err);
        assert_true(t.dtype == 1 || t.dtype == 7);
        assert_true(t.rank >= 1 && t.rank <= 4);
        size_t numel = 1;
        for (int i = 0; i < t.rank; i++) numel *= (size_t)t.dims[i];
        assert_int_equal(t.nbytes, numel * ingot_npy_dtype_size(t.dtype));
        ingot_npy_free(&t);
        count++;
      }
      closedir(d);
    }
  }
  closedir(models);
  assert_true(count >= 10);
  /* one whose contents we know */
  char path[2048], err[2048];
  snprintf(path, sizeof path, "%s/models/dit/inputs/x.npy", root);
  ingot_npy_t t;
  if (ingot_npy_read(path, &t, err, sizeof err) != 0) fail_msg("%s", err);
  assert_int_equal(t.dtype, 1);
  assert_int_equal(t.rank, 4);
  assert_int_equal(t.dims[0], 2);
  assert_int_equal(t.dims[1], 4);
  assert_int_equal(t.dims[2], 16);
  assert_int_equal(t.dims[3], 16);
  ingot_npy_free(&t);
}

static int have_numpy(void) {
  if (access("/usr/bin/python3", X_OK) != 0) return 0;
  return system("/usr/bin/python3 -c 'import numpy' >/dev/null 2>&1") == 0;
}

/* numpy reads what we write (byte for byte what numpy.save writes), and we
 * read what numpy writes, in format versions 1.0, 2.0 and 3.0. */
static void test_numpy_interop(void **state) {
  (void)state;
  if (!have_numpy()) skip();
  static const int dtypes[] = {1, 10, 11, 3, 5, 6, 7, 2, 4, 12, 13, 9};
  static const char *const names[] = {"float32", "float16", "float64", "int8",   "int16",  "int32",
                                      "int64",   "uint8",   "uint16",  "uint32", "uint64", "bool"};
  char path[512], err[512];
  for (size_t i = 0; i < sizeof dtypes / sizeof dtypes[0]; i++) {
    int64_t dims[3] = {2, 3, 4};
    size_t es = ingot_npy_dtype_size(dtypes[i]);
    uint8_t buf[24 * 8];
    for (size_t k = 0; k < 24 * es; k++) buf[k] = dtypes[i] == 9 ? (uint8_t)(k & 1) : (uint8_t)k;
    snprintf(path, sizeof path, "%s/c_%s.npy", tmpdir, names[i]);
    assert_int_equal(ingot_npy_write(path, dtypes[i], 3, dims, buf, err, sizeof err), 0);
  }
  int64_t sdims[1] = {0};
  snprintf(path, sizeof path, "%s/c_scalar.npy", tmpdir);
  double pi = 3.25;
  assert_int_equal(ingot_npy_write(path, 11, 0, sdims, &pi, err, sizeof err), 0);
  snprintf(path, sizeof path, "%s/c_empty.npy", tmpdir);
  assert_int_equal(ingot_npy_write(path, 1, 1, sdims, NULL, err, sizeof err), 0);
  snprintf(path, sizeof path, "%s/c_vec.npy", tmpdir);
  int64_t vdims[1] = {12345678901LL / 1000000};
  int32_t *vec = calloc((size_t)vdims[0], 4);
  assert_int_equal(ingot_npy_write(path, 6, 1, vdims, vec, err, sizeof err), 0);
  free(vec);

  char script[4096];
  snprintf(script, sizeof script,
           "/usr/bin/python3 - <<'EOF'\n"
           "import io, numpy as np, numpy.lib.format as fmt, sys\n"
           "d = sys.argv[1] if len(sys.argv) > 1 else '%s'\n"
           "names = %s\n"
           "for n in names:\n"
           "    a = np.load(f'{d}/c_{n}.npy')\n"
           "    assert a.dtype == np.dtype(n) and a.shape == (2, 3, 4), (n, a.dtype, a.shape)\n"
           "    raw = np.arange(24 * a.itemsize, dtype=np.uint8) if n != 'bool' else np.arange(24) %% 2\n"
           "    if n == 'bool': assert (a.reshape(-1) == raw.astype(bool)).all()\n"
           "    else: assert a.tobytes() == raw.astype(np.uint8).tobytes(), n\n"
           "    b = io.BytesIO(); np.save(b, a)\n"
           "    assert b.getvalue() == open(f'{d}/c_{n}.npy', 'rb').read(), 'not byte-identical: ' + n\n"
           "s = np.load(f'{d}/c_scalar.npy'); assert s.shape == () and s == 3.25\n"
           "assert np.load(f'{d}/c_empty.npy').shape == (0,)\n"
           "v = np.load(f'{d}/c_vec.npy'); assert v.shape == (12345,) and v.dtype == np.int32\n"
           "for n in names:\n"
           "    a = (np.arange(30) %% 7).astype(n).reshape(5, 6)\n"
           "    for ver in [(1, 0), (2, 0), (3, 0)]:\n"
           "        with open(f'{d}/p_{n}_{ver[0]}.npy', 'wb') as f: fmt.write_array(f, a, version=ver)\n"
           "np.save(f'{d}/p_scalar.npy', np.float32(-1.5))\n"
           "np.save(f'{d}/p_fortran.npy', np.asfortranarray(np.ones((2, 3), np.float32)))\n"
           "np.save(f'{d}/p_big.npy', np.ones(3, dtype='>f4'))\n"
           "EOF\n",
           tmpdir,
           "['float32','float16','float64','int8','int16','int32','int64','uint8','uint16','uint32','uint64','bool']");
  assert_int_equal(system(script), 0);

  for (size_t i = 0; i < sizeof dtypes / sizeof dtypes[0]; i++) {
    for (int ver = 1; ver <= 3; ver++) {
      snprintf(path, sizeof path, "%s/p_%s_%d.npy", tmpdir, names[i], ver);
      ingot_npy_t t;
      if (ingot_npy_read(path, &t, err, sizeof err) != 0) fail_msg("%s", err);
      assert_int_equal(t.dtype, dtypes[i]);
      assert_int_equal(t.rank, 2);
      assert_int_equal(t.dims[0], 5);
      assert_int_equal(t.dims[1], 6);
      ingot_npy_free(&t);
    }
  }
  ingot_npy_t t;
  snprintf(path, sizeof path, "%s/p_scalar.npy", tmpdir);
  assert_int_equal(ingot_npy_read(path, &t, err, sizeof err), 0);
  assert_int_equal(t.rank, 0);
  assert_true(*(float *)t.data == -1.5f);
  ingot_npy_free(&t);
  snprintf(path, sizeof path, "%s/p_fortran.npy", tmpdir);
  assert_int_equal(ingot_npy_read(path, &t, err, sizeof err), -1);
  assert_non_null(strstr(err, "Fortran order not supported"));
  snprintf(path, sizeof path, "%s/p_big.npy", tmpdir);
  assert_int_equal(ingot_npy_read(path, &t, err, sizeof err), -1);
  assert_non_null(strstr(err, "big-endian"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_accepts_header_variants),
      cmocka_unit_test(test_bool_normalised),
      cmocka_unit_test(test_rejects_corrupt_corpus),
      cmocka_unit_test(test_error_buffer_edge_cases),
      cmocka_unit_test(test_round_trip_all_dtypes),
      cmocka_unit_test(test_write_rejects_bad_arguments),
      cmocka_unit_test(test_read_file_errors),
      cmocka_unit_test(test_reads_repo_model_inputs),
      cmocka_unit_test(test_numpy_interop),
  };
  return cmocka_run_group_tests(tests, setup_tmp, teardown_tmp);
}
