/* Graph passes.  One signature for all (QBE style):
 *
 *   ingot_status_t ingot_pass_NAME(ingot_graph_t *g, ingot_pass_ctx_t *ctx);
 *
 * Each pass file opens with its contract: what it requires, what it
 * changes and why it exists.  The pipeline is one explicit list, in
 * passes/pipeline.c. */
#ifndef INGOT_PASS_H
#define INGOT_PASS_H

#include <stdbool.h>
#include <stdio.h>

#include "ir/ir.h"

/* Shape bindings for specialisation: input NAME gets exactly these dims. */
typedef struct {
  const char *input;
  int rank;
  int64_t dims[INGOT_MAX_RANK];
} ingot_shape_binding_t;

typedef struct {
  /* options */
  int64_t batch;                         /* > 0: bind symbolic leading dims of inputs to it */
  const ingot_shape_binding_t *bindings; /* exact input shapes (--bucket) */
  int nbindings;
  const char *dump_after; /* pass name or "all": print IR after it to dump */
  FILE *dump;
  size_t fold_limit_bytes; /* largest tensor constant folding may create */
  bool no_fuse;            /* skip operator fusion (ingot compile --no-fuse) */
  bool dense_attention;    /* fused attention reads Q, K, V as tensors of their own (the GPU backend) */
  /* statistics, filled by passes, for --report */
  int folded, dce_removed, cse_merged;
  int fused, fused_absorbed; /* fused nodes made, original nodes they replace */
  bool verify_each; /* run the verifier after every pass (debug builds, tests) */
  struct ingot_quant_s *quant; /* quantization options and results (passes/quantize.h); NULL: none */
} ingot_pass_ctx_t;

void ingot_pass_ctx_init(ingot_pass_ctx_t *ctx);

ingot_status_t ingot_pass_specialize(ingot_graph_t *g, ingot_pass_ctx_t *ctx) INGOT_MUST_USE;
ingot_status_t ingot_pass_fold_constants(ingot_graph_t *g, ingot_pass_ctx_t *ctx) INGOT_MUST_USE;
ingot_status_t ingot_pass_dce(ingot_graph_t *g, ingot_pass_ctx_t *ctx) INGOT_MUST_USE;
ingot_status_t ingot_pass_cse(ingot_graph_t *g, ingot_pass_ctx_t *ctx) INGOT_MUST_USE;
ingot_status_t ingot_pass_quantize(ingot_graph_t *g, ingot_pass_ctx_t *ctx) INGOT_MUST_USE; /* ctx->quant */
/* Operator fusion (passes/fuse.c): makes INGOT_OP_FUSED nodes (passes/fusion.h). */
ingot_status_t ingot_pass_fuse(ingot_graph_t *g, ingot_pass_ctx_t *ctx) INGOT_MUST_USE;

/* Names of the passes in pipeline order, NULL-terminated (for --dump-after). */
extern const char *const ingot_pipeline_pass_names[];
bool ingot_pipeline_has_pass(const char *name);

/* The compile pipeline: specialize, infer, fold, cse, dce, infer, verify. */
ingot_status_t ingot_run_pipeline(ingot_graph_t *g, ingot_pass_ctx_t *ctx) INGOT_MUST_USE;

#endif
