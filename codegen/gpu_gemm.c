/* Tensor-core GEMM and implicit-GEMM convolution for the GPU backend.
 *
 * One kernel computes Y = epilogue(alpha * A B + beta * C) for MatMul,
 * Gemm, Conv (group 1, as an implicit GEMM) and the fused nodes anchored on
 * them (passes/fusion.h: the epilogue is applied by cg_store_out).
 *
 * Structure (the classic Ampere design: CUTLASS 2.x, "Dissecting the
 * Ampere GPU architecture via microbenchmarking", NVIDIA's cp.async guide):
 *   - a block computes a BM x BN tile of Y for one batch index; its warps
 *     form a warps_m x warps_n grid, each warp a (BM/warps_m) x
 *     (BN/warps_n) tile made of 16 x 8 mma.sync tiles;
 *   - K is walked in slices of BK; `stages` shared-memory buffers are
 *     filled by cp.async (16-byte copies where rows allow, 4-byte ones
 *     otherwise, zero-filled outside the matrix) while the tensor cores
 *     work on an earlier slice: cp.async.commit_group after each slice,
 *     cp.async.wait_group stages-2 and one bar.sync per iteration;
 *   - A (activations, float32) is staged as float32 and converted to the
 *     operand format when fragments are loaded (cvt.rn.f16x2.f32 etc.),
 *     which keeps the copy asynchronous; a constant B (weights) is packed
 *     at compile time into the operand format, transposed to [N][K] and
 *     padded to whole tiles, so its copies are always full 16-byte ones;
 *     a non-constant B is staged as float32 like A;
 *   - shared-memory rows are padded (gpu_gemm_ld) so the eight row groups
 *     of a fragment load hit distinct banks;
 *   - the epilogue converts nothing: each thread holds float32
 *     accumulators and stores them through the fused epilogue.
 * The tile sizes come from the cost model (gpu_arch.c: gpu_gemm_choose).
 *
 * Precisions (mma.sync.aligned.*.row.col.f32.X.X.f32, fp32 accumulate):
 *   fp16 (default) m16n8k16, bf16 m16n8k16, tf32 m16n8k8 (--tf32), and
 *   e4m3 m16n8k32 (--quantize fp8-e4m3, sm_89+: constant weights only,
 *   quantised per output column with scale max|W[:,n]| / 448; activations
 *   converted with saturation at +-448 and no scale; products of two
 *   activations stay fp16).  Error bounds (relative L2 per GEMM, random
 *   O(1) data, K <= 4096): fp16 ~5e-4, bf16 ~4e-3, tf32 ~5e-4, e4m3 ~4e-2.
 *
 * Fragment layouts are the PTX ISA's (section 9.7.14.5.8 and .9): with
 * g = lane / 4 and t = lane % 4, A register r holds row g + 8 (r & 1),
 * k = (r >> 1) * kstep/2 + e t (+ 0..e-1 packed low to high, e = k
 * elements per register); B register r holds column g, k = r kstep/2 + e t;
 * accumulator c holds row g + 8 (c >> 1), column 2t + (c & 1). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "codegen/cg_fused_impl.h"
#include "codegen/gpu_fp.h"
#include "codegen/gpu_impl.h"
#include "passes/fusion.h"

enum { PREC_F16, PREC_BF16, PREC_TF32, PREC_FP8 };

typedef struct {
  const char *name, *mma;
  int k_step; /* k of one mma */
  int epr;    /* k elements per 32-bit register */
  int pbytes; /* bytes of one packed element */
} prec_info_t;

static const prec_info_t precs[] = {
    {"fp16", "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32", 16, 2, 2},
    {"bf16", "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32", 16, 2, 2},
    {"tf32", "mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32", 8, 1, 4},
    {"e4m3", "mma.sync.aligned.m16n8k32.row.col.f32.e4m3.e4m3.f32", 32, 4, 1},
};

/* How an operand tile is read from global memory and kept in shared memory. */
enum {
  OP_KMAJOR,  /* float32, k contiguous: rows of the tile are m (or n) */
  OP_MNMAJOR, /* float32, m (or n) contiguous: rows of the tile are k */
  OP_PACKED,  /* B only: packed [Npad][Kpad] in the operand format */
  OP_CONV,    /* A only: implicit im2col of an NCHW input */
};

typedef struct {
  int mode;
  LLVMValueRef base;              /* float* (or i8* for OP_PACKED) */
  int64_t s_mn, s_k;              /* element strides */
  int64_t bst[INGOT_MAX_RANK];    /* per batch dim (0: broadcast) */
  int vec;                        /* floats per cp.async: 4 or 1 */
  int ld;                         /* shared-memory row stride, elements */
  int rows;                       /* tile rows in shared memory */
  int ebytes;                     /* bytes per shared-memory element */
  int stage_bytes;
} operand_t;

typedef struct {
  int64_t C, H, W, KH, KW, OH, OW, sh, sw, ph, pw, dh, dw;
} conv_t;

typedef struct {
  ingot_gpu_t *gpu;
  cg_t *c;
  cg_kernel_t *k;
  int prec;
  const prec_info_t *P;
  gpu_gemm_tile_t T;
  int64_t M, N, K, Kpad, Npad;
  int nbatch;
  int64_t bdims[INGOT_MAX_RANK];
  operand_t A, B;
  bool is_conv;
  conv_t cv;
  int64_t y_bst[INGOT_MAX_RANK]; /* output element stride per batch dim */
  double alpha, beta;
  LLVMValueRef C;                /* Gemm's C / Conv's bias, or NULL */
  int cdt;
  int64_t c_rs, c_cs;
  LLVMValueRef bscale;           /* fp8: float per output column */
  int threads, mi, ni;           /* mma tiles per warp: mi x ni */
  /* values inside the kernel */
  LLVMValueRef tid, g, t, wm, wn, m0, n0, aoff, boff, yoff, smem_a, smem_b, acc;
} gemm_t;

static LLVMValueRef i64c(cg_t *c, int64_t v) { return cg_i64(c, v); }
static LLVMValueRef add64(cg_t *c, LLVMValueRef a, LLVMValueRef b) { return LLVMBuildAdd(c->b, a, b, ""); }
static LLVMValueRef mul64(cg_t *c, LLVMValueRef a, int64_t v) {
  if (v == 1) return a;
  return LLVMBuildMul(c->b, a, i64c(c, v), "");
}
static LLVMValueRef ult(cg_t *c, LLVMValueRef a, int64_t v) { return LLVMBuildICmp(c->b, LLVMIntULT, a, i64c(c, v), ""); }
static LLVMValueRef and1(cg_t *c, LLVMValueRef a, LLVMValueRef b) { return LLVMBuildAnd(c->b, a, b, ""); }

static int64_t numel_of(const ingot_value_t *v) {
  int64_t n = 1;
  for (int d = 0; d < v->type.rank; d++) n *= v->type.dims[d].v;
  return n;
}

/* ---- matching --------------------------------------------------------------------- */

/* The node that decides: the anchor of a fused node, else the node. */
static const ingot_node_t *anchor_of(const ingot_node_t *n, const ingot_fusion_t **f) {
  *f = NULL;
  if (n->op != INGOT_OP_FUSED) return n;
  *f = (const ingot_fusion_t *)n->pass_data;
  if (!*f || (*f)->anchor_op < 0) return NULL;
  return &(*f)->anchor;
}

static bool is_f32(const ingot_graph_t *g, int32_t v) {
  return v >= 0 && g->values[v].type.dtype == INGOT_DT_FLOAT && ingot_type_is_static(&g->values[v].type);
}

bool gpu_gemm_match(const ingot_gpu_t *gpu, const ingot_graph_t *g, int32_t node) {
  const ingot_fusion_t *f;
  const ingot_node_t *n = anchor_of(&g->nodes[node], &f);
  if (!n || !is_f32(g, g->nodes[node].outputs[0])) return false;
  if (n->op == INGOT_OP_MATMUL) {
    if (n->ninputs != 2 || !is_f32(g, n->inputs[0]) || !is_f32(g, n->inputs[1])) return false;
    const ingot_type_t *a = &g->values[n->inputs[0]].type, *b = &g->values[n->inputs[1]].type;
    if (a->rank < 2 || b->rank < 2) return false;
    int64_t M = a->dims[a->rank - 2].v, K = a->dims[a->rank - 1].v, N = b->dims[b->rank - 1].v;
    if (M < 1 || N < 1 || K < 1 || b->dims[b->rank - 2].v != K) return false;
    int64_t batch = numel_of(&g->values[g->nodes[node].outputs[0]]) / (M * N);
    return batch >= 1 && batch <= 65535 && (M + 15) / 16 <= 65535;
  }
  if (n->op == INGOT_OP_GEMM) {
    if (n->ninputs < 2 || !is_f32(g, n->inputs[0]) || !is_f32(g, n->inputs[1])) return false;
    if (n->ninputs > 2 && n->inputs[2] >= 0 && (!is_f32(g, n->inputs[2]) || g->values[n->inputs[2]].type.rank > 2))
      return false;
    return g->values[n->inputs[0]].type.rank == 2 && g->values[n->inputs[1]].type.rank == 2;
  }
  return false;
}

bool gpu_conv_match(const ingot_gpu_t *gpu, const ingot_graph_t *g, int32_t node) {
  const ingot_fusion_t *f;
  const ingot_node_t *n = anchor_of(&g->nodes[node], &f);
  if (!n || n->op != INGOT_OP_CONV || !is_f32(g, g->nodes[node].outputs[0])) return false;
  if (n->ninputs < 2 || !is_f32(g, n->inputs[0]) || !is_f32(g, n->inputs[1])) return false;
  if (!g->values[n->inputs[1]].data) return false; /* weights must be constant (packed) */
  if (n->ninputs > 2 && n->inputs[2] >= 0 && !is_f32(g, n->inputs[2])) return false;
  if (g->values[n->inputs[0]].type.rank != 4 || ingot_node_attr_i(n, "group", 1) != 1) return false;
  const char *ap = ingot_node_attr_s(n, "auto_pad", "NOTSET");
  return !strcmp(ap, "NOTSET") || !strcmp(ap, "VALID");
}

/* ---- kernel pieces ------------------------------------------------------------------ */

/* Byte address (i32) of element (row, col) of an operand's tile in `slot`. */
static LLVMValueRef tile_off(gemm_t *G, const operand_t *op, LLVMValueRef slot_base, LLVMValueRef row, LLVMValueRef col) {
  cg_t *c = G->c;
  LLVMValueRef e = LLVMBuildAdd(c->b, LLVMBuildMul(c->b, row, gpu_i32(c, op->ld), ""), col, "");
  return LLVMBuildAdd(c->b, slot_base, LLVMBuildMul(c->b, e, gpu_i32(c, op->ebytes), ""), "");
}

/* Global float pointer base + off (elements). */
static LLVMValueRef gep_f32(cg_t *c, LLVMValueRef base, LLVMValueRef off) {
  return LLVMBuildInBoundsGEP2(c->b, c->t_f32, base, &off, 1, "");
}

/* Loops `count` work items over the block's threads: body(item). */
typedef void (*item_fn)(gemm_t *G, const operand_t *op, LLVMValueRef slot_base, LLVMValueRef k0, LLVMValueRef item,
                        bool is_a);

typedef struct {
  gemm_t *G;
  const operand_t *op;
  LLVMValueRef slot_base, k0;
  item_fn fn;
  bool is_a;
} items_t;

static void item_thunk(void *ud, LLVMValueRef item) {
  items_t *it = ud;
  it->fn(it->G, it->op, it->slot_base, it->k0, item, it->is_a);
}

static void for_items(gemm_t *G, const operand_t *op, LLVMValueRef slot_base, LLVMValueRef k0, int64_t count,
                      item_fn fn, bool is_a) {
  items_t it = {G, op, slot_base, k0, fn, is_a};
  gpu_for_items(G->c, G->tid, G->threads, count, item_thunk, &it);
}

/* One cp.async for OP_KMAJOR / OP_MNMAJOR / OP_CONV tiles. */
static void load_item(gemm_t *G, const operand_t *op, LLVMValueRef slot_base, LLVMValueRef k0, LLVMValueRef item,
                      bool is_a) {
  cg_t *c = G->c;
  int BK = G->T.bk, BMN = is_a ? G->T.bm : G->T.bn;
  int64_t MN = is_a ? G->M : G->N;
  LLVMValueRef mn0 = is_a ? G->m0 : G->n0, boff = is_a ? G->aoff : G->boff;
  if (op->mode == OP_PACKED) {
    int eb = G->P->pbytes, cpr = BK * eb / 16;
    LLVMValueRef row = LLVMBuildUDiv(c->b, item, gpu_i32(c, cpr), ""), cc = LLVMBuildURem(c->b, item, gpu_i32(c, cpr), "");
    LLVMValueRef n = add64(c, G->n0, LLVMBuildZExt(c->b, row, c->t_i64, ""));
    LLVMValueRef kb = add64(c, mul64(c, k0, eb), mul64(c, LLVMBuildZExt(c->b, cc, c->t_i64, ""), 16));
    LLVMValueRef off = add64(c, mul64(c, n, G->Kpad * eb), kb);
    LLVMValueRef src = LLVMBuildInBoundsGEP2(c->b, c->t_i8, op->base, &off, 1, "");
    LLVMValueRef dst_off = LLVMBuildAdd(c->b, slot_base,
                                        LLVMBuildAdd(c->b, LLVMBuildMul(c->b, row, gpu_i32(c, op->ld * eb), ""),
                                                     LLVMBuildMul(c->b, cc, gpu_i32(c, 16), ""), ""), "");
    gpu_cp_async(G->gpu, dst_off, src, LLVMConstInt(c->t_i1, 1, 0), 16);
    return;
  }
  if (op->mode == OP_CONV) {
    const conv_t *v = &G->cv;
    LLVMValueRef row = LLVMBuildUDiv(c->b, item, gpu_i32(c, BK), ""), kk = LLVMBuildURem(c->b, item, gpu_i32(c, BK), "");
    LLVMValueRef m = add64(c, G->m0, LLVMBuildZExt(c->b, row, c->t_i64, ""));
    LLVMValueRef kx = add64(c, k0, LLVMBuildZExt(c->b, kk, c->t_i64, ""));
    LLVMValueRef valid = and1(c, ult(c, m, G->M), ult(c, kx, G->K));
    int64_t ohw = v->OH * v->OW, khw = v->KH * v->KW;
    LLVMValueRef nb = LLVMBuildUDiv(c->b, m, i64c(c, ohw), ""), p = LLVMBuildURem(c->b, m, i64c(c, ohw), "");
    LLVMValueRef oh = LLVMBuildUDiv(c->b, p, i64c(c, v->OW), ""), ow = LLVMBuildURem(c->b, p, i64c(c, v->OW), "");
    LLVMValueRef ch = LLVMBuildUDiv(c->b, kx, i64c(c, khw), ""), r = LLVMBuildURem(c->b, kx, i64c(c, khw), "");
    LLVMValueRef kh = LLVMBuildUDiv(c->b, r, i64c(c, v->KW), ""), kw = LLVMBuildURem(c->b, r, i64c(c, v->KW), "");
    LLVMValueRef ih = LLVMBuildSub(c->b, add64(c, mul64(c, oh, v->sh), mul64(c, kh, v->dh)), i64c(c, v->ph), "");
    LLVMValueRef iw = LLVMBuildSub(c->b, add64(c, mul64(c, ow, v->sw), mul64(c, kw, v->dw)), i64c(c, v->pw), "");
    valid = and1(c, valid, ult(c, ih, v->H)); /* unsigned: negative indices fail too */
    valid = and1(c, valid, ult(c, iw, v->W));
    LLVMValueRef off = add64(c, mul64(c, add64(c, mul64(c, add64(c, mul64(c, nb, v->C), ch), v->H), ih), v->W), iw);
    off = LLVMBuildSelect(c->b, valid, off, i64c(c, 0), "");
    gpu_cp_async(G->gpu, tile_off(G, op, slot_base, row, kk), gep_f32(c, op->base, off), valid, 4);
    return;
  }
  int vec = op->vec;
  LLVMValueRef row, col, mn, kx;
  if (op->mode == OP_KMAJOR) { /* rows: m/n, contiguous k */
    int cpr = BK / vec;
    row = LLVMBuildUDiv(c->b, item, gpu_i32(c, cpr), "");
    col = LLVMBuildMul(c->b, LLVMBuildURem(c->b, item, gpu_i32(c, cpr), ""), gpu_i32(c, vec), "");
    mn = add64(c, mn0, LLVMBuildZExt(c->b, row, c->t_i64, ""));
    kx = add64(c, k0, LLVMBuildZExt(c->b, col, c->t_i64, ""));
  } else { /* rows: k, contiguous m/n */
    int cpr = BMN / vec;
    row = LLVMBuildUDiv(c->b, item, gpu_i32(c, cpr), "");
    col = LLVMBuildMul(c->b, LLVMBuildURem(c->b, item, gpu_i32(c, cpr), ""), gpu_i32(c, vec), "");
    kx = add64(c, k0, LLVMBuildZExt(c->b, row, c->t_i64, ""));
    mn = add64(c, mn0, LLVMBuildZExt(c->b, col, c->t_i64, ""));
  }
  LLVMValueRef valid = and1(c, ult(c, mn, MN), ult(c, kx, G->K));
  LLVMValueRef off = add64(c, boff, add64(c, mul64(c, mn, op->s_mn), mul64(c, kx, op->s_k)));
  off = LLVMBuildSelect(c->b, valid, off, i64c(c, 0), "");
  gpu_cp_async(G->gpu, tile_off(G, op, slot_base, row, col), gep_f32(c, op->base, off), valid, vec * 4);
}

static void load_tile(gemm_t *G, LLVMValueRef slot, LLVMValueRef ktile) {
  cg_t *c = G->c;
  LLVMValueRef k0 = mul64(c, ktile, G->T.bk);
  for (int which = 0; which < 2; which++) {
    const operand_t *op = which == 0 ? &G->A : &G->B;
    LLVMValueRef base = which == 0 ? G->smem_a : G->smem_b;
    LLVMValueRef slot_base = LLVMBuildAdd(c->b, base, LLVMBuildMul(c->b, slot, gpu_i32(c, op->stage_bytes), ""), "");
    int64_t count;
    int BMN = which == 0 ? G->T.bm : G->T.bn;
    if (op->mode == OP_PACKED) count = (int64_t)BMN * G->T.bk * G->P->pbytes / 16;
    else count = (int64_t)BMN * G->T.bk / op->vec;
    for_items(G, op, slot_base, k0, count, load_item, which == 0);
  }
}

static const int fmt_of[] = {GPU_FMT_F16, GPU_FMT_BF16, GPU_FMT_TF32, GPU_FMT_E4M3};

/* Shared-memory pointer to this lane's element (row0, k0) of an operand's
 * tile in a slot: fragment loads are then this pointer plus compile-time
 * offsets, which fold into ld.shared [%rd+imm] (one live register per
 * operand instead of one per load). */
static LLVMValueRef lane_ptr(gemm_t *G, const operand_t *op, LLVMValueRef slot_base, LLVMValueRef row0, LLVMValueRef k0) {
  cg_t *c = G->c;
  LLVMValueRef e = op->mode == OP_MNMAJOR ? LLVMBuildAdd(c->b, LLVMBuildMul(c->b, k0, gpu_i32(c, op->ld), ""), row0, "")
                                          : LLVMBuildAdd(c->b, LLVMBuildMul(c->b, row0, gpu_i32(c, op->ld), ""), k0, "");
  return gpu_smem_ptr(G->gpu, LLVMBuildAdd(c->b, slot_base, LLVMBuildMul(c->b, e, gpu_i32(c, op->ebytes), ""), ""));
}

static LLVMValueRef ld_at(cg_t *c, LLVMValueRef base, int64_t off, LLVMTypeRef t, unsigned align) {
  LLVMValueRef idx = gpu_i32(c, off);
  LLVMValueRef p = LLVMBuildInBoundsGEP2(c->b, c->t_i8, base, &idx, 1, "");
  LLVMValueRef v = LLVMBuildLoad2(c->b, t, LLVMBuildBitCast(c->b, p, LLVMPointerType(t, 3), ""), "");
  LLVMSetAlignment(v, align);
  return v;
}

/* The operand register holding e values at (lane row + dr, lane k + dk ..
 * + e-1) of a tile, lp from lane_ptr. */
static LLVMValueRef frag_reg(gemm_t *G, const operand_t *op, LLVMValueRef lp, int dr, int dk) {
  cg_t *c = G->c;
  int e = G->P->epr;
  if (op->mode == OP_PACKED) return ld_at(c, lp, ((int64_t)dr * op->ld + dk) * op->ebytes, c->t_i32, 4);
  LLVMValueRef v[4];
  if (op->mode == OP_KMAJOR || op->mode == OP_CONV) {
    int64_t off = ((int64_t)dr * op->ld + dk) * 4;
    if (e == 1) {
      v[0] = ld_at(c, lp, off, c->t_f32, 4);
    } else {
      LLVMValueRef vv = ld_at(c, lp, off, LLVMVectorType(c->t_f32, (unsigned)e), (unsigned)(4 * e));
      for (int i = 0; i < e; i++) v[i] = LLVMBuildExtractElement(c->b, vv, gpu_i32(c, i), "");
    }
  } else {
    for (int i = 0; i < e; i++) v[i] = ld_at(c, lp, ((int64_t)(dk + i) * op->ld + dr) * 4, c->t_f32, 4);
  }
  return gpu_cvt_pack(c, fmt_of[G->prec], v);
}

static void compute_slot(gemm_t *G, LLVMValueRef slot) {
  cg_t *c = G->c;
  const prec_info_t *P = G->P;
  int wm_rows = G->T.bm / G->T.warps_m, wn_cols = G->T.bn / G->T.warps_n;
  LLVMValueRef a_base = LLVMBuildAdd(c->b, G->smem_a, LLVMBuildMul(c->b, slot, gpu_i32(c, G->A.stage_bytes), ""), "");
  LLVMValueRef b_base = LLVMBuildAdd(c->b, G->smem_b, LLVMBuildMul(c->b, slot, gpu_i32(c, G->B.stage_bytes), ""), "");
  LLVMValueRef arow0 = LLVMBuildAdd(c->b, LLVMBuildMul(c->b, G->wm, gpu_i32(c, wm_rows), ""), G->g, "");
  LLVMValueRef bcol0 = LLVMBuildAdd(c->b, LLVMBuildMul(c->b, G->wn, gpu_i32(c, wn_cols), ""), G->g, "");
  LLVMValueRef et = LLVMBuildMul(c->b, G->t, gpu_i32(c, P->epr), "");
  LLVMValueRef ap = lane_ptr(G, &G->A, a_base, arow0, et), bp = lane_ptr(G, &G->B, b_base, bcol0, et);
  LLVMTypeRef acc_t = LLVMArrayType(c->t_f32, (unsigned)(G->mi * G->ni * 4));
  for (int ks = 0; ks < G->T.bk / P->k_step; ks++) {
    LLVMValueRef a[8][4], b[8][2];
    for (int i = 0; i < G->mi; i++)
      for (int r = 0; r < 4; r++)
        a[i][r] = frag_reg(G, &G->A, ap, i * 16 + (r & 1) * 8, ks * P->k_step + (r >> 1) * (P->k_step / 2));
    for (int j = 0; j < G->ni; j++)
      for (int r = 0; r < 2; r++) b[j][r] = frag_reg(G, &G->B, bp, j * 8, ks * P->k_step + r * (P->k_step / 2));
    for (int i = 0; i < G->mi; i++)
      for (int j = 0; j < G->ni; j++) {
        LLVMValueRef acc[4], ptrs[4];
        for (int r = 0; r < 4; r++) {
          LLVMValueRef idx[2] = {cg_i64(c, 0), cg_i64(c, (i * G->ni + j) * 4 + r)};
          ptrs[r] = LLVMBuildInBoundsGEP2(c->b, acc_t, G->acc, idx, 2, "");
          acc[r] = LLVMBuildLoad2(c->b, c->t_f32, ptrs[r], "");
        }
        gpu_mma(c, P->mma, a[i], b[j], acc);
        for (int r = 0; r < 4; r++) LLVMBuildStore(c->b, acc[r], ptrs[r]);
      }
  }
}

/* Stores accumulator value v for (row m, column n). */
static void store_elem(gemm_t *G, LLVMValueRef m, LLVMValueRef n, LLVMValueRef v) {
  cg_t *c = G->c;
  cg_kernel_t *k = G->k;
  if (G->bscale) v = LLVMBuildFMul(c->b, v, cg_load(c, INGOT_DT_FLOAT, G->bscale, n), "");
  if (G->alpha != 1.0) v = LLVMBuildFMul(c->b, v, cg_f32(c, G->alpha), "");
  if (G->C && G->beta != 0.0) {
    LLVMValueRef ci = add64(c, mul64(c, m, G->c_rs), mul64(c, n, G->c_cs));
    if (G->c_rs == 0 && G->c_cs == 0) ci = i64c(c, 0);
    LLVMValueRef cv = cg_load_f32(c, G->cdt, G->C, ci);
    if (G->beta != 1.0) cv = LLVMBuildFMul(c->b, cv, cg_f32(c, G->beta), "");
    v = LLVMBuildFAdd(c->b, v, cv, "");
  }
  LLVMValueRef idx;
  if (G->is_conv) {
    int64_t ohw = G->cv.OH * G->cv.OW;
    LLVMValueRef nb = LLVMBuildUDiv(c->b, m, i64c(c, ohw), ""), p = LLVMBuildURem(c->b, m, i64c(c, ohw), "");
    idx = add64(c, mul64(c, add64(c, mul64(c, nb, G->N), n), ohw), p);
  } else {
    idx = add64(c, G->yoff, add64(c, mul64(c, m, G->N), n));
  }
  if (k->fusion) cg_store_out(c, k, idx, v);
  else cg_store_f32(c, k->vout[0]->type.dtype, k->out[0], idx, v);
}

static void epilogue(gemm_t *G) {
  cg_t *c = G->c;
  int wm_rows = G->T.bm / G->T.warps_m, wn_cols = G->T.bn / G->T.warps_n;
  LLVMTypeRef acc_t = LLVMArrayType(c->t_f32, (unsigned)(G->mi * G->ni * 4));
  LLVMValueRef row0 = add64(c, G->m0, LLVMBuildZExt(c->b, LLVMBuildAdd(c->b, LLVMBuildMul(c->b, G->wm, gpu_i32(c, wm_rows), ""), G->g, ""), c->t_i64, ""));
  LLVMValueRef col0 = add64(c, G->n0, LLVMBuildZExt(c->b, LLVMBuildAdd(c->b, LLVMBuildMul(c->b, G->wn, gpu_i32(c, wn_cols), ""), LLVMBuildMul(c->b, G->t, gpu_i32(c, 2), ""), ""), c->t_i64, ""));
  for (int i = 0; i < G->mi; i++)
    for (int j = 0; j < G->ni; j++)
      for (int r = 0; r < 4; r++) {
        LLVMValueRef m = add64(c, row0, i64c(c, i * 16 + (r >> 1) * 8));
        LLVMValueRef n = add64(c, col0, i64c(c, j * 8 + (r & 1)));
        cg_if_t ci;
        cg_if_begin(c, &ci, and1(c, ult(c, m, G->M), ult(c, n, G->N)));
        LLVMValueRef idx[2] = {cg_i64(c, 0), cg_i64(c, (i * G->ni + j) * 4 + r)};
        LLVMValueRef v = LLVMBuildLoad2(c->b, c->t_f32, LLVMBuildInBoundsGEP2(c->b, acc_t, G->acc, idx, 2, ""), "");
        store_elem(G, m, n, v);
        cg_if_end(c, &ci);
      }
}

/* Batch offsets (elements) of A, B and Y for batch index z (i64). */
static void batch_offsets(gemm_t *G, LLVMValueRef z) {
  cg_t *c = G->c;
  G->aoff = G->boff = G->yoff = i64c(c, 0);
  if (G->nbatch == 0) return;
  LLVMValueRef coords[INGOT_MAX_RANK];
  cg_unflatten(c, z, G->nbatch, G->bdims, coords);
  G->aoff = cg_dot(c, G->nbatch, coords, G->A.bst);
  G->boff = G->B.mode == OP_PACKED ? i64c(c, 0) : cg_dot(c, G->nbatch, coords, G->B.bst);
  G->yoff = cg_dot(c, G->nbatch, coords, G->y_bst);
}

static void emit_kernel(gemm_t *G) {
  cg_t *c = G->c;
  G->tid = gpu_sreg(c, "tid.x");
  LLVMValueRef warp = LLVMBuildLShr(c->b, G->tid, gpu_i32(c, 5), "");
  LLVMValueRef lane = LLVMBuildAnd(c->b, G->tid, gpu_i32(c, 31), "");
  G->g = LLVMBuildLShr(c->b, lane, gpu_i32(c, 2), "");
  G->t = LLVMBuildAnd(c->b, lane, gpu_i32(c, 3), "");
  G->wm = LLVMBuildUDiv(c->b, warp, gpu_i32(c, G->T.warps_n), "");
  G->wn = LLVMBuildURem(c->b, warp, gpu_i32(c, G->T.warps_n), "");
  G->n0 = mul64(c, LLVMBuildZExt(c->b, gpu_sreg(c, "ctaid.x"), c->t_i64, ""), G->T.bn);
  G->m0 = mul64(c, LLVMBuildZExt(c->b, gpu_sreg(c, "ctaid.y"), c->t_i64, ""), G->T.bm);
  batch_offsets(G, LLVMBuildZExt(c->b, gpu_sreg(c, "ctaid.z"), c->t_i64, ""));
  G->smem_a = gpu_i32(c, 0);
  G->smem_b = gpu_i32(c, (int64_t)G->T.stages * G->A.stage_bytes);
  LLVMTypeRef acc_t = LLVMArrayType(c->t_f32, (unsigned)(G->mi * G->ni * 4));
  G->acc = cg_alloca(c, acc_t, "acc");
  LLVMBuildStore(c->b, LLVMConstNull(acc_t), G->acc);
  int S = G->T.stages;
  int64_t KT = (G->K + G->T.bk - 1) / G->T.bk;
  for (int s = 0; s < S - 1; s++) {
    if (s < KT) load_tile(G, gpu_i32(c, s), i64c(c, s));
    gpu_cp_commit(c);
  }
  cg_loop_t L;
  LLVMValueRef kt = cg_loop_begin(c, &L, i64c(c, 0), i64c(c, KT), "kt");
  gpu_cp_wait(c, S - 2);
  gpu_barrier(c);
  LLVMValueRef nk = add64(c, kt, i64c(c, S - 1));
  cg_if_t ci;
  cg_if_begin(c, &ci, ult(c, nk, KT));
  load_tile(G, LLVMBuildTrunc(c->b, LLVMBuildURem(c->b, nk, i64c(c, S), ""), c->t_i32, ""), nk);
  cg_if_end(c, &ci);
  gpu_cp_commit(c);
  compute_slot(G, LLVMBuildTrunc(c->b, LLVMBuildURem(c->b, kt, i64c(c, S), ""), c->t_i32, ""));
  cg_loop_end(c, &L);
  gpu_cp_wait(c, 0);
  epilogue(G);
}

/* ---- compile-time packing of a constant B ------------------------------------------------- */

/* B(k, n) = data[k * s_k + n * s_n]; packed [Npad][Kpad] in the operand
 * format (fp8: with per-column scales into *scales). */
static void *pack_b(const gemm_t *G, const float *data, int64_t s_k, int64_t s_n, float **scales, size_t *bytes) {
  int eb = G->P->pbytes;
  *bytes = (size_t)G->Npad * (size_t)G->Kpad * (size_t)eb;
  uint8_t *p = calloc(*bytes ? *bytes : 1, 1);
  *scales = NULL;
  if (!p) return NULL;
  if (G->prec == PREC_FP8) {
    *scales = calloc((size_t)G->Npad, sizeof(float));
    if (!*scales) {
      free(p);
      return NULL;
    }
  }
  for (int64_t n = 0; n < G->N; n++) {
    float scale = 1.0f;
    if (G->prec == PREC_FP8) {
      float mx = 0;
      for (int64_t k = 0; k < G->K; k++) mx = fmaxf(mx, fabsf(data[k * s_k + n * s_n]));
      scale = mx > 0 && isfinite(mx) ? mx / 448.0f : 1.0f;
      (*scales)[n] = scale;
    }
    for (int64_t k = 0; k < G->K; k++) {
      float v = data[k * s_k + n * s_n];
      uint8_t *d = p + ((size_t)n * (size_t)G->Kpad + (size_t)k) * (size_t)eb;
      switch (G->prec) {
        case PREC_F16: {
          uint16_t h = gpu_f32_to_f16(v);
          memcpy(d, &h, 2);
          break;
        }
        case PREC_BF16: {
          uint16_t h = gpu_f32_to_bf16(v);
          memcpy(d, &h, 2);
          break;
        }
        case PREC_TF32: {
          uint32_t u = gpu_f32_to_tf32(v);
          memcpy(d, &u, 4);
          break;
        }
        default: *d = gpu_f32_to_e4m3(v / scale); break;
      }
    }
  }
  return p;
}

/* ---- setting up a problem -------------------------------------------------------------- */

static int default_prec(const ingot_gpu_t *gpu) {
  return gpu->o.precision == INGOT_GPU_PREC_TF32   ? PREC_TF32
         : gpu->o.precision == INGOT_GPU_PREC_BF16 ? PREC_BF16
                                                   : PREC_F16;
}

/* Narrows k to a fused node's anchor (as cg_emit_fused does); returns the
 * anchor node. */
ingot_status_t gpu_narrow_fused(cg_t *c, cg_kernel_t *k, const ingot_node_t **anchor) {
  *anchor = k->n;
  if (k->n->op != INGOT_OP_FUSED) return INGOT_OK;
  const ingot_fusion_t *f = (const ingot_fusion_t *)k->n->pass_data;
  uint32_t na = f->anchor_ninputs;
  if (na + f->nextra != k->nin || k->nout != 1)
    return cg_error(c, k, INGOT_CODE_INTERNAL, "fused node has %u inputs, its descriptor %u + %u", k->nin, na, f->nextra);
  for (uint32_t e = 0; e < f->nextra; e++) {
    k->extra[e] = k->in[na + e];
    k->vextra[e] = k->vin[na + e];
  }
  k->fusion = f;
  k->nin = na;
  *anchor = &f->anchor;
  return INGOT_OK;
}

static void finish_launch(gemm_t *G, gpu_launch_t *L, const char *what) {
  const gpu_arch_t *a = G->gpu->arch;
  L->grid[0] = (uint32_t)((G->N + G->T.bn - 1) / G->T.bn);
  L->grid[1] = (uint32_t)((G->M + G->T.bm - 1) / G->T.bm);
  int64_t batch = 1;
  for (int d = 0; d < G->nbatch; d++) batch *= G->bdims[d];
  L->grid[2] = (uint32_t)batch;
  L->block[0] = (uint32_t)G->threads;
  L->block[1] = L->block[2] = 1;
  L->smem = (uint32_t)G->T.smem;
  L->kind = G->prec == PREC_FP8 ? "gemm-fp8" : G->prec == PREC_TF32 ? "gemm-tf32" : "gemm-tc";
  L->flops = 2.0 * (double)batch * (double)G->M * (double)G->N * (double)G->K;
  L->peak_tflops = (G->prec == PREC_FP8 ? a->fp8_tflops : G->prec == PREC_TF32 ? a->tf32_tflops : a->fp16_tflops) *
                   a->mma_sync_efficiency;
  L->regs_est = G->T.regs_est;
  snprintf(L->tiles, sizeof L->tiles, "%s %s M%lld N%lld K%lld: block %dx%dx%d, warps %dx%d (warp %dx%d), %d stages, A %s",
           what, G->P->name, (long long)G->M, (long long)G->N, (long long)G->K, G->T.bm, G->T.bn, G->T.bk, G->T.warps_m,
           G->T.warps_n, G->T.bm / G->T.warps_m, G->T.bn / G->T.warps_n, G->T.stages,
           G->A.mode == OP_CONV ? "im2col" : G->A.vec == 4 ? "16B" : "4B");
}

/* Shared-memory geometry of the operands once the tiling is chosen. */
static void layout(gemm_t *G) {
  int bk = G->T.bk;
  int a_acc = G->P->epr * 4;
  operand_t *A = &G->A, *B = &G->B;
  A->ebytes = 4;
  if (A->mode == OP_MNMAJOR) {
    A->rows = bk;
    A->ld = G->T.bm + (G->prec == PREC_TF32 ? 8 : 4);
  } else {
    A->rows = G->T.bm;
    A->ld = gpu_gemm_ld(bk, 4, a_acc);
  }
  A->stage_bytes = A->rows * A->ld * A->ebytes;
  if (B->mode == OP_PACKED) {
    B->ebytes = G->P->pbytes;
    B->rows = G->T.bn;
    B->ld = gpu_gemm_ld(bk, B->ebytes, 4);
  } else if (B->mode == OP_KMAJOR) {
    B->ebytes = 4;
    B->rows = G->T.bn;
    B->ld = gpu_gemm_ld(bk, 4, a_acc);
  } else {
    B->ebytes = 4;
    B->rows = bk;
    B->ld = G->T.bn + (G->prec == PREC_TF32 ? 8 : 4);
  }
  B->stage_bytes = B->rows * B->ld * B->ebytes;
  G->A.stage_bytes = (G->A.stage_bytes + 127) / 128 * 128;
  G->B.stage_bytes = (G->B.stage_bytes + 127) / 128 * 128;
  G->T.smem = G->T.stages * (G->A.stage_bytes + G->B.stage_bytes);
  G->threads = 32 * G->T.warps_m * G->T.warps_n;
  G->mi = G->T.bm / G->T.warps_m / 16;
  G->ni = G->T.bn / G->T.warps_n / 8;
  G->Kpad = (G->K + bk - 1) / bk * bk;
  G->Npad = (G->N + G->T.bn - 1) / G->T.bn * G->T.bn;
}

/* Chooses the tiling (gpu_gemm_choose) for the operand formats of G. */
static void choose(gemm_t *G, double bytes) {
  const gpu_arch_t *a = G->gpu->arch;
  int64_t batch = 1;
  for (int d = 0; d < G->nbatch; d++) batch *= G->bdims[d];
  gpu_gemm_problem_t p = {batch, G->M, G->N, G->K, 4, G->B.mode == OP_PACKED ? G->P->pbytes : 4, G->P->k_step,
                          G->prec == PREC_FP8 ? a->fp8_tflops : G->prec == PREC_TF32 ? a->tf32_tflops : a->fp16_tflops,
                          bytes};
  G->T = gpu_gemm_choose(a, &p);
  const int *ft = G->gpu->o.force_tile;
  if (ft[0] > 0) {
    G->T.bm = ft[0];
    G->T.bn = ft[1];
    G->T.warps_m = ft[2];
    G->T.warps_n = ft[3];
    G->T.stages = ft[4];
    G->T.regs_est = (ft[0] / ft[2] / 16) * (ft[1] / ft[3] / 8) * 4 + 48;
  }
  /* m/n-major tiles need vector-friendly widths; the model only sized k-major ones */
  layout(G);
  while (G->T.smem > a->smem_per_block && G->T.stages > 2) {
    G->T.stages--;
    layout(G);
  }
}

/* An f32 operand's mode from its strides. */
static void f32_mode(operand_t *op, int64_t mn_extent, int64_t k_extent, bool aligned) {
  if (op->s_k == 1) {
    op->mode = OP_KMAJOR;
    op->vec = aligned && k_extent % 4 == 0 && op->s_mn % 4 == 0 ? 4 : 1;
  } else {
    op->mode = OP_MNMAJOR;
    op->vec = aligned && mn_extent % 4 == 0 && op->s_k % 4 == 0 && op->s_mn == 1 ? 4 : 1;
  }
}

ingot_status_t gpu_emit_gemm(ingot_gpu_t *gpu, cg_kernel_t *k, gpu_launch_t *L) {
  cg_t *c = &gpu->c;
  const ingot_node_t *n;
  INGOT_RETURN_IF_ERROR(gpu_narrow_fused(c, k, &n));
  gemm_t G;
  memset(&G, 0, sizeof G);
  G.gpu = gpu;
  G.c = c;
  G.k = k;
  G.alpha = 1;
  G.beta = 1;
  const ingot_value_t *va = k->vin[0], *vb = k->vin[1], *vy = k->vout[0];
  int ra = va->type.rank, rb = vb->type.rank;
  bool b_const = vb->data != NULL;
  if (n->op == INGOT_OP_GEMM) {
    int ta = (int)ingot_node_attr_i(n, "transA", 0), tb = (int)ingot_node_attr_i(n, "transB", 0);
    const ingot_attr_t *al = ingot_node_attr(n, "alpha"), *be = ingot_node_attr(n, "beta");
    G.alpha = al ? al->f : 1.0;
    G.beta = be ? be->f : 1.0;
    int64_t a0 = va->type.dims[0].v, a1 = va->type.dims[1].v, b0 = vb->type.dims[0].v, b1 = vb->type.dims[1].v;
    G.M = ta ? a1 : a0;
    G.K = ta ? a0 : a1;
    G.N = tb ? b0 : b1;
    G.A.s_mn = ta ? 1 : a1;
    G.A.s_k = ta ? a1 : 1;
    G.B.s_k = tb ? 1 : b1;
    G.B.s_mn = tb ? b1 : 1;
    if (k->nin > 2 && k->in[2] && G.beta != 0) {
      const ingot_value_t *vc = k->vin[2];
      G.C = k->in[2];
      G.cdt = vc->type.dtype;
      int rc = vc->type.rank;
      int64_t cm = rc >= 2 ? vc->type.dims[rc - 2].v : 1, cn = rc >= 1 ? vc->type.dims[rc - 1].v : 1;
      G.c_rs = cm == 1 ? 0 : cn;
      G.c_cs = cn == 1 ? 0 : 1;
    }
  } else {
    G.M = va->type.dims[ra - 2].v;
    G.K = va->type.dims[ra - 1].v;
    G.N = vb->type.dims[rb - 1].v;
    G.A.s_mn = G.K;
    G.A.s_k = 1;
    G.B.s_k = G.N;
    G.B.s_mn = 1;
    /* batch dims: the output's, A and B broadcast against them */
    int ry = vy->type.rank;
    int64_t ydims[INGOT_MAX_RANK];
    int yr = ra > rb ? ra : rb;
    (void)ry;
    G.nbatch = yr - 2;
    int64_t sa = G.M * G.K, sb = G.K * G.N, sy = G.M * G.N;
    for (int d = yr - 3; d >= 0; d--) {
      int da = d - (yr - ra), db = d - (yr - rb);
      int64_t ea = da >= 0 ? va->type.dims[da].v : 1, eb = db >= 0 ? vb->type.dims[db].v : 1;
      ydims[d] = ea > eb ? ea : eb;
      G.A.bst[d] = ea == 1 ? 0 : sa;
      G.B.bst[d] = eb == 1 ? 0 : sb;
      G.y_bst[d] = sy;
      sa *= ea;
      sb *= eb;
      sy *= ydims[d];
      G.bdims[d] = ydims[d];
    }
    if (b_const)
      for (int d = 0; d < G.nbatch; d++)
        if (G.B.bst[d]) b_const = false; /* several constant matrices: staged as float32 */
  }
  G.prec = gpu->o.quantize == INGOT_GPU_QUANT_FP8_E4M3 && b_const ? PREC_FP8 : default_prec(gpu);
  if (G.prec == PREC_FP8) gpu->uses_fp8 = true;
  G.P = &precs[G.prec];
  G.A.base = k->in[0];
  f32_mode(&G.A, G.M, G.K, true);
  if (b_const) {
    G.B.mode = OP_PACKED;
  } else {
    G.B.base = k->in[1];
    f32_mode(&G.B, G.N, G.K, true);
  }
  double bytes = 4.0 * (double)(numel_of(va) + numel_of(vy)) +
                 (b_const ? (double)G.P->pbytes : 4.0) * (double)numel_of(vb);
  choose(&G, bytes);
  if (b_const) {
    float *scales = NULL;
    size_t nbytes;
    void *packed = pack_b(&G, (const float *)vb->data, G.B.s_k, G.B.s_mn, &scales, &nbytes);
    if (!packed) return cg_error(c, k, INGOT_CODE_NOMEM, "out of memory packing weights");
    G.B.base = cg_weight_ptr(c, k, packed, nbytes);
    free(packed);
    if (scales) {
      LLVMValueRef sp = cg_weight_ptr(c, k, scales, (size_t)G.Npad * sizeof(float));
      free(scales);
      if (!sp) return cg_error(c, k, INGOT_CODE_NOMEM, "out of memory");
      G.bscale = LLVMBuildBitCast(c->b, sp, LLVMPointerType(c->t_f32, 0), "");
    }
    if (!G.B.base) return cg_error(c, k, INGOT_CODE_NOMEM, "out of memory");
  }
  emit_kernel(&G);
  finish_launch(&G, L, n->op == INGOT_OP_GEMM ? "Gemm" : "MatMul");
  L->bytes = bytes;
  if (k->fusion) cg_epilogue_take_marks(c);
  return INGOT_OK;
}

ingot_status_t gpu_emit_conv(ingot_gpu_t *gpu, cg_kernel_t *k, gpu_launch_t *L) {
  cg_t *c = &gpu->c;
  const ingot_node_t *n;
  INGOT_RETURN_IF_ERROR(gpu_narrow_fused(c, k, &n));
  gemm_t G;
  memset(&G, 0, sizeof G);
  G.gpu = gpu;
  G.c = c;
  G.k = k;
  G.alpha = 1;
  G.beta = 1;
  G.is_conv = true;
  const ingot_value_t *vx = k->vin[0], *vw = k->vin[1], *vy = k->vout[0];
  /* the anchor's own output shape: [N, CO, OH, OW] */
  const ingot_type_t *yt = k->fusion ? &k->fusion->anchor_type : &vy->type;
  conv_t *v = &G.cv;
  v->C = vx->type.dims[1].v;
  v->H = vx->type.dims[2].v;
  v->W = vx->type.dims[3].v;
  v->KH = vw->type.dims[2].v;
  v->KW = vw->type.dims[3].v;
  v->OH = yt->dims[2].v;
  v->OW = yt->dims[3].v;
  const int64_t *st = NULL, *pads = NULL, *dil = NULL;
  int64_t nst = ingot_node_attr_ints(n, "strides", &st), np = ingot_node_attr_ints(n, "pads", &pads),
          nd = ingot_node_attr_ints(n, "dilations", &dil);
  v->sh = nst >= 2 ? st[0] : 1;
  v->sw = nst >= 2 ? st[1] : 1;
  v->ph = np >= 4 ? pads[0] : 0;
  v->pw = np >= 4 ? pads[1] : 0;
  v->dh = nd >= 2 ? dil[0] : 1;
  v->dw = nd >= 2 ? dil[1] : 1;
  G.M = vx->type.dims[0].v * v->OH * v->OW;
  G.N = vw->type.dims[0].v;
  G.K = v->C * v->KH * v->KW;
  if (vw->type.dims[1].v != v->C) return cg_error(c, k, INGOT_CODE_UNSUPPORTED, "grouped convolution");
  G.prec = gpu->o.quantize == INGOT_GPU_QUANT_FP8_E4M3 ? PREC_FP8 : default_prec(gpu);
  if (G.prec == PREC_FP8) gpu->uses_fp8 = true;
  G.P = &precs[G.prec];
  G.A.mode = OP_CONV;
  G.A.base = k->in[0];
  G.A.vec = 1;
  G.B.mode = OP_PACKED;
  if (k->nin > 2 && k->in[2]) {
    G.C = k->in[2];
    G.cdt = k->vin[2]->type.dtype;
    G.c_rs = 0;
    G.c_cs = 1;
  }
  double bytes = 4.0 * (double)(numel_of(vx) + numel_of(vy)) + (double)G.P->pbytes * (double)numel_of(vw);
  choose(&G, bytes);
  float *scales = NULL;
  size_t nbytes;
  /* W [CO][C][KH][KW] is already B^T = [N][K] with k = (c, kh, kw) */
  void *packed = pack_b(&G, (const float *)vw->data, 1, G.K, &scales, &nbytes);
  if (!packed) return cg_error(c, k, INGOT_CODE_NOMEM, "out of memory packing weights");
  G.B.base = cg_weight_ptr(c, k, packed, nbytes);
  free(packed);
  if (scales) {
    LLVMValueRef sp = cg_weight_ptr(c, k, scales, (size_t)G.Npad * sizeof(float));
    free(scales);
    if (!sp) return cg_error(c, k, INGOT_CODE_NOMEM, "out of memory");
    G.bscale = LLVMBuildBitCast(c->b, sp, LLVMPointerType(c->t_f32, 0), "");
  }
  if (!G.B.base) return cg_error(c, k, INGOT_CODE_NOMEM, "out of memory");
  emit_kernel(&G);
  finish_launch(&G, L, "Conv");
  L->bytes = bytes;
  if (k->fusion) cg_epilogue_take_marks(c);
  return INGOT_OK;
}
