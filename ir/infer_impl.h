/* Internals shared by ir/infer*.c: the per-node context and its helpers.
 * Not a public header; see infer.h. */
#ifndef INGOT_INFER_IMPL_H
#define INGOT_INFER_IMPL_H

#include <stdbool.h>
#include <stdint.h>

#include "infer.h"

#define IX_MAXV INGOT_INFER_MAX_SYMVAL
#define IX_BUF 256 /* room for a shape text like "[batch,4,16,16]" */

/* One node being inferred. */
typedef struct {
  ingot_graph_t *g;
  int32_t node;
  const ingot_node_t *n;
  const char *op; /* the ONNX op name, for messages */
} ix_t;

/* ---- messages and inputs (infer.c) ---------------------------------------- */

ingot_status_t ix_err(const ix_t *c, ingot_code_t code, const char *fmt, ...) INGOT_PRINTF(3, 4) INGOT_MUST_USE;
/* Shape text of t into buf (IX_BUF bytes). */
const char *ix_str(const ix_t *c, const ingot_type_t *t, char *buf);
/* Input i's value index, or -1 when the slot is absent or omitted. */
int32_t ix_inv(const ix_t *c, uint32_t i);
/* Input i's type, or NULL when absent or omitted. */
const ingot_type_t *ix_in(const ix_t *c, uint32_t i);
/* Input i's type; an error when it is missing or its rank is unknown. */
ingot_status_t ix_need(const ix_t *c, uint32_t i, const char *what, const ingot_type_t **out) INGOT_MUST_USE;
/* Errors when input i's dtype is known and not one of the listed (0-terminated). */
ingot_status_t ix_dtype_in(const ix_t *c, uint32_t i, const char *what, const int *allowed) INGOT_MUST_USE;
ingot_status_t ix_int_input(const ix_t *c, uint32_t i, const char *what) INGOT_MUST_USE; /* int32/int64 */
ingot_status_t ix_i64_input(const ix_t *c, uint32_t i, const char *what) INGOT_MUST_USE; /* int64 */
/* Errors when the known dtypes of inputs a and b differ. */
ingot_status_t ix_same_dtype(const ix_t *c, uint32_t a, uint32_t b) INGOT_MUST_USE;
/* Normalises axis into [0, rank) (accepting [-rank, rank)); what names it. */
ingot_status_t ix_axis(const ix_t *c, const char *what, int64_t axis, int rank, int *out) INGOT_MUST_USE;

/* ---- outputs --------------------------------------------------------------- */

static inline ingot_type_t ix_type(int dtype, int rank) {
  ingot_type_t t;
  t.dtype = dtype;
  t.rank = rank;
  for (int i = 0; i < INGOT_MAX_RANK; i++) t.dims[i] = ingot_dim_const(0);
  return t;
}
/* Sets output o (skipped when omitted): checks the element count, merges
 * with a type declared in the file, clears any stale symval. */
ingot_status_t ix_set(const ix_t *c, uint32_t o, const ingot_type_t *t) INGOT_MUST_USE;
/* Sets output o to input i's type. */
ingot_status_t ix_same(const ix_t *c, uint32_t o, uint32_t i) INGOT_MUST_USE;

/* ---- dims ------------------------------------------------------------------ */

ingot_status_t ix_fresh(const ix_t *c, ingot_dim_t *out) INGOT_MUST_USE;
/* Unknown-rank-safe: fills t->dims[0..rank) with fresh symbols. */
ingot_status_t ix_fresh_dims(const ix_t *c, ingot_type_t *t) INGOT_MUST_USE;
/* Broadcasts a with b (numpy rules) into out; *ok false when incompatible. */
ingot_status_t ix_bcast_dim(const ix_t *c, ingot_dim_t a, ingot_dim_t b, bool *ok, ingot_dim_t *out) INGOT_MUST_USE;
/* Multidirectional broadcast of n types (NULL entries skipped). */
ingot_status_t ix_bcast(const ix_t *c, const ingot_type_t *const *ts, int n, ingot_type_t *out) INGOT_MUST_USE;
/* Symbolic arithmetic: a op b for op one of + - * / (integer, truncating).
 * Concrete when both are; x+0, x*1 ... simplify; otherwise an interned
 * symbol named after the expression; a fresh symbol on overflow or
 * division by zero. */
ingot_status_t ix_arith(const ix_t *c, char op, ingot_dim_t a, ingot_dim_t b, ingot_dim_t *out) INGOT_MUST_USE;
/* Product of n dims (concrete, a lone symbol, or a symbol named after the
 * product); errors when a concrete product overflows the element limit. */
ingot_status_t ix_product(const ix_t *c, const ingot_dim_t *d, int n, ingot_dim_t *out) INGOT_MUST_USE;
/* d * k with k >= 0 concrete (Tile, Resize-by-integer). */
ingot_status_t ix_scale(const ix_t *c, ingot_dim_t d, int64_t k, ingot_dim_t *out) INGOT_MUST_USE;

/* Symbolic products for Reshape's -1: a concrete factor and sorted symbols. */
typedef struct {
  int64_t c;
  uint32_t syms[2 * INGOT_MAX_RANK];
  int n;
} ix_mono_t;
/* False when the product overflows or has too many symbols. */
bool ix_mono_of(const ingot_dim_t *d, int n, ix_mono_t *m);
/* a / b when b's symbols are a sub-multiset of a's and b.c divides a.c. */
bool ix_mono_div(const ix_mono_t *a, const ix_mono_t *b, ix_mono_t *q);
ingot_status_t ix_mono_dim(const ix_t *c, const ix_mono_t *m, ingot_dim_t *out) INGOT_MUST_USE;

/* ---- known contents (symval) ------------------------------------------------- */

/* Known contents of value v: its symval, its constant data or its Constant
 * producer's attribute (0-D/1-D int tensor, at most IX_MAXV entries). */
bool ix_value_vals(const ingot_graph_t *g, int32_t v, ingot_dim_t *out, int *n);
/* Known contents of input i. */
bool ix_vals(const ix_t *c, uint32_t i, ingot_dim_t *out, int *n);
/* Known contents of input i when every entry is concrete. */
bool ix_ints(const ix_t *c, uint32_t i, int64_t *out, int *n);
/* Known float contents of input i (any numeric dtype), at most max entries. */
bool ix_floats(const ix_t *c, uint32_t i, double *out, int max, int *n);
/* Element count of input i when its shape is static (-1 otherwise). */
int64_t ix_in_numel(const ix_t *c, uint32_t i);
/* Records the contents of output o. */
ingot_status_t ix_set_vals(const ix_t *c, uint32_t o, const ingot_dim_t *v, int n) INGOT_MUST_USE;

/* ---- per-family rules (infer_math.c, infer_shape.c; control flow in infer.c) ---- */

ingot_status_t ix_elementwise(ix_t *c) INGOT_MUST_USE;
ingot_status_t ix_unary(ix_t *c) INGOT_MUST_USE;
ingot_status_t ix_cast(ix_t *c) INGOT_MUST_USE;
ingot_status_t ix_clip(ix_t *c) INGOT_MUST_USE;
ingot_status_t ix_dropout(ix_t *c) INGOT_MUST_USE;

ingot_status_t ix_softmax(ix_t *c) INGOT_MUST_USE;
ingot_status_t ix_layer_norm(ix_t *c) INGOT_MUST_USE;
ingot_status_t ix_group_norm(ix_t *c) INGOT_MUST_USE;
ingot_status_t ix_instance_norm(ix_t *c) INGOT_MUST_USE;
ingot_status_t ix_batch_norm(ix_t *c) INGOT_MUST_USE;
ingot_status_t ix_matmul(ix_t *c) INGOT_MUST_USE;
ingot_status_t ix_gemm(ix_t *c) INGOT_MUST_USE;
ingot_status_t ix_conv(ix_t *c) INGOT_MUST_USE;
ingot_status_t ix_conv_transpose(ix_t *c) INGOT_MUST_USE;
ingot_status_t ix_einsum(ix_t *c) INGOT_MUST_USE;
ingot_status_t ix_reduce(ix_t *c) INGOT_MUST_USE;
ingot_status_t ix_argmax(ix_t *c) INGOT_MUST_USE;
ingot_status_t ix_cumsum(ix_t *c) INGOT_MUST_USE;
ingot_status_t ix_control_flow(ix_t *c) INGOT_MUST_USE;

ingot_status_t ix_reshape(ix_t *c) INGOT_MUST_USE;
ingot_status_t ix_transpose(ix_t *c) INGOT_MUST_USE;
ingot_status_t ix_concat(ix_t *c) INGOT_MUST_USE;
ingot_status_t ix_split(ix_t *c) INGOT_MUST_USE;
ingot_status_t ix_slice(ix_t *c) INGOT_MUST_USE;
ingot_status_t ix_gather(ix_t *c) INGOT_MUST_USE;
ingot_status_t ix_gather_elements(ix_t *c) INGOT_MUST_USE;
ingot_status_t ix_scatter_nd(ix_t *c) INGOT_MUST_USE;
ingot_status_t ix_unsqueeze(ix_t *c) INGOT_MUST_USE;
ingot_status_t ix_squeeze(ix_t *c) INGOT_MUST_USE;
ingot_status_t ix_flatten(ix_t *c) INGOT_MUST_USE;
ingot_status_t ix_expand(ix_t *c) INGOT_MUST_USE;
ingot_status_t ix_tile(ix_t *c) INGOT_MUST_USE;
ingot_status_t ix_pad(ix_t *c) INGOT_MUST_USE;
ingot_status_t ix_shape(ix_t *c) INGOT_MUST_USE;
ingot_status_t ix_size(ix_t *c) INGOT_MUST_USE;
ingot_status_t ix_range(ix_t *c) INGOT_MUST_USE;
ingot_status_t ix_constant(ix_t *c) INGOT_MUST_USE;
ingot_status_t ix_constant_of_shape(ix_t *c) INGOT_MUST_USE;
ingot_status_t ix_resize(ix_t *c) INGOT_MUST_USE;
ingot_status_t ix_trilu(ix_t *c) INGOT_MUST_USE;
ingot_status_t ix_quant(ix_t *c) INGOT_MUST_USE; /* IngotQuantAct, IngotQLinear, IngotQConv (infer_quant.c) */

#endif
