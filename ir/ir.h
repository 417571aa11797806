/* The ingot graph IR.
 *
 * A graph is arrays: values (tensors: dtype, shape, optional constant data)
 * and nodes (an op, input/output value indices, attributes), referenced by
 * 32-bit indices.  Nodes are kept in topological order once the frontend has
 * sorted them; passes delete a node by turning it into INGOT_OP_NOP and
 * compact later.  Strings, attributes and constant data live in one arena per
 * root graph; subgraphs (If/Loop/Scan bodies) share their root's arena.
 *
 * Every node remembers its ONNX name, index and op type so any later message
 * can say: model.onnx: node 'Conv_12' (#37, Conv): ...
 *
 * Dimensions are either concrete (sym == 0, v >= 0) or symbolic (sym > 0,
 * v == -1): a symbol is a named or anonymous unknown; two dims with the same
 * symbol are equal.  Symbols belong to the root graph. */
#ifndef INGOT_IR_H
#define INGOT_IR_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "arena.h"
#include "status.h"

#define INGOT_MAX_RANK 8

/* Values match ONNX TensorProto.DataType (they reach files: append only). */
typedef enum {
  INGOT_DT_UNDEFINED = 0,
  INGOT_DT_FLOAT = 1,
  INGOT_DT_UINT8 = 2,
  INGOT_DT_INT8 = 3,
  INGOT_DT_UINT16 = 4,
  INGOT_DT_INT16 = 5,
  INGOT_DT_INT32 = 6,
  INGOT_DT_INT64 = 7,
  INGOT_DT_STRING = 8,
  INGOT_DT_BOOL = 9,
  INGOT_DT_FLOAT16 = 10,
  INGOT_DT_DOUBLE = 11,
  INGOT_DT_UINT32 = 12,
  INGOT_DT_UINT64 = 13,
  INGOT_DT_COMPLEX64 = 14,
  INGOT_DT_COMPLEX128 = 15,
  INGOT_DT_BFLOAT16 = 16,
  INGOT_DT_FLOAT8E4M3FN = 17,
  INGOT_DT_FLOAT8E4M3FNUZ = 18,
  INGOT_DT_FLOAT8E5M2 = 19,
  INGOT_DT_FLOAT8E5M2FNUZ = 20,
  INGOT_DT_COUNT_
} ingot_dtype_t;

/* Bytes per element; 0 for undefined/string/unknown codes. */
size_t ingot_dtype_size(int dtype);
const char *ingot_dtype_name(int dtype);
/* Dtypes ingot computes with (float32/16, bfloat16, double, int8/16/32/64,
 * uint8/16/32/64, bool). */
bool ingot_dtype_supported(int dtype);
bool ingot_dtype_is_float(int dtype);

typedef struct {
  int64_t v;    /* the size when sym == 0; -1 when symbolic */
  uint32_t sym; /* 0 = concrete; else index into the root graph's symbols */
} ingot_dim_t;

typedef struct {
  int32_t dtype; /* ingot_dtype_t */
  int32_t rank;  /* -1 = unknown rank */
  ingot_dim_t dims[INGOT_MAX_RANK];
} ingot_type_t;

/* Number of elements when every dim is concrete; false when a dim is
 * symbolic, the rank unknown, or the product overflows INT64. */
bool ingot_type_numel(const ingot_type_t *t, int64_t *out);
bool ingot_type_is_static(const ingot_type_t *t);
bool ingot_dim_eq(ingot_dim_t a, ingot_dim_t b);
static inline ingot_dim_t ingot_dim_const(int64_t v) {
  ingot_dim_t d = {v, 0};
  return d;
}

enum {
  INGOT_VAL_INPUT = 1u << 0,  /* a graph input */
  INGOT_VAL_OUTPUT = 1u << 1, /* a graph output */
  INGOT_VAL_INIT = 1u << 2,   /* an initializer (weights) */
  INGOT_VAL_OUTER = 1u << 3,  /* a subgraph's reference to an enclosing graph's value */
};

typedef struct {
  const char *name;
  ingot_type_t type;
  uint32_t flags;   /* INGOT_VAL_* */
  int32_t producer; /* node index, -1 if none */
  void *data;       /* constant contents in C order, or NULL */
  size_t nbytes;    /* bytes at data */
  /* Known (possibly symbolic) contents of a small 0-D/1-D int64 tensor, as
   * torch's shape subgraphs compute them (Shape -> Gather -> Concat ->
   * Reshape); NULL when unknown. */
  ingot_dim_t *symval;
  int32_t nsymval;
  int32_t outer;    /* for INGOT_VAL_OUTER: value index in the parent graph */
} ingot_value_t;

typedef enum {
#define OP(e, name, mi, xi, mo, xo, attrs) INGOT_OP_##e,
#include "ops.def"
#undef OP
  INGOT_OP_COUNT_,
  INGOT_OP_UNKNOWN = INGOT_OP_COUNT_, /* not in ops.def: kept for reporting */
  INGOT_OP_NOP,                       /* deleted by a pass; compacted later */
  INGOT_OP_FUSED,                     /* made by passes (see passes/) */
} ingot_op_t;

typedef struct {
  const char *onnx_name;
  int min_inputs, max_inputs; /* max -1 = variadic */
  int min_outputs, max_outputs;
  const char *attrs; /* attribute schema, see ops.def */
} ingot_op_info_t;

const ingot_op_info_t *ingot_op_info(ingot_op_t op); /* NULL for UNKNOWN/NOP/... */
const char *ingot_op_name(ingot_op_t op);
ingot_op_t ingot_op_lookup(const char *onnx_name); /* INGOT_OP_UNKNOWN if absent */

/* Values match ONNX AttributeProto.AttributeType. */
typedef enum {
  INGOT_ATTR_UNDEFINED = 0,
  INGOT_ATTR_FLOAT = 1,
  INGOT_ATTR_INT = 2,
  INGOT_ATTR_STRING = 3,
  INGOT_ATTR_TENSOR = 4,
  INGOT_ATTR_GRAPH = 5,
  INGOT_ATTR_FLOATS = 6,
  INGOT_ATTR_INTS = 7,
  INGOT_ATTR_STRINGS = 8,
  INGOT_ATTR_TENSORS = 9,
  INGOT_ATTR_GRAPHS = 10,
  INGOT_ATTR_SPARSE_TENSOR = 11,
  INGOT_ATTR_SPARSE_TENSORS = 12,
  INGOT_ATTR_TYPE_PROTO = 13,
  INGOT_ATTR_TYPE_PROTOS = 14,
} ingot_attr_type_t;

const char *ingot_attr_type_name(int type);

/* A constant tensor held by an attribute (Constant's value, ConstantOfShape). */
typedef struct {
  int32_t dtype;
  int32_t rank;
  int64_t dims[INGOT_MAX_RANK];
  void *data;
  size_t nbytes;
} ingot_const_t;

struct ingot_graph_s;

typedef struct {
  const char *name;
  int32_t type; /* ingot_attr_type_t */
  float f;
  int64_t i;
  const char *s; /* NUL-terminated copy; slen is its byte length */
  size_t slen;
  size_t n; /* element count of floats/ints/strings/tensors/graphs */
  float *floats;
  int64_t *ints;
  const char **strings;
  ingot_const_t *t;  /* TENSOR */
  ingot_const_t *ts; /* TENSORS, n of them */
  struct ingot_graph_s *g;   /* GRAPH */
  struct ingot_graph_s **gs; /* GRAPHS, n of them */
} ingot_attr_t;

typedef struct {
  int32_t op;            /* ingot_op_t */
  const char *op_type;   /* the ONNX op_type as written */
  const char *domain;    /* "" for the default domain */
  const char *name;      /* the ONNX node name ("" if none) */
  int32_t onnx_index;    /* position in the ONNX node list; -1 if made by a pass */
  uint32_t ninputs, noutputs;
  int32_t *inputs;       /* value indices; -1 = omitted optional input */
  int32_t *outputs;      /* value indices; -1 = omitted optional output */
  uint32_t nattrs;
  ingot_attr_t *attrs;
  void *pass_data;       /* owned by the pass that set it (fusion descriptors) */
} ingot_node_t;

typedef struct {
  const char *domain;
  int64_t version;
} ingot_opset_t;

typedef struct ingot_graph_s {
  ingot_arena_t *arena; /* the root's arena */
  ingot_arena_t own_arena;
  struct ingot_graph_s *parent; /* NULL for the root */
  const char *source;           /* model path, for messages */
  const char *name;
  int64_t ir_version;
  int64_t opset;                /* default-domain opset (0 = none imported) */
  ingot_opset_t *opsets;        /* every opset_import entry */
  uint32_t nopsets;
  const char *producer_name;

  ingot_value_t *values;
  uint32_t nvalues, values_cap;
  ingot_node_t *nodes;
  uint32_t nnodes, nodes_cap;
  int32_t *inputs; /* graph inputs (initializers excluded) */
  uint32_t ninputs, inputs_cap;
  int32_t *outputs;
  uint32_t noutputs, outputs_cap;

  const char **syms; /* root only: symbol names, index 0 unused */
  uint32_t nsyms, syms_cap;

  int32_t *map; /* open-addressing name -> value index, -1 empty */
  uint32_t map_cap;

  struct ingot_graph_s **subs; /* root only: every subgraph, freed with it */
  uint32_t nsubs, subs_cap;
  int32_t depth;               /* 0 for the root, parent's + 1 */
} ingot_graph_t;

/* Create a root graph (source: path used in messages, may be NULL). */
ingot_status_t ingot_graph_create(const char *source, ingot_graph_t **out) INGOT_MUST_USE;
ingot_status_t ingot_graph_create_sub(ingot_graph_t *parent, ingot_graph_t **out) INGOT_MUST_USE;
/* Frees a root graph, its subgraphs and the arena.  NULL is fine. */
void ingot_graph_free(ingot_graph_t *g);
ingot_graph_t *ingot_graph_root(ingot_graph_t *g);

/* Value index by name in this graph only; -1 if absent. */
int32_t ingot_graph_find(const ingot_graph_t *g, const char *name);
/* Adds a value named name (must not exist yet; "" makes an anonymous one). */
ingot_status_t ingot_graph_add_value(ingot_graph_t *g, const char *name, int32_t *out) INGOT_MUST_USE;
/* Finds name here, or in an enclosing graph (creating a local OUTER value
 * that refers to it); -1 if defined nowhere. */
ingot_status_t ingot_graph_resolve(ingot_graph_t *g, const char *name, int32_t *out) INGOT_MUST_USE;
/* Adds a node with room for the given number of inputs/outputs (all -1). */
ingot_status_t ingot_graph_add_node(ingot_graph_t *g, ingot_op_t op, const char *name,
                                    uint32_t ninputs, uint32_t noutputs, int32_t *out) INGOT_MUST_USE;
ingot_status_t ingot_graph_add_input(ingot_graph_t *g, int32_t value) INGOT_MUST_USE;
ingot_status_t ingot_graph_add_output(ingot_graph_t *g, int32_t value) INGOT_MUST_USE;

/* Interns a named symbol ("batch") in the root; returns its index (> 0). */
ingot_status_t ingot_graph_sym(ingot_graph_t *g, const char *name, uint32_t *out) INGOT_MUST_USE;
/* A fresh anonymous symbol ("?N"). */
ingot_status_t ingot_graph_new_sym(ingot_graph_t *g, uint32_t *out) INGOT_MUST_USE;
const char *ingot_graph_sym_name(ingot_graph_t *g, uint32_t sym);

/* Attribute lookup on a node; NULL if absent. */
const ingot_attr_t *ingot_node_attr(const ingot_node_t *n, const char *name);
int64_t ingot_node_attr_i(const ingot_node_t *n, const char *name, int64_t dflt);
float ingot_node_attr_f(const ingot_node_t *n, const char *name, float dflt);
const char *ingot_node_attr_s(const ingot_node_t *n, const char *name, const char *dflt);
/* INTS attribute: returns count (and *out), or -1 when absent. */
int64_t ingot_node_attr_ints(const ingot_node_t *n, const char *name, const int64_t **out);

/* "node 'Conv_12' (#37, Conv)" into buf; returns buf. */
const char *ingot_node_where(const ingot_graph_t *g, int32_t node, char *buf, size_t len);
/* An error naming source file and node: "model.onnx: node 'X' (#3, Conv): <msg>". */
ingot_status_t ingot_node_error(const ingot_graph_t *g, int32_t node, ingot_code_t code,
                                const char *fmt, ...) INGOT_PRINTF(4, 5) INGOT_MUST_USE;

/* Shape text like "[batch,4,32,32]" or "[?]" (unknown rank). */
const char *ingot_type_str(const ingot_graph_t *g, const ingot_type_t *t, char *buf, size_t len);

/* Printer: the IR in a stable text form (used by --dump-after and tests). */
void ingot_graph_print(FILE *f, const ingot_graph_t *g);

/* Removes NOP nodes and values nothing refers to (unused initializers
 * included), renumbering everything; rebuilds the name map.  Graph inputs and
 * outputs always stay. */
ingot_status_t ingot_graph_compact(ingot_graph_t *g) INGOT_MUST_USE;

/* Replaces every use of value `from` (node inputs, graph outputs) by `to`. */
void ingot_graph_replace_uses(ingot_graph_t *g, int32_t from, int32_t to);

/* Element count / bytes of a value's type, checked; errors name the value. */
ingot_status_t ingot_value_nbytes(const ingot_graph_t *g, int32_t v, size_t *out) INGOT_MUST_USE;

#endif
