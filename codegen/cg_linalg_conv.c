/* Convolution emitters: Conv and ConvTranspose, N-D (1-D, 2-D, 3-D, ...).
 *
 * Geometry (output sizes, explicit and automatic padding) follows the
 * evaluator (interp/k_linalg.c) line for line:
 *   Conv:          out = (in + pb + pe - ((k - 1) * dil + 1)) / stride + 1,
 *                  SAME_*: out = ceil(in / stride), total pad split with the
 *                  odd element at the end (UPPER) or the beginning (LOWER);
 *   ConvTranspose: out = stride * (in - 1) + output_padding + (k - 1) * dil + 1
 *                  - pb - pe, or given by output_shape / SAME_* (in * stride)
 *                  with the total padding split as the ONNX spec says.
 *
 * Both kernels parallelise over output rows: the items are
 * (n, oc, o_0, ..., o_{d-2}) and each computes the whole innermost output
 * row (the contiguous width), so no two threads write the same element.
 * For a row, the accumulator row is initialised with the bias, then for
 * each input channel of the group and each kernel tap of the leading
 * spatial dims (out-of-range taps skipped once per row, not per element),
 * each tap of the last dim is one loop over the range of positions that
 * stay inside, its bounds computed once per tap, so the innermost loop has
 * no bounds checks:
 *   Conv:           acc[ow] += w * x[ow * s + off],   off = kw * dil - pad
 *   ConvTranspose:  acc[iw * s + off] += w * x[iw]    (the adjoint: output
 *                   positions o = i * s - pad + k * dil gathered per row)
 * With stride 1 both sides are contiguous and the loop vectorises.
 *
 * Accumulation is f32 (f64 for double) in a row buffer on the stack,
 * stored (converted) once per row; rows too long for the stack accumulate
 * in the output itself (float32 / double only).  In a fused node the row
 * is stored through the epilogue (cg_store_out_run: per-row offsets of the
 * extra inputs, so a per-channel add or a residual costs a load and an op
 * per element). */
#include <string.h>

#include "codegen/cg_fused_impl.h"
#include "codegen/cg_gemm.h"

#define ROWBUF_BYTES 65536 /* largest row accumulator put on a worker's stack */
#define KW_UNROLL 8        /* last-dim kernel widths up to this are unrolled at compile time */

typedef struct {
  int nsp; /* spatial rank */
  int64_t N, C, M, group, Cg, Mg;
  int64_t in[INGOT_MAX_RANK], ks[INGOT_MAX_RANK], out[INGOT_MAX_RANK];
  int64_t stride[INGOT_MAX_RANK], dil[INGOT_MAX_RANK], pb[INGOT_MAX_RANK], pe[INGOT_MAX_RANK];
  int64_t opad[INGOT_MAX_RANK];
} geo_t;

typedef enum { PAD_NOTSET, PAD_SAME_UPPER, PAD_SAME_LOWER, PAD_VALID } autopad_t;

static bool conv_dtype_ok(int dt) {
  return dt == INGOT_DT_FLOAT || dt == INGOT_DT_DOUBLE || dt == INGOT_DT_FLOAT16 || dt == INGOT_DT_BFLOAT16;
}

/* An INTS attribute of exactly n entries >= min, or dflt for each. */
static ingot_status_t ints_attr(cg_t *cg, cg_kernel_t *k, const char *name, int n, int64_t dflt, int64_t min,
                                int64_t *out) {
  const int64_t *v;
  int64_t cnt = ingot_node_attr_ints(k->n, name, &v);
  if (cnt < 0) {
    for (int i = 0; i < n; i++) out[i] = dflt;
    return INGOT_OK;
  }
  if (cnt != n) return cg_error(cg, k, INGOT_CODE_INPUT, "%s has %lld entries, expected %d", name, (long long)cnt, n);
  for (int i = 0; i < n; i++) {
    if (v[i] < min) return cg_error(cg, k, INGOT_CODE_INPUT, "%s[%d] = %lld is invalid", name, i, (long long)v[i]);
    out[i] = v[i];
  }
  return INGOT_OK;
}

/* Attributes and checks shared by Conv and ConvTranspose. */
static ingot_status_t geo_common(cg_t *cg, cg_kernel_t *k, geo_t *g, autopad_t *ap) {
  memset(g, 0, sizeof *g);
  const ingot_value_t *vx = k->vin[0], *vw = k->nin > 1 ? k->vin[1] : NULL, *vb = k->nin > 2 ? k->vin[2] : NULL;
  if (!vx || !vw) return cg_error(cg, k, INGOT_CODE_INPUT, "expects X and W");
  int dt = vx->type.dtype;
  if (!conv_dtype_ok(dt))
    return cg_error(cg, k, INGOT_CODE_UNSUPPORTED, "%s is not supported for dtype %s",
                    ingot_op_name((ingot_op_t)k->n->op), ingot_dtype_name(dt));
  if (vw->type.dtype != dt || (vb && vb->type.dtype != dt))
    return cg_error(cg, k, INGOT_CODE_INPUT, "X, W and B must share a dtype");
  int64_t xd[INGOT_MAX_RANK], wd[INGOT_MAX_RANK];
  int rx = cg_dims(vx, xd), rw = cg_dims(vw, wd);
  if (rx < 3) return cg_error(cg, k, INGOT_CODE_INPUT, "X must have rank >= 3 (N, C, spatial...), got %d", rx);
  if (rw != rx) return cg_error(cg, k, INGOT_CODE_INPUT, "W has rank %d, X has rank %d", rw, rx);
  g->nsp = rx - 2;
  g->N = xd[0];
  g->C = xd[1];
  for (int d = 0; d < g->nsp; d++) {
    g->in[d] = xd[2 + d];
    g->ks[d] = wd[2 + d];
  }
  const int64_t *kshape;
  int64_t nk = ingot_node_attr_ints(k->n, "kernel_shape", &kshape);
  if (nk >= 0) {
    if (nk != g->nsp)
      return cg_error(cg, k, INGOT_CODE_INPUT, "kernel_shape has %lld entries, expected %d", (long long)nk, g->nsp);
    for (int d = 0; d < g->nsp; d++)
      if (kshape[d] != g->ks[d])
        return cg_error(cg, k, INGOT_CODE_INPUT, "kernel_shape[%d] = %lld but W has %lld", d, (long long)kshape[d],
                        (long long)g->ks[d]);
  }
  INGOT_RETURN_IF_ERROR(ints_attr(cg, k, "strides", g->nsp, 1, 1, g->stride));
  INGOT_RETURN_IF_ERROR(ints_attr(cg, k, "dilations", g->nsp, 1, 1, g->dil));
  int64_t pads[2 * INGOT_MAX_RANK];
  INGOT_RETURN_IF_ERROR(ints_attr(cg, k, "pads", 2 * g->nsp, 0, 0, pads));
  for (int d = 0; d < g->nsp; d++) {
    g->pb[d] = pads[d];
    g->pe[d] = pads[g->nsp + d];
  }
  g->group = ingot_node_attr_i(k->n, "group", 1);
  if (g->group < 1) return cg_error(cg, k, INGOT_CODE_INPUT, "group %lld is invalid", (long long)g->group);
  const char *s = ingot_node_attr_s(k->n, "auto_pad", "NOTSET");
  if (strcmp(s, "NOTSET") == 0)
    *ap = PAD_NOTSET;
  else if (strcmp(s, "SAME_UPPER") == 0)
    *ap = PAD_SAME_UPPER;
  else if (strcmp(s, "SAME_LOWER") == 0)
    *ap = PAD_SAME_LOWER;
  else if (strcmp(s, "VALID") == 0)
    *ap = PAD_VALID;
  else
    return cg_error(cg, k, INGOT_CODE_INPUT, "unknown auto_pad '%s'", s);
  return INGOT_OK;
}

static ingot_status_t check_bias(cg_t *cg, cg_kernel_t *k, int64_t M) {
  const ingot_value_t *vb = k->nin > 2 ? k->vin[2] : NULL;
  if (vb && (vb->type.rank != 1 || vb->type.dims[0].v != M))
    return cg_error(cg, k, INGOT_CODE_INPUT, "B must have shape [%lld]", (long long)M);
  return INGOT_OK;
}

static ingot_status_t conv_geo(cg_t *cg, cg_kernel_t *k, geo_t *g) {
  autopad_t ap;
  INGOT_RETURN_IF_ERROR(geo_common(cg, k, g, &ap));
  int64_t wd[INGOT_MAX_RANK];
  cg_dims(k->vin[1], wd);
  g->M = wd[0];
  if (g->C % g->group || g->M % g->group || wd[1] * g->group != g->C)
    return cg_error(cg, k, INGOT_CODE_INPUT, "X has %lld channels, W is [%lld,%lld,...] with group %lld",
                    (long long)g->C, (long long)g->M, (long long)wd[1], (long long)g->group);
  INGOT_RETURN_IF_ERROR(check_bias(cg, k, g->M));
  g->Cg = g->C / g->group;
  g->Mg = g->M / g->group;
  for (int d = 0; d < g->nsp; d++) {
    int64_t ext = g->dil[d] * (g->ks[d] - 1) + 1; /* dilated kernel extent */
    if (ap == PAD_SAME_UPPER || ap == PAD_SAME_LOWER) {
      g->out[d] = (g->in[d] + g->stride[d] - 1) / g->stride[d];
      int64_t total = (g->out[d] - 1) * g->stride[d] + ext - g->in[d];
      if (total < 0) total = 0;
      g->pb[d] = ap == PAD_SAME_UPPER ? total / 2 : total - total / 2;
      g->pe[d] = total - g->pb[d];
    } else {
      if (ap == PAD_VALID) g->pb[d] = g->pe[d] = 0;
      int64_t span = g->in[d] + g->pb[d] + g->pe[d] - ext;
      if (span < 0)
        return cg_error(cg, k, INGOT_CODE_INPUT,
                        "kernel extent %lld exceeds the padded input %lld on "
                        "spatial axis %d",
                        (long long)ext, (long long)(g->in[d] + g->pb[d] + g->pe[d]), d);
      g->out[d] = span / g->stride[d] + 1;
    }
  }
  return INGOT_OK;
}

static ingot_status_t convt_geo(cg_t *cg, cg_kernel_t *k, geo_t *g) {
  autopad_t ap;
  INGOT_RETURN_IF_ERROR(geo_common(cg, k, g, &ap));
  int64_t wd[INGOT_MAX_RANK];
  cg_dims(k->vin[1], wd);
  if (wd[0] != g->C || g->C % g->group)
    return cg_error(cg, k, INGOT_CODE_INPUT, "X has %lld channels, W is [%lld,%lld,...] with group %lld",
                    (long long)g->C, (long long)wd[0], (long long)wd[1], (long long)g->group);
  g->Mg = wd[1];
  g->M = g->Mg * g->group;
  g->Cg = g->C / g->group;
  INGOT_RETURN_IF_ERROR(check_bias(cg, k, g->M));
  INGOT_RETURN_IF_ERROR(ints_attr(cg, k, "output_padding", g->nsp, 0, 0, g->opad));
  const int64_t *oshape;
  int64_t nos = ingot_node_attr_ints(k->n, "output_shape", &oshape);
  if (nos >= 0 && nos != g->nsp && nos != g->nsp + 2)
    return cg_error(cg, k, INGOT_CODE_INPUT, "output_shape has %lld entries, expected %d", (long long)nos, g->nsp);
  for (int d = 0; d < g->nsp; d++) {
    int64_t natural = g->stride[d] * (g->in[d] - 1) + g->opad[d] + (g->ks[d] - 1) * g->dil[d] + 1;
    int64_t want = -1;
    if (nos >= 0)
      want = oshape[nos == g->nsp ? d : d + 2];
    else if (ap == PAD_SAME_UPPER || ap == PAD_SAME_LOWER)
      want = g->in[d] * g->stride[d];
    if (want >= 0) {
      int64_t total = natural - want;
      if (ap == PAD_SAME_UPPER) {
        g->pb[d] = total / 2;
        g->pe[d] = total - total / 2;
      } else {
        g->pe[d] = total / 2;
        g->pb[d] = total - total / 2;
      }
      g->out[d] = want;
    } else {
      if (ap == PAD_VALID) g->pb[d] = g->pe[d] = 0;
      g->out[d] = natural - g->pb[d] - g->pe[d];
      if (g->out[d] < 0)
        return cg_error(cg, k, INGOT_CODE_INPUT, "pads make spatial axis %d negative (%lld)", d, (long long)g->out[d]);
    }
  }
  return INGOT_OK;
}

/* ---- emission ---------------------------------------------------------------------- */

typedef struct {
  const geo_t *g;
  bool transpose;
  int dt, acc;
  LLVMValueRef X, W, row, roff;
  LLVMValueRef o[INGOT_MAX_RANK]; /* the row's leading output coordinates */
  int64_t instr[INGOT_MAX_RANK], kstr[INGOT_MAX_RANK];
} conv_emit_t;

static LLVMValueRef i64c(cg_t *cg, int64_t v) { return cg_i64(cg, v); }

static LLVMValueRef imul(cg_t *cg, LLVMValueRef a, int64_t c) {
  if (c == 0) return i64c(cg, 0);
  if (c == 1) return a;
  return LLVMBuildNSWMul(cg->b, a, i64c(cg, c), "");
}

static LLVMValueRef iadd(cg_t *cg, LLVMValueRef a, LLVMValueRef b) { return LLVMBuildNSWAdd(cg->b, a, b, ""); }

static LLVMValueRef smax(cg_t *cg, LLVMValueRef a, LLVMValueRef b) {
  return LLVMBuildSelect(cg->b, LLVMBuildICmp(cg->b, LLVMIntSGT, a, b, ""), a, b, "");
}

static LLVMValueRef smin(cg_t *cg, LLVMValueRef a, LLVMValueRef b) {
  return LLVMBuildSelect(cg->b, LLVMBuildICmp(cg->b, LLVMIntSLT, a, b, ""), a, b, "");
}

static LLVMValueRef fmadd(cg_t *cg, int acc, LLVMValueRef a, LLVMValueRef b, LLVMValueRef c) {
  LLVMValueRef args[3] = {a, b, c};
  return cg_intrinsic(cg, "llvm.fmuladd", cg_type(cg, acc), args, 3);
}

static LLVMValueRef ld(cg_t *cg, int dt, int acc, LLVMValueRef base, LLVMValueRef idx) {
  return cg_convert(cg, cg_load(cg, dt, base, idx), dt, acc);
}

/* One tap of the last spatial dim: kw (constant or loop value), weight wv.
 * u runs over the positions whose partner v = u * s + off lies in [0, V):
 * Conv: u = ow (U = OW), v = iw; ConvTranspose: u = iw (U = IW), v = ow. */
static void emit_last_tap(cg_t *cg, conv_emit_t *e, LLVMValueRef xrow, LLVMValueRef kw, LLVMValueRef wv) {
  const geo_t *g = e->g;
  int L = g->nsp - 1;
  int64_t s = g->stride[L];
  int64_t U = e->transpose ? g->in[L] : g->out[L], V = e->transpose ? g->out[L] : g->in[L];
  LLVMValueRef off = LLVMBuildSub(cg->b, imul(cg, kw, g->dil[L]), i64c(cg, g->pb[L]), "");
  /* lo = ceil(max(-off, 0) / s); hi = min(U, floor((V - 1 - off) / s) + 1)
   * (empty when <= lo) */
  LLVMValueRef neg = smax(cg, LLVMBuildNeg(cg->b, off, ""), i64c(cg, 0));
  LLVMValueRef lo = s == 1 ? neg : LLVMBuildUDiv(cg->b, iadd(cg, neg, i64c(cg, s - 1)), i64c(cg, s), "");
  LLVMValueRef t = LLVMBuildSub(cg->b, i64c(cg, V - 1), off, "");
  LLVMValueRef q = s == 1 ? iadd(cg, t, i64c(cg, 1)) : LLVMBuildSDiv(cg->b, iadd(cg, t, i64c(cg, s)), i64c(cg, s), "");
  LLVMValueRef hi = smin(cg, q, i64c(cg, U));
  cg_loop_t Lu;
  LLVMValueRef u = cg_loop_begin(cg, &Lu, lo, hi, "u");
  LLVMValueRef v = iadd(cg, imul(cg, u, s), off);
  LLVMValueRef xi = iadd(cg, xrow, e->transpose ? u : v);
  LLVMValueRef ri = iadd(cg, e->roff, e->transpose ? v : u);
  LLVMValueRef xv = ld(cg, e->dt, e->acc, e->X, xi);
  cg_store(cg, e->acc, e->row, ri, fmadd(cg, e->acc, wv, xv, cg_load(cg, e->acc, e->row, ri)));
  cg_loop_end(cg, &Lu);
}

/* Kernel taps of spatial dim d (leading dims: skip a whole tap when its input
 * position falls outside; last dim: emit_last_tap). */
static void emit_taps(cg_t *cg, conv_emit_t *e, int d, LLVMValueRef xrow, LLVMValueRef wrow) {
  const geo_t *g = e->g;
  int L = g->nsp - 1;
  if (d == L) {
    int64_t KW = g->ks[L];
    if (KW <= KW_UNROLL) {
      for (int64_t kw = 0; kw < KW; kw++) {
        LLVMValueRef kv = i64c(cg, kw);
        emit_last_tap(cg, e, xrow, kv, ld(cg, e->dt, e->acc, e->W, iadd(cg, wrow, kv)));
      }
    } else {
      cg_loop_t Lk;
      LLVMValueRef kw = cg_loop_begin(cg, &Lk, i64c(cg, 0), i64c(cg, KW), "kw");
      emit_last_tap(cg, e, xrow, kw, ld(cg, e->dt, e->acc, e->W, iadd(cg, wrow, kw)));
      cg_loop_end(cg, &Lk);
    }
    return;
  }
  int64_t s = g->stride[d];
  cg_loop_t Lk;
  LLVMValueRef kd = cg_loop_begin(cg, &Lk, i64c(cg, 0), i64c(cg, g->ks[d]), "kd");
  LLVMValueRef i, valid;
  if (!e->transpose) {
    /* i = o * s - pb + k * dil */
    i = LLVMBuildSub(cg->b, iadd(cg, imul(cg, e->o[d], s), imul(cg, kd, g->dil[d])), i64c(cg, g->pb[d]), "");
    valid = LLVMBuildICmp(cg->b, LLVMIntULT, i, i64c(cg, g->in[d]), "");
  } else {
    /* o = i * s - pb + k * dil  =>  i = (o + pb - k * dil) / s when divisible
     */
    LLVMValueRef t = LLVMBuildSub(cg->b, iadd(cg, e->o[d], i64c(cg, g->pb[d])), imul(cg, kd, g->dil[d]), "");
    if (s == 1) {
      i = t;
      valid = LLVMBuildICmp(cg->b, LLVMIntULT, t, i64c(cg, g->in[d]), "");
    } else {
      i = LLVMBuildSDiv(cg->b, t, i64c(cg, s), "");
      LLVMValueRef exact = LLVMBuildICmp(cg->b, LLVMIntEQ, LLVMBuildSRem(cg->b, t, i64c(cg, s), ""), i64c(cg, 0), "");
      LLVMValueRef nonneg = LLVMBuildICmp(cg->b, LLVMIntSGE, t, i64c(cg, 0), "");
      LLVMValueRef inside = LLVMBuildICmp(cg->b, LLVMIntSLT, i, i64c(cg, g->in[d]), "");
      valid = LLVMBuildAnd(cg->b, LLVMBuildAnd(cg->b, exact, nonneg, ""), inside, "");
    }
  }
  cg_if_t c;
  cg_if_begin(cg, &c, valid);
  emit_taps(cg, e, d + 1, iadd(cg, xrow, imul(cg, i, e->instr[d])), iadd(cg, wrow, imul(cg, kd, e->kstr[d])));
  cg_if_end(cg, &c);
  cg_loop_end(cg, &Lk);
}

static ingot_status_t emit_conv_rows(cg_t *cg, cg_kernel_t *k, const geo_t *g, bool transpose) {
  /* the output's static shape must be what the geometry says */
  const ingot_value_t *vy = k->vout[0];
  if (!vy) return cg_error(cg, k, INGOT_CODE_INPUT, "the output is omitted");
  int dt = k->vin[0]->type.dtype;
  int64_t yd[INGOT_MAX_RANK];
  int ry = cg_dims(vy, yd);
  bool same = ry == g->nsp + 2 && yd[0] == g->N && yd[1] == g->M && vy->type.dtype == dt;
  for (int d = 0; same && d < g->nsp; d++) same = yd[2 + d] == g->out[d];
  if (k->fusion) { /* a fused node's output may be a view of the conv's: same elements */
    int64_t want = g->N * g->M, have = 1;
    for (int d = 0; d < g->nsp; d++) want *= g->out[d];
    for (int d = 0; d < ry; d++) have *= yd[d];
    same = have == want && vy->type.dtype == dt;
  }
  if (!same) return cg_error(cg, k, INGOT_CODE_INTERNAL, "the output's static shape disagrees with the geometry");

  int L = g->nsp - 1;
  int64_t INS = 1, KS = 1, P = 1;
  conv_emit_t e;
  memset(&e, 0, sizeof e);
  for (int d = g->nsp - 1; d >= 0; d--) {
    e.instr[d] = INS;
    e.kstr[d] = KS;
    INS *= g->in[d];
    KS *= g->ks[d];
    P *= g->out[d];
  }
  size_t es = ingot_dtype_size(dt);
  int64_t xn = g->N * g->C * INS, wn = (transpose ? g->C * g->Mg : g->M * g->Cg) * KS, yn = g->N * g->M * P;
  k->flops = transpose ? 2.0 * (double)g->N * (double)g->C * (double)INS * (double)g->Mg * (double)KS
                       : 2.0 * (double)yn * (double)g->Cg * (double)KS;
  k->bytes = (double)(xn + wn + yn + (k->nin > 2 && k->vin[2] ? g->M : 0)) * (double)es;
  if (yn == 0) return INGOT_OK;

  /* rows: (n, m, o_0 .. o_{L-1}) */
  int64_t rd[INGOT_MAX_RANK + 2];
  rd[0] = g->N;
  rd[1] = g->M;
  for (int d = 0; d < L; d++) rd[2 + d] = g->out[d];
  int64_t OW = g->out[L];
  k->work = yn / OW;

  e.g = g;
  e.transpose = transpose;
  e.dt = dt;
  e.acc = dt == INGOT_DT_DOUBLE ? INGOT_DT_DOUBLE : INGOT_DT_FLOAT;
  e.X = k->in[0];
  e.W = k->in[1];
  LLVMValueRef Bv = k->nin > 2 && k->vin[2] ? k->in[2] : NULL, Y = k->out[0];
  /* a stack row when it fits: it aliases no operand, so LLVM vectorises
   * even fully unrolled short rows without runtime alias checks */
  LLVMValueRef buf = NULL;
  if (OW * (int64_t)ingot_dtype_size(e.acc) > ROWBUF_BYTES) {
    if (e.acc != dt)
      return cg_error(cg, k, INGOT_CODE_UNSUPPORTED, "output rows of %lld elements are too long for the accumulator",
                      (long long)OW);
  } else {
    LLVMTypeRef et = cg_type(cg, e.acc);
    buf = LLVMBuildBitCast(cg->b, cg_alloca(cg, LLVMArrayType(et, (unsigned)OW), "rowacc"), LLVMPointerType(et, 0), "");
  }

  cg_loop_t Lr, Li, Lc;
  LLVMValueRef r = cg_loop_begin(cg, &Lr, k->begin, k->end, "row");
  LLVMValueRef co[INGOT_MAX_RANK + 2];
  cg_unflatten(cg, r, L + 2, rd, co);
  LLVMValueRef n = co[0], m = co[1];
  for (int d = 0; d < L; d++) e.o[d] = co[2 + d];
  LLVMValueRef gi = g->group == 1 ? i64c(cg, 0) : LLVMBuildUDiv(cg->b, m, i64c(cg, g->Mg), "");
  LLVMValueRef yoff = imul(cg, r, OW);
  e.row = buf ? buf : Y;
  e.roff = buf ? i64c(cg, 0) : yoff;
  /* initialise with the bias */
  LLVMValueRef b0 = Bv ? ld(cg, dt, e.acc, Bv, m) : cg_const(cg, e.acc, 0);
  LLVMValueRef j = cg_loop_begin(cg, &Li, i64c(cg, 0), i64c(cg, OW), "init");
  cg_store(cg, e.acc, e.row, iadd(cg, e.roff, j), b0);
  cg_loop_end(cg, &Li);

  LLVMValueRef ci = cg_loop_begin(cg, &Lc, i64c(cg, 0), i64c(cg, g->Cg), "ci");
  LLVMValueRef c = iadd(cg, imul(cg, gi, g->Cg), ci);
  LLVMValueRef xc = imul(cg, iadd(cg, imul(cg, n, g->C), c), INS);
  LLVMValueRef wb;
  if (!transpose) {
    wb = imul(cg, iadd(cg, imul(cg, m, g->Cg), ci), KS); /* W[m, ci, k...] */
  } else {
    LLVMValueRef ml = LLVMBuildSub(cg->b, m, imul(cg, gi, g->Mg), "");
    wb = imul(cg, iadd(cg, imul(cg, c, g->Mg), ml), KS); /* W[c, m % Mg, k...] */
  }
  emit_taps(cg, &e, 0, xc, wb);
  cg_loop_end(cg, &Lc);

  if (k->fusion) {
    /* the row through the fused epilogue (bias, activation, residual...) */
    cg_store_out_run(cg, k, yoff, OW, buf ? buf : Y, e.acc, buf ? i64c(cg, 0) : yoff);
  } else if (buf) {
    j = cg_loop_begin(cg, &Li, i64c(cg, 0), i64c(cg, OW), "flush");
    cg_store(cg, dt, Y, iadd(cg, yoff, j), cg_convert(cg, cg_load(cg, e.acc, buf, j), e.acc, dt));
    cg_loop_end(cg, &Li);
  }
  cg_loop_end(cg, &Lr);
  return INGOT_OK;
}

ingot_status_t cg_emit_conv(cg_t *cg, cg_kernel_t *k) {
  geo_t g;
  INGOT_RETURN_IF_ERROR(conv_geo(cg, k, &g));
  bool done;
  INGOT_RETURN_IF_ERROR(cg_gemm_try_conv(cg, k, &done)); /* 1x1 convolutions: a GEMM per image */
  if (done) return INGOT_OK;
  if (g.nsp == 2 && g.group == 1 && g.dil[0] == 1 && g.dil[1] == 1) { /* implicit GEMM over im2col */
    cg_conv2d_t c = {g.N, g.C, g.M, g.in[0], g.in[1], g.ks[0], g.ks[1], g.stride[0], g.stride[1],
                     g.pb[0], g.pb[1], g.out[0], g.out[1]};
    INGOT_RETURN_IF_ERROR(cg_gemm_try_conv2d(cg, k, &c, &done));
    if (done) return INGOT_OK;
  }
  return emit_conv_rows(cg, k, &g, false);
}

ingot_status_t cg_emit_conv_transpose(cg_t *cg, cg_kernel_t *k) {
  geo_t g;
  INGOT_RETURN_IF_ERROR(convt_geo(cg, k, &g));
  return emit_conv_rows(cg, k, &g, true);
}
