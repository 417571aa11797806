/* Tiling cost model for the GEMM emitter (codegen/cg_gemm.c).
 *
 *   cg_gemm_problem_t p = {.batch = 1, .M = 256, .N = 1152, .K = 384, .b_packed = true, .k_split_ok = true};
 *   cg_gemm_tiling_t t;
 *   cg_gemm_choose_tiling(&target, &p, &t);   // t.mr x t.nr registers, t.kc/t.mc/t.nc caches, t.work items
 *
 * Pure arithmetic on the target description (no LLVM), deterministic for a
 * given target: see tiling.c for the model. */
#ifndef INGOT_TILING_H
#define INGOT_TILING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "codegen/target.h"

typedef struct {
  int64_t batch;     /* independent products (flattened batch dims) */
  int64_t M, N, K;   /* Y[M,N] = A[M,K] B[K,N] per batch */
  bool b_packed;     /* B is packed at compile time into zero-padded NR-wide panels */
  bool k_split_ok;   /* partial K sums may be kept in the output (K blocking allowed) */
  int epilogue_ops;  /* vector operations per output vector after the sum (alpha, C, fused steps) */
} cg_gemm_problem_t;

typedef struct {
  int lanes;                 /* floats per vector register */
  int mr, nv, nr;            /* register tile: mr rows x nv vectors (nr = nv * lanes columns) */
  int64_t kc, mc, nc;        /* cache blocks: K slice, rows and columns of one work item */
  int64_t tiles_per_mblock;  /* mc in MR tiles (the last M block may hold fewer) */
  int64_t panels_per_nblock; /* nc in NR panels (likewise) */
  int64_t kblocks, mblocks, nblocks;
  int64_t work;              /* parallel items: batch * mblocks * nblocks */
  double cycles;             /* predicted core cycles on one thread (microkernel model) */
  double bytes;              /* unique bytes moved (A, packed B, Y) */
  double compute_s, memory_s, predicted_s; /* roofline on one thread */
  double predicted_par_s;    /* on min(cores, work) threads */
  const char *bound;         /* "compute", "L1", "L2", "L3" or "DRAM" */
} cg_gemm_tiling_t;

void cg_gemm_choose_tiling(const ingot_target_desc_t *t, const cg_gemm_problem_t *p, cg_gemm_tiling_t *out);

/* "MR=8 NR=48 KC=128 MC=256 NC=144 work=8" */
void cg_gemm_tiling_format(const cg_gemm_tiling_t *t, char *buf, size_t n);

#endif
