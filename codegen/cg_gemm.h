/* The float32 GEMM fast path (codegen/cg_gemm.c) and its vector epilogue
 * (codegen/cg_gemm_epilogue.c): internal to the backend.
 *
 * An op emitter describes its product as strided matrices and hands it over:
 *
 *   cg_gemm_t g = {.M = M, .N = N, .K = K, .a_rs = K, .a_cs = 1, .b_rs = N, .b_cs = 1,
 *                  .alpha = 1, .A = k->in[0], .B = k->in[1]};
 *   if (cg_gemm_supported(cg, k, &g)) return cg_gemm_emit(cg, k, &g);
 *
 * Per batch b (flattened over the output's batch dims, each with its own
 * broadcast strides for A and B):
 *     Y[b][i][j] = epilogue(alpha * sum_k A(b,i,k) B(b,k,j) + beta * C(i,j))
 * with Y = k->out[0] dense row-major [batch, M, N] (in flat index space: a
 * fused node's output may be any view of it) and the epilogue k->fusion's. */
#ifndef INGOT_CG_GEMM_H
#define INGOT_CG_GEMM_H

#include "codegen/cg.h"
#include "codegen/tiling.h"

typedef struct {
  int64_t M, N, K;
  int nbatch;                      /* batch dims of the output, outermost first */
  int64_t bdims[INGOT_MAX_RANK];
  int64_t a_bst[INGOT_MAX_RANK];   /* A's element stride per batch dim (0: broadcast) */
  int64_t b_bst[INGOT_MAX_RANK];   /* B's element stride per batch dim (0: broadcast); multiples of K*N */
  int64_t a_rs, a_cs;              /* A(i,k) = A[a_off + i*a_rs + k*a_cs] */
  int64_t b_rs, b_cs;              /* B(k,j) = B[b_off + k*b_rs + j*b_cs] */
  const float *b_const;            /* B's data when it is a constant: packed at compile time */
  int64_t b_mats;                  /* with b_const: the number of K x N matrices in it */
  float alpha, beta;
  bool has_c;                      /* add beta * C(i,j) = C[i*c_rs + j*c_cs] (strides 0 on broadcast axes) */
  int64_t c_rs, c_cs;
  LLVMValueRef A, B, C;            /* float* element pointers */
  /* With im2col: B is not a matrix but the column view of a 2-D convolution's
   * input image (per batch at B + b_bst): B(k, j) = X[c][oh*sh - ph + dy][ow*sw - pw + dx]
   * (0 outside the image) with k = (c*kh + dy)*kw + dx, j = oh*ow_n + ow; each
   * K block of each work item's columns is built into a stack buffer. */
  bool im2col;
  int64_t ih, iw, kh, kw, sh, sw, ph, pw, ow_n;
} cg_gemm_t;

/* Whether the fast path compiles this product: float32 output and operands,
 * K >= 1, and B either constant or read with unit column stride. */
bool cg_gemm_supported(cg_t *cg, const cg_kernel_t *k, const cg_gemm_t *g);
/* Emits the tiled kernel (sets k->work, k->tiles, k->predicted_s). */
ingot_status_t cg_gemm_emit(cg_t *cg, cg_kernel_t *k, const cg_gemm_t *g) INGOT_MUST_USE;

/* Whether constant value v is read only through packed copies this fast
 * path makes: every consumer is a float32 MatMul or Gemm (or a fused node
 * anchored on one) taking v as B.  The backend then leaves v itself out of
 * the weights blob; an emitter that finds it must pack and cannot reports
 * an internal error rather than read the missing tensor. */
bool cg_gemm_packs_only(const ingot_graph_t *g, int32_t v);

/* Conv as a GEMM, for the Conv emitter to try first (after validating the
 * geometry): a 1x1 convolution (kernel 1, strides 1, no padding, group 1,
 * float32) is, per image n, Y[n] [M, P] = W [M, C] x X[n] [C, P] + bias over
 * the P spatial positions.  *done tells whether it emitted the kernel. */
ingot_status_t cg_gemm_try_conv(cg_t *cg, cg_kernel_t *k, bool *done) INGOT_MUST_USE;

/* A general 2-D convolution (group 1, no dilation, float32) as an implicit
 * GEMM per image: Y[n] [M, OH*OW] = W [M, C*kh*kw] x im2col(X[n]) + bias.
 * The caller has validated the geometry (pads: the leading pads). */
typedef struct {
  int64_t N, C, M, ih, iw, kh, kw, sh, sw, ph, pw, oh, ow;
} cg_conv2d_t;
ingot_status_t cg_gemm_try_conv2d(cg_t *cg, cg_kernel_t *k, const cg_conv2d_t *c, bool *done) INGOT_MUST_USE;

/* ---- vector epilogue (cg_gemm_epilogue.c) ------------------------------------------------ */

/* How each extra input of k->fusion is addressed for an output vector that
 * starts at global row `grow`, column `col` (flat index grow*N + col). */
typedef struct {
  bool vector;                     /* whole vectors at once (else lane by lane through cg_store_out) */
  int lanes;
  int64_t N;
  int rank;                        /* of the stored output */
  int64_t odims[INGOT_MAX_RANK];
  int split;                       /* odims[split..rank) multiply to N (-1: no such split) */
  int64_t str[CG_MAX_IO][INGOT_MAX_RANK]; /* broadcast element strides of each extra input */
} cg_vepi_t;

/* Analyses k->fusion for vectors of `lanes` floats over rows of N. */
void cg_vepi_init(cg_t *cg, const cg_kernel_t *k, int64_t N, int lanes, cg_vepi_t *e);
/* The fused epilogue of one full vector (e->vector must be true). */
LLVMValueRef cg_vepi_apply(cg_t *cg, cg_kernel_t *k, const cg_vepi_t *e, LLVMValueRef v, LLVMValueRef grow,
                           LLVMValueRef col);

/* Small vector helpers shared by both files. */
LLVMValueRef cg_vsplat(cg_t *cg, LLVMValueRef s, int lanes); /* s of any scalar type */
LLVMValueRef cg_vload(cg_t *cg, LLVMValueRef fptr, int lanes, int valid); /* valid < lanes: masked */
/* lanes floats at fptr where mask (<lanes x i1>) is set, passthru's lanes elsewhere; masked-off
 * lanes are never read, so fptr may point outside the buffer for them. */
LLVMValueRef cg_vload_masked(cg_t *cg, LLVMValueRef fptr, int lanes, LLVMValueRef mask, LLVMValueRef passthru);
void cg_vstore(cg_t *cg, LLVMValueRef v, LLVMValueRef fptr, int lanes, int valid);

#endif
