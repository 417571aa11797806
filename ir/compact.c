/* Graph compaction: passes delete by turning nodes into NOP (QBE's Onop);
 * this renumbers what is left so later stages see dense arrays. */
#include <stdlib.h>
#include <string.h>

#include "ir.h"

void ingot_graph_replace_uses(ingot_graph_t *g, int32_t from, int32_t to) {
  for (uint32_t i = 0; i < g->nnodes; i++) {
    ingot_node_t *n = &g->nodes[i];
    if (n->op == INGOT_OP_NOP) continue;
    for (uint32_t k = 0; k < n->ninputs; k++)
      if (n->inputs[k] == from) n->inputs[k] = to;
  }
  for (uint32_t i = 0; i < g->noutputs; i++)
    if (g->outputs[i] == from) {
      /* A graph output keeps its name: move the flag, and the name if the
       * replacement is anonymous-ish (an internal value). */
      g->outputs[i] = to;
      g->values[to].flags |= INGOT_VAL_OUTPUT;
      g->values[from].flags &= ~(uint32_t)INGOT_VAL_OUTPUT;
    }
}

static ingot_status_t rebuild_map(ingot_graph_t *g) {
  uint32_t cap = 64;
  while (cap < g->nvalues * 2 + 2) cap *= 2;
  int32_t *m = malloc(cap * sizeof *m);
  if (!m) return ingot_error(INGOT_CODE_NOMEM, "out of memory compacting the graph");
  memset(m, 0xff, cap * sizeof *m);
  free(g->map);
  g->map = m;
  g->map_cap = cap;
  for (uint32_t v = 0; v < g->nvalues; v++) {
    uint32_t h = 2166136261u;
    for (const char *s = g->values[v].name; *s; s++) h = (h ^ (uint8_t)*s) * 16777619u;
    uint32_t j = h & (cap - 1);
    while (m[j] >= 0) j = (j + 1) & (cap - 1);
    m[j] = (int32_t)v;
  }
  return INGOT_OK;
}

ingot_status_t ingot_graph_compact(ingot_graph_t *g) {
  uint32_t nv = g->nvalues;
  int32_t *remap = malloc((nv ? nv : 1) * sizeof *remap);
  uint8_t *used = calloc(nv ? nv : 1, 1);
  if (!remap || !used) {
    free(remap);
    free(used);
    return ingot_error(INGOT_CODE_NOMEM, "out of memory compacting the graph");
  }
  for (uint32_t i = 0; i < g->ninputs; i++) used[g->inputs[i]] = 1;
  for (uint32_t i = 0; i < g->noutputs; i++) used[g->outputs[i]] = 1;
  uint32_t nn = 0;
  for (uint32_t i = 0; i < g->nnodes; i++) {
    ingot_node_t *n = &g->nodes[i];
    if (n->op == INGOT_OP_NOP) continue;
    for (uint32_t k = 0; k < n->ninputs; k++)
      if (n->inputs[k] >= 0) used[n->inputs[k]] = 1;
    for (uint32_t k = 0; k < n->noutputs; k++)
      if (n->outputs[k] >= 0) used[n->outputs[k]] = 1;
    g->nodes[nn++] = *n;
  }
  g->nnodes = nn;
  uint32_t w = 0;
  for (uint32_t v = 0; v < nv; v++) {
    remap[v] = used[v] ? (int32_t)w : -1;
    if (used[v]) g->values[w++] = g->values[v];
  }
  g->nvalues = w;
  for (uint32_t i = 0; i < g->nnodes; i++) {
    ingot_node_t *n = &g->nodes[i];
    for (uint32_t k = 0; k < n->ninputs; k++)
      if (n->inputs[k] >= 0) n->inputs[k] = remap[n->inputs[k]];
    for (uint32_t k = 0; k < n->noutputs; k++)
      if (n->outputs[k] >= 0) n->outputs[k] = remap[n->outputs[k]];
  }
  for (uint32_t i = 0; i < g->ninputs; i++) g->inputs[i] = remap[g->inputs[i]];
  for (uint32_t i = 0; i < g->noutputs; i++) g->outputs[i] = remap[g->outputs[i]];
  for (uint32_t v = 0; v < g->nvalues; v++) g->values[v].producer = -1;
  for (uint32_t i = 0; i < g->nnodes; i++)
    for (uint32_t k = 0; k < g->nodes[i].noutputs; k++)
      if (g->nodes[i].outputs[k] >= 0) g->values[g->nodes[i].outputs[k]].producer = (int32_t)i;
  free(remap);
  free(used);
  return rebuild_map(g);
}
