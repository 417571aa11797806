/* Reductions for the LLVM CPU backend: Reduce{Sum,Mean,Max,Min,Prod,
 * SumSquare,L2}, ArgMax, CumSum, and the row engine shared with
 * cg_reduce_norm.c (see cg_reduce_impl.h).
 *
 * Semantics follow the evaluator (interp/k_reduce.c) exactly: float
 * reductions accumulate in f64, integer ones in wrapping 64-bit arithmetic;
 * an empty reduction yields the op's identity (NaN for a float mean, 0 for
 * an integer one); Max/Min propagate NaN; ArgMax treats NaN as the maximum.
 *
 * Iteration space of a Reduce*: after dropping size-1 dims and merging
 * neighbouring dims of the same kind, the input is an alternation of kept
 * and reduced groups.  Each output element (work item) unflattens its index
 * over the kept groups once, then walks the reduced groups with nested
 * constant-bound loops; the innermost reduced group is a row for the row
 * engine (vectorised when it is contiguous, i.e. when the reduction covers
 * the trailing axes, the common case: ReduceMean over channels). */
#include <math.h>
#include <string.h>

#include "codegen/cg_reduce_impl.h"

/* ---- small helpers -------------------------------------------------------------- */

bool cgr_float_dtype(int dt) {
  return dt == INGOT_DT_FLOAT || dt == INGOT_DT_DOUBLE || dt == INGOT_DT_FLOAT16 || dt == INGOT_DT_BFLOAT16;
}

bool cgr_vec_dtype(int dt) {
  return dt == INGOT_DT_FLOAT || dt == INGOT_DT_DOUBLE || dt == INGOT_DT_FLOAT16;
}

static bool is_unsigned(int dt) {
  return dt == INGOT_DT_UINT8 || dt == INGOT_DT_UINT16 || dt == INGOT_DT_UINT32 || dt == INGOT_DT_UINT64 ||
         dt == INGOT_DT_BOOL;
}

static bool is_int(int dt) {
  switch (dt) {
    case INGOT_DT_INT8: case INGOT_DT_INT16: case INGOT_DT_INT32: case INGOT_DT_INT64:
    case INGOT_DT_UINT8: case INGOT_DT_UINT16: case INGOT_DT_UINT32: case INGOT_DT_UINT64:
      return true;
    default: return false;
  }
}

LLVMValueRef cgr_to_f64(cg_t *cg, LLVMValueRef v, int dt) {
  if (dt == INGOT_DT_DOUBLE) return v;
  if (cgr_float_dtype(dt)) return LLVMBuildFPExt(cg->b, cg_convert(cg, v, dt, INGOT_DT_FLOAT), cg->t_f64, "");
  return cg_convert(cg, v, dt, INGOT_DT_DOUBLE);
}

LLVMValueRef cgr_from_f64(cg_t *cg, LLVMValueRef v, int dt) {
  if (dt == INGOT_DT_DOUBLE) return v;
  if (cgr_float_dtype(dt)) return cg_convert(cg, LLVMBuildFPTrunc(cg->b, v, cg->t_f32, ""), INGOT_DT_FLOAT, dt);
  return cg_convert(cg, v, INGOT_DT_DOUBLE, dt);
}

LLVMValueRef cgr_mul(cg_t *cg, LLVMValueRef a, int64_t c) {
  if (c == 0) return cg_i64(cg, 0);
  if (c == 1) return a;
  return LLVMBuildNSWMul(cg->b, a, cg_i64(cg, c), "");
}

LLVMValueRef cgr_add(cg_t *cg, LLVMValueRef a, LLVMValueRef b) {
  return LLVMBuildNSWAdd(cg->b, a, b, "");
}

int64_t cgr_numel(const ingot_value_t *v) {
  int64_t n = 1;
  for (int d = 0; d < v->type.rank; d++) n *= v->type.dims[d].v;
  return n;
}

static unsigned lanes_of(LLVMValueRef v) {
  LLVMTypeRef t = LLVMTypeOf(v);
  return LLVMGetTypeKind(t) == LLVMVectorTypeKind ? LLVMGetVectorSize(t) : 0;
}

static LLVMValueRef splat(cg_t *cg, LLVMValueRef s, unsigned lanes) {
  if (!lanes) return s;
  if (LLVMIsConstant(s)) {
    LLVMValueRef e[64];
    for (unsigned i = 0; i < lanes; i++) e[i] = s;
    return LLVMConstVector(e, lanes);
  }
  LLVMTypeRef vt = LLVMVectorType(LLVMTypeOf(s), lanes);
  LLVMValueRef v = LLVMBuildInsertElement(cg->b, LLVMGetUndef(vt), s, LLVMConstInt(cg->t_i32, 0, 0), "");
  return LLVMBuildShuffleVector(cg->b, v, LLVMGetUndef(vt), LLVMConstNull(LLVMVectorType(cg->t_i32, lanes)), "");
}

LLVMValueRef cgr_fconst(cg_t *cg, LLVMValueRef like, double v) {
  LLVMTypeRef t = LLVMTypeOf(like);
  unsigned lanes = lanes_of(like);
  return splat(cg, LLVMConstReal(lanes ? LLVMGetElementType(t) : t, v), lanes);
}

LLVMValueRef cgr_bcast(cg_t *cg, LLVMValueRef like, LLVMValueRef s) {
  return splat(cg, s, lanes_of(like));
}

void cgr_nest_begin(cg_t *cg, cgr_nest_t *N, int rank, const int64_t *dims, LLVMValueRef *iv) {
  N->rank = rank;
  for (int d = 0; d < rank; d++) iv[d] = cg_loop_begin(cg, &N->L[d], cg_i64(cg, 0), cg_i64(cg, dims[d]), "n");
}

void cgr_nest_end(cg_t *cg, cgr_nest_t *N) {
  for (int d = N->rank - 1; d >= 0; d--) cg_loop_end(cg, &N->L[d]);
}

int cgr_merge_dims(int rank, int64_t *dims, int nk, int64_t (*st)[INGOT_MAX_RANK]) {
  int r = 0;
  for (int d = 0; d < rank; d++) {
    if (dims[d] == 1) continue;
    bool merge = r > 0;
    for (int k = 0; merge && k < nk; k++) merge = st[k][r - 1] == st[k][d] * dims[d];
    if (merge) {
      dims[r - 1] *= dims[d];
      for (int k = 0; k < nk; k++) st[k][r - 1] = st[k][d];
      continue;
    }
    dims[r] = dims[d];
    for (int k = 0; k < nk; k++) st[k][r] = st[k][d];
    r++;
  }
  return r;
}

/* ---- the row engine ------------------------------------------------------------------ */

/* lanes elements of dtype at base[idx] as a vector of f32 or f64. */
static LLVMValueRef vload(cg_t *cg, int dt, LLVMValueRef base, LLVMValueRef idx, unsigned lanes, bool f64) {
  LLVMTypeRef et = cg_type(cg, dt), vt = LLVMVectorType(et, lanes);
  LLVMValueRef p = LLVMBuildInBoundsGEP2(cg->b, et, base, &idx, 1, "");
  p = LLVMBuildBitCast(cg->b, p, LLVMPointerType(vt, 0), "");
  LLVMValueRef v = LLVMBuildLoad2(cg->b, vt, p, "");
  LLVMSetAlignment(v, (unsigned)ingot_dtype_size(dt));
  LLVMTypeRef ct = LLVMVectorType(f64 ? cg->t_f64 : cg->t_f32, lanes);
  if (dt == (f64 ? INGOT_DT_DOUBLE : INGOT_DT_FLOAT)) return v;
  if (dt == INGOT_DT_DOUBLE) return LLVMBuildFPTrunc(cg->b, v, ct, "");
  return LLVMBuildFPExt(cg->b, v, ct, ""); /* f32 -> f64, f16 -> f32/f64 */
}

static void vstore(cg_t *cg, int dt, LLVMValueRef base, LLVMValueRef idx, LLVMValueRef v) {
  unsigned lanes = lanes_of(v);
  LLVMTypeRef et = cg_type(cg, dt), vt = LLVMVectorType(et, lanes);
  LLVMTypeRef vet = LLVMGetElementType(LLVMTypeOf(v));
  if (vet != et) {
    bool wider = ingot_dtype_size(dt) > (vet == cg->t_f64 ? 8u : 4u);
    v = wider ? LLVMBuildFPExt(cg->b, v, vt, "") : LLVMBuildFPTrunc(cg->b, v, vt, "");
  }
  LLVMValueRef p = LLVMBuildInBoundsGEP2(cg->b, et, base, &idx, 1, "");
  p = LLVMBuildBitCast(cg->b, p, LLVMPointerType(vt, 0), "");
  LLVMValueRef s = LLVMBuildStore(cg->b, v, p);
  LLVMSetAlignment(s, (unsigned)ingot_dtype_size(dt));
}

static LLVMValueRef ld(cg_t *cg, LLVMTypeRef t, LLVMValueRef p) {
  return LLVMBuildLoad2(cg->b, t, p, "");
}

LLVMValueRef cgr_row_sum(cg_t *cg, const cgr_row_t *r) {
  enum { U = 2 };
  unsigned lanes = (unsigned)cg->vector_bits / 32;
  int64_t step = (int64_t)lanes * U;
  bool vec = r->stride == 1 && cgr_vec_dtype(r->dtype) && (!r->y || cgr_vec_dtype(r->ydtype)) && r->len >= step;
  int64_t nvec = vec ? r->len / step : 0;
  LLVMValueRef total = cg_alloca(cg, cg->t_f64, "sum");
  LLVMBuildStore(cg->b, LLVMConstReal(cg->t_f64, 0), total);
  if (nvec) {
    LLVMTypeRef vd = LLVMVectorType(cg->t_f64, lanes);
    LLVMValueRef acc[U];
    for (int u = 0; u < U; u++) {
      acc[u] = cg_alloca(cg, vd, "vacc");
      LLVMBuildStore(cg->b, LLVMConstNull(vd), acc[u]);
    }
    cg_loop_t L;
    LLVMValueRef i = cg_loop_begin(cg, &L, cg_i64(cg, 0), cg_i64(cg, nvec), "vrow");
    LLVMValueRef j0 = cgr_add(cg, r->off, cgr_mul(cg, i, step));
    for (int u = 0; u < U; u++) {
      LLVMValueRef idx = cgr_add(cg, j0, cg_i64(cg, (int64_t)lanes * u));
      LLVMValueRef v = vload(cg, r->dtype, r->x, idx, lanes, r->f64);
      LLVMValueRef e = r->fn ? r->fn(cg, v, r->ud) : v;
      if (r->y) vstore(cg, r->ydtype, r->y, idx, e);
      if (!r->f64) e = LLVMBuildFPExt(cg->b, e, vd, "");
      LLVMBuildStore(cg->b, LLVMBuildFAdd(cg->b, ld(cg, vd, acc[u]), e, ""), acc[u]);
    }
    cg_loop_end_no_unroll(cg, &L);
    LLVMValueRef a = ld(cg, vd, acc[0]);
    for (int u = 1; u < U; u++) a = LLVMBuildFAdd(cg->b, a, ld(cg, vd, acc[u]), "");
    /* pairwise horizontal sum */
    for (unsigned w = lanes / 2; w >= 1; w /= 2) {
      LLVMValueRef m[64];
      for (unsigned l = 0; l < w; l++) m[l] = LLVMConstInt(cg->t_i32, l + w, 0);
      for (unsigned l = w; l < lanes; l++) m[l] = LLVMGetUndef(cg->t_i32);
      LLVMValueRef hi = LLVMBuildShuffleVector(cg->b, a, LLVMGetUndef(vd), LLVMConstVector(m, lanes), "");
      a = LLVMBuildFAdd(cg->b, a, hi, "");
    }
    LLVMBuildStore(cg->b, LLVMBuildExtractElement(cg->b, a, LLVMConstInt(cg->t_i32, 0, 0), ""), total);
  }
  if (nvec * step < r->len) {
    cg_loop_t L;
    LLVMValueRef j = cg_loop_begin(cg, &L, cg_i64(cg, nvec * step), cg_i64(cg, r->len), "row");
    LLVMValueRef idx = cgr_add(cg, r->off, cgr_mul(cg, j, r->stride));
    LLVMValueRef v = cg_load(cg, r->dtype, r->x, idx);
    v = r->f64 ? cgr_to_f64(cg, v, r->dtype) : cg_convert(cg, v, r->dtype, INGOT_DT_FLOAT);
    LLVMValueRef e = r->fn ? r->fn(cg, v, r->ud) : v;
    if (r->y)
      cg_store(cg, r->ydtype, r->y, idx,
               r->f64 ? cgr_from_f64(cg, e, r->ydtype) : cg_convert(cg, e, INGOT_DT_FLOAT, r->ydtype));
    if (!r->f64) e = LLVMBuildFPExt(cg->b, e, cg->t_f64, "");
    LLVMBuildStore(cg->b, LLVMBuildFAdd(cg->b, ld(cg, cg->t_f64, total), e, ""), total);
    cg_loop_end(cg, &L);
  }
  return ld(cg, cg->t_f64, total);
}

static LLVMValueRef fmax_ordered(cg_t *cg, LLVMValueRef a, LLVMValueRef v) {
  return LLVMBuildSelect(cg->b, LLVMBuildFCmp(cg->b, LLVMRealOGT, v, a, ""), v, a, "");
}

LLVMValueRef cgr_row_max_f32(cg_t *cg, int dt, LLVMValueRef x, LLVMValueRef off, int64_t len, int64_t stride) {
  enum { U = 2 };
  unsigned lanes = (unsigned)cg->vector_bits / 32;
  int64_t step = (int64_t)lanes * U;
  int64_t nvec = stride == 1 && cgr_vec_dtype(dt) && len >= step ? len / step : 0;
  LLVMValueRef best = cg_alloca(cg, cg->t_f32, "max");
  LLVMBuildStore(cg->b, cg_f32(cg, -INFINITY), best);
  if (nvec) {
    LLVMTypeRef vf = LLVMVectorType(cg->t_f32, lanes);
    LLVMValueRef acc[U];
    for (int u = 0; u < U; u++) {
      acc[u] = cg_alloca(cg, vf, "vmax");
      LLVMBuildStore(cg->b, splat(cg, cg_f32(cg, -INFINITY), lanes), acc[u]);
    }
    cg_loop_t L;
    LLVMValueRef i = cg_loop_begin(cg, &L, cg_i64(cg, 0), cg_i64(cg, nvec), "vmaxrow");
    LLVMValueRef j0 = cgr_add(cg, off, cgr_mul(cg, i, step));
    for (int u = 0; u < U; u++) {
      LLVMValueRef v = vload(cg, dt, x, cgr_add(cg, j0, cg_i64(cg, (int64_t)lanes * u)), lanes, false);
      LLVMBuildStore(cg->b, fmax_ordered(cg, ld(cg, vf, acc[u]), v), acc[u]);
    }
    cg_loop_end_no_unroll(cg, &L);
    LLVMValueRef a = ld(cg, vf, acc[0]);
    for (int u = 1; u < U; u++) a = fmax_ordered(cg, a, ld(cg, vf, acc[u]));
    LLVMValueRef m = LLVMBuildExtractElement(cg->b, a, LLVMConstInt(cg->t_i32, 0, 0), "");
    for (unsigned l = 1; l < lanes; l++)
      m = fmax_ordered(cg, m, LLVMBuildExtractElement(cg->b, a, LLVMConstInt(cg->t_i32, l, 0), ""));
    LLVMBuildStore(cg->b, m, best);
  }
  if (nvec * step < len) {
    cg_loop_t L;
    LLVMValueRef j = cg_loop_begin(cg, &L, cg_i64(cg, nvec * step), cg_i64(cg, len), "maxrow");
    LLVMValueRef v = cg_load_f32(cg, dt, x, cgr_add(cg, off, cgr_mul(cg, j, stride)));
    LLVMBuildStore(cg->b, fmax_ordered(cg, ld(cg, cg->t_f32, best), v), best);
    cg_loop_end(cg, &L);
  }
  return ld(cg, cg->t_f32, best);
}

/* ---- Reduce* ------------------------------------------------------------------------- */

typedef enum { R_SUM, R_MEAN, R_MAX, R_MIN, R_PROD, R_SUMSQ, R_L2 } redop_t;

static redop_t redop_of(int op) {
  switch (op) {
    case INGOT_OP_REDUCE_MEAN: return R_MEAN;
    case INGOT_OP_REDUCE_MAX: return R_MAX;
    case INGOT_OP_REDUCE_MIN: return R_MIN;
    case INGOT_OP_REDUCE_PROD: return R_PROD;
    case INGOT_OP_REDUCE_SUM_SQUARE: return R_SUMSQ;
    case INGOT_OP_REDUCE_L2: return R_L2;
    default: return R_SUM;
  }
}

/* Reads an int32/int64 constant input as int64s (at most max). */
static ingot_status_t const_ints(cg_t *cg, const cg_kernel_t *k, uint32_t i, const char *what, int64_t *vals,
                                 int64_t max, int64_t *n) {
  const ingot_value_t *v = k->vin[i];
  if (!v->data) return cg_error(cg, k, INGOT_CODE_UNSUPPORTED, "%s must be constant", what);
  if (v->type.dtype != INGOT_DT_INT64 && v->type.dtype != INGOT_DT_INT32)
    return cg_error(cg, k, INGOT_CODE_INPUT, "%s must be int32/int64, got %s", what, ingot_dtype_name(v->type.dtype));
  if (v->type.rank > 1) return cg_error(cg, k, INGOT_CODE_INPUT, "%s must be 1-D, got rank %d", what, v->type.rank);
  int64_t cnt = cgr_numel(v);
  if (cnt > max) return cg_error(cg, k, INGOT_CODE_INPUT, "%s has %lld values", what, (long long)cnt);
  size_t es = ingot_dtype_size(v->type.dtype);
  if (v->nbytes < (size_t)cnt * es) return cg_error(cg, k, INGOT_CODE_INPUT, "%s data is truncated", what);
  for (int64_t j = 0; j < cnt; j++) {
    if (es == 8) memcpy(&vals[j], (const char *)v->data + j * 8, 8);
    else {
      int32_t t;
      memcpy(&t, (const char *)v->data + j * 4, 4);
      vals[j] = t;
    }
  }
  *n = cnt;
  return INGOT_OK;
}

ingot_status_t cgr_norm_axis(cg_t *cg, const cg_kernel_t *k, int64_t a, int r, int *out) {
  if (a < -r || a >= r)
    return cg_error(cg, k, INGOT_CODE_INPUT, "axis %lld is out of range for rank %d", (long long)a, r);
  *out = (int)(a < 0 ? a + r : a);
  return INGOT_OK;
}

/* mask[] of reduced axes; *noop when the op is an identity (k_reduce.c). */
static ingot_status_t reduce_axes(cg_t *cg, const cg_kernel_t *k, int rank, bool *mask, bool *noop) {
  const int64_t *attr = NULL;
  int64_t nattr = ingot_node_attr_ints(k->n, "axes", &attr);
  int64_t axes[INGOT_MAX_RANK + 1], naxes = 0;
  bool has_input = k->nin > 1 && k->vin[1];
  if (nattr >= 0 && has_input)
    return cg_error(cg, k, INGOT_CODE_INPUT, "axes given both as an attribute and as an input");
  if (has_input) {
    INGOT_RETURN_IF_ERROR(const_ints(cg, k, 1, "axes", axes, INGOT_MAX_RANK + 1, &naxes));
  } else if (nattr > 0) {
    if (nattr > INGOT_MAX_RANK + 1) return cg_error(cg, k, INGOT_CODE_INPUT, "too many axes");
    memcpy(axes, attr, (size_t)nattr * sizeof *axes);
    naxes = nattr;
  }
  for (int d = 0; d < rank; d++) mask[d] = false;
  *noop = false;
  if (naxes == 0) {
    if (ingot_node_attr_i(k->n, "noop_with_empty_axes", 0)) *noop = true;
    else
      for (int d = 0; d < rank; d++) mask[d] = true;
    return INGOT_OK;
  }
  for (int64_t i = 0; i < naxes; i++) {
    int d = 0;
    INGOT_RETURN_IF_ERROR(cgr_norm_axis(cg, k, axes[i], rank, &d));
    if (mask[d]) return cg_error(cg, k, INGOT_CODE_INPUT, "axis %lld is repeated", (long long)axes[i]);
    mask[d] = true;
  }
  return INGOT_OK;
}

/* Plain element copy over [begin, end) of n elements (noop reductions). */
static void emit_copy(cg_t *cg, cg_kernel_t *k, int dt, int64_t n) {
  k->work = n;
  cg_loop_t L;
  LLVMValueRef i = cg_loop_begin(cg, &L, k->begin, k->end, "i");
  cg_store(cg, dt, k->out[0], i, cg_load(cg, dt, k->in[0], i));
  cg_loop_end(cg, &L);
}

static int64_t int_lowest(int dt) {
  switch (dt) {
    case INGOT_DT_INT8: return INT8_MIN;
    case INGOT_DT_INT16: return INT16_MIN;
    case INGOT_DT_INT32: return INT32_MIN;
    case INGOT_DT_INT64: return INT64_MIN;
    default: return 0;
  }
}
static int64_t int_highest(int dt) {
  switch (dt) {
    case INGOT_DT_INT8: return INT8_MAX;
    case INGOT_DT_INT16: return INT16_MAX;
    case INGOT_DT_INT32: return INT32_MAX;
    case INGOT_DT_INT64: return INT64_MAX;
    case INGOT_DT_UINT8: return UINT8_MAX;
    case INGOT_DT_UINT16: return UINT16_MAX;
    case INGOT_DT_UINT32: return UINT32_MAX;
    case INGOT_DT_UINT64: return -1;
    case INGOT_DT_BOOL: return 1;
    default: return 0;
  }
}

/* Starting value of the accumulator (f64 for floats, i64 for integers). */
static LLVMValueRef identity(cg_t *cg, redop_t op, bool fl, int dt) {
  switch (op) {
    case R_PROD: return fl ? LLVMConstReal(cg->t_f64, 1) : cg_i64(cg, 1);
    case R_MAX: return fl ? LLVMConstReal(cg->t_f64, -INFINITY) : cg_i64(cg, int_lowest(dt));
    case R_MIN: return fl ? LLVMConstReal(cg->t_f64, INFINITY) : cg_i64(cg, int_highest(dt));
    default: return fl ? LLVMConstReal(cg->t_f64, 0) : cg_i64(cg, 0);
  }
}

/* The stored result from the accumulator over count elements. */
static LLVMValueRef finalize(cg_t *cg, redop_t op, bool fl, int dt, LLVMValueRef a, int64_t count) {
  if (fl) {
    if (op == R_MEAN) a = LLVMBuildFDiv(cg->b, a, LLVMConstReal(cg->t_f64, (double)count), "");
    if (op == R_L2) a = cg_intrinsic(cg, "llvm.sqrt", cg->t_f64, &a, 1);
    return cgr_from_f64(cg, a, dt);
  }
  if (op == R_MEAN) {
    if (count == 0) return cg_const(cg, dt, 0);
    LLVMValueRef c = cg_i64(cg, count);
    a = is_unsigned(dt) ? LLVMBuildUDiv(cg->b, a, c, "") : LLVMBuildSDiv(cg->b, a, c, "");
  }
  if (op == R_L2) {
    LLVMValueRef f =
        is_unsigned(dt) ? LLVMBuildUIToFP(cg->b, a, cg->t_f64, "") : LLVMBuildSIToFP(cg->b, a, cg->t_f64, "");
    f = cg_intrinsic(cg, "llvm.sqrt", cg->t_f64, &f, 1);
    a = cg_convert(cg, f, INGOT_DT_DOUBLE, INGOT_DT_INT64); /* saturating, NaN -> 0, like the evaluator */
  }
  return cg_convert(cg, a, INGOT_DT_INT64, dt);
}

/* acc = op(acc, v) for one element (f64 or i64). */
static LLVMValueRef combine(cg_t *cg, redop_t op, bool fl, bool uns, LLVMValueRef a, LLVMValueRef v) {
  if (fl) {
    switch (op) {
      case R_PROD: return LLVMBuildFMul(cg->b, a, v, "");
      case R_MAX:
      case R_MIN: { /* NaN sticks once seen (numpy) */
        LLVMValueRef better = LLVMBuildFCmp(cg->b, op == R_MAX ? LLVMRealUGT : LLVMRealULT, v, a, "");
        LLVMValueRef a_ok = LLVMBuildFCmp(cg->b, LLVMRealORD, a, a, "");
        return LLVMBuildSelect(cg->b, LLVMBuildAnd(cg->b, better, a_ok, ""), v, a, "");
      }
      case R_SUMSQ:
      case R_L2: v = LLVMBuildFMul(cg->b, v, v, ""); /* fall through */
      default: return LLVMBuildFAdd(cg->b, a, v, "");
    }
  }
  switch (op) {
    case R_PROD: return LLVMBuildMul(cg->b, a, v, "");
    case R_MAX:
      return LLVMBuildSelect(cg->b, LLVMBuildICmp(cg->b, uns ? LLVMIntUGT : LLVMIntSGT, v, a, ""), v, a, "");
    case R_MIN:
      return LLVMBuildSelect(cg->b, LLVMBuildICmp(cg->b, uns ? LLVMIntULT : LLVMIntSLT, v, a, ""), v, a, "");
    case R_SUMSQ:
    case R_L2: v = LLVMBuildMul(cg->b, v, v, ""); /* fall through */
    default: return LLVMBuildAdd(cg->b, a, v, "");
  }
}

static LLVMValueRef square_f64(cg_t *cg, LLVMValueRef v, void *ud) {
  (void)ud;
  return LLVMBuildFMul(cg->b, v, v, "");
}

static ingot_status_t emit_argmax(cg_t *cg, cg_kernel_t *k);

ingot_status_t cg_emit_reduce(cg_t *cg, cg_kernel_t *k) {
  if (k->n->op == INGOT_OP_ARGMAX) return emit_argmax(cg, k);
  redop_t op = redop_of(k->n->op);
  const ingot_value_t *x = k->vin[0];
  int dt = x->type.dtype, rank = x->type.rank;
  bool fl = cgr_float_dtype(dt);
  if (!fl && !is_int(dt) && !(dt == INGOT_DT_BOOL && (op == R_MAX || op == R_MIN)))
    return cg_error(cg, k, INGOT_CODE_UNSUPPORTED, "%s is not supported for dtype %s", k->n->op_type,
                    ingot_dtype_name(dt));
  if (k->vout[0]->type.dtype != dt) return cg_error(cg, k, INGOT_CODE_INTERNAL, "output dtype differs from input");
  bool mask[INGOT_MAX_RANK], noop;
  INGOT_RETURN_IF_ERROR(reduce_axes(cg, k, rank, mask, &noop));
  int64_t dims[INGOT_MAX_RANK], xst[INGOT_MAX_RANK];
  cg_dims(x, dims);
  int64_t n = cg_strides(&x->type, xst);
  size_t es = ingot_dtype_size(dt);
  if (noop) {
    emit_copy(cg, k, dt, n);
    k->bytes = 2.0 * (double)n * (double)es;
    return INGOT_OK;
  }
  int64_t count = 1, onum = 1;
  for (int d = 0; d < rank; d++) {
    if (mask[d]) count *= dims[d];
    else onum *= dims[d];
  }
  if (onum == 0) return INGOT_OK; /* nothing to write */
  k->flops = (double)n;
  k->bytes = (double)n * (double)es + (double)onum * (double)es;
  k->work = onum;
  bool uns = is_unsigned(dt);
  cg_loop_t W;
  LLVMValueRef w = cg_loop_begin(cg, &W, k->begin, k->end, "w");
  if (count == 0) { /* empty reduction: the identity, finalised */
    cg_store(cg, dt, k->out[0], w, finalize(cg, op, fl, dt, identity(cg, op, fl, dt), 0));
    cg_loop_end(cg, &W);
    return INGOT_OK;
  }
  /* kept / reduced groups: size-1 dims dropped, same-kind neighbours merged */
  int64_t ksz[INGOT_MAX_RANK], kst[INGOT_MAX_RANK], rsz[INGOT_MAX_RANK], rst[INGOT_MAX_RANK];
  int nk = 0, nr = 0, last = -1; /* kind of the previous group: 0 kept, 1 reduced */
  for (int d = 0; d < rank; d++) {
    if (dims[d] == 1) continue;
    int kind = mask[d] ? 1 : 0;
    if (kind == 1) {
      if (last == 1) rsz[nr - 1] *= dims[d], rst[nr - 1] = xst[d];
      else rsz[nr] = dims[d], rst[nr++] = xst[d];
    } else {
      if (last == 0) ksz[nk - 1] *= dims[d], kst[nk - 1] = xst[d];
      else ksz[nk] = dims[d], kst[nk++] = xst[d];
    }
    last = kind;
  }
  LLVMValueRef kc[INGOT_MAX_RANK];
  cg_unflatten(cg, w, nk, ksz, kc);
  LLVMValueRef base = cg_dot(cg, nk, kc, kst);
  /* the innermost reduced group is the row; the others are loops */
  int64_t rlen = nr ? rsz[nr - 1] : 1, rstride = nr ? rst[nr - 1] : 1;
  int nouter = nr ? nr - 1 : 0;
  LLVMTypeRef at = fl ? cg->t_f64 : cg->t_i64;
  LLVMValueRef acc = cg_alloca(cg, at, "acc");
  LLVMBuildStore(cg->b, identity(cg, op, fl, dt), acc);
  cgr_nest_t N;
  LLVMValueRef rc[INGOT_MAX_RANK];
  cgr_nest_begin(cg, &N, nouter, rsz, rc);
  LLVMValueRef off = cgr_add(cg, base, cg_dot(cg, nouter, rc, rst));
  if (fl && op != R_MAX && op != R_MIN && op != R_PROD) {
    cgr_row_t r = {dt, k->in[0], off, rlen, rstride, true, NULL, NULL, 0, NULL};
    if (op == R_SUMSQ || op == R_L2) r.fn = square_f64;
    LLVMBuildStore(cg->b, LLVMBuildFAdd(cg->b, ld(cg, at, acc), cgr_row_sum(cg, &r), ""), acc);
  } else {
    cg_loop_t L;
    LLVMValueRef j = cg_loop_begin(cg, &L, cg_i64(cg, 0), cg_i64(cg, rlen), "r");
    LLVMValueRef v = cg_load(cg, dt, k->in[0], cgr_add(cg, off, cgr_mul(cg, j, rstride)));
    v = fl ? cgr_to_f64(cg, v, dt) : cg_convert(cg, v, dt, INGOT_DT_INT64); /* bool, unsigned: zero-extended */
    LLVMBuildStore(cg->b, combine(cg, op, fl, uns, ld(cg, at, acc), v), acc);
    cg_loop_end(cg, &L);
  }
  cgr_nest_end(cg, &N);
  cg_store(cg, dt, k->out[0], w, finalize(cg, op, fl, dt, ld(cg, at, acc), count));
  cg_loop_end(cg, &W);
  return INGOT_OK;
}

/* A loaded element as f64 (floats) or i64 (integers, bool). */
static LLVMValueRef widen(cg_t *cg, LLVMValueRef v, int dt) {
  return cgr_float_dtype(dt) ? cgr_to_f64(cg, v, dt) : cg_convert(cg, v, dt, INGOT_DT_INT64);
}

/* ---- ArgMax ------------------------------------------------------------------------------ */

/* int64 index of the maximum along axis; ties go to the first (or, with
 * select_last_index, the last) occurrence; NaN counts as the maximum. */
static ingot_status_t emit_argmax(cg_t *cg, cg_kernel_t *k) {
  const ingot_value_t *x = k->vin[0];
  int dt = x->type.dtype;
  bool fl = cgr_float_dtype(dt);
  if (!fl && !is_int(dt) && dt != INGOT_DT_BOOL)
    return cg_error(cg, k, INGOT_CODE_UNSUPPORTED, "ArgMax is not supported for dtype %s", ingot_dtype_name(dt));
  int64_t dims[INGOT_MAX_RANK];
  int r = cg_dims(x, dims);
  if (r == 0) dims[0] = 1, r = 1; /* a scalar behaves as shape [1] */
  int axis = 0;
  INGOT_RETURN_IF_ERROR(cgr_norm_axis(cg, k, ingot_node_attr_i(k->n, "axis", 0), r, &axis));
  bool last = ingot_node_attr_i(k->n, "select_last_index", 0) != 0;
  int64_t outer = 1, inner = 1, len = dims[axis];
  for (int d = 0; d < r; d++) {
    if (d < axis) outer *= dims[d];
    if (d > axis) inner *= dims[d];
  }
  if (outer * inner == 0) return INGOT_OK;
  if (len == 0) return cg_error(cg, k, INGOT_CODE_INPUT, "ArgMax over an empty axis");
  k->work = outer * inner;
  k->flops = (double)(outer * inner * len);
  k->bytes = (double)(outer * inner * len) * (double)ingot_dtype_size(dt) + 8.0 * (double)(outer * inner);
  cg_loop_t W;
  LLVMValueRef w = cg_loop_begin(cg, &W, k->begin, k->end, "w");
  LLVMValueRef base = w;
  if (inner > 1 && len > 1) {
    LLVMValueRef o = LLVMBuildUDiv(cg->b, w, cg_i64(cg, inner), ""), i = LLVMBuildURem(cg->b, w, cg_i64(cg, inner), "");
    base = cgr_add(cg, cgr_mul(cg, o, len * inner), i);
  } else if (len > 1) {
    base = cgr_mul(cg, w, len);
  }
  LLVMTypeRef ct = fl ? cg->t_f64 : cg->t_i64;
  int ldt = dt;
  LLVMValueRef bestv = cg_alloca(cg, ct, "bestv"), besti = cg_alloca(cg, cg->t_i64, "besti");
  LLVMBuildStore(cg->b, widen(cg, cg_load(cg, ldt, k->in[0], base), ldt), bestv);
  LLVMBuildStore(cg->b, cg_i64(cg, 0), besti);
  if (len > 1) {
    cg_loop_t L;
    LLVMValueRef j = cg_loop_begin(cg, &L, cg_i64(cg, 1), cg_i64(cg, len), "j");
    LLVMValueRef v = widen(cg, cg_load(cg, ldt, k->in[0], cgr_add(cg, base, cgr_mul(cg, j, inner))), ldt);
    LLVMValueRef b = ld(cg, ct, bestv), better;
    if (fl) {
      if (last) /* isnan(v) || v >= b (ordered) */
        better = LLVMBuildOr(cg->b, LLVMBuildFCmp(cg->b, LLVMRealUNO, v, v, ""),
                             LLVMBuildFCmp(cg->b, LLVMRealOGE, v, b, ""), "");
      else /* !isnan(b) && (isnan(v) || v > b) */
        better = LLVMBuildAnd(cg->b, LLVMBuildFCmp(cg->b, LLVMRealORD, b, b, ""),
                              LLVMBuildFCmp(cg->b, LLVMRealUGT, v, b, ""), "");
    } else {
      bool uns = is_unsigned(dt);
      better = LLVMBuildICmp(cg->b, last ? (uns ? LLVMIntUGE : LLVMIntSGE) : (uns ? LLVMIntUGT : LLVMIntSGT), v, b, "");
    }
    LLVMBuildStore(cg->b, LLVMBuildSelect(cg->b, better, v, b, ""), bestv);
    LLVMBuildStore(cg->b, LLVMBuildSelect(cg->b, better, j, ld(cg, cg->t_i64, besti), ""), besti);
    cg_loop_end(cg, &L);
  }
  cg_store(cg, INGOT_DT_INT64, k->out[0], w, ld(cg, cg->t_i64, besti));
  cg_loop_end(cg, &W);
  return INGOT_OK;
}

/* ---- CumSum -------------------------------------------------------------------------------- */

/* Each work item is one line along axis; floats accumulate in f64, integers
 * in wrapping i64 (k_reduce.c). */
ingot_status_t cg_emit_cumsum(cg_t *cg, cg_kernel_t *k) {
  const ingot_value_t *x = k->vin[0];
  int dt = x->type.dtype;
  bool fl = cgr_float_dtype(dt);
  if (!fl && !is_int(dt))
    return cg_error(cg, k, INGOT_CODE_UNSUPPORTED, "CumSum is not supported for dtype %s", ingot_dtype_name(dt));
  if (k->nin < 2 || !k->vin[1]) return cg_error(cg, k, INGOT_CODE_INPUT, "CumSum needs an axis input");
  int64_t av[2], na = 0;
  INGOT_RETURN_IF_ERROR(const_ints(cg, k, 1, "axis", av, 2, &na));
  if (na != 1) return cg_error(cg, k, INGOT_CODE_INPUT, "axis must be a scalar");
  int64_t dims[INGOT_MAX_RANK];
  int r = cg_dims(x, dims), axis = 0;
  if (r < 1) return cg_error(cg, k, INGOT_CODE_INPUT, "CumSum needs rank >= 1");
  INGOT_RETURN_IF_ERROR(cgr_norm_axis(cg, k, av[0], r, &axis));
  bool excl = ingot_node_attr_i(k->n, "exclusive", 0) != 0, rev = ingot_node_attr_i(k->n, "reverse", 0) != 0;
  int64_t outer = 1, inner = 1, len = dims[axis];
  for (int d = 0; d < r; d++) {
    if (d < axis) outer *= dims[d];
    if (d > axis) inner *= dims[d];
  }
  if (outer * inner * len == 0) return INGOT_OK;
  k->work = outer * inner;
  k->flops = (double)(outer * inner * len);
  k->bytes = 2.0 * k->flops * (double)ingot_dtype_size(dt);
  cg_loop_t W;
  LLVMValueRef w = cg_loop_begin(cg, &W, k->begin, k->end, "w");
  LLVMValueRef base = w;
  if (inner > 1) {
    LLVMValueRef o = LLVMBuildUDiv(cg->b, w, cg_i64(cg, inner), ""), i = LLVMBuildURem(cg->b, w, cg_i64(cg, inner), "");
    base = cgr_add(cg, cgr_mul(cg, o, len * inner), i);
  } else {
    base = cgr_mul(cg, w, len);
  }
  int cdt = fl ? INGOT_DT_DOUBLE : INGOT_DT_INT64;
  LLVMTypeRef ct = fl ? cg->t_f64 : cg->t_i64;
  LLVMValueRef acc = cg_alloca(cg, ct, "acc");
  LLVMBuildStore(cg->b, fl ? LLVMConstReal(ct, 0) : cg_i64(cg, 0), acc);
  cg_loop_t L;
  LLVMValueRef jj = cg_loop_begin(cg, &L, cg_i64(cg, 0), cg_i64(cg, len), "j");
  LLVMValueRef j = rev ? LLVMBuildSub(cg->b, cg_i64(cg, len - 1), jj, "") : jj;
  LLVMValueRef p = cgr_add(cg, base, cgr_mul(cg, j, inner));
  LLVMValueRef v = widen(cg, cg_load(cg, dt, k->in[0], p), dt);
  LLVMValueRef a = ld(cg, ct, acc);
  LLVMValueRef s = fl ? LLVMBuildFAdd(cg->b, a, v, "") : LLVMBuildAdd(cg->b, a, v, "");
  cg_store(cg, dt, k->out[0], p, fl ? cgr_from_f64(cg, excl ? a : s, dt) : cg_convert(cg, excl ? a : s, cdt, dt));
  LLVMBuildStore(cg->b, s, acc);
  cg_loop_end(cg, &L);
  cg_loop_end(cg, &W);
  return INGOT_OK;
}
