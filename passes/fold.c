/* Constant folding.
 * requires: shapes inferred; topological order.  changes: every node whose
 * inputs are all constant (or that only reads static shapes: Shape, Size) is
 * evaluated with the reference evaluator's kernel and its outputs become
 * constants (initializers); the node becomes NOP (DCE compacts).  why: torch
 * exports compute shapes, position embeddings and timestep frequencies in
 * the graph; none of that should run at inference time.
 * Float16/bfloat16 nodes are left alone (the evaluator widens those in its
 * run loop, which folding does not reproduce). */
#include <stdlib.h>
#include <string.h>

#include "interp/interp.h"
#include "passes/pass.h"

static bool is_const(const ingot_graph_t *g, int32_t v) { return v < 0 || g->values[v].data != NULL; }

static bool foldable(const ingot_graph_t *g, const ingot_node_t *n) {
  if (n->op >= INGOT_OP_COUNT_ || n->op == INGOT_OP_IF || n->op == INGOT_OP_LOOP || n->op == INGOT_OP_SCAN ||
      n->op == INGOT_OP_DROPOUT)
    return false;
  for (uint32_t k = 0; k < n->ninputs; k++) {
    int32_t v = n->inputs[k];
    if (v >= 0 && (g->values[v].type.dtype == INGOT_DT_FLOAT16 || g->values[v].type.dtype == INGOT_DT_BFLOAT16))
      return false;
  }
  for (uint32_t k = 0; k < n->noutputs; k++) {
    int32_t v = n->outputs[k];
    if (v >= 0 && (g->values[v].flags & INGOT_VAL_OUTPUT)) return false; /* keep graph outputs computed */
  }
  if ((n->op == INGOT_OP_SHAPE || n->op == INGOT_OP_SIZE) && n->inputs[0] >= 0)
    return ingot_type_is_static(&g->values[n->inputs[0]].type);
  for (uint32_t k = 0; k < n->ninputs; k++)
    if (!is_const(g, n->inputs[k])) return false;
  return true;
}

static ingot_status_t fold_node(ingot_graph_t *g, ingot_pass_ctx_t *ctx, int32_t idx) {
  ingot_node_t *n = &g->nodes[idx];
  ingot_tensor_t ins[16], outs[8];
  const ingot_tensor_t *inp[16];
  if (n->ninputs > 16 || n->noutputs > 8) return INGOT_OK;
  memset(outs, 0, sizeof outs);
  for (uint32_t k = 0; k < n->ninputs; k++) {
    int32_t v = n->inputs[k];
    inp[k] = NULL;
    if (v < 0) continue;
    const ingot_value_t *val = &g->values[v];
    int64_t dims[INGOT_MAX_RANK];
    for (int d = 0; d < val->type.rank; d++) dims[d] = val->type.dims[d].v;
    /* Shape/Size read only the (static) type: a view with no data will do. */
    ins[k] = ingot_tensor_view(val->type.dtype, val->type.rank, dims, val->data, val->nbytes);
    inp[k] = &ins[k];
  }
  ingot_kctx_t kc = {g, idx, n, 1};
  ingot_kernel_fn fn = ingot_interp_kernel((ingot_op_t)n->op);
  if (!fn) return INGOT_OK;
  ingot_status_t st = fn(&kc, inp, n->ninputs, outs, n->noutputs);
  if (st) {
    /* Unsupported here means "leave it for run time"; anything else is a
     * real error the model would hit at run time too. */
    if (ingot_status_code(st) == INGOT_CODE_UNSUPPORTED) {
      ingot_status_free(st);
      st = INGOT_OK;
    }
    goto out;
  }
  for (uint32_t k = 0; k < n->noutputs; k++)
    if (n->outputs[k] >= 0 && outs[k].nbytes > ctx->fold_limit_bytes) goto out; /* too big: keep the node */
  for (uint32_t k = 0; k < n->noutputs; k++) {
    int32_t v = n->outputs[k];
    if (v < 0) continue;
    ingot_value_t *val = &g->values[v];
    void *data = ingot_arena_alloc(g->arena, outs[k].nbytes ? outs[k].nbytes : 1);
    if (!data) {
      st = ingot_error(INGOT_CODE_NOMEM, "constant folding: out of memory");
      goto out;
    }
    memcpy(data, outs[k].data, outs[k].nbytes);
    val->data = data;
    val->nbytes = outs[k].nbytes;
    val->flags |= INGOT_VAL_INIT;
    val->producer = -1;
    val->type.dtype = outs[k].dtype;
    val->type.rank = outs[k].rank;
    for (int d = 0; d < outs[k].rank; d++) val->type.dims[d] = ingot_dim_const(outs[k].dims[d]);
  }
  n->op = INGOT_OP_NOP;
  ctx->folded++;
out:
  for (uint32_t k = 0; k < n->noutputs; k++) ingot_tensor_release(&outs[k]);
  return st;
}

ingot_status_t ingot_pass_fold_constants(ingot_graph_t *g, ingot_pass_ctx_t *ctx) {
  for (uint32_t i = 0; i < g->nnodes; i++) {
    ingot_node_t *n = &g->nodes[i];
    if (n->op == INGOT_OP_NOP || !foldable(g, n)) continue;
    INGOT_RETURN_IF_ERROR(fold_node(g, ctx, (int32_t)i));
  }
  return INGOT_OK;
}
