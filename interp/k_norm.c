/* Reference kernels: Softmax, LogSoftmax and the normalisations
 * (LayerNormalization, GroupNormalization, InstanceNormalization,
 * BatchNormalization).
 *
 * Every statistic is computed in double with two passes (mean, then the
 * mean of squared deviations: population variance, as the specs define it),
 * so the oracle is not the weak point when a compiled kernel uses a
 * one-pass or Welford formulation in float32.
 *
 * Softmax/LogSoftmax: opset >= 13 normalise along one axis (default -1);
 * before 13 the input is coerced to 2-D at axis (default 1).  Both subtract
 * the maximum first.  GroupNormalization takes opset 18's per-group
 * scale/bias ([num_groups]) and also opset 21's per-channel ([C]): when
 * C == num_groups the two agree. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "interp/interp.h"

static bool is_float(int dt) {
  return dt == INGOT_DT_FLOAT || dt == INGOT_DT_DOUBLE;
}

static ingot_status_t need_float(const ingot_kctx_t *k, const ingot_tensor_t *t, const char *what) {
  if (is_float(t->dtype)) return INGOT_OK;
  return ingot_kerr(k, INGOT_CODE_UNSUPPORTED, "%s must be a float tensor, got %s", what, ingot_dtype_name(t->dtype));
}

static ingot_status_t norm_axis(const ingot_kctx_t *k, int64_t a, int r, int *out) {
  if (a < -r || a >= r)
    return ingot_kerr(k, INGOT_CODE_INPUT, "axis %lld is out of range for rank %d", (long long)a, r);
  *out = (int)(a < 0 ? a + r : a);
  return INGOT_OK;
}

/* A float tensor's elements as a malloc'd double array. */
static ingot_status_t load_f64(const ingot_kctx_t *k, const ingot_tensor_t *t, double **out) {
  int64_t n = ingot_tensor_numel(t);
  double *p = malloc((size_t)(n ? n : 1) * sizeof *p);
  if (!p) return ingot_kerr(k, INGOT_CODE_NOMEM, "out of memory");
  for (int64_t i = 0; i < n; i++) p[i] = ingot_tensor_get_f64(t, i);
  *out = p;
  return INGOT_OK;
}

/* Per-channel parameter: a float tensor with exactly n elements (any rank
 * whose numel is n, e.g. [C] or [C,1,1]). */
static ingot_status_t param(const ingot_kctx_t *k, const ingot_tensor_t *t, int64_t n, const char *what, double **out) {
  *out = NULL;
  INGOT_RETURN_IF_ERROR(need_float(k, t, what));
  if (ingot_tensor_numel(t) != n || t->rank != 1)
    return ingot_kerr(k, INGOT_CODE_INPUT, "%s must have shape [%lld], got %lld elements in rank %d", what,
                      (long long)n, (long long)ingot_tensor_numel(t), t->rank);
  return load_f64(k, t, out);
}

/* ---- Softmax / LogSoftmax ------------------------------------------------------ */

static ingot_status_t softmax(const ingot_kctx_t *k, const ingot_tensor_t *const *in, uint32_t nin,
                              ingot_tensor_t *out, uint32_t nout, bool log_) {
  if (nin < 1 || !in[0] || nout < 1) return ingot_kerr(k, INGOT_CODE_INPUT, "expects one input and one output");
  const ingot_tensor_t *x = in[0];
  INGOT_RETURN_IF_ERROR(need_float(k, x, "input"));
  if (x->rank < 1) return ingot_kerr(k, INGOT_CODE_INPUT, "input must have rank >= 1");
  bool old = k->g->opset > 0 && k->g->opset < 13;
  int axis = 0;
  INGOT_RETURN_IF_ERROR(norm_axis(k, ingot_node_attr_i(k->n, "axis", old ? 1 : -1), x->rank, &axis));
  int64_t outer = 1, len = 1, inner = 1;
  for (int d = 0; d < x->rank; d++) {
    if (d < axis) outer *= x->dims[d];
    else if (d == axis || old) len *= x->dims[d];
    else inner *= x->dims[d];
  }
  INGOT_RETURN_IF_ERROR(ingot_tensor_alloc(&out[0], x->dtype, x->rank, x->dims));
  ingot_tensor_t *y = &out[0];
  for (int64_t o = 0; o < outer; o++) {
    for (int64_t i = 0; i < inner; i++) {
      int64_t base = o * len * inner + i;
      double mx = -INFINITY, sum = 0;
      for (int64_t j = 0; j < len; j++) {
        double v = ingot_tensor_get_f64(x, base + j * inner);
        if (v > mx || isnan(v)) mx = isnan(mx) ? mx : v;
      }
      for (int64_t j = 0; j < len; j++) sum += exp(ingot_tensor_get_f64(x, base + j * inner) - mx);
      double lsum = log(sum);
      for (int64_t j = 0; j < len; j++) {
        int64_t p = base + j * inner;
        double d = ingot_tensor_get_f64(x, p) - mx;
        ingot_tensor_set_f64(y, p, log_ ? d - lsum : exp(d) / sum);
      }
    }
  }
  return INGOT_OK;
}

ingot_status_t ingot_kernel_SOFTMAX(const ingot_kctx_t *k, const ingot_tensor_t *const *in, uint32_t nin,
                                    ingot_tensor_t *out, uint32_t nout) {
  return softmax(k, in, nin, out, nout, false);
}

ingot_status_t ingot_kernel_LOG_SOFTMAX(const ingot_kctx_t *k, const ingot_tensor_t *const *in, uint32_t nin,
                                        ingot_tensor_t *out, uint32_t nout) {
  return softmax(k, in, nin, out, nout, true);
}

/* ---- shared: normalise contiguous blocks ---------------------------------------- */

/* mean and 1/sqrt(var + eps) of x[base .. base + len) (population variance). */
static void block_stats(const ingot_tensor_t *x, int64_t base, int64_t len, double eps, double *mean,
                        double *inv) {
  double s = 0;
  for (int64_t j = 0; j < len; j++) s += ingot_tensor_get_f64(x, base + j);
  double m = len ? s / (double)len : 0;
  double v = 0;
  for (int64_t j = 0; j < len; j++) {
    double d = ingot_tensor_get_f64(x, base + j) - m;
    v += d * d;
  }
  v = len ? v / (double)len : 0;
  *mean = m;
  *inv = 1.0 / sqrt(v + eps);
}

/* ---- LayerNormalization ------------------------------------------------------------ */

/* Expands a tensor broadcast (unidirectionally) to the normalised shape
 * dims[0..r) into a double array of prod(dims). */
static ingot_status_t expand_to(const ingot_kctx_t *k, const ingot_tensor_t *t, int r, const int64_t *dims,
                                const char *what, double **out) {
  *out = NULL;
  INGOT_RETURN_IF_ERROR(need_float(k, t, what));
  if (t->rank > r)
    return ingot_kerr(k, INGOT_CODE_INPUT, "%s has rank %d, more than the %d normalised axes", what, t->rank, r);
  for (int d = 0; d < t->rank; d++) {
    int64_t a = t->dims[d], b = dims[r - t->rank + d];
    if (a != b && a != 1)
      return ingot_kerr(k, INGOT_CODE_INPUT, "%s dim %d is %lld, cannot broadcast to %lld", what, d, (long long)a,
                        (long long)b);
  }
  int64_t n = 1, st[INGOT_MAX_RANK], idx[INGOT_MAX_RANK] = {0};
  for (int d = 0; d < r; d++) n *= dims[d];
  ingot_broadcast_strides(t, r, dims, st);
  double *p = malloc((size_t)(n ? n : 1) * sizeof *p);
  if (!p) return ingot_kerr(k, INGOT_CODE_NOMEM, "out of memory");
  int64_t off = 0;
  for (int64_t i = 0; i < n; i++) {
    p[i] = ingot_tensor_get_f64(t, off);
    for (int d = r - 1; d >= 0; d--) {
      off += st[d];
      if (++idx[d] < dims[d]) break;
      off -= st[d] * dims[d];
      idx[d] = 0;
    }
  }
  *out = p;
  return INGOT_OK;
}

ingot_status_t ingot_kernel_LAYER_NORM(const ingot_kctx_t *k, const ingot_tensor_t *const *in, uint32_t nin,
                                       ingot_tensor_t *out, uint32_t nout) {
  if (nin < 2 || !in[0] || !in[1] || nout < 1) return ingot_kerr(k, INGOT_CODE_INPUT, "expects X, Scale and output Y");
  const ingot_tensor_t *x = in[0], *sc = in[1], *b = nin > 2 ? in[2] : NULL;
  INGOT_RETURN_IF_ERROR(need_float(k, x, "X"));
  if (x->rank < 1) return ingot_kerr(k, INGOT_CODE_INPUT, "X must have rank >= 1");
  int axis = 0;
  INGOT_RETURN_IF_ERROR(norm_axis(k, ingot_node_attr_i(k->n, "axis", -1), x->rank, &axis));
  double eps = ingot_node_attr_f(k->n, "epsilon", 1e-5f);
  int64_t stash = ingot_node_attr_i(k->n, "stash_type", INGOT_DT_FLOAT);
  if (stash != INGOT_DT_FLOAT && stash != INGOT_DT_DOUBLE && stash != INGOT_DT_FLOAT16 && stash != INGOT_DT_BFLOAT16)
    return ingot_kerr(k, INGOT_CODE_INPUT, "stash_type %lld is not a float type", (long long)stash);
  int nr = x->rank - axis;
  const int64_t *ndims = x->dims + axis;
  int64_t outer = 1, inner = 1;
  for (int d = 0; d < x->rank; d++) {
    if (d < axis) outer *= x->dims[d];
    else inner *= x->dims[d];
  }
  double *s = NULL, *bb = NULL;
  ingot_status_t st = expand_to(k, sc, nr, ndims, "Scale", &s);
  if (!st && b) st = expand_to(k, b, nr, ndims, "B", &bb);
  int64_t sdims[INGOT_MAX_RANK];
  for (int d = 0; d < x->rank; d++) sdims[d] = d < axis ? x->dims[d] : 1;
  if (!st) st = ingot_tensor_alloc(&out[0], x->dtype, x->rank, x->dims);
  if (!st && nout > 1) st = ingot_tensor_alloc(&out[1], (int)stash, x->rank, sdims);
  if (!st && nout > 2) st = ingot_tensor_alloc(&out[2], (int)stash, x->rank, sdims);
  if (st) {
    for (uint32_t j = 0; j < nout && j < 3; j++) ingot_tensor_release(&out[j]);
    free(s);
    free(bb);
    return st;
  }
  for (int64_t o = 0; o < outer; o++) {
    double mean, inv;
    block_stats(x, o * inner, inner, eps, &mean, &inv);
    for (int64_t j = 0; j < inner; j++) {
      int64_t p = o * inner + j;
      double v = (ingot_tensor_get_f64(x, p) - mean) * inv * s[j] + (bb ? bb[j] : 0.0);
      ingot_tensor_set_f64(&out[0], p, v);
    }
    if (nout > 1) ingot_tensor_set_f64(&out[1], o, mean);
    if (nout > 2) ingot_tensor_set_f64(&out[2], o, inv);
  }
  free(s);
  free(bb);
  return INGOT_OK;
}

/* ---- GroupNormalization / InstanceNormalization ------------------------------------- */

/* y = (x - mean_g) * inv_g * scale[c] + bias[c] over G groups per instance;
 * per_group: scale/bias indexed by group instead of channel. */
static void group_norm(const ingot_tensor_t *x, ingot_tensor_t *y, int64_t groups, const double *scale,
                       const double *bias, bool per_group, double eps) {
  int64_t N = x->dims[0], C = x->dims[1], spatial = 1;
  for (int d = 2; d < x->rank; d++) spatial *= x->dims[d];
  int64_t cpg = C / groups, len = cpg * spatial;
  for (int64_t n = 0; n < N; n++) {
    for (int64_t g = 0; g < groups; g++) {
      int64_t base = (n * C + g * cpg) * spatial;
      double mean, inv;
      block_stats(x, base, len, eps, &mean, &inv);
      for (int64_t j = 0; j < len; j++) {
        int64_t c = g * cpg + j / (spatial ? spatial : 1), pi = per_group ? g : c;
        double v = (ingot_tensor_get_f64(x, base + j) - mean) * inv * scale[pi] + bias[pi];
        ingot_tensor_set_f64(y, base + j, v);
      }
    }
  }
}

ingot_status_t ingot_kernel_GROUP_NORM(const ingot_kctx_t *k, const ingot_tensor_t *const *in, uint32_t nin,
                                       ingot_tensor_t *out, uint32_t nout) {
  if (nin < 3 || !in[0] || !in[1] || !in[2] || nout < 1)
    return ingot_kerr(k, INGOT_CODE_INPUT, "expects X, scale, bias and output Y");
  const ingot_tensor_t *x = in[0];
  INGOT_RETURN_IF_ERROR(need_float(k, x, "X"));
  if (x->rank < 2) return ingot_kerr(k, INGOT_CODE_INPUT, "X must have rank >= 2 (N, C, ...)");
  const ingot_attr_t *ng = ingot_node_attr(k->n, "num_groups");
  if (!ng || ng->type != INGOT_ATTR_INT) return ingot_kerr(k, INGOT_CODE_INPUT, "num_groups is required");
  int64_t G = ng->i, C = x->dims[1];
  if (G <= 0 || C % G != 0)
    return ingot_kerr(k, INGOT_CODE_INPUT, "num_groups %lld does not divide the %lld channels", (long long)G,
                      (long long)C);
  int64_t ns = ingot_tensor_numel(in[1]);
  bool per_group = ns == G;
  if (ns != G && ns != C)
    return ingot_kerr(k, INGOT_CODE_INPUT, "scale has %lld elements: expected num_groups (%lld) or channels (%lld)",
                      (long long)ns, (long long)G, (long long)C);
  double *s = NULL, *b = NULL;
  ingot_status_t st = param(k, in[1], ns, "scale", &s);
  if (!st) st = param(k, in[2], ns, "bias", &b);
  if (!st) st = ingot_tensor_alloc(&out[0], x->dtype, x->rank, x->dims);
  if (!st) group_norm(x, &out[0], G, s, b, per_group, ingot_node_attr_f(k->n, "epsilon", 1e-5f));
  free(s);
  free(b);
  return st;
}

ingot_status_t ingot_kernel_INSTANCE_NORM(const ingot_kctx_t *k, const ingot_tensor_t *const *in, uint32_t nin,
                                          ingot_tensor_t *out, uint32_t nout) {
  if (nin < 3 || !in[0] || !in[1] || !in[2] || nout < 1)
    return ingot_kerr(k, INGOT_CODE_INPUT, "expects input, scale, B and one output");
  const ingot_tensor_t *x = in[0];
  INGOT_RETURN_IF_ERROR(need_float(k, x, "input"));
  if (x->rank < 2) return ingot_kerr(k, INGOT_CODE_INPUT, "input must have rank >= 2 (N, C, ...)");
  int64_t C = x->dims[1];
  double *s = NULL, *b = NULL;
  ingot_status_t st = param(k, in[1], C, "scale", &s);
  if (!st) st = param(k, in[2], C, "B", &b);
  if (!st) st = ingot_tensor_alloc(&out[0], x->dtype, x->rank, x->dims);
  if (!st) group_norm(x, &out[0], C, s, b, false, ingot_node_attr_f(k->n, "epsilon", 1e-5f));
  free(s);
  free(b);
  return st;
}

/* ---- BatchNormalization -------------------------------------------------------------- */

/* Inference: y = (x - mean[c]) / sqrt(var[c] + eps) * scale[c] + B[c].
 * training_mode=1 (opset 14+): normalise with the batch statistics and
 * output running_mean = mean * momentum + batch_mean * (1 - momentum) (and
 * likewise the variance, population variance of the batch). */
ingot_status_t ingot_kernel_BATCH_NORM(const ingot_kctx_t *k, const ingot_tensor_t *const *in, uint32_t nin,
                                       ingot_tensor_t *out, uint32_t nout) {
  if (nin < 5 || nout < 1) return ingot_kerr(k, INGOT_CODE_INPUT, "expects X, scale, B, mean, var and output Y");
  for (int j = 0; j < 5; j++)
    if (!in[j]) return ingot_kerr(k, INGOT_CODE_INPUT, "input %d is required", j);
  const ingot_tensor_t *x = in[0];
  INGOT_RETURN_IF_ERROR(need_float(k, x, "X"));
  if (x->rank < 2) return ingot_kerr(k, INGOT_CODE_INPUT, "X must have rank >= 2 (N, C, ...)");
  int64_t N = x->dims[0], C = x->dims[1], spatial = 1;
  for (int d = 2; d < x->rank; d++) spatial *= x->dims[d];
  double eps = ingot_node_attr_f(k->n, "epsilon", 1e-5f), mom = ingot_node_attr_f(k->n, "momentum", 0.9f);
  bool train = ingot_node_attr_i(k->n, "training_mode", 0) != 0;
  static const char *names[5] = {"X", "scale", "B", "input_mean", "input_var"};
  double *p[5] = {NULL, NULL, NULL, NULL, NULL}, *bm = NULL, *bv = NULL;
  ingot_status_t st = INGOT_OK;
  for (int j = 1; j < 5 && !st; j++) st = param(k, in[j], C, names[j], &p[j]);
  if (!st) {
    bm = calloc((size_t)(C ? C : 1), sizeof *bm);
    bv = calloc((size_t)(C ? C : 1), sizeof *bv);
    if (!bm || !bv) st = ingot_kerr(k, INGOT_CODE_NOMEM, "out of memory");
  }
  if (!st) st = ingot_tensor_alloc(&out[0], x->dtype, x->rank, x->dims);
  for (uint32_t j = 1; j < nout && j < 3 && !st; j++) st = ingot_tensor_alloc(&out[j], in[3 + j - 1]->dtype, 1, &C);
  if (!st) {
    int64_t cnt = N * spatial;
    for (int64_t c = 0; c < C; c++) {
      if (train) {
        double s = 0, v = 0;
        for (int64_t n = 0; n < N; n++)
          for (int64_t i = 0; i < spatial; i++) s += ingot_tensor_get_f64(x, (n * C + c) * spatial + i);
        double m = cnt ? s / (double)cnt : 0;
        for (int64_t n = 0; n < N; n++)
          for (int64_t i = 0; i < spatial; i++) {
            double d = ingot_tensor_get_f64(x, (n * C + c) * spatial + i) - m;
            v += d * d;
          }
        bm[c] = m;
        bv[c] = cnt ? v / (double)cnt : 0;
      } else {
        bm[c] = p[3][c];
        bv[c] = p[4][c];
      }
      double inv = 1.0 / sqrt(bv[c] + eps);
      for (int64_t n = 0; n < N; n++)
        for (int64_t i = 0; i < spatial; i++) {
          int64_t q = (n * C + c) * spatial + i;
          ingot_tensor_set_f64(&out[0], q, (ingot_tensor_get_f64(x, q) - bm[c]) * inv * p[1][c] + p[2][c]);
        }
      double rm = train ? p[3][c] * mom + bm[c] * (1 - mom) : p[3][c];
      double rv = train ? p[4][c] * mom + bv[c] * (1 - mom) : p[4][c];
      if (nout > 1) ingot_tensor_set_f64(&out[1], c, rm);
      if (nout > 2) ingot_tensor_set_f64(&out[2], c, rv);
    }
  } else {
    for (uint32_t j = 0; j < nout && j < 3; j++) ingot_tensor_release(&out[j]);
  }
  for (int j = 0; j < 5; j++) free(p[j]);
  free(bm);
  free(bv);
  return st;
}
