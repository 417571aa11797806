#include "ir.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ---- dtypes ---------------------------------------------------------- */

static const struct {
  const char *name;
  uint8_t size;
  uint8_t supported;
  uint8_t is_float;
} dtype_table[INGOT_DT_COUNT_] = {
    [INGOT_DT_UNDEFINED] = {"undefined", 0, 0, 0},
    [INGOT_DT_FLOAT] = {"float32", 4, 1, 1},
    [INGOT_DT_UINT8] = {"uint8", 1, 1, 0},
    [INGOT_DT_INT8] = {"int8", 1, 1, 0},
    [INGOT_DT_UINT16] = {"uint16", 2, 1, 0},
    [INGOT_DT_INT16] = {"int16", 2, 1, 0},
    [INGOT_DT_INT32] = {"int32", 4, 1, 0},
    [INGOT_DT_INT64] = {"int64", 8, 1, 0},
    [INGOT_DT_STRING] = {"string", 0, 0, 0},
    [INGOT_DT_BOOL] = {"bool", 1, 1, 0},
    [INGOT_DT_FLOAT16] = {"float16", 2, 1, 1},
    [INGOT_DT_DOUBLE] = {"float64", 8, 1, 1},
    [INGOT_DT_UINT32] = {"uint32", 4, 1, 0},
    [INGOT_DT_UINT64] = {"uint64", 8, 1, 0},
    [INGOT_DT_COMPLEX64] = {"complex64", 8, 0, 0},
    [INGOT_DT_COMPLEX128] = {"complex128", 16, 0, 0},
    [INGOT_DT_BFLOAT16] = {"bfloat16", 2, 1, 1},
    [INGOT_DT_FLOAT8E4M3FN] = {"float8e4m3fn", 1, 0, 1},
    [INGOT_DT_FLOAT8E4M3FNUZ] = {"float8e4m3fnuz", 1, 0, 1},
    [INGOT_DT_FLOAT8E5M2] = {"float8e5m2", 1, 0, 1},
    [INGOT_DT_FLOAT8E5M2FNUZ] = {"float8e5m2fnuz", 1, 0, 1},
};

size_t ingot_dtype_size(int dt) {
  return dt > 0 && dt < INGOT_DT_COUNT_ ? dtype_table[dt].size : 0;
}
const char *ingot_dtype_name(int dt) {
  return dt >= 0 && dt < INGOT_DT_COUNT_ ? dtype_table[dt].name : "invalid-dtype";
}
bool ingot_dtype_supported(int dt) {
  return dt > 0 && dt < INGOT_DT_COUNT_ && dtype_table[dt].supported;
}
bool ingot_dtype_is_float(int dt) {
  return dt > 0 && dt < INGOT_DT_COUNT_ && dtype_table[dt].is_float;
}

/* ---- types ----------------------------------------------------------- */

bool ingot_type_numel(const ingot_type_t *t, int64_t *out) {
  if (t->rank < 0) return false;
  int64_t n = 1;
  for (int i = 0; i < t->rank; i++) {
    if (t->dims[i].sym || t->dims[i].v < 0) return false;
    int64_t d = t->dims[i].v;
    if (d != 0 && n > INT64_MAX / d) return false;
    n *= d;
  }
  *out = n;
  return true;
}

bool ingot_type_is_static(const ingot_type_t *t) {
  int64_t n;
  return ingot_type_numel(t, &n);
}

bool ingot_dim_eq(ingot_dim_t a, ingot_dim_t b) {
  if (a.sym || b.sym) return a.sym == b.sym;
  return a.v == b.v;
}

/* ---- ops ------------------------------------------------------------- */

static const ingot_op_info_t op_table[INGOT_OP_COUNT_] = {
#define OP(e, name, mi, xi, mo, xo, attrs) [INGOT_OP_##e] = {name, mi, xi, mo, xo, attrs},
#include "ops.def"
#undef OP
};

const ingot_op_info_t *ingot_op_info(ingot_op_t op) {
  return (unsigned)op < INGOT_OP_COUNT_ ? &op_table[op] : NULL;
}

const char *ingot_op_name(ingot_op_t op) {
  if ((unsigned)op < INGOT_OP_COUNT_) return op_table[op].onnx_name;
  switch (op) {
    case INGOT_OP_UNKNOWN: return "<unknown>";
    case INGOT_OP_NOP: return "nop";
    case INGOT_OP_FUSED: return "fused";
    default: return "<invalid-op>";
  }
}

ingot_op_t ingot_op_lookup(const char *name) {
  for (int i = 0; i < INGOT_OP_COUNT_; i++)
    if (strcmp(op_table[i].onnx_name, name) == 0) return (ingot_op_t)i;
  return INGOT_OP_UNKNOWN;
}

const char *ingot_attr_type_name(int type) {
  static const char *names[] = {"undefined", "float",  "int",     "string",  "tensor",
                                "graph",     "floats", "ints",    "strings", "tensors",
                                "graphs",    "sparse_tensor",     "sparse_tensors",
                                "type_proto", "type_protos"};
  return type >= 0 && type < (int)(sizeof names / sizeof *names) ? names[type] : "invalid";
}

/* ---- graphs ---------------------------------------------------------- */

static void graph_release(ingot_graph_t *g) {
  free(g->values);
  free(g->nodes);
  free(g->inputs);
  free(g->outputs);
  free(g->map);
  free(g->syms);
  free(g->subs);
}

static ingot_status_t graph_init(ingot_graph_t *g) {
  g->map_cap = 64;
  g->map = malloc(g->map_cap * sizeof *g->map);
  if (!g->map) return ingot_error(INGOT_CODE_NOMEM, "out of memory creating a graph");
  memset(g->map, 0xff, g->map_cap * sizeof *g->map);
  g->name = "";
  return INGOT_OK;
}

ingot_status_t ingot_graph_create(const char *source, ingot_graph_t **out) {
  *out = NULL;
  ingot_graph_t *g = calloc(1, sizeof *g);
  if (!g) return ingot_error(INGOT_CODE_NOMEM, "out of memory creating a graph");
  ingot_arena_init(&g->own_arena, 0);
  g->arena = &g->own_arena;
  ingot_status_t st = graph_init(g);
  if (!st) {
    g->source = ingot_arena_strdup(g->arena, source ? source : "<graph>");
    g->nsyms = 1; /* symbol 0 means "concrete" */
    g->syms_cap = 16;
    g->syms = calloc(g->syms_cap, sizeof *g->syms);
    g->producer_name = "";
    if (!g->source || !g->syms) st = ingot_error(INGOT_CODE_NOMEM, "out of memory creating a graph");
  }
  if (st) {
    ingot_graph_free(g);
    return st;
  }
  *out = g;
  return INGOT_OK;
}

ingot_graph_t *ingot_graph_root(ingot_graph_t *g) {
  while (g->parent) g = g->parent;
  return g;
}

ingot_status_t ingot_graph_create_sub(ingot_graph_t *parent, ingot_graph_t **out) {
  *out = NULL;
  ingot_graph_t *root = ingot_graph_root(parent);
  if (root->nsubs == root->subs_cap) {
    uint32_t cap = root->subs_cap ? root->subs_cap * 2 : 8;
    void *p = realloc(root->subs, cap * sizeof *root->subs);
    if (!p) return ingot_error(INGOT_CODE_NOMEM, "out of memory creating a subgraph");
    root->subs = p;
    root->subs_cap = cap;
  }
  ingot_graph_t *g = calloc(1, sizeof *g);
  if (!g) return ingot_error(INGOT_CODE_NOMEM, "out of memory creating a subgraph");
  g->arena = root->arena;
  g->parent = parent;
  g->source = root->source;
  g->ir_version = root->ir_version;
  g->opset = root->opset;
  g->opsets = root->opsets;
  g->nopsets = root->nopsets;
  g->producer_name = root->producer_name;
  g->depth = parent->depth + 1;
  ingot_status_t st = graph_init(g);
  if (st) {
    graph_release(g);
    free(g);
    return st;
  }
  root->subs[root->nsubs++] = g;
  *out = g;
  return INGOT_OK;
}

void ingot_graph_free(ingot_graph_t *g) {
  if (!g) return;
  g = ingot_graph_root(g);
  for (uint32_t i = 0; i < g->nsubs; i++) {
    graph_release(g->subs[i]);
    free(g->subs[i]);
  }
  graph_release(g);
  ingot_arena_free(&g->own_arena);
  free(g);
}

static uint32_t hash_str(const char *s) {
  uint32_t h = 2166136261u; /* FNV-1a */
  for (; *s; s++) h = (h ^ (uint8_t)*s) * 16777619u;
  return h;
}

int32_t ingot_graph_find(const ingot_graph_t *g, const char *name) {
  if (!name || !*name) return -1;
  uint32_t mask = g->map_cap - 1;
  for (uint32_t i = hash_str(name) & mask;; i = (i + 1) & mask) {
    int32_t v = g->map[i];
    if (v < 0) return -1;
    if (strcmp(g->values[v].name, name) == 0) return v;
  }
}

static ingot_status_t map_insert(ingot_graph_t *g, int32_t v) {
  if ((g->nvalues + 1) * 2 > g->map_cap) {
    uint32_t cap = g->map_cap * 2;
    int32_t *m = malloc(cap * sizeof *m);
    if (!m) return ingot_error(INGOT_CODE_NOMEM, "out of memory growing the value map");
    memset(m, 0xff, cap * sizeof *m);
    for (uint32_t i = 0; i < g->map_cap; i++) {
      int32_t w = g->map[i];
      if (w < 0) continue;
      uint32_t j = hash_str(g->values[w].name) & (cap - 1);
      while (m[j] >= 0) j = (j + 1) & (cap - 1);
      m[j] = w;
    }
    free(g->map);
    g->map = m;
    g->map_cap = cap;
  }
  uint32_t mask = g->map_cap - 1;
  uint32_t j = hash_str(g->values[v].name) & mask;
  while (g->map[j] >= 0) j = (j + 1) & mask;
  g->map[j] = v;
  return INGOT_OK;
}

ingot_status_t ingot_graph_add_value(ingot_graph_t *g, const char *name, int32_t *out) {
  *out = -1;
  if (name && *name && ingot_graph_find(g, name) >= 0)
    return ingot_error(INGOT_CODE_INTERNAL, "value '%s' already exists", name);
  if (g->nvalues >= INT32_MAX - 1) return ingot_error(INGOT_CODE_NOMEM, "too many values");
  if (g->nvalues == g->values_cap) {
    uint32_t cap = g->values_cap ? g->values_cap * 2 : 64;
    void *p = realloc(g->values, (size_t)cap * sizeof *g->values);
    if (!p) return ingot_error(INGOT_CODE_NOMEM, "out of memory adding a value");
    g->values = p;
    g->values_cap = cap;
  }
  int32_t id = (int32_t)g->nvalues;
  ingot_value_t *v = &g->values[id];
  memset(v, 0, sizeof *v);
  v->producer = -1;
  v->outer = -1;
  v->type.rank = -1;
  if (name && *name) {
    v->name = ingot_arena_strdup(g->arena, name);
  } else {
    char buf[32];
    snprintf(buf, sizeof buf, "%%%d", id);
    v->name = ingot_arena_strdup(g->arena, buf);
  }
  if (!v->name) return ingot_error(INGOT_CODE_NOMEM, "out of memory adding a value");
  g->nvalues++;
  INGOT_RETURN_IF_ERROR(map_insert(g, id));
  *out = id;
  return INGOT_OK;
}

ingot_status_t ingot_graph_resolve(ingot_graph_t *g, const char *name, int32_t *out) {
  *out = ingot_graph_find(g, name);
  if (*out >= 0 || !g->parent) return INGOT_OK;
  int32_t pv;
  INGOT_RETURN_IF_ERROR(ingot_graph_resolve(g->parent, name, &pv));
  if (pv < 0) return INGOT_OK;
  int32_t v;
  INGOT_RETURN_IF_ERROR(ingot_graph_add_value(g, name, &v));
  ingot_value_t *src = &g->parent->values[pv];
  g->values[v].type = src->type;
  g->values[v].flags = INGOT_VAL_OUTER;
  g->values[v].outer = pv;
  g->values[v].data = src->data;
  g->values[v].nbytes = src->nbytes;
  *out = v;
  return INGOT_OK;
}

ingot_status_t ingot_graph_add_node(ingot_graph_t *g, ingot_op_t op, const char *name,
                                    uint32_t ninputs, uint32_t noutputs, int32_t *out) {
  *out = -1;
  if (g->nnodes >= INT32_MAX - 1) return ingot_error(INGOT_CODE_NOMEM, "too many nodes");
  if (g->nnodes == g->nodes_cap) {
    uint32_t cap = g->nodes_cap ? g->nodes_cap * 2 : 64;
    void *p = realloc(g->nodes, (size_t)cap * sizeof *g->nodes);
    if (!p) return ingot_error(INGOT_CODE_NOMEM, "out of memory adding a node");
    g->nodes = p;
    g->nodes_cap = cap;
  }
  ingot_node_t *n = &g->nodes[g->nnodes];
  memset(n, 0, sizeof *n);
  n->op = op;
  n->op_type = ingot_op_name(op);
  n->domain = "";
  n->name = ingot_arena_strdup(g->arena, name ? name : "");
  n->onnx_index = -1;
  n->ninputs = ninputs;
  n->noutputs = noutputs;
  n->inputs = ingot_arena_calloc(g->arena, ninputs ? ninputs : 1, sizeof *n->inputs);
  n->outputs = ingot_arena_calloc(g->arena, noutputs ? noutputs : 1, sizeof *n->outputs);
  if (!n->name || !n->inputs || !n->outputs)
    return ingot_error(INGOT_CODE_NOMEM, "out of memory adding a node");
  for (uint32_t i = 0; i < ninputs; i++) n->inputs[i] = -1;
  for (uint32_t i = 0; i < noutputs; i++) n->outputs[i] = -1;
  *out = (int32_t)g->nnodes++;
  return INGOT_OK;
}

static ingot_status_t push_index(int32_t **arr, uint32_t *n, uint32_t *cap, int32_t v) {
  if (*n == *cap) {
    uint32_t c = *cap ? *cap * 2 : 8;
    void *p = realloc(*arr, c * sizeof **arr);
    if (!p) return ingot_error(INGOT_CODE_NOMEM, "out of memory");
    *arr = p;
    *cap = c;
  }
  (*arr)[(*n)++] = v;
  return INGOT_OK;
}

ingot_status_t ingot_graph_add_input(ingot_graph_t *g, int32_t v) {
  g->values[v].flags |= INGOT_VAL_INPUT;
  return push_index(&g->inputs, &g->ninputs, &g->inputs_cap, v);
}

ingot_status_t ingot_graph_add_output(ingot_graph_t *g, int32_t v) {
  g->values[v].flags |= INGOT_VAL_OUTPUT;
  return push_index(&g->outputs, &g->noutputs, &g->outputs_cap, v);
}

static ingot_status_t add_sym(ingot_graph_t *root, const char *name, uint32_t *out) {
  if (root->nsyms == root->syms_cap) {
    uint32_t cap = root->syms_cap * 2;
    void *p = realloc(root->syms, cap * sizeof *root->syms);
    if (!p) return ingot_error(INGOT_CODE_NOMEM, "out of memory adding a symbol");
    root->syms = p;
    root->syms_cap = cap;
  }
  const char *s = ingot_arena_strdup(root->arena, name);
  if (!s) return ingot_error(INGOT_CODE_NOMEM, "out of memory adding a symbol");
  root->syms[root->nsyms] = s;
  *out = root->nsyms++;
  return INGOT_OK;
}

ingot_status_t ingot_graph_sym(ingot_graph_t *g, const char *name, uint32_t *out) {
  ingot_graph_t *root = ingot_graph_root(g);
  for (uint32_t i = 1; i < root->nsyms; i++)
    if (strcmp(root->syms[i], name) == 0) {
      *out = i;
      return INGOT_OK;
    }
  return add_sym(root, name, out);
}

ingot_status_t ingot_graph_new_sym(ingot_graph_t *g, uint32_t *out) {
  ingot_graph_t *root = ingot_graph_root(g);
  char buf[32];
  snprintf(buf, sizeof buf, "?%u", root->nsyms);
  return add_sym(root, buf, out);
}

const char *ingot_graph_sym_name(ingot_graph_t *g, uint32_t sym) {
  ingot_graph_t *root = ingot_graph_root(g);
  return sym > 0 && sym < root->nsyms ? root->syms[sym] : "?";
}

/* ---- attributes ------------------------------------------------------ */

const ingot_attr_t *ingot_node_attr(const ingot_node_t *n, const char *name) {
  for (uint32_t i = 0; i < n->nattrs; i++)
    if (strcmp(n->attrs[i].name, name) == 0) return &n->attrs[i];
  return NULL;
}

int64_t ingot_node_attr_i(const ingot_node_t *n, const char *name, int64_t dflt) {
  const ingot_attr_t *a = ingot_node_attr(n, name);
  return a && a->type == INGOT_ATTR_INT ? a->i : dflt;
}

float ingot_node_attr_f(const ingot_node_t *n, const char *name, float dflt) {
  const ingot_attr_t *a = ingot_node_attr(n, name);
  return a && a->type == INGOT_ATTR_FLOAT ? a->f : dflt;
}

const char *ingot_node_attr_s(const ingot_node_t *n, const char *name, const char *dflt) {
  const ingot_attr_t *a = ingot_node_attr(n, name);
  return a && a->type == INGOT_ATTR_STRING ? a->s : dflt;
}

int64_t ingot_node_attr_ints(const ingot_node_t *n, const char *name, const int64_t **out) {
  const ingot_attr_t *a = ingot_node_attr(n, name);
  if (!a || a->type != INGOT_ATTR_INTS) {
    if (out) *out = NULL;
    return -1;
  }
  if (out) *out = a->ints;
  return (int64_t)a->n;
}

/* ---- messages -------------------------------------------------------- */

const char *ingot_node_where(const ingot_graph_t *g, int32_t node, char *buf, size_t len) {
  if (node < 0 || (uint32_t)node >= g->nnodes) {
    snprintf(buf, len, "node #%d", node);
    return buf;
  }
  const ingot_node_t *n = &g->nodes[node];
  int idx = n->onnx_index >= 0 ? n->onnx_index : node;
  const char *dom = n->domain && *n->domain ? n->domain : NULL;
  /* names from the file can be any length: keep messages to one readable line */
  const char *name = n->name && *n->name ? n->name : "<unnamed>";
  const char *op = n->op_type ? n->op_type : ingot_op_name(n->op);
  snprintf(buf, len, "node '%.200s%s' (#%d, %.60s%s%.60s)", name, strlen(name) > 200 ? "..." : "", idx,
           dom ? dom : "", dom ? "::" : "", op);
  return buf;
}

ingot_status_t ingot_node_error(const ingot_graph_t *g, int32_t node, ingot_code_t code,
                                const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  ingot_status_t st = ingot_errorv(code, fmt, ap);
  va_end(ap);
  char where[512];
  ingot_node_where(g, node, where, sizeof where);
  return ingot_status_annotate(st, "%s: %s", g->source ? g->source : "<graph>", where);
}

const char *ingot_type_str(const ingot_graph_t *g, const ingot_type_t *t, char *buf, size_t len) {
  if (t->rank < 0) {
    snprintf(buf, len, "[?]");
    return buf;
  }
  size_t o = 0;
  o += (size_t)snprintf(buf + o, o < len ? len - o : 0, "[");
  for (int i = 0; i < t->rank; i++) {
    const char *sep = i ? "," : "";
    if (t->dims[i].sym)
      o += (size_t)snprintf(buf + o, o < len ? len - o : 0, "%s%s", sep,
                            ingot_graph_sym_name((ingot_graph_t *)g, t->dims[i].sym));
    else
      o += (size_t)snprintf(buf + o, o < len ? len - o : 0, "%s%" PRId64, sep, t->dims[i].v);
  }
  snprintf(buf + (o < len ? o : len - 1), o < len ? len - o : 1, "]");
  return buf;
}

ingot_status_t ingot_value_nbytes(const ingot_graph_t *g, int32_t v, size_t *out) {
  const ingot_value_t *val = &g->values[v];
  int64_t n;
  if (!ingot_type_numel(&val->type, &n))
    return ingot_error(INGOT_CODE_INPUT, "%s: value '%s' has no static size", g->source, val->name);
  size_t es = ingot_dtype_size(val->type.dtype);
  if (es == 0)
    return ingot_error(INGOT_CODE_UNSUPPORTED, "%s: value '%s' has dtype %s", g->source, val->name,
                       ingot_dtype_name(val->type.dtype));
  if ((uint64_t)n > SIZE_MAX / es)
    return ingot_error(INGOT_CODE_INPUT, "%s: value '%s' is too large", g->source, val->name);
  *out = (size_t)n * es;
  return INGOT_OK;
}
