/* Internal interface of the GPU backend (codegen/gpu_*.c). */
#ifndef INGOT_GPU_IMPL_H
#define INGOT_GPU_IMPL_H

#include <llvm-c/Core.h>
#include <llvm-c/TargetMachine.h>

#include "codegen/cg.h"
#include "codegen/cg_io.h"
#include "codegen/codegen.h"
#include "codegen/gpu.h"
#include "passes/memplan.h"
#include "runtime/ingot_rt.h"

/* ---- target descriptions (gpu_arch.c) ------------------------------------- */

typedef struct {
  const char *target;     /* "sm_80" */
  const char *gpu;        /* "A100-SXM4-80GB" */
  const char *source;     /* where the figures come from */
  int sm;                 /* compute capability the PTX needs (major*10+minor) */
  const char *ptx_version; /* .version stamped on the PTX */
  int num_sms;
  int smem_per_sm;        /* bytes of shared memory an SM can give to blocks */
  int smem_per_block;     /* opt-in maximum per block (cuFuncSetAttribute) */
  int regs_per_sm;        /* 32-bit registers */
  int max_regs_per_thread;
  int max_threads_per_sm, max_blocks_per_sm, max_threads_per_block;
  int reg_alloc_unit;     /* registers are allocated per warp in units of this many */
  double l2_bytes;
  double hbm_gbs;         /* GB/s */
  double fp32_tflops;     /* CUDA cores (FMA) */
  double fp16_tflops;     /* dense tensor core, fp16/bf16 in, fp32 accumulate */
  double tf32_tflops;
  double fp8_tflops;      /* 0 when the architecture has no fp8 tensor cores */
  double mma_sync_efficiency; /* fraction of the tensor peak mma.sync can reach (Hopper's needs wgmma) */
} gpu_arch_t;

const gpu_arch_t *gpu_arch_lookup(const char *target);

/* Resident blocks per SM for a block of `threads` threads using `regs`
 * registers per thread and `smem` bytes of shared memory (CUDA occupancy
 * calculator rules, simplified to the allocation granularities above). */
int gpu_occupancy(const gpu_arch_t *a, int threads, int regs, int smem);
/* max(flops / peak, bytes / bandwidth) in microseconds; peak in TFLOP/s. */
double gpu_roofline_us(const gpu_arch_t *a, double flops, double bytes, double peak_tflops);

/* Tensor-core GEMM tiling: block tile BM x BN x BK, a grid of warps_m x
 * warps_n warps (each computing (BM/warps_m) x (BN/warps_n)), `stages`
 * shared-memory buffers filled by cp.async. */
typedef struct {
  int bm, bn, bk;
  int warps_m, warps_n;
  int stages;
  int smem;          /* bytes of dynamic shared memory */
  int regs_est;      /* registers per thread the model assumes */
  int occupancy;     /* blocks per SM */
  double pred_us;    /* predicted time */
} gpu_gemm_tile_t;

typedef struct {
  int64_t batch, m, n, k;
  int a_bytes, b_bytes;  /* bytes per staged element of A and B in shared memory */
  int k_step;            /* the mma's k (16 fp16/bf16, 8 tf32, 32 fp8) */
  double peak_tflops;    /* tensor throughput for this precision */
  double bytes;          /* unique bytes read and written */
} gpu_gemm_problem_t;

/* The cost model: enumerates tilings, rejects those whose working set does
 * not fit shared memory, and returns the one with the least predicted
 * time.  Deterministic. */
gpu_gemm_tile_t gpu_gemm_choose(const gpu_arch_t *a, const gpu_gemm_problem_t *p);
/* Row stride (in elements) of a shared-memory tile whose rows hold `elems`
 * elements of elem_bytes, read by fragment loads access_bytes wide: padded
 * so that the 8 row groups of a warp's fragment load hit distinct banks. */
int gpu_gemm_ld(int elems, int elem_bytes, int access_bytes);

/* ---- the backend object ----------------------------------------------------- */

typedef struct {
  ingot_gpu_kernel_info_t info; /* pointers inside point at the strings below */
  char *entry, *node;
  char tiles[192];
  int32_t nargs;
  ingot_rt_cuda_ref_t *args;
  double peak_tflops;           /* throughput the roofline used (TFLOP/s) */
  int regs_est;                 /* registers assumed before ptxas */
  bool emu_threads;             /* the emulator runs it with a thread per GPU thread (barriers, warps) */
} gpu_kernel_t;

typedef struct {
  char *name;
  uint64_t arena_bytes;
  cg_io_table_t io;
  int32_t first_kernel, nkernels; /* into ingot_gpu_t.kernels */
  ingot_rt_cuda_copy_t *copies;
  int32_t ncopies;
} gpu_bucket_t;

struct ingot_gpu {
  ingot_gpu_options_t o;
  char *name, *target;
  const gpu_arch_t *arch;
  ingot_cg_t *wcg;            /* holds the weights blob (shared layout and dedup with the CPU backend) */
  cg_t c;                     /* device module (NVPTX) */
  LLVMTargetMachineRef tm;
  LLVMValueRef smem;          /* @ingot_smem: dynamic shared memory, addrspace(3) */
  gpu_bucket_t *buckets;
  int nbuckets;
  gpu_kernel_t *kernels;
  int nkernels, kernels_cap;
  bool finished;
  char *ptx;
  size_t ptx_len;
  bool uses_fp8;              /* PTX needs a newer .version */
  /* host side (gpu_host.c) */
  LLVMContextRef hctx;
  LLVMModuleRef hmod;
  LLVMTargetMachineRef htm;
  void *jit;                  /* LLVMExecutionEngineRef */
  uint64_t checksum, model_id;
  /* CPU emulation (gpu_emu.c) */
  LLVMModuleRef emu_mod;      /* the device module before math lowering, while not yet JIT-compiled */
  struct gpu_emu *emu;
};

/* ---- kernel construction (gpu_core.c) ----------------------------------------- */

/* What a special kernel (GEMM, attention...) decided about its launch. */
typedef struct {
  uint32_t grid[3], block[3];
  uint32_t smem;
  const char *kind;
  char tiles[192];
  double flops, bytes, peak_tflops;
  int regs_est;
} gpu_launch_t;

/* A special emitter: k->in/out/weights are the kernel's parameters, the
 * builder is in the entry block; it emits the whole body (falling through
 * to the return) and fills L. */
typedef ingot_status_t (*gpu_emit_fn)(ingot_gpu_t *gpu, cg_kernel_t *k, gpu_launch_t *L);

/* NVPTX helpers. */
LLVMValueRef gpu_sreg(cg_t *c, const char *name); /* "tid.x", "ctaid.y", "ntid.x" -> i32 */
void gpu_barrier(cg_t *c);                          /* bar.sync 0 */
/* Inline PTX: ret may be void; constraints in LLVM syntax ("=r,f,f"). */
LLVMValueRef gpu_asm(cg_t *c, LLVMTypeRef ret, const char *text, const char *constraints, LLVMValueRef *args,
                     unsigned n, bool side_effects);
/* i8 addrspace(3)* to byte `offset` (i32) of the dynamic shared memory. */
LLVMValueRef gpu_smem_ptr(ingot_gpu_t *gpu, LLVMValueRef offset);
/* Pointer `p` (addrspace 3) as a 32-bit shared-window address for inline asm. */
LLVMValueRef gpu_smem_addr32(cg_t *c, LLVMValueRef p);
LLVMValueRef gpu_i32(cg_t *c, int64_t v);

/* ---- PTX building blocks (gpu_ptx.c) ------------------------------------------ */

enum { GPU_FMT_F16, GPU_FMT_BF16, GPU_FMT_TF32, GPU_FMT_E4M3 };

/* cp.async of `bytes` (16 or 4) from global src to shared byte offset
 * dst_off (i32), zero-filled where !valid (src must still be mapped). */
void gpu_cp_async(ingot_gpu_t *gpu, LLVMValueRef dst_off, LLVMValueRef src, LLVMValueRef valid, int bytes);
void gpu_cp_commit(cg_t *c);
void gpu_cp_wait(cg_t *c, int n); /* cp.async.wait_group n */
LLVMValueRef gpu_ld_smem(ingot_gpu_t *gpu, LLVMTypeRef t, LLVMValueRef off, unsigned align);
void gpu_st_smem(ingot_gpu_t *gpu, LLVMValueRef off, LLVMValueRef v, unsigned align);
/* k-consecutive float32 values (2 for fp16/bf16, 1 tf32, 4 e4m3; v[0]
 * lowest) packed into one 32-bit mma operand register. */
LLVMValueRef gpu_cvt_pack(cg_t *c, int fmt, const LLVMValueRef *v);
/* acc[0..4) += A B for one m16n8kK tile: a[4], b[2] operand registers. */
void gpu_mma(cg_t *c, const char *mnemonic, const LLVMValueRef *a, const LLVMValueRef *b, LLVMValueRef *acc);
/* fn(ud, item) for item in [0, count), items tid, tid + nthreads, ... of
 * this thread, as a rolled loop: copy loops fully unrolled would leave one
 * hoisted address per copy live across the kernel's main loop (spills). */
typedef void (*gpu_item_fn)(void *ud, LLVMValueRef item);
void gpu_for_items(cg_t *c, LLVMValueRef tid, int nthreads, int64_t count, gpu_item_fn fn, void *ud);
/* shfl.sync.bfly (xor lane mask) of a float across the whole warp. */
LLVMValueRef gpu_shfl_xor(cg_t *c, LLVMValueRef v, int mask);

/* For a fused node: points k at the anchor's inputs, sets k->fusion,
 * k->extra/vextra (as cg_emit_fused does) and returns the anchor node;
 * other nodes are returned as they are. */
ingot_status_t gpu_narrow_fused(cg_t *c, cg_kernel_t *k, const ingot_node_t **anchor) INGOT_MUST_USE;

/* Special kernels: each has a matcher (may the node use it?) and an emitter. */
bool gpu_gemm_match(const ingot_gpu_t *gpu, const ingot_graph_t *g, int32_t node);
ingot_status_t gpu_emit_gemm(ingot_gpu_t *gpu, cg_kernel_t *k, gpu_launch_t *L);
bool gpu_conv_match(const ingot_gpu_t *gpu, const ingot_graph_t *g, int32_t node);
ingot_status_t gpu_emit_conv(ingot_gpu_t *gpu, cg_kernel_t *k, gpu_launch_t *L);
bool gpu_rownorm_match(const ingot_gpu_t *gpu, const ingot_graph_t *g, int32_t node);
bool gpu_elementwise_match(const ingot_gpu_t *gpu, const ingot_graph_t *g, int32_t node);
ingot_status_t gpu_emit_elementwise(ingot_gpu_t *gpu, cg_kernel_t *k, gpu_launch_t *L);
ingot_status_t gpu_emit_rownorm(ingot_gpu_t *gpu, cg_kernel_t *k, gpu_launch_t *L);

/* Flash attention for fused nodes with the ATTENTION anchor (passes/fusion.h). */
bool gpu_attention_match(const ingot_gpu_t *gpu, const ingot_graph_t *g, int32_t node);
ingot_status_t gpu_emit_attention(ingot_gpu_t *gpu, cg_kernel_t *k, gpu_launch_t *L);

/* ---- math and libdevice (gpu_math.c) ------------------------------------------ */

/* Rewrites what NVPTX cannot select (llvm.exp/log/pow/sin/cos..., libm
 * calls, frem, llvm.maximum/minimum) into libdevice __nv_* calls or plain
 * IR, then links libdevice and internalises everything but the kernels. */
ingot_status_t gpu_lower_math(ingot_gpu_t *gpu) INGOT_MUST_USE;

/* ---- host side (gpu_host.c) ------------------------------------------------------ */

ingot_status_t gpu_build_host(ingot_gpu_t *gpu) INGOT_MUST_USE;
ingot_status_t gpu_emit_host_object(ingot_gpu_t *gpu, uint8_t **buf, size_t *len) INGOT_MUST_USE;
void gpu_host_destroy(ingot_gpu_t *gpu);
void gpu_emu_destroy(ingot_gpu_t *gpu);

#endif
