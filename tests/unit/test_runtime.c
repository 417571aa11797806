/* libingot_rt on its own: thread pool, aligned memory, weights files, and
 * the model lifecycle driven by a hand-written descriptor (a C "generated"
 * run function), including caller-supplied arenas and timing. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "runtime/ingot_rt.h"

typedef struct {
  int64_t *hits;
} pf_ctx_t;

static void mark(void *ctx, int64_t b, int64_t e) {
  pf_ctx_t *c = ctx;
  for (int64_t i = b; i < e; i++) c->hits[i]++;
}

static void test_parallel_for_covers_each_index_once(void **state) {
  (void)state;
  for (int threads = 1; threads <= 4; threads++) {
    ingot_rt_pool_t *p;
    assert_int_equal(ingot_rt_pool_create(threads, &p), INGOT_RT_OK);
    assert_int_equal(ingot_rt_pool_threads(p), threads);
    for (int64_t n = 0; n < 40; n += 3) {
      int64_t hits[64] = {0};
      pf_ctx_t c = {hits};
      for (int rep = 0; rep < 50; rep++) ingot_rt_parallel_for(p, n, mark, &c);
      for (int64_t i = 0; i < n; i++) assert_int_equal(hits[i], 50);
      for (int64_t i = n; i < 64; i++) assert_int_equal(hits[i], 0);
    }
    ingot_rt_pool_destroy(p);
  }
}

static void test_aligned_alloc(void **state) {
  (void)state;
  for (size_t n = 0; n < 300; n += 37) {
    unsigned char *p = ingot_rt_aligned_alloc(n);
    assert_non_null(p);
    assert_int_equal((uintptr_t)p % 64, 0);
    for (size_t i = 0; i < n; i++) assert_int_equal(p[i], 0);
    ingot_rt_aligned_free(p);
  }
}

static void test_checksum_detects_changes(void **state) {
  (void)state;
  unsigned char buf[1000];
  for (int i = 0; i < 1000; i++) buf[i] = (unsigned char)(i * 7);
  uint64_t h = ingot_rt_checksum(buf, sizeof buf);
  assert_int_equal(h, ingot_rt_checksum(buf, sizeof buf));
  for (int i = 0; i < 1000; i += 97) {
    buf[i] ^= 1;
    assert_true(ingot_rt_checksum(buf, sizeof buf) != h);
    buf[i] ^= 1;
  }
  assert_true(ingot_rt_checksum(buf, 999) != h);
}

/* ---- a hand-written model: out[i] = in[i] * w[i] + arena scratch ---------- */

enum { N = 1000 };
typedef struct {
  const float *x, *w;
  float *y, *tmp;
} job_t;

static void k_mul(void *ctx, int64_t b, int64_t e) {
  job_t *j = ctx;
  for (int64_t i = b; i < e; i++) j->tmp[i] = j->x[i] * j->w[i];
}
static void k_add1(void *ctx, int64_t b, int64_t e) {
  job_t *j = ctx;
  for (int64_t i = b; i < e; i++) j->y[i] = j->tmp[i] + 1.0f;
}

static int32_t run_fn(void *const *in, void *const *out, uint8_t *arena, const uint8_t *weights, ingot_rt_exec_t *ex) {
  job_t j = {in[0], (const float *)weights, out[0], (float *)arena};
  ingot_rt_launch(ex, 0, N, k_mul, &j);
  ingot_rt_launch(ex, 1, N, k_add1, &j);
  return 0;
}

static const int64_t dims[1] = {N};
static const ingot_rt_io_t ios_in[1] = {{"x", 1, 1, dims}};
static const ingot_rt_io_t ios_out[1] = {{"y", 1, 1, dims}};
static const ingot_rt_kernel_info_t kinfo[2] = {{"mul", "n0", "Mul", N, 12 * N}, {"add", "n1", "Add", N, 8 * N}};

static ingot_rt_model_desc_t make_desc(const uint8_t *weights, uint64_t wbytes, ingot_rt_bucket_t *b) {
  b->name = "default";
  b->arena_bytes = N * sizeof(float);
  b->run = run_fn;
  b->ninputs = b->noutputs = 1;
  b->inputs = ios_in;
  b->outputs = ios_out;
  b->nkernels = 2;
  b->kernels = kinfo;
  ingot_rt_model_desc_t d = {INGOT_RT_ABI, "toy", 42, wbytes, ingot_rt_checksum(weights, wbytes), NULL, 1, b};
  return d;
}

static void write_weights(const char *path, const void *w, size_t n, uint64_t checksum, uint64_t id) {
  uint8_t hdr[INGOT_RT_WEIGHTS_HEADER];
  ingot_rt_weights_header(hdr, n, checksum, id);
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  fwrite(hdr, 1, sizeof hdr, f);
  fwrite(w, 1, n, f);
  fclose(f);
}

static void test_model_lifecycle(void **state) {
  (void)state;
  float w[N], x[N], y[N];
  for (int i = 0; i < N; i++) w[i] = (float)i, x[i] = 0.5f;
  ingot_rt_bucket_t b;
  ingot_rt_model_desc_t d = make_desc((const uint8_t *)w, sizeof w, &b);
  char path[] = "/tmp/ingot_rt_test_XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  close(fd);
  write_weights(path, w, sizeof w, d.weights_checksum, d.model_id);

  for (int threads = 1; threads <= 3; threads++) {
    ingot_rt_options_t o;
    ingot_rt_options_init(&o);
    o.threads = threads;
    ingot_rt_model_t *m;
    assert_int_equal(ingot_rt_model_create(&d, path, &o, &m), INGOT_RT_OK);
    ingot_rt_model_enable_timing(m);
    void *in[1] = {x}, *out[1] = {y};
    assert_int_equal(ingot_rt_model_run(m, 0, in, out), INGOT_RT_OK);
    for (int i = 0; i < N; i++) assert_true(y[i] == (float)i * 0.5f + 1.0f);
    const double *secs = ingot_rt_model_kernel_seconds(m, 0);
    assert_non_null(secs);
    assert_true(secs[0] >= 0 && secs[1] >= 0);
    /* errors: bad bucket, NULL buffers */
    assert_int_equal(ingot_rt_model_run(m, 3, in, out), INGOT_RT_ERR_ARGUMENT);
    assert_non_null(strstr(ingot_rt_last_error(m), "no bucket 3"));
    void *nul[1] = {NULL};
    assert_int_equal(ingot_rt_model_run(m, 0, nul, out), INGOT_RT_ERR_ARGUMENT);
    assert_non_null(strstr(ingot_rt_last_error(m), "input 'x' is NULL"));
    const int64_t *dd[1] = {dims};
    int32_t rk[1] = {1};
    assert_int_equal(ingot_rt_model_find_bucket(m, dd, rk), 0);
    int64_t other[1] = {7};
    const int64_t *od[1] = {other};
    assert_int_equal(ingot_rt_model_find_bucket(m, od, rk), -1);
    ingot_rt_model_destroy(m);
  }

  /* a caller-supplied arena: too small, misaligned, then right */
  ingot_rt_options_t o;
  ingot_rt_options_init(&o);
  uint8_t *arena = ingot_rt_aligned_alloc(N * sizeof(float) + 64);
  ingot_rt_model_t *m;
  o.arena = arena;
  o.arena_bytes = 16;
  assert_int_equal(ingot_rt_model_create(&d, path, &o, &m), INGOT_RT_ERR_ARGUMENT);
  assert_non_null(strstr(ingot_rt_last_error(m), "supplied arena"));
  ingot_rt_model_destroy(m);
  o.arena = arena + 4;
  o.arena_bytes = N * sizeof(float);
  assert_int_equal(ingot_rt_model_create(&d, path, &o, &m), INGOT_RT_ERR_ARGUMENT);
  assert_non_null(strstr(ingot_rt_last_error(m), "aligned"));
  ingot_rt_model_destroy(m);
  o.arena = arena;
  assert_int_equal(ingot_rt_model_create(&d, path, &o, &m), INGOT_RT_OK);
  void *in[1] = {x}, *out[1] = {y};
  assert_int_equal(ingot_rt_model_run(m, 0, in, out), INGOT_RT_OK);
  assert_true(y[N - 1] == (float)(N - 1) * 0.5f + 1.0f);
  assert_true(((float *)arena)[N - 1] == (float)(N - 1) * 0.5f); /* the scratch lived in our arena */
  ingot_rt_model_destroy(m);
  ingot_rt_aligned_free(arena);

  /* weights problems: corrupted byte, foreign id, missing file, truncated */
  w[10] += 1;
  write_weights(path, w, sizeof w, d.weights_checksum, d.model_id);
  assert_int_equal(ingot_rt_model_create(&d, path, NULL, &m), INGOT_RT_ERR_WEIGHTS);
  assert_non_null(strstr(ingot_rt_last_error(m), "checksum mismatch"));
  ingot_rt_model_destroy(m);
  w[10] -= 1;
  write_weights(path, w, sizeof w, d.weights_checksum, d.model_id + 1);
  assert_int_equal(ingot_rt_model_create(&d, path, NULL, &m), INGOT_RT_ERR_WEIGHTS);
  assert_non_null(strstr(ingot_rt_last_error(m), "another model"));
  ingot_rt_model_destroy(m);
  write_weights(path, w, sizeof w / 2, d.weights_checksum, d.model_id);
  assert_int_equal(ingot_rt_model_create(&d, path, NULL, &m), INGOT_RT_ERR_WEIGHTS);
  ingot_rt_model_destroy(m);
  unlink(path);
  assert_int_equal(ingot_rt_model_create(&d, path, NULL, &m), INGOT_RT_ERR_IO);
  assert_non_null(strstr(ingot_rt_last_error(m), "cannot open weights"));
  ingot_rt_model_destroy(m);
  d.abi = INGOT_RT_ABI + 1;
  assert_int_equal(ingot_rt_model_create(&d, path, NULL, &m), INGOT_RT_ERR_ABI);
  ingot_rt_model_destroy(m);
}

static void test_trace_file(void **state) {
  (void)state;
  float w[N], x[N], y[N];
  for (int i = 0; i < N; i++) w[i] = 1, x[i] = 2;
  ingot_rt_bucket_t b;
  ingot_rt_model_desc_t d = make_desc((const uint8_t *)w, sizeof w, &b);
  d.embedded_weights = (const uint8_t *)w;
  char path[] = "/tmp/ingot_trace_XXXXXX";
  int fd = mkstemp(path);
  close(fd);
  ingot_rt_options_t o;
  ingot_rt_options_init(&o);
  o.trace_path = path;
  ingot_rt_model_t *m;
  assert_int_equal(ingot_rt_model_create(&d, NULL, &o, &m), INGOT_RT_OK);
  void *in[1] = {x}, *out[1] = {y};
  for (int r = 0; r < 3; r++) assert_int_equal(ingot_rt_model_run(m, 0, in, out), INGOT_RT_OK);
  ingot_rt_model_destroy(m);
  FILE *f = fopen(path, "r");
  char buf[8192];
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  buf[n] = 0;
  fclose(f);
  unlink(path);
  int events = 0;
  for (char *p = buf; (p = strstr(p, "\"ph\":\"X\"")); p++) events++;
  assert_int_equal(events, 6); /* 2 kernels x 3 runs */
  assert_non_null(strstr(buf, "\"name\":\"mul\""));
  assert_non_null(strstr(buf, "\"traceEvents\""));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_parallel_for_covers_each_index_once),
      cmocka_unit_test(test_aligned_alloc),
      cmocka_unit_test(test_checksum_detects_changes),
      cmocka_unit_test(test_model_lifecycle),
      cmocka_unit_test(test_trace_file),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
