/* ingot profile: compile a model in-process (JIT, weights embedded), run it
 * N times and print where the time goes, kernel by kernel, against the
 * target's roofline.
 *
 *   ingot profile MODEL.onnx [--iterations N] [--threads T] [--input NAME=FILE.npy ...]
 *                 [--top K] [--target T] [--batch N] [--bucket IN=AxB...] [-O0..3]
 *
 * Inputs not given are made up: floats uniform in [-1, 1) from a fixed seed,
 * integers and booleans 0 (a valid class index or position for every model
 * here).  One warm-up run is not counted.  Per-kernel time is the median over
 * the iterations of the runtime's launch timing (ingot_rt_model_enable_timing),
 * so it includes the thread pool's fork/join, and one descheduled iteration on
 * a busy machine does not skew it.  FLOPs and bytes are the emitters' estimates in
 * the descriptor's kernel info.  The roof for a kernel is
 * min(peak GFLOP/s, FLOP/byte x bandwidth), where the peak is the fp32 FMA
 * peak per core times the thread count, and the bandwidth is that of the
 * smallest cache level holding the kernel's bytes (L2, L3 or DRAM, per core
 * times threads), both from codegen/target.h. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "codegen/codegen.h"
#include "codegen/target.h"
#include "interp/interp.h"
#include "passes/pass.h"
#include "runtime/ingot_npy.h"
#include "runtime/ingot_rt.h"
#include "tools/cli.h"

#define MAX_IO 64

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

typedef struct {
  int k;
  double s;
} krow_t;

static int cmp_row(const void *a, const void *b) {
  const krow_t *x = a, *y = b;
  return x->s > y->s ? -1 : x->s < y->s ? 1 : x->k - y->k;
}

/* "x=1x4x32x32,t=1" -> bindings (same syntax as compile --bucket) */
static ingot_status_t parse_shapes(const char *s, ingot_shape_binding_t *b, int *nb, char *store, size_t storelen) {
  snprintf(store, storelen, "%s", s);
  *nb = 0;
  char *save = NULL;
  for (char *part = strtok_r(store, ",", &save); part; part = strtok_r(NULL, ",", &save)) {
    char *eq = strchr(part, '=');
    if (!eq || eq == part || !eq[1] || *nb == 16)
      return ingot_error(INGOT_CODE_INPUT, "--bucket wants NAME=AxBxC[,NAME=...], not '%s'", s);
    *eq = 0;
    ingot_shape_binding_t *x = &b[(*nb)++];
    memset(x, 0, sizeof *x);
    x->input = part;
    for (char *p = eq + 1; *p;) {
      char *end;
      long long v = strtoll(p, &end, 10);
      if (end == p || v < 0 || v > (1ll << 40) || x->rank == INGOT_MAX_RANK)
        return ingot_error(INGOT_CODE_INPUT, "--bucket '%s': bad dims", s);
      x->dims[x->rank++] = v;
      p = *end == 'x' ? end + 1 : end;
      if (*end && *end != 'x') return ingot_error(INGOT_CODE_INPUT, "--bucket '%s': bad dims", s);
    }
  }
  return INGOT_OK;
}

static void fill_random(ingot_tensor_t *t, uint64_t *state) {
  int64_t n = ingot_tensor_numel(t);
  if (!ingot_dtype_is_float(t->dtype)) return; /* integers and booleans stay 0 */
  for (int64_t i = 0; i < n; i++) {
    *state = *state * 6364136223846793005ull + 1442695040888963407ull;
    ingot_tensor_set_f64(t, i, (double)(*state >> 11) * 0x1.0p-52 - 1.0);
  }
}

static const char *fmt_rate(double v, char *buf, size_t n) {
  if (!(v > 0) || !isfinite(v)) snprintf(buf, n, "-");
  else snprintf(buf, n, v >= 100 ? "%.0f" : v >= 10 ? "%.1f" : "%.2f", v);
  return buf;
}

int cmd_profile(int argc, char **argv) {
  const char *path = NULL, *target = "native", *bucket = NULL;
  long iters = 20, threads = 1, top = 20, batch = 0;
  int opt = 3;
  const char *in_names[MAX_IO], *in_files[MAX_IO];
  int nin = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strncmp(a, "-O", 2) && a[2] >= '0' && a[2] <= '3' && !a[3]) {
      opt = a[2] - '0';
      continue;
    }
    if (a[0] != '-') {
      if (path) return cli_usage("profile", "more than one model given");
      path = a;
      continue;
    }
    static const char *const with_value[] = {"--iterations", "--threads", "--input", "--top",
                                             "--target",     "--batch",   "--bucket", NULL};
    int k = 0;
    while (with_value[k] && strcmp(a, with_value[k])) k++;
    if (!with_value[k]) return cli_usage("profile", "unknown option '%s'", a);
    if (i + 1 >= argc) return cli_usage("profile", "%s needs a value", a);
    const char *v = argv[++i];
    if (!strcmp(a, "--target")) target = v;
    else if (!strcmp(a, "--bucket")) {
      if (bucket) return cli_usage("profile", "one --bucket at a time");
      bucket = v;
    } else if (!strcmp(a, "--input")) {
      const char *eq = strchr(v, '=');
      if (!eq || eq == v || !eq[1]) return cli_usage("profile", "--input wants NAME=FILE.npy, not '%s'", v);
      if (nin == MAX_IO) return cli_usage("profile", "too many inputs");
      in_names[nin] = v;
      in_files[nin++] = eq + 1;
    } else {
      char *end;
      long n = strtol(v, &end, 10);
      long lo = !strcmp(a, "--top") ? 0 : 1;
      if (*end || n < lo || n > 1000000) return cli_usage("profile", "%s wants a number >= %ld, not '%s'", a, lo, v);
      if (!strcmp(a, "--iterations")) iters = n;
      else if (!strcmp(a, "--threads")) threads = n;
      else if (!strcmp(a, "--top")) top = n;
      else batch = n;
    }
  }
  if (!path)
    return cli_usage("profile",
                     "usage: ingot profile MODEL.onnx [--iterations N] [--threads T] [--input NAME=FILE.npy]");
  if (threads > 256) return cli_usage("profile", "--threads wants 1..256");

  int progress = isatty(2);
  ingot_status_t st = INGOT_OK;
  ingot_graph_t *g = NULL;
  ingot_cg_t *cg = NULL;
  ingot_rt_model_t *m = NULL;
  ingot_tensor_t ins[MAX_IO], outs[MAX_IO];
  memset(ins, 0, sizeof ins);
  memset(outs, 0, sizeof outs);
  double *times = NULL, *before = NULL, *kt = NULL;
  ingot_shape_binding_t binds[16];
  int nbinds = 0;
  char bstore[1024];
  int vbits;
  if (bucket) st = parse_shapes(bucket, binds, &nbinds, bstore, sizeof bstore);
  if (!st) st = ingot_cg_check_target(target, &vbits);
  double tc = now_s();
  if (progress && !st) fprintf(stderr, "\r[ingot] profile: import and passes...   ");
  if (!st) st = cli_load_model(path, &g);
  if (!st) {
    ingot_pass_ctx_t pc;
    ingot_pass_ctx_init(&pc);
    pc.batch = batch;
    pc.bindings = binds;
    pc.nbindings = nbinds;
    st = ingot_run_pipeline(g, &pc);
  }
  if (!st) {
    if (progress) fprintf(stderr, "\r[ingot] profile: generating code...     ");
    ingot_cg_options_t co = {"prof", target, true, false, opt};
    st = ingot_cg_create(&co, &cg);
  }
  if (!st) st = ingot_cg_add_bucket(cg, g, bucket ? bucket : "default", NULL, NULL);
  if (!st) {
    if (progress) fprintf(stderr, "\r[ingot] profile: optimising...          ");
    st = ingot_cg_finish(cg);
  }
  const void *dp = NULL;
  if (!st) st = ingot_cg_jit(cg, &dp);
  tc = now_s() - tc;
  const ingot_rt_model_desc_t *d = dp;
  const ingot_rt_bucket_t *bk = st ? NULL : &d->buckets[0];
  if (!st && (bk->ninputs > MAX_IO || bk->noutputs > MAX_IO))
    st = ingot_error(INGOT_CODE_UNSUPPORTED, "more than %d inputs or outputs", MAX_IO);
  /* inputs: given .npy files, the rest made up */
  void *inp[MAX_IO] = {0}, *outp[MAX_IO] = {0};
  for (int i = 0; !st && i < nin; i++) {
    size_t l = (size_t)(in_files[i] - 1 - in_names[i]);
    int k = 0;
    while (k < bk->ninputs && (strlen(bk->inputs[k].name) != l || strncmp(bk->inputs[k].name, in_names[i], l))) k++;
    if (k == bk->ninputs) {
      st = ingot_error(INGOT_CODE_INPUT, "the model has no input named '%.*s'", (int)l, in_names[i]);
      break;
    }
    ingot_npy_t npy;
    char err[512];
    if (ingot_npy_read(in_files[i], &npy, err, sizeof err)) {
      st = ingot_error(INGOT_CODE_INPUT, "input '%s': %s", bk->inputs[k].name, err);
      break;
    }
    int ok = npy.dtype == bk->inputs[k].dtype && npy.rank == bk->inputs[k].rank;
    for (int r = 0; ok && r < npy.rank; r++) ok = npy.dims[r] == bk->inputs[k].dims[r];
    if (!ok) st = ingot_error(INGOT_CODE_INPUT, "input '%s': %s has another dtype or shape than the compiled model",
                              bk->inputs[k].name, in_files[i]);
    else if (ins[k].data) st = ingot_error(INGOT_CODE_INPUT, "input '%s' is given twice", bk->inputs[k].name);
    else {
      ins[k] = ingot_tensor_view(npy.dtype, npy.rank, npy.dims, npy.data, npy.nbytes);
      ins[k].owned = true; /* malloc'd by the reader: released with the tensor */
      npy.data = NULL;
    }
    ingot_npy_free(&npy);
  }
  uint64_t seed = 0x1234567;
  for (int k = 0; !st && bk && k < bk->ninputs; k++) {
    if (!ins[k].data) {
      st = ingot_tensor_alloc(&ins[k], bk->inputs[k].dtype, bk->inputs[k].rank, bk->inputs[k].dims);
      if (!st) fill_random(&ins[k], &seed);
    }
    inp[k] = ins[k].data;
  }
  for (int k = 0; !st && k < bk->noutputs; k++) {
    st = ingot_tensor_alloc(&outs[k], bk->outputs[k].dtype, bk->outputs[k].rank, bk->outputs[k].dims);
    outp[k] = outs[k].data;
  }
  if (!st) {
    ingot_rt_options_t o;
    ingot_rt_options_init(&o);
    o.threads = (int)threads;
    if (ingot_rt_model_create(d, NULL, &o, &m) != INGOT_RT_OK)
      st = ingot_error(INGOT_CODE_INPUT, "%s", ingot_rt_last_error(m));
  }
  int nk = bk ? bk->nkernels : 0;
  times = calloc((size_t)iters, sizeof *times);
  before = calloc((size_t)nk + 1, sizeof *before);
  if (!st && (!times || !before)) st = ingot_error(INGOT_CODE_NOMEM, "out of memory");
  /* per-iteration kernel times, for medians that one descheduled iteration cannot skew (means if too many) */
  if (!st && (double)iters * nk <= 8e6) kt = malloc((size_t)iters * (size_t)nk * sizeof *kt + 1);
  /* warm-up (pages, caches, the pool's threads), not counted */
  if (!st && ingot_rt_model_run(m, 0, inp, outp) != INGOT_RT_OK)
    st = ingot_error(INGOT_CODE_INPUT, "%s", ingot_rt_last_error(m));
  const double *ks = NULL;
  if (!st) {
    ingot_rt_model_enable_timing(m);
    ks = ingot_rt_model_kernel_seconds(m, 0);
    if (!ks) st = ingot_error(INGOT_CODE_NOMEM, "out of memory for kernel timing");
    else memcpy(before, ks, (size_t)nk * sizeof *before); /* $INGOT_TRACE may have timed the warm-up */
  }
  const double *start = NULL; /* kernel seconds before the timed loop, for means */
  double *start_copy = st ? NULL : calloc((size_t)nk + 1, sizeof *start_copy);
  if (start_copy) {
    memcpy(start_copy, before, (size_t)nk * sizeof *start_copy);
    start = start_copy;
  } else if (!st) {
    st = ingot_error(INGOT_CODE_NOMEM, "out of memory");
  }
  double tl = now_s();
  for (long it = 0; !st && it < iters; it++) {
    double t = now_s();
    if (ingot_rt_model_run(m, 0, inp, outp) != INGOT_RT_OK)
      st = ingot_error(INGOT_CODE_INPUT, "%s", ingot_rt_last_error(m));
    times[it] = now_s() - t;
    for (int k = 0; !st && kt && k < nk; k++) {
      kt[(size_t)k * (size_t)iters + (size_t)it] = ks[k] - before[k];
      before[k] = ks[k];
    }
    if (progress && now_s() - tl > 0.2) {
      fprintf(stderr, "\r[ingot] profile: iteration %ld/%ld   ", it + 1, iters);
      tl = now_s();
    }
  }
  if (progress) fprintf(stderr, "\r%60s\r", "");
  if (!st) {
    ingot_target_desc_t td;
    int have_target = ingot_target_describe(target, true, &td) == INGOT_OK;
    char tline[256] = "n/a";
    if (have_target) ingot_target_format(&td, tline, sizeof tline);
    int cores = have_target ? (td.cores > 0 && td.cores < threads ? td.cores : (int)threads) : (int)threads;
    double peak = have_target ? td.peak_gflops * cores : 0;
    double mean = 0;
    for (long it = 0; it < iters; it++) mean += times[it] / (double)iters;
    qsort(times, (size_t)iters, sizeof *times, cmp_double);
    krow_t *rows = calloc((size_t)nk + 1, sizeof *rows);
    double total = 0, tflops = 0, tbytes = 0;
    for (int k = 0; k < nk; k++) {
      rows[k].k = k;
      if (kt) { /* median over the iterations */
        double *col = kt + (size_t)k * (size_t)iters;
        qsort(col, (size_t)iters, sizeof *col, cmp_double);
        rows[k].s = iters % 2 ? col[iters / 2] : 0.5 * (col[iters / 2 - 1] + col[iters / 2]);
      } else {
        rows[k].s = (ks[k] - start[k]) / (double)iters;
      }
      total += rows[k].s;
      tflops += bk->kernels[k].flops;
      tbytes += bk->kernels[k].bytes;
    }
    qsort(rows, (size_t)nk, sizeof *rows, cmp_row);
    printf("ingot profile: %s (bucket %s), %d kernels, %ld iterations, %ld thread(s), compiled in %.2f s\n", path,
           bk->name, nk, iters, threads, tc);
    printf("target: %s\n", tline);
    printf("per iteration: median %.3f ms, min %.3f ms, max %.3f ms, mean %.3f ms; in kernels %.3f ms (sum of %s)\n",
           times[iters / 2] * 1e3, times[0] * 1e3, times[iters - 1] * 1e3, mean * 1e3, total * 1e3,
           kt ? "medians" : "means");
    printf("work per iteration (the emitters' estimates): %.4g GFLOP, %.4g MB\n\n", tflops / 1e9, tbytes / 1e6);
    printf("%4s  %-22s %-36s %-16s %10s %6s %9s %8s %9s %s\n", "#", "kernel", "node", "op", "us/iter", "share",
           "GFLOP/s", "GB/s", "of roof", "bound");
    int shown = top == 0 || top > nk ? nk : (int)top;
    for (int r = 0; r < shown; r++) {
      const ingot_rt_kernel_info_t *ki = &bk->kernels[rows[r].k];
      double s = rows[r].s;
      double gf = s > 0 ? ki->flops / s / 1e9 : 0, gb = s > 0 ? ki->bytes / s / 1e9 : 0;
      char roof[32] = "n/a", bound[16] = "", b1[32], b2[32];
      if (have_target && s > 0 && (ki->flops > 0 || ki->bytes > 0)) {
        /* the bandwidth of the smallest cache level holding the kernel's bytes */
        double bw = ki->bytes <= (double)td.l2_bytes * cores   ? td.l2_gbs
                    : ki->bytes <= (double)td.l3_bytes * cores ? td.l3_gbs
                                                                : td.dram_gbs;
        bw *= cores;
        double ai = ki->bytes > 0 ? ki->flops / ki->bytes : INFINITY;
        double attain = ki->flops > 0 ? fmin(peak, ai * bw) : 0;
        if (ki->flops > 0 && attain > 0) {
          snprintf(roof, sizeof roof, "%.1f%%", 100.0 * gf / attain);
          snprintf(bound, sizeof bound, "%s", ai * bw < peak ? "memory" : "compute");
        } else if (bw > 0) {
          snprintf(roof, sizeof roof, "%.1f%%", 100.0 * gb / bw);
          snprintf(bound, sizeof bound, "memory");
        }
      }
      printf("%4d  %-22.22s %-36.36s %-16.16s %10.2f %5.1f%% %9s %8s %9s %s\n", r + 1, ki->name, ki->node, ki->op,
             s * 1e6, total > 0 ? 100.0 * s / total : 0, fmt_rate(gf, b1, sizeof b1), fmt_rate(gb, b2, sizeof b2),
             roof, bound);
    }
    if (shown < nk) {
      double rest = 0;
      for (int r = shown; r < nk; r++) rest += rows[r].s;
      printf("%4s  %-22s %-36s %-16s %10.2f %5.1f%%\n", "", "(others)", "", "", rest * 1e6,
             total > 0 ? 100.0 * rest / total : 0);
    }
    char r1[32], r2[32];
    printf("\n%4s  %-22s %-36s %-16s %10.2f %5.1f%% %9s %8s\n", "", "total", "", "", total * 1e6, 100.0,
           fmt_rate(total > 0 ? tflops / total / 1e9 : 0, r1, sizeof r1),
           fmt_rate(total > 0 ? tbytes / total / 1e9 : 0, r2, sizeof r2));
    if (have_target)
      printf("roof: %.1f GFLOP/s fp32 peak for %d core(s)%s; bandwidth per core L2 %.0f, L3 %.0f, DRAM %.0f GB/s\n",
             peak, cores, td.peak_measured ? " (measured)" : " (nominal)", td.l2_gbs, td.l3_gbs, td.dram_gbs);
    free(rows);
  }
  ingot_rt_model_destroy(m);
  for (int k = 0; k < MAX_IO; k++) {
    ingot_tensor_release(&ins[k]);
    ingot_tensor_release(&outs[k]);
  }
  free(times);
  free(before);
  free(kt);
  free(start_copy);
  ingot_cg_destroy(cg);
  ingot_graph_free(g);
  return st ? cli_fail(st) : 0;
}
