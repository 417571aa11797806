/* Math on the GPU: what the NVPTX backend cannot select becomes libdevice.
 *
 * The emitters call transcendental functions the CPU way: LLVM intrinsics
 * (llvm.exp, llvm.log, llvm.pow, llvm.sin, llvm.cos... possibly on vectors)
 * and libm functions (erff, tanhf...).  NVPTX has no instructions for them
 * and no libm, so before optimisation this pass
 *   - rewrites those intrinsic calls into calls of libdevice's __nv_expf,
 *     __nv_log, ... (lane by lane for vectors),
 *   - renames libm declarations X to __nv_X (libdevice implements the C99
 *     math library under that prefix, with the same signatures),
 *   - turns frem into __nv_fmodf / __nv_fmod,
 *   - expands llvm.maximum/minimum (NaN-propagating; NVPTX in LLVM 14
 *     only has the maxnum flavour) into maxnum/minnum plus a NaN select,
 * then links libdevice.10.bc (LLVMLinkModules2) and gives every function
 * but the kernels internal linkage, so the optimiser inlines what is used
 * and drops the rest.  __nvvm_reflect("__CUDA_FTZ") in libdevice resolves
 * to the module flag nvvm-reflect-ftz = 0: denormals are kept, as on the CPU.
 *
 * libdevice is found at $INGOT_LIBDEVICE, $CUDA_HOME/nvvm/libdevice/
 * libdevice.10.bc or /usr/local/cuda/nvvm/libdevice/libdevice.10.bc; it is
 * needed only when a kernel uses one of these functions. */
#include <llvm-c/BitReader.h>
#include <llvm-c/Linker.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "codegen/gpu_impl.h"

typedef struct {
  const char *intrinsic; /* base name, e.g. "llvm.exp" */
  const char *f32, *f64;
  unsigned nargs;
} math_map_t;

static const math_map_t maps[] = {
    {"llvm.exp", "__nv_expf", "__nv_exp", 1},       {"llvm.exp2", "__nv_exp2f", "__nv_exp2", 1},
    {"llvm.log", "__nv_logf", "__nv_log", 1},       {"llvm.log2", "__nv_log2f", "__nv_log2", 1},
    {"llvm.log10", "__nv_log10f", "__nv_log10", 1}, {"llvm.pow", "__nv_powf", "__nv_pow", 2},
    {"llvm.sin", "__nv_sinf", "__nv_sin", 1},       {"llvm.cos", "__nv_cosf", "__nv_cos", 1},
    {"llvm.round", "__nv_roundf", "__nv_round", 1},
};

/* "llvm.exp.v4f32" -> the map entry for "llvm.exp", or NULL. */
static const math_map_t *map_of(const char *name, size_t len) {
  for (size_t i = 0; i < sizeof maps / sizeof *maps; i++) {
    size_t l = strlen(maps[i].intrinsic);
    if (len > l && !strncmp(name, maps[i].intrinsic, l) && name[l] == '.') {
      /* "llvm.exp.f32" must not match "llvm.exp2.f32" */
      return &maps[i];
    }
  }
  return NULL;
}

static LLVMValueRef nv_fn(cg_t *c, const char *name, LLVMTypeRef t, unsigned nargs) {
  LLVMTypeRef params[2] = {t, t};
  LLVMTypeRef ft = LLVMFunctionType(t, params, nargs, 0);
  LLVMValueRef f = LLVMGetNamedFunction(c->mod, name);
  if (!f) f = LLVMAddFunction(c->mod, name, ft);
  return f;
}

/* Calls name(args) lane by lane when the operands are vectors. */
static LLVMValueRef call_lanes(cg_t *c, const char *name32, const char *name64, LLVMValueRef *args, unsigned nargs) {
  LLVMTypeRef t = LLVMTypeOf(args[0]);
  bool vec = LLVMGetTypeKind(t) == LLVMVectorTypeKind;
  LLVMTypeRef et = vec ? LLVMGetElementType(t) : t;
  bool f64 = et == c->t_f64;
  bool f16 = et == c->t_f16;
  LLVMTypeRef ct = f64 ? c->t_f64 : c->t_f32;
  LLVMValueRef f = nv_fn(c, f64 ? name64 : name32, ct, nargs);
  LLVMTypeRef params[2] = {ct, ct};
  LLVMTypeRef ft = LLVMFunctionType(ct, params, nargs, 0);
  unsigned lanes = vec ? LLVMGetVectorSize(t) : 1;
  LLVMValueRef r = vec ? LLVMGetUndef(t) : NULL;
  for (unsigned l = 0; l < lanes; l++) {
    LLVMValueRef a[2];
    for (unsigned i = 0; i < nargs; i++) {
      LLVMValueRef x = vec ? LLVMBuildExtractElement(c->b, args[i], LLVMConstInt(c->t_i32, l, 0), "") : args[i];
      a[i] = f16 ? LLVMBuildFPExt(c->b, x, c->t_f32, "") : x;
    }
    LLVMValueRef y = LLVMBuildCall2(c->b, ft, f, a, nargs, "");
    if (f16) y = LLVMBuildFPTrunc(c->b, y, c->t_f16, "");
    r = vec ? LLVMBuildInsertElement(c->b, r, y, LLVMConstInt(c->t_i32, l, 0), "") : y;
  }
  return r;
}

static LLVMValueRef intrinsic_call(cg_t *c, const char *base, LLVMTypeRef t, LLVMValueRef *args, unsigned n) {
  unsigned id = LLVMLookupIntrinsicID(base, strlen(base));
  LLVMValueRef f = LLVMGetIntrinsicDeclaration(c->mod, id, &t, 1);
  LLVMTypeRef ft = LLVMIntrinsicGetType(c->ctx, id, &t, 1);
  return LLVMBuildCall2(c->b, ft, f, args, n, "");
}

/* Rewrites one instruction; returns the replacement or NULL to keep it. */
static LLVMValueRef rewrite(cg_t *c, LLVMValueRef inst) {
  LLVMOpcode op = LLVMGetInstructionOpcode(inst);
  if (op == LLVMFRem) {
    LLVMValueRef a[2] = {LLVMGetOperand(inst, 0), LLVMGetOperand(inst, 1)};
    return call_lanes(c, "__nv_fmodf", "__nv_fmod", a, 2);
  }
  if (op != LLVMCall) return NULL;
  LLVMValueRef callee = LLVMGetCalledValue(inst);
  if (!callee || !LLVMIsAFunction(callee)) return NULL;
  size_t len;
  const char *name = LLVMGetValueName2(callee, &len);
  if (len < 6 || strncmp(name, "llvm.", 5)) return NULL;
  unsigned nargs = (unsigned)LLVMGetNumArgOperands(inst);
  LLVMValueRef a[3];
  for (unsigned i = 0; i < nargs && i < 3; i++) a[i] = LLVMGetOperand(inst, i);
  const math_map_t *m = map_of(name, len);
  if (m && m->nargs == nargs) return call_lanes(c, m->f32, m->f64, a, nargs);
  bool mx = len > 13 && !strncmp(name, "llvm.maximum.", 13), mn = len > 13 && !strncmp(name, "llvm.minimum.", 13);
  if ((mx || mn) && nargs == 2) {
    LLVMTypeRef t = LLVMTypeOf(a[0]);
    LLVMValueRef r = intrinsic_call(c, mx ? "llvm.maxnum" : "llvm.minnum", t, a, 2);
    LLVMValueRef nan = LLVMBuildFCmp(c->b, LLVMRealUNO, a[0], a[1], "");
    return LLVMBuildSelect(c->b, nan, LLVMBuildFAdd(c->b, a[0], a[1], ""), r, "");
  }
  return NULL;
}

static bool is_kernel(const ingot_gpu_t *gpu, const char *name) {
  for (int i = 0; i < gpu->nkernels; i++)
    if (!strcmp(gpu->kernels[i].entry, name)) return true;
  return false;
}

static const char *find_libdevice(char *buf, size_t n) {
  const char *env = getenv("INGOT_LIBDEVICE");
  if (env && *env) {
    snprintf(buf, n, "%s", env);
    return access(buf, R_OK) == 0 ? buf : NULL;
  }
  const char *home = getenv("CUDA_HOME");
  const char *roots[2] = {home, "/usr/local/cuda"};
  for (int i = 0; i < 2; i++) {
    if (!roots[i] || !*roots[i]) continue;
    snprintf(buf, n, "%s/nvvm/libdevice/libdevice.10.bc", roots[i]);
    if (access(buf, R_OK) == 0) return buf;
  }
  return NULL;
}

ingot_status_t gpu_lower_math(ingot_gpu_t *gpu) {
  cg_t *c = &gpu->c;
  /* 1. rewrite instructions */
  for (LLVMValueRef f = LLVMGetFirstFunction(c->mod); f; f = LLVMGetNextFunction(f)) {
    for (LLVMBasicBlockRef bb = LLVMGetFirstBasicBlock(f); bb; bb = LLVMGetNextBasicBlock(bb)) {
      LLVMValueRef inst = LLVMGetFirstInstruction(bb);
      while (inst) {
        LLVMValueRef next = LLVMGetNextInstruction(inst);
        LLVMPositionBuilderBefore(c->b, inst);
        LLVMValueRef r = rewrite(c, inst);
        if (r) {
          LLVMReplaceAllUsesWith(inst, r);
          LLVMInstructionEraseFromParent(inst);
        }
        inst = next;
      }
    }
  }
  /* 2. libm declarations -> __nv_ */
  bool need = false;
  for (LLVMValueRef f = LLVMGetFirstFunction(c->mod); f; f = LLVMGetNextFunction(f)) {
    if (LLVMCountBasicBlocks(f)) continue;
    size_t len;
    const char *name = LLVMGetValueName2(f, &len);
    if (!strncmp(name, "llvm.", 5)) continue;
    if (!strncmp(name, "__nv_", 5)) {
      need = true;
      continue;
    }
    char nv[256];
    snprintf(nv, sizeof nv, "__nv_%s", name);
    LLVMValueRef existing = LLVMGetNamedFunction(c->mod, nv);
    if (existing) LLVMReplaceAllUsesWith(f, existing);
    else LLVMSetValueName2(f, nv, strlen(nv));
    need = true;
  }
  /* 3. libdevice */
  if (need) {
    char path[4096];
    if (!find_libdevice(path, sizeof path))
      return ingot_error(INGOT_CODE_IO,
                         "the kernels need libdevice (math functions) but it was not found: install the CUDA toolkit "
                         "or set INGOT_LIBDEVICE=/path/to/libdevice.10.bc");
    LLVMMemoryBufferRef mb;
    char *err = NULL;
    if (LLVMCreateMemoryBufferWithContentsOfFile(path, &mb, &err)) {
      ingot_status_t st = ingot_error(INGOT_CODE_IO, "cannot read libdevice '%s': %s", path, err ? err : "?");
      LLVMDisposeMessage(err);
      return st;
    }
    LLVMModuleRef lib;
    LLVMBool bad = LLVMParseBitcodeInContext2(c->ctx, mb, &lib);
    LLVMDisposeMemoryBuffer(mb);
    if (bad) return ingot_error(INGOT_CODE_IO, "'%s' is not an LLVM bitcode file libdevice", path);
    LLVMSetTarget(lib, LLVMGetTarget(c->mod));
    LLVMSetDataLayout(lib, LLVMGetDataLayoutStr(c->mod));
    if (LLVMLinkModules2(c->mod, lib)) return ingot_error(INGOT_CODE_INTERNAL, "linking libdevice '%s' failed", path);
    LLVMAddModuleFlag(c->mod, LLVMModuleFlagBehaviorOverride, "nvvm-reflect-ftz", 16,
                      LLVMValueAsMetadata(LLVMConstInt(c->t_i32, 0, 0)));
  }
  /* 4. everything but the kernels is internal; functions nobody defines are errors */
  for (LLVMValueRef f = LLVMGetFirstFunction(c->mod); f; f = LLVMGetNextFunction(f)) {
    size_t len;
    const char *name = LLVMGetValueName2(f, &len);
    if (!LLVMCountBasicBlocks(f)) {
      if (strncmp(name, "llvm.", 5) && strcmp(name, "__nvvm_reflect") && LLVMGetFirstUse(f))
        return ingot_error(INGOT_CODE_UNSUPPORTED, "function '%s' has no GPU implementation (not in libdevice)", name);
      continue;
    }
    if (!is_kernel(gpu, name)) LLVMSetLinkage(f, LLVMInternalLinkage);
  }
  for (LLVMValueRef v = LLVMGetFirstGlobal(c->mod); v; v = LLVMGetNextGlobal(v))
    if (v != gpu->smem && LLVMGetInitializer(v)) LLVMSetLinkage(v, LLVMInternalLinkage);
  return INGOT_OK;
}
