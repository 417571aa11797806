/* Memory planning.
 * requires: static shapes, compacted graph, topological order.  changes:
 * nothing in the graph; produces an ingot_memplan_t.  why: activations of a
 * diffusion model's step are mostly short-lived; one arena with reuse keeps
 * peak memory near the largest live set instead of the sum.
 *
 * Algorithm: lifetimes are [producer index, last consumer index] over the
 * node order; views (Reshape, Flatten, Squeeze, Unsqueeze, Identity and
 * inference Dropout) share their input's storage and extend its lifetime.
 * Buffers are placed largest first at the lowest 64-byte aligned offset
 * that overlaps no already-placed buffer whose lifetime intersects
 * ("greedy by size", as in TFLite's arena planner). */
#include <stdlib.h>
#include <string.h>

#include "passes/memplan.h"

static bool is_view_op(int op) {
  return op == INGOT_OP_RESHAPE || op == INGOT_OP_FLATTEN || op == INGOT_OP_SQUEEZE || op == INGOT_OP_UNSQUEEZE ||
         op == INGOT_OP_IDENTITY || op == INGOT_OP_DROPOUT;
}

typedef struct {
  int32_t value;
  int32_t first, last;
  uint64_t size;
  uint64_t offset;
} buf_t;

static int cmp_buf(const void *a, const void *b) {
  const buf_t *x = a, *y = b;
  if (x->size != y->size) return x->size < y->size ? 1 : -1;
  return x->value - y->value; /* deterministic */
}

static int cmp_u64pair(const void *a, const void *b) {
  const uint64_t *x = a, *y = b;
  return x[0] < y[0] ? -1 : x[0] > y[0];
}

void ingot_memplan_free(ingot_memplan_t *p) {
  free(p->store);
  free(p->alias);
  memset(p, 0, sizeof *p);
}

ingot_status_t ingot_memplan_build(const ingot_graph_t *g, ingot_weight_offset_fn woff, void *user,
                                   ingot_memplan_t *out) {
  memset(out, 0, sizeof *out);
  uint32_t nv = g->nvalues, nn = g->nnodes;
  out->nvalues = nv;
  out->nnodes = nn;
  out->store = calloc(nv + 1, sizeof *out->store);
  out->alias = calloc(nn + 1, 1);
  int32_t *root = malloc((nv + 1) * sizeof *root);
  int32_t *first = malloc((nv + 1) * sizeof *first);
  int32_t *last = malloc((nv + 1) * sizeof *last);
  buf_t *bufs = calloc(nv + 1, sizeof *bufs);
  uint64_t *ivals = NULL;
  ingot_status_t st = INGOT_OK;
  if (!out->store || !out->alias || !root || !first || !last || !bufs) {
    st = ingot_error(INGOT_CODE_NOMEM, "memory plan: out of memory");
    goto done;
  }
  for (uint32_t v = 0; v < nv; v++) {
    root[v] = (int32_t)v;
    first[v] = -1;
    last[v] = -1;
  }
  for (uint32_t i = 0; i < g->ninputs; i++) {
    out->store[g->inputs[i]].kind = INGOT_STORE_INPUT;
    out->store[g->inputs[i]].index = (int32_t)i;
  }
  for (uint32_t i = 0; i < g->noutputs; i++) {
    int32_t v = g->outputs[i];
    if (out->store[v].kind == INGOT_STORE_NONE) {
      out->store[v].kind = INGOT_STORE_OUTPUT;
      out->store[v].index = (int32_t)i;
    }
  }
  for (uint32_t v = 0; v < nv; v++)
    if (g->values[v].data && out->store[v].kind == INGOT_STORE_NONE) {
      out->store[v].kind = INGOT_STORE_WEIGHT;
      out->store[v].offset = woff(user, g, (int32_t)v);
    }
  /* views */
  for (uint32_t i = 0; i < nn; i++) {
    const ingot_node_t *n = &g->nodes[i];
    if (!is_view_op(n->op) || n->ninputs < 1 || n->inputs[0] < 0 || n->outputs[0] < 0) continue;
    int32_t o = n->outputs[0];
    if (out->store[o].kind != INGOT_STORE_NONE) continue; /* graph outputs are copied into */
    if (n->op == INGOT_OP_DROPOUT && n->noutputs > 1 && n->outputs[1] >= 0) continue;
    root[o] = root[n->inputs[0]];
    out->alias[i] = 1;
  }
  /* lifetimes of roots */
  for (uint32_t i = 0; i < nn; i++) {
    const ingot_node_t *n = &g->nodes[i];
    for (uint32_t k = 0; k < n->noutputs; k++) {
      int32_t v = n->outputs[k];
      if (v < 0) continue;
      int32_t r = root[v];
      if (first[r] < 0) first[r] = (int32_t)i;
      if ((int32_t)i > last[r]) last[r] = (int32_t)i;
    }
    for (uint32_t k = 0; k < n->ninputs; k++) {
      int32_t v = n->inputs[k];
      if (v < 0) continue;
      int32_t r = root[v];
      if ((int32_t)i > last[r]) last[r] = (int32_t)i;
    }
  }
  uint32_t nb = 0;
  for (uint32_t v = 0; v < nv; v++) {
    if (root[v] != (int32_t)v || out->store[v].kind != INGOT_STORE_NONE || first[v] < 0) continue;
    size_t bytes;
    st = ingot_value_nbytes(g, (int32_t)v, &bytes);
    if (st) goto done;
    bufs[nb].value = (int32_t)v;
    bufs[nb].first = first[v];
    bufs[nb].last = last[v];
    bufs[nb].size = ((uint64_t)bytes + 63) & ~(uint64_t)63;
    if (bufs[nb].size == 0) bufs[nb].size = 64;
    out->naive_bytes += bufs[nb].size;
    nb++;
  }
  qsort(bufs, nb, sizeof *bufs, cmp_buf);
  ivals = malloc((nb + 1) * 2 * sizeof *ivals);
  if (!ivals) {
    st = ingot_error(INGOT_CODE_NOMEM, "memory plan: out of memory");
    goto done;
  }
  for (uint32_t i = 0; i < nb; i++) {
    /* occupied intervals of placed buffers alive at the same time */
    uint32_t m = 0;
    for (uint32_t j = 0; j < i; j++) {
      if (bufs[j].last < bufs[i].first || bufs[i].last < bufs[j].first) continue;
      ivals[2 * m] = bufs[j].offset;
      ivals[2 * m + 1] = bufs[j].offset + bufs[j].size;
      m++;
    }
    qsort(ivals, m, 2 * sizeof *ivals, cmp_u64pair);
    uint64_t off = 0;
    for (uint32_t j = 0; j < m; j++) {
      if (ivals[2 * j] >= off + bufs[i].size) break; /* fits in the gap before */
      if (ivals[2 * j + 1] > off) off = ivals[2 * j + 1];
    }
    bufs[i].offset = off;
    if (off + bufs[i].size > out->arena_bytes) out->arena_bytes = off + bufs[i].size;
    out->store[bufs[i].value].kind = INGOT_STORE_ARENA;
    out->store[bufs[i].value].offset = off;
  }
  /* views take their root's storage */
  for (uint32_t v = 0; v < nv; v++)
    if (root[v] != (int32_t)v) out->store[v] = out->store[root[v]];
done:
  free(root);
  free(first);
  free(last);
  free(bufs);
  free(ivals);
  if (st) ingot_memplan_free(out);
  return st;
}
