/* The float32 GEMM fast path: a register-blocked, cache-blocked kernel
 * emitted as explicit LLVM vector code (the interface is in cg_gemm.h, the
 * block sizes come from the cost model in tiling.c).
 *
 * Loop nest of one kernel call, over its work items [begin, end):
 *
 *   for item in [begin, end):                       (batch, N block, M block)
 *     for K block kb:                               KC deep (Goto's "pc" loop)
 *       for panel q of the N block:                 NR columns (the "jr" loop)
 *         for tile t of the M block:                MR rows (the "ir" loop)
 *           microkernel: MR x NV accumulators += A[i.., k] (x) B[k, j..] for k in the block
 *           store: partial sums, or (last K block) alpha, beta*C, epilogue, output
 *
 * This is the BLIS arrangement of Goto's algorithm (see tiling.c for the
 * papers and the block sizes), with two simplifications that fit inference:
 *
 *   - B is usually a weight, known at compile time: it is packed once, here,
 *     into panels of NR columns stored K-major ([panel][k][NR], the last
 *     panel zero-padded), and added to the weights blob (cg_weight_ptr).  The
 *     microkernel then reads NV whole vectors per k with no masking, and a
 *     KC x NR micro-panel is one contiguous, L1-resident block.  A B that is
 *     an activation (attention's K^T and V) is read in place, row by row,
 *     which is the same access pattern when its rows are contiguous;
 *   - A is not packed: its MR rows are read in place, one broadcast element
 *     per row and k (LLVM folds the broadcast into the FMA's memory operand).
 *     With static shapes every A address is base + k*4 + constant, so the
 *     k loop carries one induction variable.  Goto packs A to avoid TLB
 *     misses and to stream it from L2 contiguously; with the MC x KC block
 *     L2-resident and short rows, in-place reads cost little, and skipping
 *     the pack saves a pass over A per K block.
 *
 * Partial sums of K blocks other than the last live in the output (it is
 * float32, and the memory planner never lets a node's output share storage
 * with its inputs, so neither A, B, C nor an epilogue input can be
 * overwritten).  The epilogue runs once per element, after the full sum, on
 * whole vectors where the layout allows (cg_gemm_epilogue.c), else lane by
 * lane through cg_store_out.  Edge tiles (M % MR rows, N % NR columns) are
 * the same microkernel instantiated at their size, with masked loads and
 * stores on the last partial vector.
 *
 * A 2-D convolution (cg_gemm_try_conv2d) is the same product with A = W
 * [M, C*kh*kw] and B = im2col of the image: at each K block a work item
 * gathers its columns into a stack buffer laid out like packed B
 * ([panel][KC][NR]) -- L lanes at a time: masked loads of image rows where
 * the width has stride 1 and a vector is a piece of one output row or
 * whole rows (col_rows), else one masked gather; zero in the padding --, at most
 * COLBUF_BYTES (its N block shrinks to fit), and the microkernel reads it as
 * packed panels. */
#include <stdlib.h>
#include <string.h>

#include "codegen/cg_gemm.h"
#include "passes/fusion.h"

#define MAX_MR 16
#define MAX_NV 8
#define COLBUF_BYTES (256 * 1024) /* largest im2col K block put on a worker's stack */
#define EPI_STAGE_STEPS 6         /* epilogues this long finish a tile row by row (see emit_tile) */

static int64_t cdiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

typedef struct {
  cg_t *cg;
  cg_kernel_t *k;
  const cg_gemm_t *g;
  cg_gemm_tiling_t t;
  int L;           /* lanes */
  LLVMTypeRef vt;  /* <L x float> */
  bool packed;     /* B packed at compile time */
  bool panels;     /* B read as [panel][k][NR] panels: packed, or the im2col buffer */
  LLVMValueRef col, j0; /* im2col: the buffer of this K block's panels, and its first column */
  LLVMValueRef stage;   /* float[MR * NV * L] for a long epilogue (see emit_tile), else NULL */
  cg_vepi_t epi;
  /* the current item */
  LLVMValueRef a, b, y; /* float*: this batch's A, B (or packed B) and Y */
  LLVMValueRef grow0;   /* i64: global row (batch * M) of this batch's row 0 */
  /* the current K block */
  LLVMValueRef k0, kcnt, first, last;
} gx_t;

static LLVMValueRef i64c(cg_t *cg, int64_t v) { return cg_i64(cg, v); }

static LLVMValueRef imul(cg_t *cg, LLVMValueRef a, int64_t c) {
  if (c == 0) return i64c(cg, 0);
  if (c == 1) return a;
  return LLVMBuildNSWMul(cg->b, a, i64c(cg, c), "");
}

static LLVMValueRef iadd(cg_t *cg, LLVMValueRef a, LLVMValueRef b) { return LLVMBuildNSWAdd(cg->b, a, b, ""); }

static LLVMValueRef imin(cg_t *cg, LLVMValueRef a, LLVMValueRef b) {
  return LLVMBuildSelect(cg->b, LLVMBuildICmp(cg->b, LLVMIntSLT, a, b, ""), a, b, "");
}

static LLVMValueRef fgep(cg_t *cg, LLVMValueRef p, LLVMValueRef idx) {
  return LLVMBuildInBoundsGEP2(cg->b, cg->t_f32, p, &idx, 1, "");
}

bool cg_gemm_supported(cg_t *cg, const cg_kernel_t *k, const cg_gemm_t *g) {
  if (!cg->target || !k->vout[0] || k->vout[0]->type.dtype != INGOT_DT_FLOAT) return false;
  if (g->M < 1 || g->N < 1 || g->K < 1) return false;
  if (!g->b_const && g->b_cs != 1) return false; /* B's rows must be contiguous to be read in place */
  if (g->b_const && g->b_mats < 1) return false;
  return true;
}

/* The fast path's conditions for a MatMul/Gemm node (or fused anchor) op
 * whose inputs a, b and output y have these static types (the emitters in
 * cg_linalg.c check the same, and cg_gemm_supported the rest). */
static bool node_packs_b(const ingot_graph_t *g, int op, const int32_t *in, uint32_t nin, int32_t out) {
  if ((op != INGOT_OP_MATMUL && op != INGOT_OP_GEMM) || nin < 2 || in[0] < 0 || in[1] < 0 || out < 0) return false;
  const ingot_type_t *ta = &g->values[in[0]].type, *tb = &g->values[in[1]].type, *ty = &g->values[out].type;
  if (ta->dtype != INGOT_DT_FLOAT || tb->dtype != INGOT_DT_FLOAT || ty->dtype != INGOT_DT_FLOAT) return false;
  if (!ingot_type_is_static(ta) || !ingot_type_is_static(tb) || ta->rank < 1 || tb->rank < 1) return false;
  if (op == INGOT_OP_GEMM) {
    if (ta->rank != 2 || tb->rank != 2) return false;
    if (nin > 2 && in[2] >= 0 && g->values[in[2]].type.dtype != INGOT_DT_FLOAT) return false;
  }
  int64_t na, nb, ny;
  if (!ingot_type_numel(ta, &na) || !ingot_type_numel(tb, &nb) || !ingot_type_numel(ty, &ny)) return false;
  return na > 0 && nb > 0 && ny > 0; /* M, N, K >= 1 */
}

bool cg_gemm_packs_only(const ingot_graph_t *g, int32_t v) {
  if (v < 0 || (uint32_t)v >= g->nvalues || !g->values[v].data) return false;
  for (uint32_t o = 0; o < g->noutputs; o++)
    if (g->outputs[o] == v) return false;
  bool used = false;
  for (uint32_t i = 0; i < g->nnodes; i++) {
    const ingot_node_t *n = &g->nodes[i];
    if (n->op == INGOT_OP_NOP) continue;
    for (uint32_t j = 0; j < n->ninputs; j++) {
      if (n->inputs[j] != v) continue;
      int op = n->op;
      uint32_t nin = n->ninputs;
      if (op == INGOT_OP_FUSED) {
        const ingot_fusion_t *f = (const ingot_fusion_t *)n->pass_data;
        if (!f || j >= f->anchor_ninputs) return false;
        op = f->anchor_op;
        nin = f->anchor_ninputs;
      }
      if (j != 1 || !node_packs_b(g, op, n->inputs, nin, n->noutputs ? n->outputs[0] : -1)) return false;
      used = true;
    }
  }
  return used;
}

/* ---- B packing -------------------------------------------------------------------- */

/* [matrix][panel][k][NR], zero-padded past N: see the essay above. */
static ingot_status_t pack_b(gx_t *x, LLVMValueRef *out) {
  const cg_gemm_t *g = x->g;
  int64_t nr = x->t.nr, np = cdiv(g->N, nr), mat = np * g->K * nr;
  size_t total = (size_t)(g->b_mats * mat);
  float *p = calloc(total ? total : 1, sizeof *p);
  if (!p) return cg_error(x->cg, x->k, INGOT_CODE_NOMEM, "out of memory packing B (%zu floats)", total);
  for (int64_t m = 0; m < g->b_mats; m++) {
    const float *src = g->b_const + m * g->K * g->N;
    float *dst = p + m * mat;
    for (int64_t q = 0; q < np; q++)
      for (int64_t kk = 0; kk < g->K; kk++) {
        float *row = dst + (q * g->K + kk) * nr;
        for (int64_t c = 0; c < nr && q * nr + c < g->N; c++) row[c] = src[kk * g->b_rs + (q * nr + c) * g->b_cs];
      }
  }
  LLVMValueRef ptr = cg_weight_ptr(x->cg, x->k, p, total * sizeof *p);
  free(p);
  if (!ptr) return cg_error(x->cg, x->k, INGOT_CODE_NOMEM, "out of memory adding packed B to the weights");
  *out = LLVMBuildBitCast(x->cg->b, ptr, LLVMPointerType(x->cg->t_f32, 0), "bpacked");
  return INGOT_OK;
}

/* ---- stores --------------------------------------------------------------------------- */

/* The finished sum of one vector: alpha, beta * C, the fused epilogue, and
 * the store; `valid` lanes are real columns. */
static void store_final(gx_t *x, LLVMValueRef v, LLVMValueRef row, LLVMValueRef col, int valid) {
  cg_t *cg = x->cg;
  const cg_gemm_t *g = x->g;
  int L = x->L;
  if (g->alpha != 1.0f) v = LLVMBuildFMul(cg->b, v, cg_vsplat(cg, LLVMConstReal(cg->t_f32, g->alpha), L), "");
  if (g->has_c) {
    LLVMValueRef cp = fgep(cg, g->C, iadd(cg, imul(cg, row, g->c_rs), imul(cg, col, g->c_cs)));
    LLVMValueRef cv = g->c_cs ? cg_vload(cg, cp, L, valid) : cg_vsplat(cg, LLVMBuildLoad2(cg->b, cg->t_f32, cp, ""), L);
    if (g->beta != 1.0f) cv = LLVMBuildFMul(cg->b, cv, cg_vsplat(cg, LLVMConstReal(cg->t_f32, g->beta), L), "");
    v = LLVMBuildFAdd(cg->b, v, cv, "");
  }
  LLVMValueRef yp = fgep(cg, x->y, iadd(cg, imul(cg, row, g->N), col));
  if (!x->k->fusion) {
    cg_vstore(cg, v, yp, L, valid);
    return;
  }
  LLVMValueRef grow = iadd(cg, x->grow0, row);
  if (x->epi.vector) {
    cg_vstore(cg, cg_vepi_apply(cg, x->k, &x->epi, v, grow, col), yp, L, L);
    return;
  }
  LLVMValueRef flat = iadd(cg, imul(cg, grow, g->N), col);
  for (int l = 0; l < valid; l++) {
    LLVMValueRef s = LLVMBuildExtractElement(cg->b, v, LLVMConstInt(cg->t_i32, (unsigned long long)l, 0), "");
    cg_store_out(cg, x->k, iadd(cg, flat, i64c(cg, l)), s);
  }
}

#define MAX_NR_LANES 16

/* ---- im2col ------------------------------------------------------------------------------ */

/* Whether build_col can read a vector of L columns as contiguous pieces of
 * image rows: stride 1 along the width, and every vector either inside one
 * output row (ow_n a multiple of L) or L / ow_n whole rows (ow_n divides L);
 * indices in i32. */
static bool col_rows_contiguous(const cg_gemm_t *g, int L) {
  if (g->sw != 1 || g->ow_n < 1) return false;
  if (g->ih * g->iw >= (INT64_C(1) << 30) || g->N >= (INT64_C(1) << 30) || g->iw + g->kw + g->pw >= (1 << 30))
    return false;
  return g->ow_n % L == 0 || L % g->ow_n == 0;
}

static LLVMValueRef vconst_i32(cg_t *cg, const int32_t *v, int lanes) {
  LLVMValueRef e[MAX_NR_LANES];
  for (int l = 0; l < lanes; l++) e[l] = LLVMConstInt(cg->t_i32, (unsigned long long)(uint32_t)v[l], 0);
  return LLVMConstVector(e, (unsigned)lanes);
}

/* One vector of columns [j, j + L) of tap (dy, dx) of channel image xc, read
 * as masked loads of image rows (col_rows_contiguous): lane l is column j + l,
 * output pixel (oh, ow) = ((j + l) / ow_n, (j + l) % ow_n), zero outside the
 * image and past N.  j is a multiple of L. */
static LLVMValueRef col_rows(gx_t *x, LLVMValueRef xc, LLVMValueRef j, LLVMValueRef dy, LLVMValueRef dx) {
  cg_t *cg = x->cg;
  LLVMBuilderRef b = cg->b;
  const cg_gemm_t *g = x->g;
  int L = x->L;
  int32_t iota[MAX_NR_LANES], sub[MAX_NR_LANES], owl[MAX_NR_LANES];
  int r = g->ow_n % L == 0 ? 1 : (int)(L / g->ow_n); /* image rows a vector spans */
  for (int l = 0; l < L; l++) {
    iota[l] = l;
    sub[l] = r == 1 ? 0 : l / (int)g->ow_n;
    owl[l] = r == 1 ? l : l % (int)g->ow_n;
  }
  LLVMTypeRef i32 = cg->t_i32;
  LLVMValueRef oh = LLVMBuildUDiv(b, j, i64c(cg, g->ow_n), "");
  LLVMValueRef ow0 = r == 1 ? LLVMBuildURem(b, j, i64c(cg, g->ow_n), "") : i64c(cg, 0);
  /* lane validity: 0 <= ow0 + owl + dx - pw < iw, 0 <= (oh + sub) * sh + dy - ph < ih, j + l < N */
  LLVMValueRef cx = LLVMBuildNSWSub(b, iadd(cg, ow0, dx), i64c(cg, g->pw), ""); /* ix of owl = 0 */
  LLVMValueRef ix = LLVMBuildAdd(b, vconst_i32(cg, owl, L), cg_vsplat(cg, LLVMBuildTrunc(b, cx, i32, ""), L), "");
  LLVMValueRef iy0 = LLVMBuildNSWSub(b, iadd(cg, imul(cg, oh, g->sh), dy), i64c(cg, g->ph), "");
  LLVMValueRef vsub = vconst_i32(cg, sub, L);
  LLVMValueRef iy = LLVMBuildAdd(b, LLVMBuildMul(b, vsub, cg_vsplat(cg, LLVMConstInt(i32, (unsigned long long)g->sh, 0), L), ""),
                                 cg_vsplat(cg, LLVMBuildTrunc(b, iy0, i32, ""), L), "");
  LLVMValueRef left = LLVMBuildTrunc(b, LLVMBuildNSWSub(b, i64c(cg, g->N), j, ""), i32, "");
  LLVMValueRef ok = LLVMBuildICmp(b, LLVMIntULT, ix, cg_vsplat(cg, LLVMConstInt(i32, (unsigned long long)g->iw, 0), L), "");
  ok = LLVMBuildAnd(b, ok, LLVMBuildICmp(b, LLVMIntULT, iy, cg_vsplat(cg, LLVMConstInt(i32, (unsigned long long)g->ih, 0), L), ""), "");
  ok = LLVMBuildAnd(b, ok, LLVMBuildICmp(b, LLVMIntSLT, vconst_i32(cg, iota, L), cg_vsplat(cg, left, L), ""), "");
  /* sub-row s: lane l reads xc[(iy0 + s*sh) * iw + cx + owl] = base_s + l with base_s = that - (l - owl) */
  LLVMValueRef v = LLVMConstNull(x->vt);
  for (int s = 0; s < r; s++) {
    LLVMValueRef row = iadd(cg, iy0, i64c(cg, (int64_t)s * g->sh));
    LLVMValueRef base = iadd(cg, imul(cg, row, g->iw), LLVMBuildNSWSub(b, cx, i64c(cg, (int64_t)s * g->ow_n), ""));
    LLVMValueRef ptr = LLVMBuildGEP2(b, cg->t_f32, xc, &base, 1, ""); /* may point outside: masked lanes only */
    LLVMValueRef m = r == 1 ? ok
                            : LLVMBuildAnd(b, ok, LLVMBuildICmp(b, LLVMIntEQ, vsub,
                                                                cg_vsplat(cg, LLVMConstInt(i32, (unsigned)s, 0), L), ""), "");
    v = cg_vload_masked(cg, ptr, L, m, v);
  }
  return v;
}

/* The current K block's columns [j0, j0 + jcnt) of the convolution's column
 * matrix into x->col as [panel][k (KC)][NR], zero past N and outside the image. */
static void build_col(gx_t *x, LLVMValueRef jcnt) {
  cg_t *cg = x->cg;
  LLVMBuilderRef b = cg->b;
  const cg_gemm_t *g = x->g;
  int64_t nr = x->t.nr, kk2 = g->kh * g->kw;
  cg_loop_t Lk, Lj;
  LLVMValueRef kk = cg_loop_begin(cg, &Lk, i64c(cg, 0), x->kcnt, "col.k");
  LLVMValueRef kg = iadd(cg, x->k0, kk);
  LLVMValueRef c = LLVMBuildUDiv(b, kg, i64c(cg, kk2), "");
  LLVMValueRef r = LLVMBuildURem(b, kg, i64c(cg, kk2), "");
  LLVMValueRef dy = LLVMBuildUDiv(b, r, i64c(cg, g->kw), ""), dx = LLVMBuildURem(b, r, i64c(cg, g->kw), "");
  LLVMValueRef xc = fgep(cg, x->b, imul(cg, c, g->ih * g->iw));
  LLVMValueRef dst = fgep(cg, x->col, imul(cg, kk, nr));
  /* jcnt is a multiple of NR: L lanes at a time */
  int L = x->L;
  LLVMValueRef jv = cg_loop_begin(cg, &Lj, i64c(cg, 0), LLVMBuildUDiv(b, jcnt, i64c(cg, L), ""), "col.j");
  LLVMValueRef jj = imul(cg, jv, L);
  LLVMValueRef v;
  if (col_rows_contiguous(g, L)) {
    v = col_rows(x, xc, iadd(cg, x->j0, jj), dy, dx);
  } else { /* one masked gather */
    LLVMTypeRef it = LLVMVectorType(cg->t_i64, (unsigned)L);
    LLVMValueRef iota[MAX_NR_LANES];
    for (int l = 0; l < L; l++) iota[l] = LLVMConstInt(cg->t_i64, (unsigned long long)l, 0);
    LLVMValueRef viota = LLVMConstVector(iota, (unsigned)L);
#define VS(v) cg_vsplat(cg, (v), L)
    LLVMValueRef j = LLVMBuildAdd(b, VS(iadd(cg, x->j0, jj)), viota, "");
    LLVMValueRef oh = LLVMBuildUDiv(b, j, VS(i64c(cg, g->ow_n)), "");
    LLVMValueRef ow = LLVMBuildSub(b, j, LLVMBuildMul(b, oh, VS(i64c(cg, g->ow_n)), ""), "");
    LLVMValueRef iy0 = VS(LLVMBuildNSWSub(b, dy, i64c(cg, g->ph), ""));
    LLVMValueRef ix0 = VS(LLVMBuildNSWSub(b, dx, i64c(cg, g->pw), ""));
    LLVMValueRef iy = LLVMBuildAdd(b, LLVMBuildMul(b, oh, VS(i64c(cg, g->sh)), ""), iy0, "");
    LLVMValueRef ix = LLVMBuildAdd(b, LLVMBuildMul(b, ow, VS(i64c(cg, g->sw)), ""), ix0, "");
    LLVMValueRef ok = LLVMBuildAnd(b, LLVMBuildICmp(b, LLVMIntULT, iy, VS(i64c(cg, g->ih)), ""),
                                   LLVMBuildICmp(b, LLVMIntULT, ix, VS(i64c(cg, g->iw)), ""), "");
    ok = LLVMBuildAnd(b, ok, LLVMBuildICmp(b, LLVMIntSLT, j, VS(i64c(cg, g->N)), ""), "");
    LLVMValueRef idx = LLVMBuildSelect(b, ok, LLVMBuildAdd(b, LLVMBuildMul(b, iy, VS(i64c(cg, g->iw)), ""), ix, ""),
                                       LLVMConstNull(it), "");
#undef VS
    LLVMValueRef ptrs = LLVMBuildGEP2(b, cg->t_f32, xc, &idx, 1, "");
    LLVMTypeRef vt = x->vt, tys[2] = {vt, LLVMTypeOf(ptrs)};
    unsigned id = LLVMLookupIntrinsicID("llvm.masked.gather", strlen("llvm.masked.gather"));
    LLVMValueRef f = LLVMGetIntrinsicDeclaration(cg->mod, id, tys, 2);
    LLVMTypeRef ft = LLVMIntrinsicGetType(cg->ctx, id, tys, 2);
    LLVMValueRef args[4] = {ptrs, LLVMConstInt(cg->t_i32, 4, 0), ok, LLVMConstNull(vt)};
    v = LLVMBuildCall2(b, ft, f, args, 4, "");
  }
  LLVMValueRef pq = LLVMBuildUDiv(b, jj, i64c(cg, nr), ""), pl = LLVMBuildURem(b, jj, i64c(cg, nr), "");
  cg_vstore(cg, v, fgep(cg, dst, iadd(cg, imul(cg, pq, x->t.kc * nr), pl)), L, L);
  cg_loop_end(cg, &Lj);
  cg_loop_end(cg, &Lk);
}

/* ---- the microkernel ---------------------------------------------------------------------- */

/* One mr x nv tile at rows [i, i+mr), columns [j, j + nv*L) (the last vector
 * has `valid` real lanes), over the current K block. */
static void emit_tile(gx_t *x, int mr, int nv, int valid, LLVMValueRef i, LLVMValueRef j) {
  cg_t *cg = x->cg;
  LLVMBuilderRef b = cg->b;
  const cg_gemm_t *g = x->g;
  int L = x->L;
  int64_t nr = x->t.nr;
  LLVMValueRef zero = LLVMConstNull(x->vt);
  LLVMValueRef acc[MAX_MR][MAX_NV];
  for (int r = 0; r < mr; r++)
    for (int v = 0; v < nv; v++) {
      if (x->t.kblocks == 1) {
        acc[r][v] = zero;
        continue;
      }
      /* later K blocks continue the partial sums stored in Y */
      LLVMValueRef yp = fgep(cg, x->y, iadd(cg, imul(cg, iadd(cg, i, i64c(cg, r)), g->N), iadd(cg, j, i64c(cg, v * L))));
      LLVMValueRef old = cg_vload(cg, yp, L, v == nv - 1 ? valid : L);
      acc[r][v] = LLVMBuildSelect(b, x->first, zero, old, "");
    }
  LLVMValueRef arow = fgep(cg, x->a, iadd(cg, imul(cg, i, g->a_rs), imul(cg, x->k0, g->a_cs)));
  LLVMValueRef bp = g->im2col ? fgep(cg, x->col, imul(cg, LLVMBuildNSWSub(b, j, x->j0, ""), x->t.kc))
                    : x->packed ? fgep(cg, x->b, iadd(cg, imul(cg, j, g->K), imul(cg, x->k0, nr)))
                                : fgep(cg, x->b, iadd(cg, imul(cg, x->k0, g->b_rs), j));

  /* do { ... } while (++kk < kcnt): a K block is never empty */
  LLVMBasicBlockRef pre = LLVMGetInsertBlock(b);
  LLVMBasicBlockRef body = LLVMAppendBasicBlockInContext(cg->ctx, cg->fn, "ukernel");
  LLVMBasicBlockRef exit = LLVMAppendBasicBlockInContext(cg->ctx, cg->fn, "ukernel.done");
  LLVMBuildBr(b, body);
  LLVMPositionBuilderAtEnd(b, body);
  LLVMValueRef kk = LLVMBuildPhi(b, cg->t_i64, "k");
  LLVMValueRef phi[MAX_MR][MAX_NV], next[MAX_MR][MAX_NV];
  for (int r = 0; r < mr; r++)
    for (int v = 0; v < nv; v++) phi[r][v] = LLVMBuildPhi(b, x->vt, "acc");
  LLVMValueRef bk = fgep(cg, bp, imul(cg, kk, x->panels ? nr : g->b_rs));
  LLVMValueRef bv[MAX_NV];
  for (int v = 0; v < nv; v++)
    bv[v] = cg_vload(cg, fgep(cg, bk, i64c(cg, v * L)), L, (x->panels || v < nv - 1) ? L : valid);
  LLVMValueRef ak = fgep(cg, arow, imul(cg, kk, g->a_cs));
  for (int r = 0; r < mr; r++) {
    LLVMValueRef s = LLVMBuildLoad2(b, cg->t_f32, fgep(cg, ak, i64c(cg, r * g->a_rs)), "");
    LLVMValueRef sv = cg_vsplat(cg, s, L);
    for (int v = 0; v < nv; v++) {
      LLVMValueRef args[3] = {sv, bv[v], phi[r][v]};
      next[r][v] = cg_intrinsic(cg, "llvm.fmuladd", x->vt, args, 3);
    }
  }
  LLVMValueRef kn = LLVMBuildNSWAdd(b, kk, i64c(cg, 1), "");
  LLVMBuildCondBr(b, LLVMBuildICmp(b, LLVMIntSLT, kn, x->kcnt, ""), body, exit);
  LLVMBasicBlockRef latch = LLVMGetInsertBlock(b);
  LLVMValueRef k0v = i64c(cg, 0);
  LLVMAddIncoming(kk, &k0v, &pre, 1);
  LLVMAddIncoming(kk, &kn, &latch, 1);
  for (int r = 0; r < mr; r++)
    for (int v = 0; v < nv; v++) {
      LLVMAddIncoming(phi[r][v], &acc[r][v], &pre, 1);
      LLVMAddIncoming(phi[r][v], &next[r][v], &latch, 1);
    }
  LLVMPositionBuilderAtEnd(b, exit);

  cg_if_t c;
  if (x->t.kblocks > 1) cg_if_begin(cg, &c, x->last);
  if (x->stage) {
    /* a long epilogue: park the sums in the tile buffer and finish one row per iteration of a
     * loop kept rolled, so that the epilogue's temporaries of MR x NV vectors are never live
     * at once (unrolled, a GELU's spill dozens of vectors to the stack) */
    for (int r = 0; r < mr; r++)
      for (int v = 0; v < nv; v++) cg_vstore(cg, next[r][v], fgep(cg, x->stage, i64c(cg, (r * nv + v) * L)), L, L);
    cg_loop_t Lr;
    LLVMValueRef r = cg_loop_begin(cg, &Lr, i64c(cg, 0), i64c(cg, mr), "epi.row");
    for (int v = 0; v < nv; v++) {
      LLVMValueRef sv = cg_vload(cg, fgep(cg, x->stage, iadd(cg, imul(cg, r, (int64_t)nv * L), i64c(cg, v * L))), L, L);
      store_final(x, sv, iadd(cg, i, r), iadd(cg, j, i64c(cg, v * L)), v == nv - 1 ? valid : L);
    }
    cg_loop_end_no_unroll(cg, &Lr);
  } else {
    for (int r = 0; r < mr; r++)
      for (int v = 0; v < nv; v++)
        store_final(x, next[r][v], iadd(cg, i, i64c(cg, r)), iadd(cg, j, i64c(cg, v * L)), v == nv - 1 ? valid : L);
  }
  if (x->t.kblocks > 1) {
    cg_if_else(cg, &c);
    for (int r = 0; r < mr; r++)
      for (int v = 0; v < nv; v++) {
        LLVMValueRef yp =
            fgep(cg, x->y, iadd(cg, imul(cg, iadd(cg, i, i64c(cg, r)), g->N), iadd(cg, j, i64c(cg, v * L))));
        cg_vstore(cg, next[r][v], yp, L, v == nv - 1 ? valid : L);
      }
    cg_if_end(cg, &c);
  }
}

/* The M tiles [t0, t1) of full tiles, then the M edge tile when this item
 * holds the last M block, all for the panel at column j. */
static void emit_rows(gx_t *x, LLVMValueRef t0, LLVMValueRef t1, LLVMValueRef last_m, LLVMValueRef j, int nv,
                      int valid) {
  cg_t *cg = x->cg;
  int mr = x->t.mr;
  int64_t mrem = x->g->M % mr, mfull = x->g->M / mr;
  if (mfull > 0) {
    cg_loop_t L;
    LLVMValueRef t = cg_loop_begin(cg, &L, t0, t1, "mtile");
    emit_tile(x, mr, nv, valid, imul(cg, t, mr), j);
    cg_loop_end(cg, &L);
  }
  if (mrem) {
    cg_if_t c;
    cg_if_begin(cg, &c, last_m);
    emit_tile(x, (int)mrem, nv, valid, i64c(cg, mfull * mr), j);
    cg_if_end(cg, &c);
  }
}

/* With row tiles outside, the item's first tile row reads its whole B block (packed weights,
 * usually from DRAM: a model's weights rarely fit the L3) at the rate the microkernel consumes
 * it, faster than memory delivers; the later rows find it in L2.  So while tile rows 1.. run,
 * fetch the block that comes next -- this panel's next K block, or after the last K block the
 * next item's first (panel q + ppb) -- a slice of its cache lines after every tile, spread
 * evenly over the rows (llvm.prefetch, read, locality 2).  DiT-S/2, 1 thread: its GEMMs 2-4%
 * faster. */
static void prefetch_next_block(gx_t *x, LLVMValueRef t, LLVMValueRef t0, LLVMValueRef t1, LLVMValueRef q, int64_t np,
                                int64_t ppb) {
  cg_t *cg = x->cg;
  LLVMBuilderRef b = cg->b;
  const cg_gemm_t *g = x->g;
  int64_t nr = x->t.nr, K = g->K, kc = x->t.kc;
  /* the next K block of this panel, or (last K block) panel q + ppb's first block */
  LLVMValueRef last = x->t.kblocks > 1 ? x->last : LLVMConstInt(cg->t_i1, 1, 0);
  LLVMValueRef k0 = x->t.kblocks > 1 ? x->k0 : i64c(cg, 0);
  LLVMValueRef qn = LLVMBuildSelect(b, last, iadd(cg, q, i64c(cg, ppb)), q, "");
  LLVMValueRef kn = LLVMBuildSelect(b, last, i64c(cg, 0), iadd(cg, k0, i64c(cg, kc)), "");
  LLVMValueRef ok = LLVMBuildICmp(b, LLVMIntSLT, qn, i64c(cg, np), "");
  LLVMValueRef kcnt = imin(cg, i64c(cg, kc), LLVMBuildNSWSub(b, i64c(cg, K), kn, ""));
  LLVMValueRef lines = LLVMBuildSDiv(b, iadd(cg, imul(cg, kcnt, nr), i64c(cg, 15)), i64c(cg, 16), "");
  LLVMValueRef rows = LLVMBuildNSWSub(b, LLVMBuildNSWSub(b, t1, t0, ""), i64c(cg, 1), "");
  LLVMValueRef r = LLVMBuildNSWSub(b, LLVMBuildNSWSub(b, t, t0, ""), i64c(cg, 1), "");
  ok = LLVMBuildAnd(b, ok, LLVMBuildICmp(b, LLVMIntSGE, r, i64c(cg, 0), ""), "");
  ok = LLVMBuildAnd(b, ok, LLVMBuildICmp(b, LLVMIntSGT, rows, i64c(cg, 0), ""), "");
  cg_if_t c;
  cg_if_begin(cg, &c, ok);
  LLVMValueRef per = LLVMBuildSDiv(b, iadd(cg, lines, LLVMBuildNSWSub(b, rows, i64c(cg, 1), "")), rows, "");
  LLVMValueRef lo = LLVMBuildNSWMul(b, r, per, "");
  LLVMValueRef hi = imin(cg, iadd(cg, lo, per), lines);
  LLVMValueRef base = fgep(cg, x->b, iadd(cg, imul(cg, qn, K * nr), imul(cg, kn, nr)));
  cg_loop_t L;
  LLVMValueRef i = cg_loop_begin(cg, &L, lo, hi, "pf");
  LLVMValueRef p = LLVMBuildGEP2(b, cg->t_f32, base, (LLVMValueRef[]){imul(cg, i, 16)}, 1, "");
  LLVMValueRef args[4] = {LLVMBuildBitCast(b, p, cg->t_ptr, ""), LLVMConstInt(cg->t_i32, 0, 0),
                          LLVMConstInt(cg->t_i32, 2, 0), LLVMConstInt(cg->t_i32, 1, 0)};
  unsigned id = LLVMLookupIntrinsicID("llvm.prefetch", strlen("llvm.prefetch"));
  LLVMTypeRef tys[1] = {cg->t_ptr};
  LLVMValueRef f = LLVMGetIntrinsicDeclaration(cg->mod, id, tys, 1);
  LLVMBuildCall2(b, LLVMIntrinsicGetType(cg->ctx, id, tys, 1), f, args, 4, "");
  cg_loop_end(cg, &L);
  cg_if_end(cg, &c);
}

/* Loop order inside a work item.  Panels outside (Goto's order) keeps a KC x NR micro-panel of
 * B in L1 for all the item's row tiles and streams A from L2; row tiles outside keeps a tile's
 * MR x KC slice of A in L1 and streams the item's KC x NC block of B from L2, so it needs that
 * block to fit there.  Measured on Zen 4 (DiT-S/2 shapes, 1 thread): row tiles outside is as
 * fast or faster on every shape, 5% on [256,384] x [384,1536] whose 6 KiB output rows put a
 * column of C tiles into two L1 sets. */
static bool a_stationary(const gx_t *x) {
  if (!x->panels) return false; /* unpacked B: its rows are N apart, the block is not contiguous */
  int64_t block = 4 * x->t.kc * x->t.panels_per_nblock * x->t.nr;
  return block <= x->cg->target->l2_bytes / 4 * 3;
}

ingot_status_t cg_gemm_emit(cg_t *cg, cg_kernel_t *k, const cg_gemm_t *g) {
  gx_t x;
  memset(&x, 0, sizeof x);
  x.cg = cg;
  x.k = k;
  x.g = g;
  x.packed = g->b_const != NULL;
  const ingot_fusion_t *f = (const ingot_fusion_t *)k->fusion;
  int64_t batch = 1;
  for (int d = 0; d < g->nbatch; d++) batch *= g->bdims[d];
  x.panels = x.packed || g->im2col;
  cg_gemm_problem_t p = {batch, g->M, g->N, g->K, x.panels, true, 0};
  p.epilogue_ops = (g->alpha != 1.0f) + 2 * g->has_c + (f ? (int)f->nsteps : 0);
  cg_gemm_choose_tiling(cg->target, &p, &x.t);
  if (x.t.mr > MAX_MR || x.t.nv > MAX_NV)
    return cg_error(cg, k, INGOT_CODE_INTERNAL, "GEMM tile %dx%d exceeds the emitter's limits", x.t.mr, x.t.nv);
  if (g->im2col && x.t.lanes > MAX_NR_LANES)
    return cg_error(cg, k, INGOT_CODE_INTERNAL, "im2col with %d lanes exceeds the emitter's limit", x.t.lanes);
  if (g->im2col) { /* the column buffer of one K block must fit the stack: fewer panels per N block */
    int64_t np0 = cdiv(g->N, x.t.nr), cap = COLBUF_BYTES / (int64_t)(4 * x.t.kc * x.t.nr);
    if (cap < 1)
      return cg_error(cg, k, INGOT_CODE_INTERNAL, "im2col block KC=%lld x NR=%d exceeds the stack budget",
                      (long long)x.t.kc, x.t.nr);
    if (x.t.panels_per_nblock > cap) {
      x.t.panels_per_nblock = cap;
      x.t.nblocks = cdiv(np0, cap);
      x.t.work = batch * x.t.mblocks * x.t.nblocks;
    }
  }
  x.L = x.t.lanes;
  x.vt = LLVMVectorType(cg->t_f32, (unsigned)x.L);
  cg_vepi_init(cg, k, g->N, x.L, &x.epi);
  if (f && f->nsteps >= EPI_STAGE_STEPS && x.epi.vector && x.t.mr * x.t.nv > 1) {
    LLVMValueRef buf = cg_alloca(cg, LLVMArrayType(cg->t_f32, (unsigned)(x.t.mr * x.t.nv * x.t.lanes)), "epi.stage");
    LLVMSetAlignment(buf, 64);
    x.stage = LLVMBuildBitCast(cg->b, buf, LLVMPointerType(cg->t_f32, 0), "");
  }
  cg_gemm_tiling_format(&x.t, k->tiles, sizeof k->tiles);
  k->predicted_s = x.t.predicted_s;
  k->work = x.t.work;

  LLVMValueRef bsrc = g->B;
  if (x.packed) INGOT_RETURN_IF_ERROR(pack_b(&x, &bsrc));
  int64_t np = cdiv(g->N, x.t.nr), pmat = np * g->K * x.t.nr;
  int64_t tpb = x.t.tiles_per_mblock, ppb = x.t.panels_per_nblock;
  int64_t mfull = g->M / x.t.mr, nfull = g->N / x.t.nr, nrem = g->N % x.t.nr;

  /* item -> (batch, N block, M block) */
  cg_loop_t Li;
  LLVMValueRef item = cg_loop_begin(cg, &Li, k->begin, k->end, "item");
  LLVMValueRef mb = x.t.mblocks > 1 ? LLVMBuildURem(cg->b, item, i64c(cg, x.t.mblocks), "") : i64c(cg, 0);
  LLVMValueRef rest = x.t.mblocks > 1 ? LLVMBuildUDiv(cg->b, item, i64c(cg, x.t.mblocks), "") : item;
  LLVMValueRef nb = x.t.nblocks > 1 ? LLVMBuildURem(cg->b, rest, i64c(cg, x.t.nblocks), "") : i64c(cg, 0);
  LLVMValueRef bflat = x.t.nblocks > 1 ? LLVMBuildUDiv(cg->b, rest, i64c(cg, x.t.nblocks), "") : rest;
  LLVMValueRef aoff = i64c(cg, 0), boff = i64c(cg, 0);
  if (g->nbatch > 0) {
    LLVMValueRef coords[INGOT_MAX_RANK];
    int64_t pst[INGOT_MAX_RANK];
    for (int d = 0; d < g->nbatch; d++) pst[d] = x.packed ? g->b_bst[d] / (g->K * g->N) * pmat : g->b_bst[d];
    cg_unflatten(cg, bflat, g->nbatch, g->bdims, coords);
    aoff = cg_dot(cg, g->nbatch, coords, g->a_bst);
    boff = cg_dot(cg, g->nbatch, coords, pst);
  }
  x.a = fgep(cg, g->A, aoff);
  x.b = fgep(cg, bsrc, boff);
  x.y = fgep(cg, k->out[0], imul(cg, bflat, g->M * g->N));
  x.grow0 = imul(cg, bflat, g->M);
  LLVMValueRef t0 = imul(cg, mb, tpb), t1 = imin(cg, iadd(cg, t0, i64c(cg, tpb)), i64c(cg, mfull));
  LLVMValueRef q0 = imul(cg, nb, ppb), q1 = imin(cg, iadd(cg, q0, i64c(cg, ppb)), i64c(cg, nfull));
  LLVMValueRef last_m = LLVMBuildICmp(cg->b, LLVMIntEQ, mb, i64c(cg, x.t.mblocks - 1), "");
  LLVMValueRef last_n = LLVMBuildICmp(cg->b, LLVMIntEQ, nb, i64c(cg, x.t.nblocks - 1), "");

  if (g->im2col) {
    x.col = LLVMBuildBitCast(
        cg->b, cg_alloca(cg, LLVMArrayType(cg->t_f32, (unsigned)(x.t.kc * ppb * x.t.nr)), "im2col"),
        LLVMPointerType(cg->t_f32, 0), "");
    x.j0 = imul(cg, q0, x.t.nr);
  }
  cg_loop_t Lk;
  if (x.t.kblocks > 1) {
    LLVMValueRef kb = cg_loop_begin(cg, &Lk, i64c(cg, 0), i64c(cg, x.t.kblocks), "kblock");
    x.k0 = imul(cg, kb, x.t.kc);
    x.kcnt = g->K % x.t.kc == 0 ? i64c(cg, x.t.kc) : imin(cg, i64c(cg, x.t.kc), LLVMBuildNSWSub(cg->b, i64c(cg, g->K), x.k0, ""));
    x.first = LLVMBuildICmp(cg->b, LLVMIntEQ, kb, i64c(cg, 0), "");
    x.last = LLVMBuildICmp(cg->b, LLVMIntEQ, kb, i64c(cg, x.t.kblocks - 1), "");
  } else {
    x.k0 = i64c(cg, 0);
    x.kcnt = i64c(cg, g->K);
  }
  if (g->im2col) /* this K block's columns: the N block's panels (the last may hold fewer) */
    build_col(&x, imin(cg, i64c(cg, ppb * x.t.nr), LLVMBuildNSWSub(cg->b, i64c(cg, np * x.t.nr), x.j0, "")));
  if (nfull > 0 && a_stationary(&x)) {
    /* row tiles outside, panels inside: the tile's A slice stays in L1 and consecutive C tiles
     * are neighbours in a row (down a column, rows N floats apart can fall into a few L1 sets) */
    int64_t mrem = g->M % x.t.mr;
    cg_loop_t Lt, Lq;
    if (mfull > 0) {
      LLVMValueRef t = cg_loop_begin(cg, &Lt, t0, t1, "mtile");
      LLVMValueRef q = cg_loop_begin(cg, &Lq, q0, q1, "panel");
      emit_tile(&x, x.t.mr, x.t.nv, x.L, imul(cg, t, x.t.mr), imul(cg, q, x.t.nr));
      if (x.packed) prefetch_next_block(&x, t, t0, t1, q, np, ppb);
      cg_loop_end(cg, &Lq);
      cg_loop_end(cg, &Lt);
    }
    if (mrem) {
      cg_if_t c;
      cg_if_begin(cg, &c, last_m);
      LLVMValueRef q = cg_loop_begin(cg, &Lq, q0, q1, "panel");
      emit_tile(&x, (int)mrem, x.t.nv, x.L, i64c(cg, mfull * x.t.mr), imul(cg, q, x.t.nr));
      cg_loop_end(cg, &Lq);
      cg_if_end(cg, &c);
    }
  } else if (nfull > 0) {
    cg_loop_t Lq;
    LLVMValueRef q = cg_loop_begin(cg, &Lq, q0, q1, "panel");
    emit_rows(&x, t0, t1, last_m, imul(cg, q, x.t.nr), x.t.nv, x.L);
    cg_loop_end(cg, &Lq);
  }
  if (nrem) {
    int nve = (int)cdiv(nrem, x.L), valid = (int)(nrem - (int64_t)(nve - 1) * x.L);
    cg_if_t c;
    cg_if_begin(cg, &c, last_n);
    emit_rows(&x, t0, t1, last_m, i64c(cg, nfull * x.t.nr), nve, valid);
    cg_if_end(cg, &c);
  }
  if (x.t.kblocks > 1) cg_loop_end(cg, &Lk);
  cg_loop_end(cg, &Li);
  return INGOT_OK;
}

/* ---- convolutions that are GEMMs ------------------------------------------------------------ */

static bool ints_all(const ingot_node_t *n, const char *name, int64_t want) {
  const int64_t *v;
  int64_t cnt = ingot_node_attr_ints(n, name, &v);
  for (int64_t i = 0; i < cnt; i++)
    if (v[i] != want) return false;
  return true;
}

ingot_status_t cg_gemm_try_conv(cg_t *cg, cg_kernel_t *k, bool *done) {
  *done = false;
  const ingot_value_t *vx = k->vin[0], *vw = k->nin > 1 ? k->vin[1] : NULL, *vb = k->nin > 2 ? k->vin[2] : NULL;
  if (!vx || !vw || vx->type.dtype != INGOT_DT_FLOAT || vw->type.dtype != INGOT_DT_FLOAT) return INGOT_OK;
  if (vb && (vb->type.dtype != INGOT_DT_FLOAT || vb->type.rank != 1)) return INGOT_OK;
  int64_t xd[INGOT_MAX_RANK], wd[INGOT_MAX_RANK];
  int rx = cg_dims(vx, xd), rw = cg_dims(vw, wd);
  if (rx < 3 || rw != rx || wd[1] != xd[1] || ingot_node_attr_i(k->n, "group", 1) != 1) return INGOT_OK;
  int64_t P = 1;
  for (int d = 2; d < rx; d++) {
    if (wd[d] != 1) return INGOT_OK;
    P *= xd[d];
  }
  if (!ints_all(k->n, "strides", 1) || !ints_all(k->n, "pads", 0)) return INGOT_OK;
  int64_t Nb = xd[0], C = xd[1], M = wd[0];
  if (vb && vb->type.dims[0].v != M) return INGOT_OK;
  cg_gemm_t g;
  memset(&g, 0, sizeof g);
  g.M = M, g.N = P, g.K = C;
  g.nbatch = 1;
  g.bdims[0] = Nb;
  g.a_bst[0] = 0;     /* one W for every image */
  g.b_bst[0] = C * P; /* image n's X */
  g.a_rs = C, g.a_cs = 1;
  g.b_rs = P, g.b_cs = 1;
  g.alpha = g.beta = 1.0f;
  g.A = k->in[1], g.B = k->in[0];
  if (vb) {
    g.has_c = true;
    g.c_rs = 1, g.c_cs = 0; /* bias[m] along each output row */
    g.C = k->in[2];
  }
  if (!cg_gemm_supported(cg, k, &g)) return INGOT_OK;
  k->flops = 2.0 * (double)Nb * M * P * C;
  k->bytes = 4.0 * ((double)Nb * C * P + (double)M * C + (double)Nb * M * P + (vb ? M : 0));
  *done = true;
  return cg_gemm_emit(cg, k, &g);
}

ingot_status_t cg_gemm_try_conv2d(cg_t *cg, cg_kernel_t *k, const cg_conv2d_t *c, bool *done) {
  *done = false;
  const ingot_value_t *vx = k->vin[0], *vw = k->nin > 1 ? k->vin[1] : NULL, *vb = k->nin > 2 ? k->vin[2] : NULL;
  if (!vx || !vw || vx->type.dtype != INGOT_DT_FLOAT || vw->type.dtype != INGOT_DT_FLOAT) return INGOT_OK;
  if (vb && (vb->type.dtype != INGOT_DT_FLOAT || vb->type.rank != 1 || vb->type.dims[0].v != c->M)) return INGOT_OK;
  cg_gemm_t g;
  memset(&g, 0, sizeof g);
  g.M = c->M, g.N = c->oh * c->ow, g.K = c->C * c->kh * c->kw;
  g.nbatch = 1;
  g.bdims[0] = c->N;
  g.a_bst[0] = 0;                  /* one W for every image */
  g.b_bst[0] = c->C * c->ih * c->iw; /* image n */
  g.a_rs = g.K, g.a_cs = 1;        /* W [M, C*kh*kw] read in place */
  g.b_rs = g.N, g.b_cs = 1;
  g.alpha = g.beta = 1.0f;
  g.A = k->in[1], g.B = k->in[0];
  g.im2col = true;
  g.ih = c->ih, g.iw = c->iw, g.kh = c->kh, g.kw = c->kw, g.sh = c->sh, g.sw = c->sw, g.ph = c->ph, g.pw = c->pw;
  g.ow_n = c->ow;
  if (vb) {
    g.has_c = true;
    g.c_rs = 1, g.c_cs = 0;
    g.C = k->in[2];
  }
  if (!cg_gemm_supported(cg, k, &g)) return INGOT_OK;
  k->flops = 2.0 * (double)c->N * g.M * g.N * g.K;
  k->bytes = 4.0 * ((double)c->N * c->C * c->ih * c->iw + (double)g.M * g.K + (double)c->N * g.M * g.N +
                    (vb ? g.M : 0));
  *done = true;
  return cg_gemm_emit(cg, k, &g);
}
