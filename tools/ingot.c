#include <stdio.h>
#include <string.h>

#include "frontend/onnx_import.h"

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: ingot inspect model.onnx\n");
    return 1;
  }
  ingot_graph_t *g;
  ingot_status_t st = ingot_import_onnx(argv[2], &g);
  if (st) {
    fprintf(stderr, "error: %s\n", ingot_status_message(st));
    int rc = ingot_status_exit_code(st);
    ingot_status_free(st);
    return rc;
  }
  printf("opset %lld nodes %u values %u\n", (long long)g->opset, g->nnodes, g->nvalues);
  ingot_graph_free(g);
  return 0;
}
