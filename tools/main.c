/* ingot: ahead-of-time compiler for diffusion models. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "frontend/onnx_import.h"
#include "ir/infer.h"
#include "ir/verify.h"
#include "runtime/ingot_rt.h"
#include "tools/cli.h"

static const char usage_text[] =
    "usage: ingot <command> [options]\n"
    "\n"
    "commands:\n"
    "  inspect MODEL.onnx [--values]     opset, inputs/outputs, op histogram, parameters\n"
    "  check MODEL.onnx                  report every unsupported op, attribute, dtype, opset\n"
    "  run MODEL.onnx --input NAME=FILE.npy ... --output-dir DIR\n"
    "                                    run with the reference evaluator\n"
    "  compile MODEL.onnx -o OUT/NAME [--target native|x86-64-avx512|x86-64-avx2]\n"
    "          [--batch N] [--bucket IN=AxBxC[,IN2=...]]... [--embed-weights] [--shared]\n"
    "          [--emit=llvm-ir,asm,obj] [--report] [--dump-after=PASS|all] [-O0..3]\n"
    "          [--sampler ddim|euler [--steps N] [--guidance G] [--null-class K]]\n"
    "          [--quantize int8-weight|w8a8|fp8-e4m3 [--calibrate DIR] [--calib-method M]\n"
    "           [--per-token] [--keep-fp32=NODE,...|auto --error-budget E] [--save-scales F]\n"
    "           [--load-scales F]]\n"
    "                                    ahead-of-time compile to NAME.h, NAME.o, libNAME.a,\n"
    "                                    NAME.weights (and libNAME.so with --shared)\n"
    "  exec libNAME.so --input NAME=FILE.npy ... --output-dir DIR [--threads N]\n"
    "          [--iterations K] [--weights FILE]\n"
    "                                    run a model compiled with --shared\n"
    "  profile MODEL.onnx [--iterations N] [--threads T] [--input NAME=FILE.npy ...] [--top K]\n"
    "          [--target T] [--batch N] [--bucket IN=AxBxC] [-O0..3]\n"
    "                                    compile in-process, run N times, per-kernel time,\n"
    "                                    GFLOP/s and GB/s against the target's roofline\n"
    "  quant-report MODEL.onnx --quantize int8-weight|w8a8|fp8-e4m3 --calibrate DIR [--json]\n"
    "          [--calib-method minmax|percentile[:P]] [--per-token] [--keep-fp32=NODE,...|auto]\n"
    "          [--trajectory [--sampler ddim|euler] [--steps N] [--guidance G] [--seed S]\n"
    "           [--class C] [--max-rel-l2 E]]\n"
    "                                    per-layer error and SQNR of the quantized graph vs fp32\n"
    "                                    (--trajectory: at every step of a sampling run, JSON)\n"
    "  compare RESULT.npy REFERENCE.npy [--tol T]\n"
    "                                    relative L2 error; exit 1 above T (default 1e-4)\n"
    "  version                           print the version\n"
    "\n"
    "exit codes: 0 ok, 1 usage or input error, 2 unsupported model feature\n";

int cli_fail(ingot_status_t st) {
  const char *m = ingot_status_message(st);
  fputs("error: ", stderr);
  /* one line, bounded: hostile names could be huge or hold control characters */
  size_t n = 0;
  for (const char *p = m; *p && n < 2000; p++, n++) fputc((unsigned char)*p < 0x20 || *p == 0x7f ? '?' : *p, stderr);
  if (strlen(m) > 2000) fputs("...", stderr);
  fputc('\n', stderr);
  int rc = ingot_status_exit_code(st);
  ingot_status_free(st);
  return rc;
}

int cli_usage(const char *cmd, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("error: ", stderr);
  if (cmd) fprintf(stderr, "%s: ", cmd);
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, " (see 'ingot help')\n");
  va_end(ap);
  return 1;
}

ingot_status_t cli_load_model(const char *path, ingot_graph_t **out) {
  ingot_graph_t *g = NULL;
  INGOT_RETURN_IF_ERROR(ingot_import_onnx(path, &g));
  ingot_status_t st = ingot_infer_shapes(g);
  if (!st) st = ingot_verify(g);
  if (st) {
    ingot_graph_free(g);
    return st;
  }
  *out = g;
  return INGOT_OK;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fputs(usage_text, stderr);
    return 1;
  }
  const char *cmd = argv[1];
  if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
    fputs(usage_text, stdout);
    return 0;
  }
  if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
    printf("ingot %s\n", ingot_rt_version());
    return 0;
  }
  if (!strcmp(cmd, "inspect")) return cmd_inspect(argc - 1, argv + 1);
  if (!strcmp(cmd, "check")) return cmd_check(argc - 1, argv + 1);
  if (!strcmp(cmd, "run")) return cmd_run(argc - 1, argv + 1);
  if (!strcmp(cmd, "compile")) return cmd_compile(argc - 1, argv + 1);
  if (!strcmp(cmd, "exec")) return cmd_exec(argc - 1, argv + 1);
  if (!strcmp(cmd, "profile")) return cmd_profile(argc - 1, argv + 1);
  if (!strcmp(cmd, "quant-report")) return cmd_quant_report(argc - 1, argv + 1);
  if (!strcmp(cmd, "compare")) return cmd_compare(argc - 1, argv + 1);
  return cli_usage(NULL, "unknown command '%s'", cmd);
}
