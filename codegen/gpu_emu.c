/* A CPU emulator for the kernels the GPU backend generates.
 *
 * Why: the GPU tests must mean something on machines without a GPU.  ptxas
 * proves the PTX is well formed, not that it computes the right thing; this
 * emulator runs the same device IR (taken just before libdevice is linked)
 * on the host, so every kernel -- generic, tensor-core GEMM, attention,
 * normalisation -- is checked against the reference evaluator in every CI
 * run.  What it cannot check is everything below the IR: NVPTX instruction
 * selection, ptxas, libdevice's accuracy and real-hardware timing; the
 * GPU execution tests (tests/e2e/gpu_exec.sh) cover those where a GPU
 * exists.
 *
 * How: the device module is retargeted to the host and every GPU-specific
 * operation is replaced by a call to a C function below, passed the
 * emulator as its first argument (the call target and the emulator are
 * constants baked into the IR: no symbol registry, no global state):
 *   llvm.nvvm.read.ptx.sreg.*          emu_sreg (thread and block indices)
 *   llvm.nvvm.barrier0                 emu_bar  (a pthread barrier per block)
 *   llvm.nvvm.shfl.sync.bfly.*         emu_shfl (warp exchange)
 *   inline PTX (recognised by the !ingot.asm text gpu_asm attaches):
 *     mma.sync.aligned.*               emu_mma  (the warp's fragments are
 *                                      gathered and multiplied as the PTX ISA
 *                                      section 9.7.14.5 lays them out)
 *     cvt.rn.f16x2.f32 / bf16x2 / cvt.rna.tf32 / e4m3x2   emu_cvt (gpu_fp.h)
 *     cp.async.{ca,cg}.shared.global   emu_cp   (a synchronous copy with the
 *                                      zero fill; commit/wait_group vanish)
 * Shared memory is the module's @ingot_smem, given a definition; 32-bit
 * shared addresses in asm operands are offsets from its low 32 bits.
 * Kernels without barriers run thread after thread on the caller; the others
 * get one OS thread per GPU thread, all blocks in turn, with a barrier
 * between blocks (so the emulation is slow, but exact in ordering). */
#include <llvm-c/Analysis.h>
#include <llvm-c/ExecutionEngine.h>
#include <llvm-c/Target.h>
#include <llvm-c/Transforms/PassBuilder.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codegen/gpu_fp.h"
#include "codegen/gpu_impl.h"

#define EMU_SMEM (232 * 1024)
#define MAX_THREADS 1024

enum { K_MMA_F16, K_MMA_BF16, K_MMA_TF32, K_MMA_E4M3 };
enum { C_F16X2, C_BF16X2, C_TF32, C_E4M3X4 };

typedef struct {
  pthread_barrier_t bar;
  uint32_t a[32][4], b[32][2];
  float c[32][4];
  float x[32];
} emu_warp_t;

typedef struct {
  int tid, ctaid[3];
} emu_thread_t;

typedef struct gpu_emu {
  ingot_gpu_t *gpu;
  LLVMExecutionEngineRef ee;
  pthread_key_t key;
  uint8_t *smem;
  uint32_t smem_lo;
  void (**call)(void **args); /* per kernel: emu_call wrapper */
  /* the launch being run */
  uint32_t grid[3], block[3];
  pthread_barrier_t block_bar;
  emu_warp_t *warps;
  int threaded;
  char err[256];
} emu_t;

/* ---- what the kernels call ----------------------------------------------------------------- */

static emu_thread_t *self(emu_t *e) { return pthread_getspecific(e->key); }

static int32_t emu_sreg(emu_t *e, int32_t code) {
  emu_thread_t *t = self(e);
  switch (code) {
    case 0: return t->tid;
    case 1: case 2: return 0;
    case 3: case 4: case 5: return t->ctaid[code - 3];
    case 6: return (int32_t)e->block[0];
    case 7: case 8: return 1;
    case 9: case 10: case 11: return (int32_t)e->grid[code - 9];
    case 12: return t->tid & 31;
    default: return 32;
  }
}

static void emu_bar(emu_t *e) {
  if (e->threaded) pthread_barrier_wait(&e->block_bar);
}

static emu_warp_t *warp_of(emu_t *e, int *lane) {
  emu_thread_t *t = self(e);
  *lane = t->tid & 31;
  return &e->warps[t->tid / 32];
}

static float emu_shfl(emu_t *e, float v, int32_t mask) {
  int lane;
  emu_warp_t *w = warp_of(e, &lane);
  w->x[lane] = v;
  pthread_barrier_wait(&w->bar);
  float r = w->x[(lane ^ mask) & 31];
  pthread_barrier_wait(&w->bar);
  return r;
}

static uint32_t emu_cvt(emu_t *e, int32_t kind, float a, float b, float c, float d) {
  (void)e;
  switch (kind) {
    case C_F16X2: return (uint32_t)gpu_f32_to_f16(a) << 16 | gpu_f32_to_f16(b);
    case C_BF16X2: return (uint32_t)gpu_f32_to_bf16(a) << 16 | gpu_f32_to_bf16(b);
    case C_TF32: return gpu_f32_to_tf32(a);
    default: /* {cvt(a,b) -> low half, cvt(c,d) -> high half}, each a -> upper byte */
      return (uint32_t)gpu_f32_to_e4m3(a) << 8 | gpu_f32_to_e4m3(b) | (uint32_t)gpu_f32_to_e4m3(c) << 24 |
             (uint32_t)gpu_f32_to_e4m3(d) << 16;
  }
}

static void emu_cp(emu_t *e, uint32_t dst, int64_t src, int32_t srcsize, int32_t bytes) {
  uint8_t *d = e->smem + (uint32_t)(dst - e->smem_lo);
  if (srcsize > 0) memcpy(d, (const void *)(uintptr_t)src, (size_t)srcsize);
  if (srcsize < bytes) memset(d + (srcsize > 0 ? srcsize : 0), 0, (size_t)(bytes - (srcsize > 0 ? srcsize : 0)));
}

/* Element (i of register r) of an operand register as float. */
static float elem(int kind, uint32_t reg, int i) {
  switch (kind) {
    case K_MMA_F16: return gpu_f16_to_f32((uint16_t)(reg >> (16 * i)));
    case K_MMA_BF16: return gpu_bf16_to_f32((uint16_t)(reg >> (16 * i)));
    case K_MMA_TF32: return gpu_tf32_to_f32(reg);
    default: return gpu_e4m3_to_f32((uint8_t)(reg >> (8 * i)));
  }
}

/* D = A B + C for a warp, fragments laid out as in the PTX ISA. */
static void emu_mma(emu_t *e, int32_t kind, uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3, uint32_t b0,
                    uint32_t b1, float c0, float c1, float c2, float c3, float *out) {
  int lane;
  emu_warp_t *w = warp_of(e, &lane);
  w->a[lane][0] = a0;
  w->a[lane][1] = a1;
  w->a[lane][2] = a2;
  w->a[lane][3] = a3;
  w->b[lane][0] = b0;
  w->b[lane][1] = b1;
  w->c[lane][0] = c0;
  w->c[lane][1] = c1;
  w->c[lane][2] = c2;
  w->c[lane][3] = c3;
  pthread_barrier_wait(&w->bar);
  int K = kind == K_MMA_TF32 ? 8 : kind == K_MMA_E4M3 ? 32 : 16;
  int epr = kind == K_MMA_TF32 ? 1 : kind == K_MMA_E4M3 ? 4 : 2;
  float A[16][32], B[32][8];
  for (int l = 0; l < 32; l++) {
    int g = l >> 2, t = l & 3;
    for (int r = 0; r < 4; r++)
      for (int i = 0; i < epr; i++) A[g + 8 * (r & 1)][(r >> 1) * (K / 2) + epr * t + i] = elem(kind, w->a[l][r], i);
    for (int r = 0; r < 2; r++)
      for (int i = 0; i < epr; i++) B[r * (K / 2) + epr * t + i][g] = elem(kind, w->b[l][r], i);
  }
  int g = lane >> 2, t = lane & 3;
  for (int r = 0; r < 4; r++) {
    int row = g + 8 * (r >> 1), col = 2 * t + (r & 1);
    float acc = w->c[lane][r];
    for (int k = 0; k < K; k++) acc += A[row][k] * B[k][col];
    out[r] = acc;
  }
  pthread_barrier_wait(&w->bar);
}

/* ---- rewriting the module ---------------------------------------------------------------------- */

static LLVMValueRef host_fn(cg_t *c, void (*fn)(void), LLVMTypeRef ft) {
  uintptr_t addr;
  memcpy(&addr, &fn, sizeof addr);
  return LLVMConstIntToPtr(LLVMConstInt(c->t_i64, addr, 0), LLVMPointerType(ft, 0));
}

#define FN(f) ((void (*)(void))(f))

static ingot_status_t rewrite_call(emu_t *e, cg_t *c, LLVMValueRef inst, LLVMValueRef alloca_out, bool *threaded) {
  LLVMValueRef callee = LLVMGetCalledValue(inst);
  LLVMValueRef ep = LLVMConstIntToPtr(LLVMConstInt(c->t_i64, (uintptr_t)e, 0), c->t_ptr);
  LLVMValueRef r = NULL;
  bool erase = false;
  if (LLVMIsAFunction(callee)) {
    size_t len;
    const char *name = LLVMGetValueName2(callee, &len);
    if (!strncmp(name, "llvm.nvvm.read.ptx.sreg.", 24)) {
      static const char *const regs[] = {"tid.x", "tid.y", "tid.z", "ctaid.x", "ctaid.y", "ctaid.z",
                                         "ntid.x", "ntid.y", "ntid.z", "nctaid.x", "nctaid.y", "nctaid.z", "laneid", "warpsize"};
      int code = -1;
      for (int i = 0; i < 14; i++)
        if (!strcmp(name + 24, regs[i])) code = i;
      if (code < 0) return ingot_error(INGOT_CODE_INTERNAL, "emulator: unknown special register %s", name);
      LLVMTypeRef pt[2] = {c->t_ptr, c->t_i32};
      LLVMTypeRef ft = LLVMFunctionType(c->t_i32, pt, 2, 0);
      LLVMValueRef args[2] = {ep, gpu_i32(c, code)};
      r = LLVMBuildCall2(c->b, ft, host_fn(c, FN(emu_sreg), ft), args, 2, "");
    } else if (!strcmp(name, "llvm.nvvm.barrier0")) {
      LLVMTypeRef ft = LLVMFunctionType(c->t_void, &c->t_ptr, 1, 0);
      LLVMBuildCall2(c->b, ft, host_fn(c, FN(emu_bar), ft), &ep, 1, "");
      *threaded = true;
      erase = true;
    } else if (!strncmp(name, "llvm.nvvm.shfl.sync.bfly.f32", 28)) {
      LLVMTypeRef pt[3] = {c->t_ptr, c->t_f32, c->t_i32};
      LLVMTypeRef ft = LLVMFunctionType(c->t_f32, pt, 3, 0);
      LLVMValueRef args[3] = {ep, LLVMGetOperand(inst, 1), LLVMGetOperand(inst, 2)};
      r = LLVMBuildCall2(c->b, ft, host_fn(c, FN(emu_shfl), ft), args, 3, "");
      *threaded = true;
    } else {
      return INGOT_OK;
    }
  } else if (LLVMIsAInlineAsm(callee)) {
    LLVMValueRef md = LLVMGetMetadata(inst, LLVMGetMDKindIDInContext(c->ctx, "ingot.asm", 9));
    unsigned tl = 0;
    const char *text = md ? LLVMGetMDString(LLVMGetOperand(md, 0), &tl) : NULL;
    if (!text) return ingot_error(INGOT_CODE_INTERNAL, "emulator: inline asm without its !ingot.asm text");
    char t[512];
    snprintf(t, sizeof t, "%.*s", (int)(tl < 511 ? tl : 511), text);
    if (strstr(t, "cp.async.commit_group") || strstr(t, "cp.async.wait_group")) {
      erase = true;
    } else if (strstr(t, "cp.async.")) {
      LLVMTypeRef pt[5] = {c->t_ptr, c->t_i32, c->t_i64, c->t_i32, c->t_i32};
      LLVMTypeRef ft = LLVMFunctionType(c->t_void, pt, 5, 0);
      LLVMValueRef args[5] = {ep, LLVMGetOperand(inst, 0), LLVMGetOperand(inst, 1), LLVMGetOperand(inst, 2),
                              gpu_i32(c, strstr(t, "cp.async.cg") ? 16 : 4)};
      LLVMBuildCall2(c->b, ft, host_fn(c, FN(emu_cp), ft), args, 5, "");
      erase = true;
    } else if (!strncmp(t, "mma.sync.aligned.", 17)) {
      int kind = strstr(t, ".bf16.") ? K_MMA_BF16 : strstr(t, ".f16.") ? K_MMA_F16 : strstr(t, ".tf32.") ? K_MMA_TF32
                 : strstr(t, ".e4m3.")                                                       ? K_MMA_E4M3
                                                                                             : -1;
      if (kind < 0) return ingot_error(INGOT_CODE_INTERNAL, "emulator: unknown mma '%s'", t);
      LLVMTypeRef pt[13] = {c->t_ptr, c->t_i32, c->t_i32, c->t_i32, c->t_i32, c->t_i32, c->t_i32,
                            c->t_i32, c->t_f32, c->t_f32, c->t_f32, c->t_f32, LLVMPointerType(c->t_f32, 0)};
      LLVMTypeRef ft = LLVMFunctionType(c->t_void, pt, 13, 0);
      LLVMValueRef args[13];
      args[0] = ep;
      args[1] = gpu_i32(c, kind);
      for (int i = 0; i < 10; i++) args[2 + i] = LLVMGetOperand(inst, (unsigned)i);
      LLVMValueRef outp = LLVMBuildBitCast(c->b, alloca_out, LLVMPointerType(c->t_f32, 0), "");
      args[12] = outp;
      LLVMBuildCall2(c->b, ft, host_fn(c, FN(emu_mma), ft), args, 13, "");
      LLVMTypeRef st = LLVMTypeOf(inst);
      r = LLVMGetUndef(st);
      for (int i = 0; i < 4; i++) {
        LLVMValueRef idx = cg_i64(c, i);
        LLVMValueRef v = LLVMBuildLoad2(c->b, c->t_f32, LLVMBuildInBoundsGEP2(c->b, c->t_f32, outp, &idx, 1, ""), "");
        r = LLVMBuildInsertValue(c->b, r, v, (unsigned)i, "");
      }
      *threaded = true;
    } else if (strstr(t, "cvt.")) {
      int kind = strstr(t, "e4m3x2") ? C_E4M3X4 : strstr(t, "bf16x2") ? C_BF16X2 : strstr(t, "f16x2") ? C_F16X2
                 : strstr(t, "tf32")                                                                 ? C_TF32
                                                                                                     : -1;
      if (kind < 0) return ingot_error(INGOT_CODE_INTERNAL, "emulator: unknown cvt '%s'", t);
      LLVMTypeRef pt[6] = {c->t_ptr, c->t_i32, c->t_f32, c->t_f32, c->t_f32, c->t_f32};
      LLVMTypeRef ft = LLVMFunctionType(c->t_i32, pt, 6, 0);
      LLVMValueRef args[6] = {ep, gpu_i32(c, kind), NULL, NULL, NULL, NULL};
      unsigned n = (unsigned)LLVMGetNumArgOperands(inst);
      for (unsigned i = 0; i < 4; i++) args[2 + i] = i < n ? LLVMGetOperand(inst, i) : LLVMConstReal(c->t_f32, 0);
      r = LLVMBuildCall2(c->b, ft, host_fn(c, FN(emu_cvt), ft), args, 6, "");
    } else {
      return ingot_error(INGOT_CODE_INTERNAL, "emulator: unknown inline asm '%s'", t);
    }
  } else {
    return INGOT_OK;
  }
  if (r) LLVMReplaceAllUsesWith(inst, r);
  if (r || erase) LLVMInstructionEraseFromParent(inst);
  return INGOT_OK;
}

/* A wrapper `void NAME__emu(i8 **args)` calling kernel fn with args[0..n). */
static void add_wrapper(cg_t *c, LLVMModuleRef mod, LLVMValueRef fn, const char *name) {
  LLVMTypeRef pp = LLVMPointerType(c->t_ptr, 0);
  LLVMValueRef w = LLVMAddFunction(mod, name, LLVMFunctionType(c->t_void, &pp, 1, 0));
  LLVMPositionBuilderAtEnd(c->b, LLVMAppendBasicBlockInContext(c->ctx, w, "entry"));
  unsigned n = LLVMCountParams(fn);
  LLVMValueRef args[2 * CG_MAX_IO + 1];
  for (unsigned i = 0; i < n; i++) {
    LLVMValueRef idx = cg_i64(c, i);
    args[i] = LLVMBuildLoad2(c->b, c->t_ptr, LLVMBuildInBoundsGEP2(c->b, c->t_ptr, LLVMGetParam(w, 0), &idx, 1, ""), "");
  }
  LLVMBuildCall2(c->b, LLVMGlobalGetValueType(fn), fn, args, n, "");
  LLVMBuildRetVoid(c->b);
}

static ingot_status_t emu_create(ingot_gpu_t *gpu, emu_t **out) {
  *out = NULL;
  if (!gpu->emu_mod) return ingot_error(INGOT_CODE_INTERNAL, "ingot_gpu_emulate needs options.emulation");
  emu_t *e = calloc(1, sizeof *e);
  if (!e) return ingot_error(INGOT_CODE_NOMEM, "out of memory");
  e->gpu = gpu;
  pthread_key_create(&e->key, NULL);
  cg_t *c = &gpu->c;
  LLVMModuleRef mod = gpu->emu_mod;
  ingot_status_t st = INGOT_OK;
  bool *threaded = calloc((size_t)gpu->nkernels + 1, sizeof *threaded);
  e->call = calloc((size_t)gpu->nkernels + 1, sizeof *e->call);
  if (!threaded || !e->call) st = ingot_error(INGOT_CODE_NOMEM, "out of memory");
  /* shared memory gets a definition */
  LLVMValueRef sm = LLVMGetNamedGlobal(mod, "ingot_smem");
  if (!st && sm) {
    LLVMTypeRef at = LLVMArrayType(c->t_i8, EMU_SMEM);
    LLVMValueRef def = LLVMAddGlobalInAddressSpace(mod, at, "ingot_smem_emu", 3);
    LLVMSetInitializer(def, LLVMConstNull(at));
    LLVMSetAlignment(def, 16);
    LLVMReplaceAllUsesWith(sm, LLVMConstBitCast(def, LLVMTypeOf(sm)));
    LLVMDeleteGlobal(sm);
  }
  for (int ki = 0; !st && ki < gpu->nkernels; ki++) {
    LLVMValueRef fn = LLVMGetNamedFunction(mod, gpu->kernels[ki].entry);
    if (!fn) {
      st = ingot_error(INGOT_CODE_INTERNAL, "emulator: kernel %s missing", gpu->kernels[ki].entry);
      break;
    }
    LLVMValueRef out4 = NULL;
    for (LLVMBasicBlockRef bb = LLVMGetFirstBasicBlock(fn); !st && bb; bb = LLVMGetNextBasicBlock(bb)) {
      LLVMValueRef inst = LLVMGetFirstInstruction(bb);
      while (inst && !st) {
        LLVMValueRef next = LLVMGetNextInstruction(inst);
        if (LLVMGetInstructionOpcode(inst) == LLVMCall) {
          if (!out4) {
            LLVMValueRef first = LLVMGetFirstInstruction(LLVMGetEntryBasicBlock(fn));
            LLVMPositionBuilderBefore(c->b, first);
            out4 = LLVMBuildAlloca(c->b, LLVMArrayType(c->t_f32, 4), "emu_out");
          }
          LLVMPositionBuilderBefore(c->b, inst);
          st = rewrite_call(e, c, inst, out4, &threaded[ki]);
        }
        inst = next;
      }
    }
    char wname[600];
    snprintf(wname, sizeof wname, "%s__emu", gpu->kernels[ki].entry);
    add_wrapper(c, mod, fn, wname);
  }
  if (!st) {
    char *triple = LLVMGetDefaultTargetTriple();
    LLVMSetTarget(mod, triple);
    LLVMDisposeMessage(triple);
    LLVMSetDataLayout(mod, "");
    char *err = NULL;
    if (LLVMVerifyModule(mod, LLVMReturnStatusAction, &err))
      st = ingot_error(INGOT_CODE_INTERNAL, "emulator module does not verify: %.600s", err ? err : "?");
    LLVMDisposeMessage(err);
  }
  if (!st) {
    LLVMLinkInMCJIT();
    struct LLVMMCJITCompilerOptions opts;
    LLVMInitializeMCJITCompilerOptions(&opts, sizeof opts);
    opts.OptLevel = 2;
    char *err = NULL;
    if (LLVMCreateMCJITCompilerForModule(&e->ee, mod, &opts, sizeof opts, &err)) {
      st = ingot_error(INGOT_CODE_INTERNAL, "emulator JIT: %s", err ? err : "?");
      e->ee = NULL;
    }
    LLVMDisposeMessage(err);
    gpu->emu_mod = NULL; /* owned by the engine (or gone) */
    if (!e->ee) LLVMDisposeModule(mod);
  }
  if (!st) {
    e->smem = (uint8_t *)(uintptr_t)LLVMGetGlobalValueAddress(e->ee, "ingot_smem_emu");
    e->smem_lo = (uint32_t)(uintptr_t)e->smem;
    for (int ki = 0; ki < gpu->nkernels; ki++) {
      char wname[600];
      snprintf(wname, sizeof wname, "%s__emu", gpu->kernels[ki].entry);
      uint64_t a = LLVMGetFunctionAddress(e->ee, wname);
      void (*f)(void **);
      memcpy(&f, &a, sizeof f);
      e->call[ki] = a ? f : NULL;
      if (!a) st = ingot_error(INGOT_CODE_INTERNAL, "emulator: no code for %s", wname);
      gpu->kernels[ki].emu_threads = threaded[ki];
    }
  }
  free(threaded);
  if (st) {
    if (e->ee) LLVMDisposeExecutionEngine(e->ee);
    pthread_key_delete(e->key);
    free(e->call);
    free(e);
    return st;
  }
  *out = e;
  return INGOT_OK;
}

void gpu_emu_destroy(ingot_gpu_t *gpu) {
  emu_t *e = gpu->emu;
  if (e) {
    if (e->ee) LLVMDisposeExecutionEngine(e->ee);
    pthread_key_delete(e->key);
    free(e->call);
    free(e);
    gpu->emu = NULL;
  }
  if (gpu->emu_mod) LLVMDisposeModule(gpu->emu_mod);
  gpu->emu_mod = NULL;
}

/* ---- running ------------------------------------------------------------------------------------ */

typedef struct {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int state; /* 0 wait, 1 go, -1 give up (not every thread could start) */
} gate_t;

typedef struct {
  emu_t *e;
  void (*fn)(void **);
  void **args;
  int tid;
  gate_t *gate;
} worker_t;

static void *worker(void *p) {
  worker_t *w = p;
  emu_t *e = w->e;
  emu_thread_t t = {w->tid, {0, 0, 0}};
  pthread_mutex_lock(&w->gate->mu);
  while (w->gate->state == 0) pthread_cond_wait(&w->gate->cv, &w->gate->mu);
  int go = w->gate->state > 0;
  pthread_mutex_unlock(&w->gate->mu);
  if (!go) return NULL;
  pthread_setspecific(e->key, &t);
  for (uint32_t z = 0; z < e->grid[2]; z++)
    for (uint32_t y = 0; y < e->grid[1]; y++)
      for (uint32_t x = 0; x < e->grid[0]; x++) {
        t.ctaid[0] = (int)x;
        t.ctaid[1] = (int)y;
        t.ctaid[2] = (int)z;
        w->fn(w->args);
        pthread_barrier_wait(&e->block_bar); /* the next block reuses shared memory */
      }
  return NULL;
}

static ingot_status_t run_launch(emu_t *e, int ki, void **args) {
  gpu_kernel_t *K = &e->gpu->kernels[ki];
  const ingot_gpu_kernel_info_t *I = &K->info;
  memcpy(e->grid, I->grid, sizeof e->grid);
  memcpy(e->block, I->block, sizeof e->block);
  uint32_t nt = I->block[0] * I->block[1] * I->block[2];
  if (I->block[1] != 1 || I->block[2] != 1 || nt > MAX_THREADS)
    return ingot_error(INGOT_CODE_INTERNAL, "emulator: block %ux%ux%u not supported", I->block[0], I->block[1],
                       I->block[2]);
  void (*fn)(void **) = e->call[ki];
  if (!K->emu_threads) {
    emu_thread_t t;
    pthread_setspecific(e->key, &t);
    e->threaded = 0;
    for (uint32_t z = 0; z < I->grid[2]; z++)
      for (uint32_t y = 0; y < I->grid[1]; y++)
        for (uint32_t x = 0; x < I->grid[0]; x++)
          for (uint32_t i = 0; i < nt; i++) {
            t.tid = (int)i;
            t.ctaid[0] = (int)x;
            t.ctaid[1] = (int)y;
            t.ctaid[2] = (int)z;
            fn(args);
          }
    pthread_setspecific(e->key, NULL);
    return INGOT_OK;
  }
  if (nt % 32) return ingot_error(INGOT_CODE_INTERNAL, "emulator: %u threads is not whole warps", nt);
  e->threaded = 1;
  int nw = (int)nt / 32;
  e->warps = calloc((size_t)nw, sizeof *e->warps);
  worker_t *ws = calloc(nt, sizeof *ws);
  pthread_t *th = calloc(nt, sizeof *th);
  if (!e->warps || !ws || !th) {
    free(e->warps);
    free(ws);
    free(th);
    return ingot_error(INGOT_CODE_NOMEM, "out of memory");
  }
  pthread_barrier_init(&e->block_bar, NULL, nt);
  for (int w = 0; w < nw; w++) pthread_barrier_init(&e->warps[w].bar, NULL, 32);
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 1 << 20);
  uint32_t started = 0;
  ingot_status_t st = INGOT_OK;
  /* every thread must exist before any runs: a missing one would leave the
   * others at a barrier forever */
  gate_t gate = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0};
  for (uint32_t i = 0; i < nt; i++) {
    ws[i] = (worker_t){e, fn, args, (int)i, &gate};
    if (pthread_create(&th[i], &attr, worker, &ws[i]) != 0) {
      st = ingot_error(INGOT_CODE_NOMEM, "emulator: cannot start thread %u of %u", i, nt);
      break;
    }
    started++;
  }
  pthread_attr_destroy(&attr);
  pthread_mutex_lock(&gate.mu);
  gate.state = st ? -1 : 1;
  pthread_cond_broadcast(&gate.cv);
  pthread_mutex_unlock(&gate.mu);
  for (uint32_t i = 0; i < started; i++) pthread_join(th[i], NULL);
  pthread_mutex_destroy(&gate.mu);
  pthread_cond_destroy(&gate.cv);
  pthread_barrier_destroy(&e->block_bar);
  for (int w = 0; w < nw; w++) pthread_barrier_destroy(&e->warps[w].bar);
  free(e->warps);
  e->warps = NULL;
  free(ws);
  free(th);
  e->threaded = 0;
  return st;
}

static uint8_t *ref_ptr(const ingot_rt_cuda_ref_t *r, void *const *in, void *const *out, uint8_t *weights,
                        uint8_t *arena) {
  switch (r->kind) {
    case INGOT_RT_CUDA_INPUT: return (uint8_t *)in[r->index] + r->offset;
    case INGOT_RT_CUDA_OUTPUT: return (uint8_t *)out[r->index] + r->offset;
    case INGOT_RT_CUDA_WEIGHTS: return weights + r->offset;
    case INGOT_RT_CUDA_ARENA: return arena + r->offset;
    default: return NULL;
  }
}

ingot_status_t ingot_gpu_emulate(ingot_gpu_t *gpu, int bucket, void *const *inputs, void *const *outputs) {
  if (!gpu->finished) return ingot_error(INGOT_CODE_INTERNAL, "emulate before finish");
  if (bucket < 0 || bucket >= gpu->nbuckets) return ingot_error(INGOT_CODE_INPUT, "no bucket %d", bucket);
  if (!gpu->emu) INGOT_RETURN_IF_ERROR(emu_create(gpu, &gpu->emu));
  emu_t *e = gpu->emu;
  const gpu_bucket_t *b = &gpu->buckets[bucket];
  size_t wlen;
  const uint8_t *w = ingot_cg_weights(gpu->wcg, &wlen);
  /* device memory stand-ins: the weights (aligned copy) and the arena */
  uint8_t *weights = ingot_rt_aligned_alloc(wlen ? wlen : 64);
  uint8_t *arena = ingot_rt_aligned_alloc(b->arena_bytes ? (size_t)b->arena_bytes : 64);
  if (!weights || !arena) {
    ingot_rt_aligned_free(weights);
    ingot_rt_aligned_free(arena);
    return ingot_error(INGOT_CODE_NOMEM, "out of memory");
  }
  if (wlen) memcpy(weights, w, wlen);
  memset(arena, 0xcd, (size_t)b->arena_bytes); /* garbage, like fresh device memory */
  ingot_status_t st = INGOT_OK;
  for (int ki = b->first_kernel; !st && ki < b->first_kernel + b->nkernels; ki++) {
    const gpu_kernel_t *K = &gpu->kernels[ki];
    void *args[2 * CG_MAX_IO + 1];
    for (int a = 0; a < K->nargs; a++) args[a] = ref_ptr(&K->args[a], inputs, outputs, weights, arena);
    st = run_launch(e, ki, args);
    if (st) st = ingot_status_annotate(st, "kernel %s", K->entry);
  }
  for (int i = 0; !st && i < b->ncopies; i++) {
    const ingot_rt_cuda_copy_t *cp = &b->copies[i];
    memmove(ref_ptr(&cp->dst, inputs, outputs, weights, arena), ref_ptr(&cp->src, inputs, outputs, weights, arena),
            (size_t)cp->bytes);
  }
  ingot_rt_aligned_free(weights);
  ingot_rt_aligned_free(arena);
  return st;
}
