/* Host side of a GPU artifact: an object file holding only data -- the
 * ingot_rt_cuda_desc_t (runtime/ingot_rt.h) with the PTX, the launch
 * tables, the bucket I/O descriptions and (with --embed-weights) the
 * weights -- built as an LLVM module for the host so that the artifact has
 * the same shape as a CPU one (NAME.h, NAME.o, libNAME.a, NAME.weights).
 * The LLVM struct types below mirror ingot_rt.h field by field; LLVM's
 * default layout gives the C compiler's offsets on x86-64 (tests JIT the
 * object and read it through the C structs). */
#include <errno.h>
#include <llvm-c/Analysis.h>
#include <llvm-c/ExecutionEngine.h>
#include <llvm-c/Target.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "codegen/artifact.h"
#include "codegen/gpu_impl.h"

typedef struct {
  LLVMContextRef ctx;
  LLVMModuleRef mod;
  LLVMTypeRef p, i32, i64, f64;
  LLVMTypeRef io, kinfo, bucket, desc, ref, launch, copy, cbucket, cdesc;
  int nstr;
} host_t;

static LLVMValueRef h_global(host_t *h, LLVMValueRef init, const char *tag) {
  char name[64];
  snprintf(name, sizeof name, ".%s%d", tag, h->nstr++);
  LLVMValueRef gv = LLVMAddGlobal(h->mod, LLVMTypeOf(init), name);
  LLVMSetInitializer(gv, init);
  LLVMSetGlobalConstant(gv, 1);
  LLVMSetLinkage(gv, LLVMPrivateLinkage);
  return LLVMConstBitCast(gv, h->p);
}

static LLVMValueRef h_str(host_t *h, const char *s) {
  return h_global(h, LLVMConstStringInContext(h->ctx, s, (unsigned)strlen(s), 0), "str");
}

static LLVMValueRef h_array(host_t *h, LLVMTypeRef t, LLVMValueRef *v, int n, const char *tag) {
  if (n <= 0) return LLVMConstNull(h->p);
  return h_global(h, LLVMConstArray(t, v, (unsigned)n), tag);
}

static LLVMValueRef h_i32(host_t *h, int64_t v) { return LLVMConstInt(h->i32, (unsigned long long)v, 1); }
static LLVMValueRef h_i64(host_t *h, uint64_t v) { return LLVMConstInt(h->i64, v, 0); }

static LLVMTypeRef h_struct(host_t *h, const char *name, LLVMTypeRef *f, unsigned n) {
  LLVMTypeRef t = LLVMStructCreateNamed(h->ctx, name);
  LLVMStructSetBody(t, f, n, 0);
  return t;
}

static LLVMValueRef io_array(host_t *h, const cg_io_list_t *l) {
  int n = l->n;
  char **names = l->names;
  int32_t *dtype = l->dtype, *rank = l->rank;
  int64_t (*dims)[INGOT_MAX_RANK] = l->dims;
  LLVMValueRef *e = calloc((size_t)n + 1, sizeof *e);
  if (!e) return NULL;
  for (int i = 0; i < n; i++) {
    LLVMValueRef dv[INGOT_MAX_RANK];
    for (int d = 0; d < rank[i]; d++) dv[d] = LLVMConstInt(h->i64, (unsigned long long)dims[i][d], 1);
    LLVMValueRef f[4] = {h_str(h, names[i]), h_i32(h, dtype[i]), h_i32(h, rank[i]),
                         h_array(h, h->i64, dv, rank[i], "dims")};
    e[i] = LLVMConstNamedStruct(h->io, f, 4);
  }
  LLVMValueRef r = h_array(h, h->io, e, n, "io");
  free(e);
  return r;
}

static LLVMValueRef ref_const(host_t *h, const ingot_rt_cuda_ref_t *r) {
  LLVMValueRef f[3] = {h_i32(h, r->kind), h_i32(h, r->index), h_i64(h, r->offset)};
  return LLVMConstNamedStruct(h->ref, f, 3);
}

static ingot_status_t make_host_tm(ingot_gpu_t *gpu) {
  char *triple = LLVMGetDefaultTargetTriple();
  LLVMTargetRef t;
  char *err = NULL;
  if (LLVMGetTargetFromTriple(triple, &t, &err)) {
    ingot_status_t st = ingot_error(INGOT_CODE_INTERNAL, "LLVM has no host target %s: %s", triple, err ? err : "?");
    LLVMDisposeMessage(err);
    LLVMDisposeMessage(triple);
    return st;
  }
  gpu->htm = LLVMCreateTargetMachine(t, triple, "", "", LLVMCodeGenLevelDefault, LLVMRelocPIC, LLVMCodeModelDefault);
  LLVMSetTarget(gpu->hmod, triple);
  LLVMTargetDataRef dl = LLVMCreateTargetDataLayout(gpu->htm);
  char *dls = LLVMCopyStringRepOfTargetData(dl);
  LLVMSetDataLayout(gpu->hmod, dls);
  LLVMDisposeMessage(dls);
  LLVMDisposeTargetData(dl);
  LLVMDisposeMessage(triple);
  return gpu->htm ? INGOT_OK : ingot_error(INGOT_CODE_INTERNAL, "cannot create the host target machine");
}

ingot_status_t gpu_build_host(ingot_gpu_t *gpu) {
  host_t H, *h = &H;
  memset(h, 0, sizeof *h);
  gpu->hctx = h->ctx = LLVMContextCreate();
  gpu->hmod = h->mod = LLVMModuleCreateWithNameInContext(gpu->name, h->ctx);
  INGOT_RETURN_IF_ERROR(make_host_tm(gpu));
  h->i32 = LLVMInt32TypeInContext(h->ctx);
  h->i64 = LLVMInt64TypeInContext(h->ctx);
  h->f64 = LLVMDoubleTypeInContext(h->ctx);
  h->p = LLVMPointerType(LLVMInt8TypeInContext(h->ctx), 0);
  LLVMTypeRef p = h->p, i32 = h->i32, i64 = h->i64, f64 = h->f64;
  LLVMTypeRef a3 = LLVMArrayType(i32, 3);
  h->io = h_struct(h, "ingot_rt_io", (LLVMTypeRef[]){p, i32, i32, p}, 4);
  h->kinfo = h_struct(h, "ingot_rt_kernel_info", (LLVMTypeRef[]){p, p, p, f64, f64}, 5);
  h->bucket = h_struct(h, "ingot_rt_bucket", (LLVMTypeRef[]){p, i64, p, i32, i32, p, p, i32, p}, 9);
  h->desc = h_struct(h, "ingot_rt_model_desc", (LLVMTypeRef[]){i32, p, i64, i64, i64, p, i32, p}, 8);
  h->ref = h_struct(h, "ingot_rt_cuda_ref", (LLVMTypeRef[]){i32, i32, i64}, 3);
  h->launch = h_struct(h, "ingot_rt_cuda_launch", (LLVMTypeRef[]){p, a3, a3, i32, i32, p}, 6);
  h->copy = h_struct(h, "ingot_rt_cuda_copy", (LLVMTypeRef[]){h->ref, h->ref, i64}, 3);
  h->cbucket = h_struct(h, "ingot_rt_cuda_bucket", (LLVMTypeRef[]){i32, p, i32, p}, 4);
  h->cdesc = h_struct(h, "ingot_rt_cuda_desc", (LLVMTypeRef[]){h->desc, p, i32, p, p}, 5);

  /* identity: weights, name, kernel structure and the PTX itself */
  size_t wlen;
  const uint8_t *w = ingot_cg_weights(gpu->wcg, &wlen);
  gpu->checksum = ingot_rt_checksum(w, wlen);
  uint64_t id = gpu->checksum ^ ingot_rt_checksum(gpu->name, strlen(gpu->name)) ^ 0x6770750000000000ull;
  id = id * 0x100000001b3ull ^ ingot_rt_checksum(gpu->ptx, gpu->ptx_len);
  for (int bi = 0; bi < gpu->nbuckets; bi++)
    id = id * 0x100000001b3ull ^ (uint64_t)gpu->buckets[bi].nkernels ^ (gpu->buckets[bi].arena_bytes << 17);
  gpu->model_id = id;

  LLVMValueRef *bv = calloc((size_t)gpu->nbuckets + 1, sizeof *bv);
  LLVMValueRef *cbv = calloc((size_t)gpu->nbuckets + 1, sizeof *cbv);
  if (!bv || !cbv) {
    free(bv);
    free(cbv);
    return ingot_error(INGOT_CODE_NOMEM, "out of memory");
  }
  for (int bi = 0; bi < gpu->nbuckets; bi++) {
    gpu_bucket_t *b = &gpu->buckets[bi];
    LLVMValueRef ins = io_array(h, &b->io.in);
    LLVMValueRef outs = io_array(h, &b->io.out);
    int nk = b->nkernels;
    LLVMValueRef *kv = calloc((size_t)nk + 1, sizeof *kv), *lv = calloc((size_t)nk + 1, sizeof *lv);
    LLVMValueRef *cv = calloc((size_t)b->ncopies + 1, sizeof *cv);
    if (!ins || !outs || !kv || !lv || !cv) {
      free(kv);
      free(lv);
      free(cv);
      free(bv);
      free(cbv);
      return ingot_error(INGOT_CODE_NOMEM, "out of memory");
    }
    for (int k = 0; k < nk; k++) {
      const gpu_kernel_t *K = &gpu->kernels[b->first_kernel + k];
      char kname[256];
      snprintf(kname, sizeof kname, "%s_%d_%d", K->info.op, bi, k);
      LLVMValueRef f[5] = {h_str(h, kname), h_str(h, K->node), h_str(h, K->info.op), LLVMConstReal(f64, K->info.flops),
                           LLVMConstReal(f64, K->info.bytes)};
      kv[k] = LLVMConstNamedStruct(h->kinfo, f, 5);
      LLVMValueRef *rv = calloc((size_t)K->nargs + 1, sizeof *rv);
      if (!rv) return ingot_error(INGOT_CODE_NOMEM, "out of memory");
      for (int a = 0; a < K->nargs; a++) rv[a] = ref_const(h, &K->args[a]);
      LLVMValueRef g3[3] = {h_i32(h, K->info.grid[0]), h_i32(h, K->info.grid[1]), h_i32(h, K->info.grid[2])};
      LLVMValueRef b3[3] = {h_i32(h, K->info.block[0]), h_i32(h, K->info.block[1]), h_i32(h, K->info.block[2])};
      LLVMValueRef lf[6] = {h_str(h, K->entry),
                            LLVMConstArray(i32, g3, 3),
                            LLVMConstArray(i32, b3, 3),
                            h_i32(h, K->info.shared_bytes),
                            h_i32(h, K->nargs),
                            h_array(h, h->ref, rv, K->nargs, "args")};
      free(rv);
      lv[k] = LLVMConstNamedStruct(h->launch, lf, 6);
    }
    for (int i = 0; i < b->ncopies; i++) {
      LLVMValueRef f[3] = {ref_const(h, &b->copies[i].dst), ref_const(h, &b->copies[i].src),
                           h_i64(h, b->copies[i].bytes)};
      cv[i] = LLVMConstNamedStruct(h->copy, f, 3);
    }
    LLVMValueRef bf[9] = {h_str(h, b->name), h_i64(h, b->arena_bytes), LLVMConstNull(p), h_i32(h, b->io.in.n),
                          h_i32(h, b->io.out.n), ins, outs, h_i32(h, nk), h_array(h, h->kinfo, kv, nk, "kinfo")};
    bv[bi] = LLVMConstNamedStruct(h->bucket, bf, 9);
    LLVMValueRef cf[4] = {h_i32(h, nk), h_array(h, h->launch, lv, nk, "launch"), h_i32(h, b->ncopies),
                          h_array(h, h->copy, cv, b->ncopies, "copy")};
    cbv[bi] = LLVMConstNamedStruct(h->cbucket, cf, 4);
    free(kv);
    free(lv);
    free(cv);
  }
  LLVMValueRef buckets = h_array(h, h->bucket, bv, gpu->nbuckets, "buckets");
  LLVMValueRef cbuckets = h_array(h, h->cbucket, cbv, gpu->nbuckets, "cbuckets");
  free(bv);
  free(cbv);
  LLVMValueRef emb = LLVMConstNull(p);
  if (gpu->o.embed_weights && wlen) {
    LLVMValueRef init = LLVMConstStringInContext(h->ctx, (const char *)w, (unsigned)wlen, 1);
    LLVMValueRef gv = LLVMAddGlobal(h->mod, LLVMTypeOf(init), "weights");
    LLVMSetInitializer(gv, init);
    LLVMSetGlobalConstant(gv, 1);
    LLVMSetLinkage(gv, LLVMPrivateLinkage);
    LLVMSetAlignment(gv, 64);
    emb = LLVMConstBitCast(gv, p);
  }
  LLVMValueRef base[8] = {h_i32(h, (int64_t)INGOT_RT_ABI_CUDA), h_str(h, gpu->name), h_i64(h, gpu->model_id),
                          h_i64(h, wlen), h_i64(h, gpu->checksum), emb, h_i32(h, gpu->nbuckets), buckets};
  LLVMValueRef df[5] = {LLVMConstNamedStruct(h->desc, base, 8), h_str(h, gpu->target), h_i32(h, gpu->arch->sm),
                        h_str(h, gpu->ptx), cbuckets};
  char dname[300];
  snprintf(dname, sizeof dname, "%s__descriptor", gpu->name);
  LLVMValueRef desc = LLVMAddGlobal(h->mod, h->cdesc, dname);
  LLVMSetInitializer(desc, LLVMConstNamedStruct(h->cdesc, df, 5));
  LLVMSetGlobalConstant(desc, 1);
  LLVMSetAlignment(desc, 8);
  if (gpu->o.shared_entry) {
    LLVMBuilderRef b = LLVMCreateBuilderInContext(h->ctx);
    LLVMValueRef fn = LLVMAddFunction(h->mod, INGOT_RT_DESCRIPTOR_SYMBOL, LLVMFunctionType(p, NULL, 0, 0));
    LLVMPositionBuilderAtEnd(b, LLVMAppendBasicBlockInContext(h->ctx, fn, "entry"));
    LLVMBuildRet(b, LLVMConstBitCast(desc, p));
    LLVMDisposeBuilder(b);
  }
  char *err = NULL;
  if (LLVMVerifyModule(h->mod, LLVMReturnStatusAction, &err)) {
    ingot_status_t st = ingot_error(INGOT_CODE_INTERNAL, "GPU host module does not verify: %.600s", err);
    LLVMDisposeMessage(err);
    return st;
  }
  LLVMDisposeMessage(err);
  return INGOT_OK;
}

ingot_status_t gpu_emit_host_object(ingot_gpu_t *gpu, uint8_t **buf, size_t *len) {
  *buf = NULL;
  *len = 0;
  if (!gpu->hmod || gpu->jit) return ingot_error(INGOT_CODE_INTERNAL, "no host module to emit");
  LLVMMemoryBufferRef mb;
  char *err = NULL;
  if (LLVMTargetMachineEmitToMemoryBuffer(gpu->htm, gpu->hmod, LLVMObjectFile, &err, &mb)) {
    ingot_status_t st = ingot_error(INGOT_CODE_INTERNAL, "host object emission failed: %s", err ? err : "?");
    LLVMDisposeMessage(err);
    return st;
  }
  *len = LLVMGetBufferSize(mb);
  *buf = malloc(*len ? *len : 1);
  if (*buf) memcpy(*buf, LLVMGetBufferStart(mb), *len);
  LLVMDisposeMemoryBuffer(mb);
  return *buf ? INGOT_OK : ingot_error(INGOT_CODE_NOMEM, "out of memory");
}

ingot_status_t ingot_gpu_jit(ingot_gpu_t *gpu, const void **descriptor) {
  *descriptor = NULL;
  if (!gpu->finished) return ingot_error(INGOT_CODE_INTERNAL, "jit before finish");
  if (!gpu->jit) {
    LLVMLinkInMCJIT();
    struct LLVMMCJITCompilerOptions opts;
    LLVMInitializeMCJITCompilerOptions(&opts, sizeof opts);
    char *err = NULL;
    LLVMExecutionEngineRef ee;
    if (LLVMCreateMCJITCompilerForModule(&ee, gpu->hmod, &opts, sizeof opts, &err)) {
      ingot_status_t st = ingot_error(INGOT_CODE_INTERNAL, "cannot create the JIT: %s", err ? err : "?");
      LLVMDisposeMessage(err);
      return st;
    }
    gpu->jit = ee;
  }
  char dname[300];
  snprintf(dname, sizeof dname, "%s__descriptor", gpu->name);
  uint64_t addr = LLVMGetGlobalValueAddress((LLVMExecutionEngineRef)gpu->jit, dname);
  if (!addr) return ingot_error(INGOT_CODE_INTERNAL, "JIT: descriptor symbol not found");
  *descriptor = (const void *)(uintptr_t)addr;
  return INGOT_OK;
}

void gpu_host_destroy(ingot_gpu_t *gpu) {
  if (gpu->jit) LLVMDisposeExecutionEngine((LLVMExecutionEngineRef)gpu->jit); /* owns hmod */
  else if (gpu->hmod) LLVMDisposeModule(gpu->hmod);
  if (gpu->htm) LLVMDisposeTargetMachine(gpu->htm);
  if (gpu->hctx) LLVMContextDispose(gpu->hctx);
  gpu->jit = NULL;
  gpu->hmod = NULL;
  gpu->htm = NULL;
  gpu->hctx = NULL;
}

/* ---- artifacts ------------------------------------------------------------------------------ */


ingot_status_t ingot_gpu_write_artifacts(ingot_gpu_t *gpu, const ingot_artifact_opts_t *o, bool emit_ptx) {
  if (!gpu->finished) return ingot_error(INGOT_CODE_INTERNAL, "write before finish");
  const char *slash = strrchr(o->out_prefix, '/');
  char *dir = slash ? strndup(o->out_prefix, (size_t)(slash - o->out_prefix)) : strdup(".");
  const char *name = slash ? slash + 1 : o->out_prefix;
  if (!dir) return ingot_error(INGOT_CODE_NOMEM, "out of memory");
  if (!*dir) {
    free(dir);
    dir = strdup("/");
    if (!dir) return ingot_error(INGOT_CODE_NOMEM, "out of memory");
  }
  size_t plen = strlen(dir) + strlen(name) + 32;
  char *path = malloc(plen);
  uint8_t *obj = NULL;
  size_t objlen = 0;
  ingot_status_t st = path ? INGOT_OK : ingot_error(INGOT_CODE_NOMEM, "out of memory");
  if (!st) st = ingot_write_header(gpu->wcg, o);
  if (!st) st = gpu_emit_host_object(gpu, &obj, &objlen);
  if (!st) {
    snprintf(path, plen, "%s/%s.o", dir, name);
    st = ingot_write_file(path, obj, objlen);
  }
  if (!st) {
    char sym[300];
    snprintf(sym, sizeof sym, "%s__descriptor", name);
    const char *syms[1] = {sym};
    char member[16];
    snprintf(member, sizeof member, "%.13s.o", name);
    snprintf(path, plen, "%s/lib%s.a", dir, name);
    st = ingot_write_ar(path, member, obj, objlen, syms, 1);
  }
  if (!st && !o->embed_weights) {
    size_t wlen;
    const uint8_t *w = ingot_cg_weights(gpu->wcg, &wlen);
    uint8_t *file = malloc(INGOT_RT_WEIGHTS_HEADER + wlen);
    if (!file) {
      st = ingot_error(INGOT_CODE_NOMEM, "out of memory");
    } else {
      ingot_rt_weights_header(file, wlen, gpu->checksum, gpu->model_id);
      if (wlen) memcpy(file + INGOT_RT_WEIGHTS_HEADER, w, wlen);
      snprintf(path, plen, "%s/%s.weights", dir, name);
      st = ingot_write_file(path, file, INGOT_RT_WEIGHTS_HEADER + wlen);
      free(file);
    }
  }
  if (!st && (emit_ptx || o->emit_asm)) {
    snprintf(path, plen, "%s/%s.ptx", dir, name);
    st = ingot_write_file(path, gpu->ptx, gpu->ptx_len);
  }
  if (!st && o->emit_llvm_ir) {
    char *s = LLVMPrintModuleToString(gpu->c.mod);
    snprintf(path, plen, "%s/%s.ll", dir, name);
    st = ingot_write_file(path, s, strlen(s));
    LLVMDisposeMessage(s);
  }
  if (!st && o->rt_header) {
    snprintf(path, plen, "%s/ingot_rt.h", dir);
    st = ingot_copy_file(o->rt_header, path);
    const char *sl = strrchr(o->rt_header, '/');
    char npy[4096];
    snprintf(npy, sizeof npy, "%.*s/ingot_npy.h", sl ? (int)(sl - o->rt_header) : 1, sl ? o->rt_header : ".");
    snprintf(path, plen, "%s/ingot_npy.h", dir);
    if (!st) st = ingot_copy_file(npy, path);
  }
  if (!st && o->rt_lib) {
    snprintf(path, plen, "%s/libingot_rt.a", dir);
    st = ingot_copy_file(o->rt_lib, path);
  }
  if (!st && o->shared) st = ingot_link_shared(dir, name, "-ldl");
  free(obj);
  free(path);
  free(dir);
  return st;
}
