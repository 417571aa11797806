/* Elementwise kernels: every unary, binary, variadic, comparison and logical
 * op, Where, Clip, Cast/CastLike, Identity and inference Dropout.
 *
 * One generic emitter.  At compile time it works out, for each operand, its
 * strides against the output shape under numpy broadcasting (0 on broadcast
 * axes, all 0 for a one-element operand), drops size-1 output dims and
 * merges adjacent dims that every operand walks contiguously (dimension
 * coalescing, as TensorIterator in PyTorch and NumPy's nditer do).  What is
 * left decides the loop:
 *   rank 1   every operand is either the output's shape or a scalar: one
 *            flat loop; the parallel items are blocks of EW_CHUNK elements
 *            so each thread gets long contiguous runs (the vectoriser's
 *            favourite shape);
 *   rank >1  a loop nest with constant bounds; the outer dims (enough of
 *            them for EW_MIN_ITEMS items) are the parallel range, each item
 *            runs the inner nest with per-operand offsets carried as sums.
 * One-element operands are loaded once per kernel call, outside the loops.
 *
 * The per-element expression (ew_expr) is a switch on the op and mirrors
 * the reference evaluator (interp/k_elementwise.c), which is the oracle:
 *   - float math runs in f32 (f64 for double tensors); float16/bfloat16 are
 *     widened on load and rounded once on store;
 *   - integers wrap (two's complement), Div truncates toward zero, Mod
 *     follows `fmod` (0: sign of the divisor, 1: sign of the dividend).  The
 *     evaluator reports division by zero; compiled code must not trap, so a
 *     zero divisor yields 0 (and INT_MIN / -1 wraps like the evaluator);
 *   - comparisons and logical ops produce bool (one byte, 0/1); max/min
 *     propagate NaN (torch.maximum/minimum);
 *   - bfloat16 values travel as their i16 bits (LLVM 14's x86 backend
 *     cannot legalise bfloat arithmetic or conversions), converted here
 *     with integer operations exactly like ingot_f32_to_bf16. */
#include <string.h>

#include "codegen/cg.h"

#define EW_CHUNK 4096     /* elements per parallel item in the flat case */
#define EW_MIN_ITEMS 256  /* outer dims are added to the parallel range until this many items */

/* ---- dtype classes --------------------------------------------------------- */

enum { DOM_FLOAT, DOM_SINT, DOM_UINT, DOM_BOOL, DOM_OTHER };

static int dom_of(int dt) {
  switch (dt) {
    case INGOT_DT_FLOAT:
    case INGOT_DT_DOUBLE:
    case INGOT_DT_FLOAT16:
    case INGOT_DT_BFLOAT16: return DOM_FLOAT;
    case INGOT_DT_INT8:
    case INGOT_DT_INT16:
    case INGOT_DT_INT32:
    case INGOT_DT_INT64: return DOM_SINT;
    case INGOT_DT_UINT8:
    case INGOT_DT_UINT16:
    case INGOT_DT_UINT32:
    case INGOT_DT_UINT64: return DOM_UINT;
    case INGOT_DT_BOOL: return DOM_BOOL;
    default: return DOM_OTHER;
  }
}

/* ---- the state of one kernel ------------------------------------------------- */

typedef struct {
  cg_t *cg;
  cg_kernel_t *k;
  int op;                /* ingot_op_t */
  uint32_t nops;         /* operands: k->in[0..nops), NULL entries omitted */
  int dt[CG_MAX_IO];     /* operand dtypes */
  int odt;               /* output 0 dtype */
  int dom;               /* domain of the data operand (input 0, or 1 for Where) */
  int cdt;               /* float compute dtype: FLOAT, or DOUBLE for double tensors */
  LLVMTypeRef ct;        /* its LLVM type */
  float alpha, beta;     /* LeakyRelu, Elu, HardSigmoid */
  bool gelu_tanh, fmod_; /* Gelu approximate=tanh, Mod fmod=1 */
  int cast_to;           /* Cast/CastLike target dtype */
  double cost;           /* flops per element (estimate) */
  LLVMValueRef pre[CG_MAX_IO]; /* one-element operands, loaded before the loops */
} ew_t;

/* ---- loads, stores and conversions ----------------------------------------- */

static LLVMValueRef ew_load(cg_t *cg, int dt, LLVMValueRef base, LLVMValueRef idx) {
  if (dt != INGOT_DT_BFLOAT16) return cg_load(cg, dt, base, idx);
  LLVMValueRef p = LLVMBuildBitCast(cg->b, base, LLVMPointerType(cg->t_i16, 0), "");
  return LLVMBuildLoad2(cg->b, cg->t_i16, LLVMBuildInBoundsGEP2(cg->b, cg->t_i16, p, &idx, 1, ""), "");
}

static void ew_store(cg_t *cg, int dt, LLVMValueRef base, LLVMValueRef idx, LLVMValueRef v) {
  if (dt != INGOT_DT_BFLOAT16) {
    cg_store(cg, dt, base, idx, v);
    return;
  }
  LLVMValueRef p = LLVMBuildBitCast(cg->b, base, LLVMPointerType(cg->t_i16, 0), "");
  LLVMBuildStore(cg->b, v, LLVMBuildInBoundsGEP2(cg->b, cg->t_i16, p, &idx, 1, ""));
}

/* ---- float helpers (in the compute type) ------------------------------------ */

static LLVMValueRef fk(ew_t *e, double v) { return LLVMConstReal(e->ct, v); }

static LLVMValueRef intr1(ew_t *e, const char *name, LLVMValueRef x) {
  return cg_intrinsic(e->cg, name, e->ct, &x, 1);
}

static LLVMValueRef libm1(ew_t *e, const char *f32name, const char *f64name, LLVMValueRef x) {
  cg_t *cg = e->cg;
  if (e->cdt == INGOT_DT_FLOAT) return cg_libm_f32(cg, f32name, x);
  LLVMTypeRef ft = LLVMFunctionType(cg->t_f64, &cg->t_f64, 1, 0);
  LLVMValueRef f = LLVMGetNamedFunction(cg->mod, f64name);
  if (!f) f = LLVMAddFunction(cg->mod, f64name, ft);
  return LLVMBuildCall2(cg->b, ft, f, &x, 1, "");
}

static LLVMValueRef fcmp(ew_t *e, LLVMRealPredicate p, LLVMValueRef a, LLVMValueRef b) {
  return LLVMBuildFCmp(e->cg->b, p, a, b, "");
}
static LLVMValueRef sel(ew_t *e, LLVMValueRef c, LLVMValueRef a, LLVMValueRef b) {
  return LLVMBuildSelect(e->cg->b, c, a, b, "");
}
static LLVMValueRef fadd(ew_t *e, LLVMValueRef a, LLVMValueRef b) { return LLVMBuildFAdd(e->cg->b, a, b, ""); }
static LLVMValueRef fmul(ew_t *e, LLVMValueRef a, LLVMValueRef b) { return LLVMBuildFMul(e->cg->b, a, b, ""); }
static LLVMValueRef fdiv(ew_t *e, LLVMValueRef a, LLVMValueRef b) { return LLVMBuildFDiv(e->cg->b, a, b, ""); }

/* bool (i1) -> the bool storage type (i8 0/1) */
static LLVMValueRef to_bool(cg_t *cg, LLVMValueRef c) { return LLVMBuildZExt(cg->b, c, cg->t_i8, ""); }

/* max/min propagating NaN, ties keep the second operand (the evaluator's x > y ? x : y) */
static LLVMValueRef fmaxmin(ew_t *e, bool max, LLVMValueRef a, LLVMValueRef b) {
  LLVMValueRef r = sel(e, fcmp(e, max ? LLVMRealOGT : LLVMRealOLT, a, b), a, b);
  return sel(e, fcmp(e, LLVMRealUNO, a, b), fadd(e, a, b), r);
}

/* log(1 + e^x) without overflow: max(x, 0) + log1p(e^-|x|) */
static LLVMValueRef softplus(ew_t *e, LLVMValueRef x) {
  LLVMValueRef m = sel(e, fcmp(e, LLVMRealOGT, x, fk(e, 0)), x, fk(e, 0));
  LLVMValueRef t = intr1(e, "llvm.exp", LLVMBuildFNeg(e->cg->b, intr1(e, "llvm.fabs", x), ""));
  return fadd(e, m, libm1(e, "log1pf", "log1p", t));
}

static LLVMValueRef hard_sigmoid(ew_t *e, LLVMValueRef x, double alpha, double beta) {
  LLVMValueRef v = fadd(e, fmul(e, fk(e, alpha), x), fk(e, beta));
  v = sel(e, fcmp(e, LLVMRealOGT, v, fk(e, 1)), fk(e, 1), v);
  return sel(e, fcmp(e, LLVMRealOLT, v, fk(e, 0)), fk(e, 0), v); /* NaN passes */
}

/* One exp for both signs: t = e^-|x|; x >= 0: 1 / (1 + t), else t / (1 + t). */
static LLVMValueRef sigmoid(ew_t *e, LLVMValueRef x) {
  LLVMValueRef t = intr1(e, "llvm.exp", LLVMBuildFNeg(e->cg->b, intr1(e, "llvm.fabs", x), ""));
  LLVMValueRef d = fadd(e, fk(e, 1), t);
  return sel(e, fcmp(e, LLVMRealOGE, x, fk(e, 0)), fdiv(e, fk(e, 1), d), fdiv(e, t, d));
}

/* erf in f32 without a libm call (so loops of it vectorise): x clamped to
 * [-4, 4] (erf is +-1 in float beyond), then x P(x^2) / Q(x^2) -- the
 * rational approximation Eigen and XLA use; within 4e-7 of erf. NaN passes. */
static LLVMValueRef fast_erf(ew_t *e, LLVMValueRef a) {
  static const double p[7] = {-2.72614225801306e-10, 2.77068142495902e-08, -2.10102402082508e-06,
                              -5.69250639462346e-05, -7.34990630326855e-04, -2.95459980854025e-03,
                              -1.60960333262415e-02};
  static const double q[5] = {-1.45660718464996e-05, -2.13374055278905e-04, -1.68282697438203e-03,
                              -7.37332916720468e-03, -1.42647390514189e-02};
  LLVMValueRef x = sel(e, fcmp(e, LLVMRealOGT, a, fk(e, 4)), fk(e, 4), a);
  x = sel(e, fcmp(e, LLVMRealOLT, x, fk(e, -4)), fk(e, -4), x);
  LLVMValueRef x2 = fmul(e, x, x);
  LLVMValueRef np = fk(e, p[0]), dq = fk(e, q[0]);
  for (int i = 1; i < 7; i++) np = fadd(e, fmul(e, np, x2), fk(e, p[i]));
  for (int i = 1; i < 5; i++) dq = fadd(e, fmul(e, dq, x2), fk(e, q[i]));
  return fdiv(e, fmul(e, x, np), dq);
}

/* Erf, Tanh and Sigmoid in f32: inline polynomials (Tanh and Sigmoid shared
 * with fused epilogues through cg_scalar_f32); f64 keeps libm. */
static LLVMValueRef erf_(ew_t *e, LLVMValueRef x) {
  return e->cdt == INGOT_DT_FLOAT ? fast_erf(e, x) : libm1(e, "erff", "erf", x);
}
static LLVMValueRef tanh_(ew_t *e, LLVMValueRef x) {
  return e->cdt == INGOT_DT_FLOAT ? cg_scalar_f32(e->cg, INGOT_OP_TANH, NULL, &x, 1) : libm1(e, "tanhf", "tanh", x);
}

/* ---- unary ops ------------------------------------------------------------------ */

static LLVMValueRef un_float(ew_t *e, LLVMValueRef x) {
  LLVMBuilderRef b = e->cg->b;
  switch (e->op) {
    case INGOT_OP_NEG: return LLVMBuildFNeg(b, x, "");
    case INGOT_OP_ABS: return intr1(e, "llvm.fabs", x);
    case INGOT_OP_SQRT: return intr1(e, "llvm.sqrt", x);
    case INGOT_OP_RECIPROCAL: return fdiv(e, fk(e, 1), x);
    case INGOT_OP_EXP: return intr1(e, "llvm.exp", x);
    case INGOT_OP_LOG: return intr1(e, "llvm.log", x);
    case INGOT_OP_ERF: return erf_(e, x);
    case INGOT_OP_TANH: return tanh_(e, x);
    case INGOT_OP_SIGMOID:
      return e->cdt == INGOT_DT_FLOAT ? cg_scalar_f32(e->cg, INGOT_OP_SIGMOID, NULL, &x, 1) : sigmoid(e, x);
    case INGOT_OP_RELU: return sel(e, fcmp(e, LLVMRealOLT, x, fk(e, 0)), fk(e, 0), x);
    case INGOT_OP_LEAKY_RELU: return sel(e, fcmp(e, LLVMRealOGE, x, fk(e, 0)), x, fmul(e, fk(e, e->alpha), x));
    case INGOT_OP_ELU:
      return sel(e, fcmp(e, LLVMRealOGE, x, fk(e, 0)), x, fmul(e, fk(e, e->alpha), libm1(e, "expm1f", "expm1", x)));
    case INGOT_OP_SOFTPLUS: return softplus(e, x);
    case INGOT_OP_HARD_SIGMOID: return hard_sigmoid(e, x, e->alpha, e->beta);
    case INGOT_OP_HARD_SWISH: return fmul(e, x, hard_sigmoid(e, x, 1.0 / 6.0, 0.5));
    case INGOT_OP_MISH: return fmul(e, x, tanh_(e, softplus(e, x)));
    case INGOT_OP_GELU:
      if (e->gelu_tanh) {
        /* 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) */
        LLVMValueRef x3 = fmul(e, fmul(e, x, x), x);
        LLVMValueRef in = fmul(e, fk(e, 0.79788456080286535588), fadd(e, x, fmul(e, fk(e, 0.044715), x3)));
        return fmul(e, fmul(e, fk(e, 0.5), x), fadd(e, fk(e, 1), tanh_(e, in)));
      } else {
        LLVMValueRef r = erf_(e, fmul(e, x, fk(e, 0.70710678118654752440)));
        return fmul(e, fmul(e, fk(e, 0.5), x), fadd(e, fk(e, 1), r));
      }
    case INGOT_OP_SIN: return intr1(e, "llvm.sin", x);
    case INGOT_OP_COS: return intr1(e, "llvm.cos", x);
    case INGOT_OP_FLOOR: return intr1(e, "llvm.floor", x);
    case INGOT_OP_CEIL: return intr1(e, "llvm.ceil", x);
    case INGOT_OP_ROUND: return intr1(e, "llvm.roundeven", x); /* half to even */
    case INGOT_OP_SIGN: {
      LLVMValueRef s = sel(e, fcmp(e, LLVMRealOLT, x, fk(e, 0)), fk(e, -1), fk(e, 0));
      s = sel(e, fcmp(e, LLVMRealOGT, x, fk(e, 0)), fk(e, 1), s);
      return sel(e, fcmp(e, LLVMRealUNO, x, x), x, s);
    }
    default: return x;
  }
}

/* NEG/ABS/RELU/SIGN on integers, in the storage width (wrapping). */
static LLVMValueRef un_int(ew_t *e, LLVMValueRef x) {
  LLVMBuilderRef b = e->cg->b;
  LLVMTypeRef t = LLVMTypeOf(x);
  LLVMValueRef zero = LLVMConstNull(t);
  if (e->dom == DOM_UINT) {
    if (e->op == INGOT_OP_SIGN) return LLVMBuildZExt(b, LLVMBuildICmp(b, LLVMIntNE, x, zero, ""), t, "");
    return x; /* Abs, Relu */
  }
  LLVMValueRef neg = LLVMBuildICmp(b, LLVMIntSLT, x, zero, "");
  switch (e->op) {
    case INGOT_OP_NEG: return LLVMBuildSub(b, zero, x, "");
    case INGOT_OP_ABS: return LLVMBuildSelect(b, neg, LLVMBuildSub(b, zero, x, ""), x, "");
    case INGOT_OP_RELU: return LLVMBuildSelect(b, neg, zero, x, "");
    default: { /* SIGN */
      LLVMValueRef s = LLVMBuildSelect(b, neg, LLVMConstAllOnes(t), zero, "");
      return LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntSGT, x, zero, ""), LLVMConstInt(t, 1, 0), s, "");
    }
  }
}

/* ---- binary ops ------------------------------------------------------------------ */

static bool is_cmp(int op) {
  return op == INGOT_OP_EQUAL || op == INGOT_OP_LESS || op == INGOT_OP_LESS_OR_EQUAL || op == INGOT_OP_GREATER ||
         op == INGOT_OP_GREATER_OR_EQUAL;
}
static bool is_logic(int op) { return op == INGOT_OP_AND || op == INGOT_OP_OR || op == INGOT_OP_XOR; }
static bool is_variadic(int op) {
  return op == INGOT_OP_SUM || op == INGOT_OP_MEAN || op == INGOT_OP_MAX || op == INGOT_OP_MIN;
}
static bool is_binary(int op) {
  return op == INGOT_OP_ADD || op == INGOT_OP_SUB || op == INGOT_OP_MUL || op == INGOT_OP_DIV || op == INGOT_OP_POW ||
         op == INGOT_OP_MOD || is_cmp(op) || is_logic(op);
}

static LLVMValueRef cmp_result(ew_t *e, LLVMValueRef x, LLVMValueRef y) {
  cg_t *cg = e->cg;
  if (e->dom == DOM_FLOAT) {
    static const LLVMRealPredicate fp[] = {LLVMRealOEQ, LLVMRealOLT, LLVMRealOLE, LLVMRealOGT, LLVMRealOGE};
    return to_bool(cg, fcmp(e, fp[e->op - INGOT_OP_EQUAL], x, y));
  }
  static const LLVMIntPredicate sp[] = {LLVMIntEQ, LLVMIntSLT, LLVMIntSLE, LLVMIntSGT, LLVMIntSGE};
  static const LLVMIntPredicate up[] = {LLVMIntEQ, LLVMIntULT, LLVMIntULE, LLVMIntUGT, LLVMIntUGE};
  if (e->dom == DOM_BOOL) { /* only Equal: compare truth values */
    x = LLVMBuildICmp(cg->b, LLVMIntNE, x, LLVMConstNull(LLVMTypeOf(x)), "");
    y = LLVMBuildICmp(cg->b, LLVMIntNE, y, LLVMConstNull(LLVMTypeOf(y)), "");
  }
  const LLVMIntPredicate *p = e->dom == DOM_SINT ? sp : up;
  return to_bool(cg, LLVMBuildICmp(cg->b, p[e->op - INGOT_OP_EQUAL], x, y, ""));
}

/* Integer Div/Mod that cannot trap: a zero divisor gives 0 (the evaluator
 * reports an error instead) and x / -1 is a wrapping negation. */
static LLVMValueRef int_divmod(ew_t *e, LLVMValueRef x, LLVMValueRef y) {
  LLVMBuilderRef b = e->cg->b;
  LLVMTypeRef t = LLVMTypeOf(x);
  LLVMValueRef zero = LLVMConstNull(t), one = LLVMConstInt(t, 1, 0);
  LLVMValueRef yz = LLVMBuildICmp(b, LLVMIntEQ, y, zero, "");
  if (e->dom == DOM_UINT) {
    LLVMValueRef safe = LLVMBuildSelect(b, yz, one, y, "");
    LLVMValueRef r = e->op == INGOT_OP_DIV ? LLVMBuildUDiv(b, x, safe, "") : LLVMBuildURem(b, x, safe, "");
    return LLVMBuildSelect(b, yz, zero, r, "");
  }
  LLVMValueRef ym1 = LLVMBuildICmp(b, LLVMIntEQ, y, LLVMConstAllOnes(t), "");
  LLVMValueRef safe = LLVMBuildSelect(b, LLVMBuildOr(b, yz, ym1, ""), one, y, "");
  if (e->op == INGOT_OP_DIV) {
    LLVMValueRef q = LLVMBuildSDiv(b, x, safe, "");
    q = LLVMBuildSelect(b, yz, zero, q, "");
    return LLVMBuildSelect(b, ym1, LLVMBuildSub(b, zero, x, ""), q, "");
  }
  LLVMValueRef r = LLVMBuildSRem(b, x, safe, ""); /* x % 1 == 0 covers y == 0 and y == -1 */
  if (!e->fmod_) { /* Python: the sign of the divisor */
    LLVMValueRef nz = LLVMBuildICmp(b, LLVMIntNE, r, zero, "");
    LLVMValueRef differ = LLVMBuildXor(b, LLVMBuildICmp(b, LLVMIntSLT, r, zero, ""),
                                       LLVMBuildICmp(b, LLVMIntSLT, y, zero, ""), "");
    r = LLVMBuildSelect(b, LLVMBuildAnd(b, nz, differ, ""), LLVMBuildAdd(b, r, y, ""), r, "");
  }
  return r;
}

/* x^n on int64 by squaring, wrapping like repeated multiplication; n < 0
 * gives trunc(1 / x^-n): 1 for x == 1, +-1 for x == -1, else 0. */
static LLVMValueRef int_pow(ew_t *e, LLVMValueRef x, LLVMValueRef n) {
  cg_t *cg = e->cg;
  LLVMBuilderRef b = cg->b;
  LLVMValueRef zero = cg_i64(cg, 0), one = cg_i64(cg, 1), m1 = cg_i64(cg, -1);
  LLVMValueRef nneg = LLVMBuildICmp(b, LLVMIntSLT, n, zero, "");
  LLVMValueRef odd = LLVMBuildICmp(b, LLVMIntNE, LLVMBuildAnd(b, n, one, ""), zero, "");
  LLVMValueRef rneg = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntEQ, x, m1, ""),
                                      LLVMBuildSelect(b, odd, m1, one, ""), zero, "");
  rneg = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntEQ, x, one, ""), one, rneg, "");
  LLVMValueRef npos = LLVMBuildSelect(b, nneg, zero, n, "");
  LLVMValueRef args[2] = {npos, LLVMConstInt(cg->t_i1, 0, 0)};
  LLVMValueRef bits = LLVMBuildSub(b, cg_i64(cg, 64), cg_intrinsic(cg, "llvm.ctlz", cg->t_i64, args, 2), "");
  LLVMValueRef racc = cg_alloca(cg, cg->t_i64, "pow_r"), bacc = cg_alloca(cg, cg->t_i64, "pow_b");
  LLVMBuildStore(b, one, racc);
  LLVMBuildStore(b, x, bacc);
  cg_loop_t L;
  LLVMValueRef i = cg_loop_begin(cg, &L, zero, bits, "pow");
  LLVMValueRef r = LLVMBuildLoad2(b, cg->t_i64, racc, ""), base = LLVMBuildLoad2(b, cg->t_i64, bacc, "");
  LLVMValueRef bit = LLVMBuildICmp(b, LLVMIntNE, LLVMBuildAnd(b, LLVMBuildLShr(b, npos, i, ""), one, ""), zero, "");
  LLVMBuildStore(b, LLVMBuildSelect(b, bit, LLVMBuildMul(b, r, base, ""), r, ""), racc);
  LLVMBuildStore(b, LLVMBuildMul(b, base, base, ""), bacc);
  cg_loop_end(cg, &L);
  LLVMValueRef rpos = LLVMBuildLoad2(b, cg->t_i64, racc, "");
  return LLVMBuildSelect(b, nneg, rneg, rpos, "");
}

static LLVMValueRef pow_expr(ew_t *e, LLVMValueRef xr, LLVMValueRef yr) {
  cg_t *cg = e->cg;
  LLVMBuilderRef b = cg->b;
  int xt = e->dt[0], yt = e->dt[1];
  if (e->dom == DOM_FLOAT) {
    LLVMValueRef a[2] = {cg_convert(cg, xr, xt, e->cdt), cg_convert(cg, yr, yt, e->cdt)};
    return cg_convert(cg, cg_intrinsic(cg, "llvm.pow", e->ct, a, 2), e->cdt, e->odt);
  }
  LLVMTypeRef t = LLVMTypeOf(xr);
  if (dom_of(yt) == DOM_FLOAT) {
    /* pow in double, then truncated toward zero (saturating in int64) and wrapped to the width */
    LLVMValueRef a[2] = {cg_convert(cg, xr, xt, INGOT_DT_DOUBLE), cg_convert(cg, yr, yt, INGOT_DT_DOUBLE)};
    LLVMValueRef p = cg_intrinsic(cg, "llvm.pow", cg->t_f64, a, 2);
    LLVMValueRef i = cg_intrinsic(cg, "llvm.fptosi.sat", cg->t_i64, &p, 1);
    return t == cg->t_i64 ? i : LLVMBuildTrunc(b, i, t, "");
  }
  LLVMValueRef x = cg_convert(cg, xr, xt, INGOT_DT_INT64);
  LLVMValueRef n = cg_convert(cg, yr, yt, INGOT_DT_INT64);
  if (yt == INGOT_DT_UINT64) /* exponents past INT64_MAX clamp (the evaluator's reading) */
    n = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntSLT, n, cg_i64(cg, 0), ""), cg_i64(cg, INT64_MAX), n, "");
  LLVMValueRef r = int_pow(e, x, n);
  return t == cg->t_i64 ? r : LLVMBuildTrunc(b, r, t, "");
}

static LLVMValueRef bin_expr(ew_t *e, LLVMValueRef xr, LLVMValueRef yr) {
  cg_t *cg = e->cg;
  LLVMBuilderRef b = cg->b;
  if (e->op == INGOT_OP_POW) return pow_expr(e, xr, yr);
  if (e->dom == DOM_BOOL) {
    if (e->op == INGOT_OP_EQUAL) return cmp_result(e, xr, yr);
    LLVMValueRef x = LLVMBuildICmp(b, LLVMIntNE, xr, LLVMConstNull(LLVMTypeOf(xr)), "");
    LLVMValueRef y = LLVMBuildICmp(b, LLVMIntNE, yr, LLVMConstNull(LLVMTypeOf(yr)), "");
    LLVMValueRef r = e->op == INGOT_OP_AND ? LLVMBuildAnd(b, x, y, "")
                     : e->op == INGOT_OP_OR ? LLVMBuildOr(b, x, y, "")
                                            : LLVMBuildXor(b, x, y, "");
    return to_bool(cg, r);
  }
  if (e->dom == DOM_FLOAT) {
    LLVMValueRef x = cg_convert(cg, xr, e->dt[0], e->cdt), y = cg_convert(cg, yr, e->dt[1], e->cdt), r;
    if (is_cmp(e->op)) return cmp_result(e, x, y);
    switch (e->op) {
      case INGOT_OP_ADD: r = fadd(e, x, y); break;
      case INGOT_OP_SUB: r = LLVMBuildFSub(b, x, y, ""); break;
      case INGOT_OP_MUL: r = fmul(e, x, y); break;
      case INGOT_OP_DIV: r = fdiv(e, x, y); break;
      default: r = LLVMBuildFRem(b, x, y, ""); break; /* MOD, fmod=1: C fmod */
    }
    return cg_convert(cg, r, e->cdt, e->odt);
  }
  if (is_cmp(e->op)) return cmp_result(e, xr, yr);
  switch (e->op) {
    case INGOT_OP_ADD: return LLVMBuildAdd(b, xr, yr, "");
    case INGOT_OP_SUB: return LLVMBuildSub(b, xr, yr, "");
    case INGOT_OP_MUL: return LLVMBuildMul(b, xr, yr, "");
    default: return int_divmod(e, xr, yr); /* DIV, MOD */
  }
}

/* Sum/Mean/Max/Min over the operands in input order (the evaluator's fold).
 * Integers accumulate in 64 bits so Mean divides the exact (wrapped) sum. */
static LLVMValueRef var_expr(ew_t *e, LLVMValueRef *xs) {
  cg_t *cg = e->cg;
  LLVMBuilderRef b = cg->b;
  bool max = e->op == INGOT_OP_MAX, add = e->op == INGOT_OP_SUM || e->op == INGOT_OP_MEAN;
  if (e->dom == DOM_FLOAT) {
    LLVMValueRef acc = cg_convert(cg, xs[0], e->dt[0], e->cdt);
    for (uint32_t j = 1; j < e->nops; j++) {
      LLVMValueRef x = cg_convert(cg, xs[j], e->dt[j], e->cdt);
      acc = add ? fadd(e, acc, x) : fmaxmin(e, max, acc, x);
    }
    if (e->op == INGOT_OP_MEAN) acc = fdiv(e, acc, fk(e, (double)e->nops));
    return cg_convert(cg, acc, e->cdt, e->odt);
  }
  bool s = e->dom == DOM_SINT;
  int wide = s ? INGOT_DT_INT64 : INGOT_DT_UINT64;
  LLVMValueRef acc = cg_convert(cg, xs[0], e->dt[0], wide);
  for (uint32_t j = 1; j < e->nops; j++) {
    LLVMValueRef x = cg_convert(cg, xs[j], e->dt[j], wide);
    if (add) {
      acc = LLVMBuildAdd(b, acc, x, "");
    } else {
      LLVMIntPredicate p = max ? (s ? LLVMIntSGT : LLVMIntUGT) : (s ? LLVMIntSLT : LLVMIntULT);
      acc = LLVMBuildSelect(b, LLVMBuildICmp(b, p, x, acc, ""), x, acc, "");
    }
  }
  if (e->op == INGOT_OP_MEAN) {
    LLVMValueRef n = cg_i64(cg, (int64_t)e->nops);
    acc = s ? LLVMBuildSDiv(b, acc, n, "") : LLVMBuildUDiv(b, acc, n, "");
  }
  return cg_convert(cg, acc, wide, e->odt);
}

/* Clip: x < min -> min, then x > max -> max (so min > max gives max); NaN passes. */
static LLVMValueRef clip_expr(ew_t *e, LLVMValueRef *xs) {
  cg_t *cg = e->cg;
  LLVMBuilderRef b = cg->b;
  bool f = e->dom == DOM_FLOAT, s = e->dom == DOM_SINT;
  LLVMValueRef v = f ? cg_convert(cg, xs[0], e->dt[0], e->cdt) : xs[0];
  for (int j = 1; j <= 2; j++) {
    if (!xs[j]) continue;
    LLVMValueRef bound = f ? cg_convert(cg, xs[j], e->dt[j], e->cdt) : xs[j];
    LLVMValueRef c;
    if (f) c = fcmp(e, j == 1 ? LLVMRealOLT : LLVMRealOGT, v, bound);
    else c = LLVMBuildICmp(b, j == 1 ? (s ? LLVMIntSLT : LLVMIntULT) : (s ? LLVMIntSGT : LLVMIntUGT), v, bound, "");
    v = LLVMBuildSelect(b, c, bound, v, "");
  }
  return f ? cg_convert(cg, v, e->cdt, e->odt) : v;
}

/* One output element from the operands' raw values (NULL = omitted). */
static LLVMValueRef ew_expr(ew_t *e, LLVMValueRef *xs) {
  cg_t *cg = e->cg;
  LLVMBuilderRef b = cg->b;
  switch (e->op) {
    case INGOT_OP_IDENTITY:
    case INGOT_OP_DROPOUT: return xs[0];
    case INGOT_OP_CAST:
    case INGOT_OP_CAST_LIKE: return cg_convert(cg, xs[0], e->dt[0], e->cast_to);
    case INGOT_OP_WHERE:
      return LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntNE, xs[0], LLVMConstNull(cg->t_i8), ""), xs[1], xs[2], "");
    case INGOT_OP_NOT: return to_bool(cg, LLVMBuildICmp(b, LLVMIntEQ, xs[0], LLVMConstNull(cg->t_i8), ""));
    case INGOT_OP_ISNAN: {
      LLVMValueRef x = cg_convert(cg, xs[0], e->dt[0], e->cdt);
      return to_bool(cg, fcmp(e, LLVMRealUNO, x, x));
    }
    case INGOT_OP_CLIP: return clip_expr(e, xs);
    default: break;
  }
  if (is_variadic(e->op)) return var_expr(e, xs);
  if (is_binary(e->op)) return bin_expr(e, xs[0], xs[1]);
  /* unary math */
  if (e->dom != DOM_FLOAT) return un_int(e, xs[0]);
  return cg_convert(cg, un_float(e, cg_convert(cg, xs[0], e->dt[0], e->cdt)), e->cdt, e->odt);
}

/* The scalar math of one float elementwise op on f32 values, for fused
 * epilogues (codegen/cg_epilogue.c): exactly the code standalone kernels
 * use, so fusion cannot change numerics.  NULL for ops that are not
 * float-valued (comparisons, logic, Where, Cast, Not, IsNaN). */
LLVMValueRef cg_ew_scalar_f32(cg_t *cg, int op, const ingot_node_t *src, LLVMValueRef *xs, int n) {
  if (is_cmp(op) || is_logic(op) || op == INGOT_OP_WHERE || op == INGOT_OP_CAST || op == INGOT_OP_CAST_LIKE ||
      op == INGOT_OP_NOT || op == INGOT_OP_ISNAN || n < 1 || n > CG_MAX_IO)
    return NULL;
  ew_t e;
  memset(&e, 0, sizeof e);
  e.cg = cg;
  e.op = op;
  e.nops = (uint32_t)n;
  for (int j = 0; j < n; j++) e.dt[j] = INGOT_DT_FLOAT;
  e.odt = e.cdt = INGOT_DT_FLOAT;
  e.dom = DOM_FLOAT;
  e.ct = cg->t_f32;
  if (src) {
    if (op == INGOT_OP_LEAKY_RELU) e.alpha = ingot_node_attr_f(src, "alpha", 0.01f);
    if (op == INGOT_OP_ELU) e.alpha = ingot_node_attr_f(src, "alpha", 1.0f);
    if (op == INGOT_OP_HARD_SIGMOID) {
      e.alpha = ingot_node_attr_f(src, "alpha", 0.2f);
      e.beta = ingot_node_attr_f(src, "beta", 0.5f);
    }
    if (op == INGOT_OP_GELU) e.gelu_tanh = !strcmp(ingot_node_attr_s(src, "approximate", "none"), "tanh");
    if (op == INGOT_OP_MOD) e.fmod_ = ingot_node_attr_i(src, "fmod", 0) != 0;
  } else {
    if (op == INGOT_OP_LEAKY_RELU) e.alpha = 0.01f;
    if (op == INGOT_OP_ELU) e.alpha = 1.0f;
    if (op == INGOT_OP_HARD_SIGMOID) e.alpha = 0.2f, e.beta = 0.5f;
  }
  return ew_expr(&e, xs);
}

/* ---- checks and attributes (mirroring the evaluator's) ------------------------- */

static bool unary_float_only(int op) {
  switch (op) {
    case INGOT_OP_SQRT: case INGOT_OP_RECIPROCAL: case INGOT_OP_EXP: case INGOT_OP_LOG: case INGOT_OP_ERF:
    case INGOT_OP_TANH: case INGOT_OP_SIGMOID: case INGOT_OP_LEAKY_RELU: case INGOT_OP_ELU: case INGOT_OP_SOFTPLUS:
    case INGOT_OP_HARD_SIGMOID: case INGOT_OP_HARD_SWISH: case INGOT_OP_MISH: case INGOT_OP_GELU: case INGOT_OP_SIN:
    case INGOT_OP_COS: case INGOT_OP_FLOOR: case INGOT_OP_CEIL: case INGOT_OP_ROUND:
      return true;
    default: return false;
  }
}

static double unary_cost(int op) {
  switch (op) {
    case INGOT_OP_ERF: case INGOT_OP_TANH: case INGOT_OP_SIGMOID: case INGOT_OP_ELU: case INGOT_OP_SOFTPLUS:
    case INGOT_OP_MISH: case INGOT_OP_GELU: case INGOT_OP_EXP: case INGOT_OP_LOG: case INGOT_OP_SIN:
    case INGOT_OP_COS: return 10;
    default: return 1;
  }
}

/* Is element 0 of a constant non-zero?  (floats: any bit but the sign) */
static bool const_nonzero(const ingot_value_t *v) {
  size_t es = ingot_dtype_size(v->type.dtype);
  if (!v->data || v->nbytes < es || es == 0) return false;
  uint8_t bytes[8] = {0};
  memcpy(bytes, v->data, es);
  if (ingot_dtype_is_float(v->type.dtype)) bytes[es - 1] &= 0x7f; /* little endian: the sign is the top bit */
  for (size_t i = 0; i < es; i++)
    if (bytes[i]) return true;
  return false;
}

static int64_t numel_of(const ingot_value_t *v) {
  int64_t n = 1;
  for (int d = 0; d < v->type.rank; d++) n *= v->type.dims[d].v;
  return n;
}

static ingot_status_t bad_dtype(ew_t *e, int dt) {
  return cg_error(e->cg, e->k, INGOT_CODE_UNSUPPORTED, "%s is not supported for dtype %s",
                  ingot_op_name((ingot_op_t)e->op), ingot_dtype_name(dt));
}

static ingot_status_t ew_setup(ew_t *e) {
  cg_kernel_t *k = e->k;
  int op = e->op;
  for (uint32_t i = 0; i < k->nin; i++)
    if (k->vin[i] && !ingot_type_is_static(&k->vin[i]->type))
      return cg_error(e->cg, k, INGOT_CODE_INTERNAL, "input %u has no static shape", i);
  if (k->nout < 1 || !k->vout[0] || !ingot_type_is_static(&k->vout[0]->type))
    return cg_error(e->cg, k, INGOT_CODE_INTERNAL, "output 0 has no static shape");
  if (k->nin < 1 || !k->vin[0]) return cg_error(e->cg, k, INGOT_CODE_INPUT, "input 0 is required");
  e->nops = k->nin;
  if (op == INGOT_OP_DROPOUT || op == INGOT_OP_CAST || op == INGOT_OP_CAST_LIKE || op == INGOT_OP_IDENTITY) e->nops = 1;
  if (op == INGOT_OP_CLIP && e->nops > 3) e->nops = 3;
  for (uint32_t j = 0; j < e->nops; j++) {
    e->dt[j] = k->vin[j] ? k->vin[j]->type.dtype : INGOT_DT_UNDEFINED;
    if (!k->vin[j] && op != INGOT_OP_CLIP) return cg_error(e->cg, k, INGOT_CODE_INPUT, "input %u is required", j);
  }
  int x0 = e->dt[0];
  e->dom = dom_of(op == INGOT_OP_WHERE ? (e->nops > 1 ? e->dt[1] : x0) : x0);
  e->cdt = x0 == INGOT_DT_DOUBLE ? INGOT_DT_DOUBLE : INGOT_DT_FLOAT;
  e->ct = cg_type(e->cg, e->cdt);
  e->cost = 1;
  int odt = x0; /* the expected output dtype */

  if (is_binary(op) || is_variadic(op) || op == INGOT_OP_WHERE || op == INGOT_OP_CLIP) {
    uint32_t first = op == INGOT_OP_WHERE ? 1 : 0;
    if (op == INGOT_OP_WHERE && (e->nops != 3 || x0 != INGOT_DT_BOOL))
      return cg_error(e->cg, k, INGOT_CODE_INPUT, "Where needs a bool condition and two values");
    for (uint32_t j = first + 1; j < e->nops; j++)
      if (e->dt[j] != INGOT_DT_UNDEFINED && e->dt[j] != e->dt[first] && op != INGOT_OP_POW)
        return cg_error(e->cg, k, INGOT_CODE_INPUT, "input dtypes differ: %s vs %s", ingot_dtype_name(e->dt[first]),
                        ingot_dtype_name(e->dt[j]));
    if (op == INGOT_OP_WHERE) {
      odt = e->dt[1];
      if (!ingot_dtype_size(odt)) return bad_dtype(e, odt);
    } else if (is_binary(op)) {
      if (e->nops != 2) return cg_error(e->cg, k, INGOT_CODE_INPUT, "two inputs are required");
      if (e->dom == DOM_OTHER) return bad_dtype(e, x0);
      if (is_logic(op) != (e->dom == DOM_BOOL) && !(op == INGOT_OP_EQUAL && e->dom == DOM_BOOL))
        return bad_dtype(e, x0);
      if (op == INGOT_OP_POW && dom_of(e->dt[1]) != DOM_FLOAT && dom_of(e->dt[1]) != DOM_SINT &&
          dom_of(e->dt[1]) != DOM_UINT)
        return bad_dtype(e, e->dt[1]);
      e->fmod_ = ingot_node_attr_i(k->n, "fmod", 0) != 0;
      if (op == INGOT_OP_MOD && e->dom == DOM_FLOAT && !e->fmod_)
        return cg_error(e->cg, k, INGOT_CODE_INPUT, "Mod on %s requires fmod=1 (ONNX spec)", ingot_dtype_name(x0));
      if (is_cmp(op) || is_logic(op)) odt = INGOT_DT_BOOL;
      if (op == INGOT_OP_POW) e->cost = 10;
    } else {
      if (e->dom != DOM_FLOAT && e->dom != DOM_SINT && e->dom != DOM_UINT) return bad_dtype(e, x0);
      e->cost = e->nops > 1 ? e->nops - 1 : 1;
    }
    if (op == INGOT_OP_CLIP)
      for (uint32_t j = 1; j < e->nops; j++)
        if (k->vin[j] && numel_of(k->vin[j]) != 1)
          return cg_error(e->cg, k, INGOT_CODE_INPUT, "Clip %s must be a scalar, got %lld elements",
                          j == 1 ? "min" : "max", (long long)numel_of(k->vin[j]));
  } else if (op == INGOT_OP_CAST || op == INGOT_OP_CAST_LIKE) {
    if (op == INGOT_OP_CAST) {
      const ingot_attr_t *to = ingot_node_attr(k->n, "to");
      if (!to || to->type != INGOT_ATTR_INT)
        return cg_error(e->cg, k, INGOT_CODE_INPUT, "Cast needs an int 'to' attribute");
      e->cast_to = (int)to->i;
    } else {
      if (k->nin < 2 || !k->vin[1]) return cg_error(e->cg, k, INGOT_CODE_INPUT, "input 1 is required");
      e->cast_to = k->vin[1]->type.dtype;
    }
    if (e->dom == DOM_OTHER) return bad_dtype(e, x0);
    if (dom_of(e->cast_to) == DOM_OTHER)
      return cg_error(e->cg, k, INGOT_CODE_UNSUPPORTED, "Cast to %s is not supported", ingot_dtype_name(e->cast_to));
    odt = e->cast_to;
  } else if (op == INGOT_OP_IDENTITY) {
    if (!ingot_dtype_size(x0)) return bad_dtype(e, x0);
  } else if (op == INGOT_OP_DROPOUT) {
    if (!ingot_dtype_size(x0)) return bad_dtype(e, x0);
    const ingot_value_t *ratio = k->nin > 1 ? k->vin[1] : NULL, *train = k->nin > 2 ? k->vin[2] : NULL;
    if (train && !train->data)
      return cg_error(e->cg, k, INGOT_CODE_UNSUPPORTED, "Dropout training_mode must be constant");
    if (train && numel_of(train) >= 1 && const_nonzero(train)) {
      if (!ratio || !ratio->data || numel_of(ratio) < 1 || const_nonzero(ratio))
        return cg_error(e->cg, k, INGOT_CODE_UNSUPPORTED, "Dropout in training mode is random");
    }
    if (k->nout > 1 && k->vout[1] && k->vout[1]->type.dtype != INGOT_DT_BOOL)
      return cg_error(e->cg, k, INGOT_CODE_INTERNAL, "Dropout mask must be bool");
  } else if (op == INGOT_OP_NOT) {
    if (x0 != INGOT_DT_BOOL) return bad_dtype(e, x0);
  } else if (op == INGOT_OP_ISNAN) {
    if (e->dom != DOM_FLOAT) return bad_dtype(e, x0);
    odt = INGOT_DT_BOOL;
  } else { /* unary math */
    if (e->dom == DOM_SINT || e->dom == DOM_UINT) {
      if (unary_float_only(op) || (op == INGOT_OP_NEG && e->dom == DOM_UINT)) return bad_dtype(e, x0);
    } else if (e->dom != DOM_FLOAT) {
      return bad_dtype(e, x0);
    }
    e->cost = unary_cost(op);
    if (op == INGOT_OP_LEAKY_RELU) e->alpha = ingot_node_attr_f(k->n, "alpha", 0.01f);
    if (op == INGOT_OP_ELU) e->alpha = ingot_node_attr_f(k->n, "alpha", 1.0f);
    if (op == INGOT_OP_HARD_SIGMOID) {
      e->alpha = ingot_node_attr_f(k->n, "alpha", 0.2f);
      e->beta = ingot_node_attr_f(k->n, "beta", 0.5f);
    }
    if (op == INGOT_OP_GELU) {
      const char *ap = ingot_node_attr_s(k->n, "approximate", "none");
      if (!strcmp(ap, "tanh")) e->gelu_tanh = true;
      else if (strcmp(ap, "none"))
        return cg_error(e->cg, k, INGOT_CODE_INPUT, "Gelu approximate='%s' (expected 'none' or 'tanh')", ap);
    }
  }
  e->odt = k->vout[0]->type.dtype;
  if (e->odt != odt)
    return cg_error(e->cg, k, INGOT_CODE_INTERNAL, "output dtype %s, expected %s", ingot_dtype_name(e->odt),
                    ingot_dtype_name(odt));
  return INGOT_OK;
}

/* ---- iteration space ----------------------------------------------------------- */

typedef struct {
  int rank;
  int64_t dims[INGOT_MAX_RANK];
  int64_t st[CG_MAX_IO][INGOT_MAX_RANK]; /* per operand, in elements; 0 on broadcast axes */
  int64_t ost[INGOT_MAX_RANK];           /* output (contiguous) */
  bool scalar[CG_MAX_IO];                /* one-element operand */
} space_t;

static ingot_status_t make_space(ew_t *e, space_t *s) {
  const cg_kernel_t *k = e->k;
  int64_t od[INGOT_MAX_RANK], st[CG_MAX_IO][INGOT_MAX_RANK];
  int r = cg_dims(k->vout[0], od);
  memset(s, 0, sizeof *s);
  for (uint32_t j = 0; j < e->nops; j++) {
    const ingot_value_t *v = k->vin[j];
    memset(st[j], 0, sizeof st[j]);
    if (!v) continue;
    if (numel_of(v) == 1) {
      s->scalar[j] = true;
      continue;
    }
    int64_t id[INGOT_MAX_RANK];
    int ir = cg_dims(v, id), off = r - ir;
    if (off < 0) return cg_error(e->cg, k, INGOT_CODE_INTERNAL, "input %u has a higher rank than the output", j);
    int64_t stride = 1;
    for (int d = r - 1; d >= off; d--) {
      int64_t dim = id[d - off];
      if (dim != od[d] && dim != 1)
        return cg_error(e->cg, k, INGOT_CODE_INTERNAL, "input %u dim %d (%lld) does not broadcast to %lld", j, d - off,
                        (long long)dim, (long long)od[d]);
      st[j][d] = dim == 1 ? 0 : stride;
      stride *= dim;
    }
  }
  /* drop size-1 dims; merge a dim into the previous one when every operand
   * steps through the pair as one dim (outer stride == inner stride * inner size) */
  for (int d = 0; d < r; d++) {
    if (od[d] == 1) continue;
    int p = s->rank - 1;
    bool merge = p >= 0;
    for (uint32_t j = 0; merge && j < e->nops; j++)
      if (s->st[j][p] != st[j][d] * od[d]) merge = false;
    if (merge) {
      s->dims[p] *= od[d];
      for (uint32_t j = 0; j < e->nops; j++) s->st[j][p] = st[j][d];
    } else {
      s->dims[s->rank] = od[d];
      for (uint32_t j = 0; j < e->nops; j++) s->st[j][s->rank] = st[j][d];
      s->rank++;
    }
  }
  if (s->rank == 0) { /* one element */
    s->rank = 1;
    s->dims[0] = 1;
  }
  int64_t o = 1;
  for (int d = s->rank - 1; d >= 0; d--) {
    s->ost[d] = o;
    o *= s->dims[d];
  }
  return INGOT_OK;
}

static void emit_element(ew_t *e, LLVMValueRef *off, LLVMValueRef ooff) {
  cg_t *cg = e->cg;
  cg_kernel_t *k = e->k;
  LLVMValueRef xs[CG_MAX_IO] = {0};
  for (uint32_t j = 0; j < e->nops; j++) {
    if (!k->in[j]) continue;
    xs[j] = e->pre[j] ? e->pre[j] : ew_load(cg, e->dt[j], k->in[j], off[j]);
  }
  ew_store(cg, e->odt, k->out[0], ooff, ew_expr(e, xs));
  if (e->op == INGOT_OP_DROPOUT && k->nout > 1 && k->out[1]) /* inference: the mask is all true */
    cg_store(cg, INGOT_DT_BOOL, k->out[1], ooff, cg_const(cg, INGOT_DT_BOOL, 1));
}

/* Loops over dims [d, rank) from the given offsets. */
static void emit_nest(ew_t *e, const space_t *s, int d, LLVMValueRef *off, LLVMValueRef ooff) {
  cg_t *cg = e->cg;
  if (d == s->rank) {
    emit_element(e, off, ooff);
    return;
  }
  cg_loop_t L;
  LLVMValueRef iv = cg_loop_begin(cg, &L, cg_i64(cg, 0), cg_i64(cg, s->dims[d]), "d");
  LLVMValueRef noff[CG_MAX_IO];
  for (uint32_t j = 0; j < e->nops; j++) {
    noff[j] = off[j];
    if (s->st[j][d])
      noff[j] = LLVMBuildNSWAdd(cg->b, off[j], LLVMBuildNSWMul(cg->b, iv, cg_i64(cg, s->st[j][d]), ""), "");
  }
  LLVMValueRef nooff = LLVMBuildNSWAdd(cg->b, ooff, LLVMBuildNSWMul(cg->b, iv, cg_i64(cg, s->ost[d]), ""), "");
  emit_nest(e, s, d + 1, noff, nooff);
  cg_loop_end(cg, &L);
}

ingot_status_t cg_emit_elementwise(cg_t *cg, cg_kernel_t *k) {
  ew_t e;
  memset(&e, 0, sizeof e);
  e.cg = cg;
  e.k = k;
  e.op = k->n->op;
  INGOT_RETURN_IF_ERROR(ew_setup(&e));
  space_t s;
  INGOT_RETURN_IF_ERROR(make_space(&e, &s));
  int64_t numel = 1;
  for (int d = 0; d < s.rank; d++) numel *= s.dims[d];
  double bytes = (double)numel * (double)ingot_dtype_size(e.odt);
  for (uint32_t j = 0; j < e.nops; j++)
    if (k->vin[j]) bytes += (double)numel_of(k->vin[j]) * (double)ingot_dtype_size(e.dt[j]);
  if (e.op == INGOT_OP_DROPOUT && k->nout > 1 && k->out[1]) bytes += (double)numel;
  k->flops = (double)numel * e.cost;
  k->bytes = bytes;
  k->work = 1;
  if (numel == 0) return INGOT_OK; /* nothing to compute */

  /* one-element operands: read once */
  for (uint32_t j = 0; j < e.nops; j++)
    if (k->in[j] && s.scalar[j]) e.pre[j] = ew_load(cg, e.dt[j], k->in[j], cg_i64(cg, 0));

  LLVMBuilderRef b = cg->b;
  LLVMValueRef off[CG_MAX_IO];
  if (s.rank == 1) {
    /* flat: items are EW_CHUNK-element blocks; one loop over all of ours */
    k->work = (numel + EW_CHUNK - 1) / EW_CHUNK;
    LLVMValueRef lo = LLVMBuildNSWMul(b, k->begin, cg_i64(cg, EW_CHUNK), "");
    LLVMValueRef hi = LLVMBuildNSWMul(b, k->end, cg_i64(cg, EW_CHUNK), "");
    hi = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntSLT, hi, cg_i64(cg, numel), ""), hi, cg_i64(cg, numel), "");
    cg_loop_t L;
    LLVMValueRef i = cg_loop_begin(cg, &L, lo, hi, "i");
    for (uint32_t j = 0; j < e.nops; j++) off[j] = s.st[j][0] ? i : cg_i64(cg, 0);
    emit_element(&e, off, i);
    cg_loop_end(cg, &L);
    return INGOT_OK;
  }
  /* broadcasting: the outer dims are the parallel range, the rest a nest */
  int p = 1;
  int64_t outer = s.dims[0];
  while (p < s.rank - 1 && outer < EW_MIN_ITEMS) outer *= s.dims[p++];
  k->work = outer;
  cg_loop_t L;
  LLVMValueRef w = cg_loop_begin(cg, &L, k->begin, k->end, "w");
  LLVMValueRef coords[INGOT_MAX_RANK];
  cg_unflatten(cg, w, p, s.dims, coords);
  for (uint32_t j = 0; j < e.nops; j++) off[j] = cg_dot(cg, p, coords, s.st[j]);
  emit_nest(&e, &s, p, off, LLVMBuildNSWMul(b, w, cg_i64(cg, s.ost[p - 1]), ""));
  cg_loop_end(cg, &L);
  return INGOT_OK;
}
