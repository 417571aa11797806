/* GPU target descriptions and the cost model that sizes kernels for them.
 *
 * The figures are NVIDIA's:
 *   A100: "NVIDIA A100 Tensor Core GPU Architecture" whitepaper (2020),
 *         tables 1 and 3 (A100 SXM4: 108 SMs, 40 MB L2, 1555 GB/s HBM2 for
 *         the 40 GB part -- 2039 GB/s for the 80 GB one, used here --, 312
 *         TFLOP/s dense FP16/BF16 tensor, 156 TF32, 19.5 FP32), and the CUDA
 *         C++ Programming Guide, "Compute Capabilities" table (8.0: 164 KB
 *         shared memory per SM, 163 KB per block opt-in, 64K registers per
 *         SM, 255 per thread, 2048 threads and 32 blocks per SM).
 *   H100: "NVIDIA H100 Tensor Core GPU Architecture" whitepaper (2022),
 *         table 3 (H100 SXM5: 132 SMs, 50 MB L2, 3352 GB/s HBM3, 989.4
 *         TFLOP/s dense FP16/BF16, 1978.9 FP8, 494.7 TF32, 66.9 FP32) and the
 *         same Guide (9.0: 228 KB shared memory per SM, 227 KB per block).
 *
 * One figure is ours, not NVIDIA's: mma_sync_efficiency.  Hopper reaches its
 * tensor peak only with wgmma (sm_90a, asynchronous warpgroup MMA fed by
 * TMA); the warp-level mma.sync this backend emits runs at roughly 60% of it
 * (measured FlashAttention-2 vs -3 and CUTLASS 2.x vs 3.x kernels report
 * 55-65%).  On Ampere mma.sync is the native path (efficiency 1 of peak,
 * before the per-tile overheads below).
 *
 * The GEMM tiling model.  A candidate tiling (block tile BM x BN, k-slice
 * BK, warp grid, pipeline depth) is rejected when its shared-memory working
 * set -- stages x (BM + BN) x BK elements plus bank-conflict padding --
 * exceeds what a block may have, or when its estimated registers exceed
 * 255 per thread.  For the rest:
 *   occupancy = CUDA's rule (threads, registers per warp in 256-register
 *               units, shared memory plus the 1 KB per block the driver
 *               reserves on sm_80+),
 *   waves     = ceil(tiles / (SMs x occupancy)),
 *   a block's time = max(its padded tile flops at its SM share of the
 *               tensor peak, scaled by a warp-tile efficiency
 *               WM*WN / (WM*WN + 16 (WM + WN)) that charges the shared-
 *               memory fragment loads per MMA; and the latency of its
 *               k-loop: one ~0.6 us global round trip per STAGES-1 slices),
 *   time      = max(waves x block time, unique bytes / HBM bandwidth).
 * The cheapest candidate wins (enumeration order breaks ties, so the choice
 * is deterministic).  Small GEMMs -- all the bundled models' -- come out
 * with small tiles and many blocks; DiT-XL-sized ones with 128x128 tiles
 * and 3 stages. */
#include <math.h>
#include <string.h>

#include "codegen/gpu_impl.h"

static const gpu_arch_t arches[] = {
    {
        .target = "sm_80",
        .gpu = "A100-SXM4-80GB",
        .source = "NVIDIA A100 Tensor Core GPU Architecture whitepaper (2020); CUDA Programming Guide, CC 8.0",
        .sm = 80,
        .ptx_version = "7.5",
        .num_sms = 108,
        .smem_per_sm = 164 * 1024,
        .smem_per_block = 163 * 1024,
        .regs_per_sm = 65536,
        .max_regs_per_thread = 255,
        .max_threads_per_sm = 2048,
        .max_blocks_per_sm = 32,
        .max_threads_per_block = 1024,
        .reg_alloc_unit = 256,
        .l2_bytes = 40.0 * 1024 * 1024,
        .hbm_gbs = 2039,
        .fp32_tflops = 19.5,
        .fp16_tflops = 312,
        .tf32_tflops = 156,
        .fp8_tflops = 0,
        .mma_sync_efficiency = 1.0,
    },
    {
        .target = "sm_90",
        .gpu = "H100-SXM5-80GB",
        .source = "NVIDIA H100 Tensor Core GPU Architecture whitepaper (2022); CUDA Programming Guide, CC 9.0",
        .sm = 90,
        .ptx_version = "7.8",
        .num_sms = 132,
        .smem_per_sm = 228 * 1024,
        .smem_per_block = 227 * 1024,
        .regs_per_sm = 65536,
        .max_regs_per_thread = 255,
        .max_threads_per_sm = 2048,
        .max_blocks_per_sm = 32,
        .max_threads_per_block = 1024,
        .reg_alloc_unit = 256,
        .l2_bytes = 50.0 * 1024 * 1024,
        .hbm_gbs = 3352,
        .fp32_tflops = 66.9,
        .fp16_tflops = 989.4,
        .tf32_tflops = 494.7,
        .fp8_tflops = 1978.9,
        .mma_sync_efficiency = 0.6,
    },
};

const gpu_arch_t *gpu_arch_lookup(const char *target) {
  for (size_t i = 0; i < sizeof arches / sizeof *arches; i++)
    if (target && !strcmp(target, arches[i].target)) return &arches[i];
  return NULL;
}

int gpu_occupancy(const gpu_arch_t *a, int threads, int regs, int smem) {
  if (threads <= 0) return 0;
  int warps = (threads + 31) / 32;
  int by_threads = a->max_threads_per_sm / (warps * 32);
  int by_blocks = a->max_blocks_per_sm;
  if (regs < 16) regs = 16;
  if (regs > a->max_regs_per_thread) return 0;
  int regs_per_warp = (regs * 32 + a->reg_alloc_unit - 1) / a->reg_alloc_unit * a->reg_alloc_unit;
  int by_regs = a->regs_per_sm / regs_per_warp / warps;
  int by_smem = smem > 0 ? a->smem_per_sm / (((smem + 127) / 128) * 128 + 1024) : by_blocks;
  if (smem > a->smem_per_block) return 0;
  int occ = by_threads;
  if (by_blocks < occ) occ = by_blocks;
  if (by_regs < occ) occ = by_regs;
  if (by_smem < occ) occ = by_smem;
  return occ;
}

double gpu_roofline_us(const gpu_arch_t *a, double flops, double bytes, double peak_tflops) {
  double tc = peak_tflops > 0 ? flops / (peak_tflops * 1e6) : 0;
  double tm = bytes / (a->hbm_gbs * 1e3);
  return tc > tm ? tc : tm;
}

int gpu_gemm_ld(int elems, int elem_bytes, int access_bytes) {
  int q = access_bytes / 4;
  if (q < 1) q = 1;
  int words = (elems * elem_bytes + 3) / 4;
  int s = words;
  while (s % (8 * q) != 4 * q) s++;
  return s * 4 / elem_bytes;
}

gpu_gemm_tile_t gpu_gemm_choose(const gpu_arch_t *a, const gpu_gemm_problem_t *p) {
  static const int bms[] = {16, 32, 64, 128}, bns[] = {16, 32, 64, 128};
  static const int wgrid[][2] = {{1, 1}, {1, 2}, {2, 1}, {2, 2}, {2, 4}, {4, 2}};
  gpu_gemm_tile_t best;
  memset(&best, 0, sizeof best);
  best.pred_us = INFINITY;
  int bk = p->k_step * 2 < 32 ? 32 : p->k_step * 2;
  int64_t kt = (p->k + bk - 1) / bk;
  double peak = p->peak_tflops * a->mma_sync_efficiency;
  /* access widths of the fragment loads (see gpu_gemm.c): f32-staged A is
   * read k-pairs at a time (k-quads for fp8), packed B one register */
  int a_acc = p->k_step == 8 ? 4 : p->k_step == 32 ? 16 : 8;
  for (size_t i = 0; i < sizeof bms / sizeof *bms; i++)
    for (size_t j = 0; j < sizeof bns / sizeof *bns; j++)
      for (size_t w = 0; w < sizeof wgrid / sizeof *wgrid; w++)
        for (int stages = 2; stages <= 4; stages++) {
          int bm = bms[i], bn = bns[j], wm_n = wgrid[w][0], wn_n = wgrid[w][1];
          if (bm % (16 * wm_n) || bn % (8 * wn_n)) continue;
          int wm = bm / wm_n, wn = bn / wn_n;
          if (wm > 64 || wn > 64) continue;
          if (stages > kt + 1 && stages > 2) continue; /* deeper than the k-loop: no use */
          int threads = 32 * wm_n * wn_n;
          int lda = gpu_gemm_ld(bk, p->a_bytes, a_acc), ldb = gpu_gemm_ld(bk, p->b_bytes, 4);
          int smem = stages * (bm * lda * p->a_bytes + bn * ldb * p->b_bytes);
          if (smem > a->smem_per_block) continue;
          int acc = (wm / 16) * (wn / 8) * 4;
          int regs = acc + (wm / 16) * 4 + (wn / 8) * 2 + 48;
          if (regs > a->max_regs_per_thread) continue;
          int occ = gpu_occupancy(a, threads, regs, smem);
          if (occ < 1) continue;
          int64_t tiles = p->batch * ((p->m + bm - 1) / bm) * ((p->n + bn - 1) / bn);
          int64_t slots = (int64_t)a->num_sms * occ;
          int64_t waves = (tiles + slots - 1) / slots;
          int64_t per_sm = tiles < slots ? (tiles + a->num_sms - 1) / a->num_sms : occ;
          double eff = (double)(wm * wn) / (double)(wm * wn + 16 * (wm + wn));
          double flops_block = 2.0 * bm * bn * (double)(kt * bk);
          double sm_tflops = peak / a->num_sms;
          double t_compute = (double)per_sm * flops_block / (sm_tflops * 1e6 * eff);
          double t_latency = 0.6 * (double)((kt + stages - 2) / (stages - 1));
          double t_block = t_compute > t_latency ? t_compute : t_latency;
          double t = (double)waves * t_block;
          double t_mem = p->bytes / (a->hbm_gbs * 1e3);
          if (t_mem > t) t = t_mem;
          if (t < best.pred_us * 0.999) {
            best.bm = bm;
            best.bn = bn;
            best.bk = bk;
            best.warps_m = wm_n;
            best.warps_n = wn_n;
            best.stages = stages;
            best.smem = smem;
            best.regs_est = regs;
            best.occupancy = occ;
            best.pred_us = t;
          }
        }
  return best;
}
