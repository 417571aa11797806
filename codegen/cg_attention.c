/* Flash-style attention: the INGOT_ANCHOR_ATTENTION anchor of a fused node.
 *
 *     out[b, i, :] = epilogue( softmax_j(scale * Q[b, i, :] . K[b, j, :]) V[b, j, :] )
 *
 * computed without the N x M score matrix (Dao et al., "FlashAttention",
 * 2022; the online softmax of Milakov & Gimelshein, 2018).  A work item is
 * one (batch*head, block of BQ queries); it streams over blocks of BK keys
 * keeping, per query, the running maximum m, the running sum l of
 * exp(s - m) and an accumulator acc = sum_j exp(s_j - m) V[j]:
 *
 *     s      = scale * Q_blk K_blk^T              (BQ x BK, on the stack)
 *     m'     = max(m, rowmax(s));  alpha = exp(m - m')
 *     p      = exp(s - m');        l = l * alpha + rowsum(p)
 *     acc    = acc * alpha + p V_blk
 *
 * and at the end stores acc / l through the epilogue, row by row.
 *
 * Vector layout (VL = vector_bits / 32 lanes, BQ = VL): the query block is
 * transposed once per work item into Qt[d] = (Q[i0..i0+VL), d) * scale, so a
 * score vector s[j] = sum_d K[j, d] * Qt[d] is VL queries at once -- one
 * broadcast of K[j, d] and one FMA per d, no horizontal sums, whichever
 * layout K has (K[.., M, D] or K^T[.., D, M]) -- and the softmax
 * statistics (max, sum, rescale factor) are vertical vector operations over
 * the key loop.  p V accumulates over the head dim instead: acc[i][c..c+VL)
 * += p[i][j] * V[j][c..c+VL), the accumulator row of one query held in
 * registers across the keys of a block.  Scores of four keys are computed
 * together so the FMA chains overlap.  exp is the inline Cephes polynomial
 * (its argument is never positive here), so everything stays in vectors.
 *
 * Operands are addressed through views (passes/fusion.h, ingot_attn_view_t):
 * dense tensors of their own, or -- when the fusion pass absorbed the
 * movement around the core -- heads read straight out of a packed QKV
 * projection and written straight into the [.., N, H, Dv] layout the output
 * projection reads.  V's and the output's rows must be contiguous.
 *
 * Numerics: f32 throughout (the evaluator accumulates the products in
 * double); the difference is float rounding, ~1e-7 relative. */
#include <math.h>
#include <string.h>

#include "codegen/cg_fused_impl.h"
#include "codegen/cg_gemm.h"
#include "passes/fusion.h"

#define ATT_BK 64 /* keys per block */
#define ATT_JU 4  /* keys whose scores are computed together */
#define ATT_QV 2  /* query vectors per work item (BQ = ATT_QV * VL queries) */

typedef struct {
  cg_t *cg;
  int VL;
  LLVMTypeRef vt; /* <VL x float> */
} vec_t;

static LLVMValueRef vsplat(vec_t *V, LLVMValueRef s) {
  cg_t *cg = V->cg;
  LLVMValueRef v = LLVMBuildInsertElement(cg->b, LLVMGetUndef(V->vt), s, LLVMConstInt(cg->t_i32, 0, 0), "");
  LLVMValueRef zeros = LLVMConstNull(LLVMVectorType(cg->t_i32, (unsigned)V->VL));
  return LLVMBuildShuffleVector(cg->b, v, LLVMGetUndef(V->vt), zeros, "");
}

static LLVMValueRef vconst(vec_t *V, double x) {
  LLVMValueRef e[64];
  for (int l = 0; l < V->VL; l++) e[l] = LLVMConstReal(V->cg->t_f32, x);
  return LLVMConstVector(e, (unsigned)V->VL);
}

static LLVMValueRef iconst_v(vec_t *V, int32_t x) {
  LLVMValueRef e[64];
  for (int l = 0; l < V->VL; l++) e[l] = LLVMConstInt(V->cg->t_i32, (unsigned long long)(uint32_t)x, 0);
  return LLVMConstVector(e, (unsigned)V->VL);
}

/* VL floats at fptr[idx..] (cg_gemm.h's vector access), the first `valid` of them in vload_part. */
static LLVMValueRef fgep(cg_t *cg, LLVMValueRef fptr, LLVMValueRef idx) {
  return LLVMBuildInBoundsGEP2(cg->b, cg->t_f32, fptr, &idx, 1, "");
}

static LLVMValueRef vload_part(vec_t *V, LLVMValueRef fptr, LLVMValueRef idx, int valid) {
  return cg_vload(V->cg, fgep(V->cg, fptr, idx), V->VL, valid);
}

static LLVMValueRef vload(vec_t *V, LLVMValueRef fptr, LLVMValueRef idx) { return vload_part(V, fptr, idx, V->VL); }

static void vstore(vec_t *V, LLVMValueRef v, LLVMValueRef fptr, LLVMValueRef idx) {
  cg_vstore(V->cg, v, fgep(V->cg, fptr, idx), V->VL, V->VL);
}

static LLVMValueRef vfma(vec_t *V, LLVMValueRef a, LLVMValueRef b, LLVMValueRef c) {
  LLVMValueRef args[3] = {a, b, c};
  return cg_intrinsic(V->cg, "llvm.fmuladd", V->vt, args, 3);
}

static LLVMValueRef vmax(vec_t *V, LLVMValueRef a, LLVMValueRef b) {
  LLVMValueRef args[2] = {a, b};
  return cg_intrinsic(V->cg, "llvm.maxnum", V->vt, args, 2);
}

/* e^x for x <= 0 (or -inf, giving 0) on vectors: Cephes expf's Cody-Waite
 * reduction and degree-6 polynomial, as Softmax's (cg_reduce_norm.c). */
static LLVMValueRef vexp_nonpos(vec_t *V, LLVMValueRef x) {
  cg_t *cg = V->cg;
  LLVMBuilderRef b = cg->b;
  LLVMTypeRef it = LLVMVectorType(cg->t_i32, (unsigned)V->VL);
  LLVMValueRef lo = vconst(V, -87.0);
  LLVMValueRef under = LLVMBuildFCmp(b, LLVMRealOLT, x, lo, "");
  LLVMValueRef xc = LLVMBuildSelect(b, under, lo, x, "");
  LLVMValueRef magic = vconst(V, 12582912.0); /* 1.5 * 2^23: round to integer */
  LLVMValueRef kf = vfma(V, xc, vconst(V, 1.44269504088896341), magic);
  LLVMValueRef n = LLVMBuildFSub(b, kf, magic, "");
  LLVMValueRef r = vfma(V, n, vconst(V, -0.693359375), xc);
  r = vfma(V, n, vconst(V, 2.12194440e-4), r);
  static const double c[6] = {1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3,
                              4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1};
  LLVMValueRef p = vconst(V, c[0]);
  for (int i = 1; i < 6; i++) p = vfma(V, p, r, vconst(V, c[i]));
  p = vfma(V, p, LLVMBuildFMul(b, r, r, ""), r);
  p = LLVMBuildFAdd(b, p, vconst(V, 1.0), "");
  LLVMValueRef ki = LLVMBuildSub(b, LLVMBuildBitCast(b, kf, it, ""), LLVMBuildBitCast(b, magic, it, ""), "");
  LLVMValueRef scale =
      LLVMBuildBitCast(b, LLVMBuildShl(b, LLVMBuildAdd(b, ki, iconst_v(V, 127), ""), iconst_v(V, 23), ""), V->vt, "");
  return LLVMBuildSelect(b, under, vconst(V, 0.0), LLVMBuildFMul(b, p, scale, ""), "");
}

static LLVMValueRef iadd(cg_t *cg, LLVMValueRef a, LLVMValueRef b) { return LLVMBuildNSWAdd(cg->b, a, b, ""); }
static LLVMValueRef imul(cg_t *cg, LLVMValueRef a, int64_t c) {
  if (c == 0) return cg_i64(cg, 0);
  if (c == 1) return a;
  return LLVMBuildNSWMul(cg->b, a, cg_i64(cg, c), "");
}
static LLVMValueRef imin(cg_t *cg, LLVMValueRef a, LLVMValueRef b) {
  return LLVMBuildSelect(cg->b, LLVMBuildICmp(cg->b, LLVMIntSLT, a, b, ""), a, b, "");
}
static LLVMValueRef ld(cg_t *cg, LLVMTypeRef t, LLVMValueRef p) { return LLVMBuildLoad2(cg->b, t, p, ""); }
static void stv(cg_t *cg, LLVMValueRef v, LLVMValueRef p) { LLVMBuildStore(cg->b, v, p); }

static LLVMValueRef fbuf(cg_t *cg, int64_t n, const char *name) {
  LLVMValueRef a = cg_alloca(cg, LLVMArrayType(cg->t_f32, (unsigned)n), name);
  LLVMSetAlignment(a, 64);
  return LLVMBuildBitCast(cg->b, a, LLVMPointerType(cg->t_f32, 0), "");
}

/* Element offset of work item bh's (batch, head) in a view: bh decomposed over bdims. */
static LLVMValueRef view_base(cg_t *cg, const ingot_attn_view_t *v, int nb, const int64_t *bdims, LLVMValueRef bh) {
  LLVMValueRef off = cg_i64(cg, v->off), rest = bh;
  for (int d = nb - 1; d >= 0; d--) {
    if (bdims[d] == 1) continue;
    LLVMValueRef idx = d == 0 ? rest : LLVMBuildURem(cg->b, rest, cg_i64(cg, bdims[d]), "");
    off = iadd(cg, off, imul(cg, idx, v->batch[d]));
    if (d > 0) rest = LLVMBuildUDiv(cg->b, rest, cg_i64(cg, bdims[d]), "");
  }
  return off;
}

ingot_status_t cg_emit_attention(cg_t *cg, cg_kernel_t *k) {
  const ingot_fusion_t *f = (const ingot_fusion_t *)k->fusion;
  if (!f || k->nin != 3 || !k->vin[0] || !k->vin[1] || !k->vin[2])
    return cg_error(cg, k, INGOT_CODE_INTERNAL, "attention expects Q, K and V");
  /* the operands' shapes and layouts, as the fusion pass laid them out */
  int nb = f->attn_nbatch;
  if (!f->attn_views || nb < 0 || nb > INGOT_ATTN_MAX_BATCH)
    return cg_error(cg, k, INGOT_CODE_INTERNAL, "attention without operand layouts");
  const int64_t *bdims = f->attn_batch;
  const ingot_attn_view_t *vw = f->attn_view; /* Q, K, V, output */
  int64_t N = f->attn_n, M = f->attn_m, D = f->attn_d, Dv = f->attn_dv, BH = 1;
  for (int i = 0; i < 3; i++)
    if (k->vin[i]->type.dtype != INGOT_DT_FLOAT)
      return cg_error(cg, k, INGOT_CODE_INTERNAL, "attention operands must be float32");
  for (int d = 0; d < nb; d++) BH *= bdims[d];
  if (vw[2].col != 1 || vw[3].col != 1)
    return cg_error(cg, k, INGOT_CODE_INTERNAL, "attention V and output rows must be contiguous");
  int64_t E = 1;
  for (int d = 0; d < k->vout[0]->type.rank; d++) E *= k->vout[0]->type.dims[d].v;
  if (E != BH * N * Dv) return cg_error(cg, k, INGOT_CODE_INTERNAL, "attention output has %lld elements", (long long)E);
  k->flops = (double)BH * (double)N * (double)M * (2.0 * (double)D + 2.0 * (double)Dv + 12.0);
  k->bytes = 4.0 * (double)BH * ((double)N * (double)D + (double)M * (double)D + (double)M * (double)Dv +
                                 (double)N * (double)Dv);
  if (BH * N * M * Dv == 0) return INGOT_OK;

  vec_t V = {cg, cg->vector_bits / 32, NULL};
  if (V.VL < 4) V.VL = 4;
  V.vt = LLVMVectorType(cg->t_f32, (unsigned)V.VL);
  int VL = V.VL;
  int QV = N > VL ? ATT_QV : 1; /* query vectors per block */
  int64_t BQ = (int64_t)QV * VL, nqb = (N + BQ - 1) / BQ;
  int64_t BK = M < ATT_BK ? M : ATT_BK, nkb = (M + BK - 1) / BK;
  int64_t nc = (Dv + VL - 1) / VL, Dvp = nc * VL, tailc = Dv - (nc - 1) * VL;
  int RU = nc <= 8 ? 2 : 1; /* query rows whose p V share the V loads */
  if (nc > 32) return cg_error(cg, k, INGOT_CODE_UNSUPPORTED, "attention head dim %lld is too large", (long long)Dv);
  k->work = BH * nqb;
  snprintf(k->tiles, sizeof k->tiles, "flash BQ=%lld BK=%lld", (long long)BQ, (long long)BK);
  LLVMBuilderRef b = cg->b;
  LLVMTypeRef f32 = cg->t_f32;
  LLVMValueRef Q = k->in[0], K = k->in[1], Vv = k->in[2];

  /* stack: Qt [D][BQ], S [BK][BQ], acc [BQ][Dvp], per-query statistics */
  LLVMValueRef qt = fbuf(cg, D * BQ, "qt"), sb = fbuf(cg, BK * BQ, "s"), acc = fbuf(cg, BQ * Dvp, "acc");
  LLVMValueRef alpha_f = fbuf(cg, BQ, "alpha"), l_f = fbuf(cg, BQ, "lsum");
  LLVMValueRef m_var[ATT_QV], l_var[ATT_QV], mb_var[ATT_QV], sv[ATT_JU][ATT_QV], accv[2][32];
  for (int q = 0; q < QV; q++) {
    m_var[q] = cg_alloca(cg, V.vt, "m");
    l_var[q] = cg_alloca(cg, V.vt, "l");
    mb_var[q] = cg_alloca(cg, V.vt, "mb");
    for (int u = 0; u < ATT_JU; u++) sv[u][q] = cg_alloca(cg, V.vt, "sv");
  }
  for (int r2 = 0; r2 < RU; r2++)
    for (int64_t c = 0; c < nc; c++) accv[r2][c] = cg_alloca(cg, V.vt, "accv");

  cg_loop_t W;
  LLVMValueRef w = cg_loop_begin(cg, &W, k->begin, k->end, "w");
  LLVMValueRef bh = nqb == 1 ? w : LLVMBuildUDiv(b, w, cg_i64(cg, nqb), "");
  LLVMValueRef qb = nqb == 1 ? cg_i64(cg, 0) : LLVMBuildURem(b, w, cg_i64(cg, nqb), "");
  LLVMValueRef i0 = imul(cg, qb, BQ);
  LLVMValueRef rows = imin(cg, cg_i64(cg, BQ), LLVMBuildSub(b, cg_i64(cg, N), i0, ""));
  LLVMValueRef qbase = view_base(cg, &vw[0], nb, bdims, bh), kbase = view_base(cg, &vw[1], nb, bdims, bh);
  LLVMValueRef vbase = view_base(cg, &vw[2], nb, bdims, bh), obase = view_base(cg, &vw[3], nb, bdims, bh);

  /* Qt[d][i] = scale * Q[i0 + i][d], zero for rows past N */
  {
    cg_loop_t Li, Ld;
    LLVMValueRef i = cg_loop_begin(cg, &Li, cg_i64(cg, 0), cg_i64(cg, BQ), "qi");
    LLVMValueRef valid = LLVMBuildICmp(b, LLVMIntSLT, i, rows, "");
    LLVMValueRef ii = LLVMBuildSelect(b, valid, i, cg_i64(cg, 0), "");
    LLVMValueRef sc = LLVMBuildSelect(b, valid, LLVMConstReal(f32, f->attn_scale), LLVMConstReal(f32, 0), "");
    LLVMValueRef qrow = iadd(cg, qbase, imul(cg, iadd(cg, i0, ii), vw[0].row));
    LLVMValueRef d = cg_loop_begin(cg, &Ld, cg_i64(cg, 0), cg_i64(cg, D), "qd");
    LLVMValueRef q = cg_load(cg, INGOT_DT_FLOAT, Q, iadd(cg, qrow, imul(cg, d, vw[0].col)));
    cg_store(cg, INGOT_DT_FLOAT, qt, iadd(cg, imul(cg, d, BQ), i), LLVMBuildFMul(b, q, sc, ""));
    cg_loop_end(cg, &Ld);
    cg_loop_end(cg, &Li);
  }
  for (int q = 0; q < QV; q++) {
    stv(cg, vconst(&V, -INFINITY), m_var[q]);
    stv(cg, vconst(&V, 0), l_var[q]);
  }
  {
    cg_loop_t La;
    LLVMValueRef a = cg_loop_begin(cg, &La, cg_i64(cg, 0), cg_i64(cg, BQ * nc), "az");
    vstore(&V, vconst(&V, 0), acc, imul(cg, a, VL));
    cg_loop_end(cg, &La);
  }

  cg_loop_t KB;
  LLVMValueRef kb = cg_loop_begin(cg, &KB, cg_i64(cg, 0), cg_i64(cg, nkb), "kb");
  LLVMValueRef j0 = imul(cg, kb, BK);
  LLVMValueRef cols = imin(cg, cg_i64(cg, BK), LLVMBuildSub(b, cg_i64(cg, M), j0, ""));
  for (int q = 0; q < QV; q++) stv(cg, vconst(&V, -INFINITY), mb_var[q]);
  /* scores S[j][i] for ATT_JU keys x QV query vectors at a time, then the
   * remaining keys one by one */
  LLVMValueRef ngrp = LLVMBuildSDiv(b, cols, cg_i64(cg, ATT_JU), "");
  for (int pass = 0; pass < 2; pass++) {
    int ju = pass == 0 ? ATT_JU : 1;
    cg_loop_t Lj, Ld;
    LLVMValueRef lo = pass == 0 ? cg_i64(cg, 0) : imul(cg, ngrp, ATT_JU);
    LLVMValueRef hi = pass == 0 ? ngrp : cols;
    LLVMValueRef jj = cg_loop_begin(cg, &Lj, lo, hi, pass == 0 ? "jg" : "j1");
    LLVMValueRef jl = pass == 0 ? imul(cg, jj, ATT_JU) : jj; /* key within the block */
    for (int u = 0; u < ju; u++)
      for (int q = 0; q < QV; q++) stv(cg, vconst(&V, 0), sv[u][q]);
    LLVMValueRef d = cg_loop_begin(cg, &Ld, cg_i64(cg, 0), cg_i64(cg, D), "sd");
    LLVMValueRef qv[ATT_QV];
    for (int q = 0; q < QV; q++) qv[q] = vload(&V, qt, iadd(cg, imul(cg, d, BQ), cg_i64(cg, q * VL)));
    for (int u = 0; u < ju; u++) {
      LLVMValueRef j = iadd(cg, iadd(cg, j0, jl), cg_i64(cg, u));
      LLVMValueRef ki = iadd(cg, kbase, iadd(cg, imul(cg, j, vw[1].row), imul(cg, d, vw[1].col)));
      LLVMValueRef kv = vsplat(&V, cg_load(cg, INGOT_DT_FLOAT, K, ki));
      for (int q = 0; q < QV; q++) stv(cg, vfma(&V, kv, qv[q], ld(cg, V.vt, sv[u][q])), sv[u][q]);
    }
    cg_loop_end(cg, &Ld);
    for (int q = 0; q < QV; q++) {
      LLVMValueRef mb = ld(cg, V.vt, mb_var[q]);
      for (int u = 0; u < ju; u++) {
        LLVMValueRef sx = ld(cg, V.vt, sv[u][q]);
        vstore(&V, sx, sb, iadd(cg, imul(cg, iadd(cg, jl, cg_i64(cg, u)), BQ), cg_i64(cg, q * VL)));
        mb = vmax(&V, mb, sx);
      }
      stv(cg, mb, mb_var[q]);
    }
    cg_loop_end(cg, &Lj);
  }
  /* rescale factors, the block's probabilities and their sums */
  LLVMValueRef m_new[ATT_QV];
  for (int q = 0; q < QV; q++) {
    LLVMValueRef m_old = ld(cg, V.vt, m_var[q]);
    m_new[q] = vmax(&V, m_old, ld(cg, V.vt, mb_var[q]));
    LLVMValueRef alpha = vexp_nonpos(&V, LLVMBuildFSub(b, m_old, m_new[q], ""));
    vstore(&V, alpha, alpha_f, cg_i64(cg, q * VL));
    stv(cg, m_new[q], m_var[q]);
    stv(cg, LLVMBuildFMul(b, ld(cg, V.vt, l_var[q]), alpha, ""), l_var[q]);
  }
  {
    cg_loop_t Lj;
    LLVMValueRef j = cg_loop_begin(cg, &Lj, cg_i64(cg, 0), cols, "pj");
    for (int q = 0; q < QV; q++) {
      LLVMValueRef ix = iadd(cg, imul(cg, j, BQ), cg_i64(cg, q * VL));
      LLVMValueRef p = vexp_nonpos(&V, LLVMBuildFSub(b, vload(&V, sb, ix), m_new[q], ""));
      vstore(&V, p, sb, ix);
      stv(cg, LLVMBuildFAdd(b, ld(cg, V.vt, l_var[q]), p, ""), l_var[q]);
    }
    cg_loop_end(cg, &Lj);
  }
  /* acc[i] = acc[i] * alpha[i] + sum_j p[j][i] V[j], RU rows at a time (the
   * rows past N are padding: computed, never stored) */
  {
    cg_loop_t Li, Lj;
    LLVMValueRef nrow = RU == 1 ? rows : LLVMBuildSDiv(b, iadd(cg, rows, cg_i64(cg, RU - 1)), cg_i64(cg, RU), "");
    LLVMValueRef ir = cg_loop_begin(cg, &Li, cg_i64(cg, 0), nrow, "ai");
    LLVMValueRef i = imul(cg, ir, RU);
    for (int r2 = 0; r2 < RU; r2++) {
      LLVMValueRef ri = iadd(cg, i, cg_i64(cg, r2));
      LLVMValueRef ai = vsplat(&V, cg_load(cg, INGOT_DT_FLOAT, alpha_f, ri));
      LLVMValueRef arow = imul(cg, ri, Dvp);
      for (int64_t c = 0; c < nc; c++)
        stv(cg, LLVMBuildFMul(b, vload(&V, acc, iadd(cg, arow, cg_i64(cg, c * VL))), ai, ""), accv[r2][c]);
    }
    LLVMValueRef j = cg_loop_begin(cg, &Lj, cg_i64(cg, 0), cols, "vj");
    LLVMValueRef pj[2];
    for (int r2 = 0; r2 < RU; r2++)
      pj[r2] = vsplat(&V, cg_load(cg, INGOT_DT_FLOAT, sb, iadd(cg, imul(cg, j, BQ), iadd(cg, i, cg_i64(cg, r2)))));
    LLVMValueRef vrow = iadd(cg, vbase, imul(cg, iadd(cg, j0, j), vw[2].row));
    for (int64_t c = 0; c < nc; c++) {
      LLVMValueRef vv = vload_part(&V, Vv, iadd(cg, vrow, cg_i64(cg, c * VL)), c == nc - 1 ? (int)tailc : VL);
      for (int r2 = 0; r2 < RU; r2++) stv(cg, vfma(&V, pj[r2], vv, ld(cg, V.vt, accv[r2][c])), accv[r2][c]);
    }
    cg_loop_end(cg, &Lj);
    for (int r2 = 0; r2 < RU; r2++) {
      LLVMValueRef arow = imul(cg, iadd(cg, i, cg_i64(cg, r2)), Dvp);
      for (int64_t c = 0; c < nc; c++) vstore(&V, ld(cg, V.vt, accv[r2][c]), acc, iadd(cg, arow, cg_i64(cg, c * VL)));
    }
    cg_loop_end(cg, &Li);
  }
  cg_loop_end(cg, &KB);

  /* out rows = acc / l, through the epilogue */
  for (int q = 0; q < QV; q++) vstore(&V, ld(cg, V.vt, l_var[q]), l_f, cg_i64(cg, q * VL));
  {
    cg_loop_t Li;
    LLVMValueRef i = cg_loop_begin(cg, &Li, cg_i64(cg, 0), rows, "oi");
    LLVMValueRef inv = vsplat(&V, LLVMBuildFDiv(b, LLVMConstReal(f32, 1.0), cg_load(cg, INGOT_DT_FLOAT, l_f, i), ""));
    LLVMValueRef arow = imul(cg, i, Dvp);
    for (int64_t c = 0; c < nc; c++) {
      LLVMValueRef ix = iadd(cg, arow, cg_i64(cg, c * VL));
      vstore(&V, LLVMBuildFMul(b, vload(&V, acc, ix), inv, ""), acc, ix);
    }
    LLVMValueRef orow = iadd(cg, obase, imul(cg, iadd(cg, i0, i), vw[3].row));
    cg_store_out_run(cg, k, orow, Dv, acc, INGOT_DT_FLOAT, arow);
    cg_loop_end(cg, &Li);
  }
  cg_loop_end(cg, &W);
  return INGOT_OK;
}
