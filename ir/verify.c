/* The IR verifier and `ingot check`.  See verify.h for what is checked.
 *
 * Both walk the same per-node checks; they differ in what they do with a
 * problem.  ingot_verify stops at the first (a sink with stop = true);
 * ingot_check_all hands every problem to the caller's callback and keeps
 * going, so a user learns everything that stands between their model and
 * a compiled one in one run. */
#include "verify.h"

/* "takes 2 inputs", "takes 1 to 3 inputs", "takes at least 1 input" */
static const char *arity_text(int lo, int hi, const char *what, char *buf, size_t len) {
  if (hi < 0) snprintf(buf, len, "at least %d %s%s", lo, what, lo == 1 ? "" : "s");
  else if (lo == hi) snprintf(buf, len, "%d %s%s", lo, what, lo == 1 ? "" : "s");
  else snprintf(buf, len, "%d to %d %ss", lo, hi, what);
  return buf;
}


#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* ---- where problems go --------------------------------------------------------------- */

typedef struct {
  bool stop;            /* keep only the first problem */
  ingot_status_t first; /* when stop */
  ingot_diag_fn fn;     /* otherwise: every problem, NULL to just count */
  void *user;
  int count;
} sink_t;

/* Records st; returns true when the walk should stop. */
static bool report(sink_t *s, ingot_status_t st) {
  s->count++;
  if (s->stop) {
    if (!s->first) s->first = st;
    else ingot_status_free(st);
    return true;
  }
  if (s->fn) s->fn(s->user, st);
  else ingot_status_free(st);
  return false;
}

/* ---- the attribute schema of ops.def ------------------------------------------------- */

typedef struct {
  char name[64];
  int type;
  bool required;
} schema_attr_t;

#define MAX_SCHEMA 24

static int schema_type(const char *s, size_t n) {
  static const struct {
    const char *code;
    int type;
  } codes[] = {{"f", INGOT_ATTR_FLOAT},   {"i", INGOT_ATTR_INT},      {"s", INGOT_ATTR_STRING},
               {"t", INGOT_ATTR_TENSOR},  {"g", INGOT_ATTR_GRAPH},    {"fs", INGOT_ATTR_FLOATS},
               {"is", INGOT_ATTR_INTS},   {"ss", INGOT_ATTR_STRINGS}, {"ts", INGOT_ATTR_TENSORS},
               {"gs", INGOT_ATTR_GRAPHS}, {"sp", INGOT_ATTR_SPARSE_TENSOR}};
  for (size_t i = 0; i < sizeof codes / sizeof *codes; i++)
    if (strlen(codes[i].code) == n && strncmp(codes[i].code, s, n) == 0) return codes[i].type;
  return INGOT_ATTR_UNDEFINED;
}

/* Parses "name:type[!] ..." into out; returns the count. */
static int parse_schema(const char *s, schema_attr_t *out) {
  int n = 0;
  while (*s && n < MAX_SCHEMA) {
    while (*s == ' ') s++;
    if (!*s) break;
    const char *colon = strchr(s, ':');
    if (!colon) break;
    size_t nl = (size_t)(colon - s);
    if (nl >= sizeof out[n].name) nl = sizeof out[n].name - 1;
    memcpy(out[n].name, s, nl);
    out[n].name[nl] = 0;
    const char *t = colon + 1, *e = t;
    while (*e && *e != ' ' && *e != '!') e++;
    out[n].type = schema_type(t, (size_t)(e - t));
    out[n].required = *e == '!';
    if (*e == '!') e++;
    s = e;
    n++;
  }
  return n;
}

/* ---- attribute values ingot accepts ------------------------------------------------------ */

/* String attributes with a closed set of values: `valid` lists what the
 * ONNX spec allows, `unsupported` the subset ingot does not implement. */
static const struct {
  int op;
  const char *attr, *valid, *unsupported;
} string_rules[] = {
    {INGOT_OP_RESIZE, "mode", "nearest linear cubic", "cubic"},
    {INGOT_OP_RESIZE, "coordinate_transformation_mode",
     "half_pixel half_pixel_symmetric pytorch_half_pixel align_corners asymmetric tf_crop_and_resize",
     "tf_crop_and_resize"},
    {INGOT_OP_RESIZE, "nearest_mode", "round_prefer_floor round_prefer_ceil floor ceil", ""},
    {INGOT_OP_RESIZE, "keep_aspect_ratio_policy", "stretch not_larger not_smaller", ""},
    {INGOT_OP_PAD, "mode", "constant reflect edge wrap", ""},
    {INGOT_OP_CONV, "auto_pad", "NOTSET SAME_UPPER SAME_LOWER VALID", ""},
    {INGOT_OP_CONV_TRANSPOSE, "auto_pad", "NOTSET SAME_UPPER SAME_LOWER VALID", ""},
    {INGOT_OP_GELU, "approximate", "none tanh", ""},
    {INGOT_OP_SCATTER_ND, "reduction", "none add mul max min", ""},
};

/* Int attributes that are flags or small enums: lo..hi valid, `unsupported`
 * (when >= lo) not implemented. */
static const struct {
  int op;
  const char *attr;
  int64_t lo, hi, unsupported;
} int_rules[] = {
    {INGOT_OP_RESIZE, "antialias", 0, 1, 1},
    {INGOT_OP_RESIZE, "exclude_outside", 0, 1, -1},
    {INGOT_OP_BATCH_NORM, "training_mode", 0, 1, 1},
    {INGOT_OP_RESHAPE, "allowzero", 0, 1, -1},
    {INGOT_OP_MOD, "fmod", 0, 1, -1},
    {INGOT_OP_CAST, "saturate", 0, 1, -1},
    {INGOT_OP_CAST_LIKE, "saturate", 0, 1, -1},
    {INGOT_OP_ARGMAX, "select_last_index", 0, 1, -1},
    {INGOT_OP_CUMSUM, "exclusive", 0, 1, -1},
    {INGOT_OP_CUMSUM, "reverse", 0, 1, -1},
};

static bool word_in(const char *list, const char *w) {
  size_t n = strlen(w);
  if (!n) return false;
  for (const char *p = list; (p = strstr(p, w)) != NULL; p += n)
    if ((p == list || p[-1] == ' ') && (p[n] == 0 || p[n] == ' ')) return true;
  return false;
}

/* One attribute's value; reports and returns true to stop. */
static bool check_attr_value(const ingot_graph_t *g, int32_t node, const ingot_attr_t *a, sink_t *s) {
  const ingot_node_t *n = &g->nodes[node];
  for (size_t i = 0; i < sizeof string_rules / sizeof *string_rules; i++) {
    if (string_rules[i].op != n->op || strcmp(string_rules[i].attr, a->name) != 0) continue;
    const char *v = a->s ? a->s : "";
    if (!word_in(string_rules[i].valid, v))
      return report(s, ingot_node_error(g, node, INGOT_CODE_INPUT, "attribute '%s' is '%s' (allowed: %s)", a->name, v,
                                        string_rules[i].valid));
    if (word_in(string_rules[i].unsupported, v))
      return report(s, ingot_node_error(g, node, INGOT_CODE_UNSUPPORTED, "%s %s '%s' is not supported", n->op_type,
                                        a->name, v));
  }
  for (size_t i = 0; i < sizeof int_rules / sizeof *int_rules; i++) {
    if (int_rules[i].op != n->op || strcmp(int_rules[i].attr, a->name) != 0) continue;
    if (a->i < int_rules[i].lo || a->i > int_rules[i].hi)
      return report(s, ingot_node_error(g, node, INGOT_CODE_INPUT, "attribute '%s' is %" PRId64 " (allowed %" PRId64
                                        "..%" PRId64 ")", a->name, a->i, int_rules[i].lo, int_rules[i].hi));
    if (a->i == int_rules[i].unsupported)
      return report(s, ingot_node_error(g, node, INGOT_CODE_UNSUPPORTED, "%s %s=%" PRId64 " is not supported",
                                        n->op_type, a->name, a->i));
  }
  if (n->op == INGOT_OP_CAST && strcmp(a->name, "to") == 0) {
    if (a->i <= 0 || a->i >= INGOT_DT_COUNT_)
      return report(s, ingot_node_error(g, node, INGOT_CODE_INPUT, "Cast 'to' is %" PRId64 ", not an ONNX dtype", a->i));
    if (!ingot_dtype_supported((int)a->i))
      return report(s, ingot_node_error(g, node, INGOT_CODE_UNSUPPORTED, "Cast to %s is not supported",
                                        ingot_dtype_name((int)a->i)));
  }
  if (a->type == INGOT_ATTR_TENSOR && a->t && !ingot_dtype_supported(a->t->dtype))
    return report(s, ingot_node_error(g, node, INGOT_CODE_UNSUPPORTED, "attribute '%s' holds a %s tensor (unsupported dtype)",
                                      a->name, ingot_dtype_name(a->t->dtype)));
  if (n->op == INGOT_OP_CONSTANT && (strcmp(a->name, "value_string") == 0 || strcmp(a->name, "value_strings") == 0))
    return report(s, ingot_node_error(g, node, INGOT_CODE_UNSUPPORTED, "string constants are not supported"));
  if (n->op == INGOT_OP_CONSTANT && strcmp(a->name, "sparse_value") == 0)
    return report(s, ingot_node_error(g, node, INGOT_CODE_UNSUPPORTED, "sparse constants are not supported"));
  return false;
}

/* Types, required attributes and repeats; with strict, also names outside
 * the schema and values ingot does not accept.  Returns true to stop. */
static bool check_node_attrs(const ingot_graph_t *g, int32_t node, bool strict, sink_t *s) {
  const ingot_node_t *n = &g->nodes[node];
  const ingot_op_info_t *info = ingot_op_info((ingot_op_t)n->op);
  if (!info) return false;
  schema_attr_t sch[MAX_SCHEMA];
  int ns = parse_schema(info->attrs, sch);
  bool present[MAX_SCHEMA] = {false};
  for (uint32_t k = 0; k < n->nattrs; k++) {
    const ingot_attr_t *a = &n->attrs[k];
    const char *name = a->name ? a->name : "";
    bool dup = false;
    for (uint32_t j = 0; j < k && !dup; j++) dup = n->attrs[j].name && strcmp(n->attrs[j].name, name) == 0;
    if (dup && report(s, ingot_node_error(g, node, INGOT_CODE_INPUT, "attribute '%s' given twice", name))) return true;
    int idx = -1;
    for (int i = 0; i < ns && idx < 0; i++)
      if (strcmp(sch[i].name, name) == 0) idx = i;
    if (idx < 0) {
      if (strict && report(s, ingot_node_error(g, node, INGOT_CODE_UNSUPPORTED, "unsupported attribute '%s' for %s",
                                               name, info->onnx_name)))
        return true;
      continue;
    }
    present[idx] = true;
    if (a->type != sch[idx].type) {
      if (report(s, ingot_node_error(g, node, INGOT_CODE_INPUT, "attribute '%s' should be %s, not %s", name,
                                     ingot_attr_type_name(sch[idx].type), ingot_attr_type_name(a->type))))
        return true;
      continue;
    }
    if (strict && check_attr_value(g, node, a, s)) return true;
  }
  for (int i = 0; i < ns; i++)
    if (sch[i].required && !present[i] &&
        report(s, ingot_node_error(g, node, INGOT_CODE_INPUT, "required attribute '%s' is missing", sch[i].name)))
      return true;
  return false;
}

ingot_status_t ingot_verify_node_attrs(const ingot_graph_t *g, int32_t node) {
  if (node < 0 || (uint32_t)node >= g->nnodes)
    return ingot_error(INGOT_CODE_INTERNAL, "ingot_verify_node_attrs: node #%d out of range", node);
  sink_t s = {true, INGOT_OK, NULL, NULL, 0};
  check_node_attrs(g, node, true, &s);
  return s.first;
}

/* ---- structure ------------------------------------------------------------------------------ */

bool ingot_op_input_optional(int op, uint32_t i) {
  const ingot_op_info_t *info = ingot_op_info((ingot_op_t)op);
  if (!info) return true;
  if (op == INGOT_OP_LOOP && i < 2) return true; /* M and cond may be omitted */
  return info->max_inputs >= 0 && i >= (uint32_t)info->min_inputs;
}

static const ingot_graph_t *graph_root(const ingot_graph_t *g) {
  while (g->parent) g = g->parent;
  return g;
}

static bool type_ok(const ingot_graph_t *g, const ingot_type_t *t) {
  const ingot_graph_t *root = graph_root(g);
  if (t->dtype < 0 || t->dtype >= INGOT_DT_COUNT_ || t->rank < -1 || t->rank > INGOT_MAX_RANK) return false;
  for (int i = 0; i < t->rank; i++) {
    ingot_dim_t d = t->dims[i];
    if (d.sym ? d.sym >= root->nsyms : d.v < 0) return false;
  }
  return true;
}

static bool defined_without_producer(const ingot_value_t *val) {
  return (val->flags & (INGOT_VAL_INPUT | INGOT_VAL_INIT | INGOT_VAL_OUTER)) || val->data;
}

static bool verify_graph(const ingot_graph_t *g, bool typed, sink_t *s);

static bool verify_values(const ingot_graph_t *g, sink_t *s) {
  const char *src = g->source ? g->source : "<graph>";
  for (uint32_t v = 0; v < g->nvalues; v++) {
    const ingot_value_t *val = &g->values[v];
    const char *name = val->name ? val->name : "?";
    if (!type_ok(g, &val->type))
      return report(s, ingot_error(INGOT_CODE_INPUT, "%s: value '%s' has a malformed type (dtype %d, rank %d)", src,
                                   name, val->type.dtype, val->type.rank));
    if (val->symval && (val->nsymval < 0 || val->nsymval > 64))
      return report(s, ingot_error(INGOT_CODE_INTERNAL, "%s: value '%s' has %d known entries", src, name, val->nsymval));
    if (val->producer >= 0) {
      const ingot_node_t *p = (uint32_t)val->producer < g->nnodes ? &g->nodes[val->producer] : NULL;
      bool listed = false;
      for (uint32_t o = 0; p && o < p->noutputs && !listed; o++) listed = p->outputs[o] == (int32_t)v;
      if (!listed)
        return report(s, ingot_error(INGOT_CODE_INPUT, "%s: value '%s' records producer #%d, which does not output it",
                                     src, name, val->producer));
      if (val->flags & (INGOT_VAL_INPUT | INGOT_VAL_INIT))
        return report(s, ingot_error(INGOT_CODE_INPUT, "%s: graph %s '%s' is also produced by a node", src,
                                     val->flags & INGOT_VAL_INIT ? "initializer" : "input", name));
    } else if (val->producer != -1) {
      return report(s, ingot_error(INGOT_CODE_INPUT, "%s: value '%s' has invalid producer %d", src, name, val->producer));
    }
    if ((val->flags & INGOT_VAL_OUTER) &&
        (!g->parent || val->outer < 0 || (uint32_t)val->outer >= g->parent->nvalues))
      return report(s, ingot_error(INGOT_CODE_INPUT, "%s: value '%s' refers to a missing outer value", src, name));
  }
  return false;
}

/* Arity, input definitions and order, output ownership. */
static bool verify_node_io(const ingot_graph_t *g, int32_t i, sink_t *s) {
  const ingot_node_t *n = &g->nodes[i];
  const ingot_op_info_t *info = ingot_op_info((ingot_op_t)n->op);
  char w2[512];
  if (info) {
    bool bad_in = n->ninputs < (uint32_t)info->min_inputs ||
                  (info->max_inputs >= 0 && n->ninputs > (uint32_t)info->max_inputs);
    bool bad_out = n->noutputs < (uint32_t)info->min_outputs ||
                   (info->max_outputs >= 0 && n->noutputs > (uint32_t)info->max_outputs);
    char ab[64];
    if (bad_in && report(s, ingot_node_error(g, i, INGOT_CODE_INPUT, "%s takes %s, got %u", info->onnx_name,
                                             arity_text(info->min_inputs, info->max_inputs, "input", ab, sizeof ab),
                                             n->ninputs)))
      return true;
    if (bad_out && report(s, ingot_node_error(g, i, INGOT_CODE_INPUT, "%s gives %s, got %u", info->onnx_name,
                                              arity_text(info->min_outputs, info->max_outputs, "output", ab, sizeof ab),
                                              n->noutputs)))
      return true;
  }
  for (uint32_t k = 0; k < n->ninputs; k++) {
    int32_t v = n->inputs[k];
    if (v == -1) {
      if (info && !ingot_op_input_optional(n->op, k) &&
          report(s, ingot_node_error(g, i, INGOT_CODE_INPUT, "required input %u is missing", k)))
        return true;
      continue;
    }
    if (v < 0 || (uint32_t)v >= g->nvalues) {
      if (report(s, ingot_node_error(g, i, INGOT_CODE_INPUT, "input %u refers to value #%d, which does not exist", k, v)))
        return true;
      continue;
    }
    const ingot_value_t *val = &g->values[v];
    if (val->producer >= i) {
      if (report(s, ingot_node_error(g, i, INGOT_CODE_INPUT,
                                     "input '%s' is produced by %s, which does not come earlier (nodes out of "
                                     "order, or a cycle)", val->name, ingot_node_where(g, val->producer, w2, sizeof w2))))
        return true;
    } else if (val->producer < 0 && !defined_without_producer(val)) {
      if (report(s, ingot_node_error(g, i, INGOT_CODE_INPUT,
                                     "input '%s' is not defined (no producer, not a graph input or initializer)",
                                     val->name)))
        return true;
    }
  }
  for (uint32_t o = 0; o < n->noutputs; o++) {
    int32_t v = n->outputs[o];
    if (v == -1) continue;
    if (v < 0 || (uint32_t)v >= g->nvalues) {
      if (report(s, ingot_node_error(g, i, INGOT_CODE_INPUT, "output %u refers to value #%d, which does not exist", o, v)))
        return true;
      continue;
    }
    bool dup = false;
    for (uint32_t p = 0; p < o && !dup; p++) dup = n->outputs[p] == v;
    const ingot_value_t *val = &g->values[v];
    if (dup && report(s, ingot_node_error(g, i, INGOT_CODE_INPUT, "value '%s' is listed twice as an output", val->name)))
      return true;
    if (val->producer != i &&
        report(s, ingot_node_error(g, i, INGOT_CODE_INPUT, "value '%s' is also produced by %s", val->name,
                                   ingot_node_where(g, val->producer, w2, sizeof w2))))
      return true;
  }
  return false;
}

/* Recurses into GRAPH / GRAPHS attributes. */
static bool verify_subgraphs(const ingot_graph_t *g, int32_t i, bool typed, sink_t *s) {
  const ingot_node_t *n = &g->nodes[i];
  for (uint32_t k = 0; k < n->nattrs; k++) {
    const ingot_attr_t *a = &n->attrs[k];
    if (a->type != INGOT_ATTR_GRAPH && a->type != INGOT_ATTR_GRAPHS) continue;
    size_t cnt = a->type == INGOT_ATTR_GRAPH ? 1 : a->n;
    for (size_t j = 0; j < cnt; j++) {
      const ingot_graph_t *sub = a->type == INGOT_ATTR_GRAPH ? a->g : (a->gs ? a->gs[j] : NULL);
      if (!sub || sub->parent != g) {
        if (report(s, ingot_node_error(g, i, INGOT_CODE_INPUT, "attribute '%s' has no valid subgraph", a->name)))
          return true;
        continue;
      }
      sink_t inner = *s;
      inner.first = INGOT_OK;
      inner.count = 0;
      bool stop = verify_graph(sub, typed, &inner);
      s->count += inner.count;
      if (inner.first) {
        char where[512];
        ingot_node_where(g, i, where, sizeof where);
        s->first = ingot_status_annotate(inner.first, "in '%s' of %s", a->name, where);
      }
      if (stop) return true;
    }
  }
  return false;
}

static bool is_control_flow(int op) { return op == INGOT_OP_IF || op == INGOT_OP_LOOP || op == INGOT_OP_SCAN; }

static bool verify_graph(const ingot_graph_t *g, bool typed, sink_t *s) {
  const char *src = g->source ? g->source : "<graph>";
  if (!g->parent && (g->opset < INGOT_MIN_OPSET || g->opset > INGOT_MAX_OPSET) &&
      report(s, ingot_error(INGOT_CODE_UNSUPPORTED, "%s: default-domain opset %" PRId64 " is not supported (%d to %d are)",
                            src, g->opset, INGOT_MIN_OPSET, INGOT_MAX_OPSET)))
    return true;
  if (verify_values(g, s)) return true;
  for (uint32_t k = 0; k < g->ninputs; k++) {
    int32_t v = g->inputs[k];
    if ((v < 0 || (uint32_t)v >= g->nvalues || !(g->values[v].flags & INGOT_VAL_INPUT)) &&
        report(s, ingot_error(INGOT_CODE_INPUT, "%s: graph input #%u (value #%d) is invalid", src, k, v)))
      return true;
  }
  for (uint32_t i = 0; i < g->nnodes; i++) {
    const ingot_node_t *n = &g->nodes[i];
    int op = n->op;
    if (op == INGOT_OP_NOP) continue;
    if ((op < 0 || op > INGOT_OP_UNKNOWN) && op != INGOT_OP_FUSED) {
      if (report(s, ingot_node_error(g, (int32_t)i, INGOT_CODE_INPUT, "invalid op code %d", op))) return true;
      continue;
    }
    if (verify_node_io(g, (int32_t)i, s)) return true;
    if (check_node_attrs(g, (int32_t)i, false, s)) return true;
    if (verify_subgraphs(g, (int32_t)i, typed, s)) return true;
    if (!typed || !ingot_op_info((ingot_op_t)op) || is_control_flow(op)) continue;
    for (uint32_t o = 0; o < n->noutputs; o++) {
      int32_t v = n->outputs[o];
      if (v < 0 || (uint32_t)v >= g->nvalues) continue;
      const ingot_type_t *t = &g->values[v].type;
      if ((!t->dtype || t->rank < 0) &&
          report(s, ingot_node_error(g, (int32_t)i, INGOT_CODE_INPUT, "output '%s' has no inferred %s",
                                     g->values[v].name, t->dtype ? "shape" : "dtype")))
        return true;
    }
  }
  for (uint32_t k = 0; k < g->noutputs; k++) {
    int32_t v = g->outputs[k];
    bool ok = v >= 0 && (uint32_t)v < g->nvalues &&
              (g->values[v].producer >= 0 || defined_without_producer(&g->values[v]));
    if (!ok && report(s, ingot_error(INGOT_CODE_INPUT, "%s: graph output #%u (value #%d) is not defined", src, k, v)))
      return true;
  }
  return false;
}

ingot_status_t ingot_verify(const ingot_graph_t *g) {
  sink_t s = {true, INGOT_OK, NULL, NULL, 0};
  verify_graph(g, false, &s);
  return s.first;
}

ingot_status_t ingot_verify_typed(const ingot_graph_t *g) {
  sink_t s = {true, INGOT_OK, NULL, NULL, 0};
  verify_graph(g, true, &s);
  return s.first;
}

/* ---- ingot check -------------------------------------------------------------------------- */

/* Reports a value's dtype when ingot cannot compute with it. */
static void check_value_dtype(const ingot_graph_t *g, int32_t v, const char *what, sink_t *s) {
  const ingot_value_t *val = &g->values[v];
  int dt = val->type.dtype;
  if (dt == INGOT_DT_UNDEFINED && g->parent) return; /* subgraph inputs may leave it to inference */
  if (!ingot_dtype_supported(dt))
    report(s, ingot_error(INGOT_CODE_UNSUPPORTED, "%s: %s '%s' has unsupported dtype %s", g->source ? g->source : "<graph>",
                          what, val->name, ingot_dtype_name(dt)));
}

/* Non-default domains used anywhere, reported once each. */
static void check_domains(const ingot_graph_t *g, const char **seen, int *nseen, sink_t *s) {
  for (uint32_t i = 0; i < g->nnodes; i++) {
    const ingot_node_t *n = &g->nodes[i];
    const char *d = n->domain ? n->domain : "";
    if (!*d || strcmp(d, "ai.onnx") == 0) continue;
    bool dup = false;
    for (int k = 0; k < *nseen && !dup; k++) dup = strcmp(seen[k], d) == 0;
    if (dup) continue;
    if (*nseen < 64) seen[(*nseen)++] = d;
    report(s, ingot_node_error(g, (int32_t)i, INGOT_CODE_UNSUPPORTED, "opset domain '%s' is not supported", d));
  }
}

static void check_graph(const ingot_graph_t *g, sink_t *s);

/* Forwards a subgraph's problems, saying which node holds the subgraph. */
typedef struct {
  sink_t *outer;
  char where[600];
} nest_t;

static void nest_forward(void *user, ingot_status_t st) {
  nest_t *nest = user;
  report(nest->outer, ingot_status_annotate(st, "%s", nest->where));
}

static void check_node(const ingot_graph_t *g, int32_t i, sink_t *s) {
  const ingot_node_t *n = &g->nodes[i];
  if (n->op == INGOT_OP_NOP || n->op == INGOT_OP_FUSED) return;
  if (n->op == INGOT_OP_UNKNOWN || !ingot_op_info((ingot_op_t)n->op)) {
    report(s, ingot_node_error(g, i, INGOT_CODE_UNSUPPORTED, "unsupported op '%s' (domain '%s')",
                               n->op_type ? n->op_type : "", n->domain ? n->domain : ""));
    return;
  }
  if (is_control_flow(n->op))
    report(s, ingot_node_error(g, i, INGOT_CODE_UNSUPPORTED,
                               "control flow (%s) is not supported: its subgraphs are checked but cannot run",
                               n->op_type));
  const ingot_op_info_t *info = ingot_op_info((ingot_op_t)n->op);
  char ab[64];
  if (n->ninputs < (uint32_t)info->min_inputs || (info->max_inputs >= 0 && n->ninputs > (uint32_t)info->max_inputs))
    report(s, ingot_node_error(g, i, INGOT_CODE_INPUT, "%s takes %s, got %u", info->onnx_name,
                               arity_text(info->min_inputs, info->max_inputs, "input", ab, sizeof ab), n->ninputs));
  check_node_attrs(g, i, true, s);
  for (uint32_t k = 0; k < n->nattrs; k++) {
    const ingot_attr_t *a = &n->attrs[k];
    size_t cnt = a->type == INGOT_ATTR_GRAPH ? 1 : a->type == INGOT_ATTR_GRAPHS ? a->n : 0;
    for (size_t j = 0; j < cnt; j++) {
      const ingot_graph_t *sub = a->type == INGOT_ATTR_GRAPH ? a->g : (a->gs ? a->gs[j] : NULL);
      if (!sub) continue;
      nest_t nest;
      char where[512];
      nest.outer = s;
      snprintf(nest.where, sizeof nest.where, "in '%s' of %s", a->name, ingot_node_where(g, i, where, sizeof where));
      sink_t inner = {false, INGOT_OK, nest_forward, &nest, 0};
      check_graph(sub, &inner);
    }
  }
}

static void check_graph(const ingot_graph_t *g, sink_t *s) {
  for (uint32_t k = 0; k < g->ninputs; k++)
    if (g->inputs[k] >= 0 && (uint32_t)g->inputs[k] < g->nvalues) check_value_dtype(g, g->inputs[k], "graph input", s);
  for (uint32_t v = 0; v < g->nvalues; v++)
    if (g->values[v].flags & INGOT_VAL_INIT) check_value_dtype(g, (int32_t)v, "initializer", s);
  for (uint32_t i = 0; i < g->nnodes; i++) check_node(g, (int32_t)i, s);
}

static void collect_domains(const ingot_graph_t *g, const char **seen, int *nseen, sink_t *s) {
  check_domains(g, seen, nseen, s);
  for (uint32_t i = 0; i < g->nnodes; i++) {
    const ingot_node_t *n = &g->nodes[i];
    for (uint32_t k = 0; k < n->nattrs; k++) {
      const ingot_attr_t *a = &n->attrs[k];
      size_t cnt = a->type == INGOT_ATTR_GRAPH ? 1 : a->type == INGOT_ATTR_GRAPHS ? a->n : 0;
      for (size_t j = 0; j < cnt; j++) {
        const ingot_graph_t *sub = a->type == INGOT_ATTR_GRAPH ? a->g : (a->gs ? a->gs[j] : NULL);
        if (sub) collect_domains(sub, seen, nseen, s);
      }
    }
  }
}

int ingot_check_all(const ingot_graph_t *g, ingot_diag_fn fn, void *user) {
  sink_t s = {false, INGOT_OK, fn, user, 0};
  if (!g) return 0;
  const char *src = g->source ? g->source : "<graph>";
  if (g->opset < INGOT_MIN_OPSET || g->opset > INGOT_MAX_OPSET)
    report(&s, ingot_error(INGOT_CODE_UNSUPPORTED, "%s: default-domain opset %" PRId64 " is not supported (%d to %d are)",
                           src, g->opset, INGOT_MIN_OPSET, INGOT_MAX_OPSET));
  const char *seen[64];
  int nseen = 0;
  collect_domains(g, seen, &nseen, &s);
  check_graph(g, &s);
  return s.count;
}
