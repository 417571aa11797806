/* Fused epilogues: the elementwise DAG of passes/fusion.h, applied to output
 * elements at store time.
 *
 * Three ways in:
 *   cg_store_out / cg_epilogue (cg.h)   one element at a flat index: the
 *       extra inputs' offsets come from the index (one urem/udiv pair per
 *       output dim an input does not broadcast over, after merging the dims
 *       it walks contiguously -- a bias over the last axis is idx % C);
 *   cg_store_out_run (cg_fused_impl.h)  a run of consecutive elements
 *       starting at a multiple of its length (a conv row, a normalised
 *       block, an attention row): the offsets are split into a part per run
 *       and running sums inside a loop nest, and inputs that do not change
 *       inside a loop (adaLN's [B,1,C] shift inside a token's row, a
 *       per-channel scale inside a conv row) are loaded before it;
 *   cg_epilogue_emit_all                the kernel of an anchor-less fusion:
 *       the same loop nest over the whole output, its outer dims parallel.
 *
 * Numerics: every op goes through cg_scalar_f32, in f32: the elementwise
 * emitter's scalar code, except Tanh and Sigmoid (and tanh-Gelu), computed
 * with inline polynomials within 2 ulp of libm's so that epilogue loops
 * vectorise -- torch's GELU decomposition spent 18 ns per element in tanhf.
 *
 * Emitted epilogue code carries a marker (a call to llvm.donothing tagged
 * !ingot.epilogue) so that cg_emit_fused can tell whether an anchor's
 * emitter really stored through here; it removes the markers afterwards. */
#include <math.h>
#include <string.h>

#include "codegen/cg_fused_impl.h"
#include "codegen/cg_reduce_impl.h"
#include "passes/fusion.h"

#define EPI_CHUNK 4096    /* elements per parallel item of a flat anchor-less kernel */
#define EPI_MIN_ITEMS 256 /* outer dims join the parallel range until this many items */

static LLVMValueRef fconst(cg_t *cg, double v) { return LLVMConstReal(cg->t_f32, v); }

/* ---- the ops ------------------------------------------------------------------------ */

/* A float constant shaped like x (f32 or a vector of f32). */
static LLVMValueRef kf(cg_t *cg, LLVMValueRef like, double v) {
  LLVMTypeRef t = LLVMTypeOf(like);
  if (LLVMGetTypeKind(t) != LLVMVectorTypeKind) return fconst(cg, v);
  unsigned n = LLVMGetVectorSize(t);
  LLVMValueRef e[64];
  for (unsigned i = 0; i < n && i < 64; i++) e[i] = fconst(cg, v);
  return LLVMConstVector(e, n);
}

static LLVMValueRef ki32(cg_t *cg, LLVMValueRef like, int32_t v) {
  LLVMTypeRef t = LLVMTypeOf(like);
  LLVMValueRef c = LLVMConstInt(cg->t_i32, (unsigned long long)(uint32_t)v, 0);
  if (LLVMGetTypeKind(t) != LLVMVectorTypeKind) return c;
  unsigned n = LLVMGetVectorSize(t);
  LLVMValueRef e[64];
  for (unsigned i = 0; i < n && i < 64; i++) e[i] = c;
  return LLVMConstVector(e, n);
}

static LLVMValueRef fma3(cg_t *cg, LLVMValueRef a, LLVMValueRef b, LLVMValueRef c) {
  LLVMValueRef args[3] = {a, b, c};
  return cg_intrinsic(cg, "llvm.fmuladd", LLVMTypeOf(a), args, 3);
}

/* e^x for x <= 88 (0 below -87): Cephes expf -- Cody-Waite reduction by
 * ln 2 and a degree-6 polynomial, ~1 ulp -- in plain arithmetic, so loops
 * of it vectorise (libm's expf/tanhf are calls, one element at a time). */
static LLVMValueRef fast_exp(cg_t *cg, LLVMValueRef x) {
  LLVMBuilderRef b = cg->b;
  LLVMTypeRef ft = LLVMTypeOf(x);
  LLVMTypeRef it =
      LLVMGetTypeKind(ft) == LLVMVectorTypeKind ? LLVMVectorType(cg->t_i32, LLVMGetVectorSize(ft)) : cg->t_i32;
  LLVMValueRef lo = kf(cg, x, -87.0), hi = kf(cg, x, 88.0);
  LLVMValueRef under = LLVMBuildFCmp(b, LLVMRealOLT, x, lo, "");
  LLVMValueRef xc = LLVMBuildSelect(b, under, lo, x, "");
  xc = LLVMBuildSelect(b, LLVMBuildFCmp(b, LLVMRealOGT, xc, hi, ""), hi, xc, "");
  LLVMValueRef magic = kf(cg, x, 12582912.0); /* 1.5 * 2^23: rounds to an integer */
  LLVMValueRef kv = fma3(cg, xc, kf(cg, x, 1.44269504088896341), magic);
  LLVMValueRef n = LLVMBuildFSub(b, kv, magic, "");
  LLVMValueRef r = fma3(cg, n, kf(cg, x, -0.693359375), xc);
  r = fma3(cg, n, kf(cg, x, 2.12194440e-4), r);
  static const double c[6] = {1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3,
                              4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1};
  LLVMValueRef p = kf(cg, x, c[0]);
  for (int i = 1; i < 6; i++) p = fma3(cg, p, r, kf(cg, x, c[i]));
  p = fma3(cg, p, LLVMBuildFMul(b, r, r, ""), r);
  p = LLVMBuildFAdd(b, p, kf(cg, x, 1.0), "");
  LLVMValueRef kint = LLVMBuildSub(b, LLVMBuildBitCast(b, kv, it, ""), LLVMBuildBitCast(b, magic, it, ""), "");
  LLVMValueRef two_n = LLVMBuildShl(b, LLVMBuildAdd(b, kint, ki32(cg, kint, 127), ""), ki32(cg, kint, 23), "");
  LLVMValueRef res = LLVMBuildFMul(b, p, LLVMBuildBitCast(b, two_n, ft, ""), "");
  return LLVMBuildSelect(b, under, kf(cg, x, 0.0), res, "");
}

/* 1 / d for d in [1, 2^40] (no zero, infinity or NaN): on full target vectors the hardware
 * reciprocal estimate (AVX-512 vrcp14ps, 2^-14; AVX vrcpps, 1.5 * 2^-12) and one Newton step
 * r (2 - d r), which squares the relative error (below 2^-23 after rounding): a division's
 * throughput is a few times lower and it bounds epilogues such as GELU's and SiLU's.  Else a
 * division. */
static LLVMValueRef recip_bounded(cg_t *cg, LLVMValueRef d) {
  LLVMTypeRef t = LLVMTypeOf(d);
  unsigned n = LLVMGetTypeKind(t) == LLVMVectorTypeKind ? LLVMGetVectorSize(t) : 1;
  /* the estimate: AVX-512's takes a passthrough and a lane mask besides */
  const char *name = n == 16 && cg->vector_bits >= 512 ? "llvm.x86.avx512.rcp14.ps.512"
                     : n == 8 && cg->vector_bits >= 256 ? "llvm.x86.avx.rcp.ps.256"
                                                        : NULL;
  LLVMValueRef e = NULL;
  if (name) {
    unsigned id = LLVMLookupIntrinsicID(name, strlen(name));
    LLVMValueRef args[3] = {d, LLVMGetUndef(t), LLVMConstInt(LLVMInt16TypeInContext(cg->ctx), 0xffff, 0)};
    e = LLVMBuildCall2(cg->b, LLVMIntrinsicGetType(cg->ctx, id, NULL, 0), LLVMGetIntrinsicDeclaration(cg->mod, id, NULL, 0),
                       args, n == 16 ? 3 : 1, "");
  }
  if (!e) return LLVMBuildFDiv(cg->b, kf(cg, d, 1.0), d, "");
  LLVMValueRef err = fma3(cg, LLVMBuildFNeg(cg->b, d, ""), e, kf(cg, d, 1.0)); /* 1 - d e */
  return fma3(cg, e, err, e);                                                   /* e + e (1 - d e) */
}

static LLVMValueRef fabs_(cg_t *cg, LLVMValueRef x) { return cg_intrinsic(cg, "llvm.fabs", LLVMTypeOf(x), &x, 1); }

/* tanh as Cephes tanhf: an odd polynomial below 0.625, 1 - 2 / (e^2|x| + 1)
 * above (|x| clamped to 9, where tanh is 1 in float); ~2 ulp, NaN passes. */
static LLVMValueRef fast_tanh(cg_t *cg, LLVMValueRef x) {
  LLVMBuilderRef b = cg->b;
  LLVMValueRef z = fabs_(cg, x);
  LLVMValueRef zc = LLVMBuildSelect(b, LLVMBuildFCmp(b, LLVMRealOGT, z, kf(cg, x, 9.0), ""), kf(cg, x, 9.0), z, "");
  LLVMValueRef t = fast_exp(cg, LLVMBuildFAdd(b, zc, zc, ""));
  LLVMValueRef r = recip_bounded(cg, LLVMBuildFAdd(b, t, kf(cg, x, 1.0), "")); /* 1 + e^2|x| in [2, e^18] */
  LLVMValueRef q = LLVMBuildFAdd(b, r, r, "");
  LLVMValueRef big = LLVMBuildFSub(b, kf(cg, x, 1.0), q, "");
  big = LLVMBuildSelect(b, LLVMBuildFCmp(b, LLVMRealOLT, x, kf(cg, x, 0.0), ""), LLVMBuildFNeg(b, big, ""), big, "");
  LLVMValueRef s = LLVMBuildFMul(b, x, x, "");
  LLVMValueRef p = kf(cg, x, -5.70498872745e-3);
  p = fma3(cg, p, s, kf(cg, x, 2.06390887954e-2));
  p = fma3(cg, p, s, kf(cg, x, -5.37397155531e-2));
  p = fma3(cg, p, s, kf(cg, x, 1.33314422036e-1));
  p = fma3(cg, p, s, kf(cg, x, -3.33332819422e-1));
  LLVMValueRef small = fma3(cg, LLVMBuildFMul(b, p, s, ""), x, x);
  return LLVMBuildSelect(b, LLVMBuildFCmp(b, LLVMRealOGE, z, kf(cg, x, 0.625), ""), big, small, "");
}

/* 1 / (1 + e^-x), the elementwise emitter's formula (one exp of -|x| for
 * both signs) with the inline exp. */
static LLVMValueRef fast_sigmoid(cg_t *cg, LLVMValueRef x) {
  LLVMBuilderRef b = cg->b;
  LLVMValueRef t = fast_exp(cg, LLVMBuildFNeg(b, fabs_(cg, x), ""));
  LLVMValueRef d = LLVMBuildFAdd(b, kf(cg, x, 1.0), t, "");
  LLVMValueRef pos = LLVMBuildFCmp(b, LLVMRealOGE, x, kf(cg, x, 0.0), "");
  LLVMValueRef r = recip_bounded(cg, d); /* d in [1, 2]; e^-|x| / d = e^-|x| * r */
  return LLVMBuildSelect(b, pos, r, LLVMBuildFMul(b, t, r, ""), "");
}

/* The elementwise emitter's scalar code for every op (exactly the
 * standalone kernels' numerics), except Tanh, Sigmoid and tanh-Gelu, which
 * use the inline polynomials above (within 2 ulp of libm) so that epilogue
 * loops vectorise.  Operands may also be vectors of f32: the IEEE basics
 * and the polynomials work on them directly, the rest lane by lane.  Clip's
 * optional bounds may be absent (NULL), as in the elementwise emitter. */
LLVMValueRef cg_scalar_f32(cg_t *cg, int op, const ingot_node_t *src, LLVMValueRef *a, int n) {
  LLVMBuilderRef b = cg->b;
  if (n < 1 || !a[0]) return NULL;
  LLVMValueRef x = a[0];
  switch (op) {
    case INGOT_OP_TANH: return fast_tanh(cg, x);
    case INGOT_OP_SIGMOID: return fast_sigmoid(cg, x);
    case INGOT_OP_GELU:
      if (src && !strcmp(ingot_node_attr_s(src, "approximate", "none"), "tanh")) {
        /* 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), as the elementwise emitter */
        LLVMValueRef x3 = LLVMBuildFMul(b, LLVMBuildFMul(b, x, x, ""), x, "");
        LLVMValueRef in = LLVMBuildFMul(b, kf(cg, x, 0.79788456080286535588),
                                        LLVMBuildFAdd(b, x, LLVMBuildFMul(b, kf(cg, x, 0.044715), x3, ""), ""), "");
        return LLVMBuildFMul(b, LLVMBuildFMul(b, kf(cg, x, 0.5), x, ""),
                             LLVMBuildFAdd(b, kf(cg, x, 1.0), fast_tanh(cg, in), ""), "");
      }
      break;
    default: break;
  }
  if (LLVMGetTypeKind(LLVMTypeOf(x)) != LLVMVectorTypeKind) return cg_ew_scalar_f32(cg, op, src, a, n);
  LLVMValueRef y = n > 1 ? a[1] : NULL;
  switch (op) {
    case INGOT_OP_ADD: return LLVMBuildFAdd(b, x, y, "");
    case INGOT_OP_SUB: return LLVMBuildFSub(b, x, y, "");
    case INGOT_OP_MUL: return LLVMBuildFMul(b, x, y, "");
    case INGOT_OP_DIV: return LLVMBuildFDiv(b, x, y, "");
    case INGOT_OP_NEG: return LLVMBuildFNeg(b, x, "");
    case INGOT_OP_IDENTITY: return x;
    case INGOT_OP_ABS: return fabs_(cg, x);
    case INGOT_OP_SQRT: return cg_intrinsic(cg, "llvm.sqrt", LLVMTypeOf(x), &x, 1);
    case INGOT_OP_RECIPROCAL: return LLVMBuildFDiv(b, kf(cg, x, 1.0), x, "");
    case INGOT_OP_RELU:
      return LLVMBuildSelect(b, LLVMBuildFCmp(b, LLVMRealOLT, x, kf(cg, x, 0.0), ""), kf(cg, x, 0.0), x, "");
    default: break;
  }
  /* lane by lane */
  unsigned lanes = LLVMGetVectorSize(LLVMTypeOf(x));
  LLVMValueRef out = LLVMGetUndef(LLVMTypeOf(x));
  for (unsigned l = 0; l < lanes; l++) {
    LLVMValueRef li = LLVMConstInt(cg->t_i32, l, 0), sa[3] = {NULL, NULL, NULL};
    for (int j = 0; j < n && j < 3; j++) sa[j] = a[j] ? LLVMBuildExtractElement(b, a[j], li, "") : NULL;
    LLVMValueRef r = cg_ew_scalar_f32(cg, op, src, sa, n);
    if (!r) return NULL;
    out = LLVMBuildInsertElement(b, out, r, li, "");
  }
  return out;
}

/* ---- markers ---------------------------------------------------------------------- */

static unsigned mark_kind(cg_t *cg) { return LLVMGetMDKindIDInContext(cg->ctx, "ingot.epilogue", 14); }

static void mark(cg_t *cg) {
  LLVMTypeRef ft = LLVMFunctionType(cg->t_void, NULL, 0, 0);
  LLVMValueRef fn = LLVMGetNamedFunction(cg->mod, "llvm.donothing");
  if (!fn) fn = LLVMAddFunction(cg->mod, "llvm.donothing", ft);
  LLVMValueRef call = LLVMBuildCall2(cg->b, ft, fn, NULL, 0, "");
  LLVMSetMetadata(call, mark_kind(cg), LLVMMDNodeInContext(cg->ctx, NULL, 0));
}

bool cg_epilogue_take_marks(cg_t *cg) {
  unsigned kind = mark_kind(cg);
  bool found = false;
  for (LLVMBasicBlockRef bb = LLVMGetFirstBasicBlock(cg->fn); bb; bb = LLVMGetNextBasicBlock(bb)) {
    LLVMValueRef i = LLVMGetFirstInstruction(bb);
    while (i) {
      LLVMValueRef next = LLVMGetNextInstruction(i);
      if (LLVMIsACallInst(i) && LLVMGetMetadata(i, kind)) {
        found = true;
        LLVMInstructionEraseFromParent(i);
      }
      i = next;
    }
  }
  return found;
}

/* ---- broadcasting ---------------------------------------------------------------------- */

static const ingot_fusion_t *fusion_of(const cg_kernel_t *k) { return (const ingot_fusion_t *)k->fusion; }

/* The stored tensor's dims (the fused node's output); returns the rank. */
static int out_dims(const cg_kernel_t *k, int64_t *dims) { return cg_dims(k->vout[0], dims); }

/* Element strides of extra input e broadcast against the output dims (0 on
 * broadcast axes and for one-element inputs). */
static void extra_strides(const cg_kernel_t *k, uint32_t e, int r, const int64_t *od, int64_t *st) {
  const ingot_type_t *it = &k->vextra[e]->type;
  int off = r - it->rank;
  int64_t s = 1;
  for (int d = r - 1; d >= 0; d--) {
    int64_t dim = d < off ? 1 : it->dims[d - off].v;
    st[d] = (dim == 1 || od[d] == 1) ? 0 : s;
    s *= dim;
  }
}

/* Output dims [lo, hi) with the extra inputs' strides, size-1 dims dropped
 * and neighbours merged where every input walks them as one dim. */
typedef struct {
  int rank;
  int64_t dims[INGOT_MAX_RANK];
  int64_t st[CG_MAX_IO][INGOT_MAX_RANK];
} space_t;

static void space_build(const cg_kernel_t *k, int lo, int hi, space_t *s) {
  const ingot_fusion_t *f = fusion_of(k);
  uint32_t nx = f ? f->nextra : 0;
  int64_t od[INGOT_MAX_RANK], st[CG_MAX_IO][INGOT_MAX_RANK];
  int r = out_dims(k, od);
  for (uint32_t e = 0; e < nx; e++) extra_strides(k, e, r, od, st[e]);
  memset(s, 0, sizeof *s);
  for (int d = lo; d < hi; d++) {
    if (od[d] == 1) continue;
    int p = s->rank - 1;
    bool merge = p >= 0;
    for (uint32_t e = 0; merge && e < nx; e++)
      if (s->st[e][p] != st[e][d] * od[d]) merge = false;
    if (merge) {
      s->dims[p] *= od[d];
      for (uint32_t e = 0; e < nx; e++) s->st[e][p] = st[e][d];
    } else {
      s->dims[s->rank] = od[d];
      for (uint32_t e = 0; e < nx; e++) s->st[e][s->rank] = st[e][d];
      s->rank++;
    }
  }
}

/* Offset of extra input e for output flat index idx: the output dims merged
 * for this input alone, then one urem/udiv pair per merged dim it needs. */
static LLVMValueRef extra_offset(cg_t *cg, const cg_kernel_t *k, uint32_t e, LLVMValueRef idx) {
  int64_t od[INGOT_MAX_RANK], st[INGOT_MAX_RANK];
  int r = out_dims(k, od);
  extra_strides(k, e, r, od, st);
  int64_t dims[INGOT_MAX_RANK], mst[INGOT_MAX_RANK];
  int m = 0;
  for (int d = 0; d < r; d++) {
    if (od[d] == 1) continue;
    if (m > 0 && mst[m - 1] == st[d] * od[d]) {
      dims[m - 1] *= od[d];
      mst[m - 1] = st[d];
    } else {
      dims[m] = od[d];
      mst[m++] = st[d];
    }
  }
  /* dims before the first non-zero stride need no coordinate */
  int first = 0;
  while (first < m && mst[first] == 0) first++;
  if (first == m) return cg_i64(cg, 0);
  if (first == 0 && m == 1) return idx;
  /* coordinates of dims [first, m): idx modulo their product, then split */
  int64_t span = 1;
  for (int d = first; d < m; d++) span *= dims[d];
  LLVMValueRef low = first == 0 ? idx : LLVMBuildURem(cg->b, idx, cg_i64(cg, span), "");
  LLVMValueRef coords[INGOT_MAX_RANK];
  cg_unflatten(cg, low, m - first, dims + first, coords);
  return cg_dot(cg, m - first, coords, mst + first);
}

/* ---- evaluating the steps ---------------------------------------------------------------- */

/* Extra inputs' values for one element: given, or loaded at off[e]. */
typedef struct {
  LLVMValueRef val[CG_MAX_IO];
  LLVMValueRef off[CG_MAX_IO];
  LLVMValueRef idx; /* flat output index: offsets not given are derived from it */
} operands_t;

static LLVMValueRef extra_value(cg_t *cg, cg_kernel_t *k, operands_t *o, uint32_t e) {
  if (!o->val[e]) {
    LLVMValueRef off = o->off[e] ? o->off[e] : extra_offset(cg, k, e, o->idx);
    o->val[e] = cg_load_f32(cg, k->vextra[e]->type.dtype, k->extra[e], off);
  }
  return o->val[e];
}

static LLVMValueRef eval(cg_t *cg, cg_kernel_t *k, LLVMValueRef acc, operands_t *o) {
  const ingot_fusion_t *f = fusion_of(k);
  if (!f || f->nsteps == 0) return acc;
  mark(cg);
  LLVMValueRef regs[64];
  uint32_t n = f->nsteps < 64 ? f->nsteps : 64;
  for (uint32_t i = 0; i < n; i++) {
    const ingot_fuse_step_t *s = &f->steps[i];
    LLVMValueRef a[3] = {NULL, NULL, NULL};
    for (int j = 0; j < s->nargs && j < 3; j++) {
      const ingot_fuse_operand_t *op = &s->args[j];
      switch (op->kind) {
        case INGOT_FUSE_REG: a[j] = regs[op->index]; break;
        case INGOT_FUSE_CONST: a[j] = fconst(cg, op->value); break;
        case INGOT_FUSE_INPUT: a[j] = extra_value(cg, k, o, (uint32_t)op->index); break;
        default: a[j] = acc; break; /* INGOT_FUSE_ACC */
      }
    }
    regs[i] = cg_scalar_f32(cg, s->op, s->src, a, s->nargs);
    if (!regs[i]) regs[i] = a[0]; /* the fusion pass only admits ops cg_scalar_f32 knows */
  }
  return regs[n - 1];
}

LLVMValueRef cg_epilogue(cg_t *cg, cg_kernel_t *k, LLVMValueRef v, LLVMValueRef idx) {
  operands_t o;
  memset(&o, 0, sizeof o);
  o.idx = idx;
  return eval(cg, k, v, &o);
}

void cg_store_out(cg_t *cg, cg_kernel_t *k, LLVMValueRef idx, LLVMValueRef v) {
  v = cg_epilogue(cg, k, v, idx);
  cg_store_f32(cg, k->vout[0]->type.dtype, k->out[0], idx, v);
}

/* ---- loop nests ------------------------------------------------------------------------------- */

/* Where one element's operands are: the output position and, per extra
 * input, its offset (NULL for one-element inputs, loaded up front). */
typedef struct {
  LLVMValueRef pos;                /* flat position relative to the nest's start */
  LLVMValueRef off[CG_MAX_IO];
  LLVMValueRef val[CG_MAX_IO];     /* loaded already (invariant in the loops below) */
} cursor_t;

typedef struct {
  const space_t *s;
  LLVMValueRef obase;              /* output flat index of the nest's start */
  LLVMValueRef src, soff;          /* source values (NULL: anchor-less) */
  int src_dt;
} nest_t;

static LLVMValueRef iadd(cg_t *cg, LLVMValueRef a, LLVMValueRef b) { return LLVMBuildNSWAdd(cg->b, a, b, ""); }
static LLVMValueRef imul(cg_t *cg, LLVMValueRef a, int64_t c) {
  if (c == 0) return cg_i64(cg, 0);
  if (c == 1) return a;
  return LLVMBuildNSWMul(cg->b, a, cg_i64(cg, c), "");
}

/* Loads the extra inputs whose strides vanish over dims [d, rank): they are
 * constant in the loops below. */
static void load_invariant(cg_t *cg, cg_kernel_t *k, const space_t *s, int d, cursor_t *c) {
  const ingot_fusion_t *f = fusion_of(k);
  for (uint32_t e = 0; e < f->nextra; e++) {
    if (c->val[e]) continue;
    bool inv = true;
    for (int j = d; j < s->rank && inv; j++) inv = s->st[e][j] == 0;
    if (inv) c->val[e] = cg_load_f32(cg, k->vextra[e]->type.dtype, k->extra[e], c->off[e] ? c->off[e] : cg_i64(cg, 0));
  }
}

static void nest_element(cg_t *cg, cg_kernel_t *k, const nest_t *N, cursor_t *c) {
  operands_t o;
  memset(&o, 0, sizeof o);
  for (uint32_t e = 0; e < CG_MAX_IO; e++) {
    o.val[e] = c->val[e];
    o.off[e] = c->off[e] ? c->off[e] : cg_i64(cg, 0);
  }
  LLVMValueRef acc = N->src ? cg_load_f32(cg, N->src_dt, N->src, iadd(cg, N->soff, c->pos)) : NULL;
  LLVMValueRef v = eval(cg, k, acc, &o);
  cg_store_f32(cg, k->vout[0]->type.dtype, k->out[0], iadd(cg, N->obase, c->pos), v);
}

static void nest_emit(cg_t *cg, cg_kernel_t *k, const nest_t *N, int d, cursor_t *c) {
  const space_t *s = N->s;
  load_invariant(cg, k, s, d, c);
  if (d >= s->rank) {
    nest_element(cg, k, N, c);
    return;
  }
  int64_t inner = 1;
  for (int j = d + 1; j < s->rank; j++) inner *= s->dims[j];
  cg_loop_t L;
  LLVMValueRef iv = cg_loop_begin(cg, &L, cg_i64(cg, 0), cg_i64(cg, s->dims[d]), "e");
  cursor_t nc = *c;
  nc.pos = iadd(cg, c->pos, imul(cg, iv, inner));
  const ingot_fusion_t *f = fusion_of(k);
  for (uint32_t e = 0; e < f->nextra; e++)
    if (!c->val[e] && s->st[e][d])
      nc.off[e] = iadd(cg, c->off[e] ? c->off[e] : cg_i64(cg, 0), imul(cg, iv, s->st[e][d]));
  nest_emit(cg, k, N, d + 1, &nc);
  /* the innermost loop must stay a loop: fully unrolled (short constant
   * trips), the vectoriser would take the loop around it, with gathers */
  if (d == s->rank - 1) cg_loop_end_no_unroll(cg, &L);
  else cg_loop_end(cg, &L);
}

/* Offsets of the extra inputs at outer coordinate q over the merged dims of s. */
static void outer_offsets(cg_t *cg, cg_kernel_t *k, const space_t *s, LLVMValueRef q, cursor_t *c) {
  const ingot_fusion_t *f = fusion_of(k);
  if (s->rank == 0) return;
  LLVMValueRef coords[INGOT_MAX_RANK];
  cg_unflatten(cg, q, s->rank, s->dims, coords);
  for (uint32_t e = 0; e < f->nextra; e++) c->off[e] = cg_dot(cg, s->rank, coords, s->st[e]);
}

void cg_store_out_run(cg_t *cg, cg_kernel_t *k, LLVMValueRef base, int64_t len, LLVMValueRef src, int src_dt,
                      LLVMValueRef src_off) {
  const ingot_fusion_t *f = fusion_of(k);
  int odt = k->vout[0]->type.dtype;
  if (len <= 0) return;
  if (!f || f->nsteps == 0) {
    if (src == k->out[0] && src_dt == odt && src_off == base) return;
    cg_loop_t L;
    LLVMValueRef j = cg_loop_begin(cg, &L, cg_i64(cg, 0), cg_i64(cg, len), "st");
    LLVMValueRef v = cg_load(cg, src_dt, src, iadd(cg, src_off, j));
    cg_store(cg, odt, k->out[0], iadd(cg, base, j), cg_convert(cg, v, src_dt, odt));
    cg_loop_end_no_unroll(cg, &L);
    return;
  }
  /* split at the output dim whose suffix product P divides len: the run is
   * len / P consecutive blocks of those trailing dims */
  int64_t od[INGOT_MAX_RANK];
  int r = out_dims(k, od), kk = r;
  int64_t P = 1;
  while (kk > 0 && len % (P * od[kk - 1]) == 0) {
    P *= od[kk - 1];
    kk--;
  }
  int64_t a = len / P;
  space_t in, outer;
  space_build(k, kk, r, &in);
  space_build(k, 0, kk, &outer);
  nest_t N = {&in, base, src, src_off, src_dt};
  LLVMValueRef q0 = P == 1 ? base : LLVMBuildUDiv(cg->b, base, cg_i64(cg, P), "");
  cg_loop_t T;
  LLVMValueRef t = a > 1 ? cg_loop_begin(cg, &T, cg_i64(cg, 0), cg_i64(cg, a), "blk") : cg_i64(cg, 0);
  cursor_t c;
  memset(&c, 0, sizeof c);
  outer_offsets(cg, k, &outer, a > 1 ? iadd(cg, q0, t) : q0, &c);
  c.pos = imul(cg, t, P);
  nest_emit(cg, k, &N, 0, &c);
  if (a > 1) cg_loop_end(cg, &T);
}

ingot_status_t cg_epilogue_emit_all(cg_t *cg, cg_kernel_t *k) {
  const ingot_fusion_t *f = fusion_of(k);
  int64_t od[INGOT_MAX_RANK];
  int r = out_dims(k, od);
  int64_t E = 1;
  for (int d = 0; d < r; d++) E *= od[d];
  double bytes = (double)E * (double)ingot_dtype_size(k->vout[0]->type.dtype);
  for (uint32_t e = 0; e < f->nextra; e++) {
    int64_t n = 1;
    for (int d = 0; d < k->vextra[e]->type.rank; d++) n *= k->vextra[e]->type.dims[d].v;
    bytes += (double)n * (double)ingot_dtype_size(k->vextra[e]->type.dtype);
  }
  k->flops = (double)E * (double)f->nsteps;
  k->bytes = bytes;
  k->work = 1;
  if (E == 0) return INGOT_OK;
  space_t s;
  space_build(k, 0, r, &s);
  nest_t N = {&s, NULL, NULL, NULL, INGOT_DT_FLOAT};
  cursor_t c;
  memset(&c, 0, sizeof c);
  if (s.rank <= 1) {
    /* flat: items are EPI_CHUNK-element blocks */
    k->work = (E + EPI_CHUNK - 1) / EPI_CHUNK;
    LLVMValueRef lo = imul(cg, k->begin, EPI_CHUNK);
    LLVMValueRef hi = imul(cg, k->end, EPI_CHUNK);
    hi = LLVMBuildSelect(cg->b, LLVMBuildICmp(cg->b, LLVMIntSLT, hi, cg_i64(cg, E), ""), hi, cg_i64(cg, E), "");
    load_invariant(cg, k, &s, 0, &c);
    cg_loop_t L;
    LLVMValueRef i = cg_loop_begin(cg, &L, lo, hi, "i");
    N.obase = cg_i64(cg, 0);
    c.pos = i;
    for (uint32_t e = 0; e < f->nextra; e++)
      if (!c.val[e]) c.off[e] = i;
    nest_element(cg, k, &N, &c);
    cg_loop_end_no_unroll(cg, &L);
    return INGOT_OK;
  }
  /* the outer dims are the parallel range, the rest a nest */
  int p = 1;
  int64_t items = s.dims[0];
  while (p < s.rank - 1 && items < EPI_MIN_ITEMS) items *= s.dims[p++];
  k->work = items;
  int64_t inner = 1;
  for (int d = p; d < s.rank; d++) inner *= s.dims[d];
  space_t rest = s;
  rest.rank = s.rank - p;
  memmove(rest.dims, s.dims + p, (size_t)rest.rank * sizeof *rest.dims);
  for (uint32_t e = 0; e < f->nextra; e++) memmove(rest.st[e], s.st[e] + p, (size_t)rest.rank * sizeof *rest.st[e]);
  space_t head = s;
  head.rank = p;
  N.s = &rest;
  cg_loop_t W;
  LLVMValueRef w = cg_loop_begin(cg, &W, k->begin, k->end, "w");
  outer_offsets(cg, k, &head, w, &c);
  N.obase = imul(cg, w, inner);
  c.pos = cg_i64(cg, 0);
  nest_emit(cg, k, &N, 0, &c);
  cg_loop_end(cg, &W);
  return INGOT_OK;
}
