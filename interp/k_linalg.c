/* Reference kernels: MatMul, Gemm, Conv, ConvTranspose.
 *
 * All float products accumulate in double (operands are converted to double
 * once per node), so the oracle's own rounding error is far below what a
 * float32 compiled kernel produces; integer MatMul accumulates in 64 bits.
 *
 * Conv is N-D (1-D, 2-D, 3-D, ...) with groups, strides, dilations, explicit
 * pads or auto_pad, computed as im2col + GEMM over blocks of output
 * positions (bounded scratch).  ConvTranspose scatters each input element
 * through the kernel (the adjoint of Conv), with the ONNX output-shape and
 * auto-padding rules:
 *   out = stride * (in - 1) + output_padding + (k - 1) * dilation + 1 - pad_begin - pad_end
 *   given output_shape (or SAME_*, where output_shape = in * stride):
 *     total = stride * (in - 1) + output_padding + (k - 1) * dilation + 1 - output_shape
 *     SAME_UPPER: begin = total / 2, end = total - begin; otherwise end = total / 2, begin = total - end. */
#include <stdlib.h>
#include <string.h>

#include "interp/interp.h"

static bool is_float(int dt) {
  return dt == INGOT_DT_FLOAT || dt == INGOT_DT_DOUBLE;
}

static bool is_int(int dt) {
  switch (dt) {
    case INGOT_DT_INT8:
    case INGOT_DT_INT16:
    case INGOT_DT_INT32:
    case INGOT_DT_INT64:
    case INGOT_DT_UINT8:
    case INGOT_DT_UINT16:
    case INGOT_DT_UINT32:
    case INGOT_DT_UINT64: return true;
    default: return false;
  }
}


static ingot_status_t bad_dtype(const ingot_kctx_t *k, const ingot_tensor_t *t) {
  return ingot_kerr(k, INGOT_CODE_UNSUPPORTED, "%s is not supported for dtype %s", ingot_op_name((ingot_op_t)k->n->op),
                    ingot_dtype_name(t->dtype));
}

static ingot_status_t load_f64(const ingot_kctx_t *k, const ingot_tensor_t *t, double **out) {
  int64_t n = ingot_tensor_numel(t);
  double *p = malloc((size_t)(n ? n : 1) * sizeof *p);
  *out = p;
  if (!p) return ingot_kerr(k, INGOT_CODE_NOMEM, "out of memory");
  if (t->dtype == INGOT_DT_FLOAT) {
    const float *s = t->data;
    for (int64_t i = 0; i < n; i++) p[i] = s[i];
  } else {
    for (int64_t i = 0; i < n; i++) p[i] = ingot_tensor_get_f64(t, i);
  }
  return INGOT_OK;
}

static ingot_status_t load_i64(const ingot_kctx_t *k, const ingot_tensor_t *t, int64_t **out) {
  int64_t n = ingot_tensor_numel(t);
  int64_t *p = malloc((size_t)(n ? n : 1) * sizeof *p);
  *out = p;
  if (!p) return ingot_kerr(k, INGOT_CODE_NOMEM, "out of memory");
  for (int64_t i = 0; i < n; i++) p[i] = ingot_tensor_get_i64(t, i);
  return INGOT_OK;
}

static void store_f64(ingot_tensor_t *t, int64_t i, double v) {
  if (t->dtype == INGOT_DT_FLOAT) ((float *)t->data)[i] = (float)v;
  else ingot_tensor_set_f64(t, i, v);
}

/* ---- MatMul ----------------------------------------------------------------------- */

/* numpy.matmul: 1-D operands are promoted ([K] -> [1,K] on the left, [K,1]
 * on the right) and the added dim removed from the result; batch dims
 * broadcast. */
ingot_status_t ingot_kernel_MATMUL(const ingot_kctx_t *k, const ingot_tensor_t *const *in, uint32_t nin,
                                   ingot_tensor_t *out, uint32_t nout) {
  if (nin < 2 || !in[0] || !in[1] || nout < 1) return ingot_kerr(k, INGOT_CODE_INPUT, "expects A, B and one output");
  const ingot_tensor_t *a = in[0], *b = in[1];
  if (a->dtype != b->dtype)
    return ingot_kerr(k, INGOT_CODE_INPUT, "input dtypes differ: %s vs %s", ingot_dtype_name(a->dtype),
                      ingot_dtype_name(b->dtype));
  bool fl = is_float(a->dtype);
  if (!fl && !is_int(a->dtype)) return bad_dtype(k, a);
  if (a->rank < 1 || b->rank < 1) return ingot_kerr(k, INGOT_CODE_INPUT, "MatMul operands must have rank >= 1");
  int ra = a->rank, rb = b->rank;
  int64_t M = ra >= 2 ? a->dims[ra - 2] : 1, K = a->dims[ra - 1];
  int64_t Kb = rb >= 2 ? b->dims[rb - 2] : b->dims[0], N = rb >= 2 ? b->dims[rb - 1] : 1;
  if (K != Kb)
    return ingot_kerr(k, INGOT_CODE_INPUT, "inner dimensions differ: A has %lld columns, B has %lld rows",
                      (long long)K, (long long)Kb);
  int abr = ra > 2 ? ra - 2 : 0, bbr = rb > 2 ? rb - 2 : 0, br = abr > bbr ? abr : bbr;
  int64_t bd[INGOT_MAX_RANK], ast[INGOT_MAX_RANK], bst[INGOT_MAX_RANK];
  for (int d = 0; d < br; d++) {
    int64_t da = d >= br - abr ? a->dims[d - (br - abr)] : 1;
    int64_t db = d >= br - bbr ? b->dims[d - (br - bbr)] : 1;
    if (da != db && da != 1 && db != 1)
      return ingot_kerr(k, INGOT_CODE_INPUT, "cannot broadcast batch dim %lld against %lld", (long long)da,
                        (long long)db);
    bd[d] = da == 1 ? db : da;
  }
  /* batch strides (in matrices), 0 on broadcast axes */
  int64_t sa = 1, sb = 1;
  for (int d = br - 1; d >= 0; d--) {
    int64_t da = d >= br - abr ? a->dims[d - (br - abr)] : 1;
    int64_t db = d >= br - bbr ? b->dims[d - (br - bbr)] : 1;
    ast[d] = da == 1 ? 0 : sa;
    bst[d] = db == 1 ? 0 : sb;
    sa *= da;
    sb *= db;
  }
  int64_t od[INGOT_MAX_RANK];
  int orank = 0;
  for (int d = 0; d < br; d++) od[orank++] = bd[d];
  if (ra >= 2) od[orank++] = M;
  if (rb >= 2) od[orank++] = N;
  if (orank > INGOT_MAX_RANK) return ingot_kerr(k, INGOT_CODE_UNSUPPORTED, "result rank too large");
  INGOT_RETURN_IF_ERROR(ingot_tensor_alloc(&out[0], a->dtype, orank, od));
  ingot_tensor_t *y = &out[0];
  int64_t nb = 1;
  for (int d = 0; d < br; d++) nb *= bd[d];
  double *fa = NULL, *fb = NULL, *facc = NULL;
  int64_t *ia = NULL, *ib = NULL, *iacc = NULL;
  ingot_status_t st;
  if (fl) {
    st = load_f64(k, a, &fa);
    if (!st) st = load_f64(k, b, &fb);
    if (!st && !(facc = malloc((size_t)(N ? N : 1) * sizeof *facc))) st = ingot_kerr(k, INGOT_CODE_NOMEM, "out of memory");
  } else {
    st = load_i64(k, a, &ia);
    if (!st) st = load_i64(k, b, &ib);
    if (!st && !(iacc = malloc((size_t)(N ? N : 1) * sizeof *iacc))) st = ingot_kerr(k, INGOT_CODE_NOMEM, "out of memory");
  }
  if (!st) {
    int64_t idx[INGOT_MAX_RANK] = {0}, ao = 0, bo = 0;
    for (int64_t bi = 0; bi < nb; bi++) {
      for (int64_t i = 0; i < M; i++) {
        int64_t yo = (bi * M + i) * N;
        if (fl) {
          for (int64_t j = 0; j < N; j++) facc[j] = 0;
          const double *arow = fa + (ao * M + i) * K;
          for (int64_t kk = 0; kk < K; kk++) {
            double av = arow[kk];
            const double *brow = fb + (bo * K + kk) * N;
            for (int64_t j = 0; j < N; j++) facc[j] += av * brow[j];
          }
          for (int64_t j = 0; j < N; j++) store_f64(y, yo + j, facc[j]);
        } else {
          for (int64_t j = 0; j < N; j++) iacc[j] = 0;
          const int64_t *arow = ia + (ao * M + i) * K;
          for (int64_t kk = 0; kk < K; kk++) {
            uint64_t av = (uint64_t)arow[kk];
            const int64_t *brow = ib + (bo * K + kk) * N;
            for (int64_t j = 0; j < N; j++) iacc[j] = (int64_t)((uint64_t)iacc[j] + av * (uint64_t)brow[j]);
          }
          for (int64_t j = 0; j < N; j++) ingot_tensor_set_i64(y, yo + j, iacc[j]);
        }
      }
      for (int d = br - 1; d >= 0; d--) {
        ao += ast[d];
        bo += bst[d];
        if (++idx[d] < bd[d]) break;
        ao -= ast[d] * bd[d];
        bo -= bst[d] * bd[d];
        idx[d] = 0;
      }
    }
  }
  free(fa);
  free(fb);
  free(facc);
  free(ia);
  free(ib);
  free(iacc);
  if (st) ingot_tensor_release(y);
  return st;
}

/* ---- Gemm ------------------------------------------------------------------------- */

/* Y = alpha * A' * B' + beta * C, A' = transA ? A^T : A, C broadcast to [M, N]. */
ingot_status_t ingot_kernel_GEMM(const ingot_kctx_t *k, const ingot_tensor_t *const *in, uint32_t nin,
                                 ingot_tensor_t *out, uint32_t nout) {
  if (nin < 2 || !in[0] || !in[1] || nout < 1) return ingot_kerr(k, INGOT_CODE_INPUT, "expects A, B and one output");
  const ingot_tensor_t *a = in[0], *b = in[1], *c = nin > 2 ? in[2] : NULL;
  if (a->dtype != b->dtype || (c && c->dtype != a->dtype))
    return ingot_kerr(k, INGOT_CODE_INPUT, "input dtypes differ: %s, %s%s%s", ingot_dtype_name(a->dtype),
                      ingot_dtype_name(b->dtype), c ? ", " : "", c ? ingot_dtype_name(c->dtype) : "");
  if (!is_float(a->dtype) && !is_int(a->dtype)) return bad_dtype(k, a);
  if (a->rank != 2 || b->rank != 2)
    return ingot_kerr(k, INGOT_CODE_INPUT, "Gemm operands must be 2-D, got ranks %d and %d", a->rank, b->rank);
  bool ta = ingot_node_attr_i(k->n, "transA", 0) != 0, tb = ingot_node_attr_i(k->n, "transB", 0) != 0;
  double alpha = ingot_node_attr_f(k->n, "alpha", 1.0f), beta = ingot_node_attr_f(k->n, "beta", 1.0f);
  int64_t M = ta ? a->dims[1] : a->dims[0], K = ta ? a->dims[0] : a->dims[1];
  int64_t Kb = tb ? b->dims[1] : b->dims[0], N = tb ? b->dims[0] : b->dims[1];
  if (K != Kb)
    return ingot_kerr(k, INGOT_CODE_INPUT, "inner dimensions differ: A' has %lld columns, B' has %lld rows",
                      (long long)K, (long long)Kb);
  int64_t cst[2] = {0, 0}, yd[2] = {M, N};
  if (c) {
    if (c->rank > 2) return ingot_kerr(k, INGOT_CODE_INPUT, "C must have rank <= 2, got %d", c->rank);
    for (int d = 0; d < c->rank; d++) {
      int64_t cd = c->dims[d], want = yd[2 - c->rank + d];
      if (cd != want && cd != 1)
        return ingot_kerr(k, INGOT_CODE_INPUT, "C dim %lld cannot broadcast to %lld", (long long)cd, (long long)want);
    }
    ingot_broadcast_strides(c, 2, yd, cst);
  }
  INGOT_RETURN_IF_ERROR(ingot_tensor_alloc(&out[0], a->dtype, 2, yd));
  double *fa = NULL, *fb = NULL;
  ingot_status_t st = load_f64(k, a, &fa);
  if (!st) st = load_f64(k, b, &fb);
  if (!st) {
    for (int64_t i = 0; i < M; i++) {
      for (int64_t j = 0; j < N; j++) {
        double s = 0;
        for (int64_t kk = 0; kk < K; kk++) {
          double av = ta ? fa[kk * M + i] : fa[i * K + kk];
          double bv = tb ? fb[j * K + kk] : fb[kk * N + j];
          s += av * bv;
        }
        double v = alpha * s;
        if (c) v += beta * ingot_tensor_get_f64(c, i * cst[0] + j * cst[1]);
        ingot_tensor_set_f64(&out[0], i * N + j, v);
      }
    }
  }
  free(fa);
  free(fb);
  if (st) ingot_tensor_release(&out[0]);
  return st;
}

/* ---- convolution geometry ------------------------------------------------------------- */

typedef struct {
  int nsp; /* spatial rank */
  int64_t group;
  int64_t in[INGOT_MAX_RANK], ks[INGOT_MAX_RANK], out[INGOT_MAX_RANK];
  int64_t stride[INGOT_MAX_RANK], dil[INGOT_MAX_RANK], pb[INGOT_MAX_RANK], pe[INGOT_MAX_RANK];
  int64_t opad[INGOT_MAX_RANK];
} geo_t;

typedef enum { PAD_NOTSET, PAD_SAME_UPPER, PAD_SAME_LOWER, PAD_VALID } autopad_t;

/* An INTS attribute of exactly n entries, or the default dflt for each. */
static ingot_status_t ints_attr(const ingot_kctx_t *k, const char *name, int n, int64_t dflt, int64_t min,
                                int64_t *out) {
  const int64_t *v;
  int64_t cnt = ingot_node_attr_ints(k->n, name, &v);
  if (cnt < 0) {
    for (int i = 0; i < n; i++) out[i] = dflt;
    return INGOT_OK;
  }
  if (cnt != n)
    return ingot_kerr(k, INGOT_CODE_INPUT, "%s has %lld entries, expected %d", name, (long long)cnt, n);
  for (int i = 0; i < n; i++) {
    if (v[i] < min) return ingot_kerr(k, INGOT_CODE_INPUT, "%s[%d] = %lld is invalid", name, i, (long long)v[i]);
    out[i] = v[i];
  }
  return INGOT_OK;
}

/* Attributes shared by Conv and ConvTranspose; x: [N, C, in...], w: [.., .., ks...]. */
static ingot_status_t geo_common(const ingot_kctx_t *k, const ingot_tensor_t *x, const ingot_tensor_t *w, geo_t *g,
                                 autopad_t *ap) {
  memset(g, 0, sizeof *g);
  if (x->rank < 3) return ingot_kerr(k, INGOT_CODE_INPUT, "X must have rank >= 3 (N, C, spatial...), got %d", x->rank);
  if (w->rank != x->rank)
    return ingot_kerr(k, INGOT_CODE_INPUT, "W has rank %d, X has rank %d", w->rank, x->rank);
  g->nsp = x->rank - 2;
  for (int d = 0; d < g->nsp; d++) {
    g->in[d] = x->dims[2 + d];
    g->ks[d] = w->dims[2 + d];
  }
  const int64_t *kshape;
  int64_t nk = ingot_node_attr_ints(k->n, "kernel_shape", &kshape);
  if (nk >= 0) {
    if (nk != g->nsp) return ingot_kerr(k, INGOT_CODE_INPUT, "kernel_shape has %lld entries, expected %d", (long long)nk, g->nsp);
    for (int d = 0; d < g->nsp; d++)
      if (kshape[d] != g->ks[d])
        return ingot_kerr(k, INGOT_CODE_INPUT, "kernel_shape[%d] = %lld but W has %lld", d, (long long)kshape[d],
                          (long long)g->ks[d]);
  }
  INGOT_RETURN_IF_ERROR(ints_attr(k, "strides", g->nsp, 1, 1, g->stride));
  INGOT_RETURN_IF_ERROR(ints_attr(k, "dilations", g->nsp, 1, 1, g->dil));
  int64_t pads[2 * INGOT_MAX_RANK];
  INGOT_RETURN_IF_ERROR(ints_attr(k, "pads", 2 * g->nsp, 0, 0, pads));
  for (int d = 0; d < g->nsp; d++) {
    g->pb[d] = pads[d];
    g->pe[d] = pads[g->nsp + d];
  }
  g->group = ingot_node_attr_i(k->n, "group", 1);
  if (g->group < 1) return ingot_kerr(k, INGOT_CODE_INPUT, "group %lld is invalid", (long long)g->group);
  const char *s = ingot_node_attr_s(k->n, "auto_pad", "NOTSET");
  if (strcmp(s, "NOTSET") == 0) *ap = PAD_NOTSET;
  else if (strcmp(s, "SAME_UPPER") == 0) *ap = PAD_SAME_UPPER;
  else if (strcmp(s, "SAME_LOWER") == 0) *ap = PAD_SAME_LOWER;
  else if (strcmp(s, "VALID") == 0) *ap = PAD_VALID;
  else return ingot_kerr(k, INGOT_CODE_INPUT, "unknown auto_pad '%s'", s);
  return INGOT_OK;
}

/* Converts the linear position p of shape dims[0..n) to coordinates. */
static void unravel(int64_t p, int n, const int64_t *dims, int64_t *c) {
  for (int d = n - 1; d >= 0; d--) {
    c[d] = dims[d] ? p % dims[d] : 0;
    p = dims[d] ? p / dims[d] : 0;
  }
}

/* ---- Conv ----------------------------------------------------------------------------- */

ingot_status_t ingot_kernel_CONV(const ingot_kctx_t *k, const ingot_tensor_t *const *in, uint32_t nin,
                                 ingot_tensor_t *out, uint32_t nout) {
  if (nin < 2 || !in[0] || !in[1] || nout < 1) return ingot_kerr(k, INGOT_CODE_INPUT, "expects X, W and one output");
  const ingot_tensor_t *x = in[0], *w = in[1], *bias = nin > 2 ? in[2] : NULL;
  if (!is_float(x->dtype)) return bad_dtype(k, x);
  if (w->dtype != x->dtype || (bias && bias->dtype != x->dtype))
    return ingot_kerr(k, INGOT_CODE_INPUT, "X, W and B must share a dtype");
  geo_t g;
  autopad_t ap;
  INGOT_RETURN_IF_ERROR(geo_common(k, x, w, &g, &ap));
  int64_t N = x->dims[0], C = x->dims[1], M = w->dims[0];
  if (C % g.group || M % g.group || w->dims[1] * g.group != C)
    return ingot_kerr(k, INGOT_CODE_INPUT, "X has %lld channels, W is [%lld,%lld,...] with group %lld", (long long)C,
                      (long long)M, (long long)w->dims[1], (long long)g.group);
  if (bias && (bias->rank != 1 || bias->dims[0] != M))
    return ingot_kerr(k, INGOT_CODE_INPUT, "B must have shape [%lld]", (long long)M);
  for (int d = 0; d < g.nsp; d++) {
    int64_t ext = g.dil[d] * (g.ks[d] - 1) + 1; /* dilated kernel extent */
    if (ap == PAD_SAME_UPPER || ap == PAD_SAME_LOWER) {
      g.out[d] = (g.in[d] + g.stride[d] - 1) / g.stride[d];
      int64_t total = (g.out[d] - 1) * g.stride[d] + ext - g.in[d];
      if (total < 0) total = 0;
      g.pb[d] = ap == PAD_SAME_UPPER ? total / 2 : total - total / 2;
      g.pe[d] = total - g.pb[d];
    } else {
      if (ap == PAD_VALID) g.pb[d] = g.pe[d] = 0;
      int64_t span = g.in[d] + g.pb[d] + g.pe[d] - ext;
      if (span < 0)
        return ingot_kerr(k, INGOT_CODE_INPUT, "kernel extent %lld exceeds the padded input %lld on spatial axis %d",
                          (long long)ext, (long long)(g.in[d] + g.pb[d] + g.pe[d]), d);
      g.out[d] = span / g.stride[d] + 1;
    }
  }
  int64_t yd[INGOT_MAX_RANK] = {N, M};
  for (int d = 0; d < g.nsp; d++) yd[2 + d] = g.out[d];
  INGOT_RETURN_IF_ERROR(ingot_tensor_alloc(&out[0], x->dtype, x->rank, yd));
  ingot_tensor_t *y = &out[0];
  int64_t Cg = C / g.group, Mg = M / g.group, KS = 1, P = 1, INS = 1;
  for (int d = 0; d < g.nsp; d++) {
    KS *= g.ks[d];
    P *= g.out[d];
    INS *= g.in[d];
  }
  int64_t CK = Cg * KS;
  /* block of output positions so that col[CK][PB] stays around 32 MB */
  int64_t PB = CK ? ((int64_t)1 << 22) / CK : P;
  if (PB < 64) PB = 64;
  if (PB > P) PB = P;
  if (PB < 1) PB = 1;
  double *xd = NULL, *wd = NULL, *bd = NULL, *col = NULL, *acc = NULL;
  int64_t *obase = NULL, *koff = NULL;
  ingot_status_t st = load_f64(k, x, &xd);
  if (!st) st = load_f64(k, w, &wd);
  if (!st && bias) st = load_f64(k, bias, &bd);
  if (!st) {
    col = malloc((size_t)(CK ? CK : 1) * (size_t)PB * sizeof *col);
    acc = malloc((size_t)PB * sizeof *acc);
    obase = malloc((size_t)PB * (size_t)g.nsp * sizeof *obase);
    koff = malloc((size_t)(KS ? KS : 1) * (size_t)g.nsp * sizeof *koff);
    if (!col || !acc || !obase || !koff) st = ingot_kerr(k, INGOT_CODE_NOMEM, "out of memory");
  }
  if (!st) {
    int64_t c[INGOT_MAX_RANK];
    for (int64_t kk = 0; kk < KS; kk++) {
      unravel(kk, g.nsp, g.ks, c);
      for (int d = 0; d < g.nsp; d++) koff[kk * g.nsp + d] = c[d] * g.dil[d];
    }
    for (int64_t n = 0; n < N; n++) {
      for (int64_t gi = 0; gi < g.group; gi++) {
        for (int64_t p0 = 0; p0 < P; p0 += PB) {
          int64_t pn = P - p0 < PB ? P - p0 : PB;
          for (int64_t pp = 0; pp < pn; pp++) {
            unravel(p0 + pp, g.nsp, g.out, c);
            for (int d = 0; d < g.nsp; d++) obase[pp * g.nsp + d] = c[d] * g.stride[d] - g.pb[d];
          }
          /* im2col: col[(ci, kk)][pp] = x[n, gi*Cg + ci, obase + koff] or 0 in the padding */
          for (int64_t ci = 0; ci < Cg; ci++) {
            const double *xc = xd + (n * C + gi * Cg + ci) * INS;
            for (int64_t kk = 0; kk < KS; kk++) {
              double *row = col + (ci * KS + kk) * pn;
              const int64_t *ko = koff + kk * g.nsp;
              for (int64_t pp = 0; pp < pn; pp++) {
                const int64_t *ob = obase + pp * g.nsp;
                int64_t lin = 0;
                bool inside = true;
                for (int d = 0; d < g.nsp; d++) {
                  int64_t pos = ob[d] + ko[d];
                  if (pos < 0 || pos >= g.in[d]) {
                    inside = false;
                    break;
                  }
                  lin = lin * g.in[d] + pos;
                }
                row[pp] = inside ? xc[lin] : 0.0;
              }
            }
          }
          for (int64_t m = 0; m < Mg; m++) {
            int64_t oc = gi * Mg + m;
            double b0 = bd ? bd[oc] : 0.0;
            for (int64_t pp = 0; pp < pn; pp++) acc[pp] = 0;
            const double *wr = wd + oc * CK;
            for (int64_t ck = 0; ck < CK; ck++) {
              double wv = wr[ck];
              const double *row = col + ck * pn;
              for (int64_t pp = 0; pp < pn; pp++) acc[pp] += wv * row[pp];
            }
            int64_t yo = (n * M + oc) * P + p0;
            for (int64_t pp = 0; pp < pn; pp++) store_f64(y, yo + pp, acc[pp] + b0);
          }
        }
      }
    }
  }
  free(xd);
  free(wd);
  free(bd);
  free(col);
  free(acc);
  free(obase);
  free(koff);
  if (st) ingot_tensor_release(y);
  return st;
}

/* ---- ConvTranspose ---------------------------------------------------------------------- */

ingot_status_t ingot_kernel_CONV_TRANSPOSE(const ingot_kctx_t *k, const ingot_tensor_t *const *in, uint32_t nin,
                                           ingot_tensor_t *out, uint32_t nout) {
  if (nin < 2 || !in[0] || !in[1] || nout < 1) return ingot_kerr(k, INGOT_CODE_INPUT, "expects X, W and one output");
  const ingot_tensor_t *x = in[0], *w = in[1], *bias = nin > 2 ? in[2] : NULL;
  if (!is_float(x->dtype)) return bad_dtype(k, x);
  if (w->dtype != x->dtype || (bias && bias->dtype != x->dtype))
    return ingot_kerr(k, INGOT_CODE_INPUT, "X, W and B must share a dtype");
  geo_t g;
  autopad_t ap;
  INGOT_RETURN_IF_ERROR(geo_common(k, x, w, &g, &ap));
  int64_t N = x->dims[0], C = x->dims[1];
  if (w->dims[0] != C || C % g.group)
    return ingot_kerr(k, INGOT_CODE_INPUT, "X has %lld channels, W is [%lld,%lld,...] with group %lld", (long long)C,
                      (long long)w->dims[0], (long long)w->dims[1], (long long)g.group);
  int64_t Mg = w->dims[1], M = Mg * g.group;
  if (bias && (bias->rank != 1 || bias->dims[0] != M))
    return ingot_kerr(k, INGOT_CODE_INPUT, "B must have shape [%lld]", (long long)M);
  INGOT_RETURN_IF_ERROR(ints_attr(k, "output_padding", g.nsp, 0, 0, g.opad));
  const int64_t *oshape;
  int64_t nos = ingot_node_attr_ints(k->n, "output_shape", &oshape);
  if (nos >= 0 && nos != g.nsp && nos != g.nsp + 2)
    return ingot_kerr(k, INGOT_CODE_INPUT, "output_shape has %lld entries, expected %d", (long long)nos, g.nsp);
  for (int d = 0; d < g.nsp; d++) {
    int64_t natural = g.stride[d] * (g.in[d] - 1) + g.opad[d] + (g.ks[d] - 1) * g.dil[d] + 1;
    int64_t want = -1;
    if (nos >= 0) want = oshape[nos == g.nsp ? d : d + 2];
    else if (ap == PAD_SAME_UPPER || ap == PAD_SAME_LOWER) want = g.in[d] * g.stride[d];
    if (want >= 0) {
      int64_t total = natural - want;
      if (ap == PAD_SAME_UPPER) {
        g.pb[d] = total / 2;
        g.pe[d] = total - total / 2;
      } else {
        g.pe[d] = total / 2;
        g.pb[d] = total - total / 2;
      }
      g.out[d] = want;
    } else {
      if (ap == PAD_VALID) g.pb[d] = g.pe[d] = 0;
      g.out[d] = natural - g.pb[d] - g.pe[d];
      if (g.out[d] < 0)
        return ingot_kerr(k, INGOT_CODE_INPUT, "pads make spatial axis %d negative (%lld)", d, (long long)g.out[d]);
    }
  }
  int64_t yd[INGOT_MAX_RANK] = {N, M};
  for (int d = 0; d < g.nsp; d++) yd[2 + d] = g.out[d];
  INGOT_RETURN_IF_ERROR(ingot_tensor_alloc(&out[0], x->dtype, x->rank, yd));
  ingot_tensor_t *y = &out[0];
  int64_t Cg = C / g.group, KS = 1, P = 1, INS = 1;
  for (int d = 0; d < g.nsp; d++) {
    KS *= g.ks[d];
    P *= g.out[d];
    INS *= g.in[d];
  }
  double *xd = NULL, *wd = NULL, *bd = NULL, *acc = NULL;
  int64_t *olin = NULL, *kc = NULL;
  ingot_status_t st = load_f64(k, x, &xd);
  if (!st) st = load_f64(k, w, &wd);
  if (!st && bias) st = load_f64(k, bias, &bd);
  if (!st) {
    acc = malloc((size_t)(M * P > 0 ? M * P : 1) * sizeof *acc);
    olin = malloc((size_t)(KS ? KS : 1) * sizeof *olin);
    kc = malloc((size_t)(KS ? KS : 1) * (size_t)g.nsp * sizeof *kc);
    if (!acc || !olin || !kc) st = ingot_kerr(k, INGOT_CODE_NOMEM, "out of memory");
  }
  if (!st) {
    int64_t c[INGOT_MAX_RANK];
    for (int64_t kk = 0; kk < KS; kk++) {
      unravel(kk, g.nsp, g.ks, c);
      for (int d = 0; d < g.nsp; d++) kc[kk * g.nsp + d] = c[d] * g.dil[d];
    }
    for (int64_t n = 0; n < N; n++) {
      for (int64_t m = 0; m < M; m++)
        for (int64_t p = 0; p < P; p++) acc[m * P + p] = bd ? bd[m] : 0.0;
      for (int64_t ip = 0; ip < INS; ip++) {
        /* where each kernel tap of input position ip lands: o = i*s - pb + kk*dil */
        unravel(ip, g.nsp, g.in, c);
        for (int64_t kk = 0; kk < KS; kk++) {
          int64_t lin = 0;
          for (int d = 0; d < g.nsp && lin >= 0; d++) {
            int64_t o = c[d] * g.stride[d] - g.pb[d] + kc[kk * g.nsp + d];
            lin = (o < 0 || o >= g.out[d]) ? -1 : lin * g.out[d] + o;
          }
          olin[kk] = lin;
        }
        for (int64_t gi = 0; gi < g.group; gi++) {
          for (int64_t ci = 0; ci < Cg; ci++) {
            int64_t ic = gi * Cg + ci;
            double xv = xd[(n * C + ic) * INS + ip];
            for (int64_t m = 0; m < Mg; m++) {
              const double *wr = wd + (ic * Mg + m) * KS;
              double *ar = acc + (gi * Mg + m) * P;
              for (int64_t kk = 0; kk < KS; kk++)
                if (olin[kk] >= 0) ar[olin[kk]] += xv * wr[kk];
            }
          }
        }
      }
      for (int64_t q = 0; q < M * P; q++) store_f64(y, n * M * P + q, acc[q]);
    }
  }
  free(xd);
  free(wd);
  free(bd);
  free(acc);
  free(olin);
  free(kc);
  if (st) ingot_tensor_release(y);
  return st;
}
