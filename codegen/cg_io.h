/* The input/output table of one compiled bucket: each graph input's and
 * output's name, dtype and static shape, recorded from the graph and emitted
 * into the model descriptor by both backends (cg_core.c for the CPU,
 * gpu_host.c for the GPU). */
#ifndef INGOT_CG_IO_H
#define INGOT_CG_IO_H

#include "ir/ir.h"

typedef struct {
  int32_t n;
  char **names;
  int32_t *dtype, *rank;
  int64_t (*dims)[INGOT_MAX_RANK];
} cg_io_list_t;

typedef struct {
  cg_io_list_t in, out;
} cg_io_table_t;

/* Fills t from g's inputs and outputs; every one must have a static shape
 * (an INGOT_CODE_INPUT error naming it otherwise).  On failure t may be
 * partly filled: cg_io_free it either way. */
ingot_status_t cg_io_record(cg_io_table_t *t, const ingot_graph_t *g) INGOT_MUST_USE;
void cg_io_free(cg_io_table_t *t);

#endif
