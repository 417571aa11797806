/* The fused epilogue (passes/fusion.h) on whole vectors, for the GEMM fast
 * path: a tile's accumulators are vectors of `lanes` consecutive output
 * columns, and applying the epilogue lane by lane (cg_epilogue) would cost
 * an extract, an index split and a scalar load per element.
 *
 * When is a vector of outputs a vector of each extra input?  The output
 * vector covers flat indices grow*N + col + l, l < lanes.  If N and the
 * stored output's last dim are multiples of `lanes` (and col is, which the
 * tiling guarantees), the lanes differ only in the last output coordinate,
 * so an extra input broadcast against the output sees either consecutive
 * elements (its stride on the last axis is 1) or one element (stride 0):
 * one vector load or one scalar load and a splat.  Otherwise the emitter
 * stores lane by lane through cg_store_out.
 *
 * Offsets are split into a row part and a column part where the output's
 * trailing dims multiply to N (the anchor's [.., N] output, or a view that
 * splits N, such as [B, T, heads, head_dim]): the row part is then shared by
 * a tile row's vectors (LLVM merges the identical expressions) and the
 * column part by a tile column's.
 *
 * Numerics: Add, Sub, Mul, Div, Neg, Relu and Identity are the same IEEE
 * operations the elementwise emitter uses; every other op runs lane by lane
 * through cg_scalar_f32, i.e. exactly the standalone kernels' code. */
#include <string.h>

#include "codegen/cg_gemm.h"
#include "passes/fusion.h"

LLVMValueRef cg_vsplat(cg_t *cg, LLVMValueRef s, int lanes) {
  LLVMTypeRef vt = LLVMVectorType(LLVMTypeOf(s), (unsigned)lanes);
  LLVMValueRef v = LLVMBuildInsertElement(cg->b, LLVMGetUndef(vt), s, LLVMConstInt(cg->t_i32, 0, 0), "");
  LLVMValueRef zeros = LLVMConstNull(LLVMVectorType(cg->t_i32, (unsigned)lanes));
  return LLVMBuildShuffleVector(cg->b, v, LLVMGetUndef(vt), zeros, "");
}

static LLVMValueRef lane_mask(cg_t *cg, int lanes, int valid) {
  LLVMValueRef bits[64];
  for (int l = 0; l < lanes; l++) bits[l] = LLVMConstInt(cg->t_i1, l < valid, 0);
  return LLVMConstVector(bits, (unsigned)lanes);
}

/* llvm.masked.load / llvm.masked.store are overloaded on the vector and the
 * pointer type (LLVM 14 has typed pointers). */
static LLVMValueRef masked_intrinsic(cg_t *cg, const char *name, LLVMTypeRef vt, LLVMTypeRef *ft) {
  unsigned id = LLVMLookupIntrinsicID(name, strlen(name));
  LLVMTypeRef tys[2] = {vt, LLVMPointerType(vt, 0)};
  *ft = LLVMIntrinsicGetType(cg->ctx, id, tys, 2);
  return LLVMGetIntrinsicDeclaration(cg->mod, id, tys, 2);
}

LLVMValueRef cg_vload_masked(cg_t *cg, LLVMValueRef fptr, int lanes, LLVMValueRef mask, LLVMValueRef passthru) {
  LLVMTypeRef vt = LLVMVectorType(cg->t_f32, (unsigned)lanes);
  LLVMValueRef p = LLVMBuildBitCast(cg->b, fptr, LLVMPointerType(vt, 0), "");
  LLVMTypeRef ft;
  LLVMValueRef f = masked_intrinsic(cg, "llvm.masked.load", vt, &ft);
  LLVMValueRef args[4] = {p, LLVMConstInt(cg->t_i32, 4, 0), mask, passthru};
  return LLVMBuildCall2(cg->b, ft, f, args, 4, "");
}

LLVMValueRef cg_vload(cg_t *cg, LLVMValueRef fptr, int lanes, int valid) {
  LLVMTypeRef vt = LLVMVectorType(cg->t_f32, (unsigned)lanes);
  if (valid < lanes) return cg_vload_masked(cg, fptr, lanes, lane_mask(cg, lanes, valid), LLVMConstNull(vt));
  LLVMValueRef l = LLVMBuildLoad2(cg->b, vt, LLVMBuildBitCast(cg->b, fptr, LLVMPointerType(vt, 0), ""), "");
  LLVMSetAlignment(l, 4);
  return l;
}

void cg_vstore(cg_t *cg, LLVMValueRef v, LLVMValueRef fptr, int lanes, int valid) {
  LLVMTypeRef vt = LLVMVectorType(cg->t_f32, (unsigned)lanes);
  LLVMValueRef p = LLVMBuildBitCast(cg->b, fptr, LLVMPointerType(vt, 0), "");
  if (valid >= lanes) {
    LLVMSetAlignment(LLVMBuildStore(cg->b, v, p), 4);
    return;
  }
  LLVMTypeRef ft;
  LLVMValueRef f = masked_intrinsic(cg, "llvm.masked.store", vt, &ft);
  LLVMValueRef args[4] = {v, p, LLVMConstInt(cg->t_i32, 4, 0), lane_mask(cg, lanes, valid)};
  LLVMBuildCall2(cg->b, ft, f, args, 4, "");
}

void cg_vepi_init(cg_t *cg, const cg_kernel_t *k, int64_t N, int lanes, cg_vepi_t *e) {
  (void)cg;
  memset(e, 0, sizeof *e);
  e->lanes = lanes;
  e->N = N;
  e->split = -1;
  const ingot_fusion_t *f = (const ingot_fusion_t *)k->fusion;
  const ingot_type_t *ot = &k->vout[0]->type;
  e->rank = ot->rank;
  for (int d = 0; d < ot->rank; d++) e->odims[d] = ot->dims[d].v;
  int64_t s = 1;
  for (int d = e->rank; d >= 0; d--) {
    if (s == N) {
      e->split = d;
      break;
    }
    if (d > 0) s *= e->odims[d - 1];
  }
  bool ok = f && e->rank >= 1 && N % lanes == 0 && e->odims[e->rank - 1] % lanes == 0 && f->nsteps <= 64;
  for (uint32_t x = 0; ok && f && x < f->nextra; x++) {
    const ingot_value_t *v = k->vextra[x];
    if (!v || v->type.dtype != INGOT_DT_FLOAT || v->type.rank > e->rank) {
      ok = false;
      break;
    }
    int off = e->rank - v->type.rank;
    int64_t st = 1;
    for (int d = e->rank - 1; d >= 0; d--) {
      int64_t dim = d < off ? 1 : v->type.dims[d - off].v;
      e->str[x][d] = (dim == 1) ? 0 : st;
      st *= dim;
    }
  }
  e->vector = ok;
}

/* Element offset of extra input x for the output vector at (grow, col). */
static LLVMValueRef extra_off(cg_t *cg, const cg_vepi_t *e, uint32_t x, LLVMValueRef grow, LLVMValueRef col) {
  LLVMValueRef c[INGOT_MAX_RANK];
  if (e->split >= 0) {
    int sp = e->split;
    LLVMValueRef r = cg_i64(cg, 0), q = cg_i64(cg, 0);
    if (sp > 0) {
      cg_unflatten(cg, grow, sp, e->odims, c);
      r = cg_dot(cg, sp, c, e->str[x]);
    }
    if (sp < e->rank) {
      cg_unflatten(cg, col, e->rank - sp, e->odims + sp, c);
      q = cg_dot(cg, e->rank - sp, c, e->str[x] + sp);
    }
    return LLVMBuildNSWAdd(cg->b, r, q, "");
  }
  LLVMValueRef idx = LLVMBuildNSWAdd(cg->b, LLVMBuildNSWMul(cg->b, grow, cg_i64(cg, e->N), ""), col, "");
  cg_unflatten(cg, idx, e->rank, e->odims, c);
  return cg_dot(cg, e->rank, c, e->str[x]);
}

/* One op on vectors: the IEEE basics directly, the rest lane by lane with
 * the elementwise emitter's scalar code. */
static LLVMValueRef vec_op(cg_t *cg, const ingot_fuse_step_t *s, LLVMValueRef *a, int lanes) {
  LLVMBuilderRef b = cg->b;
  switch (s->op) {
    case INGOT_OP_ADD: return LLVMBuildFAdd(b, a[0], a[1], "");
    case INGOT_OP_SUB: return LLVMBuildFSub(b, a[0], a[1], "");
    case INGOT_OP_MUL: return LLVMBuildFMul(b, a[0], a[1], "");
    case INGOT_OP_DIV: return LLVMBuildFDiv(b, a[0], a[1], "");
    case INGOT_OP_NEG: return LLVMBuildFNeg(b, a[0], "");
    case INGOT_OP_IDENTITY: return a[0];
    case INGOT_OP_RELU: {
      LLVMValueRef zero = LLVMConstNull(LLVMTypeOf(a[0]));
      return LLVMBuildSelect(b, LLVMBuildFCmp(b, LLVMRealOLT, a[0], zero, ""), zero, a[0], "");
    }
    default: break;
  }
  LLVMValueRef out = LLVMGetUndef(LLVMVectorType(cg->t_f32, (unsigned)lanes));
  for (int l = 0; l < lanes; l++) {
    LLVMValueRef li = LLVMConstInt(cg->t_i32, (unsigned long long)l, 0), sa[3] = {NULL, NULL, NULL};
    for (int j = 0; j < s->nargs && j < 3; j++) sa[j] = a[j] ? LLVMBuildExtractElement(b, a[j], li, "") : NULL;
    LLVMValueRef r = cg_scalar_f32(cg, s->op, s->src, sa, s->nargs);
    out = LLVMBuildInsertElement(b, out, r ? r : sa[0], li, "");
  }
  return out;
}

/* cg_emit_fused (cg_fused.c) checks that the anchor's emitter applied the
 * epilogue by looking for the marker cg_epilogue leaves (a call to
 * llvm.donothing tagged !ingot.epilogue, removed afterwards); code that
 * applies it without cg_epilogue leaves the same marker. */
static void mark_applied(cg_t *cg) {
  LLVMTypeRef ft = LLVMFunctionType(cg->t_void, NULL, 0, 0);
  LLVMValueRef fn = LLVMGetNamedFunction(cg->mod, "llvm.donothing");
  if (!fn) fn = LLVMAddFunction(cg->mod, "llvm.donothing", ft);
  LLVMValueRef call = LLVMBuildCall2(cg->b, ft, fn, NULL, 0, "");
  LLVMSetMetadata(call, LLVMGetMDKindIDInContext(cg->ctx, "ingot.epilogue", 14), LLVMMDNodeInContext(cg->ctx, NULL, 0));
}

LLVMValueRef cg_vepi_apply(cg_t *cg, cg_kernel_t *k, const cg_vepi_t *e, LLVMValueRef v, LLVMValueRef grow,
                           LLVMValueRef col) {
  const ingot_fusion_t *f = (const ingot_fusion_t *)k->fusion;
  if (!f || f->nsteps == 0) return v;
  mark_applied(cg);
  int L = e->lanes;
  LLVMValueRef regs[64], extra[CG_MAX_IO] = {0};
  for (uint32_t i = 0; i < f->nsteps; i++) {
    const ingot_fuse_step_t *s = &f->steps[i];
    LLVMValueRef a[3] = {NULL, NULL, NULL};
    for (int j = 0; j < s->nargs && j < 3; j++) {
      const ingot_fuse_operand_t *o = &s->args[j];
      switch (o->kind) {
        case INGOT_FUSE_REG: a[j] = regs[o->index]; break;
        case INGOT_FUSE_CONST: a[j] = cg_vsplat(cg, LLVMConstReal(cg->t_f32, o->value), L); break;
        case INGOT_FUSE_INPUT: {
          uint32_t x = (uint32_t)o->index;
          if (!extra[x]) {
            LLVMValueRef off = extra_off(cg, e, x, grow, col);
            LLVMValueRef p = LLVMBuildInBoundsGEP2(cg->b, cg->t_f32, k->extra[x], &off, 1, "");
            extra[x] = e->str[x][e->rank - 1] == 1 ? cg_vload(cg, p, L, L)
                                                   : cg_vsplat(cg, LLVMBuildLoad2(cg->b, cg->t_f32, p, ""), L);
          }
          a[j] = extra[x];
          break;
        }
        default: a[j] = v; break; /* INGOT_FUSE_ACC */
      }
    }
    regs[i] = vec_op(cg, s, a, L);
  }
  return regs[f->nsteps - 1];
}
