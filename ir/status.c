#include "status.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ingot_status_s {
  ingot_code_t code;
  int is_static;
  char *msg;
};

/* Returned when even the status itself cannot be allocated.  It is never
 * written, so sharing it is safe. */
static struct ingot_status_s oom_status = {INGOT_CODE_NOMEM, 1, "out of memory"};

ingot_status_t ingot_errorv(ingot_code_t code, const char *fmt, va_list ap) {
  if (code == INGOT_CODE_OK) code = INGOT_CODE_INTERNAL;
  struct ingot_status_s *st = malloc(sizeof *st);
  if (!st) return &oom_status;
  va_list ap2;
  va_copy(ap2, ap);
  int n = vsnprintf(NULL, 0, fmt, ap2);
  va_end(ap2);
  if (n < 0) n = 0;
  st->msg = malloc((size_t)n + 1);
  if (!st->msg) {
    free(st);
    return &oom_status;
  }
  vsnprintf(st->msg, (size_t)n + 1, fmt, ap);
  st->code = code;
  st->is_static = 0;
  return st;
}

ingot_status_t ingot_error(ingot_code_t code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  ingot_status_t st = ingot_errorv(code, fmt, ap);
  va_end(ap);
  return st;
}

ingot_status_t ingot_status_annotate(ingot_status_t st, const char *fmt, ...) {
  if (!st || st->is_static) return st;
  char prefix[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(prefix, sizeof prefix, fmt, ap);
  va_end(ap);
  size_t a = strlen(prefix), b = strlen(st->msg);
  char *m = malloc(a + 2 + b + 1);
  if (!m) return st; /* keep the original message rather than lose it */
  memcpy(m, prefix, a);
  memcpy(m + a, ": ", 2);
  memcpy(m + a + 2, st->msg, b + 1);
  free(st->msg);
  st->msg = m;
  return st;
}

ingot_code_t ingot_status_code(ingot_status_t st) { return st ? st->code : INGOT_CODE_OK; }

const char *ingot_status_message(ingot_status_t st) { return st ? st->msg : "ok"; }

void ingot_status_free(ingot_status_t st) {
  if (!st || st->is_static) return;
  free(st->msg);
  free(st);
}

int ingot_status_exit_code(ingot_status_t st) {
  if (!st) return 0;
  return st->code == INGOT_CODE_UNSUPPORTED ? 2 : 1;
}

void ingot_assert_fail(const char *file, int line, const char *cond) {
  fprintf(stderr, "error: internal: %s:%d: assertion failed: %s\n", file, line, cond);
  abort();
}
