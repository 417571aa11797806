/* A tiny helper for building graphs in unit tests.
 *
 *   ingot_graph_t *g = gb_new();                       // opset 17
 *   gb_input(g, "x", INGOT_DT_FLOAT, "batch,3,4");      // "" = scalar, "?" = unknown rank
 *   gb_init_i64(g, "shape", "2", (int64_t[]){-1, 4});   // an int64 initializer
 *   int32_t n = gb_node(g, INGOT_OP_RESHAPE, "r", "x,shape", "y");
 *   gb_attr_i(g, n, "allowzero", 0);
 *   gb_output(g, "y");
 *   ... ingot_infer_shapes(g) ...
 *   assert_string_equal(gb_shape(g, "y", buf), "[batch,12]");
 *   gb_free(g);
 *
 * Names in a node's input list are looked up (an empty name is an omitted
 * input, -1); output names are created.  Failures abort: these are test
 * fixtures, not code under test. */
#ifndef INGOT_TESTS_GRAPH_BUILD_H
#define INGOT_TESTS_GRAPH_BUILD_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ir/ir.h"

static inline void gb_check(ingot_status_t st, const char *what) {
  if (!st) return;
  fprintf(stderr, "graph_build: %s: %s\n", what, ingot_status_message(st));
  ingot_status_free(st);
  abort();
}

static inline ingot_graph_t *gb_new(void) {
  ingot_graph_t *g;
  gb_check(ingot_graph_create("test.onnx", &g), "create");
  g->opset = 17;
  return g;
}

static inline void gb_free(ingot_graph_t *g) { ingot_graph_free(g); }

/* Parses "2,batch,3" into t (numbers concrete, names symbols); "?" is unknown rank. */
static inline ingot_type_t gb_type_of(ingot_graph_t *g, int dtype, const char *shape) {
  ingot_type_t t;
  memset(&t, 0, sizeof t);
  t.dtype = dtype;
  if (strcmp(shape, "?") == 0) {
    t.rank = -1;
    return t;
  }
  const char *p = shape;
  while (*p) {
    char tok[64];
    size_t n = strcspn(p, ",");
    if (n >= sizeof tok || t.rank == INGOT_MAX_RANK) abort();
    memcpy(tok, p, n);
    tok[n] = 0;
    if (tok[0] >= '0' && tok[0] <= '9') {
      t.dims[t.rank++] = ingot_dim_const(strtoll(tok, NULL, 10));
    } else {
      uint32_t s;
      gb_check(ingot_graph_sym(g, tok, &s), "sym");
      t.dims[t.rank].v = -1;
      t.dims[t.rank++].sym = s;
    }
    p += n;
    if (*p == ',') p++;
  }
  return t;
}

static inline int32_t gb_value(ingot_graph_t *g, const char *name) {
  int32_t v = ingot_graph_find(g, name);
  if (v < 0) gb_check(ingot_graph_add_value(g, name, &v), name);
  return v;
}

static inline int32_t gb_input(ingot_graph_t *g, const char *name, int dtype, const char *shape) {
  int32_t v = gb_value(g, name);
  g->values[v].type = gb_type_of(g, dtype, shape);
  gb_check(ingot_graph_add_input(g, v), "add_input");
  return v;
}

static inline void gb_output(ingot_graph_t *g, const char *name) {
  gb_check(ingot_graph_add_output(g, gb_value(g, name)), "add_output");
}

/* An initializer of dtype with the given shape and raw contents. */
static inline int32_t gb_init(ingot_graph_t *g, const char *name, int dtype, const char *shape, const void *data) {
  int32_t v = gb_value(g, name);
  ingot_value_t *val = &g->values[v];
  val->type = gb_type_of(g, dtype, shape);
  val->flags |= INGOT_VAL_INIT;
  int64_t n = 0;
  if (!ingot_type_numel(&val->type, &n)) abort();
  val->nbytes = (size_t)n * ingot_dtype_size(dtype);
  val->data = ingot_arena_alloc(g->arena, val->nbytes ? val->nbytes : 1);
  if (!val->data) abort();
  if (data && val->nbytes) memcpy(val->data, data, val->nbytes);
  return v;
}

static inline int32_t gb_init_i64(ingot_graph_t *g, const char *name, const char *shape, const int64_t *vals) {
  return gb_init(g, name, INGOT_DT_INT64, shape, vals);
}

static inline int32_t gb_init_f32(ingot_graph_t *g, const char *name, const char *shape, const float *vals) {
  return gb_init(g, name, INGOT_DT_FLOAT, shape, vals);
}

/* Splits a comma list into names; returns the count.  "" gives 0; "a,,b" keeps the empty one. */
static inline int gb_split(const char *list, char names[][64], int max) {
  if (!*list) return 0;
  int n = 0;
  const char *p = list;
  for (;;) {
    size_t len = strcspn(p, ",");
    if (n == max || len >= 64) abort();
    memcpy(names[n], p, len);
    names[n++][len] = 0;
    p += len;
    if (*p != ',') break;
    p++;
  }
  return n;
}

static inline int32_t gb_node(ingot_graph_t *g, ingot_op_t op, const char *name, const char *inputs,
                              const char *outputs) {
  char ins[64][64], outs[64][64];
  int ni = gb_split(inputs, ins, 64), no = gb_split(outputs, outs, 64);
  int32_t id;
  gb_check(ingot_graph_add_node(g, op, name, (uint32_t)ni, (uint32_t)no, &id), "add_node");
  for (int i = 0; i < ni; i++) {
    if (!ins[i][0]) continue;
    int32_t v = ingot_graph_find(g, ins[i]);
    if (v < 0) gb_check(ingot_graph_resolve(g, ins[i], &v), "resolve");
    if (v < 0) v = gb_value(g, ins[i]); /* undefined: left for the verifier to find */
    g->nodes[id].inputs[i] = v;
  }
  for (int o = 0; o < no; o++) {
    if (!outs[o][0]) continue;
    int32_t v = gb_value(g, outs[o]);
    g->values[v].producer = id;
    g->nodes[id].outputs[o] = v;
  }
  return id;
}

/* Appends an attribute and returns it for the caller to fill. */
static inline ingot_attr_t *gb_attr(ingot_graph_t *g, int32_t node, const char *name, int type) {
  ingot_node_t *n = &g->nodes[node];
  ingot_attr_t *a = ingot_arena_calloc(g->arena, n->nattrs + 1, sizeof *a);
  if (!a) abort();
  if (n->nattrs) memcpy(a, n->attrs, n->nattrs * sizeof *a);
  n->attrs = a;
  ingot_attr_t *x = &a[n->nattrs++];
  x->name = ingot_arena_strdup(g->arena, name);
  x->type = type;
  return x;
}

static inline void gb_attr_i(ingot_graph_t *g, int32_t node, const char *name, int64_t v) {
  gb_attr(g, node, name, INGOT_ATTR_INT)->i = v;
}

static inline void gb_attr_f(ingot_graph_t *g, int32_t node, const char *name, float v) {
  gb_attr(g, node, name, INGOT_ATTR_FLOAT)->f = v;
}

static inline void gb_attr_s(ingot_graph_t *g, int32_t node, const char *name, const char *v) {
  ingot_attr_t *a = gb_attr(g, node, name, INGOT_ATTR_STRING);
  a->s = ingot_arena_strdup(g->arena, v);
  a->slen = strlen(v);
}

static inline void gb_attr_ints(ingot_graph_t *g, int32_t node, const char *name, const int64_t *v, size_t n) {
  ingot_attr_t *a = gb_attr(g, node, name, INGOT_ATTR_INTS);
  a->n = n;
  a->ints = ingot_arena_calloc(g->arena, n ? n : 1, sizeof *a->ints);
  if (n) memcpy(a->ints, v, n * sizeof *v);
}

static inline void gb_attr_floats(ingot_graph_t *g, int32_t node, const char *name, const float *v, size_t n) {
  ingot_attr_t *a = gb_attr(g, node, name, INGOT_ATTR_FLOATS);
  a->n = n;
  a->floats = ingot_arena_calloc(g->arena, n ? n : 1, sizeof *a->floats);
  if (n) memcpy(a->floats, v, n * sizeof *v);
}

/* A TENSOR attribute with dims (rank entries) and raw contents. */
static inline void gb_attr_t(ingot_graph_t *g, int32_t node, const char *name, int dtype, int rank,
                             const int64_t *dims, const void *data) {
  ingot_attr_t *a = gb_attr(g, node, name, INGOT_ATTR_TENSOR);
  ingot_const_t *t = ingot_arena_calloc(g->arena, 1, sizeof *t);
  int64_t n = 1;
  for (int i = 0; i < rank; i++) n *= dims[i];
  t->dtype = dtype;
  t->rank = rank;
  for (int i = 0; i < rank; i++) t->dims[i] = dims[i];
  t->nbytes = (size_t)n * ingot_dtype_size(dtype);
  t->data = ingot_arena_alloc(g->arena, t->nbytes ? t->nbytes : 1);
  if (t->nbytes) memcpy(t->data, data, t->nbytes);
  a->t = t;
}

/* A GRAPH attribute holding a fresh subgraph, returned for building. */
static inline ingot_graph_t *gb_attr_g(ingot_graph_t *g, int32_t node, const char *name) {
  ingot_graph_t *sub;
  gb_check(ingot_graph_create_sub(g, &sub), "create_sub");
  ingot_attr_t *a = gb_attr(g, node, name, INGOT_ATTR_GRAPH);
  a->g = sub;
  a->gs = ingot_arena_calloc(g->arena, 1, sizeof *a->gs);
  a->gs[0] = sub;
  return sub;
}

static inline const ingot_type_t *gb_type(ingot_graph_t *g, const char *name) {
  int32_t v = ingot_graph_find(g, name);
  if (v < 0) abort();
  return &g->values[v].type;
}

/* The shape text of a value ("[2,batch]", "[?]"), in buf (at least 128 bytes). */
static inline const char *gb_shape(ingot_graph_t *g, const char *name, char *buf) {
  return ingot_type_str(g, gb_type(g, name), buf, 128);
}

#endif
