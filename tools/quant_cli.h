/* Quantization options shared by `ingot compile` and `ingot quant-report`
 * (tools/quant_cli.c; the work is in passes/quantize.h). */
#ifndef INGOT_QUANT_CLI_H
#define INGOT_QUANT_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "passes/quantize.h"

typedef struct {
  ingot_quant_t q;
  int budget_given;
} quant_cli_t;

void quant_cli_init(quant_cli_t *c);
void quant_cli_free(quant_cli_t *c);
/* If argv[*i] is a quantization option (--quantize, --calibrate, --calib-method,
 * --keep-fp32, --error-budget, --save-scales, --load-scales, --per-token; as
 * "--opt VALUE" or "--opt=VALUE"), consumes it and its value (advancing *i)
 * and returns 1; 0 when it is not one; -1 after printing a usage error. */
int quant_cli_option(quant_cli_t *c, const char *cmd, int argc, char **argv, int *i);
/* Checks the combination after parsing; 0 or a usage error's exit code.
 * data_with_scales: --calibrate (the data) may come with --load-scales (the ranges). */
int quant_cli_check(quant_cli_t *c, const char *cmd, bool data_with_scales);
/* The --report lines of a quantized compile (weights: the whole blob's bytes). */
void quant_cli_report(const quant_cli_t *c, size_t weights_bytes, FILE *out);

/* JSON for quant-report: a string with its escapes; a number, null when not finite. */
void quant_cli_json_str(FILE *f, const char *s);
void quant_cli_json_num(FILE *f, double v);
/* Makes value `name` of g a graph output (once) and sets *idx to its output index; -1 and
 * INGOT_OK when g has no such value. */
ingot_status_t quant_cli_expose(ingot_graph_t *g, const char *name, int32_t *idx) INGOT_MUST_USE;

#endif
