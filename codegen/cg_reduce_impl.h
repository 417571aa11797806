/* Internal helpers shared by codegen/cg_reduce.c (Reduce*, ArgMax, CumSum)
 * and codegen/cg_reduce_norm.c (Softmax and the normalisations).
 *
 * The row engine: most of these kernels reduce "rows" -- len elements at
 * x[off + j*stride] -- to one f64 number.  LLVM 14's C API cannot set
 * fast-math flags, so the loop vectoriser never reassociates a float
 * reduction; a plain loop would run one scalar add per cycle-latency.  For
 * contiguous rows of f32/f64/f16 cgr_row_sum therefore emits the vector
 * loop itself: lanes = vector_bits / 32, two accumulators of <lanes x
 * double>, then a scalar tail.  Accumulating in f64 keeps the result within
 * ~1e-15 of the evaluator (which sums in double) however long the row. */
#ifndef INGOT_CG_REDUCE_IMPL_H
#define INGOT_CG_REDUCE_IMPL_H

#include "codegen/cg.h"

/* Maps an element (scalar or vector of the row's compute type) to the value
 * accumulated (and optionally stored). */
typedef LLVMValueRef (*cgr_map_fn)(cg_t *cg, LLVMValueRef v, void *ud);

typedef struct {
  int dtype;              /* storage dtype of x */
  LLVMValueRef x, off;    /* elements x[off + j*stride], j in [0, len) */
  int64_t len, stride;
  bool f64;               /* compute type: f64, else f32 */
  cgr_map_fn fn;          /* NULL: identity */
  void *ud;
  int ydtype;             /* with y: y[off + j*stride] = fn(x[...]) as well */
  LLVMValueRef y;
} cgr_row_t;

/* sum over the row of fn(x), accumulated in f64; returns an f64 value. */
LLVMValueRef cgr_row_sum(cg_t *cg, const cgr_row_t *r);
/* max over the row as f32, ignoring NaN (-inf for an empty or all-NaN row). */
LLVMValueRef cgr_row_max_f32(cg_t *cg, int dtype, LLVMValueRef x, LLVMValueRef off, int64_t len, int64_t stride);

/* Element of storage dtype dt to f64 and back.  float16/bfloat16 go through
 * f32 both ways, as the evaluator's ingot_tensor_get/set_f64 do. */
LLVMValueRef cgr_to_f64(cg_t *cg, LLVMValueRef v, int dt);
LLVMValueRef cgr_from_f64(cg_t *cg, LLVMValueRef v, int dt);

/* Float constant / value broadcast to the shape of like (scalar or vector). */
LLVMValueRef cgr_fconst(cg_t *cg, LLVMValueRef like, double v);
LLVMValueRef cgr_bcast(cg_t *cg, LLVMValueRef like, LLVMValueRef scalar);

/* True for the float dtypes the row engine loads as vectors. */
bool cgr_vec_dtype(int dtype);
/* True for float32/64/16 and bfloat16. */
bool cgr_float_dtype(int dtype);

/* Nested counted loops over dims[0..rank) (rank 0: the body runs once). */
typedef struct {
  int rank;
  cg_loop_t L[INGOT_MAX_RANK];
} cgr_nest_t;
void cgr_nest_begin(cg_t *cg, cgr_nest_t *N, int rank, const int64_t *dims, LLVMValueRef *iv);
void cgr_nest_end(cg_t *cg, cgr_nest_t *N);


/* Drops size-1 dims and merges neighbours that are contiguous in every one
 * of the nk stride arrays st[k][0..rank); returns the new rank. */
int cgr_merge_dims(int rank, int64_t *dims, int nk, int64_t (*st)[INGOT_MAX_RANK]);

/* Normalises axis a of a rank-r tensor into [0, r) (error when out of range). */
ingot_status_t cgr_norm_axis(cg_t *cg, const cg_kernel_t *k, int64_t a, int r, int *out) INGOT_MUST_USE;

/* a * c for an i64 value and a constant (no multiply for 0 / 1). */
LLVMValueRef cgr_mul(cg_t *cg, LLVMValueRef a, int64_t c);
LLVMValueRef cgr_add(cg_t *cg, LLVMValueRef a, LLVMValueRef b);

/* Row-major element count of a value's static type. */
int64_t cgr_numel(const ingot_value_t *v);

#endif
