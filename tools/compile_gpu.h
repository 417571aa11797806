/* `ingot compile --target sm_80|sm_90`: the GPU half of cmd_compile.c
 * (which parses the command line and hands over here). */
#ifndef INGOT_COMPILE_GPU_H
#define INGOT_COMPILE_GPU_H

#include "codegen/gpu.h"
#include "passes/pass.h"

typedef struct {
  const char *path, *out, *name, *target, *dump_after;
  const char *quantize; /* NULL or "fp8-e4m3" */
  int64_t batch;
  int nbuckets;         /* 0: one default bucket */
  const ingot_shape_binding_t *const *bindings; /* per bucket */
  const int *nbindings;
  const char *const *bucket_names;
  int embed, shared, report, opt, emit_ll, emit_asm, emit_ptx, progress;
  const char *precision; /* NULL (fp16), "tf32" or "bf16" */
} compile_gpu_args_t;

/* Returns the process exit code. */
int cmd_compile_gpu(const compile_gpu_args_t *a);

#endif
