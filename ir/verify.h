/* The IR verifier and the whole-model checker behind `ingot check`.
 *
 *   INGOT_RETURN_IF_ERROR(ingot_verify(g));        // structure: first problem
 *   INGOT_RETURN_IF_ERROR(ingot_infer_shapes(g));
 *   INGOT_RETURN_IF_ERROR(ingot_verify_typed(g));  // ... and every output typed
 *
 *   int n = ingot_check_all(g, print_diag, stderr); // every problem, not one
 *
 * ingot_verify is cheap enough to run between passes in debug builds.  It
 * checks: the default-domain opset is within 13..20; every node's input and
 * output counts against ops.def; every input index is in range, defined
 * (graph input, initializer, outer value, constant data, or the output of an
 * earlier node), and -1 only in optional slots; one producer per value,
 * matching values[v].producer; topological order (so no cycles); attribute
 * types against the schema in ops.def, required ('!') attributes present,
 * no attribute given twice; value types well formed (rank, dims, symbols,
 * symval); graph inputs/outputs in range and defined; subgraphs, recursively.
 * The first problem is returned, naming the node.
 *
 * Unknown ops (INGOT_OP_UNKNOWN) are left to ingot_check_all and inference;
 * INGOT_OP_NOP nodes are skipped; INGOT_OP_FUSED nodes get the index, order
 * and producer checks but no arity or attribute checks. */
#ifndef INGOT_VERIFY_H
#define INGOT_VERIFY_H

#include "ir.h"

#define INGOT_MIN_OPSET 13
#define INGOT_MAX_OPSET 20

ingot_status_t ingot_verify(const ingot_graph_t *g) INGOT_MUST_USE;

/* ingot_verify, and (after inference) every output of a node with a known
 * op other than If/Loop/Scan has a dtype and a known rank. */
ingot_status_t ingot_verify_typed(const ingot_graph_t *g) INGOT_MUST_USE;

/* The first problem with one node's attributes: a type that differs from
 * the schema or a missing required attribute (INGOT_CODE_INPUT), an
 * attribute the schema does not know or a value ingot does not support,
 * e.g. Resize mode "cubic" (INGOT_CODE_UNSUPPORTED), a value the ONNX spec
 * does not allow, e.g. Conv auto_pad "FOO" (INGOT_CODE_INPUT).  Shape
 * inference calls this before it reads any attribute. */
ingot_status_t ingot_verify_node_attrs(const ingot_graph_t *g, int32_t node) INGOT_MUST_USE;

/* May input slot i of op be omitted (-1)?  Slots past ops.def's minimum of
 * a fixed-arity op, and Loop's M and cond; never a variadic input. */
bool ingot_op_input_optional(int op, uint32_t i);

/* Receives each problem ingot_check_all finds; fn owns st (and frees it). */
typedef void (*ingot_diag_fn)(void *user, ingot_status_t st);

/* Reports every problem that stops ingot from compiling g, without stopping
 * at the first: unsupported ops and domains (with node name, index and op),
 * control flow (If/Loop/Scan are verified but not executed), attributes of
 * the wrong type, unknown to the schema, or with unsupported values,
 * missing required attributes, unsupported dtypes on graph inputs,
 * initializers, constants and Cast targets, and an unsupported opset (the
 * default domain outside 13..20, or a non-default domain that a node uses).
 * Subgraphs are checked too.  fn may be NULL (just count).  Returns the
 * number of problems reported. */
int ingot_check_all(const ingot_graph_t *g, ingot_diag_fn fn, void *user);

#endif
