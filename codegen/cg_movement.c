/* Data-movement emitters, part 1: the shared loop nest and strided-copy
 * machinery (see cg_movement_impl.h), and the ops that are pure strided
 * copies: Reshape/Flatten/Squeeze/Unsqueeze (when the memory planner could
 * not make them views), Transpose, Concat, Split, Slice, Expand, Tile; plus
 * Trilu.  Gather, GatherElements, ScatterND, Pad and Resize live in
 * cg_movement_index.c.
 *
 * Every op here only moves elements, so every dtype works: elements are
 * loaded and stored as integers of their size (see mv_move_dtype), which
 * is bit exact.  Parameters that decide
 * the copy (Slice starts/ends/axes/steps, Split sizes, Trilu k) are read at
 * compile time and must be constant; the arithmetic on them mirrors the
 * evaluator (interp/k_movement.c) line for line so the two agree on every
 * corner (negative indices, clamping, negative steps, uneven splits).
 *
 * A copy is first simplified: size-1 dims are dropped and neighbouring dims
 * that are contiguous in both input and output are merged, so a Reshape is
 * one flat loop, a Concat along axis 0 a flat loop per input, and a
 * Transpose keeps only the dims it really permutes.  The innermost loop
 * walks the output contiguously. */
#include <llvm-c/DebugInfo.h>
#include <string.h>

#include "codegen/cg_movement_impl.h"
#include "interp/interp.h"

/* ---- small utilities ------------------------------------------------------------ */

/* Work items wanted before the nest stops taking more leading dims; and
 * the row length above which a lone row is cut into blocks. */
enum { MV_PAR = 128, MV_BLOCK_MIN = 4096, MV_BLOCK = 1024 };

int64_t mv_prod(const int64_t *dims, int from, int to) {
  int64_t p = 1;
  for (int d = from; d < to; d++) p *= dims[d];
  return p;
}

void mv_strides(int rank, const int64_t *dims, int64_t *strides) {
  int64_t s = 1;
  for (int d = rank - 1; d >= 0; d--) {
    strides[d] = s;
    s *= dims[d];
  }
}

int64_t mv_numel(const ingot_value_t *v) {
  int64_t n = 1;
  for (int d = 0; d < v->type.rank; d++) n *= v->type.dims[d].v;
  return n;
}

int64_t mv_opset(const cg_t *cg) { return cg->g->opset ? cg->g->opset : 20; }

bool mv_has(const cg_kernel_t *k, uint32_t i) { return i < k->nin && k->vin[i] != NULL; }

bool mv_has_nonempty(const cg_kernel_t *k, uint32_t i) { return mv_has(k, i) && mv_numel(k->vin[i]) > 0; }

LLVMValueRef mv_smin(cg_t *cg, LLVMValueRef a, LLVMValueRef b) {
  return LLVMBuildSelect(cg->b, LLVMBuildICmp(cg->b, LLVMIntSLT, a, b, ""), a, b, "");
}

LLVMValueRef mv_smax(cg_t *cg, LLVMValueRef a, LLVMValueRef b) {
  return LLVMBuildSelect(cg->b, LLVMBuildICmp(cg->b, LLVMIntSGT, a, b, ""), a, b, "");
}

void mv_segment(cg_t *cg, const cg_kernel_t *k, int64_t start, int64_t count, LLVMValueRef *lo, LLVMValueRef *hi) {
  LLVMValueRef s = cg_i64(cg, start);
  *lo = mv_smax(cg, LLVMBuildNSWSub(cg->b, k->begin, s, ""), cg_i64(cg, 0));
  *hi = mv_smin(cg, LLVMBuildNSWSub(cg->b, k->end, s, ""), cg_i64(cg, count));
}

LLVMValueRef mv_wrap_clamp(cg_t *cg, LLVMValueRef idx, int64_t dim) {
  LLVMValueRef zero = cg_i64(cg, 0);
  LLVMValueRef neg = LLVMBuildICmp(cg->b, LLVMIntSLT, idx, zero, "");
  LLVMValueRef w = LLVMBuildSelect(cg->b, neg, LLVMBuildAdd(cg->b, idx, cg_i64(cg, dim), ""), idx, "");
  return mv_smin(cg, mv_smax(cg, w, zero), cg_i64(cg, dim - 1));
}

LLVMValueRef mv_global(cg_t *cg, const void *data, size_t nbytes, int elem_dtype) {
  LLVMValueRef init = LLVMConstStringInContext(cg->ctx, (const char *)data, (unsigned)nbytes, 1);
  LLVMValueRef gv = LLVMAddGlobal(cg->mod, LLVMTypeOf(init), "");
  LLVMSetInitializer(gv, init);
  LLVMSetGlobalConstant(gv, 1);
  LLVMSetLinkage(gv, LLVMPrivateLinkage);
  LLVMSetUnnamedAddress(gv, LLVMGlobalUnnamedAddr);
  LLVMSetAlignment(gv, 64);
  return LLVMConstBitCast(gv, LLVMPointerType(cg_type(cg, elem_dtype), 0));
}

LLVMValueRef mv_const_bits(cg_t *cg, int dtype, const void *p) {
  size_t es = ingot_dtype_size(dtype);
  uint64_t bits = 0;
  memcpy(&bits, p, es); /* little-endian host and target (x86-64) */
  LLVMTypeRef it = LLVMIntTypeInContext(cg->ctx, (unsigned)(es * 8));
  LLVMValueRef c = LLVMConstInt(it, bits, 0);
  return ingot_dtype_is_float(dtype) ? LLVMConstBitCast(c, cg_type(cg, dtype)) : c;
}

ingot_status_t mv_const_ints(cg_t *cg, const cg_kernel_t *k, uint32_t i, const char *what, int64_t *vals,
                             int64_t cap, int64_t *count) {
  const ingot_value_t *v = k->vin[i];
  if (!v->data) return cg_error(cg, k, INGOT_CODE_UNSUPPORTED, "input '%s' must be constant", what);
  if (v->type.dtype != INGOT_DT_INT64 && v->type.dtype != INGOT_DT_INT32)
    return cg_error(cg, k, INGOT_CODE_INPUT, "input '%s' must be int64 (got %s)", what,
                    ingot_dtype_name(v->type.dtype));
  if (v->type.rank > 1)
    return cg_error(cg, k, INGOT_CODE_INPUT, "input '%s' must be 1-D (got rank %d)", what, v->type.rank);
  int64_t n = mv_numel(v);
  if (n > cap)
    return cg_error(cg, k, INGOT_CODE_INPUT, "input '%s' has %lld entries, more than the %lld expected", what,
                    (long long)n, (long long)cap);
  for (int64_t j = 0; j < n; j++)
    vals[j] = v->type.dtype == INGOT_DT_INT64 ? ((const int64_t *)v->data)[j] : ((const int32_t *)v->data)[j];
  *count = n;
  return INGOT_OK;
}

double mv_const_f64(const ingot_value_t *v, int64_t i) {
  int64_t dims[INGOT_MAX_RANK];
  int r = cg_dims(v, dims);
  ingot_tensor_t t = ingot_tensor_view(v->type.dtype, r, dims, v->data, v->nbytes);
  return ingot_tensor_get_f64(&t, i);
}

ingot_status_t mv_check_dims(cg_t *cg, const cg_kernel_t *k, uint32_t out, int rank, const int64_t *dims) {
  const ingot_value_t *v = k->vout[out];
  bool ok = v->type.rank == rank;
  for (int d = 0; ok && d < rank; d++) ok = v->type.dims[d].v == dims[d];
  if (ok) return INGOT_OK;
  return cg_error(cg, k, INGOT_CODE_INTERNAL, "output %u: computed shape disagrees with the inferred one", out);
}

ingot_status_t mv_axis(cg_t *cg, const cg_kernel_t *k, int64_t axis, int rank, const char *what, int *out) {
  if (axis < -rank || axis >= rank)
    return cg_error(cg, k, INGOT_CODE_INPUT, "%s %lld out of range for rank %d", what, (long long)axis, rank);
  *out = (int)(axis < 0 ? axis + rank : axis);
  return INGOT_OK;
}

/* ---- element types ------------------------------------------------------------ */

int mv_move_dtype(int dtype) {
  switch (dtype) {
    case INGOT_DT_FLOAT: return INGOT_DT_INT32;
    case INGOT_DT_DOUBLE: return INGOT_DT_INT64;
    case INGOT_DT_FLOAT16:
    case INGOT_DT_BFLOAT16: return INGOT_DT_INT16;
    default: return dtype;
  }
}

LLVMValueRef mv_cast(cg_t *cg, LLVMValueRef ptr, int dtype) {
  return LLVMBuildBitCast(cg->b, ptr, LLVMPointerType(cg_type(cg, dtype), 0), "");
}

/* float16 <-> float32 in integer and float32 operations.  LLVM lowers
 * half conversions to libcalls when the code is built for a CPU without
 * F16C (MCJIT's default), so these stay self-contained.  Exact, and equal to
 * the evaluator's ingot_f16_to_f32 / ingot_f32_to_f16 (NaN payloads too). */
static LLVMValueRef i32c(cg_t *cg, uint32_t v) { return LLVMConstInt(cg->t_i32, v, 0); }

static LLVMValueRef f16_to_f32(cg_t *cg, LLVMValueRef h) {
  LLVMBuilderRef b = cg->b;
  LLVMValueRef u = LLVMBuildZExt(b, h, cg->t_i32, "");
  LLVMValueRef sign = LLVMBuildShl(b, LLVMBuildAnd(b, u, i32c(cg, 0x8000), ""), i32c(cg, 16), "");
  LLVMValueRef em = LLVMBuildAnd(b, u, i32c(cg, 0x7fff), "");
  LLVMValueRef sh = LLVMBuildShl(b, em, i32c(cg, 13), "");
  /* normals and subnormals: rebias the exponent by a multiply with 2^112 (exact) */
  LLVMValueRef f = LLVMBuildFMul(b, LLVMBuildBitCast(b, sh, cg->t_f32, ""), LLVMConstReal(cg->t_f32, 0x1p112), "");
  LLVMValueRef fin = LLVMBuildBitCast(b, f, cg->t_i32, "");
  LLVMValueRef inf = LLVMBuildOr(b, sh, i32c(cg, 0x7f800000), "");
  LLVMValueRef big = LLVMBuildICmp(b, LLVMIntUGE, em, i32c(cg, 0x7c00), "");
  LLVMValueRef r = LLVMBuildOr(b, LLVMBuildSelect(b, big, inf, fin, ""), sign, "");
  return LLVMBuildBitCast(b, r, cg->t_f32, "");
}

/* Round to nearest even (F. Giesen's float_to_half_fast3_rtne). */
static LLVMValueRef f32_to_f16(cg_t *cg, LLVMValueRef v) {
  LLVMBuilderRef b = cg->b;
  LLVMValueRef u = LLVMBuildBitCast(b, v, cg->t_i32, "");
  LLVMValueRef sgn = LLVMBuildAnd(b, u, i32c(cg, 0x80000000u), "");
  LLVMValueRef x = LLVMBuildXor(b, u, sgn, "");
  /* NaN: quiet, keeping the top payload bits; overflow: infinity */
  LLVMValueRef nan = LLVMBuildOr(b, LLVMBuildLShr(b, LLVMBuildAnd(b, x, i32c(cg, 0x7fffff), ""), i32c(cg, 13), ""),
                                 i32c(cg, 0x7e00), "");
  LLVMValueRef infnan =
      LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntUGT, x, i32c(cg, 0x7f800000), ""), nan, i32c(cg, 0x7c00), "");
  /* subnormal results: let a float add align and round the mantissa */
  const uint32_t magic = ((127 - 15) + (23 - 10) + 1) << 23;
  LLVMValueRef mf = LLVMBuildBitCast(b, i32c(cg, magic), cg->t_f32, "");
  LLVMValueRef sum = LLVMBuildFAdd(b, LLVMBuildBitCast(b, x, cg->t_f32, ""), mf, "");
  LLVMValueRef sub = LLVMBuildSub(b, LLVMBuildBitCast(b, sum, cg->t_i32, ""), i32c(cg, magic), "");
  /* normal results: rebias, round half to even, shift */
  LLVMValueRef odd = LLVMBuildAnd(b, LLVMBuildLShr(b, x, i32c(cg, 13), ""), i32c(cg, 1), "");
  LLVMValueRef nrm = LLVMBuildAdd(b, x, i32c(cg, ((uint32_t)0 - (112u << 23)) + 0xfff), "");
  nrm = LLVMBuildLShr(b, LLVMBuildAdd(b, nrm, odd, ""), i32c(cg, 13), "");
  LLVMValueRef o = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntULT, x, i32c(cg, 0x38800000), ""), sub, nrm, "");
  o = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntUGE, x, i32c(cg, 0x47800000), ""), infnan, o, "");
  o = LLVMBuildOr(b, o, LLVMBuildLShr(b, sgn, i32c(cg, 16), ""), "");
  return LLVMBuildTrunc(b, o, cg->t_i16, "");
}

LLVMValueRef mv_bits_to_f32(cg_t *cg, int dtype, LLVMValueRef bits) {
  switch (dtype) {
    case INGOT_DT_FLOAT: return LLVMBuildBitCast(cg->b, bits, cg->t_f32, "");
    case INGOT_DT_FLOAT16: return f16_to_f32(cg, bits);
    default: { /* bfloat16: the high half of a float */
      LLVMValueRef u = LLVMBuildShl(cg->b, LLVMBuildZExt(cg->b, bits, cg->t_i32, ""), i32c(cg, 16), "");
      return LLVMBuildBitCast(cg->b, u, cg->t_f32, "");
    }
  }
}

LLVMValueRef mv_f32_to_bits(cg_t *cg, int dtype, LLVMValueRef v) {
  switch (dtype) {
    case INGOT_DT_FLOAT: return LLVMBuildBitCast(cg->b, v, cg->t_i32, "");
    case INGOT_DT_FLOAT16: return f32_to_f16(cg, v);
    default: {
      LLVMTypeRef i32 = cg->t_i32;
      LLVMValueRef u = LLVMBuildBitCast(cg->b, v, i32, "");
      LLVMValueRef hi = LLVMBuildLShr(cg->b, u, LLVMConstInt(i32, 16, 0), "");
      LLVMValueRef odd = LLVMBuildAnd(cg->b, hi, LLVMConstInt(i32, 1, 0), "");
      LLVMValueRef rnd = LLVMBuildAdd(cg->b, u, LLVMBuildAdd(cg->b, odd, LLVMConstInt(i32, 0x7fff, 0), ""), "");
      rnd = LLVMBuildLShr(cg->b, rnd, LLVMConstInt(i32, 16, 0), "");
      LLVMValueRef qnan = LLVMBuildOr(cg->b, hi, LLVMConstInt(i32, 0x40, 0), "");
      LLVMValueRef isnan = LLVMBuildFCmp(cg->b, LLVMRealUNO, v, v, "");
      return LLVMBuildTrunc(cg->b, LLVMBuildSelect(cg->b, isnan, qnan, rnd, ""), cg->t_i16, "");
    }
  }
}

LLVMValueRef mv_bits_to_f64(cg_t *cg, int dtype, LLVMValueRef bits) {
  if (dtype == INGOT_DT_DOUBLE) return LLVMBuildBitCast(cg->b, bits, cg->t_f64, "");
  return cg_convert(cg, bits, dtype, INGOT_DT_DOUBLE);
}

LLVMValueRef mv_f64_to_bits(cg_t *cg, int dtype, LLVMValueRef v) {
  if (dtype == INGOT_DT_DOUBLE) return LLVMBuildBitCast(cg->b, v, cg->t_i64, "");
  return cg_convert(cg, v, INGOT_DT_DOUBLE, dtype);
}

/* ---- loops over work items ------------------------------------------------------- */

/* cg_loop_end, then marks the back edge llvm.loop.vectorize.enable = false.
 * Work items are independent rows; once their small constant inner loops
 * are fully unrolled, the loop vectoriser would turn the item loop into
 * masked gathers and scatters across rows (slow code, and very slow to
 * compile).  Vectorising within a row (SLP, inner loops) is unaffected. */
void mv_loop_end_novec(cg_t *cg, cg_loop_t *L) {
  cg_loop_end(cg, L);
  /* the back edge: the latch is the induction phi's second incoming block */
  LLVMValueRef br = LLVMGetBasicBlockTerminator(LLVMGetIncomingBlock(L->iv, 1));
  /* a loop ID is a node whose first operand is itself */
  LLVMMetadataRef tmp = LLVMTemporaryMDNode(cg->ctx, NULL, 0);
  LLVMMetadataRef opt[2] = {LLVMMDStringInContext2(cg->ctx, "llvm.loop.vectorize.enable", 26),
                            LLVMValueAsMetadata(LLVMConstInt(cg->t_i1, 0, 0))};
  LLVMMetadataRef ops[2] = {tmp, LLVMMDNodeInContext2(cg->ctx, opt, 2)};
  LLVMMetadataRef id = LLVMMDNodeInContext2(cg->ctx, ops, 2);
  LLVMMetadataReplaceAllUsesWith(tmp, id);
  LLVMSetMetadata(br, LLVMGetMDKindIDInContext(cg->ctx, "llvm.loop", 9), LLVMMetadataAsValue(cg->ctx, id));
}

/* ---- the loop nest ---------------------------------------------------------------- */

void mv_nest_plan(mv_nest_t *N, int rank, const int64_t *dims) {
  memset(N, 0, sizeof *N);
  if (rank == 0) {
    N->rank = 1;
    N->dims[0] = 1;
  } else {
    N->rank = rank;
    memcpy(N->dims, dims, (size_t)rank * sizeof *dims);
  }
  int r = N->rank;
  if (mv_prod(N->dims, 0, r) == 0) {
    N->work = 0;
    N->nb = 1;
    N->bs = 0;
    return;
  }
  int64_t outer = 1;
  int p = 0;
  while (p < r - 1 && outer < MV_PAR) outer *= N->dims[p++];
  int64_t n = N->dims[r - 1];
  N->p = p;
  N->nb = 1;
  N->bs = n;
  if (outer < MV_PAR && n >= MV_BLOCK_MIN) {
    int64_t want = (MV_PAR + outer - 1) / outer;
    int64_t bs = (n + want - 1) / want;
    if (bs < MV_BLOCK) bs = MV_BLOCK;
    bs = (bs + 63) / 64 * 64;
    N->bs = bs;
    N->nb = (n + bs - 1) / bs;
  }
  N->work = outer * N->nb;
}

void mv_nest_emit(cg_t *cg, const mv_nest_t *N, LLVMValueRef lo, LLVMValueRef hi, mv_row_fn row, void *ctx) {
  if (N->work == 0) return;
  int r = N->rank;
  int64_t n = N->dims[r - 1];
  LLVMValueRef coords[MV_MAXL];
  cg_loop_t Lw, L[MV_MAXL];
  LLVMValueRef w = cg_loop_begin(cg, &Lw, lo, hi, "w");
  LLVMValueRef q = w, j0 = cg_i64(cg, 0), j1 = cg_i64(cg, n);
  if (N->nb > 1) {
    LLVMValueRef blk = LLVMBuildURem(cg->b, w, cg_i64(cg, N->nb), "");
    q = LLVMBuildUDiv(cg->b, w, cg_i64(cg, N->nb), "");
    j0 = LLVMBuildNSWMul(cg->b, blk, cg_i64(cg, N->bs), "");
    j1 = mv_smin(cg, LLVMBuildNSWAdd(cg->b, j0, cg_i64(cg, N->bs), ""), cg_i64(cg, n));
  }
  if (N->p > 0) cg_unflatten(cg, q, N->p, N->dims, coords);
  for (int d = N->p; d < r - 1; d++) coords[d] = cg_loop_begin(cg, &L[d], cg_i64(cg, 0), cg_i64(cg, N->dims[d]), "");
  row(cg, ctx, coords, j0, j1);
  for (int d = r - 2; d >= N->p; d--) cg_loop_end(cg, &L[d]);
  mv_loop_end_novec(cg, &Lw);
}

typedef struct {
  mv_elem_fn elem;
  void *ctx;
  int rank;
} elems_ctx_t;

static void elems_row(cg_t *cg, void *vctx, const LLVMValueRef *coords, LLVMValueRef j0, LLVMValueRef j1) {
  elems_ctx_t *e = vctx;
  LLVMValueRef c[MV_MAXL];
  memcpy(c, coords, (size_t)(e->rank - 1) * sizeof *c);
  cg_loop_t L;
  c[e->rank - 1] = cg_loop_begin(cg, &L, j0, j1, "j");
  e->elem(cg, e->ctx, c);
  cg_loop_end(cg, &L);
}

void mv_nest_emit_elems(cg_t *cg, const mv_nest_t *N, LLVMValueRef lo, LLVMValueRef hi, mv_elem_fn elem, void *ctx) {
  elems_ctx_t e = {elem, ctx, N->rank};
  mv_nest_emit(cg, N, lo, hi, elems_row, &e);
}

/* ---- strided copies ------------------------------------------------------------- */

/* Drops size-1 dims and merges a dim into the one outside it when both
 * strides say they are contiguous.  Leaves rank >= 1. */
static void copy_simplify(mv_copy_t *c) {
  int r = 0;
  for (int d = 0; d < c->rank; d++) {
    if (c->dims[d] == 1) continue;
    if (r > 0 && c->is[r - 1] == c->is[d] * c->dims[d] && c->os[r - 1] == c->os[d] * c->dims[d]) {
      c->dims[r - 1] *= c->dims[d];
      c->is[r - 1] = c->is[d];
      c->os[r - 1] = c->os[d];
      continue;
    }
    c->dims[r] = c->dims[d];
    c->is[r] = c->is[d];
    c->os[r] = c->os[d];
    r++;
  }
  if (r == 0) {
    c->dims[0] = 1;
    c->is[0] = c->os[0] = 0;
    r = 1;
  }
  c->rank = r;
}

typedef struct {
  const mv_copy_t *c;
  int dtype;
} copy_ctx_t;

static void copy_row(cg_t *cg, void *vctx, const LLVMValueRef *coords, LLVMValueRef j0, LLVMValueRef j1) {
  copy_ctx_t *x = vctx;
  const mv_copy_t *c = x->c;
  int r = c->rank;
  LLVMValueRef ib = LLVMBuildNSWAdd(cg->b, cg_i64(cg, c->ibase), cg_dot(cg, r - 1, (LLVMValueRef *)coords, c->is), "");
  LLVMValueRef ob = LLVMBuildNSWAdd(cg->b, cg_i64(cg, c->obase), cg_dot(cg, r - 1, (LLVMValueRef *)coords, c->os), "");
  cg_loop_t L;
  LLVMValueRef j = cg_loop_begin(cg, &L, j0, j1, "j");
  LLVMValueRef ii = LLVMBuildNSWAdd(cg->b, ib, cg_dot(cg, 1, &j, &c->is[r - 1]), "");
  LLVMValueRef oi = LLVMBuildNSWAdd(cg->b, ob, cg_dot(cg, 1, &j, &c->os[r - 1]), "");
  cg_store(cg, x->dtype, c->dst, oi, cg_load(cg, x->dtype, c->src, ii));
  cg_loop_end(cg, &L);
}

void mv_emit_copies(cg_t *cg, cg_kernel_t *k, int dtype, mv_copy_t *jobs, int njobs) {
  mv_nest_t nests[CG_MAX_IO];
  int64_t total = 0, elems = 0;
  int mdt = mv_move_dtype(dtype);
  for (int i = 0; i < njobs; i++) {
    jobs[i].src = mv_cast(cg, jobs[i].src, mdt);
    jobs[i].dst = mv_cast(cg, jobs[i].dst, mdt);
    copy_simplify(&jobs[i]);
    mv_nest_plan(&nests[i], jobs[i].rank, jobs[i].dims);
    total += nests[i].work;
    elems += mv_prod(jobs[i].dims, 0, jobs[i].rank) * (nests[i].work > 0);
  }
  k->work = total > 0 ? total : 1;
  k->bytes = 2.0 * (double)elems * (double)ingot_dtype_size(dtype);
  int64_t start = 0;
  for (int i = 0; i < njobs; i++) {
    if (nests[i].work == 0) continue;
    copy_ctx_t x = {&jobs[i], mdt};
    LLVMValueRef lo = k->begin, hi = k->end;
    if (nests[i].work != total) mv_segment(cg, k, start, nests[i].work, &lo, &hi);
    mv_nest_emit(cg, &nests[i], lo, hi, copy_row, &x);
    start += nests[i].work;
  }
}

/* A contiguous output: os = row-major strides of dims. */
static void copy_init(mv_copy_t *c, LLVMValueRef src, LLVMValueRef dst, int rank, const int64_t *dims) {
  memset(c, 0, sizeof *c);
  c->src = src;
  c->dst = dst;
  c->rank = rank;
  if (rank) memcpy(c->dims, dims, (size_t)rank * sizeof *dims);
  mv_strides(rank, dims, c->os);
}

/* ---- Reshape / Flatten / Squeeze / Unsqueeze ------------------------------------ */

ingot_status_t cg_emit_copy(cg_t *cg, cg_kernel_t *k) {
  if (!mv_has(k, 0) || !k->vout[0]) return cg_error(cg, k, INGOT_CODE_INPUT, "needs data");
  int64_t n = mv_numel(k->vout[0]);
  if (n != mv_numel(k->vin[0]))
    return cg_error(cg, k, INGOT_CODE_INTERNAL, "input and output element counts differ");
  mv_copy_t c;
  copy_init(&c, k->in[0], k->out[0], 1, &n);
  c.is[0] = 1;
  mv_emit_copies(cg, k, k->vout[0]->type.dtype, &c, 1);
  return INGOT_OK;
}

/* ---- Transpose ------------------------------------------------------------------ */

ingot_status_t cg_emit_transpose(cg_t *cg, cg_kernel_t *k) {
  const ingot_value_t *x = k->vin[0];
  int64_t xd[INGOT_MAX_RANK], xs[INGOT_MAX_RANK], perm[INGOT_MAX_RANK], od[INGOT_MAX_RANK];
  int r = cg_dims(x, xd);
  mv_strides(r, xd, xs);
  const int64_t *p;
  int64_t np = ingot_node_attr_ints(k->n, "perm", &p);
  if (np < 0) {
    for (int d = 0; d < r; d++) perm[d] = r - 1 - d;
  } else {
    if (np != r) return cg_error(cg, k, INGOT_CODE_INPUT, "perm has %lld entries for rank %d", (long long)np, r);
    bool seen[INGOT_MAX_RANK] = {false};
    for (int d = 0; d < r; d++) {
      if (p[d] < 0 || p[d] >= r || seen[p[d]])
        return cg_error(cg, k, INGOT_CODE_INPUT, "perm is not a permutation of 0..%d", r - 1);
      seen[p[d]] = true;
      perm[d] = p[d];
    }
  }
  for (int d = 0; d < r; d++) od[d] = xd[perm[d]];
  INGOT_RETURN_IF_ERROR(mv_check_dims(cg, k, 0, r, od));
  mv_copy_t c;
  copy_init(&c, k->in[0], k->out[0], r, od);
  for (int d = 0; d < r; d++) c.is[d] = xs[perm[d]];
  mv_emit_copies(cg, k, x->type.dtype, &c, 1);
  return INGOT_OK;
}

/* ---- Concat / Split --------------------------------------------------------------- */

ingot_status_t cg_emit_concat(cg_t *cg, cg_kernel_t *k) {
  const ingot_value_t *y = k->vout[0];
  int64_t od[INGOT_MAX_RANK];
  int r = cg_dims(y, od), axis = 0;
  if (r == 0) return cg_error(cg, k, INGOT_CODE_INPUT, "Concat of scalars (rank 0)");
  const ingot_attr_t *aa = ingot_node_attr(k->n, "axis");
  if (!aa || aa->type != INGOT_ATTR_INT) return cg_error(cg, k, INGOT_CODE_INPUT, "Concat needs an int 'axis'");
  INGOT_RETURN_IF_ERROR(mv_axis(cg, k, aa->i, r, "axis", &axis));
  int64_t outer = mv_prod(od, 0, axis), inner = mv_prod(od, axis + 1, r), total = od[axis], off = 0;
  mv_copy_t jobs[CG_MAX_IO];
  int nj = 0;
  for (uint32_t i = 0; i < k->nin; i++) {
    if (!mv_has(k, i)) return cg_error(cg, k, INGOT_CODE_INPUT, "Concat input %u is missing", i);
    const ingot_value_t *x = k->vin[i];
    if (x->type.rank != r || x->type.dtype != y->type.dtype)
      return cg_error(cg, k, INGOT_CODE_INPUT, "Concat input %u has another rank or dtype", i);
    int64_t a = x->type.dims[axis].v;
    int64_t dims[2] = {outer, a * inner};
    mv_copy_t *c = &jobs[nj++];
    copy_init(c, k->in[i], k->out[0], 2, dims);
    c->is[0] = a * inner;
    c->is[1] = 1;
    c->os[0] = total * inner;
    c->os[1] = 1;
    c->obase = off * inner;
    off += a;
  }
  if (off != total) return cg_error(cg, k, INGOT_CODE_INTERNAL, "Concat sizes disagree with the inferred shape");
  mv_emit_copies(cg, k, y->type.dtype, jobs, nj);
  return INGOT_OK;
}

/* Split sizes as the evaluator computes them (interp/k_movement.c). */
static ingot_status_t split_sizes(cg_t *cg, const cg_kernel_t *k, int64_t dim, int64_t *sizes) {
  uint32_t nout = k->nout;
  const int64_t *attr;
  int64_t nattr = ingot_node_attr_ints(k->n, "split", &attr);
  bool sp = mv_has(k, 1);
  if (sp || (nattr >= 0 && mv_opset(cg) < 13)) {
    int64_t cnt;
    if (sp) {
      if (k->vin[1]->type.rank != 1) return cg_error(cg, k, INGOT_CODE_INPUT, "input 'split' must be 1-D");
      INGOT_RETURN_IF_ERROR(mv_const_ints(cg, k, 1, "split", sizes, CG_MAX_IO, &cnt));
    } else {
      cnt = nattr;
      for (int64_t i = 0; i < cnt && i < (int64_t)nout; i++) sizes[i] = attr[i];
    }
    if (cnt != (int64_t)nout)
      return cg_error(cg, k, INGOT_CODE_INPUT, "'split' has %lld entries for %u outputs", (long long)cnt, nout);
    int64_t sum = 0;
    for (uint32_t i = 0; i < nout; i++) {
      if (sizes[i] < 0 || sizes[i] > dim - sum)
        return cg_error(cg, k, INGOT_CODE_INPUT, "'split' sizes are negative or exceed dim %lld", (long long)dim);
      sum += sizes[i];
    }
    if (sum != dim)
      return cg_error(cg, k, INGOT_CODE_INPUT, "'split' sizes add up to %lld, dim is %lld", (long long)sum,
                      (long long)dim);
    return INGOT_OK;
  }
  int64_t n = ingot_node_attr_i(k->n, "num_outputs", (int64_t)nout);
  if (n != (int64_t)nout)
    return cg_error(cg, k, INGOT_CODE_INPUT, "num_outputs is %lld but the node has %u outputs", (long long)n, nout);
  int64_t part = dim / n;
  if (dim % n) {
    if (mv_opset(cg) < 18)
      return cg_error(cg, k, INGOT_CODE_INPUT, "dim %lld does not split into %lld equal parts", (long long)dim,
                      (long long)n);
    part = dim / n + 1;
    if (part * (n - 1) > dim)
      return cg_error(cg, k, INGOT_CODE_INPUT, "dim %lld cannot be split into %lld parts", (long long)dim,
                      (long long)n);
  }
  for (uint32_t i = 0; i < nout; i++) sizes[i] = i + 1 < nout ? part : dim - part * (n - 1);
  return INGOT_OK;
}

ingot_status_t cg_emit_split(cg_t *cg, cg_kernel_t *k) {
  const ingot_value_t *x = k->vin[0];
  int64_t xd[INGOT_MAX_RANK], sizes[CG_MAX_IO];
  int r = cg_dims(x, xd), axis = 0;
  if (k->nout == 0) return cg_error(cg, k, INGOT_CODE_INPUT, "Split has no outputs");
  INGOT_RETURN_IF_ERROR(mv_axis(cg, k, ingot_node_attr_i(k->n, "axis", 0), r, "axis", &axis));
  INGOT_RETURN_IF_ERROR(split_sizes(cg, k, xd[axis], sizes));
  int64_t outer = mv_prod(xd, 0, axis), inner = mv_prod(xd, axis + 1, r), off = 0;
  mv_copy_t jobs[CG_MAX_IO];
  int nj = 0;
  for (uint32_t i = 0; i < k->nout; i++) {
    int64_t s = sizes[i];
    if (k->vout[i]) {
      int64_t od[INGOT_MAX_RANK];
      memcpy(od, xd, sizeof od);
      od[axis] = s;
      INGOT_RETURN_IF_ERROR(mv_check_dims(cg, k, i, r, od));
      int64_t dims[2] = {outer, s * inner};
      mv_copy_t *c = &jobs[nj++];
      copy_init(c, k->in[0], k->out[i], 2, dims);
      c->is[0] = xd[axis] * inner;
      c->is[1] = 1;
      c->ibase = off * inner;
    }
    off += s;
  }
  mv_emit_copies(cg, k, x->type.dtype, jobs, nj);
  return INGOT_OK;
}

/* ---- Slice ---------------------------------------------------------------------- */

/* Slice-13, exactly as the evaluator: per axis, negative starts/ends add the
 * dim, then starts clamp to [0, dim] ([0, dim-1] for negative steps) and
 * ends to [0, dim] ([-1, dim-1] for negative steps). */
ingot_status_t cg_emit_slice(cg_t *cg, cg_kernel_t *k) {
  const ingot_value_t *x = k->vin[0];
  if (!mv_has(k, 1) || !mv_has(k, 2)) return cg_error(cg, k, INGOT_CODE_INPUT, "Slice needs 'starts' and 'ends'");
  int64_t xd[INGOT_MAX_RANK], xs[INGOT_MAX_RANK];
  int r = cg_dims(x, xd);
  mv_strides(r, xd, xs);
  int64_t starts[INGOT_MAX_RANK], ends[INGOT_MAX_RANK], axes[INGOT_MAX_RANK], steps[INGOT_MAX_RANK], m, n;
  INGOT_RETURN_IF_ERROR(mv_const_ints(cg, k, 1, "starts", starts, r, &m));
  INGOT_RETURN_IF_ERROR(mv_const_ints(cg, k, 2, "ends", ends, r, &n));
  if (n != m) return cg_error(cg, k, INGOT_CODE_INPUT, "starts and ends differ in length");
  if (mv_has(k, 3)) {
    INGOT_RETURN_IF_ERROR(mv_const_ints(cg, k, 3, "axes", axes, r, &n));
    if (n != m) return cg_error(cg, k, INGOT_CODE_INPUT, "starts and axes differ in length");
  } else {
    for (int64_t i = 0; i < m; i++) axes[i] = i;
  }
  if (mv_has(k, 4)) {
    INGOT_RETURN_IF_ERROR(mv_const_ints(cg, k, 4, "steps", steps, r, &n));
    if (n != m) return cg_error(cg, k, INGOT_CODE_INPUT, "starts and steps differ in length");
  } else {
    for (int64_t i = 0; i < m; i++) steps[i] = 1;
  }
  int64_t dims[INGOT_MAX_RANK], stride[INGOT_MAX_RANK], base = 0;
  memcpy(dims, xd, sizeof dims);
  memcpy(stride, xs, sizeof stride);
  bool seen[INGOT_MAX_RANK] = {false};
  for (int64_t i = 0; i < m; i++) {
    int a = 0;
    INGOT_RETURN_IF_ERROR(mv_axis(cg, k, axes[i], r, "axes entry", &a));
    if (seen[a]) return cg_error(cg, k, INGOT_CODE_INPUT, "axis %lld repeated", (long long)axes[i]);
    seen[a] = true;
    int64_t dim = xd[a], step = steps[i], s = starts[i], e = ends[i];
    if (step == 0) return cg_error(cg, k, INGOT_CODE_INPUT, "steps[%lld] is 0", (long long)i);
    if (s < 0) s += dim;
    if (e < 0) e += dim;
    uint64_t cnt;
    if (step > 0) {
      s = s < 0 ? 0 : s > dim ? dim : s;
      e = e < 0 ? 0 : e > dim ? dim : e;
      cnt = e > s ? (uint64_t)(e - s - 1) / (uint64_t)step + 1 : 0;
    } else {
      s = s < 0 ? 0 : s > dim - 1 ? dim - 1 : s;
      e = e < -1 ? -1 : e > dim - 1 ? dim - 1 : e;
      cnt = s > e ? (uint64_t)(s - e - 1) / ((uint64_t)0 - (uint64_t)step) + 1 : 0;
    }
    if (dim == 0) cnt = 0;
    dims[a] = (int64_t)cnt;
    stride[a] = cnt > 1 ? xs[a] * step : 0; /* |step| < dim when cnt > 1: no overflow */
    if (cnt) base += s * xs[a];
  }
  INGOT_RETURN_IF_ERROR(mv_check_dims(cg, k, 0, r, dims));
  mv_copy_t c;
  copy_init(&c, k->in[0], k->out[0], r, dims);
  memcpy(c.is, stride, (size_t)r * sizeof *stride);
  c.ibase = base;
  mv_emit_copies(cg, k, x->type.dtype, &c, 1);
  return INGOT_OK;
}

/* ---- Expand / Tile ---------------------------------------------------------------- */

/* The output shape is static, so the 'shape' input need not be constant:
 * broadcast strides are 0 along expanded dims. */
ingot_status_t cg_emit_expand(cg_t *cg, cg_kernel_t *k) {
  const ingot_value_t *x = k->vin[0];
  int64_t xd[INGOT_MAX_RANK], xs[INGOT_MAX_RANK], od[INGOT_MAX_RANK];
  int xr = cg_dims(x, xd), r = cg_dims(k->vout[0], od);
  mv_strides(xr, xd, xs);
  if (r < xr) return cg_error(cg, k, INGOT_CODE_INTERNAL, "Expand output rank below the input's");
  mv_copy_t c;
  copy_init(&c, k->in[0], k->out[0], r, od);
  for (int d = 0; d < r; d++) {
    int xa = d - (r - xr);
    if (xa < 0 || xd[xa] == 1) c.is[d] = 0;
    else if (xd[xa] == od[d]) c.is[d] = xs[xa];
    else
      return cg_error(cg, k, INGOT_CODE_INPUT, "cannot expand dim %lld to %lld", (long long)xd[xa], (long long)od[d]);
  }
  mv_emit_copies(cg, k, x->type.dtype, &c, 1);
  return INGOT_OK;
}

/* Output dim d = x_d * rep_d is walked as two dims (rep_d, x_d): the copy
 * index ignores the first, so no modulo is needed.  Repeats follow from
 * the static shapes. */
ingot_status_t cg_emit_tile(cg_t *cg, cg_kernel_t *k) {
  const ingot_value_t *x = k->vin[0];
  int64_t xd[INGOT_MAX_RANK], xs[INGOT_MAX_RANK], od[INGOT_MAX_RANK], os[INGOT_MAX_RANK];
  int r = cg_dims(x, xd);
  if (cg_dims(k->vout[0], od) != r) return cg_error(cg, k, INGOT_CODE_INTERNAL, "Tile output rank differs");
  mv_strides(r, xd, xs);
  mv_strides(r, od, os);
  mv_copy_t c;
  memset(&c, 0, sizeof c);
  c.src = k->in[0];
  c.dst = k->out[0];
  c.rank = 2 * r;
  for (int d = 0; d < r; d++) {
    int64_t rep = xd[d] ? od[d] / xd[d] : 0;
    if (xd[d] && rep * xd[d] != od[d]) return cg_error(cg, k, INGOT_CODE_INTERNAL, "Tile output dim is no multiple");
    if (!xd[d] && od[d]) return cg_error(cg, k, INGOT_CODE_INPUT, "Tile of an empty dim");
    c.dims[2 * d] = rep;
    c.is[2 * d] = 0;
    c.os[2 * d] = xd[d] * os[d];
    c.dims[2 * d + 1] = xd[d];
    c.is[2 * d + 1] = xs[d];
    c.os[2 * d + 1] = os[d];
  }
  mv_emit_copies(cg, k, x->type.dtype, &c, 1);
  return INGOT_OK;
}

/* ---- Trilu ---------------------------------------------------------------------- */

typedef struct {
  LLVMValueRef src, dst;
  int dtype; /* the move type */
  int64_t rows, cols, diag;
  bool upper;
} trilu_ctx_t;

void mv_fill(cg_t *cg, int dtype, LLVMValueRef dst, LLVMValueRef base, LLVMValueRef a, LLVMValueRef b,
             LLVMValueRef v) {
  cg_loop_t L;
  LLVMValueRef j = cg_loop_begin(cg, &L, a, b, "f");
  cg_store(cg, dtype, dst, LLVMBuildNSWAdd(cg->b, base, j, ""), v);
  cg_loop_end(cg, &L);
}

static void copy_range(cg_t *cg, int dtype, LLVMValueRef dst, LLVMValueRef dbase, LLVMValueRef src,
                       LLVMValueRef sbase, LLVMValueRef a, LLVMValueRef b) {
  cg_loop_t L;
  LLVMValueRef j = cg_loop_begin(cg, &L, a, b, "c");
  cg_store(cg, dtype, dst, LLVMBuildNSWAdd(cg->b, dbase, j, ""),
           cg_load(cg, dtype, src, LLVMBuildNSWAdd(cg->b, sbase, j, "")));
  cg_loop_end(cg, &L);
}

/* Row i keeps columns j with j - i >= diag (upper) or j - i <= diag
 * (lower): one boundary t per row splits it into a zero part and a copy. */
static void trilu_row(cg_t *cg, void *vctx, const LLVMValueRef *coords, LLVMValueRef j0, LLVMValueRef j1) {
  trilu_ctx_t *t = vctx;
  LLVMValueRef base = LLVMBuildNSWMul(
      cg->b, LLVMBuildNSWAdd(cg->b, LLVMBuildNSWMul(cg->b, coords[0], cg_i64(cg, t->rows), ""), coords[1], ""),
      cg_i64(cg, t->cols), "");
  LLVMValueRef bound = LLVMBuildNSWAdd(cg->b, coords[1], cg_i64(cg, t->upper ? t->diag : t->diag + 1), "");
  LLVMValueRef mid = mv_smin(cg, mv_smax(cg, bound, j0), j1);
  LLVMValueRef zero = LLVMConstNull(cg_type(cg, t->dtype));
  if (t->upper) {
    mv_fill(cg, t->dtype, t->dst, base, j0, mid, zero);
    copy_range(cg, t->dtype, t->dst, base, t->src, base, mid, j1);
  } else {
    copy_range(cg, t->dtype, t->dst, base, t->src, base, j0, mid);
    mv_fill(cg, t->dtype, t->dst, base, mid, j1, zero);
  }
}

ingot_status_t cg_emit_trilu(cg_t *cg, cg_kernel_t *k) {
  const ingot_value_t *x = k->vin[0];
  int64_t xd[INGOT_MAX_RANK];
  int r = cg_dims(x, xd);
  if (r < 2) return cg_error(cg, k, INGOT_CODE_INPUT, "Trilu needs rank >= 2 (got %d)", r);
  int64_t diag = 0;
  if (mv_has(k, 1)) {
    int64_t v[1], n;
    if (mv_numel(k->vin[1]) != 1) return cg_error(cg, k, INGOT_CODE_INPUT, "Trilu 'k' must be an int64 scalar");
    INGOT_RETURN_IF_ERROR(mv_const_ints(cg, k, 1, "k", v, 1, &n));
    diag = v[0];
  }
  int mdt = mv_move_dtype(x->type.dtype);
  trilu_ctx_t t = {mv_cast(cg, k->in[0], mdt), mv_cast(cg, k->out[0], mdt), mdt, xd[r - 2], xd[r - 1], diag,
                   ingot_node_attr_i(k->n, "upper", 1) != 0};
  /* beyond +-(rows + cols) every row is all kept or all zero: clamp so the
   * row arithmetic cannot overflow */
  int64_t lim = t.rows + t.cols + 1;
  if (t.diag > lim) t.diag = lim;
  if (t.diag < -lim) t.diag = -lim;
  int64_t dims[3] = {mv_prod(xd, 0, r - 2), t.rows, t.cols};
  mv_nest_t N;
  mv_nest_plan(&N, 3, dims);
  k->work = N.work ? N.work : 1;
  k->bytes = 2.0 * (double)mv_prod(dims, 0, 3) * (double)ingot_dtype_size(x->type.dtype);
  mv_nest_emit(cg, &N, k->begin, k->end, trilu_row, &t);
  return INGOT_OK;
}
