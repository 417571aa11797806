/* Quantization options of `ingot compile` and `ingot quant-report`. */
#include "tools/quant_cli.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tools/cli.h"

void quant_cli_init(quant_cli_t *c) {
  memset(c, 0, sizeof *c);
  ingot_quant_init(&c->q);
}

void quant_cli_free(quant_cli_t *c) { ingot_quant_free(&c->q); }

static const char *const with_value[] = {"--quantize",    "--calibrate",   "--calib-method", "--keep-fp32",
                                         "--error-budget", "--save-scales", "--load-scales", NULL};

static int set_keep(quant_cli_t *c, const char *cmd, const char *val) {
  ingot_quant_t *q = &c->q;
  if (q->keep_given || q->keep_auto) {
    cli_usage(cmd, "--keep-fp32 given twice");
    return -1;
  }
  if (!strcmp(val, "auto")) {
    q->keep_auto = true;
    return 1;
  }
  char *copy = strdup(val), *save = NULL;
  if (!copy) {
    cli_usage(cmd, "out of memory");
    return -1;
  }
  for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
    char **p = realloc(q->keep, (size_t)(q->nkeep + 1) * sizeof *p);
    if (!p || !(p[q->nkeep] = strdup(t))) {
      free(copy);
      if (p) q->keep = p;
      cli_usage(cmd, "out of memory");
      return -1;
    }
    q->keep = p;
    q->nkeep++;
  }
  free(copy);
  if (!q->nkeep) {
    cli_usage(cmd, "--keep-fp32 wants NODE[,NODE...], default, none or auto");
    return -1;
  }
  q->keep_given = true;
  return 1;
}

int quant_cli_option(quant_cli_t *c, const char *cmd, int argc, char **argv, int *i) {
  const char *a = argv[*i], *val = NULL, *opt = NULL;
  ingot_quant_t *q = &c->q;
  if (!strcmp(a, "--per-token")) {
    q->per_token = true;
    return 1;
  }
  for (int k = 0; with_value[k]; k++) {
    size_t l = strlen(with_value[k]);
    if (!strncmp(a, with_value[k], l) && a[l] == '=') {
      opt = with_value[k];
      val = a + l + 1;
    } else if (!strcmp(a, with_value[k])) {
      opt = with_value[k];
      if (*i + 1 >= argc) {
        cli_usage(cmd, "%s needs a value", a);
        return -1;
      }
      val = argv[++*i];
    }
    if (opt) break;
  }
  if (!opt) return 0;
  if (!strcmp(opt, "--quantize")) {
    q->mode = ingot_quant_mode_parse(val);
    if (!q->mode) {
      cli_usage(cmd, "--quantize wants int8-weight, w8a8 or fp8-e4m3, not '%s'", val);
      return -1;
    }
  } else if (!strcmp(opt, "--calibrate")) {
    q->calib_dir = val;
  } else if (!strcmp(opt, "--calib-method")) {
    if (!strcmp(val, "minmax")) {
      q->calib_method = INGOT_CALIB_MINMAX;
    } else if (!strncmp(val, "percentile", 10) && (!val[10] || val[10] == ':')) {
      q->calib_method = INGOT_CALIB_PERCENTILE;
      if (val[10]) {
        char *end;
        double p = strtod(val + 11, &end);
        if (end == val + 11 || *end || !(p > 0 && p <= 100)) {
          cli_usage(cmd, "--calib-method percentile:P wants P in (0, 100], not '%s'", val + 11);
          return -1;
        }
        q->percentile = p;
      }
    } else {
      cli_usage(cmd, "--calib-method wants minmax or percentile[:P], not '%s'", val);
      return -1;
    }
  } else if (!strcmp(opt, "--keep-fp32")) {
    return set_keep(c, cmd, val);
  } else if (!strcmp(opt, "--error-budget")) {
    char *end;
    double e = strtod(val, &end);
    if (end == val || *end || !(e >= 0) || e > 1e9) {
      cli_usage(cmd, "--error-budget wants a relative L2 error >= 0, not '%s'", val);
      return -1;
    }
    q->error_budget = e;
    c->budget_given = 1;
  } else if (!strcmp(opt, "--save-scales")) {
    q->save_scales = val;
  } else if (!strcmp(opt, "--load-scales")) {
    q->load_scales = val;
  }
  return 1;
}

int quant_cli_check(quant_cli_t *c, const char *cmd, bool data_with_scales) {
  ingot_quant_t *q = &c->q;
  bool any = q->calib_dir || q->load_scales || q->save_scales || q->keep_given || q->keep_auto || c->budget_given ||
             q->per_token || q->calib_method != INGOT_CALIB_MINMAX;
  if (!q->mode && any) return cli_usage(cmd, "quantization options need --quantize int8-weight|w8a8|fp8-e4m3");
  if (q->keep_auto && !c->budget_given) return cli_usage(cmd, "--keep-fp32=auto needs --error-budget E");
  if (c->budget_given && !q->keep_auto) return cli_usage(cmd, "--error-budget goes with --keep-fp32=auto");
  if (q->per_token && q->mode != INGOT_QUANT_W8A8) return cli_usage(cmd, "--per-token goes with --quantize w8a8");
  if (q->calib_dir && q->load_scales && !data_with_scales) return cli_usage(cmd, "--calibrate and --load-scales exclude each other");
  return 0;
}

void quant_cli_report(const quant_cli_t *c, size_t weights_bytes, FILE *out) {
  const ingot_quant_t *q = &c->q;
  uint64_t f32 = 0, qb = 0;
  for (int i = 0; i < q->nlayers; i++) {
    f32 += q->layers[i].bytes_fp32;
    qb += q->layers[i].bytes_q;
  }
  fprintf(out, "  quantization: %s%s, %d layers quantized, %d kept in fp32\n", ingot_quant_mode_name(q->mode),
          q->per_token ? " (per-token activations)" : "", q->nlayers, q->nkept);
  for (int i = 0; i < q->nkept; i++) fprintf(out, "    fp32: %s (%s)\n", q->kept[i].layer, q->kept[i].why);
  fprintf(out, "    weights of quantized layers: %llu -> %llu bytes (%.2fx less)\n", (unsigned long long)f32,
          (unsigned long long)qb, qb ? (double)f32 / (double)qb : 1.0);
  uint64_t as_fp32 = (uint64_t)weights_bytes + f32 - qb;
  fprintf(out, "    weights file: %zu bytes, %llu as fp32 (%.2fx less)\n", weights_bytes, (unsigned long long)as_fp32,
          weights_bytes ? (double)as_fp32 / (double)weights_bytes : 1.0);
  fprintf(out, "    scale table hash: %016llx%s%s\n", (unsigned long long)q->hash, q->save_scales ? ", saved to " : "",
          q->save_scales ? q->save_scales : "");
}

void quant_cli_json_str(FILE *f, const char *s) {
  fputc('"', f);
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p == '"' || *p == '\\') fprintf(f, "\\%c", *p);
    else if (*p < 0x20 || *p == 0x7f) fprintf(f, "\\u%04x", *p);
    else fputc(*p, f);
  }
  fputc('"', f);
}

void quant_cli_json_num(FILE *f, double v) {
  if (isfinite(v)) fprintf(f, "%.6g", v);
  else fputs("null", f);
}

ingot_status_t quant_cli_expose(ingot_graph_t *g, const char *name, int32_t *idx) {
  int32_t v = ingot_graph_find(g, name);
  *idx = -1;
  if (v < 0) return INGOT_OK;
  for (uint32_t o = 0; o < g->noutputs; o++)
    if (g->outputs[o] == v) {
      *idx = (int32_t)o;
      return INGOT_OK;
    }
  *idx = (int32_t)g->noutputs;
  return ingot_graph_add_output(g, v);
}
