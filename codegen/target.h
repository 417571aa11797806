/* Target descriptions for the CPU backend: what the code generator and the
 * tiling cost model (codegen/tiling.h) know about the machine.
 *
 *   ingot_target_desc_t t;
 *   INGOT_RETURN_IF_ERROR(ingot_target_describe("native", true, &t));
 *   printf("%d-bit vectors, L2 %lld bytes per core\n", t.vector_bits, (long long)t.l2_bytes);
 *
 * Named targets ("x86-64-avx512", "x86-64-avx2") carry stated typical values
 * (target.c says where each figure comes from); "native" is detected on the
 * build machine: caches from sysfs, cores from sysconf, the ISA from LLVM's
 * host feature string and, when asked, the fp32 FMA peak from a ~1 ms
 * measurement.  Tile choices depend only on the deterministic fields (ISA,
 * registers, cache sizes, cores); the peak and bandwidths feed predictions
 * printed by `ingot compile --report`, never code. */
#ifndef INGOT_TARGET_H
#define INGOT_TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ir/status.h"

typedef struct {
  const char *name;     /* "x86-64-avx512", "x86-64-avx2" or "native" */
  const char *cpu;      /* LLVM CPU name; NULL for native (the host's) */
  const char *features; /* LLVM feature string; NULL for native (the host's) */
  int vector_bits;      /* preferred float32 vector width: 512 or 256 */
  bool fma;             /* fused multiply-add instructions */
  int registers;        /* vector registers: 32 (AVX-512) or 16 (AVX2) */
  int fma_units;        /* FMA pipes per core */
  int fma_bits;         /* width of one FMA pipe (256 on AMD Zen 4: AVX-512 runs double-pumped) */
  int fma_latency;      /* cycles */
  int loads_per_cycle;  /* vector loads per cycle (L1 hits) */
  int64_t l1_bytes, l2_bytes, l3_bytes; /* data cache per core; L3 is the core's share */
  double l1_gbs, l2_gbs, l3_gbs, dram_gbs; /* sustained read bandwidth per core, GB/s */
  int cores;
  double ghz;           /* clock the peak is computed at */
  double peak_gflops;   /* fp32 FMA peak per core: fma_units * 2 * fma_bits/32 * ghz */
  bool peak_measured;   /* native: peak_gflops (and ghz) come from a measurement */
} ingot_target_desc_t;

/* Fills *out for a target name (NULL means "native").  measure: for native,
 * time the FMA peak (about 1 ms) instead of estimating it from the nominal
 * clock.  Errors name the valid targets. */
ingot_status_t ingot_target_describe(const char *name, bool measure, ingot_target_desc_t *out) INGOT_MUST_USE;

/* One line: "native: 512-bit, 32 regs, L1 32K L2 1024K L3 16384K/core, 2 cores, peak 117 GFLOP/s/core". */
void ingot_target_format(const ingot_target_desc_t *t, char *buf, size_t n);

#endif
