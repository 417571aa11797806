/* The reference evaluator: a straightforward, obviously-correct interpreter
 * of the IR, the oracle every compiled kernel is checked against.
 *
 * Shapes are computed from the actual input tensors at run time (so data-
 * dependent shapes and symbolic batch sizes just work); when shape inference
 * knows a value's static shape, the evaluator checks it agrees.
 *
 * float16 / bfloat16 tensors are widened to float32 before a kernel sees them
 * and outputs are narrowed back (ONNX semantics, computed in float32); only
 * Cast/CastLike see the narrow types themselves. */
#ifndef INGOT_INTERP_H
#define INGOT_INTERP_H

#include <stdbool.h>
#include <stdint.h>

#include "ir/ir.h"

/* A dense C-order tensor. */
typedef struct {
  int32_t dtype; /* ingot_dtype_t */
  int32_t rank;
  int64_t dims[INGOT_MAX_RANK];
  void *data;
  size_t nbytes;
  bool owned; /* data is malloc'd by the tensor (else borrowed) */
} ingot_tensor_t;

/* Bounds every tensor the evaluator allocates (ConstantOfShape([1e12]) is an
 * error, not an OOM kill). */
#define INGOT_INTERP_MAX_TENSOR_BYTES ((size_t)16 << 30)

/* Allocates zeroed data for dtype/rank/dims; checks overflow and the limit. */
ingot_status_t ingot_tensor_alloc(ingot_tensor_t *t, int dtype, int rank, const int64_t *dims) INGOT_MUST_USE;
/* Frees owned data and resets to empty. */
void ingot_tensor_release(ingot_tensor_t *t);
int64_t ingot_tensor_numel(const ingot_tensor_t *t);
/* Borrowing view of constant data (no copy). */
ingot_tensor_t ingot_tensor_view(int dtype, int rank, const int64_t *dims, void *data, size_t nbytes);
/* Element i of a float/int tensor converted to double / int64 (any numeric dtype). */
double ingot_tensor_get_f64(const ingot_tensor_t *t, int64_t i);
int64_t ingot_tensor_get_i64(const ingot_tensor_t *t, int64_t i);
void ingot_tensor_set_f64(ingot_tensor_t *t, int64_t i, double v);
/* Integer store with wrap-around (two's complement low bits); bool stores
 * v != 0; float dtypes store (double)v. */
void ingot_tensor_set_i64(ingot_tensor_t *t, int64_t i, int64_t v);

/* half / bfloat16 conversions (round to nearest even). */
float ingot_f16_to_f32(uint16_t h);
uint16_t ingot_f32_to_f16(float f);
float ingot_bf16_to_f32(uint16_t h);
uint16_t ingot_f32_to_bf16(float f);

/* What a kernel gets. */
typedef struct {
  const ingot_graph_t *g;
  int32_t node; /* index in g->nodes, for messages */
  const ingot_node_t *n;
  int threads; /* advisory */
} ingot_kctx_t;

/* One kernel per op: reads in[0..nin) (NULL entries are omitted optional
 * inputs), allocates and fills out[0..nout) (entries for omitted outputs
 * are still passed and may be left empty).  Errors use ingot_kerr. */
typedef ingot_status_t (*ingot_kernel_fn)(const ingot_kctx_t *k, const ingot_tensor_t *const *in, uint32_t nin,
                                          ingot_tensor_t *out, uint32_t nout);

/* Error naming the source, node and op: "model.onnx: node 'X' (#3, Conv): msg". */
ingot_status_t ingot_kerr(const ingot_kctx_t *k, ingot_code_t code, const char *fmt, ...) INGOT_PRINTF(3, 4);

/* One kernel per op in ops.def, named ingot_kernel_<ENUM> (ingot_kernel_ADD,
 * ingot_kernel_CONV, ...).  The dispatch table in interp/dispatch.c is built
 * from ops.def, so every op has exactly one kernel definition somewhere in
 * interp/ (ops the evaluator does not run return INGOT_CODE_UNSUPPORTED). */
#define OP(e, name, mi, xi, mo, xo, attrs)                                                              \
  ingot_status_t ingot_kernel_##e(const ingot_kctx_t *k, const ingot_tensor_t *const *in, uint32_t nin, \
                                  ingot_tensor_t *out, uint32_t nout);
#include "ir/ops.def"
#undef OP

ingot_kernel_fn ingot_interp_kernel(ingot_op_t op);

/* Does the evaluator run this node?  (false for If/Loop/Scan and unknown ops) */
bool ingot_interp_supports(const ingot_graph_t *g, int32_t node, ingot_status_t *why);

typedef struct {
  int threads;      /* 0 = 1 */
  bool check_types; /* compare results against inferred static shapes/dtypes */
} ingot_interp_opts_t;

/* Runs the graph.  inputs[i] corresponds to g->inputs[i] (borrowed; dtype and
 * shape are validated against the graph's declared input types, symbolic dims
 * bind consistently).  outputs[i] (corresponding to g->outputs[i]) receive
 * owned tensors the caller releases. */
ingot_status_t ingot_interp_run(const ingot_graph_t *g, const ingot_interp_opts_t *opts,
                                const ingot_tensor_t *inputs, ingot_tensor_t *outputs) INGOT_MUST_USE;

/* Broadcasting helpers shared by kernels (numpy rules, ONNX multidirectional). */
ingot_status_t ingot_broadcast_shape(const ingot_kctx_t *k, const ingot_tensor_t *const *ts, uint32_t n, int *out_rank,
                                     int64_t *out_dims) INGOT_MUST_USE;
/* Strides (in elements) of t broadcast to out_rank/out_dims: 0 on broadcast axes. */
void ingot_broadcast_strides(const ingot_tensor_t *t, int out_rank, const int64_t *out_dims, int64_t *strides);

#endif
