/* The LLVM CPU backend: compiles planned graphs (one per bucket) into one
 * LLVM module with a kernel per node, a run function per bucket and the
 * model descriptor the runtime reads (runtime/ingot_rt.h). */
#ifndef INGOT_CODEGEN_H
#define INGOT_CODEGEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ir/ir.h"
#include "passes/memplan.h"

typedef struct {
  const char *name;   /* model NAME: a C identifier, prefixes every symbol */
  const char *target; /* "native" (default), "x86-64-avx2", "x86-64-avx512" */
  bool embed_weights; /* payload compiled into the object */
  bool shared_entry;  /* also define ingot_model_descriptor() (for --shared) */
  int opt_level;      /* 0..3, default 3 */
} ingot_cg_options_t;

typedef struct ingot_cg ingot_cg_t;

typedef enum { INGOT_EMIT_OBJ, INGOT_EMIT_ASM, INGOT_EMIT_LLVM_IR } ingot_emit_kind_t;

/* Resolves a target name to an LLVM triple/cpu/features and its vector
 * width; errors name the valid targets. */
ingot_status_t ingot_cg_check_target(const char *target, int *vector_bits) INGOT_MUST_USE;

ingot_status_t ingot_cg_create(const ingot_cg_options_t *o, ingot_cg_t **out) INGOT_MUST_USE;
/* Adds one specialised, folded, compacted graph as a bucket.  Its weights
 * join the shared blob (identical tensors stored once). */
ingot_status_t ingot_cg_add_bucket(ingot_cg_t *cg, const ingot_graph_t *g, const char *bucket_name,
                                   uint64_t *arena_bytes, uint64_t *naive_bytes) INGOT_MUST_USE;
/* Emits the descriptor, verifies the module and runs LLVM's optimisation
 * pipeline.  No buckets can be added afterwards. */
ingot_status_t ingot_cg_finish(ingot_cg_t *cg) INGOT_MUST_USE;
/* Object code, assembly or LLVM IR text into a malloc'd buffer. */
ingot_status_t ingot_cg_emit(ingot_cg_t *cg, ingot_emit_kind_t kind, uint8_t **buf, size_t *len) INGOT_MUST_USE;

/* The weights payload (valid until destroy), its checksum and the model id. */
const uint8_t *ingot_cg_weights(const ingot_cg_t *cg, size_t *len);
uint64_t ingot_cg_weights_checksum(const ingot_cg_t *cg);
uint64_t ingot_cg_model_id(const ingot_cg_t *cg);
int ingot_cg_kernel_count(const ingot_cg_t *cg);
/* The target description, then one line per kernel that an emitter tiled
 * with a cost model (tiles and predicted time), for `ingot compile --report`. */
void ingot_cg_report_tiles(const ingot_cg_t *cg, FILE *f);
/* Adds a tensor to the weights blob (deduplicated, 64-byte aligned) and
 * gives its offset: how the GPU backend (codegen/gpu.h), which keeps its
 * weights in an ingot_cg_t, lays out its tensors. */
ingot_status_t ingot_cg_add_weight(ingot_cg_t *cg, const void *data, size_t bytes, uint64_t *offset) INGOT_MUST_USE;

/* JIT the module in-process (tests): returns the descriptor's address.  The
 * JIT lives until ingot_cg_destroy. */
ingot_status_t ingot_cg_jit(ingot_cg_t *cg, const void **descriptor) INGOT_MUST_USE;

void ingot_cg_destroy(ingot_cg_t *cg);

#endif
