/* The CUDA path of libingot_rt: runs GPU artifacts through the CUDA driver
 * API, found with dlopen("libcuda.so.1") when a model is created, so neither
 * the runtime nor apps link against CUDA (a CPU-only machine never needs a
 * driver).  $INGOT_CUDA_DRIVER names another driver library (tests point it
 * at the toolkit's stub, which fails cuInit with CUDA_ERROR_STUB_LIBRARY).
 *
 * Every model has its own function table, device primary context reference,
 * module and device buffers; nothing is global.  The primary context (the
 * one the CUDA runtime API also uses) is pushed around every call and popped
 * again, so a model can share a thread with other CUDA code.
 *
 * Memory: the weights are uploaded once at create; the arena (the largest
 * bucket's), one buffer per input and one per output (the largest size any
 * bucket needs) are allocated at create.  A run copies the host inputs in,
 * launches the bucket's kernels in order on the default stream, performs
 * the device-to-device copies of outputs that alias other tensors, and
 * copies the outputs back (cuMemcpyDtoH synchronises). */
#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rt_cuda.h"

typedef int cu_result;
typedef int cu_device;
typedef void *cu_context;
typedef void *cu_module;
typedef void *cu_function;
typedef unsigned long long cu_ptr;

enum {
  CU_ATTR_CC_MAJOR = 75,
  CU_ATTR_CC_MINOR = 76,
  CU_FUNC_MAX_DYN_SMEM = 8,
  CU_JIT_ERROR_LOG = 5,
  CU_JIT_ERROR_LOG_SIZE = 6,
};

typedef struct {
  void *lib;
  cu_result (*Init)(unsigned);
  cu_result (*DriverGetVersion)(int *);
  cu_result (*DeviceGetCount)(int *);
  cu_result (*DeviceGet)(cu_device *, int);
  cu_result (*DeviceGetName)(char *, int, cu_device);
  cu_result (*DeviceGetAttribute)(int *, int, cu_device);
  cu_result (*PrimaryCtxRetain)(cu_context *, cu_device);
  cu_result (*PrimaryCtxRelease)(cu_device);
  cu_result (*CtxPush)(cu_context);
  cu_result (*CtxPop)(cu_context *);
  cu_result (*CtxSynchronize)(void);
  cu_result (*ModuleLoadDataEx)(cu_module *, const void *, unsigned, int *, void **);
  cu_result (*ModuleUnload)(cu_module);
  cu_result (*ModuleGetFunction)(cu_function *, cu_module, const char *);
  cu_result (*FuncSetAttribute)(cu_function, int, int);
  cu_result (*MemAlloc)(cu_ptr *, size_t);
  cu_result (*MemFree)(cu_ptr);
  cu_result (*MemcpyHtoD)(cu_ptr, const void *, size_t);
  cu_result (*MemcpyDtoH)(void *, cu_ptr, size_t);
  cu_result (*MemcpyDtoD)(cu_ptr, cu_ptr, size_t);
  cu_result (*MemsetD8)(cu_ptr, unsigned char, size_t);
  cu_result (*LaunchKernel)(cu_function, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned, void *,
                            void **, void **);
  cu_result (*GetErrorName)(cu_result, const char **);
  cu_result (*GetErrorString)(cu_result, const char **);
} cuda_api_t;

struct ingot_rt_cuda {
  cuda_api_t api;
  const ingot_rt_cuda_desc_t *d;
  cu_device dev;
  cu_context ctx; /* the device's primary context (retained) */
  int ctx_retained;
  cu_module mod;
  cu_function **fn; /* per bucket, per launch */
  cu_ptr weights, arena;
  cu_ptr *in, *out;   /* per input / output position */
  size_t *in_bytes, *out_bytes; /* their capacity */
  int nin, nout;
};

static void msg(char *err, size_t n, const char *fmt, ...) {
  if (!err || !n) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, n, fmt, ap);
  va_end(ap);
}

static const char *cu_err(const cuda_api_t *a, cu_result r, char *buf, size_t n) {
  const char *name = NULL, *str = NULL;
  if (a->GetErrorName && a->GetErrorName(r, &name) != 0) name = NULL;
  if (a->GetErrorString && a->GetErrorString(r, &str) != 0) str = NULL;
  /* the toolkit's stub library answers nothing: name the usual suspects */
  static const struct {
    int code;
    const char *name, *what;
  } known[] = {
      {3, "CUDA_ERROR_NOT_INITIALIZED", "the driver is not initialised"},
      {34, "CUDA_ERROR_STUB_LIBRARY", "this is the toolkit's stub libcuda, not a driver"},
      {35, "CUDA_ERROR_INSUFFICIENT_DRIVER", "the driver is older than the runtime"},
      {100, "CUDA_ERROR_NO_DEVICE", "no CUDA-capable device is detected"},
      {101, "CUDA_ERROR_INVALID_DEVICE", "invalid device ordinal"},
      {218, "CUDA_ERROR_INVALID_PTX", "the PTX failed to JIT-compile"},
      {222, "CUDA_ERROR_UNSUPPORTED_PTX_VERSION", "the driver is too old for this PTX version"},
  };
  for (size_t i = 0; !name && i < sizeof known / sizeof *known; i++)
    if (known[i].code == r) {
      name = known[i].name;
      if (!str) str = known[i].what;
    }
  if (name) snprintf(buf, n, "%s (%s)", name, str ? str : "no description");
  else snprintf(buf, n, "CUDA error %d (%s)", r, str ? str : "no description");
  return buf;
}

static void api_close(cuda_api_t *a) {
  if (a->lib) dlclose(a->lib);
  memset(a, 0, sizeof *a);
}

/* Loads the driver library and every entry point; INGOT_RT_ERR_DEVICE with
 * "no CUDA driver found: ..." when it is missing. */
static ingot_rt_status_t api_open(cuda_api_t *a, char *err, size_t errlen) {
  memset(a, 0, sizeof *a);
  const char *path = getenv("INGOT_CUDA_DRIVER");
  if (!path || !*path) path = "libcuda.so.1";
  a->lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!a->lib) {
    const char *e = dlerror();
    msg(err, errlen, "no CUDA driver found: %s", e ? e : path);
    return INGOT_RT_ERR_DEVICE;
  }
  struct {
    void **slot;
    const char *name;
  } syms[] = {
      {(void **)&a->Init, "cuInit"},
      {(void **)&a->DriverGetVersion, "cuDriverGetVersion"},
      {(void **)&a->DeviceGetCount, "cuDeviceGetCount"},
      {(void **)&a->DeviceGet, "cuDeviceGet"},
      {(void **)&a->DeviceGetName, "cuDeviceGetName"},
      {(void **)&a->DeviceGetAttribute, "cuDeviceGetAttribute"},
      {(void **)&a->PrimaryCtxRetain, "cuDevicePrimaryCtxRetain"},
      {(void **)&a->PrimaryCtxRelease, "cuDevicePrimaryCtxRelease_v2"},
      {(void **)&a->CtxPush, "cuCtxPushCurrent_v2"},
      {(void **)&a->CtxPop, "cuCtxPopCurrent_v2"},
      {(void **)&a->CtxSynchronize, "cuCtxSynchronize"},
      {(void **)&a->ModuleLoadDataEx, "cuModuleLoadDataEx"},
      {(void **)&a->ModuleUnload, "cuModuleUnload"},
      {(void **)&a->ModuleGetFunction, "cuModuleGetFunction"},
      {(void **)&a->FuncSetAttribute, "cuFuncSetAttribute"},
      {(void **)&a->MemAlloc, "cuMemAlloc_v2"},
      {(void **)&a->MemFree, "cuMemFree_v2"},
      {(void **)&a->MemcpyHtoD, "cuMemcpyHtoD_v2"},
      {(void **)&a->MemcpyDtoH, "cuMemcpyDtoH_v2"},
      {(void **)&a->MemcpyDtoD, "cuMemcpyDtoD_v2"},
      {(void **)&a->MemsetD8, "cuMemsetD8_v2"},
      {(void **)&a->LaunchKernel, "cuLaunchKernel"},
      {(void **)&a->GetErrorName, "cuGetErrorName"},
      {(void **)&a->GetErrorString, "cuGetErrorString"},
  };
  for (size_t i = 0; i < sizeof syms / sizeof *syms; i++) {
    /* POSIX: dlsym's void * converts to a function pointer */
    void *p = dlsym(a->lib, syms[i].name);
    if (!p) {
      msg(err, errlen, "no usable CUDA driver: %s lacks %s (driver too old?)", path, syms[i].name);
      api_close(a);
      return INGOT_RT_ERR_DEVICE;
    }
    memcpy(syms[i].slot, &p, sizeof p);
  }
  return INGOT_RT_OK;
}

/* cuInit and the device handle; the messages say which step failed. */
static ingot_rt_status_t open_device(cuda_api_t *a, int device, cu_device *dev, int *sm, char *name, size_t namelen,
                                     char *err, size_t errlen) {
  char eb[256];
  cu_result r = a->Init(0);
  if (r) {
    msg(err, errlen, "CUDA driver found but cuInit failed: %s (no usable GPU?)", cu_err(a, r, eb, sizeof eb));
    return INGOT_RT_ERR_DEVICE;
  }
  int count = 0;
  r = a->DeviceGetCount(&count);
  if (r || count == 0) {
    msg(err, errlen, "no CUDA device found%s%s", r ? ": " : "", r ? cu_err(a, r, eb, sizeof eb) : "");
    return INGOT_RT_ERR_DEVICE;
  }
  if (device < 0 || device >= count) {
    msg(err, errlen, "CUDA device %d does not exist (this machine has %d)", device, count);
    return INGOT_RT_ERR_DEVICE;
  }
  if ((r = a->DeviceGet(dev, device)) != 0) {
    msg(err, errlen, "cuDeviceGet(%d) failed: %s", device, cu_err(a, r, eb, sizeof eb));
    return INGOT_RT_ERR_DEVICE;
  }
  int maj = 0, min = 0;
  a->DeviceGetAttribute(&maj, CU_ATTR_CC_MAJOR, *dev);
  a->DeviceGetAttribute(&min, CU_ATTR_CC_MINOR, *dev);
  if (sm) *sm = maj * 10 + min;
  if (name && namelen) {
    name[0] = 0;
    a->DeviceGetName(name, (int)namelen, *dev);
  }
  return INGOT_RT_OK;
}

ingot_rt_status_t ingot_rt_cuda_probe(int device, int *sm, char *out_msg, size_t msglen) {
  if (sm) *sm = 0;
  cuda_api_t a;
  char err[512];
  ingot_rt_status_t s = api_open(&a, err, sizeof err);
  if (s) {
    msg(out_msg, msglen, "%s", err);
    return s;
  }
  cu_device dev;
  char name[256];
  int cc = 0;
  s = open_device(&a, device, &dev, &cc, name, sizeof name, err, sizeof err);
  if (s) msg(out_msg, msglen, "%s", err);
  else msg(out_msg, msglen, "%s (sm_%d)", name, cc);
  if (sm) *sm = s ? 0 : cc;
  api_close(&a);
  return s;
}

static size_t dtype_bytes(int32_t dt) {
  switch (dt) {
    case 1: case 6: case 12: return 4; /* float, int32, uint32 */
    case 7: case 11: case 13: return 8; /* int64, double, uint64 */
    case 4: case 5: case 10: case 16: return 2; /* uint16, int16, float16, bfloat16 */
    default: return 1;                 /* uint8, int8, bool, float8 */
  }
}

static size_t io_bytes(const ingot_rt_io_t *io) {
  size_t n = dtype_bytes(io->dtype);
  for (int d = 0; d < io->rank; d++) n *= (size_t)io->dims[d];
  return n;
}

#define CU_TRY(call, what)                                                                  \
  do {                                                                                      \
    cu_result r__ = (call);                                                                 \
    if (r__) {                                                                              \
      char eb__[256];                                                                       \
      msg(err, errlen, "%s: %s failed: %s", c->d->base.model_name, what, cu_err(&c->api, r__, eb__, sizeof eb__)); \
      s = INGOT_RT_ERR_DEVICE;                                                              \
      goto out;                                                                             \
    }                                                                                       \
  } while (0)

static cu_ptr ref_ptr(const ingot_rt_cuda_t *c, const ingot_rt_cuda_ref_t *r) {
  switch (r->kind) {
    case INGOT_RT_CUDA_INPUT: return c->in[r->index] + r->offset;
    case INGOT_RT_CUDA_OUTPUT: return c->out[r->index] + r->offset;
    case INGOT_RT_CUDA_WEIGHTS: return c->weights + r->offset;
    case INGOT_RT_CUDA_ARENA: return c->arena + r->offset;
    default: return 0;
  }
}

ingot_rt_status_t ingot_rt_cuda_create(const ingot_rt_cuda_desc_t *d, const uint8_t *weights, int device,
                                       ingot_rt_cuda_t **out_c, char *err, size_t errlen) {
  *out_c = NULL;
  ingot_rt_cuda_t *c = calloc(1, sizeof *c);
  if (!c) return INGOT_RT_ERR_NOMEM;
  c->d = d;
  ingot_rt_status_t s = api_open(&c->api, err, errlen);
  int pushed = 0;
  char name[256];
  int sm = 0;
  if (s) goto out;
  s = open_device(&c->api, device, &c->dev, &sm, name, sizeof name, err, errlen);
  if (s) goto out;
  if (sm < d->min_sm) {
    msg(err, errlen, "%s: compiled for %s, but CUDA device %d (%s) is sm_%d: recompile with --target sm_%d",
        d->base.model_name, d->target, device, name, sm, sm >= 90 ? 90 : 80);
    s = INGOT_RT_ERR_DEVICE;
    goto out;
  }
  CU_TRY(c->api.PrimaryCtxRetain(&c->ctx, c->dev), "cuDevicePrimaryCtxRetain");
  c->ctx_retained = 1;
  CU_TRY(c->api.CtxPush(c->ctx), "cuCtxPushCurrent");
  pushed = 1;
  {
    char log[4096];
    log[0] = 0;
    int opts[2] = {CU_JIT_ERROR_LOG, CU_JIT_ERROR_LOG_SIZE};
    void *vals[2] = {log, (void *)(uintptr_t)sizeof log};
    cu_result r = c->api.ModuleLoadDataEx(&c->mod, d->ptx, 2, opts, vals);
    if (r) {
      char eb[256];
      msg(err, errlen, "%s: loading the PTX (%s) on %s failed: %s%s%.3000s", d->base.model_name, d->target, name,
          cu_err(&c->api, r, eb, sizeof eb), log[0] ? ": " : "", log);
      s = INGOT_RT_ERR_DEVICE;
      goto out;
    }
  }
  c->fn = calloc((size_t)d->base.nbuckets + 1, sizeof *c->fn);
  if (!c->fn) {
    s = INGOT_RT_ERR_NOMEM;
    goto out;
  }
  for (int b = 0; b < d->base.nbuckets; b++) {
    const ingot_rt_cuda_bucket_t *cb = &d->buckets[b];
    c->fn[b] = calloc((size_t)cb->nlaunches + 1, sizeof **c->fn);
    if (!c->fn[b]) {
      s = INGOT_RT_ERR_NOMEM;
      goto out;
    }
    for (int k = 0; k < cb->nlaunches; k++) {
      const ingot_rt_cuda_launch_t *L = &cb->launches[k];
      CU_TRY(c->api.ModuleGetFunction(&c->fn[b][k], c->mod, L->entry), L->entry);
      if (L->shared_bytes > 48 * 1024)
        CU_TRY(c->api.FuncSetAttribute(c->fn[b][k], CU_FUNC_MAX_DYN_SMEM, (int)L->shared_bytes),
               "cuFuncSetAttribute(MAX_DYNAMIC_SHARED_SIZE_BYTES)");
    }
  }
  if (d->base.weights_bytes) {
    CU_TRY(c->api.MemAlloc(&c->weights, (size_t)d->base.weights_bytes), "cuMemAlloc(weights)");
    CU_TRY(c->api.MemcpyHtoD(c->weights, weights, (size_t)d->base.weights_bytes), "cuMemcpyHtoD(weights)");
  }
  uint64_t arena = 0;
  for (int b = 0; b < d->base.nbuckets; b++) {
    const ingot_rt_bucket_t *bk = &d->base.buckets[b];
    if (bk->arena_bytes > arena) arena = bk->arena_bytes;
    if (bk->ninputs > c->nin) c->nin = bk->ninputs;
    if (bk->noutputs > c->nout) c->nout = bk->noutputs;
  }
  if (arena) CU_TRY(c->api.MemAlloc(&c->arena, (size_t)arena), "cuMemAlloc(arena)");
  c->in = calloc((size_t)c->nin + 1, sizeof *c->in);
  c->out = calloc((size_t)c->nout + 1, sizeof *c->out);
  c->in_bytes = calloc((size_t)c->nin + 1, sizeof *c->in_bytes);
  c->out_bytes = calloc((size_t)c->nout + 1, sizeof *c->out_bytes);
  if (!c->in || !c->out || !c->in_bytes || !c->out_bytes) {
    s = INGOT_RT_ERR_NOMEM;
    goto out;
  }
  for (int b = 0; b < d->base.nbuckets; b++) {
    const ingot_rt_bucket_t *bk = &d->base.buckets[b];
    for (int i = 0; i < bk->ninputs; i++)
      if (io_bytes(&bk->inputs[i]) > c->in_bytes[i]) c->in_bytes[i] = io_bytes(&bk->inputs[i]);
    for (int i = 0; i < bk->noutputs; i++)
      if (io_bytes(&bk->outputs[i]) > c->out_bytes[i]) c->out_bytes[i] = io_bytes(&bk->outputs[i]);
  }
  for (int i = 0; i < c->nin; i++)
    if (c->in_bytes[i]) CU_TRY(c->api.MemAlloc(&c->in[i], c->in_bytes[i]), "cuMemAlloc(input)");
  for (int i = 0; i < c->nout; i++)
    if (c->out_bytes[i]) CU_TRY(c->api.MemAlloc(&c->out[i], c->out_bytes[i]), "cuMemAlloc(output)");
out:
  if (pushed) {
    cu_context dummy;
    c->api.CtxPop(&dummy);
  }
  if (s) {
    ingot_rt_cuda_destroy(c);
    return s;
  }
  *out_c = c;
  return INGOT_RT_OK;
}

static double now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

ingot_rt_status_t ingot_rt_cuda_run(ingot_rt_cuda_t *c, int bucket, void *const *inputs, void *const *outputs,
                                    ingot_rt_cuda_record_fn record, void *user, char *err, size_t errlen) {
  const ingot_rt_bucket_t *bk = &c->d->base.buckets[bucket];
  const ingot_rt_cuda_bucket_t *cb = &c->d->buckets[bucket];
  ingot_rt_status_t s = INGOT_RT_OK;
  cu_ptr argv[64];
  void *params[64];
  int pushed = 0;
  CU_TRY(c->api.CtxPush(c->ctx), "cuCtxPushCurrent");
  pushed = 1;
  for (int i = 0; i < bk->ninputs; i++) {
    size_t n = io_bytes(&bk->inputs[i]);
    if (n) CU_TRY(c->api.MemcpyHtoD(c->in[i], inputs[i], n), "cuMemcpyHtoD(input)");
  }
  for (int k = 0; k < cb->nlaunches; k++) {
    const ingot_rt_cuda_launch_t *L = &cb->launches[k];
    if (L->nargs > 64) {
      msg(err, errlen, "%s: kernel %s has %d parameters (at most 64)", c->d->base.model_name, L->entry, L->nargs);
      s = INGOT_RT_ERR_RUN;
      goto out;
    }
    for (int a = 0; a < L->nargs; a++) {
      argv[a] = ref_ptr(c, &L->args[a]);
      params[a] = &argv[a];
    }
    double t = record ? now_us() : 0;
    CU_TRY(c->api.LaunchKernel(c->fn[bucket][k], L->grid[0], L->grid[1], L->grid[2], L->block[0], L->block[1],
                               L->block[2], L->shared_bytes, NULL, params, NULL),
           L->entry);
    if (record) {
      CU_TRY(c->api.CtxSynchronize(), L->entry);
      record(user, bucket, k, t, now_us() - t);
    }
  }
  for (int i = 0; i < cb->ncopies; i++) {
    const ingot_rt_cuda_copy_t *cp = &cb->copies[i];
    CU_TRY(c->api.MemcpyDtoD(ref_ptr(c, &cp->dst), ref_ptr(c, &cp->src), (size_t)cp->bytes), "cuMemcpyDtoD(output)");
  }
  CU_TRY(c->api.CtxSynchronize(), "running the kernels");
  for (int i = 0; i < bk->noutputs; i++) {
    size_t n = io_bytes(&bk->outputs[i]);
    if (n) CU_TRY(c->api.MemcpyDtoH(outputs[i], c->out[i], n), "cuMemcpyDtoH(output)");
  }
out:
  if (pushed) {
    cu_context dummy;
    c->api.CtxPop(&dummy);
  }
  return s;
}

void ingot_rt_cuda_destroy(ingot_rt_cuda_t *c) {
  if (!c) return;
  int pushed = c->ctx && c->api.CtxPush && c->api.CtxPush(c->ctx) == 0;
  if (pushed) {
    for (int i = 0; c->in && i < c->nin; i++)
      if (c->in[i]) c->api.MemFree(c->in[i]);
    for (int i = 0; c->out && i < c->nout; i++)
      if (c->out[i]) c->api.MemFree(c->out[i]);
    if (c->arena) c->api.MemFree(c->arena);
    if (c->weights) c->api.MemFree(c->weights);
    if (c->mod) c->api.ModuleUnload(c->mod);
    cu_context dummy;
    c->api.CtxPop(&dummy);
  }
  if (c->ctx_retained) c->api.PrimaryCtxRelease(c->dev);
  if (c->fn)
    for (int b = 0; b < c->d->base.nbuckets; b++) free(c->fn[b]);
  free(c->fn);
  free(c->in);
  free(c->out);
  free(c->in_bytes);
  free(c->out_bytes);
  api_close(&c->api);
  free(c);
}
