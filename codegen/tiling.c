/* The GEMM tiling cost model: register tile, cache blocks and the parallel
 * split, and a roofline prediction of the time.
 *
 * The blocking scheme is Goto's (K. Goto and R. van de Geijn, "Anatomy of
 * High-Performance Matrix Multiplication", ACM TOMS 34(3), 2008) as BLIS
 * structures it (F. Van Zee and R. van de Geijn, "BLIS: A Framework for
 * Rapidly Instantiating BLAS Functionality", ACM TOMS 41(3), 2015), with the
 * block sizes derived analytically rather than searched (T. M. Low et al.,
 * "Analytical Modeling Is Enough for High-Performance BLIS", ACM TOMS 43(2),
 * 2016):
 *
 *   - the register tile MR x NR (NR = NV vectors) keeps MR*NV accumulators,
 *     NV vectors of B and one broadcast of A in registers.  Each k step does
 *     MR*NV vector FMAs and NV + MR loads, so it costs
 *         max(MR*NV / FMAs-per-cycle, loads / loads-per-cycle, FMA latency)
 *     cycles (every accumulator is updated once per step, so a step can
 *     never be shorter than one FMA latency).  Among the tiles that fit the
 *     register file (MR*NV + NV + 1 <= registers - 1, one spare), the model
 *     sums this over every tile of the problem, edge tiles (M % MR rows,
 *     N % NR columns) at their own smaller size, plus a per-tile cost for
 *     loading/storing C once per K block and for the epilogue, and keeps the
 *     cheapest (ties: the larger tile).  On a core whose broadcast loads are
 *     cheap next to its FMAs (AMD Zen 4: one 512-bit FMA per cycle, two
 *     loads) that is a tall, one-vector tile such as 16 x 16; where FMAs
 *     outrun loads (Intel: two 512-bit FMAs per cycle) a wider one (14 x 32),
 *     and with 16 registers (AVX2) the classic 6 x 16;
 *   - KC: the KC x NR micro-panel of B is reused by every MR-row tile of a
 *     work item, so it should stay in L1: KC*NR*4 <= L1/2 (the other half
 *     holds the streamed MR x KC slice of A and the C tile).  K is cut into
 *     equal blocks no longer than that; partial sums then live in the output
 *     between blocks, so K is not split when the output cannot hold them,
 *     nor when M fits one tile (a GEMV: nothing reuses the micro-panel);
 *   - MC: an MC x KC block of A is reused across the NR panels of an item
 *     and should stay in L2 (MC*KC*4 <= L2/2); NC: a KC x NC block of B in
 *     the core's share of L3 (KC*NC*4 <= L3/2);
 *   - the parallel items are (batch, N block, M block) in that order (the
 *     runtime hands each thread a contiguous range, so a thread's items
 *     share B columns).  The blocks are cut further until the items balance
 *     over the target's cores: the split with the smallest makespan under
 *     the runtime's contiguous chunking wins (ties: fewer, larger items).
 *     So a batch-1 GEMM still gives every core whole panels of its own.
 *
 * The prediction is a roofline: max(compute time of the modelled cycles at
 * the target's clock, unique bytes / bandwidth of the cache level that holds
 * the working set). */
#include "codegen/tiling.h"

#include <stdio.h>
#include <string.h>

#define MAX_MR 16
#define MAX_NV 8
#define ITEM_OVERHEAD_CYCLES 200.0 /* loop setup and batch/block offsets per work item */
#define TILE_OVERHEAD_CYCLES 16.0  /* pointer setup and loop entry per tile and K block */

static int64_t cdiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

typedef struct {
  const ingot_target_desc_t *t;
  const cg_gemm_problem_t *p;
  int lanes;
  double vec_fma_per_cycle; /* vector FMAs issued per cycle */
  double load_slots;        /* load slots one B vector takes (2 for 512 bits on 256-bit pipes) */
} model_t;

/* Cycles of one k step of an m x v tile. */
static double kstep(const model_t *x, int m, int v) {
  double fma = (double)m * v / x->vec_fma_per_cycle;
  double loads = ((double)v * x->load_slots + m) / (double)x->t->loads_per_cycle;
  double c = fma > loads ? fma : loads;
  return c > x->t->fma_latency ? c : (double)x->t->fma_latency;
}

/* Cycles of one m x v tile over the whole K in kblocks blocks. */
static double tile_cycles(const model_t *x, int m, int v, int64_t kblocks) {
  if (m <= 0 || v <= 0) return 0;
  double c = (double)x->p->K * kstep(x, m, v);
  double cio = 2.0 * m * v * x->load_slots / x->t->loads_per_cycle; /* C tile in and out */
  c += (double)kblocks * (cio + TILE_OVERHEAD_CYCLES);
  c += (double)m * v * (1 + x->p->epilogue_ops) / x->vec_fma_per_cycle;
  return c;
}

static int64_t choose_kc(const model_t *x, int mr, int nr) {
  int64_t K = x->p->K;
  /* one tile row (a GEMV): nothing reuses the micro-panel, so blocking K only adds partial sums */
  if (!x->p->k_split_ok || x->p->M <= mr) return K;
  int64_t kmax = (x->t->l1_bytes / 2) / ((int64_t)nr * 4);
  kmax = kmax / 8 * 8;
  if (kmax < 16) kmax = 16;
  if (K <= kmax) return K;
  int64_t nk = cdiv(K, kmax);
  return cdiv(K, nk);
}

/* Tile costs of the four tile kinds: [full/edge rows][full/edge columns]. */
typedef struct {
  double c[2][2];
  int64_t mfull, mrem, nfull, nrem; /* full tiles along M, rows left; full panels along N, columns left */
} kinds_t;

static void tile_kinds(const model_t *x, int mr, int nv, int64_t kblocks, kinds_t *k) {
  const cg_gemm_problem_t *p = x->p;
  int nr = nv * x->lanes;
  k->mfull = p->M / mr;
  k->mrem = p->M % mr;
  k->nfull = p->N / nr;
  k->nrem = p->N % nr;
  int nve = (int)cdiv(k->nrem, x->lanes);
  k->c[0][0] = tile_cycles(x, mr, nv, kblocks);
  k->c[1][0] = tile_cycles(x, (int)k->mrem, nv, kblocks);
  k->c[0][1] = tile_cycles(x, mr, nve, kblocks);
  k->c[1][1] = tile_cycles(x, (int)k->mrem, nve, kblocks);
}

/* Edge kinds that do not occur cost 0 (tile_cycles of an empty tile). */
static double total_cycles(const kinds_t *k, int64_t batch) {
  double one = (double)k->mfull * k->nfull * k->c[0][0] + (double)k->nfull * k->c[1][0] +
               (double)k->mfull * k->c[0][1] + k->c[1][1];
  return one * (double)batch;
}

/* Cost of the item covering M tiles [t0, t1) and panels [q0, q1). */
static double item_cycles(const kinds_t *k, int64_t t0, int64_t t1, int64_t q0, int64_t q1) {
  int64_t fm = (t1 < k->mfull ? t1 : k->mfull) - t0, em = t1 > k->mfull;
  int64_t fp = (q1 < k->nfull ? q1 : k->nfull) - q0, ep = q1 > k->nfull;
  if (fm < 0) fm = 0;
  if (fp < 0) fp = 0;
  return (double)fm * fp * k->c[0][0] + (double)em * fp * k->c[1][0] + (double)fm * ep * k->c[0][1] +
         (double)em * ep * k->c[1][1] + ITEM_OVERHEAD_CYCLES;
}

/* Largest per-thread sum when `threads` threads take contiguous ranges of
 * the items (the runtime's chunking: the first n % threads get one more). */
static double makespan(const kinds_t *k, int64_t batch, int64_t mt, int64_t np, int64_t tpb, int64_t ppb,
                       int threads) {
  int64_t mb = cdiv(mt, tpb), nb = cdiv(np, ppb), n = batch * mb * nb;
  int64_t q = n / threads, r = n % threads;
  double worst = 0;
  int64_t item = 0;
  for (int th = 0; th < threads && item < n; th++) {
    int64_t cnt = q + (th < r ? 1 : 0);
    double s = 0;
    for (int64_t i = 0; i < cnt; i++, item++) {
      int64_t m = item % mb, nn = (item / mb) % nb;
      int64_t t0 = m * tpb, t1 = t0 + tpb < mt ? t0 + tpb : mt;
      int64_t q0 = nn * ppb, q1 = q0 + ppb < np ? q0 + ppb : np;
      s += item_cycles(k, t0, t1, q0, q1);
    }
    if (s > worst) worst = s;
  }
  return worst;
}

void cg_gemm_choose_tiling(const ingot_target_desc_t *t, const cg_gemm_problem_t *p, cg_gemm_tiling_t *out) {
  memset(out, 0, sizeof *out);
  model_t x = {t, p, t->vector_bits / 32, 0, 0};
  int vbits = t->vector_bits, pipe = t->fma_bits > 0 ? t->fma_bits : vbits;
  x.vec_fma_per_cycle = (double)(t->fma_units > 0 ? t->fma_units : 1) * pipe / vbits;
  x.load_slots = vbits > pipe ? (double)vbits / pipe : 1.0;
  out->lanes = x.lanes;

  /* register tile */
  double best = -1;
  int regs = t->registers > 0 ? t->registers : 16;
  int64_t nvmax = cdiv(p->N, x.lanes);
  for (int mr = 1; mr <= MAX_MR && mr <= p->M; mr++)
    for (int nv = 1; nv <= MAX_NV && nv <= nvmax; nv++) {
      if (mr * nv + nv + 1 > regs - 1) continue;
      int64_t kc = choose_kc(&x, mr, nv * x.lanes);
      kinds_t k;
      tile_kinds(&x, mr, nv, cdiv(p->K, kc), &k);
      double c = total_cycles(&k, p->batch);
      bool better = best < 0 || c < best * (1 - 1e-9) ||
                    (c <= best * (1 + 1e-9) && mr * nv > out->mr * out->nv);
      if (better) {
        best = c;
        out->mr = mr;
        out->nv = nv;
        out->kc = kc;
      }
    }
  if (out->mr == 0) { /* M == 0 or N == 0: nothing to compute */
    out->mr = 1;
    out->nv = 1;
    out->kc = p->K > 0 ? p->K : 1;
  }
  out->nr = out->nv * x.lanes;
  out->kblocks = p->K > 0 ? cdiv(p->K, out->kc) : 1;
  kinds_t k;
  tile_kinds(&x, out->mr, out->nv, out->kblocks, &k);

  /* cache blocks and the parallel split */
  int64_t mt = p->M > 0 ? cdiv(p->M, out->mr) : 1, np = p->N > 0 ? cdiv(p->N, out->nr) : 1;
  int64_t tpb_max = (t->l2_bytes / 2) / (out->kc * 4) / out->mr;
  int64_t ppb_max = (t->l3_bytes / 2) / (out->kc * 4) / out->nr;
  if (tpb_max < 1) tpb_max = 1;
  if (ppb_max < 1) ppb_max = 1;
  if (tpb_max > mt) tpb_max = mt;
  if (ppb_max > np) ppb_max = np;
  int threads = t->cores > 0 ? t->cores : 1;
  int64_t best_tpb = tpb_max, best_ppb = ppb_max;
  double best_span = -1;
  int64_t best_items = 0;
  for (int64_t tpb = tpb_max;; tpb = cdiv(tpb, 2)) {
    for (int64_t ppb = ppb_max; ppb >= 1; ppb--) {
      int64_t items = p->batch * cdiv(mt, tpb) * cdiv(np, ppb);
      if (items > 4096 && best_span >= 0) continue; /* finer splits only add overhead */
      double span = makespan(&k, p->batch, mt, np, tpb, ppb, threads);
      if (best_span < 0 || span < best_span * (1 - 1e-6) || (span <= best_span * (1 + 1e-6) && items < best_items)) {
        best_span = span;
        best_items = items;
        best_tpb = tpb;
        best_ppb = ppb;
      }
    }
    if (tpb == 1) break;
  }
  out->tiles_per_mblock = best_tpb;
  out->panels_per_nblock = best_ppb;
  out->mc = best_tpb * out->mr < p->M ? best_tpb * out->mr : p->M;
  out->nc = best_ppb * out->nr < p->N ? best_ppb * out->nr : p->N;
  out->mblocks = cdiv(mt, best_tpb);
  out->nblocks = cdiv(np, best_ppb);
  out->work = p->batch * out->mblocks * out->nblocks;
  if (out->work < 1) out->work = 1;

  /* roofline */
  out->cycles = total_cycles(&k, p->batch) + ITEM_OVERHEAD_CYCLES * (double)out->work;
  double ghz = t->ghz > 0 ? t->ghz : 2.5;
  out->compute_s = out->cycles / (ghz * 1e9);
  double a = (double)p->batch * p->M * p->K, b = (double)p->batch * p->K * (double)np * out->nr,
         y = (double)p->batch * p->M * p->N * (1 + 2 * (out->kblocks - 1));
  out->bytes = 4 * (a + b + y);
  double ws = 4 * (a + b + (double)p->batch * p->M * p->N);
  double bw;
  if (ws <= (double)t->l1_bytes) bw = t->l1_gbs, out->bound = "L1";
  else if (ws <= (double)t->l2_bytes) bw = t->l2_gbs, out->bound = "L2";
  else if (ws <= (double)t->l3_bytes * threads) bw = t->l3_gbs, out->bound = "L3";
  else bw = t->dram_gbs, out->bound = "DRAM";
  out->memory_s = out->bytes / (bw * 1e9);
  if (out->compute_s >= out->memory_s) out->bound = "compute";
  out->predicted_s = out->compute_s > out->memory_s ? out->compute_s : out->memory_s;
  int par = (int)(out->work < threads ? out->work : threads);
  double cpar = best_span / (ghz * 1e9);
  double mpar = !strcmp(out->bound, "DRAM") ? out->memory_s : out->memory_s / par;
  out->predicted_par_s = cpar > mpar ? cpar : mpar;
}

void cg_gemm_tiling_format(const cg_gemm_tiling_t *t, char *buf, size_t n) {
  snprintf(buf, n, "MR=%d NR=%d KC=%lld MC=%lld NC=%lld work=%lld", t->mr, t->nr, (long long)t->kc,
           (long long)t->mc, (long long)t->nc, (long long)t->work);
}
