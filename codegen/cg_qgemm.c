/* Quantized kernels: IngotQuantAct, IngotQLinear, IngotQConv (semantics in
 * interp/k_quant.c, weight layouts in ir/quant_codec.h).
 *
 * IngotQLinear is a register-blocked GEMM written as explicit LLVM vector
 * code.  Weights come in panels of 32 output channels, K-major; a work item
 * is (V*L channels of one panel, a block of MR rows), L lanes per vector
 * (16 on AVX-512, 8 on AVX2), MR x V accumulators (8 x 2 zmm, 6 x 2 ymm):
 *
 *   for item in [begin, end):          consecutive items share their channels
 *     acc[MR][V] = 0
 *     for k:                           K-major: one contiguous stream per item
 *       w[v] = weights(k, channels v*L .. v*L+L)
 *       for r < MR: acc[r][v] += splat(A[r0 + r][k]) * w[v]
 *     Y[r0 + r][channels] = acc[r] * scale (+ bias)     per-channel scale after the K sum
 *
 * Rows past M (the last block) recompute row M-1 and are not stored;
 * channels past N are zero weights and their stores are cut at N.
 *
 *   float x int8 / fp8  (int8-weight, fp8-e4m3): the item's K x V*L weights
 *       are dequantized (sitofp, or E4M3FN/E5M2 decoded with integer ops)
 *       into a float32 stack buffer the first time a thread meets those
 *       channels, and every later row block of the same channels reads the
 *       buffer: the conversion is paid once per thread and panel, and the
 *       inner loop is a plain FMA microkernel.
 *   int8 x int8x4  (w8a8): with AVX-512 VNNI, vpdpbusd over groups of 4 k
 *       (llvm.x86.avx512.vpdpbusd.512).  It multiplies unsigned by signed
 *       bytes, so the activation bytes are offset by +128 (xor 0x80 on the
 *       broadcast 32-bit group) and 128 * sum_k W[k][j] is subtracted at the
 *       end (precomputed into the weights blob: the oneDNN compensation
 *       trick).  Without VNNI: the same loop with widening i32 multiplies and
 *       a pairwise add tree, which LLVM lowers to vpmaddwd / vpmulld + adds
 *       (the AVX2 fallback).
 *   int8 x int8    (IngotQConv w8a8): widening i32 multiply-add per k.
 * Integer sums are exact in int32 (|A|, |W| <= 127 and K < 2^17), and the
 * epilogue performs the evaluator's float32 operations in its order, so
 * w8a8 results agree with the oracle bit for bit.
 *
 * IngotQConv is the same loop with rows = output positions (n, oh, ow) and
 * the activation element gathered from the input image (implicit im2col,
 * zero outside the padding); outputs are stored lane by lane (channel
 * stride OH*OW). */
#include <llvm-c/Core.h>
#include <llvm-c/TargetMachine.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "codegen/cg.h"
#include "codegen/target.h"
#include "ir/quant_codec.h"

typedef struct {
  cg_t *cg;
  cg_kernel_t *k;
  int L;                /* lanes */
  int V;                /* vectors (of L channels) per item */
  int S;                /* items per 32-channel panel: 32 / (V * L) */
  int MR;               /* rows per item */
  int64_t M, K, Kp, N, NP, NRB, ka;
  int w;                /* ingot_qweights_t */
  bool int_a, vnni;
  LLVMTypeRef vf, vi, vi8; /* <L x float>, <L x i32>, <L x i8> */
  /* float activations: the item's K x (V*L) weights dequantized once into a
   * stack buffer and reused by every row block of the same channels */
  bool buffered;
  LLVMValueRef wbuf;   /* float* (alloca) */
  LLVMValueRef cur_sp; /* i64* (alloca): the sub-panel now in wbuf, -1 none */
} qg_t;

/* ---- small helpers --------------------------------------------------------------------- */

static LLVMValueRef i64c(cg_t *cg, int64_t v) { return cg_i64(cg, v); }
static LLVMValueRef i32c(cg_t *cg, int64_t v) { return LLVMConstInt(cg->t_i32, (unsigned long long)v, 1); }

static LLVMValueRef gep(cg_t *cg, LLVMTypeRef et, LLVMValueRef base, LLVMValueRef idx) {
  return LLVMBuildInBoundsGEP2(cg->b, et, base, &idx, 1, "");
}

static LLVMValueRef vload(cg_t *cg, LLVMTypeRef vt, LLVMTypeRef et, LLVMValueRef base, LLVMValueRef idx) {
  LLVMValueRef p = LLVMBuildBitCast(cg->b, gep(cg, et, base, idx), LLVMPointerType(vt, 0), "");
  LLVMValueRef v = LLVMBuildLoad2(cg->b, vt, p, "");
  LLVMSetAlignment(v, 1);
  return v;
}

static void vstore(cg_t *cg, LLVMValueRef v, LLVMTypeRef et, LLVMValueRef base, LLVMValueRef idx) {
  LLVMValueRef p = LLVMBuildBitCast(cg->b, gep(cg, et, base, idx), LLVMPointerType(LLVMTypeOf(v), 0), "");
  LLVMValueRef s = LLVMBuildStore(cg->b, v, p);
  LLVMSetAlignment(s, 1);
}

static LLVMValueRef splat(cg_t *cg, LLVMValueRef s, int n) {
  LLVMTypeRef vt = LLVMVectorType(LLVMTypeOf(s), (unsigned)n);
  LLVMValueRef v = LLVMBuildInsertElement(cg->b, LLVMGetUndef(vt), s, i32c(cg, 0), "");
  LLVMValueRef mask = LLVMConstNull(LLVMVectorType(cg->t_i32, (unsigned)n));
  return LLVMBuildShuffleVector(cg->b, v, LLVMGetUndef(vt), mask, "");
}

static LLVMValueRef vconst_i32(cg_t *cg, int n, int64_t v) { return splat(cg, i32c(cg, v), n); }

/* A shuffle selecting lanes start, start+step, ... (n of them). */
static LLVMValueRef strided(cg_t *cg, LLVMValueRef v, int n, int start, int step) {
  LLVMValueRef idx[64];
  for (int i = 0; i < n; i++) idx[i] = i32c(cg, start + i * step);
  return LLVMBuildShuffleVector(cg->b, v, LLVMGetUndef(LLVMTypeOf(v)), LLVMConstVector(idx, (unsigned)n), "");
}

static LLVMValueRef imin(cg_t *cg, LLVMValueRef a, LLVMValueRef b) {
  return LLVMBuildSelect(cg->b, LLVMBuildICmp(cg->b, LLVMIntSLT, a, b, ""), a, b, "");
}

static bool target_has(cg_t *cg, const char *feat) {
  const ingot_target_desc_t *t = cg->target;
  if (t && t->features) return strstr(t->features, feat) != NULL;
  if (t && t->name && strcmp(t->name, "native")) return false;
  char *f = LLVMGetHostCPUFeatures();
  bool r = f && strstr(f, feat) != NULL;
  LLVMDisposeMessage(f);
  return r;
}

/* fp8 codes (<L x i8>) -> <L x float>, exactly as ingot_fp8_decode. */
static LLVMValueRef fp8_decode_vec(cg_t *cg, LLVMValueRef codes, int L, bool e5m2) {
  LLVMTypeRef vi = LLVMVectorType(cg->t_i32, (unsigned)L), vf = LLVMVectorType(cg->t_f32, (unsigned)L);
  LLVMValueRef c = LLVMBuildZExt(cg->b, codes, vi, "");
  LLVMValueRef mag = LLVMBuildAnd(cg->b, c, vconst_i32(cg, L, 0x7f), "");
  LLVMValueRef sign = LLVMBuildShl(cg->b, LLVMBuildAnd(cg->b, c, vconst_i32(cg, L, 0x80), ""), vconst_i32(cg, L, 24), "");
  int m = e5m2 ? 2 : 3, bias = e5m2 ? 15 : 7;
  LLVMValueRef nbits = LLVMBuildAdd(cg->b, LLVMBuildShl(cg->b, mag, vconst_i32(cg, L, 23 - m), ""),
                                    vconst_i32(cg, L, (int64_t)(127 - bias) << 23), "");
  LLVMValueRef normal = LLVMBuildBitCast(cg->b, nbits, vf, "");
  LLVMValueRef sub = LLVMBuildFMul(cg->b, LLVMBuildSIToFP(cg->b, mag, vf, ""),
                                   splat(cg, cg_f32(cg, ldexp(1.0, 1 - bias - m)), L), "");
  LLVMValueRef issub = LLVMBuildICmp(cg->b, LLVMIntULT, mag, vconst_i32(cg, L, 1 << m), "");
  LLVMValueRef v = LLVMBuildSelect(cg->b, issub, sub, normal, "");
  if (e5m2) {
    LLVMValueRef isinf = LLVMBuildICmp(cg->b, LLVMIntEQ, mag, vconst_i32(cg, L, 0x7c), "");
    LLVMValueRef isnan = LLVMBuildICmp(cg->b, LLVMIntUGT, mag, vconst_i32(cg, L, 0x7c), "");
    v = LLVMBuildSelect(cg->b, isinf, splat(cg, cg_f32(cg, INFINITY), L), v, "");
    v = LLVMBuildSelect(cg->b, isnan, splat(cg, cg_f32(cg, NAN), L), v, "");
  } else {
    LLVMValueRef isnan = LLVMBuildICmp(cg->b, LLVMIntEQ, mag, vconst_i32(cg, L, 0x7f), "");
    v = LLVMBuildSelect(cg->b, isnan, splat(cg, cg_f32(cg, NAN), L), v, "");
  }
  LLVMValueRef bits = LLVMBuildOr(cg->b, LLVMBuildBitCast(cg->b, v, vi, ""), sign, "");
  return LLVMBuildBitCast(cg->b, bits, vf, "");
}

/* ingot_fp8_round(t) for a scalar float (LLVM vectorises the loop around it). */
static LLVMValueRef fp8_round_scalar(cg_t *cg, LLVMValueRef t, bool e5m2) {
  int m = e5m2 ? 2 : 3, emin = e5m2 ? -14 : -6, shift = 23 - m;
  double maxv = e5m2 ? 57344.0 : 448.0;
  LLVMValueRef b = LLVMBuildBitCast(cg->b, t, cg->t_i32, "");
  LLVMValueRef sign = LLVMBuildAnd(cg->b, b, i32c(cg, (int64_t)0x80000000u), "");
  LLVMValueRef a = LLVMBuildAnd(cg->b, b, i32c(cg, 0x7fffffff), "");
  LLVMValueRef f = LLVMBuildBitCast(cg->b, a, cg->t_f32, "");
  LLVMValueRef scaled = LLVMBuildFMul(cg->b, f, cg_f32(cg, ldexp(1.0, m - emin)), "");
  LLVMValueRef sub = LLVMBuildFMul(cg->b, cg_intrinsic(cg, "llvm.nearbyint", cg->t_f32, &scaled, 1),
                                   cg_f32(cg, ldexp(1.0, emin - m)), "");
  LLVMValueRef lsb = LLVMBuildAnd(cg->b, LLVMBuildLShr(cg->b, a, i32c(cg, shift), ""), i32c(cg, 1), "");
  LLVMValueRef rb = LLVMBuildAdd(cg->b, LLVMBuildAdd(cg->b, a, i32c(cg, (1 << (shift - 1)) - 1), ""), lsb, "");
  rb = LLVMBuildAnd(cg->b, rb, i32c(cg, ~(int64_t)((1 << shift) - 1) & 0xffffffff), "");
  LLVMValueRef nrm = LLVMBuildBitCast(cg->b, rb, cg->t_f32, "");
  LLVMValueRef issub = LLVMBuildFCmp(cg->b, LLVMRealOLT, f, cg_f32(cg, ldexp(1.0, emin)), "");
  LLVMValueRef v = LLVMBuildSelect(cg->b, issub, sub, nrm, "");
  LLVMValueRef big = LLVMBuildFCmp(cg->b, LLVMRealOGT, v, cg_f32(cg, maxv), "");
  v = LLVMBuildSelect(cg->b, big, cg_f32(cg, maxv), v, "");
  LLVMValueRef isnan = LLVMBuildFCmp(cg->b, LLVMRealUNO, f, f, "");
  v = LLVMBuildSelect(cg->b, isnan, f, v, "");
  LLVMValueRef bits = LLVMBuildOr(cg->b, LLVMBuildBitCast(cg->b, v, cg->t_i32, ""), sign, "");
  return LLVMBuildBitCast(cg->b, bits, cg->t_f32, "");
}

/* clamp(nearbyint(x * inv), -127, 127) as i8, NaN -> 0 (ingot_int8_quantize). */
static LLVMValueRef int8_quantize_scalar(cg_t *cg, LLVMValueRef x, LLVMValueRef inv) {
  LLVMValueRef v = LLVMBuildFMul(cg->b, x, inv, "");
  LLVMValueRef r = cg_intrinsic(cg, "llvm.nearbyint", cg->t_f32, &v, 1);
  LLVMValueRef hi = LLVMBuildFCmp(cg->b, LLVMRealOGT, r, cg_f32(cg, 127), "");
  r = LLVMBuildSelect(cg->b, hi, cg_f32(cg, 127), r, "");
  LLVMValueRef lo = LLVMBuildFCmp(cg->b, LLVMRealOLT, r, cg_f32(cg, -127), "");
  r = LLVMBuildSelect(cg->b, lo, cg_f32(cg, -127), r, "");
  LLVMValueRef nan = LLVMBuildFCmp(cg->b, LLVMRealUNO, r, r, "");
  r = LLVMBuildSelect(cg->b, nan, cg_f32(cg, 0), r, "");
  return LLVMBuildFPToSI(cg->b, r, cg->t_i8, "");
}

static ingot_status_t need_const(cg_t *cg, cg_kernel_t *k, uint32_t i, int dtype, int64_t numel, const char *what) {
  const ingot_value_t *v = i < k->nin ? k->vin[i] : NULL;
  int64_t n = 0;
  if (!v || !v->data || v->type.dtype != dtype || !ingot_type_numel(&v->type, &n) || (numel >= 0 && n != numel) ||
      v->nbytes < (size_t)n * ingot_dtype_size(dtype))
    return cg_error(cg, k, INGOT_CODE_UNSUPPORTED, "%s must be a constant %s tensor%s", what, ingot_dtype_name(dtype),
                    numel >= 0 ? " of the expected size" : "");
  return INGOT_OK;
}

/* ---- IngotQuantAct -------------------------------------------------------------------- */

ingot_status_t cg_emit_quant_act(cg_t *cg, cg_kernel_t *k) {
  const ingot_value_t *vx = k->vin[0], *vy = k->vout[0];
  if (k->nin < 1 || !vx || !vy || vx->type.dtype != INGOT_DT_FLOAT || vx->type.rank < 1)
    return cg_error(cg, k, INGOT_CODE_INPUT, "IngotQuantAct expects a float32 input and an output");
  const char *fmt = ingot_node_attr_s(k->n, "format", "");
  float scale = ingot_node_attr_f(k->n, "scale", 0.0f);
  bool is_int8 = !strcmp(fmt, "int8"), e5m2 = !strcmp(fmt, "e5m2");
  if (!is_int8 && !e5m2 && strcmp(fmt, "e4m3fn"))
    return cg_error(cg, k, INGOT_CODE_INPUT, "format must be int8, e4m3fn or e5m2");
  if (!(scale >= 0) || !isfinite(scale) || (!is_int8 && scale == 0))
    return cg_error(cg, k, INGOT_CODE_INPUT, "invalid scale");
  int64_t K = vx->type.dims[vx->type.rank - 1].v, n = 0, ny = 0;
  ingot_type_numel(&vx->type, &n);
  ingot_type_numel(&vy->type, &ny);
  int64_t rows = K ? n / K : 0, Kp = rows ? ny / rows : K;
  if (rows == 0) return INGOT_OK;
  if (vy->type.dtype != (is_int8 ? INGOT_DT_INT8 : INGOT_DT_FLOAT) || Kp < K || (!is_int8 && Kp != K))
    return cg_error(cg, k, INGOT_CODE_INTERNAL, "output type disagrees with the format");
  k->work = rows;
  k->flops = (double)n * 4;
  k->bytes = (double)n * 4 + (double)ny * (is_int8 ? 1 : 4);
  LLVMValueRef X = k->in[0], Y = k->out[0];
  LLVMValueRef S = k->nout > 1 ? k->out[1] : NULL;
  cg_loop_t Lr, Li;
  LLVMValueRef r = cg_loop_begin(cg, &Lr, k->begin, k->end, "row");
  LLVMValueRef xoff = LLVMBuildNSWMul(cg->b, r, i64c(cg, K), ""), yoff = LLVMBuildNSWMul(cg->b, r, i64c(cg, Kp), "");
  if (!is_int8) {
    LLVMValueRef s = cg_f32(cg, scale), inv = cg_f32(cg, 1.0f / scale);
    LLVMValueRef i = cg_loop_begin(cg, &Li, i64c(cg, 0), i64c(cg, K), "i");
    LLVMValueRef x = cg_load(cg, INGOT_DT_FLOAT, X, LLVMBuildNSWAdd(cg->b, xoff, i, ""));
    LLVMValueRef q = fp8_round_scalar(cg, LLVMBuildFMul(cg->b, x, inv, ""), e5m2);
    cg_store(cg, INGOT_DT_FLOAT, Y, LLVMBuildNSWAdd(cg->b, yoff, i, ""), LLVMBuildFMul(cg->b, s, q, ""));
    cg_loop_end(cg, &Li);
    cg_loop_end(cg, &Lr);
    return INGOT_OK;
  }
  LLVMValueRef inv;
  if (scale > 0) {
    inv = cg_f32(cg, 1.0f / scale);
  } else {
    /* per row: s = amax / 127 (1 when amax < 1e-30 or not finite), ingot_int8_scale */
    LLVMValueRef am = cg_alloca(cg, cg->t_f32, "amax");
    LLVMBuildStore(cg->b, cg_f32(cg, 0), am);
    LLVMValueRef i = cg_loop_begin(cg, &Li, i64c(cg, 0), i64c(cg, K), "a");
    LLVMValueRef x = cg_load(cg, INGOT_DT_FLOAT, X, LLVMBuildNSWAdd(cg->b, xoff, i, ""));
    LLVMValueRef ax = cg_intrinsic(cg, "llvm.fabs", cg->t_f32, &x, 1), cur = LLVMBuildLoad2(cg->b, cg->t_f32, am, "");
    LLVMBuildStore(cg->b, LLVMBuildSelect(cg->b, LLVMBuildFCmp(cg->b, LLVMRealOGT, ax, cur, ""), ax, cur, ""), am);
    cg_loop_end(cg, &Li);
    LLVMValueRef amax = LLVMBuildLoad2(cg->b, cg->t_f32, am, "");
    LLVMValueRef ok = LLVMBuildAnd(cg->b, LLVMBuildFCmp(cg->b, LLVMRealOGE, amax, cg_f32(cg, 1e-30f), ""),
                                   LLVMBuildFCmp(cg->b, LLVMRealONE, amax, cg_f32(cg, INFINITY), ""), "");
    LLVMValueRef s = LLVMBuildSelect(cg->b, ok, LLVMBuildFDiv(cg->b, amax, cg_f32(cg, 127), ""), cg_f32(cg, 1), "");
    if (S) cg_store(cg, INGOT_DT_FLOAT, S, r, s);
    inv = LLVMBuildFDiv(cg->b, cg_f32(cg, 1), s, "");
  }
  LLVMValueRef i = cg_loop_begin(cg, &Li, i64c(cg, 0), i64c(cg, K), "q");
  LLVMValueRef x = cg_load(cg, INGOT_DT_FLOAT, X, LLVMBuildNSWAdd(cg->b, xoff, i, ""));
  cg_store(cg, INGOT_DT_INT8, Y, LLVMBuildNSWAdd(cg->b, yoff, i, ""), int8_quantize_scalar(cg, x, inv));
  cg_loop_end(cg, &Li);
  if (Kp > K) {
    i = cg_loop_begin(cg, &Li, i64c(cg, K), i64c(cg, Kp), "pad");
    cg_store(cg, INGOT_DT_INT8, Y, LLVMBuildNSWAdd(cg->b, yoff, i, ""), LLVMConstInt(cg->t_i8, 0, 0));
    cg_loop_end(cg, &Li);
  }
  cg_loop_end(cg, &Lr);
  return INGOT_OK;
}

/* ---- the GEMM core shared by QLinear and QConv ------------------------------------------ */

/* Per-item state: rows, accumulators. */
typedef struct {
  LLVMValueRef p, r0;          /* panel, first row */
  LLVMValueRef col0;           /* output channel of the item's first lane */
  LLVMValueRef row[16];        /* clamped row index per r */
  LLVMValueRef acc[16][8];     /* allocas of <L x float|i32> */
  LLVMValueRef wpanel;         /* i8*: this panel's weights */
} item_t;

/* The activation for row r at reduction index kk (QLinear: A[row][kk];
 * QConv: the gathered image element) as float or i32. */
typedef LLVMValueRef (*act_fn)(qg_t *q, item_t *it, int r, LLVMValueRef kk, void *user);

static void zero_acc(qg_t *q, item_t *it) {
  cg_t *cg = q->cg;
  LLVMTypeRef at = q->int_a ? q->vi : q->vf;
  for (int r = 0; r < q->MR; r++)
    for (int v = 0; v < q->V; v++) {
      it->acc[r][v] = cg_alloca(cg, at, "acc");
      LLVMBuildStore(cg->b, LLVMConstNull(at), it->acc[r][v]);
    }
}

/* One reduction step k over a [K][32] panel (layouts int8 / e4m3fn / e5m2). */
static void step_k(qg_t *q, item_t *it, LLVMValueRef kk, act_fn act, void *user) {
  cg_t *cg = q->cg;
  LLVMValueRef wv[8];
  LLVMValueRef base = LLVMBuildNSWMul(cg->b, kk, i64c(cg, INGOT_QPANEL), "");
  for (int v = 0; v < q->V; v++) {
    if (q->buffered) {
      LLVMValueRef bi = LLVMBuildNSWAdd(cg->b, LLVMBuildNSWMul(cg->b, kk, i64c(cg, q->V * q->L), ""), i64c(cg, v * q->L), "");
      wv[v] = vload(cg, q->vf, cg->t_f32, q->wbuf, bi);
      continue;
    }
    LLVMValueRef codes = vload(cg, q->vi8, cg->t_i8, it->wpanel, LLVMBuildNSWAdd(cg->b, base, i64c(cg, v * q->L), ""));
    if (q->int_a) wv[v] = LLVMBuildSExt(cg->b, codes, q->vi, "");
    else if (q->w == INGOT_QW_INT8) wv[v] = LLVMBuildSIToFP(cg->b, codes, q->vf, "");
    else wv[v] = fp8_decode_vec(cg, codes, q->L, q->w == INGOT_QW_E5M2);
  }
  for (int r = 0; r < q->MR; r++) {
    LLVMValueRef a = splat(cg, act(q, it, r, kk, user), q->L);
    for (int v = 0; v < q->V; v++) {
      LLVMTypeRef at = q->int_a ? q->vi : q->vf;
      LLVMValueRef cur = LLVMBuildLoad2(cg->b, at, it->acc[r][v], "");
      LLVMValueRef nv;
      if (q->int_a) {
        nv = LLVMBuildAdd(cg->b, cur, LLVMBuildNSWMul(cg->b, a, wv[v], ""), "");
      } else {
        LLVMValueRef args[3] = {a, wv[v], cur};
        nv = cg_intrinsic(cg, "llvm.fmuladd", q->vf, args, 3);
      }
      LLVMBuildStore(cg->b, nv, it->acc[r][v]);
    }
  }
}

/* One group of 4 k over an int8x4 panel (w8a8 QLinear). */
static void step_k4(qg_t *q, item_t *it, LLVMValueRef g, LLVMValueRef *arow) {
  cg_t *cg = q->cg;
  LLVMValueRef base = LLVMBuildNSWMul(cg->b, g, i64c(cg, 4 * INGOT_QPANEL), "");
  LLVMValueRef off4 = LLVMBuildNSWMul(cg->b, g, i64c(cg, 4), "");
  if (q->vnni) {
    LLVMValueRef wv[8];
    for (int v = 0; v < q->V; v++)
      wv[v] = vload(cg, q->vi, cg->t_i8, it->wpanel, LLVMBuildNSWAdd(cg->b, base, i64c(cg, v * q->L * 4), ""));
    LLVMTypeRef vi = q->vi;
    LLVMTypeRef params[3] = {vi, vi, vi};
    LLVMTypeRef fty = LLVMFunctionType(vi, params, 3, 0);
    LLVMValueRef fn = LLVMGetNamedFunction(cg->mod, "llvm.x86.avx512.vpdpbusd.512");
    if (!fn) fn = LLVMAddFunction(cg->mod, "llvm.x86.avx512.vpdpbusd.512", fty);
    for (int r = 0; r < q->MR; r++) {
      LLVMValueRef a4 = LLVMBuildLoad2(cg->b, cg->t_i32,
                                       LLVMBuildBitCast(cg->b, gep(cg, cg->t_i8, arow[r], off4),
                                                        LLVMPointerType(cg->t_i32, 0), ""),
                                       "");
      LLVMSetAlignment(a4, 1);
      LLVMValueRef au = splat(cg, LLVMBuildXor(cg->b, a4, i32c(cg, (int64_t)0x80808080u), ""), q->L);
      for (int v = 0; v < q->V; v++) {
        LLVMValueRef cur = LLVMBuildLoad2(cg->b, vi, it->acc[r][v], "");
        LLVMValueRef args[3] = {cur, au, wv[v]};
        LLVMBuildStore(cg->b, LLVMBuildCall2(cg->b, fty, fn, args, 3, ""), it->acc[r][v]);
      }
    }
    return;
  }
  /* generic: widen to i32, multiply, add groups of 4 lanes pairwise */
  int L4 = 4 * q->L;
  LLVMTypeRef v4i8 = LLVMVectorType(cg->t_i8, (unsigned)L4), v4i32 = LLVMVectorType(cg->t_i32, (unsigned)L4);
  LLVMValueRef wv[8];
  for (int v = 0; v < q->V; v++)
    wv[v] = LLVMBuildSExt(cg->b, vload(cg, v4i8, cg->t_i8, it->wpanel, LLVMBuildNSWAdd(cg->b, base, i64c(cg, v * L4), "")),
                          v4i32, "");
  for (int r = 0; r < q->MR; r++) {
    LLVMValueRef a4 = LLVMBuildLoad2(
        cg->b, cg->t_i32, LLVMBuildBitCast(cg->b, gep(cg, cg->t_i8, arow[r], off4), LLVMPointerType(cg->t_i32, 0), ""),
        "");
    LLVMSetAlignment(a4, 1);
    LLVMValueRef av = LLVMBuildSExt(cg->b, LLVMBuildBitCast(cg->b, splat(cg, a4, q->L), v4i8, ""), v4i32, "");
    for (int v = 0; v < q->V; v++) {
      LLVMValueRef prod = LLVMBuildNSWMul(cg->b, av, wv[v], "");
      LLVMValueRef s1 = LLVMBuildAdd(cg->b, strided(cg, prod, 2 * q->L, 0, 2), strided(cg, prod, 2 * q->L, 1, 2), "");
      LLVMValueRef s2 = LLVMBuildAdd(cg->b, strided(cg, s1, q->L, 0, 2), strided(cg, s1, q->L, 1, 2), "");
      LLVMValueRef cur = LLVMBuildLoad2(cg->b, q->vi, it->acc[r][v], "");
      LLVMBuildStore(cg->b, LLVMBuildAdd(cg->b, cur, s2, ""), it->acc[r][v]);
    }
  }
}

/* Constants padded to NP*32 lanes, in the weights blob. */
static LLVMValueRef padded_f32(qg_t *q, const float *src, int64_t n, float mul_by, bool mul, const char *what,
                               ingot_status_t *st) {
  cg_t *cg = q->cg;
  int64_t np = q->NP * INGOT_QPANEL;
  float *buf = calloc((size_t)np, sizeof *buf);
  if (!buf) {
    *st = cg_error(cg, q->k, INGOT_CODE_NOMEM, "out of memory (%s)", what);
    return NULL;
  }
  for (int64_t j = 0; j < q->N; j++) {
    float v = src[n == 1 ? 0 : j];
    buf[j] = mul ? mul_by * v : v;
  }
  LLVMValueRef p = cg_weight_ptr(cg, q->k, buf, (size_t)np * sizeof *buf);
  free(buf);
  if (!p) *st = cg_error(cg, q->k, INGOT_CODE_NOMEM, "out of memory (%s)", what);
  return p ? LLVMBuildBitCast(cg->b, p, LLVMPointerType(cg->t_f32, 0), "") : NULL;
}

typedef struct {
  LLVMValueRef cs;    /* float*: per-channel combined scale (padded) */
  LLVMValueRef bias;  /* float* or NULL (padded) */
  LLVMValueRef comp;  /* i32*: VNNI compensation or NULL */
  LLVMValueRef rowscale; /* float* per-row scales (per token) or NULL */
} epi_t;

/* Output vector (row r, vector v) after the K sum, as float. */
static LLVMValueRef epilogue_vec(qg_t *q, item_t *it, const epi_t *e, int r, int v) {
  cg_t *cg = q->cg;
  LLVMValueRef col = LLVMBuildNSWAdd(cg->b, it->col0, i64c(cg, v * q->L), "");
  LLVMValueRef acc = LLVMBuildLoad2(cg->b, q->int_a ? q->vi : q->vf, it->acc[r][v], "");
  LLVMValueRef cs = vload(cg, q->vf, cg->t_f32, e->cs, col);
  LLVMValueRef y;
  if (q->int_a) {
    if (e->comp) acc = LLVMBuildSub(cg->b, acc, vload(cg, q->vi, cg->t_i32, e->comp, col), "");
    if (e->rowscale) {
      LLVMValueRef s = cg_load(cg, INGOT_DT_FLOAT, e->rowscale, it->row[r]);
      cs = LLVMBuildFMul(cg->b, splat(cg, s, q->L), cs, "");
    }
    y = LLVMBuildFMul(cg->b, LLVMBuildSIToFP(cg->b, acc, q->vf, ""), cs, "");
  } else {
    y = LLVMBuildFMul(cg->b, acc, cs, "");
  }
  if (e->bias) y = LLVMBuildFAdd(cg->b, y, vload(cg, q->vf, cg->t_f32, e->bias, col), "");
  return y;
}

/* Register blocking: MR rows x V vectors of accumulators: 8 x 2 zmm (16 of
 * the 32 registers) on AVX-512, 6 x 2 ymm (12 of 16) on AVX2, for float
 * activations (whose weights come dequantized from the stack buffer) and
 * for VNNI alike. */
static void choose_blocking(qg_t *q, int mr_cap) {
  bool wide = q->cg->vector_bits >= 512;
  q->L = wide ? 16 : 8;
  if (q->vnni) {
    q->V = 2;
    q->MR = 8;
  } else if (q->int_a && q->w == INGOT_QW_INT8X4) {
    q->V = 1;
    q->MR = wide ? 2 : 1;
  } else if (q->int_a) {
    q->V = 1;
    q->MR = 8;
  } else {
    q->V = 2;
    q->MR = wide ? 8 : 6;
  }
  if (q->MR > mr_cap) q->MR = mr_cap;
  if (q->MR > q->M) q->MR = (int)q->M;
  if (q->MR < 1) q->MR = 1;
  q->S = INGOT_QPANEL / (q->V * q->L);
  q->NRB = (q->M + q->MR - 1) / q->MR;
  q->vf = LLVMVectorType(q->cg->t_f32, (unsigned)q->L);
  q->vi = LLVMVectorType(q->cg->t_i32, (unsigned)q->L);
  q->vi8 = LLVMVectorType(q->cg->t_i8, (unsigned)q->L);
}

/* Shared setup: weights format, scales, bias, compensation. */
static ingot_status_t setup(qg_t *q, epi_t *e, float act_scale) {
  cg_t *cg = q->cg;
  cg_kernel_t *k = q->k;
  ingot_status_t st = INGOT_OK;
  int wdt = q->w == INGOT_QW_INT8 || q->w == INGOT_QW_INT8X4 ? INGOT_DT_INT8 : INGOT_DT_UINT8;
  INGOT_RETURN_IF_ERROR(need_const(cg, k, 1, wdt, q->NP * q->Kp * INGOT_QPANEL, "the weights"));
  INGOT_RETURN_IF_ERROR(need_const(cg, k, 2, INGOT_DT_FLOAT, -1, "the weight scales"));
  int64_t nws = 0;
  ingot_type_numel(&k->vin[2]->type, &nws);
  if (nws != 1 && nws != q->N) return cg_error(cg, k, INGOT_CODE_INPUT, "the weight scales must have 1 or N elements");
  bool has_b = k->nin > 3 && k->vin[3];
  if (has_b) INGOT_RETURN_IF_ERROR(need_const(cg, k, 3, INGOT_DT_FLOAT, q->N, "the bias"));
  memset(e, 0, sizeof *e);
  /* per tensor: cs[j] = act_scale * ws[j] in float32, as the evaluator */
  bool mul = q->int_a && !(k->nin > 4 && k->vin[4]);
  e->cs = padded_f32(q, k->vin[2]->data, nws, act_scale, mul, "scales", &st);
  if (st) return st;
  if (has_b) {
    e->bias = padded_f32(q, k->vin[3]->data, q->N, 1, false, "bias", &st);
    if (st) return st;
  }
  if (q->int_a && q->vnni) {
    int64_t np = q->NP * INGOT_QPANEL;
    int32_t *comp = calloc((size_t)np, sizeof *comp);
    if (!comp) return cg_error(cg, k, INGOT_CODE_NOMEM, "out of memory");
    const int8_t *w = k->vin[1]->data;
    for (int64_t j = 0; j < q->N; j++) {
      int32_t s = 0;
      for (int64_t kk = 0; kk < q->K; kk++) s += w[ingot_qweights_index(q->w, q->K, kk, j)];
      comp[j] = 128 * s;
    }
    LLVMValueRef p = cg_weight_ptr(cg, k, comp, (size_t)np * sizeof *comp);
    free(comp);
    if (!p) return cg_error(cg, k, INGOT_CODE_NOMEM, "out of memory");
    e->comp = LLVMBuildBitCast(cg->b, p, LLVMPointerType(cg->t_i32, 0), "");
  }
  return INGOT_OK;
}

/* Opens the item loop and the item's state; the caller emits the K loop. */
static void item_begin(qg_t *q, item_t *it, cg_loop_t *Lw) {
  cg_t *cg = q->cg;
  q->buffered = !q->int_a && q->K * q->V * q->L * 4 <= 256 * 1024;
  if (q->buffered) {
    q->wbuf = cg_alloca(cg, LLVMArrayType(cg->t_f32, (unsigned)(q->K * q->V * q->L)), "wbuf");
    LLVMSetAlignment(q->wbuf, 64);
    q->wbuf = LLVMBuildBitCast(cg->b, q->wbuf, LLVMPointerType(cg->t_f32, 0), "");
    q->cur_sp = cg_alloca(cg, cg->t_i64, "cur_sp");
    LLVMBuildStore(cg->b, i64c(cg, -1), q->cur_sp);
  }
  LLVMValueRef w = cg_loop_begin(cg, Lw, q->k->begin, q->k->end, "item");
  LLVMValueRef sp = LLVMBuildUDiv(cg->b, w, i64c(cg, q->NRB), "");
  LLVMValueRef rb = LLVMBuildURem(cg->b, w, i64c(cg, q->NRB), "");
  it->p = LLVMBuildUDiv(cg->b, sp, i64c(cg, q->S), "");
  LLVMValueRef c0 = LLVMBuildNSWMul(cg->b, LLVMBuildURem(cg->b, sp, i64c(cg, q->S), ""), i64c(cg, q->V * q->L), "");
  it->col0 = LLVMBuildNSWAdd(cg->b, LLVMBuildNSWMul(cg->b, it->p, i64c(cg, INGOT_QPANEL), ""), c0, "");
  it->r0 = LLVMBuildNSWMul(cg->b, rb, i64c(cg, q->MR), "");
  for (int r = 0; r < q->MR; r++)
    it->row[r] = imin(cg, LLVMBuildNSWAdd(cg->b, it->r0, i64c(cg, r), ""), i64c(cg, q->M - 1));
  LLVMValueRef woff = LLVMBuildNSWMul(cg->b, it->p, i64c(cg, q->Kp * INGOT_QPANEL), "");
  woff = LLVMBuildNSWAdd(cg->b, woff, q->w == INGOT_QW_INT8X4 ? LLVMBuildNSWMul(cg->b, c0, i64c(cg, 4), "") : c0, "");
  it->wpanel = gep(cg, cg->t_i8, q->k->in[1], woff);
  if (q->buffered) { /* consecutive items share the sub-panel: dequantize once per thread and sub-panel */
    cg_if_t fresh;
    cg_if_begin(cg, &fresh, LLVMBuildICmp(cg->b, LLVMIntNE, LLVMBuildLoad2(cg->b, cg->t_i64, q->cur_sp, ""), sp, ""));
    cg_loop_t Lk;
    LLVMValueRef kk = cg_loop_begin(cg, &Lk, i64c(cg, 0), i64c(cg, q->K), "deq");
    for (int v = 0; v < q->V; v++) {
      LLVMValueRef codes = vload(cg, q->vi8, cg->t_i8, it->wpanel,
                                 LLVMBuildNSWAdd(cg->b, LLVMBuildNSWMul(cg->b, kk, i64c(cg, INGOT_QPANEL), ""),
                                                 i64c(cg, v * q->L), ""));
      LLVMValueRef wv = q->w == INGOT_QW_INT8 ? LLVMBuildSIToFP(cg->b, codes, q->vf, "")
                                              : fp8_decode_vec(cg, codes, q->L, q->w == INGOT_QW_E5M2);
      vstore(cg, wv, cg->t_f32, q->wbuf,
             LLVMBuildNSWAdd(cg->b, LLVMBuildNSWMul(cg->b, kk, i64c(cg, q->V * q->L), ""), i64c(cg, v * q->L), ""));
    }
    cg_loop_end(cg, &Lk);
    LLVMBuildStore(cg->b, sp, q->cur_sp);
    cg_if_end(cg, &fresh);
  }
  zero_acc(q, it);
}

/* ---- IngotQLinear ------------------------------------------------------------------------ */

typedef struct {
  LLVMValueRef arow[16];
} lin_t;

static LLVMValueRef lin_act(qg_t *q, item_t *it, int r, LLVMValueRef kk, void *user) {
  lin_t *l = user;
  (void)it;
  return q->int_a ? LLVMBuildSExt(q->cg->b, cg_load(q->cg, INGOT_DT_INT8, l->arow[r], kk), q->cg->t_i32, "")
                  : cg_load(q->cg, INGOT_DT_FLOAT, l->arow[r], kk);
}

ingot_status_t cg_emit_qlinear(cg_t *cg, cg_kernel_t *k) {
  qg_t q;
  memset(&q, 0, sizeof q);
  q.cg = cg;
  q.k = k;
  const ingot_value_t *va = k->vin[0], *vy = k->vout[0];
  if (k->nin < 3 || !va || !vy) return cg_error(cg, k, INGOT_CODE_INPUT, "IngotQLinear expects A, W, Ws");
  q.w = ingot_qweights_parse(ingot_node_attr_s(k->n, "weights", ""));
  q.K = ingot_node_attr_i(k->n, "k", 0);
  q.N = ingot_node_attr_i(k->n, "n", 0);
  if (q.w < 0 || q.K < 1 || q.N < 1 || q.K > (1 << 17))
    return cg_error(cg, k, INGOT_CODE_INPUT, "invalid weights/k/n attributes");
  q.Kp = ingot_qweights_kpad(q.w, q.K);
  q.NP = (q.N + INGOT_QPANEL - 1) / INGOT_QPANEL;
  q.int_a = va->type.dtype == INGOT_DT_INT8;
  if (!q.int_a && va->type.dtype != INGOT_DT_FLOAT)
    return cg_error(cg, k, INGOT_CODE_INPUT, "A must be float32 or int8");
  bool int_w = q.w == INGOT_QW_INT8 || q.w == INGOT_QW_INT8X4;
  if ((q.int_a && !int_w) || (!q.int_a && q.w == INGOT_QW_INT8X4))
    return cg_error(cg, k, INGOT_CODE_UNSUPPORTED, "%s activations with %s weights are not compiled",
                    q.int_a ? "int8" : "float32", ingot_qweights_name(q.w));
  q.ka = q.int_a ? q.Kp : q.K;
  int64_t na = 0;
  if (va->type.rank < 1 || va->type.dims[va->type.rank - 1].v != q.ka || !ingot_type_numel(&va->type, &na))
    return cg_error(cg, k, INGOT_CODE_INPUT, "A's last dim must be %lld", (long long)q.ka);
  q.M = na / q.ka;
  float act_scale = ingot_node_attr_f(k->n, "act_scale", 0.0f);
  bool per_token = k->nin > 4 && k->vin[4];
  if (q.int_a && !per_token && !(act_scale > 0))
    return cg_error(cg, k, INGOT_CODE_INPUT, "int8 A needs act_scale or per-row scales");
  q.vnni = q.int_a && q.w == INGOT_QW_INT8X4 && cg->vector_bits >= 512 && target_has(cg, "+avx512vnni");
  choose_blocking(&q, 16);
  k->flops = 2.0 * (double)q.M * (double)q.N * (double)q.K;
  k->bytes = (double)na * (q.int_a ? 1 : 4) + (double)(q.NP * q.Kp * INGOT_QPANEL) + (double)(q.M * q.N) * 4;
  snprintf(k->tiles, sizeof k->tiles, "MR=%d NR=%d%s", q.MR, q.V * q.L,
           q.vnni ? " vnni" : q.int_a ? " int8" : q.w == INGOT_QW_INT8 ? " w8" : " fp8");
  if (q.M == 0) return INGOT_OK;
  epi_t e;
  INGOT_RETURN_IF_ERROR(setup(&q, &e, act_scale));
  if (per_token) e.rowscale = k->in[4];
  k->work = q.NP * q.S * q.NRB;

  item_t it;
  cg_loop_t Lw, Lk;
  item_begin(&q, &it, &Lw);
  lin_t l;
  LLVMTypeRef aet = q.int_a ? cg->t_i8 : cg->t_f32;
  for (int r = 0; r < q.MR; r++) l.arow[r] = gep(cg, aet, k->in[0], LLVMBuildNSWMul(cg->b, it.row[r], i64c(cg, q.ka), ""));
  if (q.w == INGOT_QW_INT8X4) {
    LLVMValueRef g = cg_loop_begin(cg, &Lk, i64c(cg, 0), i64c(cg, q.Kp / 4), "k4");
    step_k4(&q, &it, g, l.arow);
    cg_loop_end(cg, &Lk);
  } else {
    LLVMValueRef kk = cg_loop_begin(cg, &Lk, i64c(cg, 0), i64c(cg, q.K), "k");
    step_k(&q, &it, kk, lin_act, &l);
    cg_loop_end(cg, &Lk);
  }
  /* store: rows below M, channels below N */
  LLVMValueRef Y = k->out[0];
  for (int r = 0; r < q.MR; r++) {
    cg_if_t rin;
    cg_if_begin(cg, &rin, LLVMBuildICmp(cg->b, LLVMIntSLT, LLVMBuildNSWAdd(cg->b, it.r0, i64c(cg, r), ""), i64c(cg, q.M), ""));
    LLVMValueRef yrow = LLVMBuildNSWMul(cg->b, it.row[r], i64c(cg, q.N), "");
    for (int v = 0; v < q.V; v++) {
      LLVMValueRef y = epilogue_vec(&q, &it, &e, r, v);
      LLVMValueRef col = LLVMBuildNSWAdd(cg->b, it.col0, i64c(cg, v * q.L), "");
      LLVMValueRef idx = LLVMBuildNSWAdd(cg->b, yrow, col, "");
      if (q.N % INGOT_QPANEL == 0) {
        vstore(cg, y, cg->t_f32, Y, idx);
        continue;
      }
      cg_if_t full;
      cg_if_begin(cg, &full, LLVMBuildICmp(cg->b, LLVMIntSLE, LLVMBuildNSWAdd(cg->b, col, i64c(cg, q.L), ""), i64c(cg, q.N), ""));
      vstore(cg, y, cg->t_f32, Y, idx);
      cg_if_else(cg, &full);
      cg_loop_t Ll;
      LLVMValueRef cnt = LLVMBuildNSWSub(cg->b, i64c(cg, q.N), col, "");
      LLVMValueRef lane = cg_loop_begin(cg, &Ll, i64c(cg, 0), cnt, "lane");
      cg_store(cg, INGOT_DT_FLOAT, Y, LLVMBuildNSWAdd(cg->b, idx, lane, ""), LLVMBuildExtractElement(cg->b, y, lane, ""));
      cg_loop_end(cg, &Ll);
      cg_if_end(cg, &full);
    }
    cg_if_end(cg, &rin);
  }
  cg_loop_end(cg, &Lw);
  return INGOT_OK;
}

/* ---- IngotQConv --------------------------------------------------------------------------- */

typedef struct {
  int64_t C, H, W, KH, KW, OH, OW, sh, sw, ph, pw, dh, dw;
  LLVMValueRef xbase[16], ih0[16], iw0[16];
  LLVMValueRef c, kh, kw; /* current reduction coordinates */
} conv_t;

static LLVMValueRef conv_act(qg_t *q, item_t *it, int r, LLVMValueRef kk, void *user) {
  cg_t *cg = q->cg;
  conv_t *cv = user;
  (void)it;
  (void)kk;
  LLVMValueRef ih = LLVMBuildNSWAdd(cg->b, cv->ih0[r], LLVMBuildNSWMul(cg->b, cv->kh, i64c(cg, cv->dh), ""), "");
  LLVMValueRef iw = LLVMBuildNSWAdd(cg->b, cv->iw0[r], LLVMBuildNSWMul(cg->b, cv->kw, i64c(cg, cv->dw), ""), "");
  LLVMValueRef ok = LLVMBuildAnd(cg->b, LLVMBuildICmp(cg->b, LLVMIntULT, ih, i64c(cg, cv->H), ""),
                                 LLVMBuildICmp(cg->b, LLVMIntULT, iw, i64c(cg, cv->W), ""), "");
  LLVMValueRef zero = i64c(cg, 0);
  ih = LLVMBuildSelect(cg->b, ok, ih, zero, "");
  iw = LLVMBuildSelect(cg->b, ok, iw, zero, "");
  LLVMValueRef idx = LLVMBuildNSWAdd(
      cg->b, LLVMBuildNSWMul(cg->b, cv->c, i64c(cg, cv->H * cv->W), ""),
      LLVMBuildNSWAdd(cg->b, LLVMBuildNSWMul(cg->b, ih, i64c(cg, cv->W), ""), iw, ""), "");
  if (q->int_a) {
    LLVMValueRef x = LLVMBuildSExt(cg->b, cg_load(cg, INGOT_DT_INT8, cv->xbase[r], idx), cg->t_i32, "");
    return LLVMBuildSelect(cg->b, ok, x, i32c(cg, 0), "");
  }
  LLVMValueRef x = cg_load(cg, INGOT_DT_FLOAT, cv->xbase[r], idx);
  return LLVMBuildSelect(cg->b, ok, x, cg_f32(cg, 0), "");
}

static ingot_status_t conv_ints(cg_t *cg, cg_kernel_t *k, const char *name, int n, int64_t *out) {
  const int64_t *v;
  if (ingot_node_attr_ints(k->n, name, &v) != n) return cg_error(cg, k, INGOT_CODE_INPUT, "%s must have %d values", name, n);
  for (int i = 0; i < n; i++) {
    if (v[i] < 0 || v[i] > (1 << 20)) return cg_error(cg, k, INGOT_CODE_INPUT, "%s is out of range", name);
    out[i] = v[i];
  }
  return INGOT_OK;
}

ingot_status_t cg_emit_qconv(cg_t *cg, cg_kernel_t *k) {
  qg_t q;
  memset(&q, 0, sizeof q);
  q.cg = cg;
  q.k = k;
  const ingot_value_t *vx = k->vin[0], *vy = k->vout[0];
  if (k->nin < 3 || !vx || !vy || vx->type.rank != 4 || vy->type.rank != 4)
    return cg_error(cg, k, INGOT_CODE_INPUT, "IngotQConv expects X [N,C,H,W], W, Ws");
  if (ingot_node_attr_i(k->n, "group", 1) != 1) return cg_error(cg, k, INGOT_CODE_UNSUPPORTED, "group must be 1");
  conv_t cv;
  memset(&cv, 0, sizeof cv);
  int64_t ks[2] = {0}, pads[4] = {0}, strides[2] = {0}, dil[2] = {0};
  INGOT_RETURN_IF_ERROR(conv_ints(cg, k, "kernel_shape", 2, ks));
  INGOT_RETURN_IF_ERROR(conv_ints(cg, k, "pads", 4, pads));
  INGOT_RETURN_IF_ERROR(conv_ints(cg, k, "strides", 2, strides));
  INGOT_RETURN_IF_ERROR(conv_ints(cg, k, "dilations", 2, dil));
  int64_t B = vx->type.dims[0].v;
  cv.C = vx->type.dims[1].v;
  cv.H = vx->type.dims[2].v;
  cv.W = vx->type.dims[3].v;
  cv.KH = ks[0];
  cv.KW = ks[1];
  cv.ph = pads[0];
  cv.pw = pads[1];
  cv.sh = strides[0];
  cv.sw = strides[1];
  cv.dh = dil[0];
  cv.dw = dil[1];
  cv.OH = vy->type.dims[2].v;
  cv.OW = vy->type.dims[3].v;
  q.w = ingot_qweights_parse(ingot_node_attr_s(k->n, "weights", ""));
  q.N = ingot_node_attr_i(k->n, "n", 0);
  q.K = cv.C * cv.KH * cv.KW;
  if (q.w < 0 || q.w == INGOT_QW_INT8X4 || q.N < 1 || q.K < 1 || q.K > (1 << 17) || vy->type.dims[1].v != q.N ||
      cv.sh < 1 || cv.sw < 1 || cv.dh < 1 || cv.dw < 1)
    return cg_error(cg, k, INGOT_CODE_INPUT, "invalid IngotQConv attributes");
  q.Kp = q.K;
  q.NP = (q.N + INGOT_QPANEL - 1) / INGOT_QPANEL;
  q.int_a = vx->type.dtype == INGOT_DT_INT8;
  if (!q.int_a && vx->type.dtype != INGOT_DT_FLOAT) return cg_error(cg, k, INGOT_CODE_INPUT, "X must be float32 or int8");
  if (q.int_a && q.w != INGOT_QW_INT8) return cg_error(cg, k, INGOT_CODE_UNSUPPORTED, "int8 X needs int8 weights");
  float act_scale = ingot_node_attr_f(k->n, "act_scale", 0.0f);
  if (q.int_a && !(act_scale > 0)) return cg_error(cg, k, INGOT_CODE_INPUT, "int8 X needs act_scale");
  int64_t OHW = cv.OH * cv.OW;
  q.M = B * OHW;
  choose_blocking(&q, 6);
  k->flops = 2.0 * (double)q.M * (double)q.N * (double)q.K;
  k->bytes = (double)(B * cv.C * cv.H * cv.W) * (q.int_a ? 1 : 4) + (double)(q.NP * q.K * INGOT_QPANEL) +
             (double)(q.M * q.N) * 4;
  snprintf(k->tiles, sizeof k->tiles, "MR=%d NR=%d conv", q.MR, q.V * q.L);
  if (q.M == 0) return INGOT_OK;
  epi_t e;
  INGOT_RETURN_IF_ERROR(setup(&q, &e, act_scale));
  k->work = q.NP * q.S * q.NRB;

  item_t it;
  cg_loop_t Lw, Lc, Lh, Lx;
  item_begin(&q, &it, &Lw);
  LLVMTypeRef xet = q.int_a ? cg->t_i8 : cg->t_f32;
  LLVMValueRef nimg[16], pos[16];
  for (int r = 0; r < q.MR; r++) {
    nimg[r] = LLVMBuildUDiv(cg->b, it.row[r], i64c(cg, OHW), "");
    pos[r] = LLVMBuildURem(cg->b, it.row[r], i64c(cg, OHW), "");
    LLVMValueRef oh = LLVMBuildUDiv(cg->b, pos[r], i64c(cg, cv.OW), ""), ow = LLVMBuildURem(cg->b, pos[r], i64c(cg, cv.OW), "");
    cv.ih0[r] = LLVMBuildNSWSub(cg->b, LLVMBuildNSWMul(cg->b, oh, i64c(cg, cv.sh), ""), i64c(cg, cv.ph), "");
    cv.iw0[r] = LLVMBuildNSWSub(cg->b, LLVMBuildNSWMul(cg->b, ow, i64c(cg, cv.sw), ""), i64c(cg, cv.pw), "");
    cv.xbase[r] = gep(cg, xet, k->in[0], LLVMBuildNSWMul(cg->b, nimg[r], i64c(cg, cv.C * cv.H * cv.W), ""));
  }
  cv.c = cg_loop_begin(cg, &Lc, i64c(cg, 0), i64c(cg, cv.C), "c");
  cv.kh = cg_loop_begin(cg, &Lh, i64c(cg, 0), i64c(cg, cv.KH), "kh");
  cv.kw = cg_loop_begin(cg, &Lx, i64c(cg, 0), i64c(cg, cv.KW), "kw");
  LLVMValueRef kk = LLVMBuildNSWAdd(
      cg->b, LLVMBuildNSWMul(cg->b, LLVMBuildNSWAdd(cg->b, LLVMBuildNSWMul(cg->b, cv.c, i64c(cg, cv.KH), ""), cv.kh, ""), i64c(cg, cv.KW), ""),
      cv.kw, "");
  step_k(&q, &it, kk, conv_act, &cv);
  cg_loop_end(cg, &Lx);
  cg_loop_end(cg, &Lh);
  cg_loop_end(cg, &Lc);
  LLVMValueRef Y = k->out[0];
  for (int r = 0; r < q.MR; r++) {
    cg_if_t rin;
    cg_if_begin(cg, &rin, LLVMBuildICmp(cg->b, LLVMIntSLT, LLVMBuildNSWAdd(cg->b, it.r0, i64c(cg, r), ""), i64c(cg, q.M), ""));
    LLVMValueRef ybase = LLVMBuildNSWAdd(cg->b, LLVMBuildNSWMul(cg->b, nimg[r], i64c(cg, q.N * OHW), ""), pos[r], "");
    for (int v = 0; v < q.V; v++) {
      LLVMValueRef y = epilogue_vec(&q, &it, &e, r, v);
      LLVMValueRef col = LLVMBuildNSWAdd(cg->b, it.col0, i64c(cg, v * q.L), "");
      LLVMValueRef cnt = imin(cg, i64c(cg, q.L), LLVMBuildNSWSub(cg->b, i64c(cg, q.N), col, ""));
      cg_loop_t Ll;
      LLVMValueRef lane = cg_loop_begin(cg, &Ll, i64c(cg, 0), cnt, "lane");
      LLVMValueRef ch = LLVMBuildNSWAdd(cg->b, col, lane, "");
      cg_store(cg, INGOT_DT_FLOAT, Y, LLVMBuildNSWAdd(cg->b, ybase, LLVMBuildNSWMul(cg->b, ch, i64c(cg, OHW), ""), ""),
               LLVMBuildExtractElement(cg->b, y, lane, ""));
      cg_loop_end(cg, &Ll);
    }
    cg_if_end(cg, &rin);
  }
  cg_loop_end(cg, &Lw);
  return INGOT_OK;
}
