/* Bucket input/output tables (cg_io.h). */
#include "codegen/cg_io.h"

#include <stdlib.h>
#include <string.h>

static ingot_status_t record_list(cg_io_list_t *l, const ingot_graph_t *g, const int32_t *vals, uint32_t n,
                                  const char *what) {
  l->n = (int32_t)n;
  l->names = calloc((size_t)n + 1, sizeof *l->names);
  l->dtype = calloc((size_t)n + 1, sizeof *l->dtype);
  l->rank = calloc((size_t)n + 1, sizeof *l->rank);
  l->dims = calloc((size_t)n + 1, sizeof *l->dims);
  if (!l->names || !l->dtype || !l->rank || !l->dims) return ingot_error(INGOT_CODE_NOMEM, "out of memory");
  for (uint32_t i = 0; i < n; i++) {
    const ingot_value_t *v = &g->values[vals[i]];
    if (!ingot_type_is_static(&v->type))
      return ingot_error(INGOT_CODE_INPUT, "%s: %s '%s' has a symbolic shape: compile with --batch N or --bucket",
                         g->source, what, v->name);
    l->names[i] = strdup(v->name);
    if (!l->names[i]) return ingot_error(INGOT_CODE_NOMEM, "out of memory");
    l->dtype[i] = v->type.dtype;
    l->rank[i] = v->type.rank;
    for (int d = 0; d < v->type.rank; d++) l->dims[i][d] = v->type.dims[d].v;
  }
  return INGOT_OK;
}

ingot_status_t cg_io_record(cg_io_table_t *t, const ingot_graph_t *g) {
  memset(t, 0, sizeof *t);
  INGOT_RETURN_IF_ERROR(record_list(&t->in, g, g->inputs, g->ninputs, "input"));
  return record_list(&t->out, g, g->outputs, g->noutputs, "output");
}

static void free_list(cg_io_list_t *l) {
  for (int32_t i = 0; l->names && i < l->n; i++) free(l->names[i]);
  free(l->names);
  free(l->dtype);
  free(l->rank);
  free(l->dims);
  memset(l, 0, sizeof *l);
}

void cg_io_free(cg_io_table_t *t) {
  free_list(&t->in);
  free_list(&t->out);
}
