/* The IR printer: one stable text form used by --dump-after, inspect and
 * tests.  Example:
 *
 *   graph 'main_graph' (opset 17, ir_version 8)
 *     input  x: float32[batch,4,16,16]
 *     init   w: float32[64,4,2,2] (4096 bytes)
 *     node #0 'Conv_0' Conv(x, w, b) -> h: float32[batch,64,8,8] {strides=[2,2]}
 *     output out: float32[batch,8,16,16]
 */
#include <inttypes.h>
#include <string.h>

#include "ir.h"

static void print_attr(FILE *f, const ingot_graph_t *g, const ingot_attr_t *a, int indent) {
  fprintf(f, "%s=", a->name);
  switch (a->type) {
    case INGOT_ATTR_FLOAT: fprintf(f, "%g", (double)a->f); break;
    case INGOT_ATTR_INT: fprintf(f, "%" PRId64, a->i); break;
    case INGOT_ATTR_STRING: fprintf(f, "\"%s\"", a->s); break;
    case INGOT_ATTR_INTS:
      fputc('[', f);
      for (size_t i = 0; i < a->n && i < 16; i++) fprintf(f, "%s%" PRId64, i ? "," : "", a->ints[i]);
      fprintf(f, "%s]", a->n > 16 ? ",..." : "");
      break;
    case INGOT_ATTR_FLOATS:
      fputc('[', f);
      for (size_t i = 0; i < a->n && i < 16; i++) fprintf(f, "%s%g", i ? "," : "", (double)a->floats[i]);
      fprintf(f, "%s]", a->n > 16 ? ",..." : "");
      break;
    case INGOT_ATTR_STRINGS:
      fputc('[', f);
      for (size_t i = 0; i < a->n && i < 16; i++) fprintf(f, "%s\"%s\"", i ? "," : "", a->strings[i]);
      fprintf(f, "%s]", a->n > 16 ? ",..." : "");
      break;
    case INGOT_ATTR_TENSOR: {
      fprintf(f, "tensor<%s[", ingot_dtype_name(a->t->dtype));
      for (int i = 0; i < a->t->rank; i++) fprintf(f, "%s%" PRId64, i ? "," : "", a->t->dims[i]);
      fprintf(f, "]>");
      break;
    }
    case INGOT_ATTR_GRAPH:
    case INGOT_ATTR_GRAPHS: {
      size_t n = a->type == INGOT_ATTR_GRAPH ? 1 : a->n;
      fprintf(f, "{\n");
      for (size_t i = 0; i < n; i++) {
        const ingot_graph_t *sub = a->type == INGOT_ATTR_GRAPH ? a->g : a->gs[i];
        if (sub) {
          for (int k = 0; k < indent + 4; k++) fputc(' ', f);
          fprintf(f, "subgraph '%s' {\n", sub->name);
          (void)g;
          /* nested print, indented by the caller's depth */
          ingot_graph_print(f, sub);
          for (int k = 0; k < indent + 4; k++) fputc(' ', f);
          fprintf(f, "}\n");
        }
      }
      for (int k = 0; k < indent + 2; k++) fputc(' ', f);
      fputc('}', f);
      break;
    }
    default: fprintf(f, "<%s>", ingot_attr_type_name(a->type)); break;
  }
}

static void print_value(FILE *f, const ingot_graph_t *g, int32_t v) {
  char buf[256];
  if (v < 0) {
    fprintf(f, "_");
    return;
  }
  const ingot_value_t *val = &g->values[v];
  fprintf(f, "%s: %s%s", val->name, ingot_dtype_name(val->type.dtype), ingot_type_str(g, &val->type, buf, sizeof buf));
}

void ingot_graph_print(FILE *f, const ingot_graph_t *g) {
  int ind = g->depth * 4;
  char pad[256];
  int n = ind < 200 ? ind : 200;
  memset(pad, ' ', (size_t)n);
  pad[n] = 0;
  if (!g->parent)
    fprintf(f, "graph '%s' (opset %" PRId64 ", ir_version %" PRId64 ")\n", g->name, g->opset, g->ir_version);
  for (uint32_t i = 0; i < g->ninputs; i++) {
    fprintf(f, "%s  input  ", pad);
    print_value(f, g, g->inputs[i]);
    fputc('\n', f);
  }
  for (uint32_t v = 0; v < g->nvalues; v++) {
    if (!(g->values[v].flags & INGOT_VAL_INIT)) continue;
    fprintf(f, "%s  init   ", pad);
    print_value(f, g, (int32_t)v);
    fprintf(f, " (%zu bytes)\n", g->values[v].nbytes);
  }
  for (uint32_t i = 0; i < g->nnodes; i++) {
    const ingot_node_t *nd = &g->nodes[i];
    if (nd->op == INGOT_OP_NOP) continue;
    fprintf(f, "%s  node #%u '%s' %s%s%s(", pad, i, nd->name, *nd->domain ? nd->domain : "", *nd->domain ? "::" : "",
            nd->op_type);
    for (uint32_t k = 0; k < nd->ninputs; k++)
      fprintf(f, "%s%s", k ? ", " : "", nd->inputs[k] >= 0 ? g->values[nd->inputs[k]].name : "_");
    fprintf(f, ") -> ");
    for (uint32_t k = 0; k < nd->noutputs; k++) {
      if (k) fprintf(f, ", ");
      print_value(f, g, nd->outputs[k]);
    }
    if (nd->nattrs) {
      fprintf(f, " {");
      for (uint32_t k = 0; k < nd->nattrs; k++) {
        if (k) fprintf(f, ", ");
        print_attr(f, g, &nd->attrs[k], ind);
      }
      fprintf(f, "}");
    }
    fputc('\n', f);
  }
  for (uint32_t i = 0; i < g->noutputs; i++) {
    fprintf(f, "%s  output ", pad);
    print_value(f, g, g->outputs[i]);
    fputc('\n', f);
  }
}
