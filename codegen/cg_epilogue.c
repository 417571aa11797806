/* Fused epilogues: the elementwise DAG of passes/fusion.h, applied to one
 * output element at store time (see cg_store_out in cg.h). */
#include <math.h>
#include <string.h>

#include "codegen/cg.h"
#include "passes/fusion.h"

static LLVMValueRef fconst(cg_t *cg, double v) { return LLVMConstReal(cg->t_f32, v); }

static LLVMValueRef intr1(cg_t *cg, const char *name, LLVMValueRef x) {
  return cg_intrinsic(cg, name, cg->t_f32, &x, 1);
}

static LLVMValueRef sigmoid(cg_t *cg, LLVMValueRef x) {
  LLVMValueRef e = intr1(cg, "llvm.exp", LLVMBuildFNeg(cg->b, x, ""));
  return LLVMBuildFDiv(cg->b, fconst(cg, 1), LLVMBuildFAdd(cg->b, fconst(cg, 1), e, ""), "");
}

LLVMValueRef cg_scalar_f32(cg_t *cg, int op, const ingot_node_t *src, LLVMValueRef *a, int n) {
  LLVMBuilderRef b = cg->b;
  LLVMValueRef x = n > 0 ? a[0] : NULL, y = n > 1 ? a[1] : NULL;
  switch (op) {
    case INGOT_OP_ADD: return LLVMBuildFAdd(b, x, y, "");
    case INGOT_OP_SUB: return LLVMBuildFSub(b, x, y, "");
    case INGOT_OP_MUL: return LLVMBuildFMul(b, x, y, "");
    case INGOT_OP_DIV: return LLVMBuildFDiv(b, x, y, "");
    case INGOT_OP_POW: {
      /* x^2 and x^3 (torch's GELU/RMS decompositions) stay exact and cheap */
      if (LLVMIsAConstantFP(y)) {
        LLVMBool lose;
        double e = LLVMConstRealGetDouble(y, &lose);
        if (e == 1) return x;
        if (e == 2) return LLVMBuildFMul(b, x, x, "");
        if (e == 3) return LLVMBuildFMul(b, LLVMBuildFMul(b, x, x, ""), x, "");
        if (e == 0.5) return intr1(cg, "llvm.sqrt", x);
      }
      LLVMValueRef args[2] = {x, y};
      return cg_intrinsic(cg, "llvm.pow", cg->t_f32, args, 2);
    }
    case INGOT_OP_MAX:
    case INGOT_OP_MIN: {
      LLVMValueRef args[2] = {x, y};
      return cg_intrinsic(cg, op == INGOT_OP_MAX ? "llvm.maximum" : "llvm.minimum", cg->t_f32, args, 2);
    }
    case INGOT_OP_IDENTITY: return x;
    case INGOT_OP_NEG: return LLVMBuildFNeg(b, x, "");
    case INGOT_OP_ABS: return intr1(cg, "llvm.fabs", x);
    case INGOT_OP_SQRT: return intr1(cg, "llvm.sqrt", x);
    case INGOT_OP_RECIPROCAL: return LLVMBuildFDiv(b, fconst(cg, 1), x, "");
    case INGOT_OP_EXP: return intr1(cg, "llvm.exp", x);
    case INGOT_OP_LOG: return intr1(cg, "llvm.log", x);
    case INGOT_OP_SIN: return intr1(cg, "llvm.sin", x);
    case INGOT_OP_COS: return intr1(cg, "llvm.cos", x);
    case INGOT_OP_FLOOR: return intr1(cg, "llvm.floor", x);
    case INGOT_OP_CEIL: return intr1(cg, "llvm.ceil", x);
    case INGOT_OP_ERF: return cg_libm_f32(cg, "erff", x);
    case INGOT_OP_TANH: return cg_libm_f32(cg, "tanhf", x);
    case INGOT_OP_SIGMOID: return sigmoid(cg, x);
    case INGOT_OP_RELU: {
      LLVMValueRef args[2] = {x, fconst(cg, 0)};
      return cg_intrinsic(cg, "llvm.maxnum", cg->t_f32, args, 2);
    }
    case INGOT_OP_LEAKY_RELU: {
      float alpha = src ? ingot_node_attr_f(src, "alpha", 0.01f) : 0.01f;
      LLVMValueRef neg = LLVMBuildFCmp(b, LLVMRealOLT, x, fconst(cg, 0), "");
      return LLVMBuildSelect(b, neg, LLVMBuildFMul(b, x, fconst(cg, alpha), ""), x, "");
    }
    case INGOT_OP_SOFTPLUS: return intr1(cg, "llvm.log", LLVMBuildFAdd(b, fconst(cg, 1), intr1(cg, "llvm.exp", x), ""));
    case INGOT_OP_GELU: {
      const char *mode = src ? ingot_node_attr_s(src, "approximate", "none") : "none";
      LLVMValueRef half = LLVMBuildFMul(b, x, fconst(cg, 0.5), "");
      LLVMValueRef inner;
      if (!strcmp(mode, "tanh")) {
        LLVMValueRef x3 = LLVMBuildFMul(b, LLVMBuildFMul(b, x, x, ""), x, "");
        LLVMValueRef t = LLVMBuildFAdd(b, x, LLVMBuildFMul(b, x3, fconst(cg, 0.044715), ""), "");
        inner = cg_libm_f32(cg, "tanhf", LLVMBuildFMul(b, t, fconst(cg, 0.7978845608028654), ""));
      } else {
        inner = cg_libm_f32(cg, "erff", LLVMBuildFMul(b, x, fconst(cg, 0.7071067811865476), ""));
      }
      return LLVMBuildFMul(b, half, LLVMBuildFAdd(b, fconst(cg, 1), inner, ""), "");
    }
    case INGOT_OP_MISH: {
      LLVMValueRef sp = intr1(cg, "llvm.log", LLVMBuildFAdd(b, fconst(cg, 1), intr1(cg, "llvm.exp", x), ""));
      return LLVMBuildFMul(b, x, cg_libm_f32(cg, "tanhf", sp), "");
    }
    case INGOT_OP_HARD_SIGMOID:
    case INGOT_OP_HARD_SWISH: {
      float al = op == INGOT_OP_HARD_SWISH ? 1.0f / 6 : (src ? ingot_node_attr_f(src, "alpha", 0.2f) : 0.2f);
      float be = op == INGOT_OP_HARD_SWISH ? 0.5f : (src ? ingot_node_attr_f(src, "beta", 0.5f) : 0.5f);
      LLVMValueRef t = LLVMBuildFAdd(b, LLVMBuildFMul(b, x, fconst(cg, al), ""), fconst(cg, be), "");
      LLVMValueRef a1[2] = {t, fconst(cg, 0)};
      t = cg_intrinsic(cg, "llvm.maxnum", cg->t_f32, a1, 2);
      LLVMValueRef a2[2] = {t, fconst(cg, 1)};
      t = cg_intrinsic(cg, "llvm.minnum", cg->t_f32, a2, 2);
      return op == INGOT_OP_HARD_SWISH ? LLVMBuildFMul(b, x, t, "") : t;
    }
    case INGOT_OP_ELU: {
      float alpha = src ? ingot_node_attr_f(src, "alpha", 1.0f) : 1.0f;
      LLVMValueRef em1 = LLVMBuildFSub(b, intr1(cg, "llvm.exp", x), fconst(cg, 1), "");
      LLVMValueRef neg = LLVMBuildFCmp(b, LLVMRealOLT, x, fconst(cg, 0), "");
      return LLVMBuildSelect(b, neg, LLVMBuildFMul(b, em1, fconst(cg, alpha), ""), x, "");
    }
    case INGOT_OP_CLIP: {
      LLVMValueRef r = x;
      if (n > 1 && y) {
        LLVMValueRef a1[2] = {r, y};
        r = cg_intrinsic(cg, "llvm.maxnum", cg->t_f32, a1, 2);
      }
      if (n > 2 && a[2]) {
        LLVMValueRef a2[2] = {r, a[2]};
        r = cg_intrinsic(cg, "llvm.minnum", cg->t_f32, a2, 2);
      }
      return r;
    }
    default: return NULL;
  }
}

/* Offset of extra input e for output flat index idx (numpy broadcasting
 * against the stored output's shape). */
static LLVMValueRef extra_offset(cg_t *cg, const cg_kernel_t *k, uint32_t e, LLVMValueRef idx) {
  const ingot_type_t *ot = &k->vout[0]->type, *it = &k->vextra[e]->type;
  int64_t on = 1, in = 1;
  for (int d = 0; d < ot->rank; d++) on *= ot->dims[d].v;
  for (int d = 0; d < it->rank; d++) in *= it->dims[d].v;
  if (in == 1) return cg_i64(cg, 0);
  if (in == on) return idx; /* same element count and broadcast-compatible: same layout */
  int64_t odims[INGOT_MAX_RANK], str[INGOT_MAX_RANK];
  int r = ot->rank;
  for (int d = 0; d < r; d++) odims[d] = ot->dims[d].v;
  /* A trailing-dims vector (a bias over the last axes) is idx % size. */
  int off = r - it->rank, trailing = 1;
  int64_t s = 1;
  for (int d = r - 1; d >= 0; d--) {
    int64_t dim = d < off ? 1 : it->dims[d - off].v;
    str[d] = (dim == 1 && odims[d] != 1) ? 0 : s;
    if (str[d] == 0 && s > 1) trailing = 0;
    if (str[d] == 0 && d >= off && dim == 1 && s == 1 && odims[d] != 1) trailing = 0;
    s *= dim;
  }
  /* trailing: the input covers exactly the last few output dims */
  int64_t tail = 1;
  int d = r - 1;
  for (; d >= 0 && str[d] != 0; d--) tail *= odims[d];
  bool pure_tail = trailing && tail == in;
  for (int e2 = d; pure_tail && e2 >= 0; e2--)
    if (str[e2] != 0) pure_tail = false;
  if (pure_tail) return LLVMBuildURem(cg->b, idx, cg_i64(cg, in), "");
  LLVMValueRef coords[INGOT_MAX_RANK];
  cg_unflatten(cg, idx, r, odims, coords);
  return cg_dot(cg, r, coords, str);
}

LLVMValueRef cg_epilogue(cg_t *cg, cg_kernel_t *k, LLVMValueRef v, LLVMValueRef idx) {
  const ingot_fusion_t *f = (const ingot_fusion_t *)k->fusion;
  if (!f || f->nsteps == 0) return v;
  LLVMValueRef regs[64];
  LLVMValueRef extra_vals[CG_MAX_IO] = {0};
  for (uint32_t i = 0; i < f->nsteps && i < 64; i++) {
    const ingot_fuse_step_t *s = &f->steps[i];
    LLVMValueRef a[3] = {0};
    for (int j = 0; j < s->nargs && j < 3; j++) {
      const ingot_fuse_operand_t *o = &s->args[j];
      switch (o->kind) {
        case INGOT_FUSE_ACC: a[j] = v; break;
        case INGOT_FUSE_REG: a[j] = regs[o->index]; break;
        case INGOT_FUSE_CONST: a[j] = fconst(cg, o->value); break;
        case INGOT_FUSE_INPUT:
          if (!extra_vals[o->index]) {
            LLVMValueRef off = extra_offset(cg, k, (uint32_t)o->index, idx);
            extra_vals[o->index] = cg_load_f32(cg, k->vextra[o->index]->type.dtype, k->extra[o->index], off);
          }
          a[j] = extra_vals[o->index];
          break;
        default: a[j] = v;
      }
    }
    regs[i] = cg_scalar_f32(cg, s->op, s->src, a, s->nargs);
    if (!regs[i]) regs[i] = a[0]; /* the fusion pass only admits ops cg_scalar_f32 knows */
  }
  return regs[f->nsteps - 1 < 64 ? f->nsteps - 1 : 63];
}

void cg_store_out(cg_t *cg, cg_kernel_t *k, LLVMValueRef idx, LLVMValueRef v) {
  v = cg_epilogue(cg, k, v, idx);
  cg_store_f32(cg, k->vout[0]->type.dtype, k->out[0], idx, v);
}
