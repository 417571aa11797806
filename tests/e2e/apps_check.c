/* Checks for tests/e2e/apps.sh, so the test needs neither python nor node.
 *
 *   apps_check size FILE.png               prints "WIDTH HEIGHT CHANNELS"
 *   apps_check outside IN.png OUT.png MASK.png
 *        exit 0 when every pixel where MASK is 0 has the same bytes in IN and OUT;
 *        prints "changed-inside N" (masked pixels whose bytes differ)
 *   apps_check trace FILE.json
 *        exit 0 when FILE is valid JSON (RFC 8259, strictly) whose top-level object has
 *        a "traceEvents" array of Chrome "complete" events (objects with "name",
 *        "ph": "X", numeric "ts" and "dur", and "args"); prints the event count
 *   apps_check json FILE.json       exit 0 when FILE is valid JSON
 *
 * Built by apps.sh with the examples' PNG reader (examples/common/png_io.c). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "png_io.h"

/* ---- a strict JSON reader that counts trace events ---------------------------- */

typedef struct {
  const char *p, *end;
  const char *err;
} js_t;

static void ws(js_t *j) {
  while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r')) j->p++;
}

static int fail(js_t *j, const char *msg) {
  if (!j->err) j->err = msg;
  return -1;
}

/* a string; if out is set, its raw bytes (escapes kept) are copied there */
static int str(js_t *j, char *out, size_t outlen) {
  if (j->p >= j->end || *j->p != '"') return fail(j, "expected a string");
  const char *s = ++j->p;
  while (j->p < j->end && *j->p != '"') {
    unsigned char c = (unsigned char)*j->p;
    if (c < 0x20) return fail(j, "control character in a string");
    if (c == '\\') {
      j->p++;
      if (j->p >= j->end || !strchr("\"\\/bfnrtu", *j->p)) return fail(j, "bad escape");
      if (*j->p == 'u') {
        for (int k = 1; k <= 4; k++)
          if (j->p + k >= j->end || !isxdigit((unsigned char)j->p[k])) return fail(j, "bad \\u escape");
        j->p += 4;
      }
    }
    j->p++;
  }
  if (j->p >= j->end) return fail(j, "unterminated string");
  if (out) {
    size_t n = (size_t)(j->p - s) < outlen - 1 ? (size_t)(j->p - s) : outlen - 1;
    memcpy(out, s, n);
    out[n] = 0;
  }
  j->p++;
  return 0;
}

static int number(js_t *j) {
  const char *s = j->p;
  if (j->p < j->end && *j->p == '-') j->p++;
  if (j->p >= j->end || !isdigit((unsigned char)*j->p)) return fail(j, "bad number");
  if (*j->p == '0') j->p++;
  else
    while (j->p < j->end && isdigit((unsigned char)*j->p)) j->p++;
  if (j->p < j->end && *j->p == '.') {
    j->p++;
    if (j->p >= j->end || !isdigit((unsigned char)*j->p)) return fail(j, "bad fraction");
    while (j->p < j->end && isdigit((unsigned char)*j->p)) j->p++;
  }
  if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
    j->p++;
    if (j->p < j->end && (*j->p == '+' || *j->p == '-')) j->p++;
    if (j->p >= j->end || !isdigit((unsigned char)*j->p)) return fail(j, "bad exponent");
    while (j->p < j->end && isdigit((unsigned char)*j->p)) j->p++;
  }
  return j->p > s ? 0 : -1;
}

enum { T_OBJ = 1, T_ARR, T_STR, T_NUM, T_LIT };

/* events: when non-NULL, the value is an event that must be checked */
typedef struct {
  int has_name, has_ph_x, has_ts, has_dur, has_args;
} ev_t;

static int value(js_t *j, int depth, int *type, int is_events, long *count);

static int object(js_t *j, int depth, ev_t *ev, int top, long *count, int *found) {
  j->p++; /* { */
  ws(j);
  if (j->p < j->end && *j->p == '}') {
    j->p++;
    return 0;
  }
  for (;;) {
    char key[64];
    ws(j);
    if (str(j, key, sizeof key)) return -1;
    ws(j);
    if (j->p >= j->end || *j->p != ':') return fail(j, "expected ':'");
    j->p++;
    ws(j);
    int t;
    const char *vs = j->p;
    int events = top && !strcmp(key, "traceEvents");
    if (value(j, depth + 1, &t, events, count)) return -1;
    if (events) {
      if (t != T_ARR) return fail(j, "traceEvents is not an array");
      *found = 1;
    }
    if (ev) {
      if (!strcmp(key, "name") && t == T_STR) ev->has_name = 1;
      if (!strcmp(key, "ph") && t == T_STR && j->p - vs == 3 && vs[1] == 'X') ev->has_ph_x = 1;
      if (!strcmp(key, "ts") && t == T_NUM) ev->has_ts = 1;
      if (!strcmp(key, "dur") && t == T_NUM) ev->has_dur = 1;
      if (!strcmp(key, "args") && t == T_OBJ) ev->has_args = 1;
    }
    ws(j);
    if (j->p < j->end && *j->p == ',') {
      j->p++;
      continue;
    }
    if (j->p < j->end && *j->p == '}') {
      j->p++;
      return 0;
    }
    return fail(j, "expected ',' or '}'");
  }
}

static int value(js_t *j, int depth, int *type, int is_events, long *count) {
  if (depth > 64) return fail(j, "nested too deeply");
  ws(j);
  if (j->p >= j->end) return fail(j, "unexpected end");
  char c = *j->p;
  if (c == '{') {
    *type = T_OBJ;
    int found = 0;
    return object(j, depth, NULL, 0, count, &found);
  }
  if (c == '[') {
    *type = T_ARR;
    j->p++;
    ws(j);
    if (j->p < j->end && *j->p == ']') {
      j->p++;
      return 0;
    }
    for (;;) {
      ws(j);
      if (is_events) {
        if (j->p >= j->end || *j->p != '{') return fail(j, "a trace event is not an object");
        ev_t ev = {0, 0, 0, 0, 0};
        int found = 0;
        if (object(j, depth + 1, &ev, 0, count, &found)) return -1;
        if (!(ev.has_name && ev.has_ph_x && ev.has_ts && ev.has_dur && ev.has_args))
          return fail(j, "an event lacks name, ph \"X\", ts, dur or args");
        (*count)++;
      } else {
        int t;
        if (value(j, depth + 1, &t, 0, count)) return -1;
      }
      ws(j);
      if (j->p < j->end && *j->p == ',') {
        j->p++;
        continue;
      }
      if (j->p < j->end && *j->p == ']') {
        j->p++;
        return 0;
      }
      return fail(j, "expected ',' or ']'");
    }
  }
  if (c == '"') {
    *type = T_STR;
    return str(j, NULL, 0);
  }
  if (c == '-' || isdigit((unsigned char)c)) {
    *type = T_NUM;
    return number(j);
  }
  *type = T_LIT;
  static const char *const lits[] = {"true", "false", "null"};
  for (int k = 0; k < 3; k++) {
    size_t l = strlen(lits[k]);
    if ((size_t)(j->end - j->p) >= l && !memcmp(j->p, lits[k], l)) {
      j->p += l;
      return 0;
    }
  }
  return fail(j, "unexpected character");
}

static int check_trace(const char *path, int any_json) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "%s: cannot open\n", path);
    return 1;
  }
  size_t cap = 1 << 16, len = 0, r;
  char *buf = malloc(cap);
  while (buf && (r = fread(buf + len, 1, cap - len, f)) > 0) {
    len += r;
    if (len == cap) {
      char *nb = realloc(buf, cap *= 2);
      if (!nb) {
        free(buf);
        buf = NULL;
      }
      buf = nb;
    }
  }
  fclose(f);
  if (!buf) return 1;
  js_t j = {buf, buf + len, NULL};
  long count = 0;
  int found = 0, rc = 1;
  ws(&j);
  int type;
  if (any_json) {
    if (value(&j, 0, &type, 0, &count) == 0) {
      ws(&j);
      if (j.p != j.end) fail(&j, "trailing characters");
      else rc = 0;
    }
  } else if (j.p >= j.end || *j.p != '{') {
    fail(&j, "the top level is not an object");
  } else if (object(&j, 0, NULL, 1, &count, &found) == 0) {
    ws(&j);
    if (j.p != j.end) fail(&j, "trailing characters");
    else if (!found) fail(&j, "no traceEvents");
    else rc = 0;
  }
  if (rc)
    fprintf(stderr, "%s: invalid %s at byte %ld: %s\n", path, any_json ? "JSON" : "trace", (long)(j.p - buf),
            j.err ? j.err : "?");
  else printf("%ld\n", count);
  free(buf);
  return rc;
}

int main(int argc, char **argv) {
  char err[512];
  if (argc == 3 && !strcmp(argv[1], "size")) {
    app_image_t a;
    if (app_png_read(argv[2], &a, err, sizeof err)) {
      fprintf(stderr, "%s\n", err);
      return 1;
    }
    printf("%d %d %d\n", a.width, a.height, a.channels);
    app_image_free(&a);
    return 0;
  }
  if (argc == 5 && !strcmp(argv[1], "outside")) {
    app_image_t in, out, mk;
    if (app_png_read(argv[2], &in, err, sizeof err) || app_png_read(argv[3], &out, err, sizeof err) ||
        app_png_read(argv[4], &mk, err, sizeof err)) {
      fprintf(stderr, "%s\n", err);
      return 1;
    }
    int rc = 0;
    long changed = 0, outside_diff = 0;
    if (in.width != out.width || in.height != out.height || in.channels != out.channels || mk.channels != 1 ||
        mk.width != in.width || mk.height != in.height) {
      fprintf(stderr, "sizes or kinds differ\n");
      rc = 1;
    } else {
      for (long p = 0; p < (long)in.width * in.height; p++) {
        int diff = memcmp(in.pixels + p * in.channels, out.pixels + p * in.channels, (size_t)in.channels) != 0;
        if (mk.pixels[p] == 0) outside_diff += diff;
        else changed += diff;
      }
      printf("changed-inside %ld\n", changed);
      if (outside_diff) {
        fprintf(stderr, "%ld pixels outside the mask changed\n", outside_diff);
        rc = 1;
      }
    }
    app_image_free(&in);
    app_image_free(&out);
    app_image_free(&mk);
    return rc;
  }
  if (argc == 3 && !strcmp(argv[1], "trace")) return check_trace(argv[2], 0);
  if (argc == 3 && !strcmp(argv[1], "json")) return check_trace(argv[2], 1);
  fprintf(stderr, "usage: apps_check size FILE | outside IN OUT MASK | trace FILE.json | json FILE.json\n");
  return 2;
}
