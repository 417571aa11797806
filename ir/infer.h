/* Shape and dtype inference.
 *
 *   ingot_graph_t *g;
 *   INGOT_RETURN_IF_ERROR(ingot_import_onnx("model.onnx", &g));
 *   INGOT_RETURN_IF_ERROR(ingot_infer_shapes(g));
 *   // every node output now has values[v].type (dtype, rank, dims)
 *
 * Follows the ONNX operator specs (default domain, opsets 13-20) for every
 * op in ops.def.  If/Loop/Scan bodies are inferred recursively; If and Loop
 * outputs take their types from the bodies, Scan outputs get the body's
 * dtypes with unknown rank.
 *
 * Dims are concrete or symbolic (ir.h).  Symbols travel through
 * broadcasting, reshapes and shape arithmetic; a dim that cannot be known
 * gets a fresh anonymous symbol, and a dim derived from symbols by
 * arithmetic gets an interned symbol named after the expression
 * ("batch*64", "(batch+1)"), so the same expression computed twice yields
 * the same symbol.
 *
 * Small int tensors (0-D/1-D, at most INGOT_INFER_MAX_SYMVAL elements, int64
 * or int32, plus the bool results of Equal on them) get their contents in
 * values[v].symval, as torch's shape subgraphs compute them: Constant,
 * initializers, Shape, Size, Gather, Slice, Concat, (Un)Squeeze, Reshape,
 * Identity, Cast, Add/Sub/Mul/Div/Neg, Equal, Where, Range, ConstantOfShape,
 * Expand, ReduceProd.  Reshape, Expand, Slice, Tile, Pad, Split, Resize,
 * Range, ConstantOfShape and the axes inputs consume them.
 *
 * A graph output declared in the file must agree with what is inferred
 * (dtype, rank, concrete dims); the inferred type is kept, except that a
 * declared concrete or named dim replaces an inferred anonymous one.
 *
 * Running inference again (after passes) recomputes every node output.
 * Errors name the node: "model.onnx: node 'MatMul_3' (#3, MatMul): MatMul
 * inner dims differ: [2,3] x [4,5]". */
#ifndef INGOT_INFER_H
#define INGOT_INFER_H

#include "ir.h"

/* Largest tensor whose contents inference tracks in symval. */
#define INGOT_INFER_MAX_SYMVAL 64
/* Largest element count inference accepts for any tensor (hostile dims). */
#define INGOT_INFER_MAX_ELEMENTS ((int64_t)1 << 40)

/* Fills values[v].type (and symval where known) for every node output of g
 * and its subgraphs, in node order (nodes must be topologically sorted). */
ingot_status_t ingot_infer_shapes(ingot_graph_t *g) INGOT_MUST_USE;

/* Infers one node, reading its inputs' current types.  For passes that add
 * or rewrite a node in an already-inferred graph. */
ingot_status_t ingot_infer_node(ingot_graph_t *g, int32_t node) INGOT_MUST_USE;

#endif
