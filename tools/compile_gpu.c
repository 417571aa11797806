/* ingot compile --target sm_80|sm_90: model -> NAME.h, NAME.o (descriptor,
 * PTX, launch tables), libNAME.a, NAME.weights, [NAME.ptx]. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "codegen/gpu.h"
#include "tools/cli.h"
#include "tools/compile_gpu.h"

#define MAX_BUCKETS 32

int cmd_compile_gpu(const compile_gpu_args_t *a) {
  ingot_status_t st = ingot_gpu_check_target(a->target);
  if (st) return cli_fail(st);
  int quant = INGOT_GPU_QUANT_NONE;
  if (a->quantize) {
    if (strcmp(a->quantize, "fp8-e4m3")) return cli_usage("compile", "--quantize wants fp8-e4m3, not '%s'", a->quantize);
    quant = INGOT_GPU_QUANT_FP8_E4M3;
  }
  {
    /* the output folder must exist */
    char *dir = strdup(a->out);
    char *sl = dir ? strrchr(dir, '/') : NULL;
    struct stat sb;
    if (sl) {
      *sl = 0;
      if (*dir && (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)))
        st = ingot_error(INGOT_CODE_IO, "output folder '%s' does not exist", dir);
    }
    free(dir);
    if (st) return cli_fail(st);
  }
  int nb = a->nbuckets ? a->nbuckets : 1;
  if (nb > MAX_BUCKETS) return cli_usage("compile", "at most %d buckets", MAX_BUCKETS);
  int prec = !a->precision                    ? INGOT_GPU_PREC_FP16
             : !strcmp(a->precision, "tf32") ? INGOT_GPU_PREC_TF32
                                             : INGOT_GPU_PREC_BF16;
  ingot_gpu_options_t go;
  memset(&go, 0, sizeof go);
  go.name = a->name;
  go.target = a->target;
  go.embed_weights = a->embed != 0;
  go.shared_entry = a->shared != 0;
  go.opt_level = a->opt;
  go.quantize = quant;
  go.precision = prec;
  ingot_gpu_t *gpu = NULL;
  ingot_graph_t *graphs[MAX_BUCKETS] = {0};
  const char *bnames[MAX_BUCKETS];
  uint64_t arena[MAX_BUCKETS], naive[MAX_BUCKETS];
  ingot_pass_ctx_t pc[MAX_BUCKETS];
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  int nodes_in = 0;
  st = ingot_gpu_create(&go, &gpu);
  for (int b = 0; b < nb && !st; b++) {
    if (a->progress) fprintf(stderr, "\r[ingot] bucket %d/%d: import and passes...   ", b + 1, nb);
    st = cli_load_model(a->path, &graphs[b]);
    if (st) break;
    nodes_in = (int)graphs[b]->nnodes;
    ingot_pass_ctx_init(&pc[b]);
    pc[b].batch = a->batch;
    pc[b].dense_attention = true; /* gpu_attn.c reads Q, K, V as tensors of their own */
    if (a->nbuckets) {
      pc[b].bindings = a->bindings[b];
      pc[b].nbindings = a->nbindings[b];
    }
    pc[b].dump_after = a->dump_after;
    pc[b].dump = stdout;
    st = ingot_run_pipeline(graphs[b], &pc[b]);
    if (st) break;
    bnames[b] = a->nbuckets ? a->bucket_names[b] : "default";
    if (a->progress) fprintf(stderr, "\r[ingot] bucket %d/%d: generating GPU kernels...", b + 1, nb);
    st = ingot_gpu_add_bucket(gpu, graphs[b], bnames[b], &arena[b], &naive[b]);
  }
  if (!st) {
    if (a->progress) fprintf(stderr, "\r[ingot] optimising and emitting PTX...         ");
    st = ingot_gpu_finish(gpu);
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
    ingot_artifact_opts_t ao;
    memset(&ao, 0, sizeof ao);
    ao.out_prefix = a->out;
    ao.source = a->path;
    ao.emit_llvm_ir = a->emit_ll;
    ao.emit_asm = a->emit_asm;
    ao.embed_weights = a->embed;
    ao.shared = a->shared;
    ao.rt_lib = rt_lib;
    ao.rt_header = rt_hdr;
    ao.nbuckets = nb;
    ao.graphs = (const ingot_graph_t *const *)graphs;
    ao.bucket_names = bnames;
    ao.arena_bytes = arena;
    st = ingot_gpu_write_artifacts(gpu, &ao, a->emit_ptx);
  }
  bool have_ptxas = false;
  if (!st && a->report) {
    if (a->progress) fprintf(stderr, "\r[ingot] ptxas -v...                            ");
    st = ingot_gpu_ptxas(gpu, &have_ptxas);
  }
  if (a->progress) fprintf(stderr, "\r%60s\r", "");
  if (!st && a->report) {
    clock_gettime(CLOCK_MONOTONIC, &t1);
    size_t plen;
    ingot_gpu_ptx(gpu, &plen);
    printf("ingot compile report: %s -> %s (target %s, PTX through LLVM NVPTX)\n", a->path, a->out, a->target);
    printf("  passes: %d nodes imported; folded %d, cse merged %d, dce removed %d\n", nodes_in, pc[0].folded,
           pc[0].cse_merged, pc[0].dce_removed);
    for (int b = 0; b < nb; b++)
      printf("  bucket %d (%s): %u nodes, peak device activations %llu bytes (naive sum %llu)\n", b, bnames[b],
             graphs[b]->nnodes, (unsigned long long)arena[b], (unsigned long long)naive[b]);
    ingot_gpu_report(gpu, stdout);
    printf("  time: %.2f s\n", (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
  }
  for (int b = 0; b < nb; b++) ingot_graph_free(graphs[b]);
  ingot_gpu_destroy(gpu);
  return st ? cli_fail(st) : 0;
}
