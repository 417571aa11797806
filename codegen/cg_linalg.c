/* Linear algebra emitters: MatMul, Gemm, Einsum (Conv and ConvTranspose live
 * in cg_linalg_conv.c).
 *
 * These are the hot kernels of DiT / MMDiT / UNet models.  float32 MatMul
 * and Gemm go to the tiled GEMM kernel (codegen/cg_gemm.c) whenever it
 * applies: float32 output, K >= 1, and B either a constant (packed at compile
 * time) or read with contiguous rows.  The rest (other dtypes, Gemm with a
 * transposed activation B, empty K) uses plain loops, arranged so that
 * LLVM's loop vectoriser can do the heavy lifting:
 *
 *   - MatMul and Gemm (non-transposed B) use the i-k-j order: the parallel
 *     items are output rows (batch * M); for each row the accumulator row is
 *     zeroed, then for every k the scalar A[i,k] is broadcast and
 *     multiply-added into the contiguous row of B, so the innermost loop is
 *     a unit-stride axpy over j that vectorises without reassociation.
 *   - Gemm with transB reads B's rows contiguously instead: one dot product
 *     over k per output element.
 *   - Einsum evaluates the definition (for every output index, sum over the
 *     contracted labels of the product of the operands) with the loop nest
 *     chosen as for MatMul when the last output label is contiguous in an
 *     operand (so 'bij,bjk->bik' becomes an i-k-j MatMul), and as a scalar
 *     dot product per output element otherwise.  With no contracted labels
 *     it is a copy (one operand: a permutation such as 'nhwpqc->nchpwq') or
 *     an elementwise product.
 *
 * Accumulation happens in f32 for float32/float16/bfloat16 (f64 for
 * double), matching the evaluator (which accumulates in double) to within
 * float rounding.  Integer MatMul/Einsum accumulate in the element's own
 * width with wrapping arithmetic: arithmetic mod 2^w is a ring homomorphism
 * of arithmetic mod 2^64, so this gives exactly the bits of the evaluator's
 * int64 accumulation truncated to w.  Integer Gemm follows the evaluator and
 * computes in double.  A row accumulates in a buffer on the stack (which
 * LLVM knows aliases no operand, so short fully unrolled rows still
 * vectorise), converted and stored once per row; rows too long for the
 * stack accumulate in the output itself when it is stored in the
 * accumulation type. */
#include <string.h>

#include "codegen/cg.h"
#include "codegen/cg_gemm.h"

/* Largest row accumulator put on a worker's stack (bytes). */
#define ROWBUF_BYTES 65536

static bool is_int_dtype(int dt) {
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

static bool is_float_dtype(int dt) {
  return dt == INGOT_DT_FLOAT || dt == INGOT_DT_DOUBLE || dt == INGOT_DT_FLOAT16 || dt == INGOT_DT_BFLOAT16;
}

/* The type products are accumulated in (see the essay above). */
static int acc_dtype(int dt) {
  if (dt == INGOT_DT_DOUBLE) return INGOT_DT_DOUBLE;
  if (is_float_dtype(dt)) return INGOT_DT_FLOAT;
  return dt;
}

static LLVMValueRef ld(cg_t *cg, int dt, int acc, LLVMValueRef base, LLVMValueRef idx) {
  return cg_convert(cg, cg_load(cg, dt, base, idx), dt, acc);
}

static void st(cg_t *cg, int dt, int acc, LLVMValueRef base, LLVMValueRef idx, LLVMValueRef v) {
  cg_store(cg, dt, base, idx, cg_convert(cg, v, acc, dt));
}

static LLVMValueRef add(cg_t *cg, int acc, LLVMValueRef a, LLVMValueRef b) {
  return is_float_dtype(acc) ? LLVMBuildFAdd(cg->b, a, b, "") : LLVMBuildAdd(cg->b, a, b, "");
}

static LLVMValueRef mul(cg_t *cg, int acc, LLVMValueRef a, LLVMValueRef b) {
  return is_float_dtype(acc) ? LLVMBuildFMul(cg->b, a, b, "") : LLVMBuildMul(cg->b, a, b, "");
}

/* a * b + c; floats through llvm.fmuladd so the backend may fuse it. */
static LLVMValueRef madd(cg_t *cg, int acc, LLVMValueRef a, LLVMValueRef b, LLVMValueRef c) {
  if (is_float_dtype(acc)) {
    LLVMValueRef args[3] = {a, b, c};
    return cg_intrinsic(cg, "llvm.fmuladd", cg_type(cg, acc), args, 3);
  }
  return LLVMBuildAdd(cg->b, LLVMBuildMul(cg->b, a, b, ""), c, "");
}

static LLVMValueRef mul_i64(cg_t *cg, LLVMValueRef a, int64_t c) {
  if (c == 0) return cg_i64(cg, 0);
  if (c == 1) return a;
  return LLVMBuildNSWMul(cg->b, a, cg_i64(cg, c), "");
}

static LLVMValueRef add_i64(cg_t *cg, LLVMValueRef a, LLVMValueRef b) { return LLVMBuildNSWAdd(cg->b, a, b, ""); }

/* The accumulator for output rows of n elements: a row on the stack (element
 * pointer) when it fits, so LLVM knows the accumulator aliases no operand
 * (it vectorises fully unrolled short rows without runtime alias checks);
 * else NULL, and the output row itself accumulates -- possible only when
 * the output is stored in the accumulation type (*err set otherwise). */
static LLVMValueRef row_buffer(cg_t *cg, cg_kernel_t *k, int dt, int acc, int64_t n, ingot_status_t *err) {
  *err = INGOT_OK;
  if (n * (int64_t)ingot_dtype_size(acc) > ROWBUF_BYTES) {
    if (acc != dt)
      *err = cg_error(cg, k, INGOT_CODE_UNSUPPORTED, "output rows of %lld elements are too long for the %s accumulator",
                      (long long)n, ingot_dtype_name(acc));
    return NULL;
  }
  LLVMTypeRef et = cg_type(cg, acc);
  LLVMValueRef a = cg_alloca(cg, LLVMArrayType(et, (unsigned)(n > 0 ? n : 1)), "rowacc");
  return LLVMBuildBitCast(cg->b, a, LLVMPointerType(et, 0), "");
}

/* row[off + j] = 0 for j in [0, n). */
static void zero_row(cg_t *cg, int acc, LLVMValueRef row, LLVMValueRef off, int64_t n) {
  cg_loop_t L;
  LLVMValueRef j = cg_loop_begin(cg, &L, cg_i64(cg, 0), cg_i64(cg, n), "z");
  cg_store(cg, acc, row, add_i64(cg, off, j), cg_const(cg, acc, 0));
  cg_loop_end(cg, &L);
}

/* y[yoff + j] = row[j] converted, j in [0, n). */
static void flush_row(cg_t *cg, int dt, int acc, LLVMValueRef y, LLVMValueRef yoff, LLVMValueRef row, int64_t n) {
  cg_loop_t L;
  LLVMValueRef j = cg_loop_begin(cg, &L, cg_i64(cg, 0), cg_i64(cg, n), "f");
  st(cg, dt, acc, y, add_i64(cg, yoff, j), cg_load(cg, acc, row, j));
  cg_loop_end(cg, &L);
}

/* Stores an accumulated MatMul/Gemm value at flat index idx: through the
 * fused epilogue (cg_store_out, float outputs) when there is one. */
static void store_acc(cg_t *cg, cg_kernel_t *k, int dt, int acc, LLVMValueRef y, LLVMValueRef idx, LLVMValueRef v) {
  if (k->fusion)
    cg_store_out(cg, k, idx, cg_convert(cg, v, acc, INGOT_DT_FLOAT));
  else
    st(cg, dt, acc, y, idx, v);
}

/* flush_row for an op that may carry an epilogue; row NULL: the sums are
 * already in y (in the accumulation type), and only the epilogue remains. */
static void flush_row_out(cg_t *cg, cg_kernel_t *k, int dt, int acc, LLVMValueRef y, LLVMValueRef yoff,
                          LLVMValueRef row, int64_t n) {
  if (!row && !k->fusion) return;
  cg_loop_t L;
  LLVMValueRef j = cg_loop_begin(cg, &L, cg_i64(cg, 0), cg_i64(cg, n), "f");
  LLVMValueRef yi = add_i64(cg, yoff, j);
  store_acc(cg, k, dt, acc, y, yi, row ? cg_load(cg, acc, row, j) : cg_load(cg, acc, y, yi));
  cg_loop_end(cg, &L);
}

static int64_t numel(const int64_t *dims, int rank) {
  int64_t n = 1;
  for (int d = 0; d < rank; d++) n *= dims[d];
  return n;
}

static ingot_status_t check_out(cg_t *cg, cg_kernel_t *k, int dt, int rank, const int64_t *dims) {
  const ingot_value_t *vy = k->vout[0];
  if (!vy) return cg_error(cg, k, INGOT_CODE_INPUT, "the output is omitted");
  int64_t yd[INGOT_MAX_RANK];
  int ry = cg_dims(vy, yd);
  if (k->fusion) { /* a fused node's output is the epilogue's: any view of the anchor's, any float type */
    if (numel(yd, ry) != numel(dims, rank) || !ingot_dtype_is_float(vy->type.dtype))
      return cg_error(cg, k, INGOT_CODE_INTERNAL, "the fused output (%s, %lld elements) does not match the product",
                      ingot_dtype_name(vy->type.dtype), (long long)numel(yd, ry));
    return INGOT_OK;
  }
  bool same = ry == rank && vy->type.dtype == dt;
  for (int d = 0; same && d < rank; d++) same = yd[d] == dims[d];
  if (!same)
    return cg_error(cg, k, INGOT_CODE_INTERNAL, "the output's static type (%s, rank %d) disagrees with the operands",
                    ingot_dtype_name(vy->type.dtype), ry);
  return INGOT_OK;
}

/* ---- MatMul ------------------------------------------------------------------------ */

/* numpy.matmul: 1-D operands are promoted ([K] -> [1,K] on the left, [K,1]
 * on the right, the added dim dropped from the result); batch dims
 * broadcast. */
ingot_status_t cg_emit_matmul(cg_t *cg, cg_kernel_t *k) {
  const ingot_value_t *va = k->vin[0], *vb = k->vin[1];
  if (k->nin < 2 || !va || !vb) return cg_error(cg, k, INGOT_CODE_INPUT, "MatMul expects A and B");
  int dt = va->type.dtype;
  if (vb->type.dtype != dt)
    return cg_error(cg, k, INGOT_CODE_INPUT, "input dtypes differ: %s vs %s", ingot_dtype_name(dt),
                    ingot_dtype_name(vb->type.dtype));
  if (!is_float_dtype(dt) && !is_int_dtype(dt))
    return cg_error(cg, k, INGOT_CODE_UNSUPPORTED, "MatMul is not supported for dtype %s", ingot_dtype_name(dt));
  int64_t ad[INGOT_MAX_RANK], bdm[INGOT_MAX_RANK];
  int ra = cg_dims(va, ad), rb = cg_dims(vb, bdm);
  if (ra < 1 || rb < 1) return cg_error(cg, k, INGOT_CODE_INPUT, "MatMul operands must have rank >= 1");
  int64_t M = ra >= 2 ? ad[ra - 2] : 1, K = ad[ra - 1];
  int64_t Kb = rb >= 2 ? bdm[rb - 2] : bdm[0], N = rb >= 2 ? bdm[rb - 1] : 1;
  if (K != Kb)
    return cg_error(cg, k, INGOT_CODE_INPUT, "inner dimensions differ: A has %lld columns, B has %lld rows",
                    (long long)K, (long long)Kb);
  int abr = ra > 2 ? ra - 2 : 0, bbr = rb > 2 ? rb - 2 : 0, br = abr > bbr ? abr : bbr;
  int64_t bd[INGOT_MAX_RANK], ast[INGOT_MAX_RANK], bst[INGOT_MAX_RANK];
  int64_t sa = 1, sb = 1;
  for (int d = br - 1; d >= 0; d--) {
    int64_t da = d >= br - abr ? ad[d - (br - abr)] : 1;
    int64_t db = d >= br - bbr ? bdm[d - (br - bbr)] : 1;
    if (da != db && da != 1 && db != 1)
      return cg_error(cg, k, INGOT_CODE_INPUT, "cannot broadcast batch dim %lld against %lld", (long long)da,
                      (long long)db);
    bd[d] = da == 1 ? db : da;
    ast[d] = da == 1 ? 0 : sa; /* batch strides in matrices, 0 on broadcast axes */
    bst[d] = db == 1 ? 0 : sb;
    sa *= da;
    sb *= db;
  }
  int64_t yd[INGOT_MAX_RANK];
  int ry = 0;
  for (int d = 0; d < br; d++) yd[ry++] = bd[d];
  if (ra >= 2) yd[ry++] = M;
  if (rb >= 2) yd[ry++] = N;
  INGOT_RETURN_IF_ERROR(check_out(cg, k, dt, ry, yd));
  int64_t nb = numel(bd, br);
  size_t es = ingot_dtype_size(dt);
  k->flops = 2.0 * (double)nb * (double)M * (double)N * (double)K;
  k->bytes = (double)(numel(ad, ra) + numel(bdm, rb) + nb * M * N) * (double)es;
  if (nb * M * N == 0) return INGOT_OK; /* empty result: nothing to write */
  if (dt == INGOT_DT_FLOAT) {
    cg_gemm_t gm;
    memset(&gm, 0, sizeof gm);
    gm.M = M, gm.N = N, gm.K = K;
    gm.a_rs = K, gm.a_cs = 1, gm.b_rs = N, gm.b_cs = 1;
    gm.alpha = gm.beta = 1.0f;
    gm.A = k->in[0], gm.B = k->in[1];
    if (vb->data) {
      gm.b_const = vb->data;
      gm.b_mats = numel(bdm, rb) / (K * N);
    }
    if (sa == nb && sb == 1) {
      gm.M = nb * M; /* one B for every batch, A's rows consecutive: a single [nb*M, K] x [K, N] product */
    } else {
      gm.nbatch = br;
      for (int d = 0; d < br; d++) {
        gm.bdims[d] = bd[d];
        gm.a_bst[d] = ast[d] * M * K;
        gm.b_bst[d] = bst[d] * K * N;
      }
    }
    if (cg_gemm_supported(cg, k, &gm)) return cg_gemm_emit(cg, k, &gm);
  }
  if (vb->data && cg_gemm_packs_only(cg->g, k->n->inputs[1]))
    return cg_error(cg, k, INGOT_CODE_INTERNAL, "B was left out of the weights for a packed copy that was not made");
  k->work = nb * M;

  int acc = acc_dtype(dt);
  LLVMValueRef buf = NULL;
  ingot_status_t err;
  buf = row_buffer(cg, k, dt, acc, N, &err);
  if (err) return err;
  LLVMValueRef A = k->in[0], B = k->in[1], Y = k->out[0];
  cg_loop_t Lr;
  LLVMValueRef r = cg_loop_begin(cg, &Lr, k->begin, k->end, "row");
  LLVMValueRef bi = M == 1 ? r : LLVMBuildUDiv(cg->b, r, cg_i64(cg, M), "");
  LLVMValueRef i = M == 1 ? cg_i64(cg, 0) : LLVMBuildURem(cg->b, r, cg_i64(cg, M), "");
  LLVMValueRef coords[INGOT_MAX_RANK] = {NULL};
  bool need_coords = (abr > 0 && sa != nb) || (bbr > 0 && sb != nb);
  if (need_coords) cg_unflatten(cg, bi, br, bd, coords);
  LLVMValueRef aoff, boff;
  if (sa == nb)
    aoff = mul_i64(cg, r, K); /* A holds every batch: rows are consecutive */
  else
    aoff = add_i64(cg, mul_i64(cg, cg_dot(cg, br, coords, ast), M * K), mul_i64(cg, i, K));
  if (sb == nb)
    boff = mul_i64(cg, bi, K * N);
  else
    boff = mul_i64(cg, cg_dot(cg, br, coords, bst), K * N);
  LLVMValueRef yoff = mul_i64(cg, r, N);
  LLVMValueRef row = buf ? buf : Y, roff = buf ? cg_i64(cg, 0) : yoff;

  zero_row(cg, acc, row, roff, N);
  cg_loop_t Lk, Lj;
  LLVMValueRef kk = cg_loop_begin(cg, &Lk, cg_i64(cg, 0), cg_i64(cg, K), "k");
  LLVMValueRef av = ld(cg, dt, acc, A, add_i64(cg, aoff, kk));
  LLVMValueRef bk = add_i64(cg, boff, mul_i64(cg, kk, N));
  LLVMValueRef j = cg_loop_begin(cg, &Lj, cg_i64(cg, 0), cg_i64(cg, N), "j");
  LLVMValueRef ri = add_i64(cg, roff, j);
  LLVMValueRef bv = ld(cg, dt, acc, B, add_i64(cg, bk, j));
  cg_store(cg, acc, row, ri, madd(cg, acc, av, bv, cg_load(cg, acc, row, ri)));
  cg_loop_end(cg, &Lj);
  cg_loop_end(cg, &Lk);
  flush_row_out(cg, k, dt, acc, Y, yoff, buf, N);
  cg_loop_end(cg, &Lr);
  return INGOT_OK;
}

/* ---- Gemm -------------------------------------------------------------------------- */

/* Y = alpha * A' * B' + beta * C with A' = transA ? A^T : A (likewise B'), C
 * unidirectionally broadcast to [M, N].  Integers compute in double like the
 * evaluator, then convert (saturating to int64, wrapping to the width). */
ingot_status_t cg_emit_gemm(cg_t *cg, cg_kernel_t *k) {
  const ingot_value_t *va = k->vin[0], *vb = k->vin[1], *vc = k->nin > 2 ? k->vin[2] : NULL;
  if (k->nin < 2 || !va || !vb) return cg_error(cg, k, INGOT_CODE_INPUT, "Gemm expects A and B");
  int dt = va->type.dtype;
  if (vb->type.dtype != dt || (vc && vc->type.dtype != dt))
    return cg_error(cg, k, INGOT_CODE_INPUT, "input dtypes differ");
  if (!is_float_dtype(dt) && !is_int_dtype(dt))
    return cg_error(cg, k, INGOT_CODE_UNSUPPORTED, "Gemm is not supported for dtype %s", ingot_dtype_name(dt));
  int64_t ad[INGOT_MAX_RANK], bdm[INGOT_MAX_RANK], cd[INGOT_MAX_RANK];
  if (cg_dims(va, ad) != 2 || cg_dims(vb, bdm) != 2)
    return cg_error(cg, k, INGOT_CODE_INPUT, "Gemm operands must be 2-D, got ranks %d and %d", va->type.rank,
                    vb->type.rank);
  bool ta = ingot_node_attr_i(k->n, "transA", 0) != 0, tb = ingot_node_attr_i(k->n, "transB", 0) != 0;
  float alpha = ingot_node_attr_f(k->n, "alpha", 1.0f), beta = ingot_node_attr_f(k->n, "beta", 1.0f);
  int64_t M = ta ? ad[1] : ad[0], K = ta ? ad[0] : ad[1];
  int64_t Kb = tb ? bdm[1] : bdm[0], N = tb ? bdm[0] : bdm[1];
  if (K != Kb)
    return cg_error(cg, k, INGOT_CODE_INPUT, "inner dimensions differ: A' has %lld columns, B' has %lld rows",
                    (long long)K, (long long)Kb);
  int64_t yd[2] = {M, N}, cst[2] = {0, 0};
  if (vc) {
    int rc = cg_dims(vc, cd);
    if (rc > 2) return cg_error(cg, k, INGOT_CODE_INPUT, "C must have rank <= 2, got %d", rc);
    int64_t s = 1;
    for (int d = rc - 1; d >= 0; d--) {
      int64_t want = yd[2 - rc + d];
      if (cd[d] != want && cd[d] != 1)
        return cg_error(cg, k, INGOT_CODE_INPUT, "C dim %lld cannot broadcast to %lld", (long long)cd[d],
                        (long long)want);
      cst[2 - rc + d] = cd[d] == 1 ? 0 : s;
      s *= cd[d];
    }
  }
  INGOT_RETURN_IF_ERROR(check_out(cg, k, dt, 2, yd));
  size_t es = ingot_dtype_size(dt);
  k->flops = 2.0 * (double)M * (double)N * (double)K;
  k->bytes = (double)(M * K + K * N + M * N + (vc ? numel(cd, vc->type.rank) : 0)) * (double)es;
  if (M * N == 0) return INGOT_OK;
  if (dt == INGOT_DT_FLOAT) {
    cg_gemm_t gm;
    memset(&gm, 0, sizeof gm);
    gm.M = M, gm.N = N, gm.K = K;
    gm.a_rs = ta ? 1 : K, gm.a_cs = ta ? M : 1;
    gm.b_rs = tb ? 1 : N, gm.b_cs = tb ? K : 1;
    gm.alpha = alpha, gm.beta = beta;
    gm.A = k->in[0], gm.B = k->in[1];
    if (vb->data) {
      gm.b_const = vb->data;
      gm.b_mats = 1;
    }
    if (vc) {
      gm.has_c = true;
      gm.c_rs = cst[0], gm.c_cs = cst[1];
      gm.C = k->in[2];
    }
    if (cg_gemm_supported(cg, k, &gm)) return cg_gemm_emit(cg, k, &gm);
  }
  if (vb->data && cg_gemm_packs_only(cg->g, k->n->inputs[1]))
    return cg_error(cg, k, INGOT_CODE_INTERNAL, "B was left out of the weights for a packed copy that was not made");
  k->work = M;

  int acc = is_int_dtype(dt) ? INGOT_DT_DOUBLE : acc_dtype(dt);
  LLVMValueRef buf = NULL, var = NULL;
  if (!tb) {
    ingot_status_t err;
    buf = row_buffer(cg, k, dt, acc, N, &err);
    if (err) return err;
  }
  if (tb) var = cg_alloca(cg, cg_type(cg, acc), "dot");
  LLVMValueRef A = k->in[0], B = k->in[1], C = vc ? k->in[2] : NULL, Y = k->out[0];
  LLVMValueRef alpha_v = cg_const(cg, acc, alpha), beta_v = cg_const(cg, acc, beta);

  cg_loop_t Lr, Lk, Lj;
  LLVMValueRef i = cg_loop_begin(cg, &Lr, k->begin, k->end, "row");
  LLVMValueRef yoff = mul_i64(cg, i, N);
  /* A'[i, kk] */
#define A_AT(kk) ld(cg, dt, acc, A, ta ? add_i64(cg, mul_i64(cg, (kk), M), i) : add_i64(cg, mul_i64(cg, i, K), (kk)))
  LLVMValueRef row = NULL, roff = NULL;
  if (!tb) {
    row = buf ? buf : Y;
    roff = buf ? cg_i64(cg, 0) : yoff;
    zero_row(cg, acc, row, roff, N);
    LLVMValueRef kk = cg_loop_begin(cg, &Lk, cg_i64(cg, 0), cg_i64(cg, K), "k");
    LLVMValueRef av = A_AT(kk);
    LLVMValueRef bk = mul_i64(cg, kk, N);
    LLVMValueRef j = cg_loop_begin(cg, &Lj, cg_i64(cg, 0), cg_i64(cg, N), "j");
    LLVMValueRef ri = add_i64(cg, roff, j);
    LLVMValueRef bv = ld(cg, dt, acc, B, add_i64(cg, bk, j));
    cg_store(cg, acc, row, ri, madd(cg, acc, av, bv, cg_load(cg, acc, row, ri)));
    cg_loop_end(cg, &Lj);
    cg_loop_end(cg, &Lk);
  }
  /* epilogue over the row: alpha, beta * C, conversion */
  LLVMValueRef j = cg_loop_begin(cg, &Lj, cg_i64(cg, 0), cg_i64(cg, N), "j");
  LLVMValueRef v;
  if (tb) {
    LLVMBuildStore(cg->b, cg_const(cg, acc, 0), var);
    LLVMValueRef bj = mul_i64(cg, j, K);
    LLVMValueRef kk = cg_loop_begin(cg, &Lk, cg_i64(cg, 0), cg_i64(cg, K), "k");
    LLVMValueRef bv = ld(cg, dt, acc, B, add_i64(cg, bj, kk));
    LLVMValueRef s = LLVMBuildLoad2(cg->b, cg_type(cg, acc), var, "");
    LLVMBuildStore(cg->b, madd(cg, acc, A_AT(kk), bv, s), var);
    cg_loop_end(cg, &Lk);
    v = LLVMBuildLoad2(cg->b, cg_type(cg, acc), var, "");
  } else {
    v = cg_load(cg, acc, row, add_i64(cg, roff, j));
  }
#undef A_AT
  if (alpha != 1.0f) v = mul(cg, acc, alpha_v, v);
  if (C) {
    LLVMValueRef cv = ld(cg, dt, acc, C, add_i64(cg, mul_i64(cg, i, cst[0]), mul_i64(cg, j, cst[1])));
    v = add(cg, acc, v, beta == 1.0f ? cv : mul(cg, acc, beta_v, cv));
  }
  if (is_int_dtype(dt))
    cg_store(cg, dt, Y, add_i64(cg, yoff, j), cg_convert(cg, cg_convert(cg, v, acc, INGOT_DT_INT64), INGOT_DT_INT64, dt));
  else
    store_acc(cg, k, dt, acc, Y, add_i64(cg, yoff, j), v);
  cg_loop_end(cg, &Lj);
  cg_loop_end(cg, &Lr);
  return INGOT_OK;
}

/* ---- Einsum ------------------------------------------------------------------------ */

/* Equation syntax and semantics exactly as the evaluator (interp/k_einsum.c):
 * letters a-z A-Z, at most one "..." per term (broadcast dims, right-aligned
 * across operands), implicit output = "..." dims then the letters occurring
 * once, in ASCII order; a repeated letter in a term takes the diagonal; a
 * size-1 axis broadcasts against the label's other occurrences. */

#define NLETTER 52                        /* 'A'..'Z' then 'a'..'z': ids in ASCII order */
#define NLABEL (NLETTER + INGOT_MAX_RANK) /* then the "..." dims */

typedef struct {
  bool ell;
  int nbefore, nids;
  int ids[INGOT_MAX_RANK + 1];
} term_t;

static int letter_id(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return 26 + (c - 'a');
  return -1;
}

static ingot_status_t parse_term(cg_t *cg, cg_kernel_t *k, const char *s, size_t len, term_t *t) {
  memset(t, 0, sizeof *t);
  for (size_t i = 0; i < len; i++) {
    if (s[i] == '.') {
      if (t->ell || i + 2 >= len || s[i + 1] != '.' || s[i + 2] != '.')
        return cg_error(cg, k, INGOT_CODE_INPUT, "Einsum equation: bad or repeated '...' in term '%.*s'", (int)len, s);
      t->ell = true;
      i += 2;
      continue;
    }
    int id = letter_id(s[i]);
    if (id < 0) return cg_error(cg, k, INGOT_CODE_INPUT, "Einsum equation: unexpected character '%c'", s[i]);
    if (t->nids > INGOT_MAX_RANK)
      return cg_error(cg, k, INGOT_CODE_INPUT, "Einsum equation: term '%.*s' has too many labels", (int)len, s);
    t->ids[t->nids++] = id;
    if (!t->ell) t->nbefore++;
  }
  return INGOT_OK;
}

/* The analysed equation: loop labels [0, no) are the output's (in output
 * order), [no, nl) are summed; st[i][l] is operand i's stride for label l. */
typedef struct {
  int nl, no;
  int64_t sz[NLABEL];
  int64_t st[CG_MAX_IO][NLABEL];
} einsum_t;

static ingot_status_t einsum_analyse(cg_t *cg, cg_kernel_t *k, einsum_t *es) {
  memset(es, 0, sizeof *es);
  uint32_t nin = k->nin;
  const char *eq = ingot_node_attr_s(k->n, "equation", NULL);
  if (!eq) return cg_error(cg, k, INGOT_CODE_INPUT, "Einsum needs an 'equation' string");
  char e[512];
  size_t n = 0;
  for (size_t i = 0; eq[i]; i++) {
    if (eq[i] == ' ' || eq[i] == '\t') continue;
    if (n + 1 >= sizeof e) return cg_error(cg, k, INGOT_CODE_UNSUPPORTED, "Einsum equation is too long");
    e[n++] = eq[i];
  }
  e[n] = 0;
  const char *arrow = strstr(e, "->");
  size_t lhs_len = arrow ? (size_t)(arrow - e) : n;
  term_t terms[CG_MAX_IO];
  uint32_t nt = 0;
  size_t start = 0;
  for (size_t i = 0; i <= lhs_len; i++) {
    if (i < lhs_len && e[i] != ',') continue;
    if (nt >= nin)
      return cg_error(cg, k, INGOT_CODE_INPUT, "Einsum equation '%s' has more terms than the %u inputs", eq, nin);
    INGOT_RETURN_IF_ERROR(parse_term(cg, k, e + start, i - start, &terms[nt]));
    nt++;
    start = i + 1;
  }
  if (nt != nin)
    return cg_error(cg, k, INGOT_CODE_INPUT, "Einsum equation '%s' has %u terms for %u inputs", eq, nt, nin);

  int E = 0;
  for (uint32_t i = 0; i < nin; i++) {
    int nl = terms[i].nids, r = k->vin[i]->type.rank;
    if (terms[i].ell ? nl > r : nl != r)
      return cg_error(cg, k, INGOT_CODE_INPUT, "Einsum term %u names %d dims, input %u has rank %d", i, nl, i, r);
    if (terms[i].ell && r - nl > E) E = r - nl;
  }
  int64_t size[NLABEL], st[CG_MAX_IO][NLABEL];
  int count[NLABEL] = {0};
  bool used[NLABEL] = {false};
  memset(st, 0, sizeof st);
  for (int l = 0; l < NLABEL; l++) size[l] = -1;
  for (uint32_t i = 0; i < nin; i++) {
    const term_t *t = &terms[i];
    int64_t xd[INGOT_MAX_RANK], xs[INGOT_MAX_RANK];
    int r = cg_dims(k->vin[i], xd);
    cg_strides(&k->vin[i]->type, xs);
    int er = t->ell ? r - t->nids : 0;
    for (int d = 0; d < r; d++) {
      int l;
      if (d < t->nbefore)
        l = t->ids[d];
      else if (d < t->nbefore + er)
        l = NLETTER + (E - er) + (d - t->nbefore);
      else
        l = t->ids[d - er];
      if (l < NLETTER) count[l]++;
      used[l] = true;
      int64_t v = xd[d];
      if (size[l] < 0 || size[l] == 1)
        size[l] = v;
      else if (v != size[l] && v != 1)
        return cg_error(cg, k, INGOT_CODE_INPUT, "Einsum label of input %u axis %d has size %lld, elsewhere %lld", i, d,
                        (long long)v, (long long)size[l]);
      st[i][l] += v == 1 ? 0 : xs[d];
    }
  }
  int olab[NLABEL], no = 0;
  bool in_out[NLABEL] = {false};
  if (arrow) {
    term_t ot;
    INGOT_RETURN_IF_ERROR(parse_term(cg, k, arrow + 2, strlen(arrow + 2), &ot));
    if (E > 0 && !ot.ell)
      return cg_error(cg, k, INGOT_CODE_INPUT, "Einsum output '%s' drops the '...' dims of the inputs", arrow + 2);
    for (int j = 0; j < ot.nids + (ot.ell ? E : 0); j++) {
      int l;
      if (j < ot.nbefore)
        l = ot.ids[j];
      else if (ot.ell && j < ot.nbefore + E)
        l = NLETTER + (j - ot.nbefore);
      else
        l = ot.ids[j - (ot.ell ? E : 0)];
      if (l < NLETTER && !count[l])
        return cg_error(cg, k, INGOT_CODE_INPUT, "Einsum output label '%c' is in no input",
                        l < 26 ? 'A' + l : 'a' + (l - 26));
      if (in_out[l]) return cg_error(cg, k, INGOT_CODE_INPUT, "Einsum output repeats a label");
      if (no >= INGOT_MAX_RANK)
        return cg_error(cg, k, INGOT_CODE_UNSUPPORTED, "Einsum output rank above %d", INGOT_MAX_RANK);
      in_out[l] = true;
      olab[no++] = l;
    }
  } else {
    for (int j = 0; j < E; j++) olab[no++] = NLETTER + j;
    for (int l = 0; l < NLETTER; l++)
      if (count[l] == 1) {
        if (no >= INGOT_MAX_RANK)
          return cg_error(cg, k, INGOT_CODE_UNSUPPORTED, "Einsum output rank above %d", INGOT_MAX_RANK);
        olab[no++] = l;
      }
    for (int j = 0; j < no; j++) in_out[olab[j]] = true;
  }
  int order[NLABEL], nl = 0;
  for (int j = 0; j < no; j++) order[nl++] = olab[j];
  for (int l = 0; l < NLABEL; l++)
    if (used[l] && !in_out[l]) order[nl++] = l;
  es->nl = nl;
  es->no = no;
  for (int j = 0; j < nl; j++) {
    es->sz[j] = size[order[j]] < 0 ? 1 : size[order[j]];
    for (uint32_t i = 0; i < nin; i++) es->st[i][j] = st[i][order[j]];
  }
  return INGOT_OK;
}

/* The product of the operands at offs[i] + j * rst[i], added to acc. */
static LLVMValueRef einsum_term(cg_t *cg, uint32_t nops, int dt, int acc, LLVMValueRef const *X,
                                const LLVMValueRef *offs, const int64_t *rst, LLVMValueRef j, LLVMValueRef sum) {
  LLVMValueRef v[CG_MAX_IO] = {NULL};
  for (uint32_t i = 0; i < nops; i++) {
    LLVMValueRef idx = j && rst[i] ? add_i64(cg, offs[i], mul_i64(cg, j, rst[i])) : offs[i];
    v[i] = ld(cg, dt, acc, X[i], idx);
  }
  if (nops == 1) return sum ? add(cg, acc, sum, v[0]) : v[0];
  LLVMValueRef p = v[0];
  for (uint32_t i = 1; i + 1 < nops; i++) p = mul(cg, acc, p, v[i]);
  return sum ? madd(cg, acc, p, v[nops - 1], sum) : mul(cg, acc, p, v[nops - 1]);
}

ingot_status_t cg_emit_einsum(cg_t *cg, cg_kernel_t *k) {
  uint32_t nops = k->nin;
  if (nops == 0) return cg_error(cg, k, INGOT_CODE_INPUT, "Einsum needs at least one input");
  for (uint32_t i = 0; i < nops; i++)
    if (!k->vin[i]) return cg_error(cg, k, INGOT_CODE_INPUT, "Einsum input %u is missing", i);
  int dt = k->vin[0]->type.dtype;
  for (uint32_t i = 1; i < nops; i++)
    if (k->vin[i]->type.dtype != dt) return cg_error(cg, k, INGOT_CODE_INPUT, "Einsum inputs have different dtypes");
  if (!is_float_dtype(dt) && !is_int_dtype(dt))
    return cg_error(cg, k, INGOT_CODE_UNSUPPORTED, "Einsum on dtype %s", ingot_dtype_name(dt));
  einsum_t e;
  INGOT_RETURN_IF_ERROR(einsum_analyse(cg, k, &e));
  int no = e.no, nl = e.nl, nsum = nl - no;
  INGOT_RETURN_IF_ERROR(check_out(cg, k, dt, no, e.sz));
  int64_t total_out = numel(e.sz, no), total_con = numel(e.sz + no, nsum);
  int64_t in_elems = 0;
  for (uint32_t i = 0; i < nops; i++) {
    int64_t xd[INGOT_MAX_RANK];
    in_elems += numel(xd, cg_dims(k->vin[i], xd));
  }
  k->flops = (double)total_out * (double)total_con * (double)nops;
  k->bytes = (double)(in_elems + total_out) * (double)ingot_dtype_size(dt);
  if (total_out == 0) return INGOT_OK;

  /* Row mode: the last output label is the innermost loop, accumulating a
   * whole output row (MatMul's i-k-j); worth it when that label walks some
   * operand contiguously, or when nothing is summed (a copy / product). */
  bool rowmode = false;
  if (no >= 1) {
    rowmode = nsum == 0;
    for (uint32_t i = 0; i < nops; i++)
      if (e.st[i][no - 1] == 1) rowmode = true;
  }
  int np = rowmode ? no - 1 : no; /* labels of the parallel items */
  int64_t R = rowmode ? e.sz[no - 1] : 1;
  int64_t rst[CG_MAX_IO] = {0};
  if (rowmode)
    for (uint32_t i = 0; i < nops; i++) rst[i] = e.st[i][no - 1];
  k->work = numel(e.sz, np);
  int acc = acc_dtype(dt);
  LLVMValueRef buf = NULL, var = NULL;
  if (nsum > 0 && rowmode) {
    ingot_status_t err;
    buf = row_buffer(cg, k, dt, acc, R, &err);
    if (err) return err;
  }
  if (nsum > 0 && !rowmode) var = cg_alloca(cg, cg_type(cg, acc), "sum");
  LLVMValueRef X[CG_MAX_IO], Y = k->out[0];
  for (uint32_t i = 0; i < nops; i++) X[i] = k->in[i];

  cg_loop_t Li, Lj, Ls[NLABEL];
  LLVMValueRef it = cg_loop_begin(cg, &Li, k->begin, k->end, "item");
  LLVMValueRef coords[NLABEL], offs[CG_MAX_IO];
  if (np > 0) cg_unflatten(cg, it, np, e.sz, coords);
  for (uint32_t i = 0; i < nops; i++) offs[i] = np > 0 ? cg_dot(cg, np, coords, e.st[i]) : cg_i64(cg, 0);
  LLVMValueRef yoff = mul_i64(cg, it, R);

  if (nsum == 0) {
    /* copy (one operand: a permutation / diagonal) or elementwise product */
    LLVMValueRef j = rowmode ? cg_loop_begin(cg, &Lj, cg_i64(cg, 0), cg_i64(cg, R), "j") : NULL;
    LLVMValueRef yi = j ? add_i64(cg, yoff, j) : yoff;
    if (nops == 1) {
      LLVMValueRef idx = j && rst[0] ? add_i64(cg, offs[0], mul_i64(cg, j, rst[0])) : offs[0];
      cg_store(cg, dt, Y, yi, cg_load(cg, dt, X[0], idx));
    } else {
      st(cg, dt, acc, Y, yi, einsum_term(cg, nops, dt, acc, X, offs, rst, j, NULL));
    }
    if (j) cg_loop_end(cg, &Lj);
    cg_loop_end(cg, &Li);
    return INGOT_OK;
  }

  LLVMValueRef row = NULL, roff = NULL;
  if (rowmode) {
    row = buf ? buf : Y;
    roff = buf ? cg_i64(cg, 0) : yoff;
    zero_row(cg, acc, row, roff, R);
  } else {
    LLVMBuildStore(cg->b, cg_const(cg, acc, 0), var);
  }
  /* nested loops over the summed labels, offsets carried down */
  for (int l = no; l < nl; l++) {
    LLVMValueRef s = cg_loop_begin(cg, &Ls[l], cg_i64(cg, 0), cg_i64(cg, e.sz[l]), "s");
    for (uint32_t i = 0; i < nops; i++)
      if (e.st[i][l]) offs[i] = add_i64(cg, offs[i], mul_i64(cg, s, e.st[i][l]));
  }
  if (rowmode) {
    LLVMValueRef j = cg_loop_begin(cg, &Lj, cg_i64(cg, 0), cg_i64(cg, R), "j");
    LLVMValueRef ri = add_i64(cg, roff, j);
    cg_store(cg, acc, row, ri, einsum_term(cg, nops, dt, acc, X, offs, rst, j, cg_load(cg, acc, row, ri)));
    cg_loop_end(cg, &Lj);
  } else {
    LLVMValueRef s = LLVMBuildLoad2(cg->b, cg_type(cg, acc), var, "");
    LLVMBuildStore(cg->b, einsum_term(cg, nops, dt, acc, X, offs, rst, NULL, s), var);
  }
  for (int l = nl - 1; l >= no; l--) cg_loop_end(cg, &Ls[l]);
  if (rowmode) {
    if (buf) flush_row(cg, dt, acc, Y, yoff, buf, R);
  } else {
    st(cg, dt, acc, Y, yoff, LLVMBuildLoad2(cg->b, cg_type(cg, acc), var, ""));
  }
  cg_loop_end(cg, &Li);
  return INGOT_OK;
}
