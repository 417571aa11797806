/* Reference Einsum (ONNX Einsum-12, unchanged through opset 20).
 *
 * The equation is "term,term,...->out" or, in implicit mode, without "->".
 * A term is letters (a-z, A-Z) with at most one "...", which stands for the
 * operand's leading/middle dims not named by letters; "..." dims of all
 * operands broadcast against each other, right-aligned, numpy style.
 * Implicit mode's output is the "..." dims followed by the letters that occur
 * exactly once in the whole equation, in ASCII order (numpy.einsum, which the
 * ONNX reference implementation calls).  A letter repeated inside one term
 * takes the diagonal; a size-1 dim broadcasts against the label's other
 * occurrences, as in numpy.
 *
 * Evaluation is the definition: for every output index, sum over every value
 * of the contracted labels the product of the operands' elements.  Floats
 * accumulate in double, integers in wrapping int64.  Each label has one
 * stride per operand (the sum of the strides of the axes it names, which is
 * how a diagonal is read), so one odometer walks everything. */
#include <stdlib.h>
#include <string.h>

#include "interp/interp.h"

#define NLETTER 52                            /* 'A'..'Z' then 'a'..'z': ids in ASCII order */
#define NLABEL (NLETTER + INGOT_MAX_RANK)     /* then the broadcast "..." dims */
#define EINSUM_MAX_WORK ((int64_t)1 << 34)    /* multiply-adds the evaluator will do */

static int letter_id(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return 26 + (c - 'a');
  return -1;
}

typedef struct {
  bool ell;              /* has "..." */
  int nbefore, nafter;   /* letters before / after the "..." */
  int ids[INGOT_MAX_RANK + 1];
  int nids;
} term_t;

/* Parses one term from s[0..len); letters beyond rank+1 are an error later. */
static ingot_status_t parse_term(const ingot_kctx_t *k, const char *s, size_t len, term_t *t) {
  memset(t, 0, sizeof *t);
  for (size_t i = 0; i < len; i++) {
    if (s[i] == '.') {
      if (t->ell || i + 2 >= len || s[i + 1] != '.' || s[i + 2] != '.')
        return ingot_kerr(k, INGOT_CODE_INPUT, "Einsum equation: bad or repeated '...' in term '%.*s'", (int)len, s);
      t->ell = true;
      i += 2;
      continue;
    }
    int id = letter_id(s[i]);
    if (id < 0) return ingot_kerr(k, INGOT_CODE_INPUT, "Einsum equation: unexpected character '%c'", s[i]);
    if (t->nids > INGOT_MAX_RANK)
      return ingot_kerr(k, INGOT_CODE_INPUT, "Einsum equation: term '%.*s' has too many labels", (int)len, s);
    t->ids[t->nids++] = id;
    if (t->ell) t->nafter++;
    else t->nbefore++;
  }
  return INGOT_OK;
}

static double load_f(const ingot_tensor_t *t, int64_t i) {
  if (t->dtype == INGOT_DT_FLOAT) return ((const float *)t->data)[i];
  if (t->dtype == INGOT_DT_DOUBLE) return ((const double *)t->data)[i];
  return ingot_tensor_get_f64(t, i);
}

static void store_i(ingot_tensor_t *t, int64_t i, int64_t v) {
  switch (t->dtype) {
    case INGOT_DT_INT64: ((int64_t *)t->data)[i] = v; break;
    case INGOT_DT_INT32: ((int32_t *)t->data)[i] = (int32_t)v; break;
    case INGOT_DT_INT16: ((int16_t *)t->data)[i] = (int16_t)v; break;
    case INGOT_DT_INT8: ((int8_t *)t->data)[i] = (int8_t)v; break;
    case INGOT_DT_UINT64: ((uint64_t *)t->data)[i] = (uint64_t)v; break;
    case INGOT_DT_UINT32: ((uint32_t *)t->data)[i] = (uint32_t)v; break;
    case INGOT_DT_UINT16: ((uint16_t *)t->data)[i] = (uint16_t)v; break;
    case INGOT_DT_UINT8: ((uint8_t *)t->data)[i] = (uint8_t)v; break;
    default: break;
  }
}

static bool einsum_dtype_ok(int dt) {
  switch (dt) {
    case INGOT_DT_FLOAT: case INGOT_DT_DOUBLE: case INGOT_DT_FLOAT16: case INGOT_DT_BFLOAT16:
    case INGOT_DT_INT64: case INGOT_DT_INT32: case INGOT_DT_INT16: case INGOT_DT_INT8:
    case INGOT_DT_UINT64: case INGOT_DT_UINT32: case INGOT_DT_UINT16: case INGOT_DT_UINT8: return true;
    default: return false;
  }
}

/* The multiply-add walk: loop labels [0, nout) are the output's, [nout, nl)
 * are summed; st holds NLABEL strides per operand, off nops zeros. */
static void einsum_eval(const ingot_tensor_t *const *in, uint32_t nops, int nl, int nout, const int64_t *sz,
                        const int64_t *st, int64_t *off, int64_t total_out, int64_t total_con, ingot_tensor_t *out) {
  bool is_float = ingot_dtype_is_float(out->dtype);
  int64_t idx[NLABEL] = {0};
  for (int64_t o = 0; o < total_out; o++) {
    double accf = 0;
    uint64_t acci = 0;
    for (int64_t c = 0; c < total_con; c++) {
      if (is_float) {
        double p = 1;
        for (uint32_t i = 0; i < nops; i++) p *= load_f(in[i], off[i]);
        accf += p;
      } else {
        uint64_t p = 1;
        for (uint32_t i = 0; i < nops; i++) p *= (uint64_t)ingot_tensor_get_i64(in[i], off[i]);
        acci += p;
      }
      for (int d = nl - 1; d >= nout; d--) {
        if (++idx[d] < sz[d]) {
          for (uint32_t i = 0; i < nops; i++) off[i] += st[i * NLABEL + d];
          break;
        }
        for (uint32_t i = 0; i < nops; i++) off[i] -= st[i * NLABEL + d] * (sz[d] - 1);
        idx[d] = 0;
      }
    }
    if (is_float) ingot_tensor_set_f64(out, o, accf);
    else store_i(out, o, (int64_t)acci);
    for (int d = nout - 1; d >= 0; d--) {
      if (++idx[d] < sz[d]) {
        for (uint32_t i = 0; i < nops; i++) off[i] += st[i * NLABEL + d];
        break;
      }
      for (uint32_t i = 0; i < nops; i++) off[i] -= st[i * NLABEL + d] * (sz[d] - 1);
      idx[d] = 0;
    }
  }
}

ingot_status_t ingot_kernel_EINSUM(const ingot_kctx_t *k, const ingot_tensor_t *const *in, uint32_t nin,
                                   ingot_tensor_t *out, uint32_t nout) {
  const char *eq = ingot_node_attr_s(k->n, "equation", NULL);
  if (!eq) return ingot_kerr(k, INGOT_CODE_INPUT, "Einsum needs an 'equation' string");
  if (nin == 0) return ingot_kerr(k, INGOT_CODE_INPUT, "Einsum needs at least one input");
  for (uint32_t i = 0; i < nin; i++) {
    if (!in[i]) return ingot_kerr(k, INGOT_CODE_INPUT, "Einsum input %u is missing", i);
    if (in[i]->dtype != in[0]->dtype)
      return ingot_kerr(k, INGOT_CODE_INPUT, "Einsum inputs have different dtypes (%s and %s)",
                        ingot_dtype_name(in[0]->dtype), ingot_dtype_name(in[i]->dtype));
  }
  if (!einsum_dtype_ok(in[0]->dtype))
    return ingot_kerr(k, INGOT_CODE_UNSUPPORTED, "Einsum on dtype %s", ingot_dtype_name(in[0]->dtype));

  /* strip spaces */
  size_t elen = strlen(eq);
  char *e = malloc(elen + 1);
  term_t *terms = calloc(nin, sizeof *terms);
  int64_t *st = calloc((size_t)nin * NLABEL, sizeof *st);
  int64_t *off = calloc(nin, sizeof *off); /* einsum_eval's per-operand offsets */
  ingot_status_t s = INGOT_OK;
  if (!e || !terms || !st || !off) {
    s = ingot_kerr(k, INGOT_CODE_NOMEM, "out of memory");
    goto done;
  }
  size_t n = 0;
  for (size_t i = 0; i < elen; i++)
    if (eq[i] != ' ' && eq[i] != '\t') e[n++] = eq[i];
  e[n] = 0;
  char *arrow = strstr(e, "->");
  size_t lhs_len = arrow ? (size_t)(arrow - e) : n;

  /* input terms */
  uint32_t nt = 0;
  size_t start = 0;
  for (size_t i = 0; i <= lhs_len; i++) {
    if (i < lhs_len && e[i] != ',') continue;
    if (nt >= nin) {
      s = ingot_kerr(k, INGOT_CODE_INPUT, "Einsum equation '%s' has more terms than the %u inputs", eq, nin);
      goto done;
    }
    s = parse_term(k, e + start, i - start, &terms[nt]);
    if (s) goto done;
    nt++;
    start = i + 1;
  }
  if (nt != nin) {
    s = ingot_kerr(k, INGOT_CODE_INPUT, "Einsum equation '%s' has %u terms for %u inputs", eq, nt, nin);
    goto done;
  }

  /* label sizes; "..." dims right-aligned into ids NLETTER + (E - erank) + j */
  int E = 0;
  for (uint32_t i = 0; i < nin; i++) {
    int nl = terms[i].nids, r = in[i]->rank;
    if (terms[i].ell ? nl > r : nl != r) {
      s = ingot_kerr(k, INGOT_CODE_INPUT, "Einsum term %u names %d dims, input %u has rank %d", i, nl, i, r);
      goto done;
    }
    if (terms[i].ell && r - nl > E) E = r - nl;
  }
  int64_t size[NLABEL];
  int count[NLABEL] = {0}; /* occurrences of each letter over all terms */
  bool used[NLABEL] = {false};
  for (int l = 0; l < NLABEL; l++) size[l] = -1;
  for (uint32_t i = 0; i < nin; i++) {
    const term_t *t = &terms[i];
    const ingot_tensor_t *x = in[i];
    int er = t->ell ? x->rank - t->nids : 0;
    int64_t xs[INGOT_MAX_RANK], acc = 1;
    for (int d = x->rank - 1; d >= 0; d--) {
      xs[d] = acc;
      acc *= x->dims[d];
    }
    for (int d = 0; d < x->rank; d++) {
      int l;
      if (d < t->nbefore) l = t->ids[d];
      else if (d < t->nbefore + er) l = NLETTER + (E - er) + (d - t->nbefore);
      else l = t->ids[d - er];
      if (l < NLETTER) count[l]++;
      used[l] = true;
      int64_t v = x->dims[d];
      if (size[l] < 0 || size[l] == 1) {
        size[l] = v;
      } else if (v != size[l] && v != 1) {
        s = ingot_kerr(k, INGOT_CODE_INPUT, "Einsum label of input %u axis %d has size %lld, elsewhere %lld", i, d,
                       (long long)v, (long long)size[l]);
        goto done;
      }
      st[i * NLABEL + l] += v == 1 ? 0 : xs[d]; /* a size-1 axis never moves */
    }
  }

  /* output labels */
  int olab[NLABEL], no = 0;
  bool in_out[NLABEL] = {false};
  if (arrow) {
    term_t ot;
    s = parse_term(k, arrow + 2, strlen(arrow + 2), &ot);
    if (s) goto done;
    if (E > 0 && !ot.ell) {
      s = ingot_kerr(k, INGOT_CODE_INPUT, "Einsum output '%s' drops the '...' dims of the inputs", arrow + 2);
      goto done;
    }
    for (int j = 0; j < ot.nids + (ot.ell ? E : 0); j++) {
      int l;
      if (j < ot.nbefore) l = ot.ids[j];
      else if (ot.ell && j < ot.nbefore + E) l = NLETTER + (j - ot.nbefore);
      else l = ot.ids[j - (ot.ell ? E : 0)];
      if (l < NLETTER && !count[l]) {
        s = ingot_kerr(k, INGOT_CODE_INPUT, "Einsum output label '%c' is in no input",
                       l < 26 ? 'A' + l : 'a' + (l - 26));
        goto done;
      }
      if (in_out[l]) {
        s = ingot_kerr(k, INGOT_CODE_INPUT, "Einsum output repeats a label");
        goto done;
      }
      in_out[l] = true;
      olab[no++] = l;
    }
  } else {
    for (int j = 0; j < E; j++) olab[no++] = NLETTER + j;
    for (int l = 0; l < NLETTER; l++)
      if (count[l] == 1) olab[no++] = l;
    for (int j = 0; j < no; j++) in_out[olab[j]] = true;
  }
  if (no > INGOT_MAX_RANK) {
    s = ingot_kerr(k, INGOT_CODE_UNSUPPORTED, "Einsum output rank %d (at most %d supported)", no, INGOT_MAX_RANK);
    goto done;
  }

  /* loop order: output labels, then summed labels; reorder the strides */
  int order[NLABEL], nl = 0;
  for (int j = 0; j < no; j++) order[nl++] = olab[j];
  for (int l = 0; l < NLABEL; l++)
    if (used[l] && !in_out[l]) order[nl++] = l;
  int64_t sz[NLABEL], dims[INGOT_MAX_RANK];
  {
    int64_t tmp[NLABEL];
    for (uint32_t i = 0; i < nin; i++) {
      for (int j = 0; j < nl; j++) tmp[j] = st[i * NLABEL + order[j]];
      for (int j = 0; j < nl; j++) st[i * NLABEL + j] = tmp[j];
    }
  }
  int64_t total_out = 1, total_con = 1;
  bool out_zero = false, con_zero = false;
  for (int j = 0; j < nl; j++) {
    sz[j] = size[order[j]] < 0 ? 1 : size[order[j]];
    if (j < no) {
      dims[j] = sz[j];
      if (!sz[j]) out_zero = true;
      else if (total_out > INT64_MAX / sz[j]) total_out = INT64_MAX;
      else total_out *= sz[j];
    } else {
      if (!sz[j]) con_zero = true;
      else if (total_con > INT64_MAX / sz[j]) total_con = INT64_MAX;
      else total_con *= sz[j];
    }
  }
  if (out_zero) total_out = 0;
  if (con_zero) total_con = 0;
  if (total_out && total_con && (total_out > EINSUM_MAX_WORK / total_con ||
                                 total_out * total_con > EINSUM_MAX_WORK / (int64_t)nin)) {
    s = ingot_kerr(k, INGOT_CODE_UNSUPPORTED, "Einsum '%s' needs more than %lld multiply-adds (evaluator limit)", eq,
                   (long long)EINSUM_MAX_WORK);
    goto done;
  }
  s = ingot_tensor_alloc(out, in[0]->dtype, no, dims);
  if (s) {
    char where[512];
    ingot_node_where(k->g, k->node, where, sizeof where);
    s = ingot_status_annotate(s, "%s: %s", k->g->source ? k->g->source : "<graph>", where);
    goto done;
  }
  einsum_eval(in, nin, nl, no, sz, st, off, total_out, total_con, out);

done:
  free(e);
  free(terms);
  free(st);
  free(off);
  return s;
}
