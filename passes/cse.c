/* Common subexpression elimination.
 * requires: topological order.  changes: a node with the same op,
 * attributes and inputs as an earlier one is removed and its outputs'
 * uses are redirected; small identical constants are merged first so their
 * users become identical too.  why: torch repeats Shape/Gather/Unsqueeze
 * chains and scalar constants per use. */
#include <string.h>

#include "passes/pass.h"

static bool attrs_equal(const ingot_attr_t *a, const ingot_attr_t *b) {
  if (strcmp(a->name, b->name) || a->type != b->type) return false;
  switch (a->type) {
    case INGOT_ATTR_FLOAT: return memcmp(&a->f, &b->f, sizeof a->f) == 0;
    case INGOT_ATTR_INT: return a->i == b->i;
    case INGOT_ATTR_STRING: return a->slen == b->slen && memcmp(a->s, b->s, a->slen) == 0;
    case INGOT_ATTR_INTS: return a->n == b->n && (!a->n || memcmp(a->ints, b->ints, a->n * sizeof *a->ints) == 0);
    case INGOT_ATTR_FLOATS:
      return a->n == b->n && (!a->n || memcmp(a->floats, b->floats, a->n * sizeof *a->floats) == 0);
    default: return false; /* tensors, graphs: never merged */
  }
}

static bool nodes_equal(const ingot_node_t *a, const ingot_node_t *b) {
  if (a->op != b->op || a->op == INGOT_OP_UNKNOWN || a->ninputs != b->ninputs || a->noutputs != b->noutputs ||
      a->nattrs != b->nattrs)
    return false;
  if (a->op == INGOT_OP_DROPOUT || a->op == INGOT_OP_IF || a->op == INGOT_OP_LOOP || a->op == INGOT_OP_SCAN)
    return false;
  for (uint32_t k = 0; k < a->ninputs; k++)
    if (a->inputs[k] != b->inputs[k]) return false;
  for (uint32_t k = 0; k < a->nattrs; k++) {
    const ingot_attr_t *o = ingot_node_attr(b, a->attrs[k].name);
    if (!o || !attrs_equal(&a->attrs[k], o)) return false;
  }
  return true;
}

static bool same_constant(const ingot_value_t *a, const ingot_value_t *b) {
  if (a->type.dtype != b->type.dtype || a->type.rank != b->type.rank || a->nbytes != b->nbytes) return false;
  for (int d = 0; d < a->type.rank; d++)
    if (!ingot_dim_eq(a->type.dims[d], b->type.dims[d])) return false;
  return memcmp(a->data, b->data, a->nbytes) == 0;
}

ingot_status_t ingot_pass_cse(ingot_graph_t *g, ingot_pass_ctx_t *ctx) {
  /* 1. small constants (<= 64 bytes): merge equal ones.  Quadratic in the
   * number of small constants, which stays in the hundreds. */
  for (uint32_t v = 0; v < g->nvalues; v++) {
    ingot_value_t *a = &g->values[v];
    if (!(a->flags & INGOT_VAL_INIT) || (a->flags & (INGOT_VAL_INPUT | INGOT_VAL_OUTPUT)) || !a->data ||
        a->nbytes > 64)
      continue;
    for (uint32_t w = 0; w < v; w++) {
      ingot_value_t *b = &g->values[w];
      if (!(b->flags & INGOT_VAL_INIT) || (b->flags & INGOT_VAL_INPUT) || !b->data || b->nbytes > 64) continue;
      if (same_constant(a, b)) {
        ingot_graph_replace_uses(g, (int32_t)v, (int32_t)w);
        ctx->cse_merged++;
        break;
      }
    }
  }
  /* 2. nodes: compare each with earlier nodes of the same op reading the
   * same first input.  Quadratic in the worst case; graphs here have
   * thousands of nodes, not millions. */
  for (uint32_t i = 0; i < g->nnodes; i++) {
    ingot_node_t *n = &g->nodes[i];
    if (n->op == INGOT_OP_NOP) continue;
    for (uint32_t j = 0; j < i; j++) {
      ingot_node_t *m = &g->nodes[j];
      if (m->op == INGOT_OP_NOP || !nodes_equal(n, m)) continue;
      bool outputs_ok = true;
      for (uint32_t k = 0; k < n->noutputs; k++)
        if ((n->outputs[k] >= 0) != (m->outputs[k] >= 0)) outputs_ok = false;
      if (!outputs_ok) continue;
      for (uint32_t k = 0; k < n->noutputs; k++)
        if (n->outputs[k] >= 0) {
          /* a graph output keeps its own value: skip such nodes */
          if (g->values[n->outputs[k]].flags & INGOT_VAL_OUTPUT) outputs_ok = false;
        }
      if (!outputs_ok) continue;
      for (uint32_t k = 0; k < n->noutputs; k++)
        if (n->outputs[k] >= 0) ingot_graph_replace_uses(g, n->outputs[k], m->outputs[k]);
      n->op = INGOT_OP_NOP;
      ctx->cse_merged++;
      break;
    }
  }
  return ingot_graph_compact(g);
}
