/* Reference kernels of ingot's quantized ops (made by passes/quantize.c):
 * IngotQuantAct, IngotQLinear, IngotQConv.  Their definitions live here, in
 * the oracle, in the plainest form; codegen/cg_qgemm.c must agree.
 *
 * IngotQuantAct(X) -> Y [, S]                      attrs format, scale, pad_to
 *   format "int8":   Y int8 [..., Kp], Y[r,k] = clamp(rne(X[r,k] * (1/s)), -127, 127)
 *                    for k < K, 0 for k in [K, Kp) (Kp = K rounded up to pad_to).
 *                    s = scale (per tensor) or, when scale is 0/absent, per row:
 *                    s_r = ingot_int8_scale(max_k |X[r,k]|), written to S [...].
 *   format "e4m3fn" / "e5m2": Y float32, same shape: Y = s * round_fp8(X * (1/s))
 *                    (fake quantization: the values an fp8 tensor scaled by s holds).
 * IngotQLinear(A, W, Ws [, B [, Sa]]) -> Y [..., N]  attrs weights, k, n, act_scale
 *   W in a panel layout (ir/quant_codec.h), logical [K, N]; Ws [N] or [1].
 *   A float32 [..., K]: Y[r,j] = (float)(sum_k A[r,k] * deq(W[k,j]) * Ws[j]) (+ B[j]),
 *     deq: int8 value, or the fp8 code decoded; the sum in double.
 *   A int8 [..., Kp] (from IngotQuantAct): acc = sum_k A[r,k] * W[k,j] exactly in
 *     integers; Y[r,j] = (float)acc * (sa * Ws[j]) (+ B[j]), every step rounded to
 *     float32 as written, sa = act_scale or Sa[r] (per token).  The compiled
 *     kernel performs the same float32 operations, so it agrees bit for bit.
 * IngotQConv(X, W, Ws [, B]) -> Y [N, Cout, OH, OW]  2-D convolution, group 1,
 *   explicit pads [top, left, bottom, right], strides, dilations, kernel_shape;
 *   W logical [K = C*KH*KW, Cout] with k = (c*KH + kh)*KW + kw; X float32 or
 *   int8 (then act_scale is the activation scale); arithmetic as IngotQLinear. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "interp/interp.h"
#include "ir/quant_codec.h"

static ingot_status_t need_f32(const ingot_kctx_t *k, const ingot_tensor_t *t, const char *what) {
  if (!t || t->dtype != INGOT_DT_FLOAT)
    return ingot_kerr(k, INGOT_CODE_INPUT, "%s must be a float32 tensor", what);
  return INGOT_OK;
}

static int fp8_of(int w) { return w == INGOT_QW_E5M2 ? INGOT_FP8_E5M2 : INGOT_FP8_E4M3FN; }

/* ---- IngotQuantAct ---------------------------------------------------------------- */

ingot_status_t ingot_kernel_QUANT_ACT(const ingot_kctx_t *k, const ingot_tensor_t *const *in, uint32_t nin,
                                      ingot_tensor_t *out, uint32_t nout) {
  if (nin < 1 || !in[0] || nout < 1) return ingot_kerr(k, INGOT_CODE_INPUT, "expects an input and an output");
  const ingot_tensor_t *x = in[0];
  INGOT_RETURN_IF_ERROR(need_f32(k, x, "the input"));
  if (x->rank < 1) return ingot_kerr(k, INGOT_CODE_INPUT, "the input must have rank >= 1");
  const char *fmt = ingot_node_attr_s(k->n, "format", "");
  float scale = ingot_node_attr_f(k->n, "scale", 0.0f);
  int64_t pad_to = ingot_node_attr_i(k->n, "pad_to", 1);
  bool is_int8 = !strcmp(fmt, "int8");
  int fp8 = !strcmp(fmt, "e4m3fn") ? INGOT_FP8_E4M3FN : !strcmp(fmt, "e5m2") ? INGOT_FP8_E5M2 : -1;
  if (!is_int8 && fp8 < 0) return ingot_kerr(k, INGOT_CODE_INPUT, "format must be int8, e4m3fn or e5m2, not '%s'", fmt);
  if (!(scale >= 0) || !isfinite(scale)) return ingot_kerr(k, INGOT_CODE_INPUT, "scale must be finite and >= 0");
  if (pad_to < 1 || pad_to > 64 || (!is_int8 && pad_to != 1))
    return ingot_kerr(k, INGOT_CODE_INPUT, "pad_to %lld is invalid", (long long)pad_to);
  if (!is_int8 && scale == 0) return ingot_kerr(k, INGOT_CODE_INPUT, "fp8 quantization needs a scale");
  int64_t K = x->dims[x->rank - 1], rows = K ? ingot_tensor_numel(x) / K : 0;
  int64_t Kp = (K + pad_to - 1) / pad_to * pad_to;
  int64_t dims[INGOT_MAX_RANK];
  memcpy(dims, x->dims, sizeof dims);
  const float *xs = x->data;
  if (!is_int8) {
    INGOT_RETURN_IF_ERROR(ingot_tensor_alloc(&out[0], INGOT_DT_FLOAT, x->rank, dims));
    float *y = out[0].data, inv = 1.0f / scale;
    for (int64_t i = 0; i < rows * K; i++) y[i] = scale * ingot_fp8_round((ingot_fp8_format_t)fp8, xs[i] * inv);
    return INGOT_OK;
  }
  dims[x->rank - 1] = Kp;
  INGOT_RETURN_IF_ERROR(ingot_tensor_alloc(&out[0], INGOT_DT_INT8, x->rank, dims));
  float *srow = NULL;
  if (nout > 1) {
    ingot_status_t st = ingot_tensor_alloc(&out[1], INGOT_DT_FLOAT, x->rank - 1, x->dims);
    if (st) return st;
    srow = out[1].data;
  }
  int8_t *y = out[0].data;
  for (int64_t r = 0; r < rows; r++) {
    const float *xr = xs + r * K;
    float s = scale;
    if (s == 0) {
      float amax = 0;
      for (int64_t i = 0; i < K; i++) {
        float v = fabsf(xr[i]);
        if (v > amax) amax = v;
      }
      s = ingot_int8_scale(amax);
    }
    if (srow) srow[r] = s;
    float inv = 1.0f / s;
    for (int64_t i = 0; i < K; i++) y[r * Kp + i] = ingot_int8_quantize(xr[i], inv);
  }
  return INGOT_OK;
}

/* ---- shared by QLinear and QConv ------------------------------------------------- */

typedef struct {
  int w;           /* ingot_qweights_t */
  int64_t K, N, Kp;
  const void *wdata;
  const float *ws; /* Ws, numel N or 1 */
  int64_t nws;
  const float *bias; /* NULL or N */
  float act_scale;
} qw_t;

static ingot_status_t read_weights(const ingot_kctx_t *k, const ingot_tensor_t *const *in, uint32_t nin, int64_t K,
                                   int64_t N, qw_t *q) {
  memset(q, 0, sizeof *q);
  q->w = ingot_qweights_parse(ingot_node_attr_s(k->n, "weights", ""));
  if (q->w < 0) return ingot_kerr(k, INGOT_CODE_INPUT, "weights must be int8, int8x4, e4m3fn or e5m2");
  if (K < 1 || N < 1 || K > (1ll << 31) || N > (1ll << 31))
    return ingot_kerr(k, INGOT_CODE_INPUT, "invalid k %lld / n %lld", (long long)K, (long long)N);
  q->K = K;
  q->N = N;
  q->Kp = ingot_qweights_kpad(q->w, K);
  int64_t np = (N + INGOT_QPANEL - 1) / INGOT_QPANEL;
  const ingot_tensor_t *w = nin > 1 ? in[1] : NULL, *ws = nin > 2 ? in[2] : NULL, *b = nin > 3 ? in[3] : NULL;
  int want_dt = q->w == INGOT_QW_INT8 || q->w == INGOT_QW_INT8X4 ? INGOT_DT_INT8 : INGOT_DT_UINT8;
  if (!w || w->dtype != want_dt || ingot_tensor_numel(w) != np * q->Kp * INGOT_QPANEL)
    return ingot_kerr(k, INGOT_CODE_INPUT, "the weights must be %s with %lld elements (%s layout)",
                      ingot_dtype_name(want_dt), (long long)(np * q->Kp * INGOT_QPANEL), ingot_qweights_name(q->w));
  INGOT_RETURN_IF_ERROR(need_f32(k, ws, "the weight scales"));
  q->nws = ingot_tensor_numel(ws);
  if (q->nws != N && q->nws != 1)
    return ingot_kerr(k, INGOT_CODE_INPUT, "the weight scales must have 1 or %lld elements", (long long)N);
  if (b) {
    INGOT_RETURN_IF_ERROR(need_f32(k, b, "the bias"));
    if (ingot_tensor_numel(b) != N) return ingot_kerr(k, INGOT_CODE_INPUT, "the bias must have %lld elements", (long long)N);
    q->bias = b->data;
  }
  q->wdata = w->data;
  q->ws = ws->data;
  q->act_scale = ingot_node_attr_f(k->n, "act_scale", 0.0f);
  if (!(q->act_scale >= 0) || !isfinite(q->act_scale))
    return ingot_kerr(k, INGOT_CODE_INPUT, "act_scale must be finite and >= 0");
  return INGOT_OK;
}

static float wscale(const qw_t *q, int64_t j) { return q->ws[q->nws == 1 ? 0 : j]; }

/* Dequantized weights as a dense [K, N] double matrix (float activations). */
static ingot_status_t dense_f64(const ingot_kctx_t *k, const qw_t *q, double **out) {
  double *d = malloc((size_t)(q->K * q->N) * sizeof *d);
  *out = d;
  if (!d) return ingot_kerr(k, INGOT_CODE_NOMEM, "out of memory");
  for (int64_t kk = 0; kk < q->K; kk++)
    for (int64_t j = 0; j < q->N; j++) {
      int64_t i = ingot_qweights_index(q->w, q->K, kk, j);
      d[kk * q->N + j] = q->w == INGOT_QW_INT8 || q->w == INGOT_QW_INT8X4
                             ? (double)((const int8_t *)q->wdata)[i]
                             : (double)ingot_fp8_decode((ingot_fp8_format_t)fp8_of(q->w), ((const uint8_t *)q->wdata)[i]);
    }
  return INGOT_OK;
}

/* Integer weights as a dense [K, N] int32 matrix (int8 activations). */
static ingot_status_t dense_i32(const ingot_kctx_t *k, const qw_t *q, int32_t **out) {
  int32_t *d = malloc((size_t)(q->K * q->N) * sizeof *d);
  *out = d;
  if (!d) return ingot_kerr(k, INGOT_CODE_NOMEM, "out of memory");
  if (q->w != INGOT_QW_INT8 && q->w != INGOT_QW_INT8X4)
    return ingot_kerr(k, INGOT_CODE_INPUT, "int8 activations need int8 weights, not %s", ingot_qweights_name(q->w));
  for (int64_t kk = 0; kk < q->K; kk++)
    for (int64_t j = 0; j < q->N; j++)
      d[kk * q->N + j] = ((const int8_t *)q->wdata)[ingot_qweights_index(q->w, q->K, kk, j)];
  return INGOT_OK;
}

/* y = (float)(acc * ws[j]) (+ b[j]) */
static float epi_f(const qw_t *q, double acc, int64_t j) {
  float y = (float)(acc * (double)wscale(q, j));
  if (q->bias) y = y + q->bias[j];
  return y;
}

/* y = (float)acc * (sa * ws[j]) (+ b[j]), in float32 step by step */
static float epi_i(const qw_t *q, int64_t acc, float sa, int64_t j) {
  float cs = sa * wscale(q, j);
  float y = (float)acc * cs;
  if (q->bias) y = y + q->bias[j];
  return y;
}

/* ---- IngotQLinear ------------------------------------------------------------------ */

ingot_status_t ingot_kernel_QLINEAR(const ingot_kctx_t *k, const ingot_tensor_t *const *in, uint32_t nin,
                                    ingot_tensor_t *out, uint32_t nout) {
  if (nin < 3 || !in[0] || nout < 1) return ingot_kerr(k, INGOT_CODE_INPUT, "expects A, W, Ws and an output");
  qw_t q;
  INGOT_RETURN_IF_ERROR(read_weights(k, in, nin, ingot_node_attr_i(k->n, "k", 0), ingot_node_attr_i(k->n, "n", 0), &q));
  const ingot_tensor_t *a = in[0], *sa = nin > 4 ? in[4] : NULL;
  bool int_a = a->dtype == INGOT_DT_INT8;
  if (!int_a) INGOT_RETURN_IF_ERROR(need_f32(k, a, "A"));
  int64_t ka = int_a ? q.Kp : q.K;
  if (a->rank < 1 || a->dims[a->rank - 1] != ka)
    return ingot_kerr(k, INGOT_CODE_INPUT, "A's last dim must be %lld", (long long)ka);
  int64_t rows = ingot_tensor_numel(a) / ka;
  if (int_a && !sa && q.act_scale == 0)
    return ingot_kerr(k, INGOT_CODE_INPUT, "int8 A needs act_scale or per-row scales");
  if (sa) {
    INGOT_RETURN_IF_ERROR(need_f32(k, sa, "the row scales"));
    if (ingot_tensor_numel(sa) != rows)
      return ingot_kerr(k, INGOT_CODE_INPUT, "the row scales must have %lld elements", (long long)rows);
  }
  int64_t dims[INGOT_MAX_RANK];
  memcpy(dims, a->dims, sizeof dims);
  dims[a->rank - 1] = q.N;
  INGOT_RETURN_IF_ERROR(ingot_tensor_alloc(&out[0], INGOT_DT_FLOAT, a->rank, dims));
  float *y = out[0].data;
  ingot_status_t st = INGOT_OK;
  if (int_a) {
    int32_t *w;
    int64_t *acc = malloc((size_t)q.N * sizeof *acc);
    st = dense_i32(k, &q, &w);
    if (!st && !acc) st = ingot_kerr(k, INGOT_CODE_NOMEM, "out of memory");
    const int8_t *as = a->data;
    for (int64_t r = 0; !st && r < rows; r++) {
      memset(acc, 0, (size_t)q.N * sizeof *acc);
      for (int64_t kk = 0; kk < q.K; kk++) {
        int64_t av = as[r * ka + kk];
        for (int64_t j = 0; j < q.N; j++) acc[j] += av * w[kk * q.N + j];
      }
      float s = sa ? ((const float *)sa->data)[r] : q.act_scale;
      for (int64_t j = 0; j < q.N; j++) y[r * q.N + j] = epi_i(&q, acc[j], s, j);
    }
    free(w);
    free(acc);
  } else {
    double *w, *acc = malloc((size_t)q.N * sizeof *acc);
    st = dense_f64(k, &q, &w);
    if (!st && !acc) st = ingot_kerr(k, INGOT_CODE_NOMEM, "out of memory");
    const float *as = a->data;
    for (int64_t r = 0; !st && r < rows; r++) {
      memset(acc, 0, (size_t)q.N * sizeof *acc);
      for (int64_t kk = 0; kk < q.K; kk++) {
        double av = as[r * ka + kk];
        for (int64_t j = 0; j < q.N; j++) acc[j] += av * w[kk * q.N + j];
      }
      for (int64_t j = 0; j < q.N; j++) y[r * q.N + j] = epi_f(&q, acc[j], j);
    }
    free(w);
    free(acc);
  }
  if (st) ingot_tensor_release(&out[0]);
  return st;
}

/* ---- IngotQConv -------------------------------------------------------------------- */

static ingot_status_t ints_attr(const ingot_kctx_t *k, const char *name, int n, int64_t dflt, int64_t *out) {
  const int64_t *v;
  int64_t c = ingot_node_attr_ints(k->n, name, &v);
  for (int i = 0; i < n; i++) out[i] = dflt;
  if (c < 0) return INGOT_OK;
  if (c != n) return ingot_kerr(k, INGOT_CODE_INPUT, "%s must have %d values", name, n);
  for (int i = 0; i < n; i++) {
    if (v[i] < (dflt ? 1 : 0) || v[i] > (1 << 20))
      return ingot_kerr(k, INGOT_CODE_INPUT, "%s value %lld is out of range", name, (long long)v[i]);
    out[i] = v[i];
  }
  return INGOT_OK;
}

ingot_status_t ingot_kernel_QCONV(const ingot_kctx_t *k, const ingot_tensor_t *const *in, uint32_t nin,
                                  ingot_tensor_t *out, uint32_t nout) {
  if (nin < 3 || !in[0] || nout < 1) return ingot_kerr(k, INGOT_CODE_INPUT, "expects X, W, Ws and an output");
  const ingot_tensor_t *x = in[0];
  bool int_x = x->dtype == INGOT_DT_INT8;
  if (!int_x) INGOT_RETURN_IF_ERROR(need_f32(k, x, "X"));
  if (x->rank != 4) return ingot_kerr(k, INGOT_CODE_INPUT, "X must be [N, C, H, W]");
  if (ingot_node_attr_i(k->n, "group", 1) != 1) return ingot_kerr(k, INGOT_CODE_UNSUPPORTED, "group must be 1");
  int64_t ks[2], pads[4], strides[2], dil[2];
  INGOT_RETURN_IF_ERROR(ints_attr(k, "kernel_shape", 2, 1, ks));
  INGOT_RETURN_IF_ERROR(ints_attr(k, "pads", 4, 0, pads));
  INGOT_RETURN_IF_ERROR(ints_attr(k, "strides", 2, 1, strides));
  INGOT_RETURN_IF_ERROR(ints_attr(k, "dilations", 2, 1, dil));
  int64_t B = x->dims[0], C = x->dims[1], H = x->dims[2], W = x->dims[3];
  qw_t q;
  INGOT_RETURN_IF_ERROR(read_weights(k, in, nin, C * ks[0] * ks[1], ingot_node_attr_i(k->n, "n", 0), &q));
  if (q.w == INGOT_QW_INT8X4) return ingot_kerr(k, INGOT_CODE_INPUT, "IngotQConv does not take int8x4 weights");
  if (int_x && q.act_scale == 0) return ingot_kerr(k, INGOT_CODE_INPUT, "int8 X needs act_scale");
  int64_t eh = (ks[0] - 1) * dil[0] + 1, ew = (ks[1] - 1) * dil[1] + 1;
  if (H + pads[0] + pads[2] < eh || W + pads[1] + pads[3] < ew)
    return ingot_kerr(k, INGOT_CODE_INPUT, "the kernel is larger than the padded input");
  int64_t OH = (H + pads[0] + pads[2] - eh) / strides[0] + 1, OW = (W + pads[1] + pads[3] - ew) / strides[1] + 1;
  int64_t dims[4] = {B, q.N, OH, OW};
  INGOT_RETURN_IF_ERROR(ingot_tensor_alloc(&out[0], INGOT_DT_FLOAT, 4, dims));
  float *y = out[0].data;
  double *wf = NULL, *accf = NULL;
  int32_t *wi = NULL;
  int64_t *acci = NULL;
  ingot_status_t st = int_x ? dense_i32(k, &q, &wi) : dense_f64(k, &q, &wf);
  accf = malloc((size_t)q.N * sizeof *accf);
  acci = malloc((size_t)q.N * sizeof *acci);
  if (!st && (!accf || !acci)) st = ingot_kerr(k, INGOT_CODE_NOMEM, "out of memory");
  for (int64_t b = 0; !st && b < B; b++)
    for (int64_t oh = 0; oh < OH; oh++)
      for (int64_t ow = 0; ow < OW; ow++) {
        memset(accf, 0, (size_t)q.N * sizeof *accf);
        memset(acci, 0, (size_t)q.N * sizeof *acci);
        for (int64_t c = 0; c < C; c++)
          for (int64_t kh = 0; kh < ks[0]; kh++)
            for (int64_t kw = 0; kw < ks[1]; kw++) {
              int64_t ih = oh * strides[0] - pads[0] + kh * dil[0], iw = ow * strides[1] - pads[1] + kw * dil[1];
              if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
              int64_t xi = ((b * C + c) * H + ih) * W + iw, kk = (c * ks[0] + kh) * ks[1] + kw;
              if (int_x) {
                int64_t av = ((const int8_t *)x->data)[xi];
                for (int64_t j = 0; j < q.N; j++) acci[j] += av * wi[kk * q.N + j];
              } else {
                double av = ((const float *)x->data)[xi];
                for (int64_t j = 0; j < q.N; j++) accf[j] += av * wf[kk * q.N + j];
              }
            }
        for (int64_t j = 0; j < q.N; j++)
          y[((b * q.N + j) * OH + oh) * OW + ow] = int_x ? epi_i(&q, acci[j], q.act_scale, j) : epi_f(&q, accf[j], j);
      }
  free(wf);
  free(wi);
  free(accf);
  free(acci);
  if (st) ingot_tensor_release(&out[0]);
  return st;
}
