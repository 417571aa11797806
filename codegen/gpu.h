/* The GPU backend: compiles planned graphs to PTX for NVIDIA sm_80 (A100)
 * and sm_90 (H100) through LLVM's NVPTX target, with a launch table per
 * bucket, and a small host object holding the descriptor the runtime reads
 * (ingot_rt_cuda_desc_t in runtime/ingot_rt.h).  Same lifecycle as the CPU
 * backend (codegen.h): create, add buckets, finish, then write artifacts or
 * JIT the host object (tests).  The design is explained in gpu_core.c. */
#ifndef INGOT_GPU_H
#define INGOT_GPU_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "codegen/artifact.h"
#include "ir/ir.h"

typedef enum {
  INGOT_GPU_QUANT_NONE = 0,
  INGOT_GPU_QUANT_FP8_E4M3 = 1, /* GEMM weights and operands in e4m3 (sm_89+): see gpu_gemm.c for the bounds */
} ingot_gpu_quant_t;

typedef enum {
  INGOT_GPU_PREC_FP16 = 0, /* operands rounded to fp16, fp32 accumulate (default) */
  INGOT_GPU_PREC_BF16 = 1, /* operands rounded to bf16 (wider range, 8 bits of mantissa) */
  INGOT_GPU_PREC_TF32 = 2, /* tf32 (10-bit mantissa, fp32 range): closest to fp32, half the fp16 peak */
} ingot_gpu_precision_t;

typedef struct {
  const char *name;    /* model NAME: a C identifier */
  const char *target;  /* "sm_80" or "sm_90" */
  bool embed_weights;
  bool shared_entry;   /* also define ingot_model_descriptor() (for --shared) */
  int opt_level;       /* 0..3 */
  int quantize;        /* ingot_gpu_quant_t */
  int precision;       /* ingot_gpu_precision_t: operand format of float32 GEMMs on tensor cores */
  bool generic_only;   /* every node through the generic path (tests, debugging) */
  bool emulation;      /* keep what ingot_gpu_emulate needs (tests) */
  int force_tile[5];   /* tests: GEMM bm, bn, warps_m, warps_n, stages instead of the cost model's (0: off) */
} ingot_gpu_options_t;

typedef struct ingot_gpu ingot_gpu_t;

/* True for names this backend compiles for ("sm_80", "sm_90"). */
bool ingot_gpu_is_target(const char *target);
/* Error naming the valid GPU targets unless target is one. */
ingot_status_t ingot_gpu_check_target(const char *target) INGOT_MUST_USE;

ingot_status_t ingot_gpu_create(const ingot_gpu_options_t *o, ingot_gpu_t **out) INGOT_MUST_USE;
ingot_status_t ingot_gpu_add_bucket(ingot_gpu_t *gpu, const ingot_graph_t *g, const char *bucket_name,
                                    uint64_t *arena_bytes, uint64_t *naive_bytes) INGOT_MUST_USE;
/* Lowers math to libdevice, optimises, emits the PTX and builds the host
 * descriptor.  Needs libdevice (the CUDA toolkit's nvvm/libdevice) when a
 * kernel uses transcendental functions: $INGOT_LIBDEVICE, $CUDA_HOME or
 * /usr/local/cuda. */
ingot_status_t ingot_gpu_finish(ingot_gpu_t *gpu) INGOT_MUST_USE;
/* The PTX module text (valid after finish). */
const char *ingot_gpu_ptx(const ingot_gpu_t *gpu, size_t *len);

/* Path of ptxas ($INGOT_PTXAS, else /usr/local/cuda/bin/ptxas, else $CUDA_HOME/bin/ptxas) or NULL. */
const char *ingot_gpu_find_ptxas(char *buf, size_t len);
/* Assembles the PTX with `ptxas -v -arch=<target>` and records every
 * kernel's registers, spills and stack frame.  Returns an error when ptxas
 * rejects the PTX; *found = false (and OK) when there is no ptxas. */
ingot_status_t ingot_gpu_ptxas(ingot_gpu_t *gpu, bool *found) INGOT_MUST_USE;

/* What one kernel is, for --report and tests. */
typedef struct {
  const char *entry, *node, *op;
  const char *kind;     /* "generic", "gemm-tc", "attention", ... */
  const char *tiles;    /* tiling decision, "" for generic kernels */
  uint32_t grid[3], block[3];
  uint32_t shared_bytes;
  double flops, bytes;
  double predicted_us;  /* roofline time on the target (see gpu_arch.c) */
  int occupancy;        /* resident blocks per SM (with ptxas' registers when known) */
  /* from ptxas -v (-1 when not run) */
  int registers, spill_stores, spill_loads, stack_bytes;
} ingot_gpu_kernel_info_t;
int ingot_gpu_kernel_count(const ingot_gpu_t *gpu);
const ingot_gpu_kernel_info_t *ingot_gpu_kernel(const ingot_gpu_t *gpu, int i);

/* NAME.h, NAME.o, libNAME.a, NAME.weights (+ runtime files, libNAME.so with
 * o->shared); emit_ptx also writes NAME.ptx. */
ingot_status_t ingot_gpu_write_artifacts(ingot_gpu_t *gpu, const ingot_artifact_opts_t *o, bool emit_ptx) INGOT_MUST_USE;
/* The --report section: target description and one line per kernel. */
void ingot_gpu_report(const ingot_gpu_t *gpu, FILE *f);
/* JIT the host object in-process (tests): the descriptor's address (an
 * ingot_rt_cuda_desc_t), valid until destroy. */
ingot_status_t ingot_gpu_jit(ingot_gpu_t *gpu, const void **descriptor) INGOT_MUST_USE;

/* Runs bucket `bucket` of a finished model (created with .emulation) on the
 * CPU, emulating the GPU: every kernel of the launch table, thread by
 * thread, with barriers, warps, shared memory, cp.async, mma.sync and the
 * cvt conversions implemented from the PTX ISA (gpu_emu.c).  Inputs and
 * outputs are host buffers as for ingot_rt_model_run.  For testing the
 * generated kernels where no GPU is available; libm stands in for
 * libdevice. */
ingot_status_t ingot_gpu_emulate(ingot_gpu_t *gpu, int bucket, void *const *inputs, void *const *outputs) INGOT_MUST_USE;

void ingot_gpu_destroy(ingot_gpu_t *gpu);

#endif
