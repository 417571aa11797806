/* Dead code elimination.
 * requires: nodes in topological order.  changes: nodes none of whose
 * outputs reach a graph output become NOP; the graph is compacted (unused
 * initializers go too).  why: torch exports carry shape subgraphs and
 * constants that folding leaves dead. */
#include <stdlib.h>

#include "passes/pass.h"

ingot_status_t ingot_pass_dce(ingot_graph_t *g, ingot_pass_ctx_t *ctx) {
  uint8_t *live = calloc(g->nvalues ? g->nvalues : 1, 1);
  if (!live) return ingot_error(INGOT_CODE_NOMEM, "dce: out of memory");
  for (uint32_t i = 0; i < g->noutputs; i++) live[g->outputs[i]] = 1;
  for (uint32_t i = g->nnodes; i-- > 0;) {
    ingot_node_t *n = &g->nodes[i];
    if (n->op == INGOT_OP_NOP) continue;
    bool any = false;
    for (uint32_t k = 0; k < n->noutputs; k++)
      if (n->outputs[k] >= 0 && live[n->outputs[k]]) any = true;
    if (!any) {
      n->op = INGOT_OP_NOP;
      ctx->dce_removed++;
      continue;
    }
    for (uint32_t k = 0; k < n->ninputs; k++)
      if (n->inputs[k] >= 0) live[n->inputs[k]] = 1;
  }
  free(live);
  return ingot_graph_compact(g);
}
