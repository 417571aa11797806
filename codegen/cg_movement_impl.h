/* Internal helpers shared by the data-movement emitters
 * (codegen/cg_movement.c, codegen/cg_movement_index.c).
 *
 * Most movement kernels are one walk over an output index space.  A loop
 * nest (mv_nest_t) splits that space for the thread pool: the leading p
 * dims come from the work index (one unflatten per work item, never per
 * element), the remaining outer dims are constant-bound loops, and the
 * innermost dim is a row the emitter fills with its own inner loop.  When
 * the leading dims give too little parallelism (a flat copy of a 1-D
 * tensor), the innermost dim is cut into blocks that are work items too.
 *
 * Pure strided copies (Reshape-as-copy, Transpose, Slice, Concat, Split,
 * Expand, Tile) are described as mv_copy_t jobs: dims with input and output
 * strides in elements (negative or zero strides are fine).  Several jobs
 * (one per Concat input / Split output) share one kernel: their work spaces
 * are laid end to end. */
#ifndef INGOT_CG_MOVEMENT_IMPL_H
#define INGOT_CG_MOVEMENT_IMPL_H

#include "codegen/cg.h"

#define MV_MAXL (2 * INGOT_MAX_RANK) /* loop dims: Tile doubles the rank */

typedef struct {
  int rank;                /* >= 1 */
  int64_t dims[MV_MAXL];
  int p;                   /* dims[0..p) come from the work index (p <= rank - 1) */
  int64_t nb, bs;          /* innermost dim cut into nb blocks of bs elements (nb == 1: whole rows) */
  int64_t work;            /* prod(dims[0..p)) * nb; 0 when the space is empty */
} mv_nest_t;

/* A row of the nest: coords[0..rank-1) are the outer coordinates (i64),
 * [j0, j1) the part of the innermost dim to produce. */
typedef void (*mv_row_fn)(cg_t *cg, void *ctx, const LLVMValueRef *coords, LLVMValueRef j0, LLVMValueRef j1);
/* One element: coords[0..rank). */
typedef void (*mv_elem_fn)(cg_t *cg, void *ctx, const LLVMValueRef *coords);

/* cg_loop_end for a loop over work items: keeps the loop vectoriser off it. */
void mv_loop_end_novec(cg_t *cg, cg_loop_t *L);

/* Plans a nest over dims (rank 0 is treated as [1]). */
void mv_nest_plan(mv_nest_t *N, int rank, const int64_t *dims);
/* Emits the nest for work items [lo, hi) (i64 values). */
void mv_nest_emit(cg_t *cg, const mv_nest_t *N, LLVMValueRef lo, LLVMValueRef hi, mv_row_fn row, void *ctx);
/* Same, calling elem for every element of each row. */
void mv_nest_emit_elems(cg_t *cg, const mv_nest_t *N, LLVMValueRef lo, LLVMValueRef hi, mv_elem_fn elem, void *ctx);

/* A strided copy: dst[obase + sum c_d*os_d] = src[ibase + sum c_d*is_d]. */
typedef struct {
  LLVMValueRef src, dst; /* element-typed pointers */
  int rank;
  int64_t dims[MV_MAXL], is[MV_MAXL], os[MV_MAXL];
  int64_t ibase, obase;
} mv_copy_t;

/* Emits njobs copies of elements of dtype in one kernel; sets k->work and
 * k->bytes. */
void mv_emit_copies(cg_t *cg, cg_kernel_t *k, int dtype, mv_copy_t *jobs, int njobs);

/* ---- element types ----
 * Pure moves load and store integers of the element's size (float -> i32,
 * float16/bfloat16 -> i16, double -> i64): bit exact, and clear of LLVM 14's
 * x86 backend, which cannot select vectorised bfloat loads/stores.  Every
 * data pointer is cast once (mv_cast, in the entry block) to the move type;
 * arithmetic converts the bits explicitly. */
int mv_move_dtype(int dtype);
LLVMValueRef mv_cast(cg_t *cg, LLVMValueRef ptr, int dtype); /* ptr as a pointer to dtype's storage type */
/* float/float16/bfloat16 bits (the move type) <-> f32; bfloat16 rounds to
 * nearest even with quiet NaNs, as the evaluator (ingot_f32_to_bf16). */
LLVMValueRef mv_bits_to_f32(cg_t *cg, int dtype, LLVMValueRef bits);
LLVMValueRef mv_f32_to_bits(cg_t *cg, int dtype, LLVMValueRef v);
/* double and integer data <-> f64 (integers truncate and saturate, as Cast). */
LLVMValueRef mv_bits_to_f64(cg_t *cg, int dtype, LLVMValueRef bits);
LLVMValueRef mv_f64_to_bits(cg_t *cg, int dtype, LLVMValueRef v);

/* ---- small utilities ---- */
LLVMValueRef mv_smin(cg_t *cg, LLVMValueRef a, LLVMValueRef b);
LLVMValueRef mv_smax(cg_t *cg, LLVMValueRef a, LLVMValueRef b);
/* The part of a segment [start, start + count) of the work space that this
 * call runs, as local item numbers [*lo, *hi) (empty when *lo >= *hi). */
void mv_segment(cg_t *cg, const cg_kernel_t *k, int64_t start, int64_t count, LLVMValueRef *lo, LLVMValueRef *hi);
/* Runtime index -> [0, dim): negative values wrap once (ONNX), anything
 * still out of range is clamped so the kernel never reads out of bounds
 * (the evaluator reports an error instead).  dim >= 1. */
LLVMValueRef mv_wrap_clamp(cg_t *cg, LLVMValueRef idx, int64_t dim);
/* A private constant global holding nbytes of data; returns a pointer to
 * its first element typed as elem_dtype. */
LLVMValueRef mv_global(cg_t *cg, const void *data, size_t nbytes, int elem_dtype);
/* A constant of dtype's storage type with exactly the bits at p. */
LLVMValueRef mv_const_bits(cg_t *cg, int dtype, const void *p);

/* dst[base + j] = v for j in [a, b). */
void mv_fill(cg_t *cg, int dtype, LLVMValueRef dst, LLVMValueRef base, LLVMValueRef a, LLVMValueRef b, LLVMValueRef v);
/* The model's default-domain opset (20, the newest known, when unrecorded: as the evaluator). */
int64_t mv_opset(const cg_t *cg);

int64_t mv_prod(const int64_t *dims, int from, int to);
void mv_strides(int rank, const int64_t *dims, int64_t *strides);
int64_t mv_numel(const ingot_value_t *v);
bool mv_has(const cg_kernel_t *k, uint32_t i);           /* input i given */
bool mv_has_nonempty(const cg_kernel_t *k, uint32_t i);  /* given with >= 1 element */
/* Reads constant int32/int64 input i (0-D or 1-D, at most cap entries);
 * errors when it is not constant. */
ingot_status_t mv_const_ints(cg_t *cg, const cg_kernel_t *k, uint32_t i, const char *what, int64_t *vals,
                             int64_t cap, int64_t *count) INGOT_MUST_USE;
/* Element i of constant input data as double (any numeric dtype). */
double mv_const_f64(const ingot_value_t *v, int64_t i);
/* Checks that the computed output dims match the inferred static type. */
ingot_status_t mv_check_dims(cg_t *cg, const cg_kernel_t *k, uint32_t out, int rank,
                             const int64_t *dims) INGOT_MUST_USE;
/* Normalises axis into [0, rank) or errors. */
ingot_status_t mv_axis(cg_t *cg, const cg_kernel_t *k, int64_t axis, int rank, const char *what,
                       int *out) INGOT_MUST_USE;

#endif
