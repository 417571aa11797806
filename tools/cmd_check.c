/* ingot check: every problem in one report, not one assert at a time. */
#include <stdio.h>
#include <string.h>

#include "frontend/onnx_import.h"
#include "ir/infer.h"
#include "ir/verify.h"
#include "tools/cli.h"

typedef struct {
  int worst; /* exit code so far */
  int count;
} check_state_t;

static void report(void *user, ingot_status_t st) {
  check_state_t *s = user;
  int rc = cli_fail(st);
  if (rc > s->worst) s->worst = rc;
  s->count++;
}

int cmd_check(int argc, char **argv) {
  const char *path = NULL;
  for (int i = 1; i < argc; i++) {
    if (argv[i][0] == '-') return cli_usage("check", "unknown option '%s'", argv[i]);
    if (path) return cli_usage("check", "more than one model given");
    path = argv[i];
  }
  if (!path) return cli_usage("check", "no model given: ingot check MODEL.onnx");
  ingot_graph_t *g;
  ingot_status_t st = ingot_import_onnx(path, &g);
  if (st) return cli_fail(st);
  check_state_t s = {0, 0};
  ingot_check_all(g, report, &s);
  if (s.count == 0) {
    /* Only a model free of unsupported features is worth inferring: shape
     * errors are then real inconsistencies. */
    st = ingot_infer_shapes(g);
    if (!st) st = ingot_verify(g);
    if (st) report(&s, st);
  }
  ingot_graph_free(g);
  if (s.count) {
    printf("%s: %d problem%s\n", path, s.count, s.count == 1 ? "" : "s");
    return s.worst ? s.worst : 1;
  }
  printf("%s: ok, every op, attribute, dtype and opset is supported\n", path);
  return 0;
}
