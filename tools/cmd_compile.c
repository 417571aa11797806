/* ingot compile: model -> NAME.h, NAME.o, libNAME.a, NAME.weights. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "codegen/artifact.h"
#include "codegen/codegen.h"
#include "codegen/sampler.h"
#include "passes/fusion.h"
#include "passes/pass.h"
#include "tools/cli.h"
#include "tools/compile_gpu.h"
#include "tools/quant_cli.h"

#define MAX_BUCKETS 32

typedef struct {
  char *text; /* as given, for messages and the bucket name */
  ingot_shape_binding_t b[16];
  int nb;
} bucket_arg_t;

/* "x=1x4x32x32,t=1" */
static ingot_status_t parse_bucket(const char *s, bucket_arg_t *out) {
  memset(out, 0, sizeof *out);
  out->text = strdup(s);
  char *copy = strdup(s);
  if (!out->text || !copy) {
    free(copy);
    return ingot_error(INGOT_CODE_NOMEM, "out of memory");
  }
  ingot_status_t st = INGOT_OK;
  char *save = NULL;
  for (char *part = strtok_r(copy, ",", &save); part && !st; part = strtok_r(NULL, ",", &save)) {
    char *eq = strchr(part, '=');
    if (!eq || eq == part || !eq[1] || out->nb == 16) {
      st = ingot_error(INGOT_CODE_INPUT, "--bucket wants NAME=AxBxC[,NAME=...], not '%s'", s);
      break;
    }
    *eq = 0;
    ingot_shape_binding_t *b = &out->b[out->nb++];
    b->input = strdup(part);
    char *p = eq + 1;
    while (*p && !st) {
      char *end;
      errno = 0;
      long long v = strtoll(p, &end, 10);
      if (end == p || errno || v < 0 || v > (1ll << 40) || b->rank == INGOT_MAX_RANK) {
        st = ingot_error(INGOT_CODE_INPUT, "--bucket '%s': bad dims '%s'", s, eq + 1);
        break;
      }
      b->dims[b->rank++] = v;
      if (*end == 'x') end++;
      else if (*end) {
        st = ingot_error(INGOT_CODE_INPUT, "--bucket '%s': bad dims '%s'", s, eq + 1);
        break;
      }
      p = end;
    }
  }
  free(copy);
  return st;
}

static void free_bucket_arg(bucket_arg_t *b) {
  free(b->text);
  for (int i = 0; i < b->nb; i++) free((char *)b->b[i].input);
}

static int valid_name(const char *n) {
  if (!*n || (*n >= '0' && *n <= '9')) return 0;
  for (const char *p = n; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_')) return 0;
  return strlen(n) < 200;
}

static int progress_enabled(void) { return isatty(2); }

int cmd_compile(int argc, char **argv) {
  const char *path = NULL, *out = NULL, *target = "native", *dump_after = NULL;
  long batch = 0;
  int emit_ll = 0, emit_asm = 0, embed = 0, shared = 0, report = 0, opt = 3, no_fuse = 0;
  bucket_arg_t buckets[MAX_BUCKETS];
  int nbuckets = 0;
  ingot_sampler_opts_t sampler = {INGOT_SAMPLER_NONE, -1, -1.0, -1};
  ingot_sampler_plan_t splan;
  const char *quantize = NULL; /* GPU options (tools/compile_gpu.c) */
  const char *gemm_prec = NULL;
  int emit_ptx = 0;
  int rc = 0;
  ingot_status_t st = INGOT_OK;
  quant_cli_t qc; /* CPU quantization (tools/quant_cli.c, passes/quantize.h) */
  quant_cli_init(&qc);
  for (int i = 1; i < argc && !st; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--quantize") && strncmp(a, "--quantize=", 11)) { /* --quantize itself: below, CPU or GPU */
      int qr = quant_cli_option(&qc, "compile", argc, argv, &i);
      if (qr < 0) {
        rc = 1;
        goto done;
      }
      if (qr > 0) continue;
    }
    const char *val = NULL;
    const char *opts_with_value[] = {"-o",      "--target", "--batch",    "--bucket",     "--emit", "--dump-after",
                                     "--sampler", "--steps", "--guidance", "--null-class", "--quantize", NULL};
    for (int k = 0; opts_with_value[k]; k++) {
      size_t l = strlen(opts_with_value[k]);
      if (!strncmp(a, opts_with_value[k], l) && a[l] == '=' && k > 0) val = a + l + 1;
      else if (!strcmp(a, opts_with_value[k])) {
        if (i + 1 >= argc) {
          rc = cli_usage("compile", "%s needs a value", a);
          goto done;
        }
        val = argv[++i];
      } else continue;
      a = opts_with_value[k];
      break;
    }
    if (!strcmp(a, "-o")) out = val;
    else if (!strcmp(a, "--target")) target = val;
    else if (!strcmp(a, "--dump-after")) dump_after = val;
    else if (!strcmp(a, "--sampler") || !strcmp(a, "--steps") || !strcmp(a, "--guidance") ||
             !strcmp(a, "--null-class")) {
      /* whole-sampler compilation (codegen/sampler.h) */
      char *end;
      double v = strtod(val, &end);
      if (!strcmp(a, "--sampler")) {
        sampler.kind = !strcmp(val, "ddim") ? INGOT_SAMPLER_DDIM : !strcmp(val, "euler") ? INGOT_SAMPLER_EULER : 0;
        if (!sampler.kind) {
          rc = cli_usage("compile", "--sampler wants ddim or euler, not '%s'", val);
          goto done;
        }
      } else if (*end || end == val || !(v >= 0) || (strcmp(a, "--guidance") && (v != (double)(int64_t)v || v > 1e9))) {
        rc = cli_usage("compile", "%s wants a %s number, not '%s'", a,
                       strcmp(a, "--guidance") ? "non-negative whole" : "non-negative", val);
        goto done;
      } else if (!strcmp(a, "--steps")) sampler.steps = (int)v;
      else if (!strcmp(a, "--guidance")) sampler.guidance = v;
      else sampler.null_class = (int64_t)v;
    }
    else if (!strcmp(a, "--batch")) {
      char *end;
      batch = strtol(val, &end, 10);
      if (*end || batch < 1 || batch > 1 << 20) {
        rc = cli_usage("compile", "--batch wants a positive number, not '%s'", val);
        goto done;
      }
    } else if (!strcmp(a, "--bucket")) {
      if (nbuckets == MAX_BUCKETS) {
        rc = cli_usage("compile", "at most %d buckets", MAX_BUCKETS);
        goto done;
      }
      st = parse_bucket(val, &buckets[nbuckets]);
      nbuckets++;
    } else if (!strcmp(a, "--emit")) {
      char *copy = strdup(val), *save = NULL;
      for (char *e = strtok_r(copy, ",", &save); e; e = strtok_r(NULL, ",", &save)) {
        if (!strcmp(e, "llvm-ir")) emit_ll = 1;
        else if (!strcmp(e, "asm")) emit_asm = 1;
        else if (!strcmp(e, "ptx")) emit_ptx = 1;
        else if (strcmp(e, "obj")) {
          free(copy);
          rc = cli_usage("compile", "--emit wants llvm-ir, asm, obj or ptx, not '%s'", e);
          goto done;
        }
      }
      free(copy);
    } else if (!strcmp(a, "--quantize")) quantize = val;
    else if (!strcmp(a, "--tf32") || !strcmp(a, "--bf16")) gemm_prec = a + 2;
    else if (!strcmp(a, "--embed-weights")) embed = 1;
    else if (!strcmp(a, "--shared")) shared = 1;
    else if (!strcmp(a, "--report")) report = 1;
    else if (!strcmp(a, "--no-fuse")) no_fuse = 1;
    else if (!strncmp(a, "-O", 2) && a[2] >= '0' && a[2] <= '3' && !a[3]) opt = a[2] - '0';
    else if (a[0] == '-') {
      rc = cli_usage("compile", "unknown option '%s'", a);
      goto done;
    } else if (!path) path = a;
    else {
      rc = cli_usage("compile", "more than one model given");
      goto done;
    }
  }
  if (st) goto done;
  if (!path || !out) {
    rc = cli_usage("compile", "usage: ingot compile MODEL.onnx -o OUT/NAME [--target T] [--batch N] [--bucket ...]");
    goto done;
  }
  if (!sampler.kind && (sampler.steps >= 0 || sampler.guidance >= 0 || sampler.null_class >= 0)) {
    rc = cli_usage("compile", "--steps, --guidance and --null-class go with --sampler ddim|euler");
    goto done;
  }
  if (sampler.kind) {
    if (sampler.steps < 0) sampler.steps = 50;
    if (sampler.guidance < 0) sampler.guidance = 4.0;
    if (sampler.steps < 1 || sampler.steps > INGOT_SAMPLER_TRAIN_STEPS) {
      rc = cli_usage("compile", "--steps wants 1..%d", INGOT_SAMPLER_TRAIN_STEPS);
      goto done;
    }
  }
  if (dump_after && !ingot_pipeline_has_pass(dump_after)) {
    rc = cli_usage("compile", "--dump-after: no pass named '%s' (passes: import specialize fold cse dce fuse, or all)",
                   dump_after);
    goto done;
  }
  const char *name = strrchr(out, '/');
  name = name ? name + 1 : out;
  if (!valid_name(name)) {
    rc = cli_usage("compile", "-o %s: NAME must be a C identifier (letters, digits, _)", out);
    goto done;
  }
  if (quantize && !ingot_gpu_is_target(target)) {
    if (!(qc.q.mode = ingot_quant_mode_parse(quantize))) {
      rc = cli_usage("compile", "--quantize wants int8-weight, w8a8 or fp8-e4m3, not '%s'", quantize);
      goto done;
    }
    quantize = NULL;
  }
  if ((rc = quant_cli_check(&qc, "compile", false)) != 0) goto done;
  if (ingot_gpu_is_target(target) || quantize || gemm_prec || emit_ptx) {
    if (!ingot_gpu_is_target(target) || sampler.kind) {
      rc = cli_usage("compile", "%s", sampler.kind ? "--sampler is not compiled for GPU targets yet"
                                                   : "--quantize, --tf32, --bf16 and --emit=ptx need --target sm_80|sm_90");
      goto done;
    }
    const ingot_shape_binding_t *gb[MAX_BUCKETS];
    int gnb[MAX_BUCKETS];
    const char *gnames[MAX_BUCKETS];
    for (int b = 0; b < nbuckets; b++) {
      gb[b] = buckets[b].b;
      gnb[b] = buckets[b].nb;
      gnames[b] = buckets[b].text;
    }
    compile_gpu_args_t ga = {path, out, name, target, dump_after, quantize, batch, nbuckets, gb, gnb, gnames,
                             embed, shared, report, opt, emit_ll, emit_asm, emit_ptx, progress_enabled(), gemm_prec};
    rc = cmd_compile_gpu(&ga);
    goto done;
  }
  int vbits;
  st = ingot_cg_check_target(target, &vbits);
  if (st) goto done;
  {
    /* the output folder must exist */
    char *dir = strdup(out);
    char *sl = strrchr(dir, '/');
    struct stat sb;
    if (sl) {
      *sl = 0;
      if (*dir && (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)))
        st = ingot_error(INGOT_CODE_IO, "output folder '%s' does not exist", dir);
    }
    free(dir);
    if (st) goto done;
  }
  int nb = nbuckets ? nbuckets : 1;
  ingot_graph_t *graphs[MAX_BUCKETS] = {0};
  const char *bnames[MAX_BUCKETS];
  uint64_t arena[MAX_BUCKETS], naive[MAX_BUCKETS];
  ingot_cg_options_t co = {name, target, embed, shared, opt};
  ingot_cg_t *cg = NULL;
  st = ingot_cg_create(&co, &cg);
  int progress = progress_enabled();
  struct timespec t0;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  int nodes_in = 0;
  ingot_pass_ctx_t pc[MAX_BUCKETS];
  for (int b = 0; b < nb && !st; b++) {
    if (progress) fprintf(stderr, "\r[ingot] bucket %d/%d: import and passes...   ", b + 1, nb);
    if (b == 0 && qc.q.mode) st = ingot_quant_prepare(&qc.q, path, stdout); /* calibration, auto keep-fp32 */
    if (!st) st = cli_load_model(path, &graphs[b]);
    if (st) break;
    nodes_in = (int)graphs[b]->nnodes;
    ingot_pass_ctx_init(&pc[b]);
    pc[b].quant = qc.q.mode ? &qc.q : NULL;
    pc[b].batch = batch;
    if (nbuckets) {
      pc[b].bindings = buckets[b].b;
      pc[b].nbindings = buckets[b].nb;
    }
    pc[b].dump_after = dump_after;
    pc[b].dump = stdout;
    pc[b].no_fuse = no_fuse;
    st = ingot_run_pipeline(graphs[b], &pc[b]);
    if (st) break;
    bnames[b] = nbuckets ? buckets[b].text : "default";
    if (progress) fprintf(stderr, "\r[ingot] bucket %d/%d: generating code...     ", b + 1, nb);
    st = ingot_cg_add_bucket(cg, graphs[b], bnames[b], &arena[b], &naive[b]);
  }
  if (!st && sampler.kind) {
    st = ingot_sampler_plan(graphs[0], &sampler, &splan);
    if (!st) st = ingot_sampler_emit(cg, graphs[0], name, &splan);
  }
  if (!st) {
    if (progress) fprintf(stderr, "\r[ingot] optimising and emitting code...       ");
    st = ingot_cg_finish(cg);
  }
  if (!st) {
    char rt_lib[4096], rt_hdr[4096];
    const char *rtdir = getenv("INGOT_RT_DIR");
    if (rtdir && *rtdir) {
      snprintf(rt_lib, sizeof rt_lib, "%s/libingot_rt.a", rtdir);
      snprintf(rt_hdr, sizeof rt_hdr, "%s/ingot_rt.h", rtdir);
    } else {
      snprintf(rt_lib, sizeof rt_lib, "%s", INGOT_RT_LIB);
      snprintf(rt_hdr, sizeof rt_hdr, "%s", INGOT_RT_HEADER);
    }
    ingot_artifact_opts_t ao = {out, path, emit_ll, emit_asm, embed, shared, rt_lib, rt_hdr,
                                nb, (const ingot_graph_t *const *)graphs, bnames, arena,
                                sampler.kind ? &splan : NULL};
    st = ingot_write_artifacts(cg, &ao);
  }
  if (progress) fprintf(stderr, "\r%60s\r", "");
  if (!st && report) {
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    size_t wlen;
    ingot_cg_weights(cg, &wlen);
    printf("ingot compile report: %s -> %s (target %s, %d-bit vectors)\n", path, out, target, vbits);
    printf("  passes: %d nodes imported; folded %d, cse merged %d, dce removed %d\n", nodes_in, pc[0].folded,
           pc[0].cse_merged, pc[0].dce_removed);
    printf("  weights: %zu bytes%s\n", wlen, embed ? " (embedded)" : "");
    for (int b = 0; b < nb; b++)
      printf("  bucket %d (%s): %u nodes, peak activations %llu bytes (naive sum %llu, %.1fx less)\n", b, bnames[b],
             graphs[b]->nnodes, (unsigned long long)arena[b], (unsigned long long)naive[b],
             arena[b] ? (double)naive[b] / (double)arena[b] : 1.0);
    printf("  kernels: %d\n", ingot_cg_kernel_count(cg));
    printf("  fusions: %d fused nodes replace %d nodes%s\n", pc[0].fused, pc[0].fused_absorbed,
           no_fuse ? " (--no-fuse)" : "");
    for (uint32_t i = 0; i < graphs[0]->nnodes; i++) /* passes/fusion.h descriptors */
      if (graphs[0]->nodes[i].op == INGOT_OP_FUSED && graphs[0]->nodes[i].pass_data)
        printf("    %-40s %s\n", ((const ingot_fusion_t *)graphs[0]->nodes[i].pass_data)->desc,
               graphs[0]->nodes[i].name);
    ingot_cg_report_tiles(cg, stdout);
    if (qc.q.mode) quant_cli_report(&qc, wlen, stdout);
    if (sampler.kind)
      printf("  sampler: %s_sample, %s, %d steps, guidance %g, null class %lld, %lld sample(s) per call\n", name,
             ingot_sampler_kind_name(sampler.kind), splan.o.steps, splan.o.guidance, (long long)splan.o.null_class,
             (long long)splan.batch);
    printf("  time: %.2f s\n", (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
  }
  for (int b = 0; b < nb; b++) ingot_graph_free(graphs[b]);
  ingot_cg_destroy(cg);
done:
  for (int b = 0; b < nbuckets; b++) free_bucket_arg(&buckets[b]);
  quant_cli_free(&qc);
  if (st) return cli_fail(st);
  return rc;
}
