/* Internal interface of the LLVM CPU backend, shared by the op emitters.
 *
 * Every (non-constant) node becomes one kernel function
 *     void kernel(i8 *args, i64 begin, i64 end)
 * where args is an array of pointers: the node's inputs, then its outputs
 * (omitted optional ones are NULL).  The runtime calls it over [0, work)
 * split across threads (ingot_rt_launch), so an emitter picks an outer
 * iteration space of `work` independent items (rows, output channels,
 * elements...) and emits code for the items in [begin, end).
 *
 * All shapes are static here (the compile pipeline specialises first), so
 * emitters bake sizes and strides into the code as constants.
 *
 * An emitter has this signature and is listed in codegen/cg_ops.c:
 *     ingot_status_t cg_emit_X(cg_t *cg, cg_kernel_t *k);
 * It is called with the builder positioned in the kernel's entry block,
 * k->in[i]/k->out[i] already typed element pointers, and must set k->work
 * and leave the builder in a block that falls through to the return (the
 * core emits `ret void` where the builder ends). */
#ifndef INGOT_CG_H
#define INGOT_CG_H

#include <llvm-c/Core.h>
#include <stdbool.h>

#include "codegen/target.h"
#include "ir/ir.h"

#define CG_MAX_IO 16

struct ingot_cg;
typedef struct cg_s {
  LLVMContextRef ctx;
  LLVMModuleRef mod;
  LLVMBuilderRef b;
  LLVMTypeRef t_void, t_i1, t_i8, t_i16, t_i32, t_i64, t_f16, t_bf16, t_f32, t_f64, t_ptr; /* t_ptr = i8* */
  const ingot_graph_t *g;
  const char *prefix; /* symbol prefix: the model NAME */
  /* the kernel being built */
  LLVMValueRef fn;
  LLVMBasicBlockRef entry; /* allocas go here */
  int vector_bits;         /* 512 or 256: the target's preferred vector width */
  const ingot_target_desc_t *target; /* the machine the cost models plan for (codegen/target.h) */
  struct ingot_cg *owner;  /* the backend object (weights blob) */
} cg_t;

typedef struct {
  int32_t node; /* index in cg->g->nodes */
  const ingot_node_t *n;
  uint32_t nin, nout;
  LLVMValueRef in[CG_MAX_IO];  /* element-typed pointers, NULL for omitted inputs */
  LLVMValueRef out[CG_MAX_IO];
  const ingot_value_t *vin[CG_MAX_IO]; /* static types (and constant data when the value is a weight) */
  const ingot_value_t *vout[CG_MAX_IO];
  LLVMValueRef begin, end; /* i64: the part of [0, work) this call computes */
  int64_t work;            /* set by the emitter: size of the parallel iteration space (>= 1) */
  double flops, bytes;     /* set by the emitter (estimates for reports/roofline); optional */
  /* Fused epilogue (passes/fusion.h), NULL when none.  Emitters that
   * support epilogues store output 0 through cg_store_out, which applies it.
   * out_type is the type of the stored tensor (the fused node's output:
   * same element count as the anchor's output, maybe another shape). */
  const struct ingot_fusion_s_ *fusion;
  LLVMValueRef extra[CG_MAX_IO];           /* element pointers of the epilogue's extra inputs */
  const ingot_value_t *vextra[CG_MAX_IO];
  char tiles[128];         /* set by emitters that tile: "MR=6 NR=32 KC=256" for --report */
  double predicted_s;      /* set by emitters with a cost model: predicted seconds on one thread */
  LLVMValueRef weights;    /* i8*: base of the weights blob (for cg_weight_ptr) */
} cg_kernel_t;

/* Adds a derived constant (e.g. weights packed for a microkernel) to the
 * model's weights blob (deduplicated, 64-byte aligned) and returns an i8*
 * to it, valid inside the kernel being built.  NULL on out of memory. */
LLVMValueRef cg_weight_ptr(cg_t *cg, cg_kernel_t *k, const void *data, size_t bytes);

/* Stores v (f32 or the output's compute type) to output 0 at flat index idx,
 * applying the fused epilogue first when k->fusion is set.  Every emitter
 * whose op can anchor a fusion stores its main output through this. */
void cg_store_out(cg_t *cg, cg_kernel_t *k, LLVMValueRef idx, LLVMValueRef v_f32);
/* Applies just the epilogue to an f32 value for output element idx. */
LLVMValueRef cg_epilogue(cg_t *cg, cg_kernel_t *k, LLVMValueRef v_f32, LLVMValueRef idx);
/* One elementwise op on f32 scalars (NULL if op is not a float elementwise
 * op); src gives attributes (alpha, approximate...).  Shared by epilogues. */
LLVMValueRef cg_scalar_f32(cg_t *cg, int op, const ingot_node_t *src, LLVMValueRef *args, int nargs);
/* The elementwise emitter's own scalar math (cg_elementwise.c), which
 * cg_scalar_f32 delegates to. */
LLVMValueRef cg_ew_scalar_f32(cg_t *cg, int op, const ingot_node_t *src, LLVMValueRef *xs, int n);

typedef ingot_status_t (*cg_emit_fn)(cg_t *cg, cg_kernel_t *k);

/* The backend's builder state, for code outside the kernel emitters that adds
 * functions to the module before ingot_cg_finish (codegen/sampler.c). */
cg_t *cg_of(struct ingot_cg *m);

/* ---- helpers every emitter uses (codegen/cg_util.c) ------------------- */

/* Storage type of a dtype (float32 -> float, int64 -> i64, bool -> i8, float16 -> half ...). */
LLVMTypeRef cg_type(cg_t *cg, int dtype);
LLVMValueRef cg_i64(cg_t *cg, int64_t v);
LLVMValueRef cg_f32(cg_t *cg, double v);
LLVMValueRef cg_const(cg_t *cg, int dtype, double v); /* a constant of dtype's storage type */

/* Counted loops: for (iv = lo; iv < hi; iv++) { body }.
 *     cg_loop_t L; LLVMValueRef i = cg_loop_begin(cg, &L, lo, hi, "i");
 *     ... body using i ...
 *     cg_loop_end(cg, &L);
 * Nesting is free.  Values defined inside the body are not visible after
 * cg_loop_end; carry results through cg_alloca'd variables (promoted to
 * registers by the optimiser). */
typedef struct {
  LLVMBasicBlockRef header, body, exit;
  LLVMValueRef iv;
} cg_loop_t;
/* A fresh LLVM context, module NAME and builder in c, with c's cached types and symbol
 * prefix (NAME, which must outlive c); the CPU and the GPU backend both start here. */
void cg_init_module(cg_t *c, const char *name);
LLVMValueRef cg_loop_begin(cg_t *cg, cg_loop_t *L, LLVMValueRef lo, LLVMValueRef hi, const char *name);
void cg_loop_end(cg_t *cg, cg_loop_t *L);
/* cg_loop_end, marking the loop llvm.loop.unroll.disable: for loops whose
 * body is already unrolled by hand, or heavy; fully unrolling a
 * constant-trip loop (O2 does for trips up to ~1k) bloats the kernel and
 * lets GVN keep many iterations' values live at once, spilling them. */
void cg_loop_end_no_unroll(cg_t *cg, cg_loop_t *L);

/* if (cond) { ... } [else { ... }]:
 *     cg_if_t c; cg_if_begin(cg, &c, cond); ...; cg_if_else(cg, &c); ...; cg_if_end(cg, &c); */
typedef struct {
  LLVMBasicBlockRef then_bb, else_bb, end_bb;
} cg_if_t;
void cg_if_begin(cg_t *cg, cg_if_t *c, LLVMValueRef cond);
void cg_if_else(cg_t *cg, cg_if_t *c);
void cg_if_end(cg_t *cg, cg_if_t *c);

/* A stack variable in the kernel's entry block. */
LLVMValueRef cg_alloca(cg_t *cg, LLVMTypeRef t, const char *name);

/* base[idx] load/store with the element type of dtype; idx is i64. */
LLVMValueRef cg_load(cg_t *cg, int dtype, LLVMValueRef base, LLVMValueRef idx);
void cg_store(cg_t *cg, int dtype, LLVMValueRef base, LLVMValueRef idx, LLVMValueRef v);
/* Same, converting to/from f32 (float types), so emitters can compute in f32. */
LLVMValueRef cg_load_f32(cg_t *cg, int dtype, LLVMValueRef base, LLVMValueRef idx);
void cg_store_f32(cg_t *cg, int dtype, LLVMValueRef base, LLVMValueRef idx, LLVMValueRef v_f32);
/* Converts v (of dtype from) to dtype to, ONNX Cast semantics (float->int truncates). */
LLVMValueRef cg_convert(cg_t *cg, LLVMValueRef v, int from, int to);

/* Intrinsic call: cg_intrinsic(cg, "llvm.exp", f32, (LLVMValueRef[]){x}, 1). */
LLVMValueRef cg_intrinsic(cg_t *cg, const char *name, LLVMTypeRef overload, LLVMValueRef *args, unsigned n);
/* libm call of a float function: cg_libm_f32(cg, "erff", x). */
LLVMValueRef cg_libm_f32(cg_t *cg, const char *name, LLVMValueRef x);

/* Row-major strides (in elements) of a static type; returns numel. */
int64_t cg_strides(const ingot_type_t *t, int64_t *strides);
/* Splits a flat index into coordinates for dims (emits urem/udiv with constants). */
void cg_unflatten(cg_t *cg, LLVMValueRef flat, int rank, const int64_t *dims, LLVMValueRef *coords);
/* sum(coords[d] * strides[d]) as i64 (skips zero strides). */
LLVMValueRef cg_dot(cg_t *cg, int rank, LLVMValueRef *coords, const int64_t *strides);
/* Static dims of a value as int64s; returns rank. */
int cg_dims(const ingot_value_t *v, int64_t *dims);

/* Error from an emitter naming the node: "model.onnx: node 'X' (#3, Conv): msg". */
ingot_status_t cg_error(cg_t *cg, const cg_kernel_t *k, ingot_code_t code, const char *fmt, ...) INGOT_PRINTF(4, 5);

/* ---- emitters (codegen/cg_*.c), dispatched by codegen/cg_ops.c ------------- */
cg_emit_fn cg_emitter_for(ingot_op_t op);

/* elementwise family: every unary/binary/variadic/compare/logical op, Where,
 * Cast, CastLike, Clip, Identity, Dropout (codegen/cg_elementwise.c) */
ingot_status_t cg_emit_elementwise(cg_t *cg, cg_kernel_t *k);
/* reductions and normalisations (codegen/cg_reduce.c) */
ingot_status_t cg_emit_reduce(cg_t *cg, cg_kernel_t *k);   /* Reduce*, ArgMax */
ingot_status_t cg_emit_cumsum(cg_t *cg, cg_kernel_t *k);
ingot_status_t cg_emit_softmax(cg_t *cg, cg_kernel_t *k);  /* Softmax, LogSoftmax */
ingot_status_t cg_emit_layernorm(cg_t *cg, cg_kernel_t *k);
ingot_status_t cg_emit_groupnorm(cg_t *cg, cg_kernel_t *k); /* GroupNormalization, InstanceNormalization */
ingot_status_t cg_emit_batchnorm(cg_t *cg, cg_kernel_t *k);
/* linear algebra (codegen/cg_linalg.c) */
ingot_status_t cg_emit_matmul(cg_t *cg, cg_kernel_t *k);
ingot_status_t cg_emit_gemm(cg_t *cg, cg_kernel_t *k);
ingot_status_t cg_emit_conv(cg_t *cg, cg_kernel_t *k);
ingot_status_t cg_emit_conv_transpose(cg_t *cg, cg_kernel_t *k);
ingot_status_t cg_emit_einsum(cg_t *cg, cg_kernel_t *k);
/* data movement (codegen/cg_movement.c) */
ingot_status_t cg_emit_copy(cg_t *cg, cg_kernel_t *k); /* Reshape, Flatten, Squeeze, Unsqueeze */
ingot_status_t cg_emit_transpose(cg_t *cg, cg_kernel_t *k);
ingot_status_t cg_emit_concat(cg_t *cg, cg_kernel_t *k);
ingot_status_t cg_emit_split(cg_t *cg, cg_kernel_t *k);
ingot_status_t cg_emit_slice(cg_t *cg, cg_kernel_t *k);
ingot_status_t cg_emit_gather(cg_t *cg, cg_kernel_t *k);
ingot_status_t cg_emit_gather_elements(cg_t *cg, cg_kernel_t *k);
ingot_status_t cg_emit_scatter_nd(cg_t *cg, cg_kernel_t *k);
ingot_status_t cg_emit_expand(cg_t *cg, cg_kernel_t *k);
ingot_status_t cg_emit_tile(cg_t *cg, cg_kernel_t *k);
ingot_status_t cg_emit_pad(cg_t *cg, cg_kernel_t *k);
ingot_status_t cg_emit_resize(cg_t *cg, cg_kernel_t *k);
ingot_status_t cg_emit_trilu(cg_t *cg, cg_kernel_t *k);
/* fused nodes (codegen/cg_fused.c): dispatches the anchor's emitter with the epilogue */
ingot_status_t cg_emit_fused(cg_t *cg, cg_kernel_t *k);
/* quantized ops made by passes/quantize.c (codegen/cg_qgemm.c) */
ingot_status_t cg_emit_quant_act(cg_t *cg, cg_kernel_t *k); /* IngotQuantAct */
ingot_status_t cg_emit_qlinear(cg_t *cg, cg_kernel_t *k);   /* IngotQLinear */
ingot_status_t cg_emit_qconv(cg_t *cg, cg_kernel_t *k);     /* IngotQConv */

#endif
