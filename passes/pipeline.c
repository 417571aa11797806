/* The compile pipeline, in one place (QBE main.c style). */
#include <string.h>

#include "ir/infer.h"
#include "ir/verify.h"
#include "passes/pass.h"

const char *const ingot_pipeline_pass_names[] = {"import", "specialize", "fold", "quantize", "cse", "dce", "fuse", NULL};

bool ingot_pipeline_has_pass(const char *name) {
  if (!strcmp(name, "all")) return true;
  for (int i = 0; ingot_pipeline_pass_names[i]; i++)
    if (!strcmp(ingot_pipeline_pass_names[i], name)) return true;
  return false;
}

void ingot_pass_ctx_init(ingot_pass_ctx_t *ctx) {
  memset(ctx, 0, sizeof *ctx);
  ctx->fold_limit_bytes = (size_t)256 << 20;
}

static ingot_status_t after(ingot_graph_t *g, ingot_pass_ctx_t *ctx, const char *name) {
  if (ctx->verify_each) INGOT_RETURN_IF_ERROR_CTX(ingot_verify(g), "verifier after pass '%s'", name);
  if (ctx->dump_after && ctx->dump && (!strcmp(ctx->dump_after, "all") || !strcmp(ctx->dump_after, name))) {
    fprintf(ctx->dump, "# IR after %s\n", name);
    ingot_graph_print(ctx->dump, g);
  }
  return INGOT_OK;
}

#define RUN(pass, name)                                                   \
  do {                                                                    \
    INGOT_RETURN_IF_ERROR_CTX(pass(g, ctx), "%s: pass '%s'", g->source, name); \
    INGOT_RETURN_IF_ERROR(after(g, ctx, name));                           \
  } while (0)

ingot_status_t ingot_run_pipeline(ingot_graph_t *g, ingot_pass_ctx_t *ctx) {
  INGOT_RETURN_IF_ERROR(after(g, ctx, "import"));
  RUN(ingot_pass_specialize, "specialize");
  RUN(ingot_pass_fold_constants, "fold");
  if (ctx->quant) RUN(ingot_pass_quantize, "quantize");
  RUN(ingot_pass_cse, "cse");
  RUN(ingot_pass_dce, "dce");
  RUN(ingot_pass_fuse, "fuse");
  return ingot_verify(g);
}
