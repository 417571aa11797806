/* Reference Resize (ONNX Resize-13/18/19): modes nearest and linear
 * (N-linear), every coordinate_transformation_mode, every nearest_mode,
 * scales or sizes, the axes attribute and keep_aspect_ratio_policy
 * (opset 18).  Cubic interpolation and antialiased downscaling are reported
 * as unsupported.
 *
 * For each resized axis, an output coordinate x_resized maps to an input
 * coordinate x_original (the spec's formulas, see orig_coord).  Nearest
 * rounds it per nearest_mode; linear blends the two neighbouring elements.
 * Indices are clamped to [0, in-1], which is what the ONNX reference does
 * by edge-padding the data.  tf_crop_and_resize returns extrapolation_value
 * where x_original falls outside [0, in-1].  Output sizes are
 * floor(in * scale) (times roi_end - roi_start for tf_crop_and_resize, as
 * the spec's formula says) for scales, and the given sizes otherwise, with
 * scale = size / in. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "interp/interp.h"

enum { CT_HALF_PIXEL, CT_HALF_PIXEL_SYM, CT_PYTORCH_HALF_PIXEL, CT_ALIGN_CORNERS, CT_ASYMMETRIC, CT_TF_CROP,
       CT_TF_HALF_PIXEL_NN };
enum { NM_ROUND_PREFER_FLOOR, NM_ROUND_PREFER_CEIL, NM_FLOOR, NM_CEIL };

static const ingot_tensor_t *opt_in(const ingot_tensor_t *const *in, uint32_t nin, uint32_t i) {
  return i < nin && in[i] && ingot_tensor_numel(in[i]) > 0 ? in[i] : NULL; /* empty = not given */
}

static int64_t opset_of(const ingot_kctx_t *k) {
  const ingot_graph_t *g = k->g;
  while (g->parent && !g->opset) g = g->parent;
  return g->opset ? g->opset : 20;
}

/* x_original for x_resized = o.  lres is the spec's length_resized, which
 * is fractional when it comes from a scale (in * scale; the ONNX reference
 * and backend tests, e.g. resize_downsample_scales_linear_align_corners,
 * use it so); out_len is the integer output length. */
static double orig_coord(int ct, double o, double scale, int64_t in_len, double lres, int64_t out_len, double rs,
                         double re) {
  double in = (double)in_len;
  switch (ct) {
    case CT_HALF_PIXEL: return (o + 0.5) / scale - 0.5;
    case CT_HALF_PIXEL_SYM: {
      double adjustment = (double)out_len / lres;
      return in / 2 * (1 - adjustment) + (o + 0.5) / scale - 0.5;
    }
    case CT_PYTORCH_HALF_PIXEL: return lres > 1 ? (o + 0.5) / scale - 0.5 : 0;
    case CT_ALIGN_CORNERS: return lres == 1 ? 0 : o * (in - 1) / (lres - 1);
    case CT_ASYMMETRIC: return o / scale;
    case CT_TF_HALF_PIXEL_NN: return (o + 0.5) / scale;
    default: /* CT_TF_CROP */
      return lres > 1 ? rs * (in - 1) + o * (re - rs) * (in - 1) / (lres - 1) : 0.5 * (rs + re) * (in - 1);
  }
}

static int64_t clamp_idx(double f, int64_t n) { return f < 0 ? 0 : f > (double)(n - 1) ? n - 1 : (int64_t)f; }

typedef struct {
  int64_t *i0, *i1; /* neighbours (nearest uses i0 only) */
  double *w;        /* weight of i1 (linear) */
  bool *outside;    /* tf_crop_and_resize: extrapolate */
} axis_map_t;

ingot_status_t ingot_kernel_RESIZE(const ingot_kctx_t *k, const ingot_tensor_t *const *in, uint32_t nin,
                                   ingot_tensor_t *out, uint32_t nout) {
  const ingot_tensor_t *x = nin ? in[0] : NULL;
  if (!x) return ingot_kerr(k, INGOT_CODE_INPUT, "Resize needs an input");
  const ingot_tensor_t *troi = opt_in(in, nin, 1), *tsc = opt_in(in, nin, 2), *tsz = opt_in(in, nin, 3);
  int r = x->rank;
  const ingot_node_t *n = k->n;

  const char *mode_s = ingot_node_attr_s(n, "mode", "nearest");
  bool linear;
  if (!strcmp(mode_s, "nearest")) linear = false;
  else if (!strcmp(mode_s, "linear")) linear = true;
  else if (!strcmp(mode_s, "cubic"))
    return ingot_kerr(k, INGOT_CODE_UNSUPPORTED, "Resize mode 'cubic' is not supported by the evaluator");
  else return ingot_kerr(k, INGOT_CODE_INPUT, "Resize mode '%s' is not nearest/linear/cubic", mode_s);

  static const char *const ct_names[] = {"half_pixel",   "half_pixel_symmetric", "pytorch_half_pixel",
                                         "align_corners", "asymmetric",          "tf_crop_and_resize",
                                         "tf_half_pixel_for_nn"};
  const char *ct_s = ingot_node_attr_s(n, "coordinate_transformation_mode", "half_pixel");
  int ct = -1;
  for (int i = 0; i < (int)(sizeof ct_names / sizeof *ct_names); i++)
    if (!strcmp(ct_s, ct_names[i])) ct = i;
  if (ct < 0) return ingot_kerr(k, INGOT_CODE_INPUT, "Resize coordinate_transformation_mode '%s' is unknown", ct_s);
  if (ct == CT_HALF_PIXEL_SYM && opset_of(k) < 19)
    return ingot_kerr(k, INGOT_CODE_INPUT, "coordinate_transformation_mode 'half_pixel_symmetric' needs opset 19");

  static const char *const nm_names[] = {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"};
  const char *nm_s = ingot_node_attr_s(n, "nearest_mode", "round_prefer_floor");
  int nm = -1;
  for (int i = 0; i < 4; i++)
    if (!strcmp(nm_s, nm_names[i])) nm = i;
  if (nm < 0) return ingot_kerr(k, INGOT_CODE_INPUT, "Resize nearest_mode '%s' is unknown", nm_s);

  /* axes (opset 18) */
  int axes[INGOT_MAX_RANK], na = r;
  bool seen[INGOT_MAX_RANK] = {false};
  const int64_t *aa;
  int64_t naa = ingot_node_attr_ints(n, "axes", &aa);
  if (naa >= 0) {
    if (naa > r) return ingot_kerr(k, INGOT_CODE_INPUT, "Resize has %lld axes for rank %d", (long long)naa, r);
    na = (int)naa;
    for (int i = 0; i < na; i++) {
      if (aa[i] < -r || aa[i] >= r)
        return ingot_kerr(k, INGOT_CODE_INPUT, "Resize axis %lld out of range for rank %d", (long long)aa[i], r);
      axes[i] = (int)(aa[i] < 0 ? aa[i] + r : aa[i]);
      if (seen[axes[i]]) return ingot_kerr(k, INGOT_CODE_INPUT, "Resize axis %lld repeated", (long long)aa[i]);
      seen[axes[i]] = true;
    }
  } else {
    for (int i = 0; i < r; i++) axes[i] = i;
  }

  if (tsc && tsz) return ingot_kerr(k, INGOT_CODE_INPUT, "Resize has both 'scales' and 'sizes'");
  if (!tsc && !tsz) return ingot_kerr(k, INGOT_CODE_INPUT, "Resize needs 'scales' or 'sizes'");
  const ingot_tensor_t *ts = tsc ? tsc : tsz;
  if (ts->rank != 1 || ingot_tensor_numel(ts) != na)
    return ingot_kerr(k, INGOT_CODE_INPUT, "Resize '%s' must be 1-D with %d entries", tsc ? "scales" : "sizes", na);

  double scale[INGOT_MAX_RANK], rs[INGOT_MAX_RANK], re[INGOT_MAX_RANK], lres[INGOT_MAX_RANK];
  int64_t odims[INGOT_MAX_RANK];
  for (int d = 0; d < r; d++) {
    scale[d] = 1;
    rs[d] = 0;
    re[d] = 1;
    odims[d] = x->dims[d];
    lres[d] = (double)x->dims[d];
  }
  if (ct == CT_TF_CROP) {
    if (!troi) return ingot_kerr(k, INGOT_CODE_INPUT, "Resize tf_crop_and_resize needs 'roi'");
    if (!ingot_dtype_is_float(troi->dtype) || ingot_tensor_numel(troi) != 2 * na)
      return ingot_kerr(k, INGOT_CODE_INPUT, "Resize 'roi' must be a float tensor of %d entries", 2 * na);
    for (int i = 0; i < na; i++) {
      rs[axes[i]] = ingot_tensor_get_f64(troi, i);
      re[axes[i]] = ingot_tensor_get_f64(troi, na + i);
    }
  }
  if (tsc) {
    if (!ingot_dtype_is_float(tsc->dtype))
      return ingot_kerr(k, INGOT_CODE_INPUT, "Resize 'scales' must be float (got %s)", ingot_dtype_name(tsc->dtype));
    for (int i = 0; i < na; i++) {
      int d = axes[i];
      double s = ingot_tensor_get_f64(tsc, i);
      if (!(s > 0) || isinf(s)) return ingot_kerr(k, INGOT_CODE_INPUT, "Resize scale %g for axis %d", s, d);
      double len = (double)x->dims[d] * (ct == CT_TF_CROP ? re[d] - rs[d] : 1) * s;
      if (!(len >= 0) || len > 4e18)
        return ingot_kerr(k, INGOT_CODE_INPUT, "Resize output size %g for axis %d is invalid", len, d);
      scale[d] = s;
      lres[d] = len;
      odims[d] = (int64_t)floor(len);
    }
  } else {
    if (tsz->dtype != INGOT_DT_INT64 && tsz->dtype != INGOT_DT_INT32)
      return ingot_kerr(k, INGOT_CODE_INPUT, "Resize 'sizes' must be int64 (got %s)", ingot_dtype_name(tsz->dtype));
    for (int i = 0; i < na; i++) {
      int d = axes[i];
      int64_t v = ingot_tensor_get_i64(tsz, i);
      if (v < 0) return ingot_kerr(k, INGOT_CODE_INPUT, "Resize size %lld for axis %d is negative", (long long)v, d);
      if (x->dims[d] == 0 && v != 0)
        return ingot_kerr(k, INGOT_CODE_INPUT, "Resize cannot grow empty axis %d to %lld", d, (long long)v);
      odims[d] = v;
      lres[d] = (double)v;
      scale[d] = x->dims[d] ? (double)v / (double)x->dims[d] : 1;
    }
    const char *kp = ingot_node_attr_s(n, "keep_aspect_ratio_policy", "stretch");
    if (strcmp(kp, "stretch") != 0) {
      bool larger;
      if (!strcmp(kp, "not_larger")) larger = false;
      else if (!strcmp(kp, "not_smaller")) larger = true;
      else return ingot_kerr(k, INGOT_CODE_INPUT, "Resize keep_aspect_ratio_policy '%s' is unknown", kp);
      double s = scale[axes[0]];
      for (int i = 1; i < na; i++) s = larger ? fmax(s, scale[axes[i]]) : fmin(s, scale[axes[i]]);
      for (int i = 0; i < na; i++) {
        int d = axes[i];
        double len = floor(s * (double)x->dims[d] + 0.5); /* round half up, as the ONNX reference */
        if (len > 4e18) return ingot_kerr(k, INGOT_CODE_INPUT, "Resize output size for axis %d is too large", d);
        scale[d] = s;
        lres[d] = s * (double)x->dims[d];
        odims[d] = (int64_t)len;
      }
    }
  }
  if (linear && ingot_node_attr_i(n, "antialias", 0))
    for (int d = 0; d < r; d++)
      if (scale[d] < 1)
        return ingot_kerr(k, INGOT_CODE_UNSUPPORTED, "Resize antialias when downscaling is not supported");
  if (linear && (x->dtype == INGOT_DT_BOOL || !ingot_dtype_supported(x->dtype)))
    return ingot_kerr(k, INGOT_CODE_UNSUPPORTED, "linear Resize of dtype %s", ingot_dtype_name(x->dtype));

  ingot_status_t st = ingot_tensor_alloc(out, x->dtype, r, odims);
  if (st) {
    char where[512];
    ingot_node_where(k->g, k->node, where, sizeof where);
    return ingot_status_annotate(st, "%s: %s", k->g->source ? k->g->source : "<graph>", where);
  }
  int64_t total = ingot_tensor_numel(out);
  if (total == 0) return INGOT_OK;

  /* per-axis tables; every odims[d] <= total here, so they are small */
  axis_map_t maps[INGOT_MAX_RANK];
  memset(maps, 0, sizeof maps);
  for (int d = 0; d < r; d++) {
    size_t m = (size_t)odims[d];
    maps[d].i0 = malloc(m * sizeof(int64_t));
    maps[d].i1 = malloc(m * sizeof(int64_t));
    maps[d].w = malloc(m * sizeof(double));
    maps[d].outside = malloc(m * sizeof(bool));
    if (!maps[d].i0 || !maps[d].i1 || !maps[d].w || !maps[d].outside) {
      st = ingot_kerr(k, INGOT_CODE_NOMEM, "out of memory");
      goto done;
    }
    int64_t in_len = x->dims[d];
    for (int64_t o = 0; o < odims[d]; o++) {
      double xo = orig_coord(ct, (double)o, scale[d], in_len, lres[d], odims[d], rs[d], re[d]);
      maps[d].outside[o] = ct == CT_TF_CROP && (xo < 0 || xo > (double)(in_len - 1));
      if (xo < -1) xo = -1; /* clamping this far changes no result and keeps the casts defined */
      if (xo > (double)in_len) xo = (double)in_len;
      double f = floor(xo);
      if (linear) {
        maps[d].i0[o] = clamp_idx(f, in_len);
        maps[d].i1[o] = clamp_idx(f + 1, in_len);
        maps[d].w[o] = xo - f;
      } else {
        double frac = xo - f, rnd;
        switch (nm) {
          case NM_FLOOR: rnd = f; break;
          case NM_CEIL: rnd = ceil(xo); break;
          case NM_ROUND_PREFER_CEIL: rnd = frac < 0.5 ? f : f + 1; break;
          default: rnd = frac <= 0.5 ? f : f + 1; break;
        }
        maps[d].i0[o] = maps[d].i1[o] = clamp_idx(rnd, in_len);
        maps[d].w[o] = 0;
      }
    }
  }

  size_t es = ingot_dtype_size(x->dtype);
  double extrap = ingot_node_attr_f(n, "extrapolation_value", 0.0f);
  int64_t xs[INGOT_MAX_RANK], idx[INGOT_MAX_RANK] = {0}, stride = 1;
  for (int d = r - 1; d >= 0; d--) {
    xs[d] = stride;
    stride *= x->dims[d];
  }
  for (int64_t o = 0; o < total; o++) {
    bool outside = false;
    int64_t base = 0;
    int act[INGOT_MAX_RANK], nact = 0; /* axes that blend two elements */
    for (int d = 0; d < r; d++) {
      int64_t j = idx[d];
      if (maps[d].outside[j]) outside = true;
      base += maps[d].i0[j] * xs[d];
      if (linear && maps[d].w[j] != 0 && maps[d].i1[j] != maps[d].i0[j]) act[nact++] = d;
    }
    if (outside) {
      ingot_tensor_set_f64(out, o, extrap);
    } else if (!linear) {
      memcpy((char *)out->data + (size_t)o * es, (const char *)x->data + (size_t)base * es, es);
    } else {
      double acc = 0;
      for (int mask = 0; mask < (1 << nact); mask++) {
        double wt = 1;
        int64_t off = base;
        for (int a = 0; a < nact; a++) {
          int d = act[a];
          int64_t j = idx[d];
          if (mask & (1 << a)) {
            wt *= maps[d].w[j];
            off += (maps[d].i1[j] - maps[d].i0[j]) * xs[d];
          } else {
            wt *= 1 - maps[d].w[j];
          }
        }
        acc += wt * ingot_tensor_get_f64(x, off);
      }
      ingot_tensor_set_f64(out, o, acc);
    }
    for (int d = r - 1; d >= 0; d--) {
      if (++idx[d] < odims[d]) break;
      idx[d] = 0;
    }
  }

done:
  for (int d = 0; d < r; d++) {
    free(maps[d].i0);
    free(maps[d].i1);
    free(maps[d].w);
    free(maps[d].outside);
  }
  if (st) ingot_tensor_release(out);
  return st;
}
