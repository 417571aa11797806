/* ingot quant-report: the float32 and the quantized graph side by side in the
 * reference evaluator, on a calibration set.
 *
 *   ingot quant-report model.onnx --quantize w8a8 --calibrate calib/ [--json]
 *
 * For every quantized layer: the relative L2 error and the SQNR of its output
 * (quantized graph vs float32 graph, summed over all samples: the error a
 * layer's output carries in the fully quantized model, its own plus what
 * arrives from upstream), worst first; then the end-to-end error of each
 * graph output.  --json prints one JSON object instead (schema in README). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "passes/quantize.h"
#include "tools/cli.h"
#include "tools/quant_cli.h"

typedef struct {
  const ingot_qlayer_t *l;
  int out_f, out_q; /* indices among the graphs' outputs */
  ingot_err_t e;
} row_t;

static int cmp_row(const void *a, const void *b) {
  const row_t *x = a, *y = b;
  double ex = ingot_err_rel(&x->e), ey = ingot_err_rel(&y->e);
  if (ex != ey) return ex > ey ? -1 : 1;
  return strcmp(x->l->layer, y->l->layer);
}

int cmd_quant_report(int argc, char **argv) {
  for (int i = 1; i < argc; i++) /* error along a sampling run: tools/cmd_quant_trajectory.c */
    if (!strcmp(argv[i], "--trajectory")) return cmd_quant_trajectory(argc, argv);
  const char *path = NULL;
  int json = 0;
  quant_cli_t qc;
  quant_cli_init(&qc);
  int rc = 0;
  for (int i = 1; i < argc; i++) {
    int r = quant_cli_option(&qc, "quant-report", argc, argv, &i);
    if (r < 0) {
      quant_cli_free(&qc);
      return 1;
    }
    if (r > 0) continue;
    if (!strcmp(argv[i], "--json")) json = 1;
    else if (argv[i][0] == '-') {
      quant_cli_free(&qc);
      return cli_usage("quant-report", "unknown option '%s'", argv[i]);
    } else if (!path) path = argv[i];
    else {
      quant_cli_free(&qc);
      return cli_usage("quant-report", "more than one model given");
    }
  }
  ingot_quant_t *q = &qc.q;
  if (!path || !q->mode || !q->calib_dir) {
    quant_cli_free(&qc);
    return cli_usage("quant-report", "usage: ingot quant-report MODEL.onnx --quantize MODE --calibrate DIR [--json]");
  }
  if (q->save_scales) {
    quant_cli_free(&qc);
    return cli_usage("quant-report", "--save-scales is an option of ingot compile");
  }
  if ((rc = quant_cli_check(&qc, "quant-report", true)) != 0) {
    quant_cli_free(&qc);
    return rc;
  }
  rc = 0;
  ingot_graph_t *gf = NULL, *gq = NULL;
  ingot_calib_set_t cs = {0};
  row_t *rows = NULL;
  ingot_err_t *e2e = NULL;
  ingot_tensor_t *of = NULL, *oq = NULL;
  uint32_t nmodel = 0;
  ingot_status_t st = ingot_quant_prepare(q, path, json ? NULL : stderr);
  if (!st) st = ingot_quant_load_fp32(path, NULL, &gf);
  if (!st) st = ingot_calib_load(gf, q->calib_dir, &cs);
  if (!st) {
    ingot_graph_free(gf);
    gf = NULL;
    st = ingot_quant_load_fp32(path, &cs, &gf);
  }
  if (!st) st = ingot_quant_load_quantized(path, &cs, q, &gq);
  if (!st) {
    nmodel = gf->noutputs;
    rows = calloc((size_t)q->nlayers + 1, sizeof *rows);
    e2e = calloc(nmodel + 1, sizeof *e2e);
    if (!rows || !e2e) st = ingot_error(INGOT_CODE_NOMEM, "out of memory");
  }
  int nrows = 0;
  for (int i = 0; !st && i < q->nlayers; i++) {
    row_t *r = &rows[nrows];
    r->l = &q->layers[i];
    st = quant_cli_expose(gf, r->l->output, &r->out_f);
    if (!st) st = quant_cli_expose(gq, r->l->output, &r->out_q);
    if (!st && r->out_f >= 0 && r->out_q >= 0) nrows++;
  }
  if (!st) {
    of = calloc(gf->noutputs + 1, sizeof *of);
    oq = calloc(gq->noutputs + 1, sizeof *oq);
    if (!of || !oq) st = ingot_error(INGOT_CODE_NOMEM, "out of memory");
  }
  for (int s = 0; !st && s < cs.nsamples; s++) {
    if (!json && isatty(2)) fprintf(stderr, "\r[ingot] comparing: sample %d/%d   ", s + 1, cs.nsamples);
    st = ingot_calib_run(gf, &cs, s, of);
    if (!st) st = ingot_calib_run(gq, &cs, s, oq);
    for (uint32_t o = 0; !st && o < nmodel; o++) ingot_err_add(&e2e[o], &oq[o], &of[o]);
    for (int r = 0; !st && r < nrows; r++) ingot_err_add(&rows[r].e, &oq[rows[r].out_q], &of[rows[r].out_f]);
    for (uint32_t o = 0; o < gf->noutputs; o++) ingot_tensor_release(&of[o]);
    for (uint32_t o = 0; o < gq->noutputs; o++) ingot_tensor_release(&oq[o]);
  }
  if (!json && isatty(2)) fprintf(stderr, "\r%60s\r", "");
  if (!st) {
    qsort(rows, (size_t)nrows, sizeof *rows, cmp_row);
    const char *method = q->load_scales ? "loaded" : q->calib_method == INGOT_CALIB_PERCENTILE ? "percentile" : "minmax";
    if (json) {
      printf("{\"model\": ");
      quant_cli_json_str(stdout, path);
      printf(", \"mode\": \"%s\", \"per_token\": %s, \"calibration\": {\"method\": \"%s\", \"percentile\": ",
             ingot_quant_mode_name(q->mode), q->per_token ? "true" : "false", method);
      quant_cli_json_num(stdout, q->calib_method == INGOT_CALIB_PERCENTILE ? q->percentile : NAN);
      printf(", \"samples\": %d}, \"scale_table_hash\": \"%016llx\", \"layers\": [", cs.nsamples,
             (unsigned long long)q->hash);
      for (int r = 0; r < nrows; r++) {
        printf("%s{\"layer\": ", r ? ", " : "");
        quant_cli_json_str(stdout, rows[r].l->layer);
        printf(", \"op\": \"%s\", \"rel_l2\": ", rows[r].l->op);
        quant_cli_json_num(stdout, ingot_err_rel(&rows[r].e));
        printf(", \"sqnr_db\": ");
        quant_cli_json_num(stdout, ingot_err_sqnr(&rows[r].e));
        printf(", \"max_abs\": ");
        quant_cli_json_num(stdout, rows[r].e.maxabs);
        printf(", \"act_scale\": ");
        quant_cli_json_num(stdout, rows[r].l->act_scale);
        printf("}");
      }
      printf("], \"kept_fp32\": [");
      for (int i = 0; i < q->nkept; i++) {
        printf("%s{\"layer\": ", i ? ", " : "");
        quant_cli_json_str(stdout, q->kept[i].layer);
        printf(", \"why\": ");
        quant_cli_json_str(stdout, q->kept[i].why);
        printf("}");
      }
      printf("], \"end_to_end\": [");
      for (uint32_t o = 0; o < nmodel; o++) {
        printf("%s{\"output\": ", o ? ", " : "");
        quant_cli_json_str(stdout, gf->values[gf->outputs[o]].name);
        printf(", \"rel_l2\": ");
        quant_cli_json_num(stdout, ingot_err_rel(&e2e[o]));
        printf(", \"sqnr_db\": ");
        quant_cli_json_num(stdout, ingot_err_sqnr(&e2e[o]));
        printf(", \"max_abs\": ");
        quant_cli_json_num(stdout, e2e[o].maxabs);
        printf("}");
      }
      printf("]}\n");
    } else {
      printf("ingot quant-report: %s, %s%s, %s calibration, %d sample(s)\n", path, ingot_quant_mode_name(q->mode),
             q->per_token ? " (per-token activations)" : "", method, cs.nsamples);
      printf("  %d layers quantized, %d kept in fp32%s\n", q->nlayers, q->nkept, q->nkept ? ":" : "");
      for (int i = 0; i < q->nkept; i++) printf("    %s (%s)\n", q->kept[i].layer, q->kept[i].why);
      printf("  per quantized layer, worst first (output vs the fp32 graph's):\n");
      printf("  %-56s %-7s %11s %9s %11s\n", "layer", "op", "rel L2", "SQNR dB", "max abs");
      for (int r = 0; r < nrows; r++)
        printf("  %-56s %-7s %11.4e %9.2f %11.4e\n", rows[r].l->layer, rows[r].l->op, ingot_err_rel(&rows[r].e),
               ingot_err_sqnr(&rows[r].e), rows[r].e.maxabs);
      printf("  end to end:\n");
      for (uint32_t o = 0; o < nmodel; o++)
        printf("  output %-49s rel L2 %.4e, SQNR %.2f dB, max abs %.4e\n", gf->values[gf->outputs[o]].name,
               ingot_err_rel(&e2e[o]), ingot_err_sqnr(&e2e[o]), e2e[o].maxabs);
      printf("  scale table hash: %016llx\n", (unsigned long long)q->hash);
    }
  }
  free(of);
  free(oq);
  free(rows);
  free(e2e);
  ingot_calib_free(&cs);
  ingot_graph_free(gf);
  ingot_graph_free(gq);
  quant_cli_free(&qc);
  if (st) return cli_fail(st);
  return rc;
}
