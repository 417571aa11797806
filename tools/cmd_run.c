/* ingot run: the reference evaluator on .npy inputs, outputs as .npy. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "interp/interp.h"
#include "runtime/ingot_npy.h"
#include "tools/cli.h"

typedef struct {
  const char *name;
  const char *file;
  int used;
} input_arg_t;

/* mkdir -p */
static ingot_status_t make_dirs(const char *dir) {
  char *p = strdup(dir);
  if (!p) return ingot_error(INGOT_CODE_NOMEM, "out of memory");
  ingot_status_t st = INGOT_OK;
  for (char *s = p + 1;; s++) {
    if (*s == '/' || *s == 0) {
      char c = *s;
      *s = 0;
      if (mkdir(p, 0777) != 0 && errno != EEXIST)
        st = ingot_error(INGOT_CODE_IO, "cannot create output folder '%s': %s", p, strerror(errno));
      *s = c;
      if (st || c == 0) break;
    }
  }
  free(p);
  if (!st) {
    struct stat sb;
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
      st = ingot_error(INGOT_CODE_IO, "output folder '%s' is not a folder", dir);
  }
  return st;
}

/* Output names come from the model: keep them from escaping DIR. */
static void safe_file_name(const char *name, char *buf, size_t len) {
  size_t o = 0;
  for (const char *p = name; *p && o + 1 < len; p++) {
    char c = *p;
    int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
             (c == '.' && o > 0);
    buf[o++] = ok ? c : '_';
  }
  if (o == 0 && len > 1) buf[o++] = '_';
  buf[o] = 0;
}

static ingot_status_t load_inputs(const ingot_graph_t *g, input_arg_t *args, int nargs, ingot_npy_t *npys,
                                  ingot_tensor_t *inputs) {
  for (uint32_t i = 0; i < g->ninputs; i++) {
    const ingot_value_t *v = &g->values[g->inputs[i]];
    int found = -1;
    for (int a = 0; a < nargs; a++)
      if (!strcmp(args[a].name, v->name)) {
        if (found >= 0) return ingot_error(INGOT_CODE_INPUT, "input '%s' is given twice", v->name);
        found = a;
      }
    if (found < 0) {
      char buf[256];
      return ingot_error(INGOT_CODE_INPUT, "input '%s' (%s %s) is missing: pass --input %s=FILE.npy", v->name,
                         ingot_dtype_name(v->type.dtype), ingot_type_str(g, &v->type, buf, sizeof buf), v->name);
    }
    args[found].used = 1;
    char err[512];
    if (ingot_npy_read(args[found].file, &npys[i], err, sizeof err) != 0)
      return ingot_error(INGOT_CODE_INPUT, "input '%s': %s", v->name, err);
    inputs[i] = ingot_tensor_view(npys[i].dtype, npys[i].rank, npys[i].dims, npys[i].data, npys[i].nbytes);
  }
  for (int a = 0; a < nargs; a++)
    if (!args[a].used) return ingot_error(INGOT_CODE_INPUT, "the model has no input named '%s'", args[a].name);
  return INGOT_OK;
}

int cmd_run(int argc, char **argv) {
  const char *path = NULL, *outdir = NULL;
  int threads = 1;
  input_arg_t *args = calloc((size_t)argc + 1, sizeof *args);
  int nargs = 0;
  if (!args) return cli_fail(ingot_error(INGOT_CODE_NOMEM, "out of memory"));
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--input") || !strcmp(a, "--output-dir") || !strcmp(a, "--threads")) {
      if (i + 1 >= argc) {
        free(args);
        return cli_usage("run", "%s needs a value", a);
      }
      const char *val = argv[++i];
      if (!strcmp(a, "--output-dir")) {
        outdir = val;
      } else if (!strcmp(a, "--threads")) {
        char *end;
        long t = strtol(val, &end, 10);
        if (*end || t < 1 || t > 1024) {
          free(args);
          return cli_usage("run", "--threads wants a number from 1 to 1024, not '%s'", val);
        }
        threads = (int)t;
      } else {
        const char *eq = strchr(val, '=');
        if (!eq || eq == val || !eq[1]) {
          free(args);
          return cli_usage("run", "--input wants NAME=FILE.npy, not '%s'", val);
        }
        args[nargs].name = strndup(val, (size_t)(eq - val));
        args[nargs].file = eq + 1;
        nargs++;
      }
    } else if (a[0] == '-') {
      free(args);
      return cli_usage("run", "unknown option '%s'", a);
    } else if (!path) {
      path = a;
    } else {
      free(args);
      return cli_usage("run", "more than one model given");
    }
  }
  int rc = 0;
  if (!path || !outdir) {
    rc = cli_usage("run", "usage: ingot run MODEL.onnx --input NAME=FILE.npy ... --output-dir DIR");
    goto out_args;
  }
  ingot_graph_t *g;
  ingot_status_t st = cli_load_model(path, &g);
  if (st) {
    rc = cli_fail(st);
    goto out_args;
  }
  ingot_npy_t *npys = calloc(g->ninputs + 1, sizeof *npys);
  ingot_tensor_t *inputs = calloc(g->ninputs + 1, sizeof *inputs);
  ingot_tensor_t *outputs = calloc(g->noutputs + 1, sizeof *outputs);
  if (!npys || !inputs || !outputs) st = ingot_error(INGOT_CODE_NOMEM, "out of memory");
  if (!st) st = load_inputs(g, args, nargs, npys, inputs);
  if (!st) st = make_dirs(outdir);
  if (!st) {
    ingot_interp_opts_t opts = {threads, true};
    st = ingot_interp_run(g, &opts, inputs, outputs);
  }
  for (uint32_t i = 0; !st && i < g->noutputs; i++) {
    const ingot_value_t *v = &g->values[g->outputs[i]];
    char fname[256], err[512];
    safe_file_name(v->name, fname, sizeof fname);
    size_t plen = strlen(outdir) + strlen(fname) + 8;
    char *p = malloc(plen);
    if (!p) {
      st = ingot_error(INGOT_CODE_NOMEM, "out of memory");
      break;
    }
    snprintf(p, plen, "%s/%s.npy", outdir, fname);
    if (ingot_npy_write(p, outputs[i].dtype, outputs[i].rank, outputs[i].dims, outputs[i].data, err, sizeof err) != 0)
      st = ingot_error(INGOT_CODE_IO, "output '%s': %s", v->name, err);
    else
      printf("wrote %s\n", p);
    free(p);
  }
  for (uint32_t i = 0; i < g->noutputs && outputs; i++) ingot_tensor_release(&outputs[i]);
  for (uint32_t i = 0; i < g->ninputs && npys; i++) ingot_npy_free(&npys[i]);
  free(npys);
  free(inputs);
  free(outputs);
  ingot_graph_free(g);
  if (st) rc = cli_fail(st);
out_args:
  for (int i = 0; i < nargs; i++) free((char *)args[i].name);
  free(args);
  return rc;
}
