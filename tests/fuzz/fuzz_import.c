/* libFuzzer target: the ONNX importer (and, where they exist, shape inference
 * and the verifier, in the order `ingot inspect` runs them) on arbitrary
 * bytes.  Any crash, sanitizer report, leak, timeout or allocation past
 * -rss_limit_mb is a bug: hostile files must only ever produce a status.
 *
 * Build and run: see tests/README.md, "Fuzzing".  External data is refused
 * here (model_dir NULL), so the fuzzer never touches the file system. */
#include <stddef.h>
#include <stdint.h>

#include "frontend/onnx_import.h"

#if defined(__has_include) && !defined(INGOT_FUZZ_IMPORT_ONLY)
#if __has_include("ir/infer.h")
#include "ir/infer.h"
#define FUZZ_INFER 1
#endif
#if __has_include("ir/verify.h")
#include "ir/verify.h"
#define FUZZ_VERIFY 1
#endif
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  ingot_graph_t *g = NULL;
  ingot_status_t st = ingot_import_onnx_buffer(data, size, "fuzz", NULL, &g);
  if (st) {
    /* every error carries a message */
    if (!ingot_status_message(st)[0]) __builtin_trap();
    ingot_status_free(st);
    return 0;
  }
#ifdef FUZZ_INFER
  st = ingot_infer_shapes(g);
#endif
#ifdef FUZZ_VERIFY
  if (!st) st = ingot_verify(g);
#endif
  ingot_status_free(st);
  ingot_graph_free(g);
  return 0;
}
