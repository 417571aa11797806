/* LLVM CPU backend core: module, kernels, run functions, descriptor.
 *
 * Layout of what a bucket compiles to:
 *   internal void NAME__b<B>_k<K>(i8 *args, i64 begin, i64 end)   one per kernel
 *   internal i32  NAME__b<B>_run(i8 **in, i8 **out, i8 *arena, i8 *weights, i8 *ex)
 *                 calls ingot_rt_launch(ex, K, work, kernel, args) per kernel
 *   NAME__descriptor: an ingot_rt_model_desc_t (runtime/ingot_rt.h) whose
 *                 buckets point at the run functions.
 * The struct types below mirror ingot_rt.h field by field; LLVM's default
 * (non-packed) layout gives the same offsets as the C compiler on x86-64. */
#include <llvm-c/Analysis.h>
#include <llvm-c/ExecutionEngine.h>
#include <llvm-c/Support.h>
#include <llvm-c/Target.h>
#include <llvm-c/TargetMachine.h>
#include <llvm-c/Transforms/PassBuilder.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codegen/cg.h"
#include "codegen/cg_io.h"
#include "codegen/cg_gemm.h"
#include "codegen/codegen.h"
#include "runtime/ingot_rt.h"

typedef struct {
  char *name;
  char *node;
  const char *op;
  double flops, bytes;
  char tiles[128];    /* the emitter's tiling, "" when it has none (for --report) */
  double predicted_s; /* the emitter's cost model, 0 when it has none */
} kinfo_t;

typedef struct {
  char *name;
  uint64_t arena_bytes;
  LLVMValueRef run;
  cg_io_table_t io;
  kinfo_t *kernels;
  int32_t nkernels;
} bucket_t;

typedef struct {
  uint64_t sum, size, offset;
} wentry_t;

struct ingot_cg {
  cg_t c;
  ingot_cg_options_t o;
  char *name;
  LLVMTargetMachineRef tm;
  bucket_t *buckets;
  int nbuckets;
  /* weights blob, deduplicated by (checksum, size, bytes) */
  uint8_t *blob;
  size_t blob_len, blob_cap;
  wentry_t *went;
  size_t nwent, went_cap;
  uint64_t checksum, model_id;
  bool finished;
  LLVMExecutionEngineRef jit;
  int total_kernels;
  char *cpu, *features; /* stamped on every function: the JIT honours them too */
  ingot_target_desc_t target; /* what cost models plan for (codegen/target.h); c.target points here */
};

/* ---- targets (the descriptions live in codegen/target.c) ------------------------------ */

ingot_status_t ingot_cg_check_target(const char *target, int *vector_bits) {
  ingot_target_desc_t t;
  INGOT_RETURN_IF_ERROR(ingot_target_describe(target, false, &t));
  *vector_bits = t.vector_bits;
  return INGOT_OK;
}

static ingot_status_t make_target_machine(ingot_cg_t *m) {
  LLVMInitializeX86TargetInfo();
  LLVMInitializeX86Target();
  LLVMInitializeX86TargetMC();
  LLVMInitializeX86AsmPrinter();
  LLVMInitializeX86AsmParser();
  char *triple = LLVMGetDefaultTargetTriple();
  LLVMTargetRef t;
  char *err = NULL;
  if (LLVMGetTargetFromTriple(triple, &t, &err)) {
    ingot_status_t st = ingot_error(INGOT_CODE_INTERNAL, "LLVM has no target for %s: %s", triple, err);
    LLVMDisposeMessage(err);
    LLVMDisposeMessage(triple);
    return st;
  }
  const char *tname = m->o.target ? m->o.target : "native";
  char *cpu = NULL, *feat = NULL;
  if (!strcmp(tname, "native")) {
    cpu = LLVMGetHostCPUName();
    feat = LLVMGetHostCPUFeatures();
  } else {
    cpu = strdup(m->target.cpu ? m->target.cpu : "");
    feat = strdup(m->target.features ? m->target.features : "");
  }
  LLVMCodeGenOptLevel lvl = m->o.opt_level <= 0 ? LLVMCodeGenLevelNone
                            : m->o.opt_level == 1 ? LLVMCodeGenLevelLess
                            : m->o.opt_level == 2 ? LLVMCodeGenLevelDefault
                                                  : LLVMCodeGenLevelAggressive;
  m->tm = LLVMCreateTargetMachine(t, triple, cpu ? cpu : "", feat ? feat : "", lvl, LLVMRelocPIC, LLVMCodeModelDefault);
  LLVMSetTarget(m->c.mod, triple);
  LLVMTargetDataRef dl = LLVMCreateTargetDataLayout(m->tm);
  char *dls = LLVMCopyStringRepOfTargetData(dl);
  LLVMSetDataLayout(m->c.mod, dls);
  LLVMDisposeMessage(dls);
  LLVMDisposeTargetData(dl);
  m->cpu = strdup(cpu ? cpu : "");
  m->features = strdup(feat ? feat : "");
  if (!strcmp(tname, "native")) {
    LLVMDisposeMessage(cpu);
    LLVMDisposeMessage(feat);
  } else {
    free(cpu);
    free(feat);
  }
  LLVMDisposeMessage(triple);
  return m->tm ? INGOT_OK : ingot_error(INGOT_CODE_INTERNAL, "cannot create an LLVM target machine");
}

/* ---- create / destroy ---------------------------------------------------------- */

ingot_status_t ingot_cg_create(const ingot_cg_options_t *o, ingot_cg_t **out) {
  *out = NULL;
  int vbits;
  INGOT_RETURN_IF_ERROR(ingot_cg_check_target(o->target, &vbits));
  ingot_cg_t *m = calloc(1, sizeof *m);
  if (!m) return ingot_error(INGOT_CODE_NOMEM, "out of memory");
  m->o = *o;
  ingot_status_t tst = ingot_target_describe(o->target, true, &m->target);
  if (tst) {
    free(m);
    return tst;
  }
  m->name = strdup(o->name ? o->name : "model");
  cg_t *c = &m->c;
  cg_init_module(c, m->name);
  c->vector_bits = vbits;
  c->target = &m->target;
  c->owner = m;
  ingot_status_t st = make_target_machine(m);
  if (st) {
    ingot_cg_destroy(m);
    return st;
  }
  *out = m;
  return INGOT_OK;
}

static void free_bucket(bucket_t *b) {
  free(b->name);
  cg_io_free(&b->io);
  for (int k = 0; k < b->nkernels; k++) {
    free(b->kernels[k].name);
    free(b->kernels[k].node);
  }
  free(b->kernels);
}

void ingot_cg_destroy(ingot_cg_t *m) {
  if (!m) return;
  for (int i = 0; i < m->nbuckets; i++) free_bucket(&m->buckets[i]);
  free(m->buckets);
  if (m->jit) {
    LLVMDisposeExecutionEngine(m->jit); /* owns the module */
    m->c.mod = NULL;
  }
  if (m->c.b) LLVMDisposeBuilder(m->c.b);
  if (m->c.mod) LLVMDisposeModule(m->c.mod);
  if (m->tm) LLVMDisposeTargetMachine(m->tm);
  if (m->c.ctx) LLVMContextDispose(m->c.ctx);
  free(m->blob);
  free(m->went);
  free(m->name);
  free(m->cpu);
  free(m->features);
  free(m);
}

/* ---- weights blob ---------------------------------------------------------------- */

typedef struct {
  ingot_cg_t *m;
  ingot_status_t st;
} woff_ctx_t;

/* Appends bytes to the blob (or finds an identical tensor already there). */
static uint64_t blob_add(ingot_cg_t *m, woff_ctx_t *w, const void *data, size_t nbytes);

static uint64_t weight_offset(void *user, const ingot_graph_t *g, int32_t v) {
  woff_ctx_t *w = user;
  if (cg_gemm_packs_only(g, v)) return 0; /* read only through the GEMM's packed copy (codegen/cg_gemm.h) */
  return blob_add(w->m, w, g->values[v].data, g->values[v].nbytes);
}

LLVMValueRef cg_weight_ptr(cg_t *c, cg_kernel_t *k, const void *data, size_t bytes) {
  woff_ctx_t w = {c->owner, INGOT_OK};
  uint64_t off = blob_add(c->owner, &w, data, bytes);
  if (w.st) {
    ingot_status_free(w.st);
    return NULL;
  }
  LLVMValueRef idx = LLVMConstInt(c->t_i64, off, 0);
  return LLVMBuildInBoundsGEP2(c->b, c->t_i8, k->weights, &idx, 1, "");
}

ingot_status_t ingot_cg_add_weight(ingot_cg_t *m, const void *data, size_t bytes, uint64_t *offset) {
  woff_ctx_t w = {m, INGOT_OK};
  *offset = blob_add(m, &w, data, bytes);
  return w.st;
}

static uint64_t blob_add(ingot_cg_t *m, woff_ctx_t *w, const void *data, size_t nbytes) {
  struct {
    const void *data;
    size_t nbytes;
  } vv = {data, nbytes}, *val = &vv;
  if (val->nbytes == 0) return 0; /* nothing is read from it */
  uint64_t sum = ingot_rt_checksum(val->data, val->nbytes);
  for (size_t i = 0; i < m->nwent; i++)
    if (m->went[i].sum == sum && m->went[i].size == val->nbytes &&
        memcmp(m->blob + m->went[i].offset, val->data, val->nbytes) == 0)
      return m->went[i].offset;
  size_t off = (m->blob_len + 63) & ~(size_t)63;
  size_t need = off + val->nbytes;
  if (need > m->blob_cap) {
    size_t cap = m->blob_cap ? m->blob_cap : 4096;
    while (cap < need) cap *= 2;
    uint8_t *p = realloc(m->blob, cap);
    if (!p) {
      if (!w->st) w->st = ingot_error(INGOT_CODE_NOMEM, "out of memory for the weights blob");
      return 0;
    }
    m->blob = p;
    m->blob_cap = cap;
  }
  memset(m->blob + m->blob_len, 0, off - m->blob_len);
  memcpy(m->blob + off, val->data, val->nbytes);
  m->blob_len = need;
  if (m->nwent == m->went_cap) {
    size_t cap = m->went_cap ? m->went_cap * 2 : 64;
    wentry_t *p = realloc(m->went, cap * sizeof *p);
    if (!p) {
      if (!w->st) w->st = ingot_error(INGOT_CODE_NOMEM, "out of memory");
      return off;
    }
    m->went = p;
    m->went_cap = cap;
  }
  m->went[m->nwent++] = (wentry_t){sum, val->nbytes, off};
  return off;
}

/* ---- kernels ------------------------------------------------------------------------ */

static LLVMValueRef storage_ptr(cg_t *c, const ingot_store_t *s, LLVMValueRef in, LLVMValueRef outp, LLVMValueRef arena,
                                LLVMValueRef weights) {
  LLVMValueRef idx;
  switch (s->kind) {
    case INGOT_STORE_INPUT:
    case INGOT_STORE_OUTPUT: {
      idx = LLVMConstInt(c->t_i64, (unsigned long long)s->index, 0);
      LLVMValueRef base = s->kind == INGOT_STORE_INPUT ? in : outp;
      LLVMValueRef p = LLVMBuildInBoundsGEP2(c->b, c->t_ptr, base, &idx, 1, "");
      return LLVMBuildLoad2(c->b, c->t_ptr, p, "");
    }
    case INGOT_STORE_WEIGHT:
    case INGOT_STORE_ARENA:
      idx = LLVMConstInt(c->t_i64, s->offset, 0);
      return LLVMBuildInBoundsGEP2(c->b, c->t_i8, s->kind == INGOT_STORE_WEIGHT ? weights : arena, &idx, 1, "");
    default: return LLVMConstNull(c->t_ptr);
  }
}

static ingot_status_t build_kernel(ingot_cg_t *m, const ingot_graph_t *g, int32_t node, const char *fname,
                                   cg_emit_fn emit, cg_kernel_t *k) {
  cg_t *c = &m->c;
  const ingot_node_t *n = &g->nodes[node];
  LLVMTypeRef params[3] = {c->t_ptr, c->t_i64, c->t_i64};
  LLVMTypeRef fty = LLVMFunctionType(c->t_void, params, 3, 0);
  LLVMValueRef fn = LLVMAddFunction(c->mod, fname, fty);
  LLVMSetLinkage(fn, LLVMInternalLinkage);
  c->fn = fn;
  c->entry = LLVMAppendBasicBlockInContext(c->ctx, fn, "entry");
  LLVMPositionBuilderAtEnd(c->b, c->entry);
  memset(k, 0, sizeof *k);
  k->node = node;
  k->n = n;
  k->nin = n->ninputs;
  k->nout = n->noutputs;
  if (n->ninputs > CG_MAX_IO || n->noutputs > CG_MAX_IO)
    return ingot_node_error(g, node, INGOT_CODE_UNSUPPORTED, "more than %d inputs or outputs", CG_MAX_IO);
  LLVMValueRef args = LLVMBuildBitCast(c->b, LLVMGetParam(fn, 0), LLVMPointerType(c->t_ptr, 0), "args");
  uint32_t slot = 0;
  for (uint32_t i = 0; i < n->ninputs + n->noutputs; i++, slot++) {
    int32_t v = i < n->ninputs ? n->inputs[i] : n->outputs[i - n->ninputs];
    LLVMValueRef *dst = i < n->ninputs ? &k->in[i] : &k->out[i - n->ninputs];
    const ingot_value_t **vdst = i < n->ninputs ? &k->vin[i] : &k->vout[i - n->ninputs];
    if (v < 0) continue;
    LLVMValueRef idx = LLVMConstInt(c->t_i64, slot, 0);
    LLVMValueRef p = LLVMBuildLoad2(c->b, c->t_ptr, LLVMBuildInBoundsGEP2(c->b, c->t_ptr, args, &idx, 1, ""), "");
    const ingot_value_t *val = &g->values[v];
    *dst = LLVMBuildBitCast(c->b, p, LLVMPointerType(cg_type(c, val->type.dtype), 0), val->name);
    *vdst = val;
  }
  {
    /* the slot after the outputs holds the weights blob's base */
    LLVMValueRef idx = LLVMConstInt(c->t_i64, n->ninputs + n->noutputs, 0);
    k->weights = LLVMBuildLoad2(c->b, c->t_ptr, LLVMBuildInBoundsGEP2(c->b, c->t_ptr, args, &idx, 1, ""), "weights");
  }
  k->begin = LLVMGetParam(fn, 1);
  k->end = LLVMGetParam(fn, 2);
  k->work = 1;
  INGOT_RETURN_IF_ERROR(emit(c, k));
  if (k->work < 1) k->work = 1;
  LLVMBuildRetVoid(c->b);
  return INGOT_OK;
}

static char *dupf(const char *fmt, const char *a, int b, int cidx) {
  size_t n = strlen(fmt) + strlen(a) + 32;
  char *s = malloc(n);
  if (s) snprintf(s, n, fmt, a, b, cidx);
  return s;
}

ingot_status_t ingot_cg_add_bucket(ingot_cg_t *m, const ingot_graph_t *g, const char *bucket_name,
                                   uint64_t *arena_bytes, uint64_t *naive_bytes) {
  if (m->finished) return ingot_error(INGOT_CODE_INTERNAL, "bucket added after finish");
  cg_t *c = &m->c;
  c->g = g;
  bucket_t *nb = realloc(m->buckets, (size_t)(m->nbuckets + 1) * sizeof *nb);
  if (!nb) return ingot_error(INGOT_CODE_NOMEM, "out of memory");
  m->buckets = nb;
  int bi = m->nbuckets++;
  bucket_t *b = &m->buckets[bi];
  memset(b, 0, sizeof *b);
  b->name = strdup(bucket_name ? bucket_name : "default");
  INGOT_RETURN_IF_ERROR(cg_io_record(&b->io, g));
  for (uint32_t i = 0; i < g->nnodes; i++)
    if (g->nodes[i].op == INGOT_OP_IF || g->nodes[i].op == INGOT_OP_LOOP || g->nodes[i].op == INGOT_OP_SCAN)
      return ingot_node_error(g, (int32_t)i, INGOT_CODE_UNSUPPORTED, "control flow is not compiled");

  woff_ctx_t wctx = {m, INGOT_OK};
  ingot_memplan_t plan;
  INGOT_RETURN_IF_ERROR(ingot_memplan_build(g, weight_offset, &wctx, &plan));
  if (wctx.st) {
    ingot_memplan_free(&plan);
    return wctx.st;
  }
  b->arena_bytes = plan.arena_bytes;
  if (arena_bytes) *arena_bytes = plan.arena_bytes;
  if (naive_bytes) *naive_bytes = plan.naive_bytes;

  ingot_status_t st = INGOT_OK;
  b->kernels = calloc(g->nnodes + 1, sizeof *b->kernels);
  int32_t *kid = calloc(g->nnodes + 1, sizeof *kid);
  int64_t *work = calloc(g->nnodes + 1, sizeof *work);
  LLVMValueRef *kfn = calloc(g->nnodes + 1, sizeof *kfn);
  if (!b->kernels || !kid || !work || !kfn) st = ingot_error(INGOT_CODE_NOMEM, "out of memory");
  char fname[512];
  for (uint32_t i = 0; !st && i < g->nnodes; i++) {
    const ingot_node_t *n = &g->nodes[i];
    kid[i] = -1;
    if (plan.alias[i]) continue;
    cg_emit_fn emit = cg_emitter_for((ingot_op_t)n->op);
    if (!emit) {
      st = ingot_node_error(g, (int32_t)i, INGOT_CODE_UNSUPPORTED, "op %s has no CPU code generator%s", n->op_type,
                            n->op < INGOT_OP_COUNT_ ? " (should have been constant-folded?)" : "");
      break;
    }
    snprintf(fname, sizeof fname, "%s__b%d_k%d", m->name, bi, b->nkernels);
    cg_kernel_t k;
    st = build_kernel(m, g, (int32_t)i, fname, emit, &k);
    if (st) break;
    kinfo_t *ki = &b->kernels[b->nkernels];
    /* the tile config rides in the name, so traces and profiles show it */
    if (k.tiles[0]) {
      size_t nl = strlen(n->op_type) + strlen(k.tiles) + 40;
      ki->name = malloc(nl);
      if (ki->name) snprintf(ki->name, nl, "%s_%d_%d [%s]", n->op_type, bi, b->nkernels, k.tiles);
    } else {
      ki->name = dupf("%s_%d_%d", n->op_type, bi, b->nkernels);
    }
    ki->node = strdup(n->name);
    ki->op = ingot_op_name((ingot_op_t)n->op);
    ki->flops = k.flops;
    ki->bytes = k.bytes;
    memcpy(ki->tiles, k.tiles, sizeof ki->tiles);
    ki->tiles[sizeof ki->tiles - 1] = 0;
    ki->predicted_s = k.predicted_s;
    kid[i] = b->nkernels++;
    work[i] = k.work;
    kfn[i] = c->fn;
  }
  /* the run function */
  if (!st) {
    LLVMTypeRef ptrptr = LLVMPointerType(c->t_ptr, 0);
    LLVMTypeRef params[5] = {ptrptr, ptrptr, c->t_ptr, c->t_ptr, c->t_ptr};
    snprintf(fname, sizeof fname, "%s__b%d_run", m->name, bi);
    LLVMValueRef run = LLVMAddFunction(c->mod, fname, LLVMFunctionType(c->t_i32, params, 5, 0));
    LLVMSetLinkage(run, LLVMInternalLinkage);
    b->run = run;
    c->fn = run;
    c->entry = LLVMAppendBasicBlockInContext(c->ctx, run, "entry");
    LLVMPositionBuilderAtEnd(c->b, c->entry);
    LLVMValueRef pin = LLVMGetParam(run, 0), pout = LLVMGetParam(run, 1), arena = LLVMGetParam(run, 2),
                 weights = LLVMGetParam(run, 3), ex = LLVMGetParam(run, 4);
    LLVMTypeRef task_params[3] = {c->t_ptr, c->t_i64, c->t_i64};
    LLVMTypeRef task_ty = LLVMPointerType(LLVMFunctionType(c->t_void, task_params, 3, 0), 0);
    LLVMTypeRef launch_params[5] = {c->t_ptr, c->t_i32, c->t_i64, task_ty, c->t_ptr};
    LLVMTypeRef launch_ty = LLVMFunctionType(c->t_void, launch_params, 5, 0);
    LLVMValueRef launch = LLVMGetNamedFunction(c->mod, "ingot_rt_launch");
    if (!launch) launch = LLVMAddFunction(c->mod, "ingot_rt_launch", launch_ty);
    for (uint32_t i = 0; i < g->nnodes; i++) {
      if (kid[i] < 0) continue;
      const ingot_node_t *n = &g->nodes[i];
      uint32_t nargs = n->ninputs + n->noutputs;
      LLVMValueRef arr = LLVMBuildAlloca(c->b, LLVMArrayType(c->t_ptr, nargs + 1), "args");
      {
        LLVMValueRef idx[2] = {LLVMConstInt(c->t_i64, 0, 0), LLVMConstInt(c->t_i64, nargs, 0)};
        LLVMBuildStore(c->b, weights, LLVMBuildInBoundsGEP2(c->b, LLVMArrayType(c->t_ptr, nargs + 1), arr, idx, 2, ""));
      }
      for (uint32_t a = 0; a < nargs; a++) {
        int32_t v = a < n->ninputs ? n->inputs[a] : n->outputs[a - n->ninputs];
        LLVMValueRef p = v < 0 ? LLVMConstNull(c->t_ptr) : storage_ptr(c, &plan.store[v], pin, pout, arena, weights);
        LLVMValueRef idx[2] = {LLVMConstInt(c->t_i64, 0, 0), LLVMConstInt(c->t_i64, a, 0)};
        LLVMBuildStore(c->b, p, LLVMBuildInBoundsGEP2(c->b, LLVMArrayType(c->t_ptr, nargs + 1), arr, idx, 2, ""));
      }
      LLVMValueRef cargs[5] = {ex, LLVMConstInt(c->t_i32, (unsigned long long)kid[i], 0),
                               LLVMConstInt(c->t_i64, (unsigned long long)work[i], 0), kfn[i],
                               LLVMBuildBitCast(c->b, arr, c->t_ptr, "")};
      LLVMBuildCall2(c->b, launch_ty, launch, cargs, 5, "");
    }
    /* outputs nobody wrote: graph inputs, constants or views passed through */
    LLVMTypeRef memcpy_params[3] = {c->t_ptr, c->t_ptr, c->t_i64};
    LLVMTypeRef memcpy_ty = LLVMFunctionType(c->t_ptr, memcpy_params, 3, 0);
    LLVMValueRef memcpy_fn = LLVMGetNamedFunction(c->mod, "memcpy");
    for (uint32_t j = 0; j < g->noutputs; j++) {
      int32_t v = g->outputs[j];
      const ingot_store_t *s = &plan.store[v];
      if (s->kind == INGOT_STORE_OUTPUT && s->index == (int32_t)j) continue;
      size_t bytes;
      st = ingot_value_nbytes(g, v, &bytes);
      if (st) break;
      if (!memcpy_fn) memcpy_fn = LLVMAddFunction(c->mod, "memcpy", memcpy_ty);
      ingot_store_t dst = {INGOT_STORE_OUTPUT, (int32_t)j, 0};
      LLVMValueRef args3[3] = {storage_ptr(c, &dst, pin, pout, arena, weights),
                               storage_ptr(c, s, pin, pout, arena, weights), LLVMConstInt(c->t_i64, bytes, 0)};
      LLVMBuildCall2(c->b, memcpy_ty, memcpy_fn, args3, 3, "");
    }
    LLVMBuildRet(c->b, LLVMConstInt(c->t_i32, 0, 0));
  }
  m->total_kernels += b->nkernels;
  free(kid);
  free(work);
  free(kfn);
  ingot_memplan_free(&plan);
  return st;
}

/* ---- descriptor -------------------------------------------------------------------- */

static LLVMValueRef const_str(cg_t *c, const char *s, const char *gname) {
  LLVMValueRef init = LLVMConstStringInContext(c->ctx, s, (unsigned)strlen(s), 0);
  LLVMValueRef gv = LLVMAddGlobal(c->mod, LLVMTypeOf(init), gname);
  LLVMSetInitializer(gv, init);
  LLVMSetGlobalConstant(gv, 1);
  LLVMSetLinkage(gv, LLVMPrivateLinkage);
  LLVMSetUnnamedAddress(gv, LLVMGlobalUnnamedAddr);
  return LLVMConstBitCast(gv, c->t_ptr);
}

static LLVMValueRef const_global(cg_t *c, LLVMValueRef init, const char *gname) {
  LLVMValueRef gv = LLVMAddGlobal(c->mod, LLVMTypeOf(init), gname);
  LLVMSetInitializer(gv, init);
  LLVMSetGlobalConstant(gv, 1);
  LLVMSetLinkage(gv, LLVMPrivateLinkage);
  return LLVMConstBitCast(gv, c->t_ptr);
}

static LLVMValueRef io_array(cg_t *c, LLVMTypeRef io_ty, const cg_io_list_t *l, const char *tag) {
  int n = l->n;
  char **names = l->names;
  int32_t *dtype = l->dtype, *rank = l->rank;
  int64_t (*dims)[INGOT_MAX_RANK] = l->dims;
  LLVMValueRef *elems = calloc((size_t)n + 1, sizeof *elems);
  char gname[128];
  for (int i = 0; i < n; i++) {
    LLVMValueRef dv[INGOT_MAX_RANK];
    for (int d = 0; d < rank[i]; d++) dv[d] = LLVMConstInt(c->t_i64, (unsigned long long)dims[i][d], 1);
    snprintf(gname, sizeof gname, "%s.dims%d", tag, i);
    LLVMValueRef dims_g =
        rank[i] ? const_global(c, LLVMConstArray(c->t_i64, dv, (unsigned)rank[i]), gname) : LLVMConstNull(c->t_ptr);
    snprintf(gname, sizeof gname, "%s.name%d", tag, i);
    LLVMValueRef f[4] = {const_str(c, names[i], gname), LLVMConstInt(c->t_i32, (unsigned long long)dtype[i], 0),
                         LLVMConstInt(c->t_i32, (unsigned long long)rank[i], 0), dims_g};
    elems[i] = LLVMConstNamedStruct(io_ty, f, 4);
  }
  snprintf(gname, sizeof gname, "%s.io", tag);
  LLVMValueRef r = n ? const_global(c, LLVMConstArray(io_ty, elems, (unsigned)n), gname) : LLVMConstNull(c->t_ptr);
  free(elems);
  return r;
}

static void emit_descriptor(ingot_cg_t *m) {
  cg_t *c = &m->c;
  LLVMTypeRef p = c->t_ptr, i32 = c->t_i32, i64 = c->t_i64, f64 = c->t_f64;
  LLVMTypeRef io_ty = LLVMStructCreateNamed(c->ctx, "ingot_rt_io");
  LLVMTypeRef io_f[4] = {p, i32, i32, p};
  LLVMStructSetBody(io_ty, io_f, 4, 0);
  LLVMTypeRef ki_ty = LLVMStructCreateNamed(c->ctx, "ingot_rt_kernel_info");
  LLVMTypeRef ki_f[5] = {p, p, p, f64, f64};
  LLVMStructSetBody(ki_ty, ki_f, 5, 0);
  LLVMTypeRef b_ty = LLVMStructCreateNamed(c->ctx, "ingot_rt_bucket");
  LLVMTypeRef b_f[9] = {p, i64, p, i32, i32, p, p, i32, p};
  LLVMStructSetBody(b_ty, b_f, 9, 0);
  LLVMTypeRef d_ty = LLVMStructCreateNamed(c->ctx, "ingot_rt_model_desc");
  LLVMTypeRef d_f[8] = {i32, p, i64, i64, i64, p, i32, p};
  LLVMStructSetBody(d_ty, d_f, 8, 0);

  LLVMValueRef *bv = calloc((size_t)m->nbuckets + 1, sizeof *bv);
  char tag[64];
  for (int bi = 0; bi < m->nbuckets; bi++) {
    bucket_t *b = &m->buckets[bi];
    snprintf(tag, sizeof tag, "b%d.in", bi);
    LLVMValueRef ins = io_array(c, io_ty, &b->io.in, tag);
    snprintf(tag, sizeof tag, "b%d.out", bi);
    LLVMValueRef outs = io_array(c, io_ty, &b->io.out, tag);
    LLVMValueRef *kv = calloc((size_t)b->nkernels + 1, sizeof *kv);
    for (int k = 0; k < b->nkernels; k++) {
      char g1[64], g2[64], g3[64];
      snprintf(g1, sizeof g1, "b%d.k%d.name", bi, k);
      snprintf(g2, sizeof g2, "b%d.k%d.node", bi, k);
      snprintf(g3, sizeof g3, "b%d.k%d.op", bi, k);
      LLVMValueRef f[5] = {const_str(c, b->kernels[k].name, g1), const_str(c, b->kernels[k].node, g2),
                           const_str(c, b->kernels[k].op, g3), LLVMConstReal(f64, b->kernels[k].flops),
                           LLVMConstReal(f64, b->kernels[k].bytes)};
      kv[k] = LLVMConstNamedStruct(ki_ty, f, 5);
    }
    snprintf(tag, sizeof tag, "b%d.kernels", bi);
    LLVMValueRef kern = b->nkernels ? const_global(c, LLVMConstArray(ki_ty, kv, (unsigned)b->nkernels), tag)
                                    : LLVMConstNull(p);
    free(kv);
    snprintf(tag, sizeof tag, "b%d.name", bi);
    LLVMValueRef f[9] = {const_str(c, b->name, tag),
                         LLVMConstInt(i64, b->arena_bytes, 0),
                         LLVMConstBitCast(b->run, p),
                         LLVMConstInt(i32, (unsigned long long)b->io.in.n, 0),
                         LLVMConstInt(i32, (unsigned long long)b->io.out.n, 0),
                         ins,
                         outs,
                         LLVMConstInt(i32, (unsigned long long)b->nkernels, 0),
                         kern};
    bv[bi] = LLVMConstNamedStruct(b_ty, f, 9);
  }
  LLVMValueRef buckets = const_global(c, LLVMConstArray(b_ty, bv, (unsigned)m->nbuckets), "buckets");
  free(bv);
  LLVMValueRef emb = LLVMConstNull(p);
  if (m->o.embed_weights && m->blob_len) {
    LLVMValueRef init = LLVMConstStringInContext(c->ctx, (const char *)m->blob, (unsigned)m->blob_len, 1);
    LLVMValueRef gv = LLVMAddGlobal(c->mod, LLVMTypeOf(init), "weights");
    LLVMSetInitializer(gv, init);
    LLVMSetGlobalConstant(gv, 1);
    LLVMSetLinkage(gv, LLVMPrivateLinkage);
    LLVMSetAlignment(gv, 64);
    emb = LLVMConstBitCast(gv, p);
  }
  LLVMValueRef df[8] = {LLVMConstInt(i32, INGOT_RT_ABI, 0), const_str(c, m->name, "model_name"),
                        LLVMConstInt(i64, m->model_id, 0),   LLVMConstInt(i64, m->blob_len, 0),
                        LLVMConstInt(i64, m->checksum, 0),   emb,
                        LLVMConstInt(i32, (unsigned long long)m->nbuckets, 0), buckets};
  char dname[300];
  snprintf(dname, sizeof dname, "%s__descriptor", m->name);
  LLVMValueRef desc = LLVMAddGlobal(c->mod, d_ty, dname);
  LLVMSetInitializer(desc, LLVMConstNamedStruct(d_ty, df, 8));
  LLVMSetGlobalConstant(desc, 1);
  if (m->o.shared_entry) {
    LLVMValueRef fn = LLVMAddFunction(c->mod, INGOT_RT_DESCRIPTOR_SYMBOL, LLVMFunctionType(p, NULL, 0, 0));
    LLVMBasicBlockRef bb = LLVMAppendBasicBlockInContext(c->ctx, fn, "entry");
    LLVMPositionBuilderAtEnd(c->b, bb);
    LLVMBuildRet(c->b, LLVMConstBitCast(desc, p));
  }
}

ingot_status_t ingot_cg_finish(ingot_cg_t *m) {
  if (m->finished) return INGOT_OK;
  if (m->nbuckets == 0) return ingot_error(INGOT_CODE_INTERNAL, "no buckets compiled");
  m->checksum = ingot_rt_checksum(m->blob, m->blob_len);
  /* The id ties weights to this artifact: weights, name and kernel structure. */
  uint64_t h = m->checksum ^ ingot_rt_checksum(m->name, strlen(m->name));
  for (int bi = 0; bi < m->nbuckets; bi++) {
    const bucket_t *b = &m->buckets[bi];
    h = h * 0x100000001b3ull ^ (uint64_t)b->nkernels ^ (b->arena_bytes << 17);
    for (int k = 0; k < b->nkernels; k++) h = h * 0x100000001b3ull ^ ingot_rt_checksum(b->kernels[k].name, strlen(b->kernels[k].name));
  }
  m->model_id = h;
  emit_descriptor(m);
  /* Target CPU and features as function attributes: code generation (the
   * target machine's and MCJIT's alike) then uses the chosen ISA. */
  for (LLVMValueRef f = LLVMGetFirstFunction(m->c.mod); f; f = LLVMGetNextFunction(f)) {
    if (LLVMCountBasicBlocks(f) == 0) continue;
    LLVMAttributeRef a1 = LLVMCreateStringAttribute(m->c.ctx, "target-cpu", 10, m->cpu, (unsigned)strlen(m->cpu));
    LLVMAttributeRef a2 =
        LLVMCreateStringAttribute(m->c.ctx, "target-features", 15, m->features, (unsigned)strlen(m->features));
    LLVMAddAttributeAtIndex(f, LLVMAttributeFunctionIndex, a1);
    LLVMAddAttributeAtIndex(f, LLVMAttributeFunctionIndex, a2);
  }
  char *err = NULL;
  if (LLVMVerifyModule(m->c.mod, LLVMReturnStatusAction, &err)) {
    ingot_status_t st = ingot_error(INGOT_CODE_INTERNAL, "generated LLVM IR does not verify: %.600s", err);
    LLVMDisposeMessage(err);
    return st;
  }
  LLVMDisposeMessage(err);
  if (m->o.opt_level > 0) {
    LLVMPassBuilderOptionsRef po = LLVMCreatePassBuilderOptions();
    LLVMPassBuilderOptionsSetLoopVectorization(po, 1);
    LLVMPassBuilderOptionsSetSLPVectorization(po, 1);
    LLVMPassBuilderOptionsSetLoopUnrolling(po, 1);
    char pipeline[32];
    snprintf(pipeline, sizeof pipeline, "default<O%d>", m->o.opt_level > 3 ? 3 : m->o.opt_level);
    LLVMErrorRef e = LLVMRunPasses(m->c.mod, pipeline, m->tm, po);
    LLVMDisposePassBuilderOptions(po);
    if (e) {
      char *msg = LLVMGetErrorMessage(e);
      ingot_status_t st = ingot_error(INGOT_CODE_INTERNAL, "LLVM optimisation failed: %s", msg);
      LLVMDisposeErrorMessage(msg);
      return st;
    }
  }
  m->finished = true;
  return INGOT_OK;
}

ingot_status_t ingot_cg_emit(ingot_cg_t *m, ingot_emit_kind_t kind, uint8_t **buf, size_t *len) {
  *buf = NULL;
  *len = 0;
  if (!m->finished) return ingot_error(INGOT_CODE_INTERNAL, "emit before finish");
  if (kind == INGOT_EMIT_LLVM_IR) {
    char *s = LLVMPrintModuleToString(m->c.mod);
    *len = strlen(s);
    *buf = malloc(*len + 1);
    if (*buf) memcpy(*buf, s, *len + 1);
    LLVMDisposeMessage(s);
    return *buf ? INGOT_OK : ingot_error(INGOT_CODE_NOMEM, "out of memory");
  }
  LLVMMemoryBufferRef mb;
  char *err = NULL;
  if (LLVMTargetMachineEmitToMemoryBuffer(m->tm, m->c.mod, kind == INGOT_EMIT_ASM ? LLVMAssemblyFile : LLVMObjectFile,
                                          &err, &mb)) {
    ingot_status_t st = ingot_error(INGOT_CODE_INTERNAL, "LLVM code emission failed: %s", err ? err : "?");
    LLVMDisposeMessage(err);
    return st;
  }
  *len = LLVMGetBufferSize(mb);
  *buf = malloc(*len ? *len : 1);
  if (*buf) memcpy(*buf, LLVMGetBufferStart(mb), *len);
  LLVMDisposeMemoryBuffer(mb);
  return *buf ? INGOT_OK : ingot_error(INGOT_CODE_NOMEM, "out of memory");
}

const uint8_t *ingot_cg_weights(const ingot_cg_t *m, size_t *len) {
  *len = m->blob_len;
  return m->blob;
}
uint64_t ingot_cg_weights_checksum(const ingot_cg_t *m) { return m->checksum; }
uint64_t ingot_cg_model_id(const ingot_cg_t *m) { return m->model_id; }
int ingot_cg_kernel_count(const ingot_cg_t *m) { return m->total_kernels; }
cg_t *cg_of(ingot_cg_t *m) { return &m->c; }

void ingot_cg_report_tiles(const ingot_cg_t *m, FILE *f) {
  char line[512];
  ingot_target_format(&m->target, line, sizeof line);
  fprintf(f, "  target %s\n", line);
  for (int bi = 0; bi < m->nbuckets; bi++) {
    double flops = 0, bytes = 0;
    for (int k = 0; k < m->buckets[bi].nkernels; k++) {
      flops += m->buckets[bi].kernels[k].flops;
      bytes += m->buckets[bi].kernels[k].bytes;
    }
    /* the floor no schedule can beat: every FLOP at the FMA peak of all cores */
    double peak = m->target.peak_gflops * 1e9;
    fprintf(f, "  work (bucket %d): %.4g GFLOP, %.4g MB per run (the emitters' estimates); at the FMA peak %.3f ms "
               "on 1 core, %.3f ms on %d\n",
            bi, flops / 1e9, bytes / 1e6, peak > 0 ? flops / peak * 1e3 : 0.0,
            peak > 0 ? flops / peak / (m->target.cores > 0 ? m->target.cores : 1) * 1e3 : 0.0,
            m->target.cores > 0 ? m->target.cores : 1);
  }
  for (int bi = 0; bi < m->nbuckets; bi++)
    for (int k = 0; k < m->buckets[bi].nkernels; k++) {
      const kinfo_t *ki = &m->buckets[bi].kernels[k];
      if (!ki->tiles[0]) continue;
      double pred = ki->predicted_s;
      fprintf(f, "  kernel %s (node '%s'): %.1f MFLOP, tiles %s, predicted %.3f ms = %.1f GFLOP/s (1 thread)\n",
              ki->name, ki->node, ki->flops / 1e6, ki->tiles, pred * 1e3, pred > 0 ? ki->flops / pred / 1e9 : 0.0);
    }
}

ingot_status_t ingot_cg_jit(ingot_cg_t *m, const void **descriptor) {
  *descriptor = NULL;
  if (!m->finished) return ingot_error(INGOT_CODE_INTERNAL, "jit before finish");
  if (!m->jit) {
    LLVMLinkInMCJIT();
    LLVMAddSymbol("ingot_rt_launch", (void *)(uintptr_t)ingot_rt_launch);
    struct LLVMMCJITCompilerOptions opts;
    LLVMInitializeMCJITCompilerOptions(&opts, sizeof opts);
    opts.OptLevel = 2;
    char *err = NULL;
    if (LLVMCreateMCJITCompilerForModule(&m->jit, m->c.mod, &opts, sizeof opts, &err)) {
      ingot_status_t st = ingot_error(INGOT_CODE_INTERNAL, "cannot create the JIT: %s", err ? err : "?");
      LLVMDisposeMessage(err);
      m->jit = NULL;
      return st;
    }
  }
  char dname[300];
  snprintf(dname, sizeof dname, "%s__descriptor", m->name);
  uint64_t addr = LLVMGetGlobalValueAddress(m->jit, dname);
  if (!addr) return ingot_error(INGOT_CODE_INTERNAL, "JIT: descriptor symbol not found");
  *descriptor = (const void *)(uintptr_t)addr;
  return INGOT_OK;
}
