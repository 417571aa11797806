/* ingot inspect: what a model is, at a glance. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/cli.h"

typedef struct {
  const char *op;
  uint32_t count;
} op_count_t;

static int cmp_count(const void *a, const void *b) {
  const op_count_t *x = a, *y = b;
  if (x->count != y->count) return x->count < y->count ? 1 : -1;
  return strcmp(x->op, y->op);
}

static void human_bytes(uint64_t b, char *buf, size_t len) {
  if (b >= (1u << 20)) snprintf(buf, len, "%.2f MiB", (double)b / (1 << 20));
  else if (b >= 1024) snprintf(buf, len, "%.1f KiB", (double)b / 1024);
  else snprintf(buf, len, "%" PRIu64 " B", b);
}

static void print_io(const ingot_graph_t *g, const char *title, const int32_t *ids, uint32_t n) {
  char buf[256];
  printf("%s:\n", title);
  for (uint32_t i = 0; i < n; i++) {
    const ingot_value_t *v = &g->values[ids[i]];
    printf("  %-24s %-8s %s\n", v->name, ingot_dtype_name(v->type.dtype), ingot_type_str(g, &v->type, buf, sizeof buf));
  }
}

int cmd_inspect(int argc, char **argv) {
  const char *path = NULL;
  int values = 0;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--values")) values = 1;
    else if (argv[i][0] == '-') return cli_usage("inspect", "unknown option '%s'", argv[i]);
    else if (!path) path = argv[i];
    else return cli_usage("inspect", "more than one model given");
  }
  if (!path) return cli_usage("inspect", "no model given: ingot inspect MODEL.onnx [--values]");
  ingot_graph_t *g;
  ingot_status_t st = cli_load_model(path, &g);
  if (st) return cli_fail(st);

  printf("model:    %s\n", path);
  printf("producer: %s\n", *g->producer_name ? g->producer_name : "(unknown)");
  printf("ir:       version %" PRId64 "\n", g->ir_version);
  printf("opsets:  ");
  for (uint32_t i = 0; i < g->nopsets; i++)
    printf(" %s %" PRId64, *g->opsets[i].domain ? g->opsets[i].domain : "ai.onnx", g->opsets[i].version);
  printf("\n");
  print_io(g, "inputs", g->inputs, g->ninputs);
  print_io(g, "outputs", g->outputs, g->noutputs);

  uint64_t params = 0, bytes = 0;
  uint32_t ninit = 0;
  for (uint32_t v = 0; v < g->nvalues; v++) {
    const ingot_value_t *val = &g->values[v];
    if (!(val->flags & INGOT_VAL_INIT)) continue;
    int64_t n = 0;
    if (ingot_type_numel(&val->type, &n)) params += (uint64_t)n;
    bytes += val->nbytes;
    ninit++;
  }
  char hb[64];
  human_bytes(bytes, hb, sizeof hb);
  printf("parameters: %" PRIu64 " in %u initializers, %" PRIu64 " bytes (%s)\n", params, ninit, bytes, hb);

  op_count_t *hist = calloc(g->nnodes + 1, sizeof *hist);
  uint32_t nh = 0;
  if (!hist) return cli_fail(ingot_error(INGOT_CODE_NOMEM, "out of memory"));
  for (uint32_t i = 0; i < g->nnodes; i++) {
    const char *op = g->nodes[i].op_type;
    uint32_t k = 0;
    while (k < nh && strcmp(hist[k].op, op)) k++;
    if (k == nh) hist[nh++].op = op;
    hist[k].count++;
  }
  qsort(hist, nh, sizeof *hist, cmp_count);
  printf("ops: %u nodes, %u kinds\n", g->nnodes, nh);
  for (uint32_t k = 0; k < nh; k++) printf("  %-24s %u\n", hist[k].op, hist[k].count);
  free(hist);

  if (values) {
    char buf[256];
    printf("values:\n");
    for (uint32_t i = 0; i < g->nnodes; i++) {
      const ingot_node_t *nd = &g->nodes[i];
      for (uint32_t o = 0; o < nd->noutputs; o++) {
        if (nd->outputs[o] < 0) continue;
        const ingot_value_t *v = &g->values[nd->outputs[o]];
        printf("  %-40s %-8s %-20s <- %s '%s'\n", v->name, ingot_dtype_name(v->type.dtype),
               ingot_type_str(g, &v->type, buf, sizeof buf), nd->op_type, nd->name);
      }
    }
  }
  ingot_graph_free(g);
  return 0;
}
