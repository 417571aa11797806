/* Helpers for the quantization tests (test_quant_*.c): calibration folders
 * made from a model's own inputs plus seeded perturbations, compiling and
 * running a graph through LLVM + JIT + the runtime, error measures.
 * Header-only; include after cmocka.h and cg_harness.h. */
#ifndef INGOT_QUANT_HARNESS_H
#define INGOT_QUANT_HARNESS_H

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "passes/quantize.h"
#include "runtime/ingot_npy.h"

static inline const char *qh_root(void) {
  const char *r = getenv("INGOT_ROOT");
  return r && *r ? r : ".";
}

static inline void qh_model(const char *name, char *buf, size_t n) { snprintf(buf, n, "%s/models/%s", qh_root(), name); }

/* rm -r of a folder tree made by these tests (files and folders only). */
static inline void qh_rm_tree(const char *dir) {
  DIR *d = opendir(dir);
  if (d) {
    struct dirent *e;
    while ((e = readdir(d))) {
      if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
      char p[4096];
      snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
      struct stat sb;
      if (lstat(p, &sb) == 0 && S_ISDIR(sb.st_mode)) qh_rm_tree(p);
      else unlink(p);
    }
    closedir(d);
  }
  rmdir(dir);
}

static inline uint32_t qh_rand(uint32_t *s) {
  *s = *s * 1664525u + 1013904223u;
  return *s >> 8;
}

/* Standard normal from the LCG (Box-Muller). */
static inline double qh_gauss(uint32_t *s) {
  double u1 = ((double)qh_rand(s) + 1) / 16777217.0, u2 = (double)qh_rand(s) / 16777216.0;
  return sqrt(-2 * log(u1)) * cos(6.283185307179586 * u2);
}

/* dir/sNN/<input>.npy for the model's inputs: sample 0 is the reference
 * input, samples 1.. perturb floats by 0.3 * their std of seeded Gaussian
 * noise (binary 0/1 tensors such as masks, and integer tensors such as
 * class labels, are rotated instead so they stay valid). */
static inline void qh_make_calib(const char *model_dir, int nsamples, uint32_t seed, const char *dir) {
  mkdir(dir, 0777);
  char in_dir[4096];
  snprintf(in_dir, sizeof in_dir, "%s/inputs", model_dir);
  uint32_t st = seed;
  for (int s = 0; s < nsamples; s++) {
    char sd[4096];
    snprintf(sd, sizeof sd, "%s/s%02d", dir, s);
    assert_int_equal(mkdir(sd, 0777), 0);
    DIR *d = opendir(in_dir);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d))) {
      if (!strstr(e->d_name, ".npy")) continue;
      char src[4200], dst[4200], err[256];
      snprintf(src, sizeof src, "%s/%s", in_dir, e->d_name);
      snprintf(dst, sizeof dst, "%s/%s", sd, e->d_name);
      ingot_npy_t t;
      assert_int_equal(ingot_npy_read(src, &t, err, sizeof err), 0);
      int64_t n = 1;
      for (int k = 0; k < t.rank; k++) n *= t.dims[k];
      if (s > 0 && t.dtype == INGOT_DT_FLOAT) {
        float *x = t.data;
        double sum = 0, sq = 0;
        bool binary = true;
        for (int64_t i = 0; i < n; i++) {
          sum += x[i];
          sq += (double)x[i] * x[i];
          binary &= x[i] == 0 || x[i] == 1;
        }
        double sd_ = n ? sqrt(fmax(sq / n - (sum / n) * (sum / n), 0)) : 0;
        if (binary) {
          float *c = malloc((size_t)n * sizeof *c);
          for (int64_t i = 0; i < n; i++) c[i] = x[(i + s * 37) % n];
          memcpy(x, c, (size_t)n * sizeof *c);
          free(c);
        } else {
          for (int64_t i = 0; i < n; i++) x[i] += (float)(0.3 * sd_ * qh_gauss(&st));
        }
      } else if (s > 0 && t.dtype == INGOT_DT_INT64) {
        int64_t *x = t.data, *c = malloc((size_t)n * sizeof *c);
        for (int64_t i = 0; i < n; i++) c[i] = x[(i + s) % n];
        memcpy(x, c, (size_t)n * sizeof *c);
        free(c);
      }
      assert_int_equal(ingot_npy_write(dst, t.dtype, t.rank, t.dims, t.data, err, sizeof err), 0);
      ingot_npy_free(&t);
    }
    closedir(d);
  }
}

/* A fresh temporary folder name (made). */
static inline void qh_tmpdir(char *buf, size_t n) {
  snprintf(buf, n, "/tmp/ingot_qtest_XXXXXX");
  assert_non_null(mkdtemp(buf));
}

/* Compiles g (already quantized or not) with the rest of the pipeline for
 * target, JIT, and runs it on inputs at 1 and 2 threads: out[t * noutputs
 * + i] (t = 0, 1) allocated like ref[i].  g is changed by the pipeline. */
static inline void qh_compile_run(ingot_graph_t *g, const char *target, const ingot_tensor_t *inputs,
                                  const ingot_tensor_t *ref, ingot_tensor_t *out) {
  ingot_pass_ctx_t pc;
  ingot_pass_ctx_init(&pc);
  pc.verify_each = true;
  cgt_ok(ingot_run_pipeline(g, &pc));
  ingot_cg_options_t co = {"q", target, true, false, 2};
  ingot_cg_t *cg;
  cgt_ok(ingot_cg_create(&co, &cg));
  cgt_ok(ingot_cg_add_bucket(cg, g, "default", NULL, NULL));
  cgt_ok(ingot_cg_finish(cg));
  const void *desc;
  cgt_ok(ingot_cg_jit(cg, &desc));
  for (int t = 0; t < 2; t++) {
    ingot_rt_options_t ro;
    ingot_rt_options_init(&ro);
    ro.threads = t + 1;
    ingot_rt_model_t *m;
    ingot_rt_status_t rs = ingot_rt_model_create((const ingot_rt_model_desc_t *)desc, NULL, &ro, &m);
    if (rs) print_error("create: %s\n", ingot_rt_last_error(m));
    assert_int_equal(rs, INGOT_RT_OK);
    void **in = calloc(g->ninputs + 1, sizeof *in), **o = calloc(g->noutputs + 1, sizeof *o);
    for (uint32_t i = 0; i < g->ninputs; i++) in[i] = inputs[i].data;
    for (uint32_t i = 0; i < g->noutputs; i++) {
      ingot_tensor_t *r = &out[t * g->noutputs + i];
      cgt_ok(ingot_tensor_alloc(r, ref[i].dtype, ref[i].rank, ref[i].dims));
      o[i] = r->data;
    }
    rs = ingot_rt_model_run(m, 0, in, o);
    if (rs) print_error("run: %s\n", ingot_rt_last_error(m));
    assert_int_equal(rs, INGOT_RT_OK);
    free(in);
    free(o);
    ingot_rt_model_destroy(m);
  }
  ingot_cg_destroy(cg);
}

static inline double qh_maxabs(const ingot_tensor_t *a, const ingot_tensor_t *b) {
  double m = 0;
  int64_t n = ingot_tensor_numel(b);
  for (int64_t i = 0; i < n; i++) {
    double x = ingot_tensor_get_f64(a, i), y = ingot_tensor_get_f64(b, i);
    if (isnan(x) != isnan(y)) return INFINITY;
    if (!isnan(x) && fabs(x - y) > m) m = fabs(x - y);
  }
  return m;
}

/* Reads the model's reference inputs (graph input order) into ts. */
static inline void qh_model_inputs(const ingot_graph_t *g, const char *model_dir, ingot_tensor_t *ts) {
  for (uint32_t i = 0; i < g->ninputs; i++) {
    char p[4096], err[256];
    snprintf(p, sizeof p, "%s/inputs/%s.npy", model_dir, g->values[g->inputs[i]].name);
    ingot_npy_t t;
    assert_int_equal(ingot_npy_read(p, &t, err, sizeof err), 0);
    ts[i] = ingot_tensor_view(t.dtype, t.rank, t.dims, t.data, t.nbytes);
    ts[i].owned = true;
  }
}

#endif
