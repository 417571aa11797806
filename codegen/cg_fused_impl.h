/* Fused nodes inside the CPU backend: the epilogue machinery of
 * codegen/cg_epilogue.c beyond cg_store_out / cg_epilogue (cg.h), used by
 * codegen/cg_fused.c, codegen/cg_attention.c and the anchors' emitters
 * (Conv, the normalisations, Softmax).  Internal to the backend. */
#ifndef INGOT_CG_FUSED_IMPL_H
#define INGOT_CG_FUSED_IMPL_H

#include "codegen/cg.h"

/* Stores a run of output-0 elements,
 *     out[base + j] = epilogue(src[src_off + j])   for j in [0, len),
 * src holding values of src_dtype (converted to the output's dtype).  base
 * must be a multiple of len (a row, a normalised block): the extra inputs'
 * offsets are then split into a part per run, computed once, and a loop
 * nest inside the run with running offsets -- no division per element.
 * src may be the output itself (src_off == base): in place, which costs
 * nothing without an epilogue. */
void cg_store_out_run(cg_t *cg, cg_kernel_t *k, LLVMValueRef base, int64_t len, LLVMValueRef src, int src_dtype,
                      LLVMValueRef src_off);

/* The whole kernel of an anchor-less fusion (INGOT_ANCHOR_NONE): the
 * epilogue over every output element, as a parallel loop nest (sets
 * k->work, flops, bytes). */
ingot_status_t cg_epilogue_emit_all(cg_t *cg, cg_kernel_t *k) INGOT_MUST_USE;

/* Whether code emitted into cg->fn since the kernel began applied the
 * epilogue (cg_epilogue and everything above mark it); removes the marks. */
bool cg_epilogue_take_marks(cg_t *cg);

/* The flash-attention anchor (INGOT_ANCHOR_ATTENTION, codegen/cg_attention.c):
 * inputs Q, K, V per passes/fusion.h, output through the epilogue. */
ingot_status_t cg_emit_attention(cg_t *cg, cg_kernel_t *k) INGOT_MUST_USE;

#endif
