/* Small LLVM IR building helpers shared by all emitters (see cg.h). */
#include <llvm-c/DebugInfo.h>
#include <stdarg.h>
#include <string.h>

#include "codegen/cg.h"

LLVMTypeRef cg_type(cg_t *cg, int dtype) {
  switch (dtype) {
    case INGOT_DT_FLOAT: return cg->t_f32;
    case INGOT_DT_DOUBLE: return cg->t_f64;
    case INGOT_DT_FLOAT16: return cg->t_f16;
    case INGOT_DT_BFLOAT16: return cg->t_i16; /* raw bits: LLVM 14's x86 backend cannot select bfloat ops */
    case INGOT_DT_INT64:
    case INGOT_DT_UINT64: return cg->t_i64;
    case INGOT_DT_INT32:
    case INGOT_DT_UINT32: return cg->t_i32;
    case INGOT_DT_INT16:
    case INGOT_DT_UINT16: return cg->t_i16;
    default: return cg->t_i8; /* int8, uint8, bool */
  }
}

LLVMValueRef cg_i64(cg_t *cg, int64_t v) { return LLVMConstInt(cg->t_i64, (unsigned long long)v, 1); }
LLVMValueRef cg_f32(cg_t *cg, double v) { return LLVMConstReal(cg->t_f32, v); }

LLVMValueRef cg_const(cg_t *cg, int dtype, double v) {
  LLVMTypeRef t = cg_type(cg, dtype);
  if (ingot_dtype_is_float(dtype)) return LLVMConstReal(t, v);
  if (dtype == INGOT_DT_BOOL) return LLVMConstInt(t, v != 0, 0);
  return LLVMConstInt(t, (unsigned long long)(long long)v, 1);
}

LLVMValueRef cg_loop_begin(cg_t *cg, cg_loop_t *L, LLVMValueRef lo, LLVMValueRef hi, const char *name) {
  LLVMBasicBlockRef pre = LLVMGetInsertBlock(cg->b);
  L->header = LLVMAppendBasicBlockInContext(cg->ctx, cg->fn, name);
  L->body = LLVMAppendBasicBlockInContext(cg->ctx, cg->fn, name);
  L->exit = LLVMAppendBasicBlockInContext(cg->ctx, cg->fn, name);
  LLVMBuildBr(cg->b, L->header);
  LLVMPositionBuilderAtEnd(cg->b, L->header);
  L->iv = LLVMBuildPhi(cg->b, cg->t_i64, name);
  LLVMAddIncoming(L->iv, &lo, &pre, 1);
  LLVMValueRef c = LLVMBuildICmp(cg->b, LLVMIntSLT, L->iv, hi, "");
  LLVMBuildCondBr(cg->b, c, L->body, L->exit);
  LLVMPositionBuilderAtEnd(cg->b, L->body);
  return L->iv;
}

void cg_init_module(cg_t *c, const char *name) {
  c->ctx = LLVMContextCreate();
  c->mod = LLVMModuleCreateWithNameInContext(name, c->ctx);
  c->b = LLVMCreateBuilderInContext(c->ctx);
  c->t_void = LLVMVoidTypeInContext(c->ctx);
  c->t_i1 = LLVMInt1TypeInContext(c->ctx);
  c->t_i8 = LLVMInt8TypeInContext(c->ctx);
  c->t_i16 = LLVMInt16TypeInContext(c->ctx);
  c->t_i32 = LLVMInt32TypeInContext(c->ctx);
  c->t_i64 = LLVMInt64TypeInContext(c->ctx);
  c->t_f16 = LLVMHalfTypeInContext(c->ctx);
  c->t_bf16 = LLVMBFloatTypeInContext(c->ctx);
  c->t_f32 = LLVMFloatTypeInContext(c->ctx);
  c->t_f64 = LLVMDoubleTypeInContext(c->ctx);
  c->t_ptr = LLVMPointerType(c->t_i8, 0);
  c->prefix = name;
}

void cg_loop_end(cg_t *cg, cg_loop_t *L) {
  LLVMValueRef next = LLVMBuildNSWAdd(cg->b, L->iv, cg_i64(cg, 1), "");
  LLVMBasicBlockRef latch = LLVMGetInsertBlock(cg->b);
  LLVMBuildBr(cg->b, L->header);
  LLVMAddIncoming(L->iv, &next, &latch, 1);
  LLVMPositionBuilderAtEnd(cg->b, L->exit);
}

void cg_loop_end_no_unroll(cg_t *cg, cg_loop_t *L) {
  LLVMBasicBlockRef latch = LLVMGetInsertBlock(cg->b);
  cg_loop_end(cg, L);
  LLVMValueRef br = LLVMGetBasicBlockTerminator(latch);
  /* !llvm.loop !0, !0 = !{!0, !1}, !1 = !{!"llvm.loop.unroll.disable"} */
  LLVMMetadataRef tmp = LLVMTemporaryMDNode(cg->ctx, NULL, 0);
  LLVMMetadataRef s = LLVMMDStringInContext2(cg->ctx, "llvm.loop.unroll.disable", 24);
  LLVMMetadataRef ops[2] = {tmp, LLVMMDNodeInContext2(cg->ctx, &s, 1)};
  LLVMMetadataRef id = LLVMMDNodeInContext2(cg->ctx, ops, 2);
  LLVMMetadataReplaceAllUsesWith(tmp, id);
  LLVMSetMetadata(br, LLVMGetMDKindIDInContext(cg->ctx, "llvm.loop", 9), LLVMMetadataAsValue(cg->ctx, id));
}

void cg_if_begin(cg_t *cg, cg_if_t *c, LLVMValueRef cond) {
  c->then_bb = LLVMAppendBasicBlockInContext(cg->ctx, cg->fn, "then");
  c->else_bb = LLVMAppendBasicBlockInContext(cg->ctx, cg->fn, "else");
  c->end_bb = LLVMAppendBasicBlockInContext(cg->ctx, cg->fn, "endif");
  LLVMBuildCondBr(cg->b, cond, c->then_bb, c->else_bb);
  LLVMPositionBuilderAtEnd(cg->b, c->then_bb);
}

void cg_if_else(cg_t *cg, cg_if_t *c) {
  LLVMBuildBr(cg->b, c->end_bb);
  LLVMPositionBuilderAtEnd(cg->b, c->else_bb);
  c->else_bb = NULL; /* marks the else branch as started */
}

void cg_if_end(cg_t *cg, cg_if_t *c) {
  LLVMBuildBr(cg->b, c->end_bb);
  if (c->else_bb) { /* no else: the empty else block just falls through */
    LLVMPositionBuilderAtEnd(cg->b, c->else_bb);
    LLVMBuildBr(cg->b, c->end_bb);
  }
  LLVMPositionBuilderAtEnd(cg->b, c->end_bb);
}

LLVMValueRef cg_alloca(cg_t *cg, LLVMTypeRef t, const char *name) {
  LLVMBasicBlockRef cur = LLVMGetInsertBlock(cg->b);
  LLVMValueRef first = LLVMGetFirstInstruction(cg->entry);
  if (first) LLVMPositionBuilderBefore(cg->b, first);
  else LLVMPositionBuilderAtEnd(cg->b, cg->entry);
  LLVMValueRef a = LLVMBuildAlloca(cg->b, t, name);
  LLVMPositionBuilderAtEnd(cg->b, cur);
  return a;
}

static LLVMValueRef elem_ptr(cg_t *cg, int dtype, LLVMValueRef base, LLVMValueRef idx) {
  return LLVMBuildInBoundsGEP2(cg->b, cg_type(cg, dtype), base, &idx, 1, "");
}

LLVMValueRef cg_load(cg_t *cg, int dtype, LLVMValueRef base, LLVMValueRef idx) {
  return LLVMBuildLoad2(cg->b, cg_type(cg, dtype), elem_ptr(cg, dtype, base, idx), "");
}

void cg_store(cg_t *cg, int dtype, LLVMValueRef base, LLVMValueRef idx, LLVMValueRef v) {
  LLVMBuildStore(cg->b, v, elem_ptr(cg, dtype, base, idx));
}

static LLVMValueRef convert_basic(cg_t *cg, LLVMValueRef v, int from, int to) {
  if (from == to) return v;
  LLVMTypeRef tt = cg_type(cg, to);
  bool ff = ingot_dtype_is_float(from), tf = ingot_dtype_is_float(to);
  bool fu = from == INGOT_DT_UINT8 || from == INGOT_DT_UINT16 || from == INGOT_DT_UINT32 || from == INGOT_DT_UINT64;
  bool tu = to == INGOT_DT_UINT8 || to == INGOT_DT_UINT16 || to == INGOT_DT_UINT32 || to == INGOT_DT_UINT64;
  if (to == INGOT_DT_BOOL) {
    LLVMValueRef nz = ff ? LLVMBuildFCmp(cg->b, LLVMRealUNE, v, LLVMConstNull(LLVMTypeOf(v)), "")
                         : LLVMBuildICmp(cg->b, LLVMIntNE, v, LLVMConstNull(LLVMTypeOf(v)), "");
    return LLVMBuildZExt(cg->b, nz, tt, "");
  }
  if (ff && tf) {
    /* only float32/float64/float16 pairs reach here (cg_convert routes the rest) */
    unsigned fw = (unsigned)ingot_dtype_size(from), tw = (unsigned)ingot_dtype_size(to);
    return fw < tw ? LLVMBuildFPExt(cg->b, v, tt, "") : LLVMBuildFPTrunc(cg->b, v, tt, "");
  }
  if (ff) {
    if (from == INGOT_DT_BFLOAT16 || from == INGOT_DT_FLOAT16) v = cg_convert(cg, v, from, INGOT_DT_FLOAT);
    /* fptosi of an out-of-range value is poison: the saturating intrinsics
     * are defined for every input (NaN -> 0). */
    return cg_intrinsic(cg, tu ? "llvm.fptoui.sat" : "llvm.fptosi.sat", tt, &v, 1);
  }
  if (tf) {
    if (to == INGOT_DT_BFLOAT16) return cg_convert(cg, cg_convert(cg, v, from, INGOT_DT_FLOAT), INGOT_DT_FLOAT, to);
    if (from == INGOT_DT_BOOL || fu) return LLVMBuildUIToFP(cg->b, v, tt, "");
    return LLVMBuildSIToFP(cg->b, v, tt, "");
  }
  unsigned fw = LLVMGetIntTypeWidth(LLVMTypeOf(v)), tw = LLVMGetIntTypeWidth(tt);
  if (fw == tw) return v;
  if (fw > tw) return LLVMBuildTrunc(cg->b, v, tt, "");
  return (fu || from == INGOT_DT_BOOL) ? LLVMBuildZExt(cg->b, v, tt, "") : LLVMBuildSExt(cg->b, v, tt, "");
}

static LLVMValueRef i32c(cg_t *cg, uint32_t v) { return LLVMConstInt(cg->t_i32, v, 0); }

/* double -> float rounded to odd (truncate toward zero, set the last bit when
 * inexact): rounding that to float16/bfloat16 then equals rounding the double
 * directly, as the evaluator does (to_f32_odd).  Overflow gives FLT_MAX|1,
 * which still rounds to infinity in the narrow type. */
static LLVMValueRef f64_to_f32_odd(cg_t *cg, LLVMValueRef d) {
  LLVMBuilderRef b = cg->b;
  LLVMValueRef f = LLVMBuildFPTrunc(b, d, cg->t_f32, "");
  LLVMValueRef back = LLVMBuildFPExt(b, f, cg->t_f64, "");
  LLVMValueRef inexact = LLVMBuildFCmp(b, LLVMRealONE, back, d, "");
  LLVMValueRef ab = cg_intrinsic(cg, "llvm.fabs", cg->t_f64, &back, 1);
  LLVMValueRef ad = cg_intrinsic(cg, "llvm.fabs", cg->t_f64, &d, 1);
  LLVMValueRef away = LLVMBuildFCmp(b, LLVMRealOGT, ab, ad, ""); /* rounded up in magnitude */
  LLVMValueRef u = LLVMBuildBitCast(b, f, cg->t_i32, "");
  u = LLVMBuildSelect(b, away, LLVMBuildSub(b, u, i32c(cg, 1), ""), u, "");
  u = LLVMBuildSelect(b, inexact, LLVMBuildOr(b, u, i32c(cg, 1), ""), u, "");
  return LLVMBuildBitCast(b, u, cg->t_f32, "");
}

/* cg_convert with bfloat16 handled as raw i16 bits (see the top comment) and
 * every float16 conversion going through float32: LLVM 14 lowers the others
 * (double <-> half, integer -> half) to libgcc calls whose half ABI it does
 * not share with GCC 12.  Conversions to the narrow floats round once, like
 * the evaluator: integers go exactly through double, doubles through a
 * float rounded to odd. */
LLVMValueRef cg_convert(cg_t *cg, LLVMValueRef v, int from, int to) {
  if (from == to) return v;
  LLVMBuilderRef b = cg->b;
  bool narrow_to = to == INGOT_DT_FLOAT16 || to == INGOT_DT_BFLOAT16;
  if (from == INGOT_DT_DOUBLE && narrow_to) return cg_convert(cg, f64_to_f32_odd(cg, v), INGOT_DT_FLOAT, to);
  if (from == INGOT_DT_FLOAT16 && to != INGOT_DT_FLOAT)
    return cg_convert(cg, convert_basic(cg, v, from, INGOT_DT_FLOAT), INGOT_DT_FLOAT, to);
  if (narrow_to && !ingot_dtype_is_float(from)) /* integers: one rounding to double, then as the double */
    return cg_convert(cg, convert_basic(cg, v, from, INGOT_DT_DOUBLE), INGOT_DT_DOUBLE, to);
  if (to == INGOT_DT_FLOAT16 && from != INGOT_DT_FLOAT)
    return convert_basic(cg, cg_convert(cg, v, from, INGOT_DT_FLOAT), INGOT_DT_FLOAT, to);
  if (from == INGOT_DT_BFLOAT16) {
    LLVMValueRef u = LLVMBuildShl(b, LLVMBuildZExt(b, v, cg->t_i32, ""), i32c(cg, 16), "");
    return cg_convert(cg, LLVMBuildBitCast(b, u, cg->t_f32, ""), INGOT_DT_FLOAT, to);
  }
  if (to == INGOT_DT_BFLOAT16) {
    /* round to nearest even on the bits; NaN stays a quiet NaN */
    LLVMValueRef f = cg_convert(cg, v, from, INGOT_DT_FLOAT);
    LLVMValueRef u = LLVMBuildBitCast(b, f, cg->t_i32, "");
    LLVMValueRef hi = LLVMBuildLShr(b, u, i32c(cg, 16), "");
    LLVMValueRef odd = LLVMBuildAnd(b, hi, i32c(cg, 1), "");
    LLVMValueRef r = LLVMBuildAdd(b, u, LLVMBuildAdd(b, odd, i32c(cg, 0x7fff), ""), "");
    r = LLVMBuildLShr(b, r, i32c(cg, 16), "");
    LLVMValueRef qnan = LLVMBuildOr(b, hi, i32c(cg, 0x40), "");
    LLVMValueRef isnan = LLVMBuildFCmp(b, LLVMRealUNO, f, f, "");
    return LLVMBuildTrunc(b, LLVMBuildSelect(b, isnan, qnan, r, ""), cg->t_i16, "");
  }
  return convert_basic(cg, v, from, to);
}

LLVMValueRef cg_load_f32(cg_t *cg, int dtype, LLVMValueRef base, LLVMValueRef idx) {
  return cg_convert(cg, cg_load(cg, dtype, base, idx), dtype, INGOT_DT_FLOAT);
}

void cg_store_f32(cg_t *cg, int dtype, LLVMValueRef base, LLVMValueRef idx, LLVMValueRef v) {
  cg_store(cg, dtype, base, idx, cg_convert(cg, v, INGOT_DT_FLOAT, dtype));
}

LLVMValueRef cg_intrinsic(cg_t *cg, const char *name, LLVMTypeRef overload, LLVMValueRef *args, unsigned n) {
  unsigned id = LLVMLookupIntrinsicID(name, strlen(name));
  LLVMTypeRef tys[2] = {overload, n ? LLVMTypeOf(args[0]) : overload};
  /* fptosi.sat / fptoui.sat are overloaded on result and operand types */
  unsigned ntys = (strstr(name, ".sat") != NULL) ? 2 : 1;
  LLVMValueRef f = LLVMGetIntrinsicDeclaration(cg->mod, id, tys, ntys);
  LLVMTypeRef ft = LLVMIntrinsicGetType(cg->ctx, id, tys, ntys);
  return LLVMBuildCall2(cg->b, ft, f, args, n, "");
}

LLVMValueRef cg_libm_f32(cg_t *cg, const char *name, LLVMValueRef x) {
  LLVMTypeRef ft = LLVMFunctionType(cg->t_f32, &cg->t_f32, 1, 0);
  LLVMValueRef f = LLVMGetNamedFunction(cg->mod, name);
  if (!f) f = LLVMAddFunction(cg->mod, name, ft);
  return LLVMBuildCall2(cg->b, ft, f, &x, 1, "");
}

int64_t cg_strides(const ingot_type_t *t, int64_t *strides) {
  int64_t s = 1;
  for (int d = t->rank - 1; d >= 0; d--) {
    strides[d] = s;
    s *= t->dims[d].v;
  }
  return s;
}

void cg_unflatten(cg_t *cg, LLVMValueRef flat, int rank, const int64_t *dims, LLVMValueRef *coords) {
  for (int d = rank - 1; d >= 0; d--) {
    if (d == 0) {
      coords[d] = flat;
      break;
    }
    LLVMValueRef dim = cg_i64(cg, dims[d]);
    coords[d] = dims[d] == 1 ? cg_i64(cg, 0) : LLVMBuildURem(cg->b, flat, dim, "");
    flat = dims[d] == 1 ? flat : LLVMBuildUDiv(cg->b, flat, dim, "");
  }
}

LLVMValueRef cg_dot(cg_t *cg, int rank, LLVMValueRef *coords, const int64_t *strides) {
  LLVMValueRef acc = cg_i64(cg, 0);
  for (int d = 0; d < rank; d++) {
    if (strides[d] == 0) continue;
    LLVMValueRef term = strides[d] == 1 ? coords[d] : LLVMBuildNSWMul(cg->b, coords[d], cg_i64(cg, strides[d]), "");
    acc = LLVMBuildNSWAdd(cg->b, acc, term, "");
  }
  return acc;
}

int cg_dims(const ingot_value_t *v, int64_t *dims) {
  for (int d = 0; d < v->type.rank; d++) dims[d] = v->type.dims[d].v;
  return v->type.rank;
}

ingot_status_t cg_error(cg_t *cg, const cg_kernel_t *k, ingot_code_t code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  ingot_status_t st = ingot_errorv(code, fmt, ap);
  va_end(ap);
  char where[512];
  ingot_node_where(cg->g, k->node, where, sizeof where);
  return ingot_status_annotate(st, "%s: %s", cg->g->source, where);
}
