/* Flash attention on tensor cores, for fused nodes with the ATTENTION
 * anchor (passes/fusion.h): O = epilogue(softmax(scale Q K^T) V), with Q
 * [B.., N, D], K [B.., M, D] (or [B.., D, M] when k_transposed) and V
 * [B.., M, Dv], all float32.
 *
 * The algorithm is FlashAttention-2 (Dao, 2023) in its mma.sync form:
 *   - a block owns BQ = 16 x warps query rows of one batch-head; each warp
 *     owns 16 rows, keeps them as fp16 A fragments in registers for the
 *     whole kernel, and walks the keys in blocks of BKV;
 *   - K and V blocks are staged float32 by cp.async into two shared-memory
 *     buffers: block j+1 loads while block j is used (one bar.sync per
 *     block);
 *   - S = Q K^T comes out of mma.sync m16n8k16 in accumulator layout; the
 *     online softmax keeps a running row max m and a per-thread partial row
 *     sum l (exp2 with log2(e) folded into the scale), quad-wide maxima via
 *     shfl.sync.bfly; O is rescaled by exp2(m_old - m_new);
 *   - P never leaves registers: the accumulator layout of two adjacent
 *     8-key tiles is exactly the A-fragment layout of one m16n8k16 (PTX ISA
 *     9.7.14.5.8), so P converts to fp16 pairs in place and O += P V runs
 *     with V read from shared memory as B fragments;
 *   - at the end l is summed over the quad, O /= l goes out through the
 *     fused epilogue (cg_store_out).
 * Padding: D to a multiple of 16, Dv to 8, keys past M masked to -inf;
 * everything outside the tensors is zero-filled by cp.async, so partial
 * tiles need no other care.  Q, K, P and V are rounded to fp16 (bf16 with
 * --bf16), accumulation is fp32: relative error ~1e-3.  D and Dv up to 128. */
#include <math.h>
#include <string.h>

#include "codegen/cg_fused_impl.h"
#include "codegen/gpu_impl.h"
#include "passes/fusion.h"

#define MAX_HEAD 128

static bool f32v(const ingot_graph_t *g, int32_t v) {
  return v >= 0 && g->values[v].type.dtype == INGOT_DT_FLOAT && ingot_type_is_static(&g->values[v].type);
}

bool gpu_attention_match(const ingot_gpu_t *gpu, const ingot_graph_t *g, int32_t node) {
  const ingot_node_t *n = &g->nodes[node];
  if (n->op != INGOT_OP_FUSED || !n->pass_data) return false;
  const ingot_fusion_t *f = (const ingot_fusion_t *)n->pass_data;
  if (f->anchor_op != INGOT_ANCHOR_ATTENTION || f->anchor_ninputs != 3 || n->ninputs < 3) return false;
  if (!f32v(g, n->inputs[0]) || !f32v(g, n->inputs[1]) || !f32v(g, n->inputs[2]) || !f32v(g, n->outputs[0]))
    return false;
  const ingot_type_t *q = &g->values[n->inputs[0]].type, *k = &g->values[n->inputs[1]].type,
                     *v = &g->values[n->inputs[2]].type;
  int r = q->rank;
  if (r < 2 || k->rank != r || v->rank != r) return false;
  int64_t bh = 1;
  for (int d = 0; d < r - 2; d++) {
    if (k->dims[d].v != q->dims[d].v || v->dims[d].v != q->dims[d].v) return false;
    bh *= q->dims[d].v;
  }
  int64_t D = q->dims[r - 1].v, M = f->k_transposed ? k->dims[r - 1].v : k->dims[r - 2].v;
  int64_t Dk = f->k_transposed ? k->dims[r - 2].v : k->dims[r - 1].v;
  return Dk == D && v->dims[r - 2].v == M && D >= 1 && D <= MAX_HEAD && v->dims[r - 1].v <= MAX_HEAD && M >= 1 &&
         bh <= 65535 && q->dims[r - 2].v >= 1;
}

typedef struct att_s {
  ingot_gpu_t *gpu;
  cg_t *c;
  int64_t N, M, D, Dv, BH;
  int kt;        /* K given as [D, M] */
  int warps, BQ, BKV, Dp, Dvp, ldq, ldk, ldv;
  int q_bytes, k_bytes, v_bytes; /* per stage */
  LLVMValueRef Q, K, V;
  LLVMValueRef tid, g, t, warp, q0, qoff, koff, voff;
} att_t;

static LLVMValueRef i32c(cg_t *c, int64_t v) { return gpu_i32(c, v); }

typedef struct {
  struct att_s *A;
  void (*fn)(struct att_s *, LLVMValueRef, LLVMValueRef, LLVMValueRef);
  LLVMValueRef kb, stage_off;
} items_t;

static void item_thunk(void *ud, LLVMValueRef item) {
  items_t *it = ud;
  it->fn(it->A, item, it->kb, it->stage_off);
}

/* Loops `count` items over the block's threads. */
static void for_items(att_t *A, int64_t count, void (*fn)(att_t *, LLVMValueRef, LLVMValueRef, LLVMValueRef),
                      LLVMValueRef kb, LLVMValueRef stage_off) {
  items_t it = {A, fn, kb, stage_off};
  gpu_for_items(A->c, A->tid, 32 * A->warps, count, item_thunk, &it);
}

static LLVMValueRef z64(cg_t *c, LLVMValueRef v) { return LLVMBuildZExt(c->b, v, c->t_i64, ""); }
static LLVMValueRef ult64(cg_t *c, LLVMValueRef a, int64_t b) { return LLVMBuildICmp(c->b, LLVMIntULT, a, cg_i64(c, b), ""); }

static void copy_one(att_t *A, LLVMValueRef src_base, LLVMValueRef goff, LLVMValueRef valid, LLVMValueRef dst,
                     int bytes) {
  cg_t *c = A->c;
  goff = LLVMBuildSelect(c->b, valid, goff, cg_i64(c, 0), "");
  LLVMValueRef src = LLVMBuildInBoundsGEP2(c->b, c->t_f32, src_base, &goff, 1, "");
  gpu_cp_async(A->gpu, dst, src, valid, bytes);
}

/* Q tile: rows q0.., d contiguous. */
static void q_item(att_t *A, LLVMValueRef item, LLVMValueRef kb, LLVMValueRef so) {
  cg_t *c = A->c;
  (void)kb;
  (void)so;
  int vec = A->D % 4 == 0 ? 4 : 1, cpr = A->Dp / vec;
  LLVMValueRef row = LLVMBuildUDiv(c->b, item, i32c(c, cpr), "");
  LLVMValueRef col = LLVMBuildMul(c->b, LLVMBuildURem(c->b, item, i32c(c, cpr), ""), i32c(c, vec), "");
  LLVMValueRef n = LLVMBuildAdd(c->b, A->q0, z64(c, row), "");
  LLVMValueRef valid = LLVMBuildAnd(c->b, ult64(c, n, A->N), ult64(c, z64(c, col), A->D), "");
  LLVMValueRef goff = LLVMBuildAdd(c->b, A->qoff, LLVMBuildAdd(c->b, LLVMBuildMul(c->b, n, cg_i64(c, A->D), ""), z64(c, col), ""), "");
  LLVMValueRef dst = LLVMBuildMul(c->b, LLVMBuildAdd(c->b, LLVMBuildMul(c->b, row, i32c(c, A->ldq), ""), col, ""), i32c(c, 4), "");
  copy_one(A, A->Q, goff, valid, dst, vec * 4);
}

/* K block: shared layout [key][d] whatever the global one. */
static void k_item(att_t *A, LLVMValueRef item, LLVMValueRef kb, LLVMValueRef so) {
  cg_t *c = A->c;
  LLVMValueRef key, d;
  int vec = !A->kt && A->D % 4 == 0 ? 4 : 1;
  if (A->kt) { /* global [D][M]: consecutive items walk keys, so reads coalesce */
    key = LLVMBuildURem(c->b, item, i32c(c, A->BKV), "");
    d = LLVMBuildUDiv(c->b, item, i32c(c, A->BKV), "");
  } else {
    int cpr = A->Dp / vec;
    key = LLVMBuildUDiv(c->b, item, i32c(c, cpr), "");
    d = LLVMBuildMul(c->b, LLVMBuildURem(c->b, item, i32c(c, cpr), ""), i32c(c, vec), "");
  }
  LLVMValueRef m = LLVMBuildAdd(c->b, kb, z64(c, key), "");
  LLVMValueRef valid = LLVMBuildAnd(c->b, ult64(c, m, A->M), ult64(c, z64(c, d), A->D), "");
  LLVMValueRef goff = A->kt ? LLVMBuildAdd(c->b, LLVMBuildMul(c->b, z64(c, d), cg_i64(c, A->M), ""), m, "")
                            : LLVMBuildAdd(c->b, LLVMBuildMul(c->b, m, cg_i64(c, A->D), ""), z64(c, d), "");
  goff = LLVMBuildAdd(c->b, A->koff, goff, "");
  LLVMValueRef dst = LLVMBuildAdd(c->b, so, LLVMBuildMul(c->b, LLVMBuildAdd(c->b, LLVMBuildMul(c->b, key, i32c(c, A->ldk), ""), d, ""), i32c(c, 4), ""), "");
  copy_one(A, A->K, goff, valid, dst, vec * 4);
}

static void v_item(att_t *A, LLVMValueRef item, LLVMValueRef kb, LLVMValueRef so) {
  cg_t *c = A->c;
  int vec = A->Dv % 4 == 0 ? 4 : 1, cpr = A->Dvp / vec;
  LLVMValueRef key = LLVMBuildUDiv(c->b, item, i32c(c, cpr), "");
  LLVMValueRef col = LLVMBuildMul(c->b, LLVMBuildURem(c->b, item, i32c(c, cpr), ""), i32c(c, vec), "");
  LLVMValueRef m = LLVMBuildAdd(c->b, kb, z64(c, key), "");
  LLVMValueRef valid = LLVMBuildAnd(c->b, ult64(c, m, A->M), ult64(c, z64(c, col), A->Dv), "");
  LLVMValueRef goff = LLVMBuildAdd(c->b, A->voff, LLVMBuildAdd(c->b, LLVMBuildMul(c->b, m, cg_i64(c, A->Dv), ""), z64(c, col), ""), "");
  LLVMValueRef dst = LLVMBuildAdd(c->b, so, LLVMBuildMul(c->b, LLVMBuildAdd(c->b, LLVMBuildMul(c->b, key, i32c(c, A->ldv), ""), col, ""), i32c(c, 4), ""), "");
  copy_one(A, A->V, goff, valid, dst, vec * 4);
}

static LLVMValueRef k_stage(att_t *A, LLVMValueRef s) {
  return LLVMBuildAdd(A->c->b, i32c(A->c, A->q_bytes), LLVMBuildMul(A->c->b, s, i32c(A->c, A->k_bytes), ""), "");
}
static LLVMValueRef v_stage(att_t *A, LLVMValueRef s) {
  return LLVMBuildAdd(A->c->b, i32c(A->c, A->q_bytes + 2 * A->k_bytes), LLVMBuildMul(A->c->b, s, i32c(A->c, A->v_bytes), ""), "");
}

static void load_kv(att_t *A, LLVMValueRef j, LLVMValueRef stage) {
  LLVMValueRef kb = LLVMBuildMul(A->c->b, j, cg_i64(A->c, A->BKV), "");
  int64_t kcount = A->kt ? (int64_t)A->BKV * A->Dp : (int64_t)A->BKV * A->Dp / (A->D % 4 == 0 ? 4 : 1);
  for_items(A, kcount, k_item, kb, k_stage(A, stage));
  for_items(A, (int64_t)A->BKV * A->Dvp / (A->Dv % 4 == 0 ? 4 : 1), v_item, kb, v_stage(A, stage));
}

/* lanes floats at byte `off` past a shared-memory pointer: per-lane bases
 * plus compile-time offsets, so they fold into ld.shared [%rd+imm]. */
static LLVMValueRef at(att_t *A, LLVMValueRef base, int64_t off, int lanes) {
  cg_t *c = A->c;
  LLVMValueRef idx = i32c(c, off);
  LLVMValueRef p = LLVMBuildInBoundsGEP2(c->b, c->t_i8, base, &idx, 1, "");
  LLVMTypeRef t = lanes == 1 ? c->t_f32 : LLVMVectorType(c->t_f32, (unsigned)lanes);
  LLVMValueRef v = LLVMBuildLoad2(c->b, t, LLVMBuildBitCast(c->b, p, LLVMPointerType(t, 3), ""), "");
  LLVMSetAlignment(v, (unsigned)(4 * lanes));
  return v;
}

static LLVMValueRef pack2(att_t *A, int fmt, LLVMValueRef lo, LLVMValueRef hi) {
  LLVMValueRef v[2] = {lo, hi};
  return gpu_cvt_pack(A->c, fmt, v);
}

static LLVMValueRef pack_vec2(att_t *A, int fmt, LLVMValueRef v2) {
  cg_t *c = A->c;
  return pack2(A, fmt, LLVMBuildExtractElement(c->b, v2, i32c(c, 0), ""), LLVMBuildExtractElement(c->b, v2, i32c(c, 1), ""));
}

/* Q's A-fragment register rr of k-step ks for this warp (qp: the lane's
 * element (wrow, 2t) of the Q tile). */
static LLVMValueRef q_frag(att_t *A, int fmt, LLVMValueRef qp, int ks, int rr) {
  return pack_vec2(A, fmt, at(A, qp, 4 * ((int64_t)(rr & 1) * 8 * A->ldq + ks * 16 + (rr >> 1) * 8), 2));
}

static LLVMValueRef fmax2(cg_t *c, LLVMValueRef a, LLVMValueRef b) {
  LLVMValueRef args[2] = {a, b};
  return cg_intrinsic(c, "llvm.maxnum", c->t_f32, args, 2);
}

static LLVMValueRef exp2f_(cg_t *c, LLVMValueRef x) { return cg_intrinsic(c, "llvm.exp2", c->t_f32, &x, 1); }

/* Load/store of element i of a float array alloca. */
static LLVMValueRef aget(cg_t *c, LLVMValueRef arr, int n, int i) {
  LLVMValueRef idx[2] = {cg_i64(c, 0), cg_i64(c, i)};
  return LLVMBuildLoad2(c->b, c->t_f32, LLVMBuildInBoundsGEP2(c->b, LLVMArrayType(c->t_f32, (unsigned)n), arr, idx, 2, ""), "");
}
static void aset(cg_t *c, LLVMValueRef arr, int n, int i, LLVMValueRef v) {
  LLVMValueRef idx[2] = {cg_i64(c, 0), cg_i64(c, i)};
  LLVMBuildStore(c->b, v, LLVMBuildInBoundsGEP2(c->b, LLVMArrayType(c->t_f32, (unsigned)n), arr, idx, 2, ""));
}

ingot_status_t gpu_emit_attention(ingot_gpu_t *gpu, cg_kernel_t *k, gpu_launch_t *L) {
  cg_t *c = &gpu->c;
  const ingot_node_t *anchor;
  INGOT_RETURN_IF_ERROR(gpu_narrow_fused(c, k, &anchor));
  const ingot_fusion_t *f = k->fusion;
  att_t A;
  memset(&A, 0, sizeof A);
  A.gpu = gpu;
  A.c = c;
  const ingot_type_t *tq = &k->vin[0]->type, *tk = &k->vin[1]->type, *tv = &k->vin[2]->type;
  int r = tq->rank;
  A.kt = f->k_transposed;
  A.BH = 1;
  for (int d = 0; d < r - 2; d++) A.BH *= tq->dims[d].v;
  A.N = tq->dims[r - 2].v;
  A.D = tq->dims[r - 1].v;
  A.M = A.kt ? tk->dims[r - 1].v : tk->dims[r - 2].v;
  A.Dv = tv->dims[r - 1].v;
  A.warps = A.N > 48 ? 4 : (int)((A.N + 15) / 16);
  A.BQ = 16 * A.warps;
  A.Dp = (int)((A.D + 15) / 16 * 16);
  A.Dvp = (int)((A.Dv + 7) / 8 * 8);
  A.BKV = A.Dp <= 64 ? 64 : 32;
  while (A.BKV > 16 && A.BKV / 2 >= A.M) A.BKV /= 2;
  A.ldq = gpu_gemm_ld(A.Dp, 4, 8);
  A.ldk = gpu_gemm_ld(A.Dp, 4, 8);
  A.ldv = A.Dvp + 4;
  A.q_bytes = (A.BQ * A.ldq * 4 + 127) / 128 * 128;
  A.k_bytes = (A.BKV * A.ldk * 4 + 127) / 128 * 128;
  A.v_bytes = (A.BKV * A.ldv * 4 + 127) / 128 * 128;
  int smem = A.q_bytes + 2 * (A.k_bytes + A.v_bytes);
  if (smem > gpu->arch->smem_per_block)
    return cg_error(c, k, INGOT_CODE_UNSUPPORTED, "attention tile needs %d bytes of shared memory", smem);
  int fmt = gpu->o.precision == INGOT_GPU_PREC_BF16 ? GPU_FMT_BF16 : GPU_FMT_F16;
  const char *mma = fmt == GPU_FMT_BF16 ? "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32"
                                        : "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32";
  A.Q = k->in[0];
  A.K = k->in[1];
  A.V = k->in[2];
  int NS = A.BKV / 8, NO = A.Dvp / 8, KS = A.Dp / 16;
  int64_t nkb = (A.M + A.BKV - 1) / A.BKV;

  A.tid = gpu_sreg(c, "tid.x");
  A.warp = LLVMBuildLShr(c->b, A.tid, i32c(c, 5), "");
  LLVMValueRef lane = LLVMBuildAnd(c->b, A.tid, i32c(c, 31), "");
  A.g = LLVMBuildLShr(c->b, lane, i32c(c, 2), "");
  A.t = LLVMBuildAnd(c->b, lane, i32c(c, 3), "");
  LLVMValueRef bh = z64(c, gpu_sreg(c, "ctaid.y"));
  A.q0 = LLVMBuildMul(c->b, z64(c, gpu_sreg(c, "ctaid.x")), cg_i64(c, A.BQ), "");
  A.qoff = LLVMBuildMul(c->b, bh, cg_i64(c, A.N * A.D), "");
  A.koff = LLVMBuildMul(c->b, bh, cg_i64(c, A.M * A.D), "");
  A.voff = LLVMBuildMul(c->b, bh, cg_i64(c, A.M * A.Dv), "");
  LLVMValueRef O = cg_alloca(c, LLVMArrayType(c->t_f32, (unsigned)(NO * 4)), "o");
  LLVMValueRef ML = cg_alloca(c, LLVMArrayType(c->t_f32, 4), "ml"); /* m0, m1, l0, l1 */
  LLVMBuildStore(c->b, LLVMConstNull(LLVMArrayType(c->t_f32, (unsigned)(NO * 4))), O);
  aset(c, ML, 4, 0, LLVMConstReal(c->t_f32, -INFINITY));
  aset(c, ML, 4, 1, LLVMConstReal(c->t_f32, -INFINITY));
  aset(c, ML, 4, 2, LLVMConstReal(c->t_f32, 0));
  aset(c, ML, 4, 3, LLVMConstReal(c->t_f32, 0));

  /* Q and the first K/V block */
  for_items(&A, (int64_t)A.BQ * A.Dp / (A.D % 4 == 0 ? 4 : 1), q_item, NULL, NULL);
  load_kv(&A, cg_i64(c, 0), i32c(c, 0));
  gpu_cp_commit(c);
  gpu_cp_wait(c, 0);
  gpu_barrier(c);
  /* this warp's Q rows as A fragments, for the whole kernel */
  LLVMValueRef qf[MAX_HEAD / 16][4];
  LLVMValueRef wrow = LLVMBuildAdd(c->b, LLVMBuildMul(c->b, A.warp, i32c(c, 16), ""), A.g, "");
  LLVMValueRef t2 = LLVMBuildMul(c->b, A.t, i32c(c, 2), "");
  /* heads up to 64 keep Q in registers; wider ones reload it from shared
   * memory (Q's 32+ registers on top of O's would spill) */
  bool q_resident = KS <= 4;
  LLVMValueRef lane_q = LLVMBuildMul(c->b, LLVMBuildAdd(c->b, LLVMBuildMul(c->b, wrow, i32c(c, A.ldq), ""), t2, ""), i32c(c, 4), "");
  LLVMValueRef lane_k = LLVMBuildMul(c->b, LLVMBuildAdd(c->b, LLVMBuildMul(c->b, A.g, i32c(c, A.ldk), ""), t2, ""), i32c(c, 4), "");
  LLVMValueRef lane_v = LLVMBuildMul(c->b, LLVMBuildAdd(c->b, LLVMBuildMul(c->b, t2, i32c(c, A.ldv), ""), A.g, ""), i32c(c, 4), "");
  LLVMValueRef qp = gpu_smem_ptr(gpu, lane_q);
  for (int ks = 0; q_resident && ks < KS; ks++)
    for (int rr = 0; rr < 4; rr++) qf[ks][rr] = q_frag(&A, fmt, qp, ks, rr);
  double scale = (double)f->attn_scale * 1.4426950408889634; /* exp -> exp2 */
  cg_loop_t Lj;
  LLVMValueRef j = cg_loop_begin(c, &Lj, cg_i64(c, 0), cg_i64(c, nkb), "kv");
  if (nkb > 1) {
    gpu_cp_wait(c, 0);
    gpu_barrier(c);
    LLVMValueRef nj = LLVMBuildAdd(c->b, j, cg_i64(c, 1), "");
    cg_if_t ci;
    cg_if_begin(c, &ci, ult64(c, nj, nkb));
    load_kv(&A, nj, LLVMBuildTrunc(c->b, LLVMBuildAnd(c->b, nj, cg_i64(c, 1), ""), c->t_i32, ""));
    cg_if_end(c, &ci);
    gpu_cp_commit(c);
  }
  LLVMValueRef stage = LLVMBuildTrunc(c->b, LLVMBuildAnd(c->b, j, cg_i64(c, 1), ""), c->t_i32, "");
  LLVMValueRef kp = gpu_smem_ptr(gpu, LLVMBuildAdd(c->b, k_stage(&A, stage), lane_k, ""));
  LLVMValueRef vp = gpu_smem_ptr(gpu, LLVMBuildAdd(c->b, v_stage(&A, stage), lane_v, ""));
  LLVMValueRef key0 = LLVMBuildMul(c->b, j, cg_i64(c, A.BKV), "");
  /* S = Q K^T, scaled, keys past M masked */
  LLVMValueRef rmax[2] = {LLVMConstReal(c->t_f32, -INFINITY), LLVMConstReal(c->t_f32, -INFINITY)};
  LLVMValueRef s[MAX_HEAD / 2][4];
  for (int nt = 0; nt < NS; nt++)
    for (int rr = 0; rr < 4; rr++) s[nt][rr] = LLVMConstReal(c->t_f32, 0);
  for (int ks = 0; ks < KS; ks++) {
    LLVMValueRef qa[4];
    for (int rr = 0; rr < 4; rr++) qa[rr] = q_resident ? qf[ks][rr] : q_frag(&A, fmt, qp, ks, rr);
    for (int nt = 0; nt < NS; nt++) {
      LLVMValueRef b[2];
      for (int rr = 0; rr < 2; rr++)
        b[rr] = pack_vec2(&A, fmt, at(&A, kp, 4 * ((int64_t)nt * 8 * A.ldk + ks * 16 + rr * 8), 2));
      gpu_mma(c, mma, qa, b, s[nt]);
    }
  }
  for (int nt = 0; nt < NS; nt++)
    for (int rr = 0; rr < 4; rr++) {
      LLVMValueRef key = LLVMBuildAdd(c->b, key0, z64(c, LLVMBuildAdd(c->b, t2, i32c(c, nt * 8 + (rr & 1)), "")), "");
      LLVMValueRef v = LLVMBuildFMul(c->b, s[nt][rr], LLVMConstReal(c->t_f32, scale), "");
      s[nt][rr] = LLVMBuildSelect(c->b, ult64(c, key, A.M), v, LLVMConstReal(c->t_f32, -INFINITY), "");
      rmax[rr >> 1] = fmax2(c, rmax[rr >> 1], s[nt][rr]);
    }
  LLVMValueRef alpha[2], mnew[2], psum[2];
  for (int h = 0; h < 2; h++) {
    rmax[h] = fmax2(c, rmax[h], gpu_shfl_xor(c, rmax[h], 1));
    rmax[h] = fmax2(c, rmax[h], gpu_shfl_xor(c, rmax[h], 2));
    LLVMValueRef mold = aget(c, ML, 4, h);
    mnew[h] = fmax2(c, mold, rmax[h]);
    alpha[h] = exp2f_(c, LLVMBuildFSub(c->b, mold, mnew[h], ""));
    psum[h] = LLVMConstReal(c->t_f32, 0);
    aset(c, ML, 4, h, mnew[h]);
  }
  for (int nt = 0; nt < NS; nt++)
    for (int rr = 0; rr < 4; rr++) {
      s[nt][rr] = exp2f_(c, LLVMBuildFSub(c->b, s[nt][rr], mnew[rr >> 1], ""));
      psum[rr >> 1] = LLVMBuildFAdd(c->b, psum[rr >> 1], s[nt][rr], "");
    }
  for (int h = 0; h < 2; h++)
    aset(c, ML, 4, 2 + h, LLVMBuildFAdd(c->b, LLVMBuildFMul(c->b, aget(c, ML, 4, 2 + h), alpha[h], ""), psum[h], ""));
  /* O = O * alpha + P V */
  LLVMValueRef o[MAX_HEAD / 8][4];
  for (int nt = 0; nt < NO; nt++)
    for (int rr = 0; rr < 4; rr++) o[nt][rr] = LLVMBuildFMul(c->b, aget(c, O, NO * 4, nt * 4 + rr), alpha[rr >> 1], "");
  for (int kk = 0; kk < NS / 2; kk++) {
    LLVMValueRef a[4] = {pack2(&A, fmt, s[2 * kk][0], s[2 * kk][1]), pack2(&A, fmt, s[2 * kk][2], s[2 * kk][3]),
                         pack2(&A, fmt, s[2 * kk + 1][0], s[2 * kk + 1][1]),
                         pack2(&A, fmt, s[2 * kk + 1][2], s[2 * kk + 1][3])};
    for (int nt = 0; nt < NO; nt++) {
      LLVMValueRef b[2];
      for (int rr = 0; rr < 2; rr++) {
        int64_t r0 = kk * 16 + rr * 8;
        b[rr] = pack2(&A, fmt, at(&A, vp, 4 * (r0 * A.ldv + nt * 8), 1), at(&A, vp, 4 * ((r0 + 1) * A.ldv + nt * 8), 1));
      }
      gpu_mma(c, mma, a, b, o[nt]);
    }
  }
  for (int nt = 0; nt < NO; nt++)
    for (int rr = 0; rr < 4; rr++) aset(c, O, NO * 4, nt * 4 + rr, o[nt][rr]);
  cg_loop_end(c, &Lj);
  /* normalise and store through the epilogue */
  LLVMValueRef inv[2];
  for (int h = 0; h < 2; h++) {
    LLVMValueRef l = aget(c, ML, 4, 2 + h);
    l = LLVMBuildFAdd(c->b, l, gpu_shfl_xor(c, l, 1), "");
    l = LLVMBuildFAdd(c->b, l, gpu_shfl_xor(c, l, 2), "");
    inv[h] = LLVMBuildFDiv(c->b, LLVMConstReal(c->t_f32, 1), l, "");
  }
  for (int nt = 0; nt < NO; nt++)
    for (int rr = 0; rr < 4; rr++) {
      LLVMValueRef n = LLVMBuildAdd(c->b, A.q0, z64(c, LLVMBuildAdd(c->b, wrow, i32c(c, (rr >> 1) * 8), "")), "");
      LLVMValueRef dv = z64(c, LLVMBuildAdd(c->b, t2, i32c(c, nt * 8 + (rr & 1)), ""));
      cg_if_t ci;
      cg_if_begin(c, &ci, LLVMBuildAnd(c->b, ult64(c, n, A.N), ult64(c, dv, A.Dv), ""));
      LLVMValueRef v = LLVMBuildFMul(c->b, aget(c, O, NO * 4, nt * 4 + rr), inv[rr >> 1], "");
      LLVMValueRef idx = LLVMBuildAdd(
          c->b, LLVMBuildMul(c->b, LLVMBuildAdd(c->b, LLVMBuildMul(c->b, bh, cg_i64(c, A.N), ""), n, ""), cg_i64(c, A.Dv), ""), dv, "");
      cg_store_out(c, k, idx, v);
      cg_if_end(c, &ci);
    }
  cg_epilogue_take_marks(c);
  L->grid[0] = (uint32_t)((A.N + A.BQ - 1) / A.BQ);
  L->grid[1] = (uint32_t)A.BH;
  L->grid[2] = 1;
  L->block[0] = (uint32_t)(32 * A.warps);
  L->block[1] = L->block[2] = 1;
  L->smem = (uint32_t)smem;
  L->kind = "attention";
  L->flops = 2.0 * (double)A.BH * (double)A.N * (double)A.M * (double)(A.D + A.Dv);
  L->bytes = 4.0 * (double)A.BH * (double)(A.N * A.D + A.M * A.D + A.M * A.Dv + A.N * A.Dv);
  L->peak_tflops = gpu->arch->fp16_tflops * gpu->arch->mma_sync_efficiency;
  L->regs_est = NS * 4 + NO * 4 + KS * 4 + 40;
  snprintf(L->tiles, sizeof L->tiles, "flash %s BH%lld N%lld M%lld D%lld Dv%lld: BQ %d (%d warps), BKV %d, 2 stages%s",
           fmt == GPU_FMT_BF16 ? "bf16" : "fp16", (long long)A.BH, (long long)A.N, (long long)A.M, (long long)A.D,
           (long long)A.Dv, A.BQ, A.warps, A.BKV, A.kt ? ", K^T" : "");
  (void)anchor;
  return INGOT_OK;
}
