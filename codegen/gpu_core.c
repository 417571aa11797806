/* The GPU backend: LLVM NVPTX kernels for every node, a launch table, PTX.
 *
 * Why LLVM's NVPTX backend and not NVRTC.  ingot already builds every op as
 * LLVM IR (codegen/cg_*.c) against a contract that makes a kernel a loop
 * over [begin, end) of a parallel work space.  Pointing those emitters at an
 * nvptx64 module and giving each GPU thread begin = its global index and
 * end = begin + 1 yields a correct kernel for EVERY op the CPU backend
 * compiles, from the same code, tested by the same tests -- the "generic"
 * path.  NVRTC would need a second implementation of every op in CUDA C
 * (twice the code to keep in agreement with the evaluator) and a run-time
 * dependency on libnvrtc at compile time, and it cannot reuse the
 * epilogue-fusion machinery (cg_epilogue), which the NVPTX path gets for
 * free.  The hot kernels (tensor-core GEMM and conv, flash attention, row
 * normalisations) are written here as LLVM IR too, with inline PTX for what
 * LLVM 14 cannot express (mma.sync, cp.async, the fp8/bf16 conversions), so
 * the whole backend is one compiler and one PTX module.  The costs: LLVM 14
 * knows PTX ISA <= 7.5 and sm_86 at most, so code is generated for sm_80
 * and the PTX header is restamped (".target sm_90", ".version 7.8/8.4") for
 * the sm_90 target and for fp8 instructions, which is valid because PTX is
 * forward compatible and the inline asm is checked by ptxas, not by LLVM;
 * and libm calls must be mapped to libdevice (gpu_math.c).  Hopper-only
 * features (wgmma, TMA, clusters) need sm_90a and are not used.
 *
 * Kernels.  Every kernel's parameters are device pointers: the node's
 * inputs, its outputs, then the weights blob's base (what cg_weight_ptr
 * offsets from).  The runtime resolves each from the launch table (input i,
 * output i, weights + offset, arena + offset).  Generic kernels run 128
 * threads per block over ceil(work / 128) blocks; special kernels choose
 * their grid, block and dynamic shared memory (gpu_gemm.c, gpu_attn.c,
 * gpu_norm.c, gpu_ew.c).  Memory planning is the CPU backend's (passes/memplan.c):
 * one device arena per model, offsets fixed at compile time. */
#include <errno.h>
#include <llvm-c/Analysis.h>
#include <llvm-c/Target.h>
#include <llvm-c/Transforms/PassBuilder.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "codegen/gpu_impl.h"

#define GENERIC_BLOCK 128

/* ---- targets ----------------------------------------------------------------- */

bool ingot_gpu_is_target(const char *target) { return target && !strncmp(target, "sm_", 3); }

ingot_status_t ingot_gpu_check_target(const char *target) {
  if (gpu_arch_lookup(target)) return INGOT_OK;
  return ingot_error(INGOT_CODE_INPUT, "unknown GPU target '%s' (valid: sm_80 for A100, sm_90 for H100)",
                     target ? target : "");
}

/* ---- NVPTX helpers -------------------------------------------------------------- */

LLVMValueRef gpu_i32(cg_t *c, int64_t v) { return LLVMConstInt(c->t_i32, (unsigned long long)v, 1); }

LLVMValueRef gpu_sreg(cg_t *c, const char *name) {
  char full[64];
  snprintf(full, sizeof full, "llvm.nvvm.read.ptx.sreg.%s", name);
  unsigned id = LLVMLookupIntrinsicID(full, strlen(full));
  LLVMValueRef f = LLVMGetIntrinsicDeclaration(c->mod, id, NULL, 0);
  LLVMTypeRef ft = LLVMIntrinsicGetType(c->ctx, id, NULL, 0);
  return LLVMBuildCall2(c->b, ft, f, NULL, 0, "");
}

void gpu_barrier(cg_t *c) {
  unsigned id = LLVMLookupIntrinsicID("llvm.nvvm.barrier0", 18);
  LLVMValueRef f = LLVMGetIntrinsicDeclaration(c->mod, id, NULL, 0);
  LLVMTypeRef ft = LLVMIntrinsicGetType(c->ctx, id, NULL, 0);
  LLVMBuildCall2(c->b, ft, f, NULL, 0, "");
}

LLVMValueRef gpu_asm(cg_t *c, LLVMTypeRef ret, const char *text, const char *constraints, LLVMValueRef *args,
                     unsigned n, bool side_effects) {
  LLVMTypeRef pt[16];
  for (unsigned i = 0; i < n && i < 16; i++) pt[i] = LLVMTypeOf(args[i]);
  LLVMTypeRef ft = LLVMFunctionType(ret ? ret : c->t_void, pt, n, 0);
  LLVMValueRef a = LLVMGetInlineAsm(ft, (char *)text, strlen(text), (char *)constraints, strlen(constraints),
                                    side_effects, 0, LLVMInlineAsmDialectATT, 0);
  LLVMValueRef call = LLVMBuildCall2(c->b, ft, a, args, n, "");
  /* the text again as metadata: the CPU emulator (gpu_emu.c) recognises the instruction by it */
  LLVMValueRef s = LLVMMDStringInContext(c->ctx, text, (unsigned)strlen(text));
  LLVMSetMetadata(call, LLVMGetMDKindIDInContext(c->ctx, "ingot.asm", 9), LLVMMDNodeInContext(c->ctx, &s, 1));
  return call;
}

LLVMValueRef gpu_smem_ptr(ingot_gpu_t *gpu, LLVMValueRef offset) {
  cg_t *c = &gpu->c;
  LLVMTypeRef p3 = LLVMPointerType(c->t_i8, 3);
  LLVMValueRef base = LLVMConstBitCast(gpu->smem, p3);
  return LLVMBuildInBoundsGEP2(c->b, c->t_i8, base, &offset, 1, "");
}

LLVMValueRef gpu_smem_addr32(cg_t *c, LLVMValueRef p) { return LLVMBuildPtrToInt(c->b, p, c->t_i32, ""); }

static void annotate(cg_t *c, LLVMValueRef fn, const char *key, int value) {
  LLVMValueRef md[3] = {fn, LLVMMDStringInContext(c->ctx, key, (unsigned)strlen(key)), LLVMConstInt(c->t_i32, (unsigned)value, 0)};
  LLVMAddNamedMetadataOperand(c->mod, "nvvm.annotations", LLVMMDNodeInContext(c->ctx, md, 3));
}

/* ---- create / destroy -------------------------------------------------------------- */

static char *xstrdup(const char *s) { return s ? strdup(s) : NULL; }

ingot_status_t ingot_gpu_create(const ingot_gpu_options_t *o, ingot_gpu_t **out) {
  *out = NULL;
  INGOT_RETURN_IF_ERROR(ingot_gpu_check_target(o->target));
  const gpu_arch_t *arch = gpu_arch_lookup(o->target);
  if (o->quantize == INGOT_GPU_QUANT_FP8_E4M3 && arch->fp8_tflops <= 0)
    return ingot_error(INGOT_CODE_UNSUPPORTED,
                       "--quantize fp8-e4m3 needs fp8 tensor cores (sm_89 or later): use --target sm_90, not %s",
                       o->target);
  if (o->quantize == INGOT_GPU_QUANT_FP8_E4M3 && o->precision != INGOT_GPU_PREC_FP16)
    return ingot_error(INGOT_CODE_INPUT, "--tf32/--bf16 and --quantize fp8-e4m3 exclude each other");
  ingot_gpu_t *gpu = calloc(1, sizeof *gpu);
  if (!gpu) return ingot_error(INGOT_CODE_NOMEM, "out of memory");
  gpu->o = *o;
  gpu->name = xstrdup(o->name ? o->name : "model");
  gpu->target = xstrdup(o->target);
  gpu->o.name = gpu->name;
  gpu->o.target = gpu->target;
  gpu->arch = arch;
  ingot_status_t st = INGOT_OK;
  /* the weights live in a CPU backend object: same blob format, layout and
   * deduplication, and emitters' cg_weight_ptr works unchanged */
  ingot_cg_options_t wo = {gpu->name, "native", o->embed_weights, false, o->opt_level};
  st = ingot_cg_create(&wo, &gpu->wcg);
  if (st) goto fail;
  LLVMInitializeNVPTXTargetInfo();
  LLVMInitializeNVPTXTarget();
  LLVMInitializeNVPTXTargetMC();
  LLVMInitializeNVPTXAsmPrinter();
  cg_t *c = &gpu->c;
  cg_init_module(c, gpu->name);
  c->vector_bits = 128; /* the emitters' vector loops: 4 x f32, what NVPTX loads in one instruction */
  c->owner = gpu->wcg;
  {
    const char *triple = "nvptx64-nvidia-cuda";
    LLVMTargetRef t;
    char *err = NULL;
    if (LLVMGetTargetFromTriple(triple, &t, &err)) {
      st = ingot_error(INGOT_CODE_INTERNAL, "this LLVM has no NVPTX target: %s", err ? err : "?");
      LLVMDisposeMessage(err);
      goto fail;
    }
    LLVMCodeGenOptLevel lvl = o->opt_level <= 0 ? LLVMCodeGenLevelNone : LLVMCodeGenLevelAggressive;
    /* LLVM 14 knows up to sm_86 / PTX 7.5: generate for sm_80 and restamp (see the top of the file) */
    gpu->tm = LLVMCreateTargetMachine(t, triple, "sm_80", "+ptx75", lvl, LLVMRelocDefault, LLVMCodeModelDefault);
    if (!gpu->tm) {
      st = ingot_error(INGOT_CODE_INTERNAL, "cannot create the NVPTX target machine");
      goto fail;
    }
    LLVMSetTarget(c->mod, triple);
    LLVMTargetDataRef dl = LLVMCreateTargetDataLayout(gpu->tm);
    char *dls = LLVMCopyStringRepOfTargetData(dl);
    LLVMSetDataLayout(c->mod, dls);
    LLVMDisposeMessage(dls);
    LLVMDisposeTargetData(dl);
  }
  {
    LLVMTypeRef at = LLVMArrayType(c->t_i8, 0);
    gpu->smem = LLVMAddGlobalInAddressSpace(c->mod, at, "ingot_smem", 3);
    LLVMSetLinkage(gpu->smem, LLVMExternalLinkage);
    LLVMSetAlignment(gpu->smem, 16);
  }
  *out = gpu;
  return INGOT_OK;
fail:
  ingot_gpu_destroy(gpu);
  return st;
}

static void free_bucket(gpu_bucket_t *b) {
  free(b->name);
  cg_io_free(&b->io);
  free(b->copies);
}

void ingot_gpu_destroy(ingot_gpu_t *gpu) {
  if (!gpu) return;
  gpu_emu_destroy(gpu);
  gpu_host_destroy(gpu);
  for (int i = 0; i < gpu->nbuckets; i++) free_bucket(&gpu->buckets[i]);
  free(gpu->buckets);
  for (int i = 0; i < gpu->nkernels; i++) {
    free(gpu->kernels[i].entry);
    free(gpu->kernels[i].node);
    free(gpu->kernels[i].args);
  }
  free(gpu->kernels);
  if (gpu->c.b) LLVMDisposeBuilder(gpu->c.b);
  if (gpu->c.mod) LLVMDisposeModule(gpu->c.mod);
  if (gpu->tm) LLVMDisposeTargetMachine(gpu->tm);
  if (gpu->c.ctx) LLVMContextDispose(gpu->c.ctx);
  ingot_cg_destroy(gpu->wcg);
  free(gpu->ptx);
  free(gpu->name);
  free(gpu->target);
  free(gpu);
}

/* ---- buckets ------------------------------------------------------------------------------- */

typedef struct {
  ingot_gpu_t *gpu;
  ingot_status_t st;
} woff_t;

static uint64_t weight_offset(void *user, const ingot_graph_t *g, int32_t v) {
  woff_t *w = user;
  uint64_t off = 0;
  ingot_status_t st = ingot_cg_add_weight(w->gpu->wcg, g->values[v].data, g->values[v].nbytes, &off);
  if (st) {
    if (!w->st) w->st = st;
    else ingot_status_free(st);
  }
  return off;
}

static ingot_rt_cuda_ref_t ref_of(const ingot_memplan_t *plan, int32_t v) {
  ingot_rt_cuda_ref_t r = {INGOT_RT_CUDA_NULL, 0, 0};
  if (v < 0) return r;
  const ingot_store_t *s = &plan->store[v];
  switch (s->kind) {
    case INGOT_STORE_INPUT: r.kind = INGOT_RT_CUDA_INPUT; r.index = s->index; break;
    case INGOT_STORE_OUTPUT: r.kind = INGOT_RT_CUDA_OUTPUT; r.index = s->index; break;
    case INGOT_STORE_WEIGHT: r.kind = INGOT_RT_CUDA_WEIGHTS; r.offset = s->offset; break;
    case INGOT_STORE_ARENA: r.kind = INGOT_RT_CUDA_ARENA; r.offset = s->offset; break;
    default: break;
  }
  return r;
}

static gpu_kernel_t *new_kernel(ingot_gpu_t *gpu) {
  if (gpu->nkernels == gpu->kernels_cap) {
    int cap = gpu->kernels_cap ? gpu->kernels_cap * 2 : 64;
    gpu_kernel_t *p = realloc(gpu->kernels, (size_t)cap * sizeof *p);
    if (!p) return NULL;
    gpu->kernels = p;
    gpu->kernels_cap = cap;
  }
  gpu_kernel_t *k = &gpu->kernels[gpu->nkernels++];
  memset(k, 0, sizeof *k);
  return k;
}

/* Bytes of every tensor a node touches: the roofline's memory term when
 * the emitter gave no estimate. */
static double node_bytes(const ingot_graph_t *g, const int32_t *vals, uint32_t n) {
  double b = 0;
  for (uint32_t i = 0; i < n; i++) {
    size_t nb;
    if (vals[i] < 0) continue;
    ingot_status_t st = ingot_value_nbytes(g, vals[i], &nb);
    if (st) ingot_status_free(st);
    else b += (double)nb;
  }
  return b;
}

/* Builds one kernel whose parameters are vals[0..nin) (inputs), then
 * vals[nin..nin+nout) (outputs), then the weights base.  With `special` the
 * special emitter writes the body; else the generic emitter runs one work
 * item per thread. */
static ingot_status_t build_kernel(ingot_gpu_t *gpu, const ingot_graph_t *g, const ingot_memplan_t *plan, int32_t node,
                                   const int32_t *vals, uint32_t nin, uint32_t nout, gpu_emit_fn special,
                                   cg_emit_fn generic, int bucket) {
  cg_t *c = &gpu->c;
  const ingot_node_t *n = &g->nodes[node];
  uint32_t np = nin + nout + 1;
  if (nin > CG_MAX_IO || nout > CG_MAX_IO)
    return ingot_node_error(g, node, INGOT_CODE_UNSUPPORTED, "more than %d inputs or outputs", CG_MAX_IO);
  gpu_kernel_t *K = new_kernel(gpu);
  if (!K) return ingot_error(INGOT_CODE_NOMEM, "out of memory");
  int kidx = gpu->nkernels - 1 - gpu->buckets[bucket].first_kernel;
  char fname[512];
  snprintf(fname, sizeof fname, "%s_b%d_k%d", gpu->name, bucket, kidx);
  K->entry = strdup(fname);
  K->node = strdup(n->name ? n->name : "");
  K->args = calloc(np, sizeof *K->args);
  if (!K->entry || !K->node || !K->args) return ingot_error(INGOT_CODE_NOMEM, "out of memory");
  K->nargs = (int32_t)np;
  for (uint32_t i = 0; i < nin + nout; i++) K->args[i] = ref_of(plan, vals[i]);
  K->args[nin + nout] = (ingot_rt_cuda_ref_t){INGOT_RT_CUDA_WEIGHTS, 0, 0};

  LLVMTypeRef params[2 * CG_MAX_IO + 1];
  for (uint32_t i = 0; i < np; i++) params[i] = c->t_ptr;
  LLVMValueRef fn = LLVMAddFunction(c->mod, fname, LLVMFunctionType(c->t_void, params, np, 0));
  c->fn = fn;
  c->g = g;
  c->entry = LLVMAppendBasicBlockInContext(c->ctx, fn, "entry");
  LLVMPositionBuilderAtEnd(c->b, c->entry);
  cg_kernel_t k;
  memset(&k, 0, sizeof k);
  k.node = node;
  k.n = n;
  k.nin = nin;
  k.nout = nout;
  for (uint32_t i = 0; i < nin + nout; i++) {
    if (vals[i] < 0) continue;
    const ingot_value_t *v = &g->values[vals[i]];
    LLVMValueRef p = LLVMBuildBitCast(c->b, LLVMGetParam(fn, i), LLVMPointerType(cg_type(c, v->type.dtype), 0), v->name);
    if (i < nin) {
      k.in[i] = p;
      k.vin[i] = v;
    } else {
      k.out[i - nin] = p;
      k.vout[i - nin] = v;
    }
  }
  k.weights = LLVMGetParam(fn, np - 1);
  k.work = 1;
  gpu_launch_t L;
  memset(&L, 0, sizeof L);
  if (special) {
    INGOT_RETURN_IF_ERROR(special(gpu, &k, &L));
    LLVMBuildRetVoid(c->b);
  } else {
    LLVMValueRef tid = gpu_sreg(c, "tid.x"), ctaid = gpu_sreg(c, "ctaid.x");
    LLVMValueRef gid32 = LLVMBuildNUWAdd(c->b, LLVMBuildNUWMul(c->b, ctaid, gpu_i32(c, GENERIC_BLOCK), ""), tid, "");
    LLVMValueRef gid = LLVMBuildZExt(c->b, gid32, c->t_i64, "gid");
    k.begin = gid;
    k.end = LLVMBuildNUWAdd(c->b, gid, cg_i64(c, 1), "");
    LLVMBasicBlockRef body = LLVMAppendBasicBlockInContext(c->ctx, fn, "body");
    LLVMBasicBlockRef done = LLVMAppendBasicBlockInContext(c->ctx, fn, "done");
    LLVMPositionBuilderAtEnd(c->b, body);
    INGOT_RETURN_IF_ERROR(generic(c, &k));
    if (k.work < 1) k.work = 1;
    LLVMBuildBr(c->b, done);
    LLVMPositionBuilderAtEnd(c->b, done);
    LLVMBuildRetVoid(c->b);
    /* the guard needs the work size, known only now */
    LLVMPositionBuilderAtEnd(c->b, c->entry);
    LLVMBuildCondBr(c->b, LLVMBuildICmp(c->b, LLVMIntULT, gid, cg_i64(c, k.work), ""), body, done);
    int64_t blocks = (k.work + GENERIC_BLOCK - 1) / GENERIC_BLOCK;
    if (blocks > 0x7fffffff)
      return ingot_node_error(g, node, INGOT_CODE_UNSUPPORTED, "work space of %lld items is too large for one grid",
                              (long long)k.work);
    L.grid[0] = (uint32_t)blocks;
    L.grid[1] = L.grid[2] = 1;
    L.block[0] = GENERIC_BLOCK;
    L.block[1] = L.block[2] = 1;
    L.kind = "generic";
    L.flops = k.flops;
    L.bytes = k.bytes;
    L.peak_tflops = gpu->arch->fp32_tflops;
    L.regs_est = 32;
    snprintf(L.tiles, sizeof L.tiles, "%lld items, 1 per thread", (long long)k.work);
  }
  annotate(c, fn, "kernel", 1);
  annotate(c, fn, "maxntidx", (int)(L.block[0] * L.block[1] * L.block[2]));
  /* .minnctapersm 1: the special kernels are sized for their occupancy
   * already; without it ptxas may cap registers (and spill) to fit more
   * blocks per SM */
  if (special) annotate(c, fn, "minctasm", 1);
  if (L.bytes <= 0) L.bytes = node_bytes(g, vals, nin + nout);
  ingot_gpu_kernel_info_t *I = &K->info;
  memcpy(I->grid, L.grid, sizeof I->grid);
  memcpy(I->block, L.block, sizeof I->block);
  I->shared_bytes = L.smem;
  I->kind = L.kind;
  snprintf(K->tiles, sizeof K->tiles, "%s", L.tiles);
  I->flops = L.flops;
  I->bytes = L.bytes;
  K->peak_tflops = L.peak_tflops;
  K->regs_est = L.regs_est;
  I->op = n->op == INGOT_OP_FUSED ? "Fused" : ingot_op_name((ingot_op_t)n->op);
  I->registers = I->spill_stores = I->spill_loads = I->stack_bytes = -1;
  return INGOT_OK;
}

ingot_status_t ingot_gpu_add_bucket(ingot_gpu_t *gpu, const ingot_graph_t *g, const char *bucket_name,
                                    uint64_t *arena_bytes, uint64_t *naive_bytes) {
  if (gpu->finished) return ingot_error(INGOT_CODE_INTERNAL, "bucket added after finish");
  gpu_bucket_t *nb = realloc(gpu->buckets, (size_t)(gpu->nbuckets + 1) * sizeof *nb);
  if (!nb) return ingot_error(INGOT_CODE_NOMEM, "out of memory");
  gpu->buckets = nb;
  int bi = gpu->nbuckets++;
  gpu_bucket_t *b = &gpu->buckets[bi];
  memset(b, 0, sizeof *b);
  b->name = strdup(bucket_name ? bucket_name : "default");
  b->first_kernel = gpu->nkernels;
  INGOT_RETURN_IF_ERROR(cg_io_record(&b->io, g));
  for (uint32_t i = 0; i < g->nnodes; i++)
    if (g->nodes[i].op == INGOT_OP_IF || g->nodes[i].op == INGOT_OP_LOOP || g->nodes[i].op == INGOT_OP_SCAN)
      return ingot_node_error(g, (int32_t)i, INGOT_CODE_UNSUPPORTED, "control flow is not compiled");
  woff_t w = {gpu, INGOT_OK};
  ingot_memplan_t plan;
  INGOT_RETURN_IF_ERROR(ingot_memplan_build(g, weight_offset, &w, &plan));
  if (w.st) {
    ingot_memplan_free(&plan);
    return w.st;
  }
  b->arena_bytes = plan.arena_bytes;
  if (arena_bytes) *arena_bytes = plan.arena_bytes;
  if (naive_bytes) *naive_bytes = plan.naive_bytes;

  ingot_status_t st = INGOT_OK;
  for (uint32_t i = 0; !st && i < g->nnodes; i++) {
    const ingot_node_t *n = &g->nodes[i];
    if (plan.alias[i]) continue;
    int32_t vals[2 * CG_MAX_IO];
    cg_emit_fn emit = cg_emitter_for((ingot_op_t)n->op);
    if (!emit) {
      st = ingot_node_error(g, (int32_t)i, INGOT_CODE_UNSUPPORTED, "op %s has no code generator%s", n->op_type,
                            n->op < INGOT_OP_COUNT_ ? " (should have been constant-folded?)" : "");
      break;
    }
    if (n->ninputs + n->noutputs > 2 * CG_MAX_IO) {
      st = ingot_node_error(g, (int32_t)i, INGOT_CODE_UNSUPPORTED, "more than %d inputs or outputs", CG_MAX_IO);
      break;
    }
    for (uint32_t a = 0; a < n->ninputs; a++) vals[a] = n->inputs[a];
    for (uint32_t a = 0; a < n->noutputs; a++) vals[n->ninputs + a] = n->outputs[a];
    gpu_emit_fn special = NULL;
    if (!gpu->o.generic_only) {
      if (gpu_attention_match(gpu, g, (int32_t)i)) special = gpu_emit_attention;
      else if (gpu_gemm_match(gpu, g, (int32_t)i)) special = gpu_emit_gemm;
      else if (gpu_conv_match(gpu, g, (int32_t)i)) special = gpu_emit_conv;
      else if (gpu_rownorm_match(gpu, g, (int32_t)i)) special = gpu_emit_rownorm;
      else if (gpu_elementwise_match(gpu, g, (int32_t)i)) special = gpu_emit_elementwise;
    }
    st = build_kernel(gpu, g, &plan, (int32_t)i, vals, n->ninputs, n->noutputs, special, emit, bi);
  }
  b->nkernels = gpu->nkernels - b->first_kernel;
  /* outputs nobody wrote: graph inputs, constants or views passed through */
  if (!st) {
    b->copies = calloc(g->noutputs + 1, sizeof *b->copies);
    if (!b->copies) st = ingot_error(INGOT_CODE_NOMEM, "out of memory");
  }
  for (uint32_t j = 0; !st && j < g->noutputs; j++) {
    int32_t v = g->outputs[j];
    const ingot_store_t *s = &plan.store[v];
    if (s->kind == INGOT_STORE_OUTPUT && s->index == (int32_t)j) continue;
    size_t bytes;
    st = ingot_value_nbytes(g, v, &bytes);
    if (st) break;
    ingot_rt_cuda_copy_t *cp = &b->copies[b->ncopies++];
    cp->dst = (ingot_rt_cuda_ref_t){INGOT_RT_CUDA_OUTPUT, (int32_t)j, 0};
    cp->src = ref_of(&plan, v);
    cp->bytes = bytes;
  }
  ingot_memplan_free(&plan);
  return st;
}

/* ---- finish: PTX ------------------------------------------------------------------------------ */

/* Restamps ".version" and ".target" (see the top of the file). */
static ingot_status_t restamp(ingot_gpu_t *gpu, const char *ptx, size_t len) {
  const char *version = gpu->uses_fp8 ? "8.4" : gpu->arch->ptx_version;
  size_t cap = len + 64;
  char *out = malloc(cap + 1);
  if (!out) return ingot_error(INGOT_CODE_NOMEM, "out of memory");
  size_t o = 0;
  const char *p = ptx, *end = ptx + len;
  bool did_v = false, did_t = false;
  while (p < end) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    size_t ll = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
    if (!did_v && ll > 9 && !strncmp(p, ".version ", 9)) {
      o += (size_t)snprintf(out + o, cap - o, ".version %s\n", version);
      did_v = true;
    } else if (!did_t && ll > 8 && !strncmp(p, ".target ", 8)) {
      o += (size_t)snprintf(out + o, cap - o, ".target %s\n", gpu->target);
      did_t = true;
    } else {
      if (o + ll > cap) break;
      memcpy(out + o, p, ll);
      o += ll;
    }
    p += ll;
  }
  out[o] = 0;
  if (!did_v || !did_t) {
    free(out);
    return ingot_error(INGOT_CODE_INTERNAL, "NVPTX output has no .version/.target header");
  }
  gpu->ptx = out;
  gpu->ptx_len = o;
  return INGOT_OK;
}

ingot_status_t ingot_gpu_finish(ingot_gpu_t *gpu) {
  if (gpu->finished) return INGOT_OK;
  if (gpu->nbuckets == 0) return ingot_error(INGOT_CODE_INTERNAL, "no buckets compiled");
  cg_t *c = &gpu->c;
  char *err = NULL;
  if (LLVMVerifyModule(c->mod, LLVMReturnStatusAction, &err)) {
    ingot_status_t st = ingot_error(INGOT_CODE_INTERNAL, "generated NVPTX IR does not verify: %.600s", err);
    LLVMDisposeMessage(err);
    return st;
  }
  LLVMDisposeMessage(err);
  if (gpu->o.emulation) gpu->emu_mod = LLVMCloneModule(c->mod); /* before libdevice: the emulator uses libm */
  INGOT_RETURN_IF_ERROR(gpu_lower_math(gpu));
  if (gpu->o.opt_level > 0) {
    LLVMPassBuilderOptionsRef po = LLVMCreatePassBuilderOptions();
    LLVMPassBuilderOptionsSetLoopVectorization(po, 0); /* GPUs parallelise across threads, not lanes */
    LLVMPassBuilderOptionsSetSLPVectorization(po, 1);  /* but wide loads and stores still pay */
    LLVMPassBuilderOptionsSetLoopUnrolling(po, 1);
    char pipeline[32];
    snprintf(pipeline, sizeof pipeline, "default<O%d>", gpu->o.opt_level > 3 ? 3 : gpu->o.opt_level);
    LLVMErrorRef e = LLVMRunPasses(c->mod, pipeline, gpu->tm, po);
    LLVMDisposePassBuilderOptions(po);
    if (e) {
      char *msg = LLVMGetErrorMessage(e);
      ingot_status_t st = ingot_error(INGOT_CODE_INTERNAL, "LLVM optimisation failed: %s", msg);
      LLVMDisposeErrorMessage(msg);
      return st;
    }
  }
  LLVMMemoryBufferRef mb;
  if (LLVMTargetMachineEmitToMemoryBuffer(gpu->tm, c->mod, LLVMAssemblyFile, &err, &mb)) {
    ingot_status_t st = ingot_error(INGOT_CODE_INTERNAL, "NVPTX code emission failed: %s", err ? err : "?");
    LLVMDisposeMessage(err);
    return st;
  }
  ingot_status_t st = restamp(gpu, LLVMGetBufferStart(mb), LLVMGetBufferSize(mb));
  LLVMDisposeMemoryBuffer(mb);
  INGOT_RETURN_IF_ERROR(st);
  for (int i = 0; i < gpu->nkernels; i++) {
    gpu_kernel_t *K = &gpu->kernels[i];
    ingot_gpu_kernel_info_t *I = &K->info;
    I->entry = K->entry;
    I->node = K->node;
    I->tiles = K->tiles;
    I->predicted_us = gpu_roofline_us(gpu->arch, I->flops, I->bytes, K->peak_tflops);
    I->occupancy =
        gpu_occupancy(gpu->arch, (int)(I->block[0] * I->block[1] * I->block[2]), K->regs_est, (int)I->shared_bytes);
  }
  INGOT_RETURN_IF_ERROR(gpu_build_host(gpu));
  gpu->finished = true;
  return INGOT_OK;
}

const char *ingot_gpu_ptx(const ingot_gpu_t *gpu, size_t *len) {
  if (len) *len = gpu->ptx_len;
  return gpu->ptx;
}

int ingot_gpu_kernel_count(const ingot_gpu_t *gpu) { return gpu->nkernels; }

const ingot_gpu_kernel_info_t *ingot_gpu_kernel(const ingot_gpu_t *gpu, int i) {
  if (i < 0 || i >= gpu->nkernels) return NULL;
  return &gpu->kernels[i].info;
}

/* ---- ptxas --------------------------------------------------------------------------------- */

const char *ingot_gpu_find_ptxas(char *buf, size_t len) {
  const char *env = getenv("INGOT_PTXAS");
  if (env && *env) {
    snprintf(buf, len, "%s", env);
    return access(buf, X_OK) == 0 ? buf : NULL;
  }
  const char *home = getenv("CUDA_HOME");
  const char *cands[2] = {"/usr/local/cuda", home};
  for (int i = 0; i < 2; i++) {
    if (!cands[i] || !*cands[i]) continue;
    snprintf(buf, len, "%s/bin/ptxas", cands[i]);
    if (access(buf, X_OK) == 0) return buf;
  }
  return NULL;
}

static int find_kernel(const ingot_gpu_t *gpu, const char *name, size_t n) {
  for (int i = 0; i < gpu->nkernels; i++)
    if (strlen(gpu->kernels[i].entry) == n && !strncmp(gpu->kernels[i].entry, name, n)) return i;
  return -1;
}

/* Parses ptxas -v: "Function properties for NAME" / "N bytes stack frame, N
 * bytes spill stores, N bytes spill loads" / "Used N registers". */
static void parse_ptxas(ingot_gpu_t *gpu, const char *log) {
  int cur = -1;
  for (const char *p = log; p && *p;) {
    const char *nl = strchr(p, '\n');
    size_t ll = nl ? (size_t)(nl - p) : strlen(p);
    char line[1024];
    snprintf(line, sizeof line, "%.*s", (int)(ll < 1023 ? ll : 1023), p);
    const char *q;
    if ((q = strstr(line, "Function properties for ")) != NULL) {
      q += strlen("Function properties for ");
      size_t n = strcspn(q, " \r\n");
      cur = find_kernel(gpu, q, n);
    } else if ((q = strstr(line, "Compiling entry function '")) != NULL) {
      q += strlen("Compiling entry function '");
      cur = find_kernel(gpu, q, strcspn(q, "'"));
    } else if (cur >= 0 && strstr(line, "bytes stack frame")) {
      int a = 0, b = 0, c = 0;
      if (sscanf(line, " %d bytes stack frame, %d bytes spill stores, %d bytes spill loads", &a, &b, &c) == 3) {
        ingot_gpu_kernel_info_t *I = &gpu->kernels[cur].info;
        I->stack_bytes = a;
        I->spill_stores = b;
        I->spill_loads = c;
      }
    } else if (cur >= 0 && (q = strstr(line, "Used ")) != NULL) {
      int r = 0;
      if (sscanf(q, "Used %d registers", &r) == 1) {
        gpu_kernel_t *K = &gpu->kernels[cur];
        K->info.registers = r;
        K->info.occupancy = gpu_occupancy(gpu->arch, (int)(K->info.block[0] * K->info.block[1] * K->info.block[2]), r,
                                          (int)K->info.shared_bytes);
      }
    }
    p = nl ? nl + 1 : NULL;
  }
}

ingot_status_t ingot_gpu_ptxas(ingot_gpu_t *gpu, bool *found) {
  *found = false;
  if (!gpu->finished) return ingot_error(INGOT_CODE_INTERNAL, "ptxas before finish");
  char ptxas[4096];
  if (!ingot_gpu_find_ptxas(ptxas, sizeof ptxas)) return INGOT_OK;
  *found = true;
  const char *tmpdir = getenv("TMPDIR");
  char in[4096], log[4096];
  snprintf(in, sizeof in, "%s/ingot-ptx-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
  int fd = mkstemp(in);
  if (fd < 0) return ingot_error(INGOT_CODE_IO, "cannot create a temporary file for ptxas: %s", strerror(errno));
  size_t off = 0;
  while (off < gpu->ptx_len) {
    ssize_t w = write(fd, gpu->ptx + off, gpu->ptx_len - off);
    if (w <= 0) break;
    off += (size_t)w;
  }
  close(fd);
  snprintf(log, sizeof log, "%s.log", in);
  ingot_status_t st = INGOT_OK;
  char arch[32];
  snprintf(arch, sizeof arch, "-arch=%s", gpu->target);
  pid_t pid = fork();
  if (pid < 0) {
    st = ingot_error(INGOT_CODE_IO, "cannot run ptxas: %s", strerror(errno));
  } else if (pid == 0) {
    FILE *lf = freopen(log, "w", stdout);
    if (!lf || dup2(1, 2) < 0) _exit(126);
    execl(ptxas, ptxas, "-v", arch, "-o", "/dev/null", in, (char *)NULL);
    _exit(127);
  } else {
    int status = 0;
    if (waitpid(pid, &status, 0) < 0) status = -1;
    FILE *f = fopen(log, "rb");
    char *text = NULL;
    size_t tl = 0;
    if (f) {
      fseek(f, 0, SEEK_END);
      long sz = ftell(f);
      fseek(f, 0, SEEK_SET);
      text = calloc((size_t)(sz > 0 ? sz : 0) + 1, 1);
      if (text && sz > 0) tl = fread(text, 1, (size_t)sz, f);
      if (text) text[tl] = 0;
      fclose(f);
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      st = ingot_error(INGOT_CODE_INTERNAL, "%s %s rejected the PTX of %s (exit %d): %.1500s", ptxas, arch, gpu->name,
                       WIFEXITED(status) ? WEXITSTATUS(status) : -1, text ? text : "");
    } else if (text) {
      parse_ptxas(gpu, text);
    }
    free(text);
  }
  unlink(log);
  unlink(in);
  return st;
}

/* ---- report ------------------------------------------------------------------------------- */

void ingot_gpu_report(const ingot_gpu_t *gpu, FILE *f) {
  const gpu_arch_t *a = gpu->arch;
  fprintf(f, "  target %s (%s): %d SMs, %d KB shared memory per SM (%d KB per block), %d registers per SM,\n",
          a->target, a->gpu, a->num_sms, a->smem_per_sm / 1024, a->smem_per_block / 1024, a->regs_per_sm);
  fprintf(f, "    %.0f MB L2, %.0f GB/s HBM, tensor peak %.1f TFLOP/s fp16/bf16, %.1f tf32, %.1f fp8, %.1f fp32 CUDA cores\n",
          a->l2_bytes / 1048576.0, a->hbm_gbs, a->fp16_tflops, a->tf32_tflops, a->fp8_tflops, a->fp32_tflops);
  fprintf(f, "    (%s; mma.sync reaches %.0f%% of the tensor peak in this model)\n", a->source,
          a->mma_sync_efficiency * 100);
  fprintf(f, "  GEMM precision: %s\n",
          gpu->o.quantize == INGOT_GPU_QUANT_FP8_E4M3
              ? "fp8 e4m3 weights x e4m3 activations (per-column weight scales), fp32 accumulate; fp16 elsewhere"
          : gpu->o.precision == INGOT_GPU_PREC_TF32 ? "tf32 operands, fp32 accumulate"
          : gpu->o.precision == INGOT_GPU_PREC_BF16 ? "bf16 operands (rounded from fp32), fp32 accumulate"
                                                    : "fp16 operands (rounded from fp32), fp32 accumulate");
  fprintf(f, "  PTX: %zu bytes, %d kernels\n", gpu->ptx_len, gpu->nkernels);
  double total = 0;
  for (int bi = 0; bi < gpu->nbuckets; bi++) {
    const gpu_bucket_t *b = &gpu->buckets[bi];
    fprintf(f, "  bucket %d (%s) kernels:\n", bi, b->name);
    fprintf(f, "    %-16s %-10s %-11s %-16s %-12s %6s %5s %6s %5s %9s  %s\n", "entry", "op", "kind", "grid", "block",
            "smem", "regs", "spill", "occ", "pred us", "tiles / node");
    for (int i = b->first_kernel; i < b->first_kernel + b->nkernels; i++) {
      const gpu_kernel_t *K = &gpu->kernels[i];
      const ingot_gpu_kernel_info_t *I = &K->info;
      char grid[48], block[48], regs[16], spill[16];
      snprintf(grid, sizeof grid, "%ux%ux%u", I->grid[0], I->grid[1], I->grid[2]);
      snprintf(block, sizeof block, "%ux%ux%u", I->block[0], I->block[1], I->block[2]);
      if (I->registers >= 0) snprintf(regs, sizeof regs, "%d", I->registers);
      else snprintf(regs, sizeof regs, "n/a");
      if (I->spill_stores >= 0) snprintf(spill, sizeof spill, "%d", I->spill_stores + I->spill_loads);
      else snprintf(spill, sizeof spill, "n/a");
      fprintf(f, "    %-16s %-10s %-11s %-16s %-12s %6u %5s %6s %5d %9.2f  %s; %s\n", I->entry + strlen(gpu->name) + 1,
              I->op, I->kind, grid, block, I->shared_bytes, regs, spill, I->occupancy, I->predicted_us, K->tiles,
              I->node);
      total += I->predicted_us;
    }
  }
  fprintf(f, "  predicted GPU time (sum of kernel rooflines, no launch overhead): %.2f us\n", total);
  bool any = false;
  for (int i = 0; i < gpu->nkernels; i++) any |= gpu->kernels[i].info.registers >= 0;
  if (!any) fprintf(f, "  registers and spills: n/a (ptxas not found; set INGOT_PTXAS)\n");
}
