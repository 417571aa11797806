/* fma_peak: single-thread fp32 FMA throughput of this machine, in GFLOP/s (1 FMA = 2 FLOP).
 *
 *   cc -O2 -march=native -o fma_peak fma_peak.c && ./fma_peak [seconds]
 *
 * Runs ACC independent chains of vector FMAs (acc = acc * m + a), enough to cover the FMA latency
 * on two pipes (latency 4-5 cycles x 2 pipes = 8-10 in flight; 12 chains here), for each vector width
 * the compiler was allowed to use (-march=native): 512-bit (AVX-512F), 256-bit (FMA3/AVX2) and 128-bit.
 * Each width runs for about SECONDS/widths seconds in 5 repetitions; the best repetition counts.  Rates
 * are computed from the thread's CPU time (CLOCK_THREAD_CPUTIME_ID), so time the thread spends preempted
 * by other processes does not count (wall-clock rates are printed too).  Prints one line per width and,
 * last, "peak GFLOP/s X (W-bit; by wall time Y)" with the best width: the figure bench/gemm divides by.
 * Frequency scaling still applies: a core shared with other work may clock differently.
 */
#define _POSIX_C_SOURCE 199309L
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double clock_s(clockid_t c) {
  struct timespec ts;
  clock_gettime(c, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}
static double now_s(void) { return clock_s(CLOCK_MONOTONIC); }
static double cpu_s(void) { return clock_s(CLOCK_THREAD_CPUTIME_ID); }

static volatile float sink;

/* 12 chains, unrolled by hand so every accumulator stays in a register */
#define CHAINS(T, FMA, SET1, ADD, STOREF, LANES)                                                                  \
  static double run_##T(long iters) { /* returns FLOPs done */                                                   \
    T m = SET1(0.999999f), a = SET1(1e-7f);                                                                     \
    T c0 = SET1(1.0f), c1 = SET1(1.1f), c2 = SET1(1.2f), c3 = SET1(1.3f), c4 = SET1(1.4f), c5 = SET1(1.5f);      \
    T c6 = SET1(1.6f), c7 = SET1(1.7f), c8 = SET1(1.8f), c9 = SET1(1.9f), c10 = SET1(2.0f), c11 = SET1(2.1f);    \
    for (long i = 0; i < iters; i++) {                                                                           \
      c0 = FMA(c0, m, a); c1 = FMA(c1, m, a); c2 = FMA(c2, m, a); c3 = FMA(c3, m, a);                             \
      c4 = FMA(c4, m, a); c5 = FMA(c5, m, a); c6 = FMA(c6, m, a); c7 = FMA(c7, m, a);                             \
      c8 = FMA(c8, m, a); c9 = FMA(c9, m, a); c10 = FMA(c10, m, a); c11 = FMA(c11, m, a);                         \
      __asm__ volatile("" ::: "memory"); /* keep the loop, do not let the compiler fold iterations */           \
    }                                                                                                            \
    T s = ADD(ADD(ADD(c0, c1), ADD(c2, c3)), ADD(ADD(c4, c5), ADD(c6, c7)));                                     \
    s = ADD(s, ADD(ADD(c8, c9), ADD(c10, c11)));                                                                 \
    float f[LANES];                                                                                              \
    STOREF(f, s);                                                                                                \
    sink = f[0];                                                                                                 \
    return 12.0 * 2.0 * LANES * (double)iters;                                                                   \
  }

#if defined(__AVX512F__)
CHAINS(__m512, _mm512_fmadd_ps, _mm512_set1_ps, _mm512_add_ps, _mm512_storeu_ps, 16)
#endif
#if defined(__FMA__) && defined(__AVX__)
CHAINS(__m256, _mm256_fmadd_ps, _mm256_set1_ps, _mm256_add_ps, _mm256_storeu_ps, 8)
CHAINS(__m128, _mm_fmadd_ps, _mm_set1_ps, _mm_add_ps, _mm_storeu_ps, 4)
#endif

typedef double (*bench_fn)(long);

/* best of 5 repetitions, by thread CPU time (what the core does when it runs) and by wall time */
static void measure(bench_fn f, double seconds, double *gf_cpu, double *gf_wall) {
  long iters = 1 << 16;
  double t;
  for (;;) { /* calibrate: grow until one call takes >= 20 ms of CPU */
    t = cpu_s();
    f(iters);
    t = cpu_s() - t;
    if (t > 0.02 || iters > (1L << 40)) break;
    iters *= 4;
  }
  iters = (long)((double)iters * (seconds / 5.0) / t) + 1;
  *gf_cpu = *gf_wall = 0;
  for (int r = 0; r < 5; r++) {
    double c = cpu_s(), w = now_s();
    double flop = f(iters);
    c = cpu_s() - c;
    w = now_s() - w;
    if (flop / c / 1e9 > *gf_cpu) *gf_cpu = flop / c / 1e9;
    if (flop / w / 1e9 > *gf_wall) *gf_wall = flop / w / 1e9;
  }
}

int main(int argc, char **argv) {
  double seconds = argc > 1 ? atof(argv[1]) : 1.5;
  if (!(seconds > 0.01 && seconds < 600)) {
    fprintf(stderr, "error: fma_peak: seconds must be in (0.01, 600), not '%s'\n", argv[1]);
    return 1;
  }
  struct { const char *name; int bits; bench_fn f; } w[3];
  int n = 0;
#if defined(__AVX512F__)
  w[n].name = "avx512"; w[n].bits = 512; w[n++].f = run___m512;
#endif
#if defined(__FMA__) && defined(__AVX__)
  w[n].name = "avx2-fma"; w[n].bits = 256; w[n++].f = run___m256;
  w[n].name = "sse-fma"; w[n].bits = 128; w[n++].f = run___m128;
#endif
  if (n == 0) {
    fprintf(stderr, "error: fma_peak: this compiler/target has no FMA vector instructions (build with -march=native on x86-64)\n");
    return 2;
  }
  double best = 0, best_wall = 0;
  int bi = 0;
  for (int i = 0; i < n; i++) {
    double g, gw;
    measure(w[i].f, seconds / n, &g, &gw);
    printf("%-8s %3d-bit FMA x12 chains: %8.1f GFLOP/s by thread CPU time, %8.1f by wall time\n", w[i].name,
           w[i].bits, g, gw);
    if (g > best) best = g, best_wall = gw, bi = i;
  }
  printf("peak GFLOP/s %.1f (%d-bit; by wall time %.1f)\n", best, w[bi].bits, best_wall);
  return 0;
}
