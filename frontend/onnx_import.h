/* ONNX ModelProto -> ingot IR.
 *
 * Every field of the file is treated as hostile until checked: the wire
 * format is pre-scanned with a nesting limit before protobuf-c sees it; dims,
 * dtypes, data lengths, external-data paths and offsets are all validated;
 * node inputs must be defined, each value has one producer, and nodes are
 * sorted topologically (a cycle is an error).  The result is a graph with
 * types on inputs, outputs and initializers only: run shape inference
 * (ir/infer.h) for the rest. */
#ifndef INGOT_ONNX_IMPORT_H
#define INGOT_ONNX_IMPORT_H

#include <stddef.h>
#include <stdint.h>

#include "ir/ir.h"

/* Limits that keep hostile files from costing more than they justify. */
#define INGOT_IMPORT_MAX_FILE_BYTES ((size_t)1 << 31)  /* protobuf's own 2 GiB cap */
#define INGOT_IMPORT_MAX_MSG_DEPTH 200                 /* protobuf message nesting */
#define INGOT_IMPORT_MAX_SUBGRAPH_DEPTH 32             /* If/Loop/Scan bodies inside each other */
#define INGOT_IMPORT_MAX_SUBGRAPHS 10000               /* subgraphs in one model */
#define INGOT_IMPORT_MAX_ELEMENTS ((int64_t)1 << 40)   /* elements in any declared tensor */

/* Imports the model at path.  External data files are resolved only inside
 * the model's own folder. */
ingot_status_t ingot_import_onnx(const char *path, ingot_graph_t **out) INGOT_MUST_USE;

/* Imports from memory.  source names the model in messages; model_dir is the
 * folder external data is resolved in (NULL: external data is refused). */
ingot_status_t ingot_import_onnx_buffer(const uint8_t *buf, size_t len, const char *source,
                                        const char *model_dir, ingot_graph_t **out) INGOT_MUST_USE;

#endif
