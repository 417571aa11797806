/* Target descriptions (see target.h).
 *
 * The named targets are round, typical figures for a class of machines, not
 * any one part; the cost model needs their ratios (FLOP per byte of each
 * cache level, registers, cache capacities) more than their absolute values:
 *
 *   x86-64-avx512: an Intel Skylake-SP / Cascade Lake server core ("Xeon
 *     Scalable").  Two 512-bit FMA pipes with 4-cycle latency and two loads
 *     per cycle; L1D 32 KiB, L2 1 MiB, L3 1.375 MiB per core; ~2.2 GHz under
 *     sustained AVX-512 load.  Bandwidths: L1 2 x 64 B/cycle, L2 about
 *     48 B/cycle sustained, L3 about 15 B/cycle (Intel 64 and IA-32
 *     Architectures Optimization Reference Manual, Skylake Server
 *     microarchitecture chapter, cache parameters table; rounded down), DRAM
 *     about 12 GB/s for one core (single-thread STREAM on such parts).
 *   x86-64-avx2: an Intel Haswell / Skylake client core.  Two 256-bit FMA
 *     pipes (5-cycle latency on Haswell), two loads per cycle, 16 ymm
 *     registers; L1D 32 KiB, L2 256 KiB, L3 2 MiB per core; ~3.0 GHz.
 *     Bandwidths: L1 2 x 32 B/cycle, L2 about 30 B/cycle sustained, L3 about
 *     14 B/cycle (same manual, Haswell/Skylake client tables), DRAM ~15 GB/s.
 *
 * "native" reads the machine: cache sizes and levels from
 * /sys/devices/system/cpu/cpu0/cache/index* (an L3 is divided among the CPUs
 * in its shared_cpu_list), cores from sysconf, the ISA from
 * LLVMGetHostCPUFeatures.  The FMA peak is either measured (12 independent
 * FMA chains in inline assembly, best of 5 runs of ~0.2 ms by thread CPU
 * time, the same method as bench/fma_peak.c) or estimated from
 * /proc/cpuinfo's clock.  Bandwidths
 * are conservative per-cycle figures times that clock (L1: loads per cycle x
 * the FMA datapath width; L2 32 B/cycle; L3 16 B/cycle; DRAM 10 GB/s per
 * core): no timing at compile time beyond the FMA loop. */
#include "codegen/target.h"

#include <llvm-c/Core.h>
#include <llvm-c/TargetMachine.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const ingot_target_desc_t named[] = {
    {
        .name = "x86-64-avx512",
        .cpu = "skylake-avx512",
        .features = "+avx512f,+avx512vl,+avx512bw,+avx512dq,+avx2,+fma,+f16c",
        .vector_bits = 512, .fma = true, .registers = 32,
        .fma_units = 2, .fma_bits = 512, .fma_latency = 4, .loads_per_cycle = 2,
        .l1_bytes = 32 << 10, .l2_bytes = 1 << 20, .l3_bytes = 1408 << 10,
        .l1_gbs = 280, .l2_gbs = 105, .l3_gbs = 33, .dram_gbs = 12,
        .cores = 8, .ghz = 2.2, .peak_gflops = 2 * 2 * 16 * 2.2,
    },
    {
        .name = "x86-64-avx2",
        .cpu = "haswell",
        .features = "+avx2,+fma,+f16c",
        .vector_bits = 256, .fma = true, .registers = 16,
        .fma_units = 2, .fma_bits = 256, .fma_latency = 5, .loads_per_cycle = 2,
        .l1_bytes = 32 << 10, .l2_bytes = 256 << 10, .l3_bytes = 2 << 20,
        .l1_gbs = 190, .l2_gbs = 90, .l3_gbs = 42, .dram_gbs = 15,
        .cores = 4, .ghz = 3.0, .peak_gflops = 2 * 2 * 8 * 3.0,
    },
};

/* ---- sysfs / procfs ------------------------------------------------------------ */

/* First line of a small text file, or false. */
static bool read_line(const char *path, char *buf, size_t n) {
  FILE *f = fopen(path, "r");
  if (!f) return false;
  bool ok = fgets(buf, (int)n, f) != NULL;
  fclose(f);
  if (ok) buf[strcspn(buf, "\n")] = 0;
  return ok;
}

/* "32K", "1024K", "32M" -> bytes (0 when unreadable). */
static int64_t parse_size(const char *s) {
  char *end;
  long long v = strtoll(s, &end, 10);
  if (v <= 0) return 0;
  if (*end == 'K' || *end == 'k') v <<= 10;
  else if (*end == 'M' || *end == 'm') v <<= 20;
  else if (*end == 'G' || *end == 'g') v <<= 30;
  return (int64_t)v;
}

/* Number of CPUs in a list such as "0-3,8-11". */
static int count_cpus(const char *s) {
  int n = 0;
  const char *p = s;
  while (*p) {
    char *end;
    long a = strtol(p, &end, 10);
    if (end == p) break;
    long b = a;
    p = end;
    if (*p == '-') {
      b = strtol(p + 1, &end, 10);
      if (end == p + 1) break;
      p = end;
    }
    if (b >= a) n += (int)(b - a + 1);
    if (*p != ',') break;
    p++;
  }
  return n > 0 ? n : 1;
}

static void detect_caches(ingot_target_desc_t *t) {
  for (int i = 0; i < 8; i++) {
    char path[128], level[16], type[32], size[32], shared[256];
    snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/level", i);
    if (!read_line(path, level, sizeof level)) continue;
    snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/type", i);
    if (!read_line(path, type, sizeof type) || !strcmp(type, "Instruction")) continue;
    snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/size", i);
    if (!read_line(path, size, sizeof size)) continue;
    int64_t bytes = parse_size(size);
    if (bytes <= 0) continue;
    int lv = atoi(level);
    if (lv == 3) {
      snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/shared_cpu_list", i);
      if (read_line(path, shared, sizeof shared)) bytes /= count_cpus(shared);
      t->l3_bytes = bytes;
    } else if (lv == 2) {
      t->l2_bytes = bytes;
    } else if (lv == 1) {
      t->l1_bytes = bytes;
    }
  }
}

/* The first "key : value" of /proc/cpuinfo whose key starts with key. */
static bool cpuinfo(const char *key, char *val, size_t n) {
  FILE *f = fopen("/proc/cpuinfo", "r");
  if (!f) return false;
  char line[512];
  bool found = false;
  while (fgets(line, sizeof line, f)) {
    if (strncmp(line, key, strlen(key)) != 0) continue;
    char *c = strchr(line, ':');
    if (!c) continue;
    c++;
    while (*c == ' ' || *c == '\t') c++;
    c[strcspn(c, "\n")] = 0;
    snprintf(val, n, "%s", c);
    found = true;
    break;
  }
  fclose(f);
  return found;
}

/* ---- FMA peak measurement --------------------------------------------------------- */

/* The thread's CPU time: time the thread spends preempted (a busy build
 * machine) does not count against the peak. */
static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

#if defined(__x86_64__) && defined(__GNUC__)
/* 12 independent accumulators (enough to cover 4-5 cycles of latency on two
 * pipes), zeroed so no denormal assists occur.  Inline assembly keeps the
 * loop identical at every optimisation level (sanitizer and debug builds).
 * Returns seconds for iters iterations. */
static double fma_loop(bool zmm, long iters) {
  double t = now_s();
  if (zmm) {
    __asm__ volatile(
        "vxorps %%xmm0, %%xmm0, %%xmm0\n\t"
        "vmovaps %%zmm0, %%zmm1\n\tvmovaps %%zmm0, %%zmm2\n\tvmovaps %%zmm0, %%zmm3\n\t"
        "vmovaps %%zmm0, %%zmm4\n\tvmovaps %%zmm0, %%zmm5\n\tvmovaps %%zmm0, %%zmm6\n\t"
        "vmovaps %%zmm0, %%zmm7\n\tvmovaps %%zmm0, %%zmm8\n\tvmovaps %%zmm0, %%zmm9\n\t"
        "vmovaps %%zmm0, %%zmm10\n\tvmovaps %%zmm0, %%zmm11\n\tvmovaps %%zmm0, %%zmm12\n\t"
        "vmovaps %%zmm0, %%zmm13\n\t"
        "1:\n\t"
        "vfmadd231ps %%zmm12, %%zmm13, %%zmm0\n\tvfmadd231ps %%zmm12, %%zmm13, %%zmm1\n\t"
        "vfmadd231ps %%zmm12, %%zmm13, %%zmm2\n\tvfmadd231ps %%zmm12, %%zmm13, %%zmm3\n\t"
        "vfmadd231ps %%zmm12, %%zmm13, %%zmm4\n\tvfmadd231ps %%zmm12, %%zmm13, %%zmm5\n\t"
        "vfmadd231ps %%zmm12, %%zmm13, %%zmm6\n\tvfmadd231ps %%zmm12, %%zmm13, %%zmm7\n\t"
        "vfmadd231ps %%zmm12, %%zmm13, %%zmm8\n\tvfmadd231ps %%zmm12, %%zmm13, %%zmm9\n\t"
        "vfmadd231ps %%zmm12, %%zmm13, %%zmm10\n\tvfmadd231ps %%zmm12, %%zmm13, %%zmm11\n\t"
        "dec %0\n\tjnz 1b\n\t"
        "vzeroupper\n\t"
        : "+r"(iters)
        :
        : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11",
          "xmm12", "xmm13", "cc");
  } else {
    __asm__ volatile(
        "vxorps %%xmm0, %%xmm0, %%xmm0\n\t"
        "vmovaps %%ymm0, %%ymm1\n\tvmovaps %%ymm0, %%ymm2\n\tvmovaps %%ymm0, %%ymm3\n\t"
        "vmovaps %%ymm0, %%ymm4\n\tvmovaps %%ymm0, %%ymm5\n\tvmovaps %%ymm0, %%ymm6\n\t"
        "vmovaps %%ymm0, %%ymm7\n\tvmovaps %%ymm0, %%ymm8\n\tvmovaps %%ymm0, %%ymm9\n\t"
        "vmovaps %%ymm0, %%ymm10\n\tvmovaps %%ymm0, %%ymm11\n\tvmovaps %%ymm0, %%ymm12\n\t"
        "vmovaps %%ymm0, %%ymm13\n\t"
        "1:\n\t"
        "vfmadd231ps %%ymm12, %%ymm13, %%ymm0\n\tvfmadd231ps %%ymm12, %%ymm13, %%ymm1\n\t"
        "vfmadd231ps %%ymm12, %%ymm13, %%ymm2\n\tvfmadd231ps %%ymm12, %%ymm13, %%ymm3\n\t"
        "vfmadd231ps %%ymm12, %%ymm13, %%ymm4\n\tvfmadd231ps %%ymm12, %%ymm13, %%ymm5\n\t"
        "vfmadd231ps %%ymm12, %%ymm13, %%ymm6\n\tvfmadd231ps %%ymm12, %%ymm13, %%ymm7\n\t"
        "vfmadd231ps %%ymm12, %%ymm13, %%ymm8\n\tvfmadd231ps %%ymm12, %%ymm13, %%ymm9\n\t"
        "vfmadd231ps %%ymm12, %%ymm13, %%ymm10\n\tvfmadd231ps %%ymm12, %%ymm13, %%ymm11\n\t"
        "dec %0\n\tjnz 1b\n\t"
        "vzeroupper\n\t"
        : "+r"(iters)
        :
        : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11",
          "xmm12", "xmm13", "cc");
  }
  return now_s() - t;
}

/* GFLOP/s of one core, best of 5 short runs; 0 when it cannot be measured. */
static double measure_peak(int vector_bits) {
  bool zmm = vector_bits >= 512;
  const long iters = 50000; /* 600k FMAs: ~0.2 ms at 3 GHz */
  double best = 0;
  for (int r = 0; r < 5; r++) {
    double s = fma_loop(zmm, iters);
    double gf = s > 0 ? (double)iters * 12.0 * 2.0 * (zmm ? 16 : 8) / s / 1e9 : 0;
    if (gf > best) best = gf;
  }
  return best;
}
#else
static double measure_peak(int vector_bits) {
  (void)vector_bits;
  return 0;
}
#endif

/* ---- native ------------------------------------------------------------------------ */

static void describe_native(bool measure, ingot_target_desc_t *t) {
  memset(t, 0, sizeof *t);
  t->name = "native";
  char *f = LLVMGetHostCPUFeatures();
  bool avx512 = f && strstr(f, "+avx512f");
  bool fma = f && strstr(f, "+fma,") != NULL;
  if (f && !fma) { /* "+fma" may end the string */
    size_t n = strlen(f);
    fma = n >= 4 && !strcmp(f + n - 4, "+fma");
  }
  LLVMDisposeMessage(f);
  t->vector_bits = avx512 ? 512 : 256;
  t->fma = fma;
  t->registers = avx512 ? 32 : 16;
  char vendor[64] = "";
  cpuinfo("vendor_id", vendor, sizeof vendor);
  /* AMD Zen 4 executes AVX-512 on 256-bit pipes; the measurement below
   * corrects the clock either way. */
  t->fma_units = 2;
  t->fma_bits = avx512 && strcmp(vendor, "AuthenticAMD") != 0 ? 512 : 256;
  t->fma_latency = 4;
  t->loads_per_cycle = 2;
  t->l1_bytes = 32 << 10;
  t->l2_bytes = 1 << 20;
  t->l3_bytes = 2 << 20;
  detect_caches(t);
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  t->cores = n > 0 ? (int)n : 1;
  char mhz[64];
  double ghz = cpuinfo("cpu MHz", mhz, sizeof mhz) ? atof(mhz) / 1000.0 : 0;
  t->ghz = ghz > 0.5 ? ghz : 2.5;
  double flop_per_cycle = t->fma_units * 2.0 * t->fma_bits / 32.0;
  t->peak_gflops = flop_per_cycle * t->ghz;
  if (measure && t->fma) {
    double p = measure_peak(t->vector_bits);
    if (p > 0) {
      t->peak_gflops = p;
      t->ghz = p / flop_per_cycle;
      t->peak_measured = true;
    }
  }
  t->l1_gbs = t->loads_per_cycle * t->fma_bits / 8.0 * t->ghz;
  t->l2_gbs = 32 * t->ghz;
  t->l3_gbs = 16 * t->ghz;
  t->dram_gbs = 10;
}

ingot_status_t ingot_target_describe(const char *name, bool measure, ingot_target_desc_t *out) {
  if (!name || !strcmp(name, "native")) {
    describe_native(measure, out);
    return INGOT_OK;
  }
  for (size_t i = 0; i < sizeof named / sizeof *named; i++)
    if (!strcmp(name, named[i].name)) {
      *out = named[i];
      return INGOT_OK;
    }
  return ingot_error(INGOT_CODE_INPUT, "unknown target '%s' (valid: native, x86-64-avx512, x86-64-avx2)", name);
}

void ingot_target_format(const ingot_target_desc_t *t, char *buf, size_t n) {
  snprintf(buf, n,
           "%s: %d-bit vectors, %d registers, L1 %lldK L2 %lldK L3 %lldK per core, %d cores, "
           "peak %.1f GFLOP/s per core (%s)",
           t->name, t->vector_bits, t->registers, (long long)(t->l1_bytes >> 10), (long long)(t->l2_bytes >> 10),
           (long long)(t->l3_bytes >> 10), t->cores, t->peak_gflops, t->peak_measured ? "measured" : "estimated");
}
