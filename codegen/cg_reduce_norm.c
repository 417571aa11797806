/* Softmax, LogSoftmax and the normalisations (LayerNormalization,
 * GroupNormalization, InstanceNormalization, BatchNormalization) for the
 * LLVM CPU backend.  Reference semantics: interp/k_norm.c.
 *
 * Statistics follow the evaluator's two-pass scheme -- mean first, then the
 * mean of squared deviations (population variance) -- both accumulated in
 * f64 by the vectorised row engine (cg_reduce_impl.h), so the compiled
 * statistics agree with the evaluator's double ones to ~1e-15.  The
 * elementwise output pass runs in f32 as a plain loop that LLVM vectorises.
 *
 * Parallel iteration spaces: Softmax -- rows (outer x inner positions);
 * LayerNorm -- rows before axis; Group/InstanceNorm -- (instance, group)
 * blocks, each one contiguous; BatchNorm -- (instance, channel) planes.
 *
 * In a fused node (Softmax, LayerNorm, Group/InstanceNorm as anchors) each
 * finished row or block is passed through the epilogue in place while it
 * is still in cache (cg_store_out_run).
 *
 * Softmax's exponential is computed inline (Cephes expf: Cody-Waite range
 * reduction and a degree-6 polynomial, ~1 ulp) rather than through libm, so
 * the row loop vectorises; its argument x - max is never positive. */
#include <math.h>
#include <string.h>

#include "codegen/cg_fused_impl.h"
#include "codegen/cg_reduce_impl.h"

static ingot_status_t need_float(cg_t *cg, const cg_kernel_t *k, uint32_t i, const char *what) {
  int dt = k->vin[i]->type.dtype;
  if (cgr_float_dtype(dt)) return INGOT_OK;
  return cg_error(cg, k, INGOT_CODE_UNSUPPORTED, "%s must be a float tensor, got %s", what, ingot_dtype_name(dt));
}

static LLVMValueRef fmuladd(cg_t *cg, LLVMValueRef a, LLVMValueRef b, LLVMValueRef c) {
  LLVMValueRef args[3] = {a, b, c};
  return cg_intrinsic(cg, "llvm.fmuladd", LLVMTypeOf(a), args, 3);
}

/* e^x in f32 (scalar or vector) for x <= 0 or NaN; 0 below -87. */
static LLVMValueRef exp_nonpos(cg_t *cg, LLVMValueRef x) {
  LLVMBuilderRef b = cg->b;
  LLVMTypeRef ft = LLVMTypeOf(x);
  LLVMTypeRef it = LLVMGetTypeKind(ft) == LLVMVectorTypeKind ? LLVMVectorType(cg->t_i32, LLVMGetVectorSize(ft))
                                                              : cg->t_i32;
  LLVMValueRef lo = cgr_fconst(cg, x, -87.0), hi = cgr_fconst(cg, x, 88.0);
  LLVMValueRef under = LLVMBuildFCmp(b, LLVMRealOLT, x, lo, "");
  LLVMValueRef xc = LLVMBuildSelect(b, under, lo, x, "");
  xc = LLVMBuildSelect(b, LLVMBuildFCmp(b, LLVMRealOGT, xc, hi, ""), hi, xc, "");
  /* n = round(x / ln2) through the 1.5 * 2^23 trick: no float->int conversion
   * (whose result would be poison for NaN) */
  LLVMValueRef magic = cgr_fconst(cg, x, 12582912.0);
  LLVMValueRef kf = fmuladd(cg, xc, cgr_fconst(cg, x, 1.44269504088896341), magic);
  LLVMValueRef n = LLVMBuildFSub(b, kf, magic, "");
  LLVMValueRef r = fmuladd(cg, n, cgr_fconst(cg, x, -0.693359375), xc);
  r = fmuladd(cg, n, cgr_fconst(cg, x, 2.12194440e-4), r);
  static const double c[6] = {1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3,
                              4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1};
  LLVMValueRef p = cgr_fconst(cg, x, c[0]);
  for (int i = 1; i < 6; i++) p = fmuladd(cg, p, r, cgr_fconst(cg, x, c[i]));
  p = fmuladd(cg, p, LLVMBuildFMul(b, r, r, ""), r);
  p = LLVMBuildFAdd(b, p, cgr_fconst(cg, x, 1.0), "");
  LLVMValueRef ki = LLVMBuildSub(b, LLVMBuildBitCast(b, kf, it, ""), LLVMBuildBitCast(b, magic, it, ""), "");
  LLVMValueRef c127 = LLVMConstInt(cg->t_i32, 127, 0), c23 = LLVMConstInt(cg->t_i32, 23, 0);
  if (it != cg->t_i32) {
    LLVMValueRef e1[64], e2[64];
    for (unsigned l = 0; l < LLVMGetVectorSize(it); l++) e1[l] = c127, e2[l] = c23;
    c127 = LLVMConstVector(e1, LLVMGetVectorSize(it));
    c23 = LLVMConstVector(e2, LLVMGetVectorSize(it));
  }
  LLVMValueRef scale = LLVMBuildBitCast(b, LLVMBuildShl(b, LLVMBuildAdd(b, ki, c127, ""), c23, ""), ft, "");
  LLVMValueRef res = LLVMBuildFMul(b, p, scale, "");
  return LLVMBuildSelect(b, under, cgr_fconst(cg, x, 0.0), res, "");
}

/* ---- Softmax / LogSoftmax ------------------------------------------------------------- */

static LLVMValueRef exp_shifted(cg_t *cg, LLVMValueRef v, void *ud) {
  LLVMValueRef mx = *(LLVMValueRef *)ud;
  return exp_nonpos(cg, LLVMBuildFSub(cg->b, v, cgr_bcast(cg, v, mx), ""));
}

/* Opset >= 13: along one axis (default -1).  Before 13: the input is coerced
 * to 2-D at axis (default 1), i.e. the row is everything from axis on. */
ingot_status_t cg_emit_softmax(cg_t *cg, cg_kernel_t *k) {
  bool log_ = k->n->op == INGOT_OP_LOG_SOFTMAX;
  INGOT_RETURN_IF_ERROR(need_float(cg, k, 0, "input"));
  const ingot_value_t *x = k->vin[0];
  int dt = x->type.dtype;
  int64_t dims[INGOT_MAX_RANK];
  int r = cg_dims(x, dims), axis = 0;
  if (r < 1) return cg_error(cg, k, INGOT_CODE_INPUT, "input must have rank >= 1");
  bool old = cg->g->opset > 0 && cg->g->opset < 13;
  INGOT_RETURN_IF_ERROR(cgr_norm_axis(cg, k, ingot_node_attr_i(k->n, "axis", old ? 1 : -1), r, &axis));
  int64_t outer = 1, len = 1, inner = 1;
  for (int d = 0; d < r; d++) {
    if (d < axis) outer *= dims[d];
    else if (d == axis || old) len *= dims[d];
    else inner *= dims[d];
  }
  if (outer * len * inner == 0) return INGOT_OK;
  double n = (double)(outer * len * inner);
  k->work = outer * inner;
  k->flops = 12.0 * n;
  k->bytes = 2.0 * n * (double)ingot_dtype_size(dt);
  cg_loop_t W;
  LLVMValueRef w = cg_loop_begin(cg, &W, k->begin, k->end, "w");
  LLVMValueRef base;
  if (inner > 1) {
    LLVMValueRef o = LLVMBuildUDiv(cg->b, w, cg_i64(cg, inner), ""), i = LLVMBuildURem(cg->b, w, cg_i64(cg, inner), "");
    base = cgr_add(cg, cgr_mul(cg, o, len * inner), i);
  } else {
    base = cgr_mul(cg, w, len);
  }
  LLVMValueRef mx = cgr_row_max_f32(cg, dt, k->in[0], base, len, inner);
  /* pass 2: sum of exp(x - max); Softmax keeps the exponentials in y */
  cgr_row_t row = {dt, k->in[0], base, len, inner, false, exp_shifted, &mx, dt, log_ ? NULL : k->out[0]};
  LLVMValueRef sum = cgr_row_sum(cg, &row);
  LLVMValueRef f;
  if (log_) f = cg_intrinsic(cg, "llvm.log", cg->t_f64, &sum, 1);
  else f = LLVMBuildFDiv(cg->b, LLVMConstReal(cg->t_f64, 1.0), sum, "");
  f = LLVMBuildFPTrunc(cg->b, f, cg->t_f32, "");
  cg_loop_t L;
  LLVMValueRef j = cg_loop_begin(cg, &L, cg_i64(cg, 0), cg_i64(cg, len), "j");
  LLVMValueRef p = cgr_add(cg, base, cgr_mul(cg, j, inner)), y;
  if (log_) y = LLVMBuildFSub(cg->b, LLVMBuildFSub(cg->b, cg_load_f32(cg, dt, k->in[0], p), mx, ""), f, "");
  else y = LLVMBuildFMul(cg->b, cg_load_f32(cg, dt, k->out[0], p), f, "");
  if (k->fusion && inner > 1) cg_store_out(cg, k, p, y);
  else cg_store_f32(cg, dt, k->out[0], p, y);
  cg_loop_end(cg, &L);
  /* a fused epilogue over the finished row */
  if (k->fusion && inner == 1) cg_store_out_run(cg, k, base, len, k->out[0], dt, base);
  cg_loop_end(cg, &W);
  return INGOT_OK;
}

/* ---- statistics of a contiguous block ------------------------------------------------------ */

static LLVMValueRef dev2(cg_t *cg, LLVMValueRef v, void *ud) {
  LLVMValueRef d = LLVMBuildFSub(cg->b, v, cgr_bcast(cg, v, *(LLVMValueRef *)ud), "");
  return LLVMBuildFMul(cg->b, d, d, "");
}

/* mean and 1/sqrt(var + eps) (f64) of x[off .. off + len), as block_stats in
 * k_norm.c: two passes, population variance. */
static void block_stats(cg_t *cg, int dt, LLVMValueRef x, LLVMValueRef off, int64_t len, double eps,
                        LLVMValueRef *mean, LLVMValueRef *inv) {
  LLVMTypeRef f64 = cg->t_f64;
  if (len == 0) {
    *mean = LLVMConstReal(f64, 0);
    *inv = LLVMConstReal(f64, 1.0 / sqrt(eps));
    return;
  }
  cgr_row_t r = {dt, x, off, len, 1, true, NULL, NULL, 0, NULL};
  LLVMValueRef m = LLVMBuildFDiv(cg->b, cgr_row_sum(cg, &r), LLVMConstReal(f64, (double)len), "");
  r.fn = dev2;
  r.ud = &m;
  LLVMValueRef v = LLVMBuildFDiv(cg->b, cgr_row_sum(cg, &r), LLVMConstReal(f64, (double)len), "");
  v = LLVMBuildFAdd(cg->b, v, LLVMConstReal(f64, eps), "");
  v = cg_intrinsic(cg, "llvm.sqrt", f64, &v, 1);
  *mean = m;
  *inv = LLVMBuildFDiv(cg->b, LLVMConstReal(f64, 1.0), v, "");
}

/* The f64 mean as an f32 pair hi + lo, and x - mean from them in f32:
 * x - hi is exact when x is within a factor of two of hi (Sterbenz), so
 * (x - hi) - lo keeps full f32 precision even when the mean is large
 * relative to the spread, where x - (float)mean would be off by half an
 * ulp of the mean in every element. */
typedef struct {
  LLVMValueRef hi, lo;
} fpair_t;

static fpair_t split_f64(cg_t *cg, LLVMValueRef m) {
  fpair_t p;
  p.hi = LLVMBuildFPTrunc(cg->b, m, cg->t_f32, "");
  LLVMValueRef rest = LLVMBuildFSub(cg->b, m, LLVMBuildFPExt(cg->b, p.hi, cg->t_f64, ""), "");
  p.lo = LLVMBuildFPTrunc(cg->b, rest, cg->t_f32, "");
  return p;
}

static LLVMValueRef sub_pair(cg_t *cg, LLVMValueRef x, fpair_t m) {
  return LLVMBuildFSub(cg->b, LLVMBuildFSub(cg->b, x, m.hi, ""), m.lo, "");
}

/* ---- LayerNormalization ------------------------------------------------------------------ */

/* Element strides of parameter input i broadcast (unidirectionally) to the
 * normalised dims nd[0..nr). */
static ingot_status_t bcast_strides(cg_t *cg, const cg_kernel_t *k, uint32_t i, const char *what, int nr,
                                    const int64_t *nd, int64_t *st) {
  const ingot_value_t *t = k->vin[i];
  INGOT_RETURN_IF_ERROR(need_float(cg, k, i, what));
  int tr = t->type.rank;
  if (tr > nr)
    return cg_error(cg, k, INGOT_CODE_INPUT, "%s has rank %d, more than the %d normalised axes", what, tr, nr);
  int64_t ts[INGOT_MAX_RANK];
  cg_strides(&t->type, ts);
  for (int d = 0; d < nr; d++) {
    int td = d - (nr - tr);
    if (td < 0) {
      st[d] = 0;
      continue;
    }
    int64_t a = t->type.dims[td].v;
    if (a != nd[d] && a != 1)
      return cg_error(cg, k, INGOT_CODE_INPUT, "%s dim %d is %lld, cannot broadcast to %lld", what, td, (long long)a,
                      (long long)nd[d]);
    st[d] = a == 1 ? 0 : ts[td];
  }
  return INGOT_OK;
}

ingot_status_t cg_emit_layernorm(cg_t *cg, cg_kernel_t *k) {
  INGOT_RETURN_IF_ERROR(need_float(cg, k, 0, "X"));
  if (k->nin < 2 || !k->vin[1]) return cg_error(cg, k, INGOT_CODE_INPUT, "LayerNormalization needs Scale");
  const ingot_value_t *x = k->vin[0];
  int dt = x->type.dtype;
  int64_t dims[INGOT_MAX_RANK];
  int r = cg_dims(x, dims), axis = 0;
  if (r < 1) return cg_error(cg, k, INGOT_CODE_INPUT, "X must have rank >= 1");
  INGOT_RETURN_IF_ERROR(cgr_norm_axis(cg, k, ingot_node_attr_i(k->n, "axis", -1), r, &axis));
  double eps = ingot_node_attr_f(k->n, "epsilon", 1e-5f);
  bool has_b = k->nin > 2 && k->vin[2];
  int nr = r - axis;
  int64_t nd[INGOT_MAX_RANK], st[3][INGOT_MAX_RANK];
  memcpy(nd, dims + axis, (size_t)nr * sizeof *nd);
  int64_t outer = 1, inner = 1;
  for (int d = 0; d < r; d++) {
    if (d < axis) outer *= dims[d];
    else inner *= dims[d];
  }
  int64_t s = 1;
  for (int d = nr - 1; d >= 0; d--) {
    st[0][d] = s;
    s *= nd[d];
  }
  INGOT_RETURN_IF_ERROR(bcast_strides(cg, k, 1, "Scale", nr, nd, st[1]));
  if (has_b) INGOT_RETURN_IF_ERROR(bcast_strides(cg, k, 2, "B", nr, nd, st[2]));
  else memset(st[2], 0, sizeof st[2]);
  int m = cgr_merge_dims(nr, nd, 3, st);
  if (outer == 0) return INGOT_OK;
  k->work = outer;
  k->flops = 8.0 * (double)(outer * inner);
  k->bytes = 2.0 * (double)(outer * inner) * (double)ingot_dtype_size(dt);
  LLVMValueRef ym = k->nout > 1 ? k->out[1] : NULL, yi = k->nout > 2 ? k->out[2] : NULL;
  cg_loop_t W;
  LLVMValueRef w = cg_loop_begin(cg, &W, k->begin, k->end, "w");
  LLVMValueRef base = cgr_mul(cg, w, inner), mean, inv;
  block_stats(cg, dt, k->in[0], base, inner, eps, &mean, &inv);
  if (ym) cg_store(cg, k->vout[1]->type.dtype, ym, w, cgr_from_f64(cg, mean, k->vout[1]->type.dtype));
  if (yi) cg_store(cg, k->vout[2]->type.dtype, yi, w, cgr_from_f64(cg, inv, k->vout[2]->type.dtype));
  fpair_t mf = split_f64(cg, mean);
  LLVMValueRef invf = LLVMBuildFPTrunc(cg->b, inv, cg->t_f32, "");
  cgr_nest_t N;
  LLVMValueRef c[INGOT_MAX_RANK];
  cgr_nest_begin(cg, &N, m, nd, c);
  LLVMValueRef p = cgr_add(cg, base, cg_dot(cg, m, c, st[0]));
  LLVMValueRef v = LLVMBuildFMul(cg->b, sub_pair(cg, cg_load_f32(cg, dt, k->in[0], p), mf), invf, "");
  v = LLVMBuildFMul(cg->b, v, cg_load_f32(cg, k->vin[1]->type.dtype, k->in[1], cg_dot(cg, m, c, st[1])), "");
  if (has_b) v = LLVMBuildFAdd(cg->b, v, cg_load_f32(cg, k->vin[2]->type.dtype, k->in[2], cg_dot(cg, m, c, st[2])), "");
  cg_store_f32(cg, dt, k->out[0], p, v);
  cgr_nest_end(cg, &N);
  if (k->fusion) cg_store_out_run(cg, k, base, inner, k->out[0], dt, base); /* the fused epilogue, in place */
  cg_loop_end(cg, &W);
  return INGOT_OK;
}

/* ---- GroupNormalization / InstanceNormalization --------------------------------------------- */

/* y = (x - mean_g) * inv_g * scale + bias over each (instance, group) block;
 * scale/bias are per channel ([C]: InstanceNormalization, opset-21
 * GroupNormalization) or per group ([num_groups]: opset 18). */
ingot_status_t cg_emit_groupnorm(cg_t *cg, cg_kernel_t *k) {
  bool inst = k->n->op == INGOT_OP_INSTANCE_NORM;
  INGOT_RETURN_IF_ERROR(need_float(cg, k, 0, "X"));
  if (k->nin < 3 || !k->vin[1] || !k->vin[2]) return cg_error(cg, k, INGOT_CODE_INPUT, "expects X, scale and bias");
  INGOT_RETURN_IF_ERROR(need_float(cg, k, 1, "scale"));
  INGOT_RETURN_IF_ERROR(need_float(cg, k, 2, "bias"));
  const ingot_value_t *x = k->vin[0];
  int dt = x->type.dtype;
  int64_t dims[INGOT_MAX_RANK];
  int r = cg_dims(x, dims);
  if (r < 2) return cg_error(cg, k, INGOT_CODE_INPUT, "X must have rank >= 2 (N, C, ...)");
  int64_t N = dims[0], C = dims[1], spatial = 1;
  for (int d = 2; d < r; d++) spatial *= dims[d];
  int64_t G = C;
  if (!inst) {
    const ingot_attr_t *ng = ingot_node_attr(k->n, "num_groups");
    if (!ng || ng->type != INGOT_ATTR_INT) return cg_error(cg, k, INGOT_CODE_INPUT, "num_groups is required");
    G = ng->i;
    if (G <= 0 || C % G != 0)
      return cg_error(cg, k, INGOT_CODE_INPUT, "num_groups %lld does not divide the %lld channels", (long long)G,
                      (long long)C);
  }
  int64_t ns = cgr_numel(k->vin[1]);
  bool per_group = !inst && ns == G;
  if ((ns != C && !per_group) || cgr_numel(k->vin[2]) != ns)
    return cg_error(cg, k, INGOT_CODE_INPUT, "scale/bias have %lld/%lld elements: expected %lld", (long long)ns,
                    (long long)cgr_numel(k->vin[2]), (long long)C);
  double eps = ingot_node_attr_f(k->n, "epsilon", 1e-5f);
  if (N * C * spatial == 0) return INGOT_OK;
  int64_t cpg = C / G, len = cpg * spatial;
  k->work = N * G;
  k->flops = 6.0 * (double)(N * C * spatial);
  k->bytes = 2.0 * (double)(N * C * spatial) * (double)ingot_dtype_size(dt);
  int sdt = k->vin[1]->type.dtype, bdt = k->vin[2]->type.dtype;
  cg_loop_t W;
  LLVMValueRef w = cg_loop_begin(cg, &W, k->begin, k->end, "w");
  LLVMValueRef base = cgr_mul(cg, w, len), mean, inv;
  LLVMValueRef g = G == 1 ? cg_i64(cg, 0) : LLVMBuildURem(cg->b, w, cg_i64(cg, G), "");
  block_stats(cg, dt, k->in[0], base, len, eps, &mean, &inv);
  fpair_t mf = split_f64(cg, mean);
  LLVMValueRef invf = LLVMBuildFPTrunc(cg->b, inv, cg->t_f32, "");
  cg_loop_t Lc;
  LLVMValueRef ci = cg_loop_begin(cg, &Lc, cg_i64(cg, 0), cg_i64(cg, cpg), "c");
  LLVMValueRef pi = per_group ? g : cgr_add(cg, cgr_mul(cg, g, cpg), ci);
  LLVMValueRef a = LLVMBuildFMul(cg->b, invf, cg_load_f32(cg, sdt, k->in[1], pi), "");
  LLVMValueRef bb = cg_load_f32(cg, bdt, k->in[2], pi);
  LLVMValueRef off = cgr_add(cg, base, cgr_mul(cg, ci, spatial));
  cg_loop_t Ls;
  LLVMValueRef sp = cg_loop_begin(cg, &Ls, cg_i64(cg, 0), cg_i64(cg, spatial), "s");
  LLVMValueRef p = cgr_add(cg, off, sp);
  LLVMValueRef v = sub_pair(cg, cg_load_f32(cg, dt, k->in[0], p), mf);
  cg_store_f32(cg, dt, k->out[0], p, LLVMBuildFAdd(cg->b, LLVMBuildFMul(cg->b, v, a, ""), bb, ""));
  cg_loop_end(cg, &Ls);
  cg_loop_end(cg, &Lc);
  if (k->fusion) cg_store_out_run(cg, k, base, len, k->out[0], dt, base); /* the fused epilogue, in place */
  cg_loop_end(cg, &W);
  return INGOT_OK;
}

/* ---- BatchNormalization ------------------------------------------------------------------------ */

/* Inference: y = (x - mean[c]) / sqrt(var[c] + eps) * scale[c] + B[c]; the
 * optional running_mean / running_var outputs are the inputs unchanged.
 * The per-channel factors are computed at run time (in f64) so the
 * parameters need not be constant. */
ingot_status_t cg_emit_batchnorm(cg_t *cg, cg_kernel_t *k) {
  if (ingot_node_attr_i(k->n, "training_mode", 0) != 0)
    return cg_error(cg, k, INGOT_CODE_UNSUPPORTED, "BatchNormalization training_mode=1 is not compiled");
  INGOT_RETURN_IF_ERROR(need_float(cg, k, 0, "X"));
  static const char *names[5] = {"X", "scale", "B", "input_mean", "input_var"};
  if (k->nin < 5) return cg_error(cg, k, INGOT_CODE_INPUT, "expects X, scale, B, mean and var");
  for (uint32_t i = 1; i < 5; i++) {
    if (!k->vin[i]) return cg_error(cg, k, INGOT_CODE_INPUT, "input %s is required", names[i]);
    INGOT_RETURN_IF_ERROR(need_float(cg, k, i, names[i]));
  }
  const ingot_value_t *x = k->vin[0];
  int dt = x->type.dtype;
  int64_t dims[INGOT_MAX_RANK];
  int r = cg_dims(x, dims);
  if (r < 1) return cg_error(cg, k, INGOT_CODE_INPUT, "X must have rank >= 1");
  int64_t N = dims[0], C = r >= 2 ? dims[1] : 1, spatial = 1;
  for (int d = 2; d < r; d++) spatial *= dims[d];
  for (uint32_t i = 1; i < 5; i++)
    if (cgr_numel(k->vin[i]) != C)
      return cg_error(cg, k, INGOT_CODE_INPUT, "%s must have %lld elements", names[i], (long long)C);
  double eps = ingot_node_attr_f(k->n, "epsilon", 1e-5f);
  LLVMValueRef rm = k->nout > 1 ? k->out[1] : NULL, rv = k->nout > 2 ? k->out[2] : NULL;
  if (C == 0 || (N * spatial == 0 && !rm && !rv)) return INGOT_OK;
  int64_t items = (N ? N : 1) * C;
  k->work = items;
  k->flops = 3.0 * (double)(N * C * spatial);
  k->bytes = 2.0 * (double)(N * C * spatial) * (double)ingot_dtype_size(dt);
  int pdt[5];
  for (uint32_t i = 1; i < 5; i++) pdt[i] = k->vin[i]->type.dtype;
  cg_loop_t W;
  LLVMValueRef w = cg_loop_begin(cg, &W, k->begin, k->end, "w");
  LLVMValueRef c = C == 1 ? cg_i64(cg, 0) : LLVMBuildURem(cg->b, w, cg_i64(cg, C), "");
  if (N * spatial > 0) {
    LLVMValueRef pv[5];
    for (uint32_t i = 1; i < 5; i++) pv[i] = cgr_to_f64(cg, cg_load(cg, pdt[i], k->in[i], c), pdt[i]);
    LLVMValueRef v = LLVMBuildFAdd(cg->b, pv[4], LLVMConstReal(cg->t_f64, eps), "");
    v = cg_intrinsic(cg, "llvm.sqrt", cg->t_f64, &v, 1);
    LLVMValueRef a = LLVMBuildFDiv(cg->b, pv[1], v, "");
    a = LLVMBuildFPTrunc(cg->b, a, cg->t_f32, "");
    fpair_t mf = split_f64(cg, pv[3]);
    LLVMValueRef bf = LLVMBuildFPTrunc(cg->b, pv[2], cg->t_f32, "");
    LLVMValueRef base = cgr_mul(cg, w, spatial);
    cg_loop_t L;
    LLVMValueRef j = cg_loop_begin(cg, &L, cg_i64(cg, 0), cg_i64(cg, spatial), "s");
    LLVMValueRef p = cgr_add(cg, base, j);
    LLVMValueRef y = sub_pair(cg, cg_load_f32(cg, dt, k->in[0], p), mf);
    cg_store_f32(cg, dt, k->out[0], p, LLVMBuildFAdd(cg->b, LLVMBuildFMul(cg->b, y, a, ""), bf, ""));
    cg_loop_end(cg, &L);
  }
  if (rm || rv) { /* the first instance's items copy the running statistics */
    cg_if_t first;
    cg_if_begin(cg, &first, LLVMBuildICmp(cg->b, LLVMIntSLT, w, cg_i64(cg, C), ""));
    for (uint32_t o = 1; o < 3; o++) {
      LLVMValueRef dst = o == 1 ? rm : rv;
      if (!dst) continue;
      int od = k->vout[o]->type.dtype, id = pdt[2 + o];
      cg_store(cg, od, dst, c, cg_convert(cg, cg_load(cg, id, k->in[2 + o], c), id, od));
    }
    cg_if_end(cg, &first);
  }
  cg_loop_end(cg, &W);
  return INGOT_OK;
}
