/* Writing a compiled model to disk: NAME.h, NAME.o, libNAME.a,
 * NAME.weights, and optionally NAME.ll / NAME.s / libNAME.so. */
#ifndef INGOT_ARTIFACT_H
#define INGOT_ARTIFACT_H

#include <stdbool.h>

#include "codegen/codegen.h"
#include "codegen/sampler.h"

typedef struct {
  const char *out_prefix; /* "out/NAME": folder and model name */
  const char *source;     /* the model file, mentioned in the header */
  bool emit_llvm_ir, emit_asm;
  bool embed_weights;
  bool shared;            /* also link libNAME.so (needs a C compiler: $CC or cc) */
  const char *rt_lib;     /* libingot_rt.a to copy next to the artifact and link into .so */
  const char *rt_header;  /* ingot_rt.h to copy next to the artifact */
  /* per bucket, for the header */
  int nbuckets;
  const ingot_graph_t *const *graphs;
  const char *const *bucket_names;
  const uint64_t *arena_bytes;
  const ingot_sampler_plan_t *sampler; /* NULL, or NAME_sample was emitted (--sampler): declared in NAME.h */
} ingot_artifact_opts_t;

ingot_status_t ingot_write_artifacts(ingot_cg_t *cg, const ingot_artifact_opts_t *o) INGOT_MUST_USE;
/* Just NAME.h (the GPU backend writes the rest itself; cg holds its weights). */
ingot_status_t ingot_write_header(ingot_cg_t *cg, const ingot_artifact_opts_t *o) INGOT_MUST_USE;

/* A Unix ar archive (GNU format with a symbol index) holding one object. */
ingot_status_t ingot_write_ar(const char *path, const char *member_name, const uint8_t *obj, size_t len,
                              const char *const *symbols, int nsymbols) INGOT_MUST_USE;

/* Links DIR/NAME.o with DIR/libingot_rt.a into DIR/libNAME.so with $CC (default cc), plus
 * extra_lib ("-ldl" for the GPU runtime) when not NULL. */
ingot_status_t ingot_link_shared(const char *dir, const char *name, const char *extra_lib) INGOT_MUST_USE;

/* Copies a file (runtime library and headers next to an artifact), atomically. */
ingot_status_t ingot_copy_file(const char *from, const char *to) INGOT_MUST_USE;

/* Writes a file atomically (temp file + rename); no partial files on error. */
ingot_status_t ingot_write_file(const char *path, const void *data, size_t len) INGOT_MUST_USE;

/* Makes a C identifier from a tensor name ("input.1" -> "input_1"). */
void ingot_c_identifier(const char *name, char *buf, size_t len);

#endif
