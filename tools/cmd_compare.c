/* ingot compare A.npy B.npy [--tol T]: relative L2 error and max abs diff of
 * two tensors (B is the reference); exit 0 when rel L2 <= T, else 1. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "interp/interp.h"
#include "runtime/ingot_npy.h"
#include "tools/cli.h"

int cmd_compare(int argc, char **argv) {
  const char *files[2] = {NULL, NULL};
  int nf = 0;
  double tol = 1e-4;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--tol")) {
      char *end;
      if (i + 1 >= argc) return cli_usage("compare", "--tol needs a value");
      tol = strtod(argv[++i], &end);
      if (*end || !(tol >= 0)) return cli_usage("compare", "--tol wants a non-negative number");
    } else if (argv[i][0] == '-') {
      return cli_usage("compare", "unknown option '%s'", argv[i]);
    } else if (nf < 2) {
      files[nf++] = argv[i];
    } else {
      return cli_usage("compare", "more than two files given");
    }
  }
  if (nf != 2) return cli_usage("compare", "usage: ingot compare RESULT.npy REFERENCE.npy [--tol T]");
  ingot_npy_t a, b;
  char err[512];
  if (ingot_npy_read(files[0], &a, err, sizeof err)) return cli_fail(ingot_error(INGOT_CODE_INPUT, "%s", err));
  if (ingot_npy_read(files[1], &b, err, sizeof err)) {
    ingot_npy_free(&a);
    return cli_fail(ingot_error(INGOT_CODE_INPUT, "%s", err));
  }
  ingot_status_t st = INGOT_OK;
  int same = a.rank == b.rank;
  for (int i = 0; same && i < a.rank; i++) same = a.dims[i] == b.dims[i];
  if (!same) st = ingot_error(INGOT_CODE_INPUT, "%s and %s differ in shape", files[0], files[1]);
  int rc = 0;
  if (!st) {
    ingot_tensor_t ta = ingot_tensor_view(a.dtype, a.rank, a.dims, a.data, a.nbytes);
    ingot_tensor_t tb = ingot_tensor_view(b.dtype, b.rank, b.dims, b.data, b.nbytes);
    int64_t n = ingot_tensor_numel(&ta);
    double num = 0, den = 0, maxd = 0;
    for (int64_t i = 0; i < n; i++) {
      double x = ingot_tensor_get_f64(&ta, i), y = ingot_tensor_get_f64(&tb, i), d = x - y;
      num += d * d;
      den += y * y;
      if (!(fabs(d) <= maxd)) maxd = fabs(d); /* NaN propagates */
    }
    double rel = den > 0 ? sqrt(num / den) : sqrt(num);
    int ok = rel <= tol;
    printf("%s: rel_l2 %.3e  max_abs %.3e  (%lld elements, tol %.1e) %s\n", files[0], rel, maxd, (long long)n, tol,
           ok ? "ok" : "FAIL");
    rc = ok ? 0 : 1;
  }
  ingot_npy_free(&a);
  ingot_npy_free(&b);
  return st ? cli_fail(st) : rc;
}
