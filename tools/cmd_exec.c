/* ingot exec: run any model compiled with --shared, without writing C. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "interp/interp.h"
#include "runtime/ingot_npy.h"
#include "runtime/ingot_rt.h"
#include "tools/cli.h"

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int cmd_exec(int argc, char **argv) {
  const char *lib = NULL, *outdir = NULL, *weights = NULL;
  int threads = 1, iters = 1, bucket = -1;
  const char *names[64], *files[64];
  int nin = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--input") || !strcmp(a, "--output-dir") || !strcmp(a, "--threads") ||
        !strcmp(a, "--iterations") || !strcmp(a, "--weights") || !strcmp(a, "--bucket")) {
      if (i + 1 >= argc) return cli_usage("exec", "%s needs a value", a);
      const char *v = argv[++i];
      if (!strcmp(a, "--output-dir")) outdir = v;
      else if (!strcmp(a, "--weights")) weights = v;
      else if (!strcmp(a, "--input")) {
        const char *eq = strchr(v, '=');
        if (!eq || eq == v || !eq[1]) return cli_usage("exec", "--input wants NAME=FILE.npy, not '%s'", v);
        if (nin == 64) return cli_usage("exec", "too many inputs");
        names[nin] = v;
        files[nin++] = eq + 1;
      } else {
        char *end;
        long n = strtol(v, &end, 10);
        long lo = !strcmp(a, "--bucket") ? 0 : 1;
        if (*end || n < lo || n > 1000000) return cli_usage("exec", "%s wants a number >= %ld, not '%s'", a, lo, v);
        if (!strcmp(a, "--threads")) threads = (int)n;
        else if (!strcmp(a, "--iterations")) iters = (int)n;
        else bucket = (int)n;
      }
    } else if (a[0] == '-') {
      return cli_usage("exec", "unknown option '%s'", a);
    } else if (!lib) {
      lib = a;
    } else {
      return cli_usage("exec", "more than one library given");
    }
  }
  if (!lib) return cli_usage("exec", "usage: ingot exec libNAME.so --input NAME=FILE.npy ... [--output-dir DIR]");
  /* dlopen needs a path with a slash to not search the library path */
  char libpath[4096];
  snprintf(libpath, sizeof libpath, "%s%s", strchr(lib, '/') ? "" : "./", lib);
  void *h = dlopen(libpath, RTLD_NOW | RTLD_LOCAL);
  if (!h) return cli_fail(ingot_error(INGOT_CODE_INPUT, "%s: cannot load: %s", lib, dlerror()));
  typedef const ingot_rt_model_desc_t *(*entry_fn)(void);
  entry_fn entry;
  *(void **)(&entry) = dlsym(h, INGOT_RT_DESCRIPTOR_SYMBOL);
  if (!entry) {
    dlclose(h);
    return cli_fail(ingot_error(INGOT_CODE_INPUT, "%s: not built by 'ingot compile --shared' (no %s)", lib,
                                INGOT_RT_DESCRIPTOR_SYMBOL));
  }
  const ingot_rt_model_desc_t *d = entry();
  ingot_status_t st = INGOT_OK;
  if (!d || (d->abi != INGOT_RT_ABI && d->abi != INGOT_RT_ABI_CUDA) || d->nbuckets < 1) /* CUDA: GPU artifact */
    st = ingot_error(INGOT_CODE_INPUT, "%s: incompatible model descriptor (ABI %u, this ingot has %u)", lib,
                     d ? d->abi : 0, INGOT_RT_ABI);
  char wpath[4096];
  if (!st && !weights && !d->embedded_weights && d->weights_bytes) {
    const char *sl = strrchr(lib, '/');
    snprintf(wpath, sizeof wpath, "%.*s%s.weights", sl ? (int)(sl - lib + 1) : 0, lib, d->model_name);
    weights = wpath;
  }
  /* inputs: bucket 0 names the inputs (all buckets have the same names) */
  const ingot_rt_bucket_t *b0 = st ? NULL : &d->buckets[0];
  ingot_npy_t npy[64];
  memset(npy, 0, sizeof npy);
  void *inp[64] = {0}, *outp[64] = {0};
  int64_t const *dims[64];
  int32_t ranks[64];
  if (!st && b0->ninputs > 64) st = ingot_error(INGOT_CODE_UNSUPPORTED, "more than 64 inputs");
  for (int i = 0; !st && i < nin; i++) {
    size_t l = (size_t)(files[i] - 1 - names[i]);
    int k = 0;
    while (k < b0->ninputs && (strlen(b0->inputs[k].name) != l || strncmp(b0->inputs[k].name, names[i], l))) k++;
    if (k == b0->ninputs) st = ingot_error(INGOT_CODE_INPUT, "the model has no input named '%.*s'", (int)l, names[i]);
    else if (npy[k].data) st = ingot_error(INGOT_CODE_INPUT, "input '%s' is given twice", b0->inputs[k].name);
    else {
      char err[512];
      if (ingot_npy_read(files[i], &npy[k], err, sizeof err))
        st = ingot_error(INGOT_CODE_INPUT, "input '%s': %s", b0->inputs[k].name, err);
    }
  }
  for (int k = 0; !st && k < b0->ninputs; k++) {
    if (!npy[k].data) {
      st = ingot_error(INGOT_CODE_INPUT, "input '%s' is missing: pass --input %s=FILE.npy", b0->inputs[k].name,
                       b0->inputs[k].name);
      break;
    }
    if (npy[k].dtype != b0->inputs[k].dtype)
      st = ingot_error(INGOT_CODE_INPUT, "input '%s': expected dtype %s, got %s", b0->inputs[k].name,
                       ingot_dtype_name(b0->inputs[k].dtype), ingot_dtype_name(npy[k].dtype));
    dims[k] = npy[k].dims;
    ranks[k] = npy[k].rank;
    inp[k] = npy[k].data;
  }
  ingot_rt_model_t *m = NULL;
  if (!st) {
    ingot_rt_options_t o;
    ingot_rt_options_init(&o);
    o.threads = threads;
    if (ingot_rt_model_create(d, weights, &o, &m) != INGOT_RT_OK)
      st = ingot_error(INGOT_CODE_INPUT, "%s", ingot_rt_last_error(m));
  }
  if (!st) {
    int found = ingot_rt_model_find_bucket(m, dims, ranks);
    if (bucket >= 0 && bucket != found && found >= 0) found = -1;
    if (found < 0) {
      char shapes[1024] = "";
      size_t o = 0;
      for (int k = 0; k < b0->ninputs; k++) {
        o += (size_t)snprintf(shapes + o, sizeof shapes - o, "%s%s=[", k ? " " : "", b0->inputs[k].name);
        for (int r = 0; r < ranks[k] && o < sizeof shapes; r++)
          o += (size_t)snprintf(shapes + o, sizeof shapes - o, "%s%lld", r ? "," : "", (long long)dims[k][r]);
        if (o < sizeof shapes) o += (size_t)snprintf(shapes + o, sizeof shapes - o, "]");
        if (o >= sizeof shapes) break;
      }
      st = ingot_error(INGOT_CODE_INPUT, "no compiled bucket takes input shapes %s (buckets: %d; see NAME.h)", shapes,
                       d->nbuckets);
    }
    bucket = found;
  }
  const ingot_rt_bucket_t *bk = st ? NULL : &d->buckets[bucket];
  ingot_tensor_t outs[64];
  memset(outs, 0, sizeof outs);
  for (int k = 0; !st && k < bk->noutputs && k < 64; k++) {
    st = ingot_tensor_alloc(&outs[k], bk->outputs[k].dtype, bk->outputs[k].rank, bk->outputs[k].dims);
    outp[k] = outs[k].data;
  }
  double *times = st ? NULL : calloc((size_t)iters, sizeof *times);
  for (int it = 0; !st && it < iters; it++) {
    double t = now_s();
    if (ingot_rt_model_run(m, bucket, inp, outp) != INGOT_RT_OK)
      st = ingot_error(INGOT_CODE_INPUT, "%s", ingot_rt_last_error(m));
    times[it] = now_s() - t;
  }
  if (!st && iters > 1) {
    qsort(times, (size_t)iters, sizeof *times, cmp_double);
    printf("%s: %d iterations, %d threads: median %.3f ms, min %.3f ms, max %.3f ms\n", lib, iters, threads,
           times[iters / 2] * 1e3, times[0] * 1e3, times[iters - 1] * 1e3);
  }
  free(times);
  for (int k = 0; !st && outdir && k < bk->noutputs; k++) {
    char p[4096], err[512], fname[256];
    size_t o = 0;
    for (const char *c = bk->outputs[k].name; *c && o + 1 < sizeof fname; c++) {
      int ok = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '_' ||
               *c == '-' || (*c == '.' && o);
      fname[o++] = ok ? *c : '_';
    }
    fname[o] = 0;
    snprintf(p, sizeof p, "%s/%s.npy", outdir, fname);
    if (ingot_npy_write(p, outs[k].dtype, outs[k].rank, outs[k].dims, outs[k].data, err, sizeof err))
      st = ingot_error(INGOT_CODE_IO, "output '%s': %s", bk->outputs[k].name, err);
    else
      printf("wrote %s\n", p);
  }
  for (int k = 0; k < 64; k++) {
    ingot_tensor_release(&outs[k]);
    ingot_npy_free(&npy[k]);
  }
  ingot_rt_model_destroy(m);
  dlclose(h);
  return st ? cli_fail(st) : 0;
}
