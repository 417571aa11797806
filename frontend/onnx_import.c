/* ONNX importer.  See onnx_import.h for the contract.
 *
 * Order of work:
 *   1. read the file (bounded size), pre-scan the protobuf wire format with
 *      the generated descriptors so nesting depth and every length prefix are
 *      checked before protobuf-c allocates anything;
 *   2. unpack with protobuf-c;
 *   3. convert model header (ir_version, opsets), then the graph: initializers,
 *      inputs, outputs, nodes (outputs first, so inputs can be resolved in any
 *      order), attributes (recursing into subgraphs with a depth limit);
 *   4. sort nodes topologically (Kahn); what is left over is a cycle. */
#include "onnx_import.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "onnx.pb-c.h"

typedef struct {
  const char *source;    /* model path for messages */
  const char *model_dir; /* NULL: no external data */
  char *model_dir_real;  /* realpath of model_dir */
} import_ctx_t;

/* ---- 1. wire-format pre-scan ----------------------------------------------- */

/* 1 ok, 0 end of data, -1 longer than the 10 bytes a 64-bit varint takes. */
static int read_varint(const uint8_t *p, size_t len, size_t *pos, uint64_t *out) {
  uint64_t v = 0;
  for (int shift = 0; shift < 70; shift += 7) {
    if (*pos >= len) return 0;
    uint8_t b = p[(*pos)++];
    if (shift == 63 && (b & 0x7e)) return -1; /* bits past 64 */
    v |= (uint64_t)(b & 0x7f) << shift;
    if (!(b & 0x80)) {
      *out = v;
      return 1;
    }
  }
  return -1;
}

static ingot_status_t prescan(const import_ctx_t *cx, const ProtobufCMessageDescriptor *d,
                              const uint8_t *p, size_t len, int depth) {
  if (depth > INGOT_IMPORT_MAX_MSG_DEPTH)
    return ingot_error(INGOT_CODE_INPUT,
                       "%s: protobuf messages nested deeper than %d levels (subgraphs nested too deep?)",
                       cx->source, INGOT_IMPORT_MAX_MSG_DEPTH);
  size_t pos = 0;
  while (pos < len) {
    uint64_t key;
    int r = read_varint(p, len, &pos, &key);
    if (r <= 0)
      return ingot_error(INGOT_CODE_INPUT, "%s: %s protobuf (bad field key at byte %zu of a %s)", cx->source,
                         r < 0 ? "malformed (varint longer than 10 bytes)" : "truncated", pos, d->short_name);
    uint32_t field = (uint32_t)(key >> 3), wt = (uint32_t)(key & 7);
    if (field == 0 || key >> 3 > 0x1fffffff)
      return ingot_error(INGOT_CODE_INPUT, "%s: malformed protobuf (field number 0 in a %s): not an ONNX model?",
                         cx->source, d->short_name);
    uint64_t v;
    switch (wt) {
      case 0:
        r = read_varint(p, len, &pos, &v);
        if (r <= 0)
          return ingot_error(INGOT_CODE_INPUT, "%s: %s protobuf (varint in a %s)", cx->source,
                             r < 0 ? "malformed (varint longer than 10 bytes)" : "truncated", d->short_name);
        break;
      case 1:
      case 5: {
        size_t w = wt == 1 ? 8 : 4;
        if (len - pos < w)
          return ingot_error(INGOT_CODE_INPUT, "%s: truncated protobuf (fixed field in a %s)", cx->source, d->short_name);
        pos += w;
        break;
      }
      case 2: {
        if (read_varint(p, len, &pos, &v) <= 0 || v > len - pos)
          return ingot_error(INGOT_CODE_INPUT,
                             "%s: truncated protobuf (field %u of a %s claims more bytes than the file has)",
                             cx->source, field, d->short_name);
        const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field(d, field);
        if (f && f->type == PROTOBUF_C_TYPE_MESSAGE)
          INGOT_RETURN_IF_ERROR(prescan(cx, f->descriptor, p + pos, (size_t)v, depth + 1));
        pos += (size_t)v;
        break;
      }
      default:
        return ingot_error(INGOT_CODE_INPUT, "%s: malformed protobuf (wire type %u in a %s): not an ONNX model?",
                           cx->source, wt, d->short_name);
    }
  }
  return INGOT_OK;
}

/* ---- tensors ------------------------------------------------------------------ */

/* Validated dims -> element count. */
static ingot_status_t check_dims(const char *what, size_t n, const int64_t *dims, int64_t *numel) {
  if (n > INGOT_MAX_RANK)
    return ingot_error(INGOT_CODE_UNSUPPORTED, "%s has rank %zu (at most %d supported)", what, n, INGOT_MAX_RANK);
  int64_t e = 1;
  for (size_t i = 0; i < n; i++) {
    if (dims[i] < 0) return ingot_error(INGOT_CODE_INPUT, "%s has negative dim %" PRId64, what, dims[i]);
    if (dims[i] && e > INGOT_IMPORT_MAX_ELEMENTS / dims[i])
      return ingot_error(INGOT_CODE_INPUT, "%s has dims whose product overflows (more than 2^40 elements)", what);
    e *= dims[i];
  }
  *numel = e;
  return INGOT_OK;
}

static int path_is_safe(const char *loc) {
  if (!*loc || loc[0] == '/') return 0;
  const char *s = loc;
  while (*s) {
    const char *e = strchr(s, '/');
    size_t n = e ? (size_t)(e - s) : strlen(s);
    if (n == 2 && s[0] == '.' && s[1] == '.') return 0;
    if (!e) break;
    s = e + 1;
  }
  return 1;
}

/* Opens and validates the external data of t (location inside the model's
 * folder, range inside the file) before anything is allocated; *fd_out and
 * *off_out locate the bytes. */
static ingot_status_t open_external(const import_ctx_t *cx, const char *what, Onnx__TensorProto *t, size_t nbytes,
                                    int *fd_out, int64_t *off_out) {
  *fd_out = -1;
  const char *loc = NULL;
  int64_t offset = 0, length = -1;
  for (size_t i = 0; i < t->n_external_data; i++) {
    const char *k = t->external_data[i]->key, *v = t->external_data[i]->value;
    if (!k || !v) continue;
    char *end;
    if (strcmp(k, "location") == 0) {
      loc = v;
    } else if (strcmp(k, "offset") == 0 || strcmp(k, "length") == 0) {
      errno = 0;
      long long x = strtoll(v, &end, 10);
      if (errno || *end || end == v || x < 0)
        return ingot_error(INGOT_CODE_INPUT, "%s: external data %s '%.200s' is not a non-negative integer", what, k, v);
      if (k[0] == 'o') offset = x;
      else length = x;
    }
  }
  if (!loc) return ingot_error(INGOT_CODE_INPUT, "%s: external data has no location", what);
  if (!cx->model_dir)
    return ingot_error(INGOT_CODE_INPUT, "%s: external data '%.200s' cannot be read (model not loaded from a file)", what, loc);
  if (!path_is_safe(loc))
    return ingot_error(INGOT_CODE_INPUT,
                       "%s: external data location '%.200s' is outside the model's folder (absolute or '..')", what, loc);
  if (length >= 0 && (uint64_t)length != nbytes)
    return ingot_error(INGOT_CODE_INPUT, "%s: external data length %" PRId64 " but dims need %zu bytes", what,
                       length, nbytes);
  size_t plen = strlen(cx->model_dir) + 1 + strlen(loc) + 1;
  char *path = malloc(plen);
  if (!path) return ingot_error(INGOT_CODE_NOMEM, "out of memory");
  snprintf(path, plen, "%s/%s", cx->model_dir, loc);
  /* Symlinks could still lead out of the folder: compare real paths. */
  char *real = realpath(path, NULL);
  ingot_status_t st = INGOT_OK;
  if (!real) {
    st = ingot_error(INGOT_CODE_IO, "%s: external data file '%.200s': %s", what, path, strerror(errno));
  } else {
    size_t dl = strlen(cx->model_dir_real);
    if (strncmp(real, cx->model_dir_real, dl) != 0 || (real[dl] != '/' && real[dl] != 0))
      st = ingot_error(INGOT_CODE_INPUT, "%s: external data '%.200s' resolves outside the model's folder", what, loc);
  }
  int fd = -1;
  if (!st) {
    fd = open(real, O_RDONLY);
    if (fd < 0) st = ingot_error(INGOT_CODE_IO, "%s: cannot open external data '%.200s': %s", what, path, strerror(errno));
  }
  struct stat sb;
  if (!st && fstat(fd, &sb) != 0) st = ingot_error(INGOT_CODE_IO, "%s: cannot stat '%.200s'", what, path);
  if (!st && !S_ISREG(sb.st_mode)) st = ingot_error(INGOT_CODE_INPUT, "%s: external data '%.200s' is not a regular file", what, path);
  if (!st && ((uint64_t)offset > (uint64_t)sb.st_size || nbytes > (uint64_t)sb.st_size - (uint64_t)offset))
    st = ingot_error(INGOT_CODE_INPUT,
                     "%s: external data '%.200s' range [%" PRId64 ", +%zu) is past its end (%lld bytes)", what, loc,
                     offset, nbytes, (long long)sb.st_size);
  if (st && fd >= 0) close(fd);
  if (!st) {
    *fd_out = fd;
    *off_out = offset;
  }
  free(real);
  free(path);
  return st;
}

static ingot_status_t read_external(const char *what, int fd, int64_t offset, size_t nbytes, void *dst) {
  size_t got = 0;
  ingot_status_t st = INGOT_OK;
  while (!st && got < nbytes) {
    ssize_t r = pread(fd, (char *)dst + got, nbytes - got, (off_t)(offset + (int64_t)got));
    if (r <= 0) st = ingot_error(INGOT_CODE_IO, "%s: short read from external data", what);
    else got += (size_t)r;
  }
  close(fd);
  return st;
}

static uint16_t float_to_bf16_bits(float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  return (uint16_t)(u >> 16);
}

/* Converts a TensorProto into dtype/dims/data allocated in the arena. */
static ingot_status_t convert_tensor(const import_ctx_t *cx, ingot_arena_t *arena, Onnx__TensorProto *t,
                                     const char *what, ingot_const_t *out) {
  memset(out, 0, sizeof *out);
  if (!t->has_data_type || t->data_type == 0)
    return ingot_error(INGOT_CODE_INPUT, "%s has no data type", what);
  int dt = t->data_type;
  size_t es = ingot_dtype_size(dt);
  if (!ingot_dtype_supported(dt))
    return ingot_error(INGOT_CODE_UNSUPPORTED, "%s has unsupported dtype %s (%d)", what, ingot_dtype_name(dt), dt);
  if (t->segment) return ingot_error(INGOT_CODE_UNSUPPORTED, "%s is a segmented tensor", what);
  int64_t numel = 0;
  INGOT_RETURN_IF_ERROR(check_dims(what, t->n_dims, t->dims, &numel));
  out->dtype = dt;
  out->rank = (int32_t)t->n_dims;
  for (size_t i = 0; i < t->n_dims; i++) out->dims[i] = t->dims[i];
  if ((uint64_t)numel > SIZE_MAX / es) return ingot_error(INGOT_CODE_INPUT, "%s is too large", what);
  size_t nbytes = (size_t)numel * es;
  int external = t->has_data_location && t->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;

  /* Work out where the data is and that it has exactly the right size before
   * allocating, so a tiny file cannot make us allocate a huge tensor. */
  size_t have = 0;
  const char *field = "raw_data";
  if (external) {
    have = nbytes; /* checked against the external file's size when read */
  } else if (t->has_raw_data) {
    have = t->raw_data.len;
  } else {
    switch (dt) {
      case INGOT_DT_FLOAT: have = t->n_float_data * es; field = "float_data"; break;
      case INGOT_DT_DOUBLE: have = t->n_double_data * es; field = "double_data"; break;
      case INGOT_DT_INT64: have = t->n_int64_data * es; field = "int64_data"; break;
      case INGOT_DT_UINT32:
      case INGOT_DT_UINT64: have = t->n_uint64_data * es; field = "uint64_data"; break;
      default: have = t->n_int32_data * es; field = "int32_data"; break;
    }
  }
  if (have != nbytes)
    return ingot_error(INGOT_CODE_INPUT, "%s: %s holds %zu bytes but dims need %zu", what, field, have, nbytes);
  int xfd = -1;
  int64_t xoff = 0;
  if (external) INGOT_RETURN_IF_ERROR(open_external(cx, what, t, nbytes, &xfd, &xoff));
  void *data = ingot_arena_alloc(arena, nbytes ? nbytes : 1);
  if (!data) {
    if (xfd >= 0) close(xfd);
    return ingot_error(INGOT_CODE_NOMEM, "%s: out of memory for %zu bytes", what, nbytes);
  }
  out->data = data;
  out->nbytes = nbytes;
  if (external) return read_external(what, xfd, xoff, nbytes, data);
  if (t->has_raw_data) {
    memcpy(data, t->raw_data.data, nbytes);
    return INGOT_OK;
  }
  size_t n = (size_t)numel;
  for (size_t i = 0; i < n; i++) {
    switch (dt) {
      case INGOT_DT_FLOAT: ((float *)data)[i] = t->float_data[i]; break;
      case INGOT_DT_DOUBLE: ((double *)data)[i] = t->double_data[i]; break;
      case INGOT_DT_INT64: ((int64_t *)data)[i] = t->int64_data[i]; break;
      case INGOT_DT_UINT32: ((uint32_t *)data)[i] = (uint32_t)t->uint64_data[i]; break;
      case INGOT_DT_UINT64: ((uint64_t *)data)[i] = t->uint64_data[i]; break;
      case INGOT_DT_INT32: ((int32_t *)data)[i] = t->int32_data[i]; break;
      case INGOT_DT_INT16: ((int16_t *)data)[i] = (int16_t)t->int32_data[i]; break;
      case INGOT_DT_UINT16:
      case INGOT_DT_FLOAT16: /* int32_data holds the 16 bits (ONNX spec) */
      case INGOT_DT_BFLOAT16: ((uint16_t *)data)[i] = (uint16_t)t->int32_data[i]; break;
      case INGOT_DT_INT8: ((int8_t *)data)[i] = (int8_t)t->int32_data[i]; break;
      case INGOT_DT_UINT8: ((uint8_t *)data)[i] = (uint8_t)t->int32_data[i]; break;
      case INGOT_DT_BOOL: ((uint8_t *)data)[i] = t->int32_data[i] != 0; break;
      default: return ingot_error(INGOT_CODE_UNSUPPORTED, "%s: dtype %s in typed fields", what, ingot_dtype_name(dt));
    }
  }
  (void)float_to_bf16_bits;
  return INGOT_OK;
}

/* ---- value infos ------------------------------------------------------------- */

static ingot_status_t convert_type(ingot_graph_t *g, const char *what, const Onnx__TypeProto *tp, ingot_type_t *out) {
  out->dtype = INGOT_DT_UNDEFINED;
  out->rank = -1;
  if (!tp) return INGOT_OK; /* unknown type: inference fills it in */
  if (tp->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || !tp->tensor_type)
    return ingot_error(INGOT_CODE_UNSUPPORTED, "%s is not a tensor (sequences, maps and optionals are unsupported)", what);
  const Onnx__TypeProto__Tensor *tt = tp->tensor_type;
  if (tt->has_elem_type) {
    if (tt->elem_type < 0 || tt->elem_type >= INGOT_DT_COUNT_)
      return ingot_error(INGOT_CODE_INPUT, "%s has invalid element type %d", what, tt->elem_type);
    out->dtype = tt->elem_type;
  }
  if (!tt->shape) return INGOT_OK;
  if (tt->shape->n_dim > INGOT_MAX_RANK)
    return ingot_error(INGOT_CODE_UNSUPPORTED, "%s has rank %zu (at most %d supported)", what, tt->shape->n_dim,
                       INGOT_MAX_RANK);
  out->rank = (int32_t)tt->shape->n_dim;
  int64_t prod = 1;
  for (size_t i = 0; i < tt->shape->n_dim; i++) {
    const Onnx__TensorShapeProto__Dimension *d = tt->shape->dim[i];
    if (d && d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE) {
      if (d->dim_value < 0)
        return ingot_error(INGOT_CODE_INPUT, "%s has negative dim %" PRId64 " at axis %zu", what, d->dim_value, i);
      if (d->dim_value && prod > INGOT_IMPORT_MAX_ELEMENTS / d->dim_value)
        return ingot_error(INGOT_CODE_INPUT, "%s has dims whose product overflows (more than 2^40 elements)", what);
      prod *= d->dim_value;
      out->dims[i] = ingot_dim_const(d->dim_value);
    } else if (d && d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM && d->dim_param &&
               *d->dim_param) {
      uint32_t s;
      INGOT_RETURN_IF_ERROR(ingot_graph_sym(g, d->dim_param, &s));
      out->dims[i].v = -1;
      out->dims[i].sym = s;
    } else {
      uint32_t s;
      INGOT_RETURN_IF_ERROR(ingot_graph_new_sym(g, &s));
      out->dims[i].v = -1;
      out->dims[i].sym = s;
    }
  }
  return INGOT_OK;
}

/* ---- graphs ---------------------------------------------------------------- */

static ingot_status_t convert_graph(const import_ctx_t *cx, ingot_graph_t *g, const Onnx__GraphProto *gp);

static ingot_status_t convert_attr(const import_ctx_t *cx, ingot_graph_t *g, const Onnx__AttributeProto *ap,
                                   const char *where, ingot_attr_t *a) {
  ingot_arena_t *ar = g->arena;
  if (!ap->name || !*ap->name) return ingot_error(INGOT_CODE_INPUT, "%s: attribute without a name", where);
  a->name = ingot_arena_strdup(ar, ap->name);
  if (!a->name) return ingot_error(INGOT_CODE_NOMEM, "out of memory");
  if (ap->ref_attr_name && *ap->ref_attr_name)
    return ingot_error(INGOT_CODE_UNSUPPORTED, "%s: attribute '%.200s' refers to a function attribute", where, ap->name);
  int type = ap->has_type ? (int)ap->type : 0;
  if (type == 0) {
    /* Old exporters omit the type; infer it from the one field that is set. */
    if (ap->has_f) type = INGOT_ATTR_FLOAT;
    else if (ap->has_i) type = INGOT_ATTR_INT;
    else if (ap->has_s) type = INGOT_ATTR_STRING;
    else if (ap->t) type = INGOT_ATTR_TENSOR;
    else if (ap->g) type = INGOT_ATTR_GRAPH;
    else if (ap->n_floats) type = INGOT_ATTR_FLOATS;
    else if (ap->n_ints) type = INGOT_ATTR_INTS;
    else if (ap->n_strings) type = INGOT_ATTR_STRINGS;
    else if (ap->n_tensors) type = INGOT_ATTR_TENSORS;
    else if (ap->n_graphs) type = INGOT_ATTR_GRAPHS;
    else return ingot_error(INGOT_CODE_INPUT, "%s: attribute '%.200s' has no type and no value", where, ap->name);
  }
  a->type = type;
  char what[600];
  snprintf(what, sizeof what, "%s: attribute '%.200s'", where, ap->name);
  switch (type) {
    case INGOT_ATTR_FLOAT: a->f = ap->f; break;
    case INGOT_ATTR_INT: a->i = ap->i; break;
    case INGOT_ATTR_STRING:
      a->s = ingot_arena_strndup(ar, ap->has_s ? (const char *)ap->s.data : "", ap->has_s ? ap->s.len : 0);
      a->slen = ap->has_s ? ap->s.len : 0;
      if (!a->s) return ingot_error(INGOT_CODE_NOMEM, "out of memory");
      break;
    case INGOT_ATTR_FLOATS:
      a->n = ap->n_floats;
      a->floats = ingot_arena_calloc(ar, a->n ? a->n : 1, sizeof(float));
      if (!a->floats) return ingot_error(INGOT_CODE_NOMEM, "out of memory");
      if (a->n) memcpy(a->floats, ap->floats, a->n * sizeof(float));
      break;
    case INGOT_ATTR_INTS:
      a->n = ap->n_ints;
      a->ints = ingot_arena_calloc(ar, a->n ? a->n : 1, sizeof(int64_t));
      if (!a->ints) return ingot_error(INGOT_CODE_NOMEM, "out of memory");
      if (a->n) memcpy(a->ints, ap->ints, a->n * sizeof(int64_t));
      break;
    case INGOT_ATTR_STRINGS:
      a->n = ap->n_strings;
      a->strings = ingot_arena_calloc(ar, a->n ? a->n : 1, sizeof(char *));
      if (!a->strings) return ingot_error(INGOT_CODE_NOMEM, "out of memory");
      for (size_t i = 0; i < a->n; i++) {
        a->strings[i] = ingot_arena_strndup(ar, (const char *)ap->strings[i].data, ap->strings[i].len);
        if (!a->strings[i]) return ingot_error(INGOT_CODE_NOMEM, "out of memory");
      }
      break;
    case INGOT_ATTR_TENSOR:
      if (!ap->t) return ingot_error(INGOT_CODE_INPUT, "%s has type tensor but no tensor", what);
      a->t = ingot_arena_alloc(ar, sizeof *a->t);
      if (!a->t) return ingot_error(INGOT_CODE_NOMEM, "out of memory");
      INGOT_RETURN_IF_ERROR(convert_tensor(cx, ar, ap->t, what, a->t));
      break;
    case INGOT_ATTR_TENSORS:
      a->n = ap->n_tensors;
      a->ts = ingot_arena_calloc(ar, a->n ? a->n : 1, sizeof *a->ts);
      if (!a->ts) return ingot_error(INGOT_CODE_NOMEM, "out of memory");
      for (size_t i = 0; i < a->n; i++) INGOT_RETURN_IF_ERROR(convert_tensor(cx, ar, ap->tensors[i], what, &a->ts[i]));
      break;
    case INGOT_ATTR_GRAPH:
    case INGOT_ATTR_GRAPHS: {
      size_t n = type == INGOT_ATTR_GRAPH ? (ap->g ? 1 : 0) : ap->n_graphs;
      if (type == INGOT_ATTR_GRAPH && !ap->g) return ingot_error(INGOT_CODE_INPUT, "%s has type graph but no graph", what);
      if (g->depth + 1 > INGOT_IMPORT_MAX_SUBGRAPH_DEPTH)
        return ingot_error(INGOT_CODE_INPUT, "%s: subgraphs nested deeper than %d levels", what,
                           INGOT_IMPORT_MAX_SUBGRAPH_DEPTH);
      if (ingot_graph_root(g)->nsubs + n > INGOT_IMPORT_MAX_SUBGRAPHS)
        return ingot_error(INGOT_CODE_INPUT, "%s: more than %d subgraphs in the model", what,
                           INGOT_IMPORT_MAX_SUBGRAPHS);
      a->n = type == INGOT_ATTR_GRAPHS ? n : 0;
      a->gs = ingot_arena_calloc(ar, n ? n : 1, sizeof *a->gs);
      if (!a->gs) return ingot_error(INGOT_CODE_NOMEM, "out of memory");
      for (size_t i = 0; i < n; i++) {
        ingot_graph_t *sub;
        INGOT_RETURN_IF_ERROR(ingot_graph_create_sub(g, &sub));
        /* no extra context per level: the innermost error names file and node */
        INGOT_RETURN_IF_ERROR(convert_graph(cx, sub, type == INGOT_ATTR_GRAPH ? ap->g : ap->graphs[i]));
        a->gs[i] = sub;
      }
      if (type == INGOT_ATTR_GRAPH) a->g = a->gs[0];
      break;
    }
    case INGOT_ATTR_SPARSE_TENSOR:
    case INGOT_ATTR_SPARSE_TENSORS:
    case INGOT_ATTR_TYPE_PROTO:
    case INGOT_ATTR_TYPE_PROTOS:
      /* Kept as a typed attribute with no value; ingot check reports it. */
      break;
    default:
      return ingot_error(INGOT_CODE_INPUT, "%s has invalid attribute type %d", what, type);
  }
  return INGOT_OK;
}

static const char *str_or_empty(const char *s) { return s ? s : ""; }

/* Kahn's algorithm over value producers.  Nodes that never become ready lie
 * on (or behind) a cycle. */
static ingot_status_t topo_sort(ingot_graph_t *g) {
  uint32_t n = g->nnodes;
  if (n == 0) return INGOT_OK;
  int32_t *indeg = calloc(n, sizeof *indeg);
  int32_t *order = malloc(n * sizeof *order);
  /* consumers as CSR: for each value, the nodes reading it */
  int32_t *cnt = calloc(g->nvalues + 1, sizeof *cnt);
  ingot_status_t st = INGOT_OK;
  if (!indeg || !order || !cnt) {
    st = ingot_error(INGOT_CODE_NOMEM, "out of memory sorting nodes");
    goto done;
  }
  size_t total = 0;
  for (uint32_t i = 0; i < n; i++)
    for (uint32_t j = 0; j < g->nodes[i].ninputs; j++) {
      int32_t v = g->nodes[i].inputs[j];
      if (v >= 0 && g->values[v].producer >= 0) {
        cnt[v + 1]++;
        indeg[i]++;
        total++;
      }
    }
  for (uint32_t v = 0; v < g->nvalues; v++) cnt[v + 1] += cnt[v];
  int32_t *users = malloc((total ? total : 1) * sizeof *users);
  int32_t *fill = calloc(g->nvalues, sizeof *fill);
  if (!users || !fill) {
    free(users);
    free(fill);
    st = ingot_error(INGOT_CODE_NOMEM, "out of memory sorting nodes");
    goto done;
  }
  for (uint32_t i = 0; i < n; i++)
    for (uint32_t j = 0; j < g->nodes[i].ninputs; j++) {
      int32_t v = g->nodes[i].inputs[j];
      if (v >= 0 && g->values[v].producer >= 0) users[cnt[v] + fill[v]++] = (int32_t)i;
    }
  uint32_t head = 0, tail = 0;
  for (uint32_t i = 0; i < n; i++)
    if (indeg[i] == 0) order[tail++] = (int32_t)i;
  while (head < tail) {
    const ingot_node_t *nd = &g->nodes[order[head++]];
    for (uint32_t o = 0; o < nd->noutputs; o++) {
      int32_t v = nd->outputs[o];
      if (v < 0) continue;
      for (int32_t k = cnt[v]; k < cnt[v + 1]; k++)
        if (--indeg[users[k]] == 0) order[tail++] = users[k];
    }
  }
  free(users);
  free(fill);
  if (tail < n) {
    uint32_t bad = 0;
    while (indeg[bad] == 0) bad++;
    char where[512];
    st = ingot_error(INGOT_CODE_INPUT, "%s: the graph has a cycle through %s", g->source,
                     ingot_node_where(g, (int32_t)bad, where, sizeof where));
    goto done;
  }
  /* Permute nodes and fix producers. */
  ingot_node_t *sorted = malloc(n * sizeof *sorted);
  if (!sorted) {
    st = ingot_error(INGOT_CODE_NOMEM, "out of memory sorting nodes");
    goto done;
  }
  for (uint32_t i = 0; i < n; i++) sorted[i] = g->nodes[order[i]];
  memcpy(g->nodes, sorted, n * sizeof *sorted);
  free(sorted);
  for (uint32_t i = 0; i < n; i++)
    for (uint32_t o = 0; o < g->nodes[i].noutputs; o++)
      if (g->nodes[i].outputs[o] >= 0) g->values[g->nodes[i].outputs[o]].producer = (int32_t)i;
done:
  free(indeg);
  free(order);
  free(cnt);
  return st;
}

static ingot_status_t convert_graph(const import_ctx_t *cx, ingot_graph_t *g, const Onnx__GraphProto *gp) {
  ingot_arena_t *ar = g->arena;
  g->name = ingot_arena_strdup(ar, str_or_empty(gp->name));
  char what[600];

  /* initializers */
  for (size_t i = 0; i < gp->n_initializer; i++) {
    Onnx__TensorProto *t = gp->initializer[i];
    if (!t->name || !*t->name)
      return ingot_error(INGOT_CODE_INPUT, "%s: initializer #%zu has no name", cx->source, i);
    snprintf(what, sizeof what, "%s: initializer '%.200s'", cx->source, t->name);
    if (ingot_graph_find(g, t->name) >= 0)
      return ingot_error(INGOT_CODE_INPUT, "%s is defined twice", what);
    ingot_const_t c;
    INGOT_RETURN_IF_ERROR(convert_tensor(cx, ar, t, what, &c));
    int32_t v;
    INGOT_RETURN_IF_ERROR(ingot_graph_add_value(g, t->name, &v));
    ingot_value_t *val = &g->values[v];
    val->flags |= INGOT_VAL_INIT;
    val->type.dtype = c.dtype;
    val->type.rank = c.rank;
    for (int d = 0; d < c.rank; d++) val->type.dims[d] = ingot_dim_const(c.dims[d]);
    val->data = c.data;
    val->nbytes = c.nbytes;
  }
  if (gp->n_sparse_initializer)
    return ingot_error(INGOT_CODE_UNSUPPORTED, "%s: sparse initializers are not supported", cx->source);

  /* inputs (an input that is also an initializer is a defaulted weight) */
  for (size_t i = 0; i < gp->n_input; i++) {
    const Onnx__ValueInfoProto *vi = gp->input[i];
    if (!vi->name || !*vi->name) return ingot_error(INGOT_CODE_INPUT, "%s: graph input #%zu has no name", cx->source, i);
    snprintf(what, sizeof what, "%s: graph input '%.200s'", cx->source, vi->name);
    int32_t v = ingot_graph_find(g, vi->name);
    if (v >= 0) {
      if (g->values[v].flags & INGOT_VAL_INIT) continue;
      return ingot_error(INGOT_CODE_INPUT, "%s is declared twice", what);
    }
    ingot_type_t ty;
    INGOT_RETURN_IF_ERROR(convert_type(g, what, vi->type, &ty));
    if (g->parent == NULL && ty.dtype == INGOT_DT_UNDEFINED)
      return ingot_error(INGOT_CODE_INPUT, "%s has no element type", what);
    INGOT_RETURN_IF_ERROR(ingot_graph_add_value(g, vi->name, &v));
    g->values[v].type = ty;
    INGOT_RETURN_IF_ERROR(ingot_graph_add_input(g, v));
  }

  /* node outputs first: one producer per value */
  ingot_graph_t *root = ingot_graph_root(g);
  for (size_t i = 0; i < gp->n_node; i++) {
    const Onnx__NodeProto *np = gp->node[i];
    const char *dom = str_or_empty(np->domain);
    const char *opt = str_or_empty(np->op_type);
    ingot_op_t op = INGOT_OP_UNKNOWN;
    if (*dom == 0 || strcmp(dom, "ai.onnx") == 0) op = ingot_op_lookup(opt);
    if (np->n_input > 65535 || np->n_output > 65535)
      return ingot_error(INGOT_CODE_INPUT, "%s: node #%zu has too many inputs or outputs", cx->source, i);
    int32_t id;
    INGOT_RETURN_IF_ERROR(ingot_graph_add_node(g, op, str_or_empty(np->name), (uint32_t)np->n_input,
                                               (uint32_t)np->n_output, &id));
    ingot_node_t *nd = &g->nodes[id];
    nd->onnx_index = (int32_t)i;
    nd->op_type = ingot_arena_strdup(ar, opt);
    nd->domain = ingot_arena_strdup(ar, strcmp(dom, "ai.onnx") == 0 ? "" : dom);
    if (!nd->op_type || !nd->domain) return ingot_error(INGOT_CODE_NOMEM, "out of memory");
    if (!*opt) return ingot_node_error(g, id, INGOT_CODE_INPUT, "node has no op_type");
    for (size_t o = 0; o < np->n_output; o++) {
      const char *name = np->output[o];
      if (!name || !*name) continue; /* omitted optional output */
      int32_t v = ingot_graph_find(g, name);
      if (v >= 0) {
        const ingot_value_t *val = &g->values[v];
        char w2[512];
        if (val->producer >= 0)
          return ingot_node_error(g, id, INGOT_CODE_INPUT, "value '%.200s' is also produced by %s", name,
                                  ingot_node_where(g, val->producer, w2, sizeof w2));
        return ingot_node_error(g, id, INGOT_CODE_INPUT, "output '%.200s' redefines a graph %s", name,
                                val->flags & INGOT_VAL_INIT ? "initializer" : "input");
      }
      INGOT_RETURN_IF_ERROR(ingot_graph_add_value(g, name, &v));
      g->values[v].producer = id;
      g->nodes[id].outputs[o] = v;
    }
  }
  (void)root;

  /* node inputs and attributes */
  for (size_t i = 0; i < gp->n_node; i++) {
    const Onnx__NodeProto *np = gp->node[i];
    int32_t id = (int32_t)(g->nnodes - gp->n_node + i);
    ingot_node_t *nd = &g->nodes[id];
    for (size_t k = 0; k < np->n_input; k++) {
      const char *name = np->input[k];
      if (!name || !*name) continue; /* omitted optional input */
      int32_t v;
      INGOT_RETURN_IF_ERROR(ingot_graph_resolve(g, name, &v));
      nd = &g->nodes[id]; /* resolve may not move nodes, but stay safe */
      if (v < 0) return ingot_node_error(g, id, INGOT_CODE_INPUT, "input '%.200s' is not defined anywhere", name);
      nd->inputs[k] = v;
    }
    if (np->n_attribute) {
      ingot_attr_t *attrs = ingot_arena_calloc(ar, np->n_attribute, sizeof *attrs);
      if (!attrs) return ingot_error(INGOT_CODE_NOMEM, "out of memory");
      char where[600];
      snprintf(where, sizeof where, "%s: %s", cx->source, ingot_node_where(g, id, what, sizeof what));
      for (size_t k = 0; k < np->n_attribute; k++) {
        INGOT_RETURN_IF_ERROR(convert_attr(cx, g, np->attribute[k], where, &attrs[k]));
        for (size_t j = 0; j < k; j++)
          if (strcmp(attrs[j].name, attrs[k].name) == 0)
            return ingot_node_error(g, id, INGOT_CODE_INPUT, "attribute '%.200s' given twice", attrs[k].name);
      }
      g->nodes[id].attrs = attrs;
      g->nodes[id].nattrs = (uint32_t)np->n_attribute;
    }
  }

  /* outputs */
  for (size_t i = 0; i < gp->n_output; i++) {
    const Onnx__ValueInfoProto *vi = gp->output[i];
    if (!vi->name || !*vi->name) return ingot_error(INGOT_CODE_INPUT, "%s: graph output #%zu has no name", cx->source, i);
    snprintf(what, sizeof what, "%s: graph output '%.200s'", cx->source, vi->name);
    int32_t v;
    INGOT_RETURN_IF_ERROR(ingot_graph_resolve(g, vi->name, &v));
    if (v < 0) return ingot_error(INGOT_CODE_INPUT, "%s is not produced by any node", what);
    if (g->values[v].flags & INGOT_VAL_OUTPUT) return ingot_error(INGOT_CODE_INPUT, "%s is listed twice", what);
    ingot_type_t ty;
    INGOT_RETURN_IF_ERROR(convert_type(g, what, vi->type, &ty));
    /* The declared output type is a hint; inference checks it later. */
    if (g->values[v].type.dtype == INGOT_DT_UNDEFINED && g->values[v].type.rank < 0) g->values[v].type = ty;
    INGOT_RETURN_IF_ERROR(ingot_graph_add_output(g, v));
  }
  if (g->parent == NULL && gp->n_output == 0)
    return ingot_error(INGOT_CODE_INPUT, "%s: the graph has no outputs", cx->source);
  return topo_sort(g);
}

/* ---- entry points ------------------------------------------------------------- */

static ingot_status_t import_model(import_ctx_t *cx, const uint8_t *buf, size_t len, ingot_graph_t **out) {
  *out = NULL;
  if (len == 0) return ingot_error(INGOT_CODE_INPUT, "%s: empty file, not an ONNX model", cx->source);
  INGOT_RETURN_IF_ERROR(prescan(cx, &onnx__model_proto__descriptor, buf, len, 0));
  Onnx__ModelProto *mp = onnx__model_proto__unpack(NULL, len, buf);
  if (!mp) return ingot_error(INGOT_CODE_INPUT, "%s: not a valid ONNX protobuf (unpacking failed)", cx->source);
  ingot_graph_t *g = NULL;
  ingot_status_t st = ingot_graph_create(cx->source, &g);
  if (st) goto done;
  if (!mp->has_ir_version || !mp->graph) {
    st = ingot_error(INGOT_CODE_INPUT, "%s: not an ONNX model (no %s)", cx->source,
                     !mp->has_ir_version ? "ir_version" : "graph");
    goto done;
  }
  g->ir_version = mp->ir_version;
  if (mp->ir_version < 7 || mp->ir_version > 9) {
    st = ingot_error(INGOT_CODE_UNSUPPORTED, "%s: ONNX ir_version %" PRId64 " is not supported (7 to 9 are)",
                     cx->source, mp->ir_version);
    goto done;
  }
  g->producer_name = ingot_arena_strdup(g->arena, str_or_empty(mp->producer_name));
  g->nopsets = (uint32_t)mp->n_opset_import;
  g->opsets = ingot_arena_calloc(g->arena, mp->n_opset_import ? mp->n_opset_import : 1, sizeof *g->opsets);
  if (!g->opsets || !g->producer_name) {
    st = ingot_error(INGOT_CODE_NOMEM, "out of memory");
    goto done;
  }
  for (size_t i = 0; i < mp->n_opset_import; i++) {
    const char *dom = str_or_empty(mp->opset_import[i]->domain);
    g->opsets[i].domain = ingot_arena_strdup(g->arena, dom);
    g->opsets[i].version = mp->opset_import[i]->version;
    if (!g->opsets[i].domain) {
      st = ingot_error(INGOT_CODE_NOMEM, "out of memory");
      goto done;
    }
    if (*dom == 0 || strcmp(dom, "ai.onnx") == 0) g->opset = mp->opset_import[i]->version;
  }
  if (g->opset == 0) {
    st = ingot_error(INGOT_CODE_INPUT, "%s: the model imports no default-domain opset", cx->source);
    goto done;
  }
  st = convert_graph(cx, g, mp->graph);
done:
  onnx__model_proto__free_unpacked(mp, NULL);
  if (st) {
    ingot_graph_free(g);
    return st;
  }
  *out = g;
  return INGOT_OK;
}

ingot_status_t ingot_import_onnx_buffer(const uint8_t *buf, size_t len, const char *source, const char *model_dir,
                                        ingot_graph_t **out) {
  import_ctx_t cx = {source ? source : "<memory>", model_dir, NULL};
  if (model_dir) {
    cx.model_dir_real = realpath(model_dir, NULL);
    if (!cx.model_dir_real)
      return ingot_error(INGOT_CODE_IO, "%s: cannot resolve model folder '%.200s': %s", cx.source, model_dir,
                         strerror(errno));
  }
  ingot_status_t st = import_model(&cx, buf, len, out);
  free(cx.model_dir_real);
  return st;
}

ingot_status_t ingot_import_onnx(const char *path, ingot_graph_t **out) {
  *out = NULL;
  int fd = open(path, O_RDONLY);
  if (fd < 0) return ingot_error(INGOT_CODE_IO, "%s: cannot open: %s", path, strerror(errno));
  struct stat sb;
  if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
    close(fd);
    return ingot_error(INGOT_CODE_INPUT, "%s: not a regular file", path);
  }
  if ((uint64_t)sb.st_size > INGOT_IMPORT_MAX_FILE_BYTES) {
    close(fd);
    return ingot_error(INGOT_CODE_INPUT, "%s: %lld bytes is larger than protobuf's 2 GiB limit (use external data)",
                       path, (long long)sb.st_size);
  }
  size_t len = (size_t)sb.st_size;
  uint8_t *buf = malloc(len ? len : 1);
  if (!buf) {
    close(fd);
    return ingot_error(INGOT_CODE_NOMEM, "%s: out of memory reading %zu bytes", path, len);
  }
  size_t got = 0;
  while (got < len) {
    ssize_t r = read(fd, buf + got, len - got);
    if (r <= 0) break;
    got += (size_t)r;
  }
  close(fd);
  if (got != len) {
    free(buf);
    return ingot_error(INGOT_CODE_IO, "%s: short read", path);
  }
  /* the model's folder, for external data */
  char *dir = strdup(path);
  if (!dir) {
    free(buf);
    return ingot_error(INGOT_CODE_NOMEM, "out of memory");
  }
  char *slash = strrchr(dir, '/');
  if (slash == dir) slash[1] = 0;
  else if (slash) *slash = 0;
  else strcpy(dir, ".");
  ingot_status_t st = ingot_import_onnx_buffer(buf, len, path, dir, out);
  free(dir);
  free(buf);
  return st;
}
