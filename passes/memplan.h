/* Static memory plan: where every value lives at run time. */
#ifndef INGOT_MEMPLAN_H
#define INGOT_MEMPLAN_H

#include "ir/ir.h"

typedef enum {
  INGOT_STORE_NONE = 0, /* omitted / unused */
  INGOT_STORE_INPUT,    /* caller's input buffer `index` */
  INGOT_STORE_OUTPUT,   /* caller's output buffer `index` */
  INGOT_STORE_WEIGHT,   /* weights blob at `offset` (constant) */
  INGOT_STORE_ARENA,    /* activation arena at `offset` */
} ingot_store_kind_t;

typedef struct {
  int32_t kind;   /* ingot_store_kind_t */
  int32_t index;  /* INPUT/OUTPUT: position in the graph's inputs/outputs */
  uint64_t offset;
} ingot_store_t;

typedef struct {
  ingot_store_t *store;  /* per value */
  uint8_t *alias;        /* per node: 1 when the node is a view (no kernel: output shares input storage) */
  uint64_t arena_bytes;  /* peak activation bytes (the arena size) */
  uint64_t naive_bytes;  /* sum of all activation sizes, for comparison */
  uint32_t nvalues, nnodes;
} ingot_memplan_t;

/* Plans g (static shapes, compacted): liveness-based greedy placement of
 * activations in one arena (largest first, lowest offset that fits, 64-byte
 * aligned; ggml-alloc / TFLite style), reshape-like ops as views; graph
 * outputs live in the caller's buffers and are never reused.  Weights get
 * offsets from weight_offset(value) supplied by the caller (shared blob). */
typedef uint64_t (*ingot_weight_offset_fn)(void *user, const ingot_graph_t *g, int32_t value);
ingot_status_t ingot_memplan_build(const ingot_graph_t *g, ingot_weight_offset_fn woff, void *user,
                                   ingot_memplan_t *out) INGOT_MUST_USE;
void ingot_memplan_free(ingot_memplan_t *p);

#endif
