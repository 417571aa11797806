/* libingot_rt: the small runtime that ingot-generated code and apps link.
 *
 *   // An app normally uses the typed wrappers in the generated NAME.h;
 *   // they are thin inline calls into this API:
 *   ingot_rt_options_t o;
 *   ingot_rt_options_init(&o);
 *   o.threads = 2;
 *   ingot_rt_model_t *m;
 *   if (ingot_rt_model_create(&dit__descriptor, "dit.weights", &o, &m) != INGOT_RT_OK) {
 *     fprintf(stderr, "error: %s\n", ingot_rt_last_error(m));   // m may be NULL: still fine
 *   }
 *   void *in[] = {x, t, y}, *out[] = {result};
 *   ingot_rt_model_run(m, 0, in, out);                          // bucket 0
 *   ingot_rt_model_destroy(m);
 *
 * Ownership: objects from _create are the caller's and freed by _destroy;
 * input and output buffers are always the caller's.  Depends on libc, libm,
 * pthreads (and libdl only to find a CUDA driver, never required).
 * Errors: a small enum plus a message getter; the error path allocates
 * nothing (TVM CRT style). */
#ifndef INGOT_RT_H
#define INGOT_RT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define INGOT_RT_VERSION "0.1.0"
#define INGOT_RT_ABI 1 /* generated descriptors carry it; bumped on breaking changes */

typedef enum {
  INGOT_RT_OK = 0,
  INGOT_RT_ERR_ARGUMENT = 1, /* a NULL or inconsistent argument */
  INGOT_RT_ERR_IO = 2,       /* weights file missing or unreadable */
  INGOT_RT_ERR_WEIGHTS = 3,  /* weights truncated, corrupted, or for another model */
  INGOT_RT_ERR_NOMEM = 4,
  INGOT_RT_ERR_ABI = 5,      /* descriptor from an incompatible ingot */
  INGOT_RT_ERR_RUN = 6,      /* a kernel reported a failure */
  INGOT_RT_ERR_DEVICE = 7,   /* GPU artifact: no CUDA driver or device, or a CUDA call failed */
} ingot_rt_status_t;

const char *ingot_rt_version(void);
const char *ingot_rt_status_name(ingot_rt_status_t s);

/* ---- thread pool ------------------------------------------------------- */

typedef struct ingot_rt_pool ingot_rt_pool_t;
/* threads <= 1 makes a pool that runs everything on the caller. */
ingot_rt_status_t ingot_rt_pool_create(int threads, ingot_rt_pool_t **out);
void ingot_rt_pool_destroy(ingot_rt_pool_t *p);
int ingot_rt_pool_threads(const ingot_rt_pool_t *p);
typedef void (*ingot_rt_task_fn)(void *ctx, int64_t begin, int64_t end);
/* Runs fn over [0, n) split into contiguous chunks, one per thread, and
 * waits.  Calls with n <= 0 return at once. */
void ingot_rt_parallel_for(ingot_rt_pool_t *p, int64_t n, ingot_rt_task_fn fn, void *ctx);

/* ---- memory ------------------------------------------------------------- */

void *ingot_rt_aligned_alloc(size_t bytes); /* 64-byte aligned, zeroed; NULL on failure */
void ingot_rt_aligned_free(void *p);

/* ---- weights files -------------------------------------------------------
 * NAME.weights: a 64-byte header (magic "INGOTWTS", u32 version 1, u32 header
 * bytes 64, u64 payload bytes, u64 payload checksum, u64 model id, zeros)
 * followed by the payload (every tensor at a 64-byte aligned offset). */
#define INGOT_RT_WEIGHTS_HEADER 64
uint64_t ingot_rt_checksum(const void *data, size_t len);
/* Builds the 64-byte header for a payload. */
void ingot_rt_weights_header(uint8_t hdr[INGOT_RT_WEIGHTS_HEADER], uint64_t payload_bytes, uint64_t checksum,
                             uint64_t model_id);

/* ---- compiled models -------------------------------------------------------- */

typedef struct {
  const char *name;
  int32_t dtype; /* ONNX TensorProto.DataType code (1 float32, 7 int64, ...) */
  int32_t rank;
  const int64_t *dims;
} ingot_rt_io_t;

/* What a kernel launch is, for traces and profiles. */
typedef struct {
  const char *name; /* kernel name */
  const char *node; /* ONNX node it came from */
  const char *op;
  double flops, bytes; /* work estimate for the roofline */
} ingot_rt_kernel_info_t;

typedef struct ingot_rt_exec ingot_rt_exec_t;

/* Generated: runs one bucket.  Launches kernels through ingot_rt_launch. */
typedef int32_t (*ingot_rt_run_fn)(void *const *inputs, void *const *outputs, uint8_t *arena, const uint8_t *weights,
                                   ingot_rt_exec_t *ex);

typedef struct {
  const char *name; /* "default" or the bucket's shape text */
  uint64_t arena_bytes;
  ingot_rt_run_fn run;
  int32_t ninputs, noutputs;
  const ingot_rt_io_t *inputs;
  const ingot_rt_io_t *outputs;
  int32_t nkernels;
  const ingot_rt_kernel_info_t *kernels;
} ingot_rt_bucket_t;

typedef struct {
  uint32_t abi; /* INGOT_RT_ABI */
  const char *model_name;
  uint64_t model_id; /* ties a weights file to this artifact */
  uint64_t weights_bytes;
  uint64_t weights_checksum;
  const uint8_t *embedded_weights; /* payload compiled in (--embed-weights), else NULL */
  int32_t nbuckets;
  const ingot_rt_bucket_t *buckets;
} ingot_rt_model_desc_t;

/* Called by generated code for every kernel: runs fn over [0, n) on the
 * pool, timing it when tracing is on. */
void ingot_rt_launch(ingot_rt_exec_t *ex, int32_t kernel, int64_t n, ingot_rt_task_fn fn, void *ctx);

typedef struct {
  int threads;         /* 0 = 1 */
  void *arena;         /* caller-supplied activation memory, or NULL to allocate */
  size_t arena_bytes;  /* its size: at least the largest bucket's arena */
  const char *trace_path; /* write a Chrome trace here on destroy (also $INGOT_TRACE) */
  int device;          /* GPU artifacts: CUDA device ordinal (default 0); ignored on the CPU */
} ingot_rt_options_t;

void ingot_rt_options_init(ingot_rt_options_t *o);

typedef struct ingot_rt_model ingot_rt_model_t;

/* weights_path may be NULL when the weights are embedded.  On failure *out
 * is still set when memory allowed, so ingot_rt_last_error(*out) explains;
 * destroy it either way. */
ingot_rt_status_t ingot_rt_model_create(const ingot_rt_model_desc_t *d, const char *weights_path,
                                        const ingot_rt_options_t *o, ingot_rt_model_t **out);
ingot_rt_status_t ingot_rt_model_run(ingot_rt_model_t *m, int bucket, void *const *inputs, void *const *outputs);
/* Picks the bucket whose input shapes equal the given dims (dims[i] points
 * at input i's dims); -1 when none matches. */
int ingot_rt_model_find_bucket(const ingot_rt_model_t *m, const int64_t *const *dims, const int32_t *ranks);
const char *ingot_rt_last_error(const ingot_rt_model_t *m);
const ingot_rt_model_desc_t *ingot_rt_model_descriptor(const ingot_rt_model_t *m);
void ingot_rt_model_destroy(ingot_rt_model_t *m);
/* Per-kernel accumulated seconds and launch counts since create (profiling);
 * NULL when timing is off.  Timing is on while tracing or after this call. */
void ingot_rt_model_enable_timing(ingot_rt_model_t *m);
const double *ingot_rt_model_kernel_seconds(const ingot_rt_model_t *m, int bucket);

/* Name of the symbol a shared library built with `ingot compile --shared`
 * exports: `const ingot_rt_model_desc_t *ingot_model_descriptor(void)`. */
#define INGOT_RT_DESCRIPTOR_SYMBOL "ingot_model_descriptor"

/* ---- GPU artifacts (ingot compile --target sm_80|sm_90) --------------------
 * A GPU artifact's descriptor is an ingot_rt_cuda_desc_t whose base.abi is
 * INGOT_RT_ABI_CUDA; it is used through the same calls as a CPU model (pass
 * &desc->base).  The runtime finds the CUDA driver with dlopen("libcuda.so.1")
 * at create time (no link-time CUDA dependency), loads the PTX, keeps the
 * weights and the arena in device memory, and on every run copies the
 * inputs host->device, launches the kernels in order on the default stream,
 * and copies the outputs device->host (synchronous).  Without a driver or a
 * device, _create fails with INGOT_RT_ERR_DEVICE and a message. */
#define INGOT_RT_ABI_CUDA 0x43550001u

typedef enum {
  INGOT_RT_CUDA_NULL = 0,   /* an omitted optional tensor */
  INGOT_RT_CUDA_INPUT = 1,  /* the device copy of input `index` (+ offset) */
  INGOT_RT_CUDA_OUTPUT = 2, /* the device buffer of output `index` (+ offset) */
  INGOT_RT_CUDA_WEIGHTS = 3, /* the device weights blob + offset */
  INGOT_RT_CUDA_ARENA = 4,  /* the device arena + offset */
} ingot_rt_cuda_ref_kind_t;

typedef struct {
  int32_t kind; /* ingot_rt_cuda_ref_kind_t */
  int32_t index;
  uint64_t offset;
} ingot_rt_cuda_ref_t;

/* One kernel launch: every parameter of a generated kernel is a device pointer. */
typedef struct {
  const char *entry; /* .entry name in the PTX */
  uint32_t grid[3], block[3];
  uint32_t shared_bytes; /* dynamic shared memory */
  int32_t nargs;
  const ingot_rt_cuda_ref_t *args;
} ingot_rt_cuda_launch_t;

/* A device-to-device copy after the launches (outputs that alias an input,
 * a weight or another tensor). */
typedef struct {
  ingot_rt_cuda_ref_t dst, src;
  uint64_t bytes;
} ingot_rt_cuda_copy_t;

typedef struct {
  int32_t nlaunches; /* == the base bucket's nkernels: launch i is kernel i */
  const ingot_rt_cuda_launch_t *launches;
  int32_t ncopies;
  const ingot_rt_cuda_copy_t *copies;
} ingot_rt_cuda_bucket_t;

typedef struct {
  ingot_rt_model_desc_t base; /* base.abi == INGOT_RT_ABI_CUDA; base.buckets[b].run is NULL */
  const char *target;         /* "sm_80", "sm_90" */
  int32_t min_sm;             /* compute capability the PTX needs (major*10+minor) */
  const char *ptx;            /* the PTX module, NUL-terminated */
  const ingot_rt_cuda_bucket_t *buckets; /* base.nbuckets of them */
} ingot_rt_cuda_desc_t;

/* Whether CUDA device `device` can run GPU artifacts here: INGOT_RT_OK with
 * its compute capability (major*10+minor) in *sm and its name in msg, or
 * INGOT_RT_ERR_DEVICE and why in msg ("no CUDA driver found: ...").  sm and
 * msg may be NULL. */
ingot_rt_status_t ingot_rt_cuda_probe(int device, int *sm, char *msg, size_t msglen);

#ifdef __cplusplus
}
#endif
#endif
