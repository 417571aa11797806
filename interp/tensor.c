/* Tensor helpers shared by the evaluator's kernels. */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "interp/interp.h"

ingot_status_t ingot_tensor_alloc(ingot_tensor_t *t, int dtype, int rank, const int64_t *dims) {
  memset(t, 0, sizeof *t);
  size_t es = ingot_dtype_size(dtype);
  if (!es) return ingot_error(INGOT_CODE_UNSUPPORTED, "cannot allocate a tensor of dtype %s", ingot_dtype_name(dtype));
  if (rank < 0 || rank > INGOT_MAX_RANK)
    return ingot_error(INGOT_CODE_UNSUPPORTED, "tensor rank %d (at most %d supported)", rank, INGOT_MAX_RANK);
  uint64_t n = 1;
  for (int i = 0; i < rank; i++) {
    if (dims[i] < 0) return ingot_error(INGOT_CODE_INPUT, "negative dimension %lld", (long long)dims[i]);
    if (dims[i] && n > (INGOT_INTERP_MAX_TENSOR_BYTES / es) / (uint64_t)dims[i])
      return ingot_error(INGOT_CODE_INPUT, "tensor of more than %zu bytes requested",
                         (size_t)INGOT_INTERP_MAX_TENSOR_BYTES);
    n *= (uint64_t)dims[i];
  }
  size_t bytes = (size_t)n * es;
  void *p = calloc(1, bytes ? bytes : 1);
  if (!p) return ingot_error(INGOT_CODE_NOMEM, "out of memory allocating %zu bytes", bytes);
  t->dtype = dtype;
  t->rank = rank;
  for (int i = 0; i < rank; i++) t->dims[i] = dims[i];
  t->data = p;
  t->nbytes = bytes;
  t->owned = true;
  return INGOT_OK;
}

void ingot_tensor_release(ingot_tensor_t *t) {
  if (t->owned) free(t->data);
  memset(t, 0, sizeof *t);
}

int64_t ingot_tensor_numel(const ingot_tensor_t *t) {
  int64_t n = 1;
  for (int i = 0; i < t->rank; i++) n *= t->dims[i];
  return n;
}

ingot_tensor_t ingot_tensor_view(int dtype, int rank, const int64_t *dims, void *data, size_t nbytes) {
  ingot_tensor_t t;
  memset(&t, 0, sizeof t);
  t.dtype = dtype;
  t.rank = rank;
  for (int i = 0; i < rank; i++) t.dims[i] = dims[i];
  t.data = data;
  t.nbytes = nbytes;
  t.owned = false;
  return t;
}

/* IEEE half <-> float, round to nearest even (no hardware dependency). */
float ingot_f16_to_f32(uint16_t h) {
  uint32_t sign = (uint32_t)(h & 0x8000) << 16, exp = (h >> 10) & 0x1f, man = h & 0x3ff, u;
  if (exp == 0) {
    if (man == 0) {
      u = sign;
    } else { /* subnormal: normalise */
      int e = -1;
      do {
        man <<= 1;
        e++;
      } while (!(man & 0x400));
      u = sign | ((uint32_t)(127 - 15 - e) << 23) | ((man & 0x3ff) << 13);
    }
  } else if (exp == 31) {
    u = sign | 0x7f800000u | (man << 13);
  } else {
    u = sign | ((exp + 127 - 15) << 23) | (man << 13);
  }
  float f;
  memcpy(&f, &u, 4);
  return f;
}

uint16_t ingot_f32_to_f16(float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  uint32_t sign = (u >> 16) & 0x8000;
  int32_t exp = (int32_t)((u >> 23) & 0xff);
  uint32_t man = u & 0x7fffff;
  if (exp == 255) return (uint16_t)(sign | 0x7c00 | (man ? 0x200 | (man >> 13) : 0));
  int32_t e = exp - 127 + 15;
  if (e >= 31) return (uint16_t)(sign | 0x7c00);
  if (e <= 0) {
    if (e < -10) return (uint16_t)sign;
    man |= 0x800000;
    uint32_t shift = (uint32_t)(14 - e);
    uint32_t half = man >> shift;
    uint32_t rem = man & ((1u << shift) - 1), mid = 1u << (shift - 1);
    if (rem > mid || (rem == mid && (half & 1))) half++;
    return (uint16_t)(sign | half);
  }
  uint32_t half = sign | ((uint32_t)e << 10) | (man >> 13);
  uint32_t rem = man & 0x1fff;
  if (rem > 0x1000 || (rem == 0x1000 && (half & 1))) half++; /* may carry into exponent: correct */
  return (uint16_t)half;
}

float ingot_bf16_to_f32(uint16_t h) {
  uint32_t u = (uint32_t)h << 16;
  float f;
  memcpy(&f, &u, 4);
  return f;
}

uint16_t ingot_f32_to_bf16(float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  if ((u & 0x7f800000u) == 0x7f800000u && (u & 0x7fffff)) return (uint16_t)((u >> 16) | 0x40); /* quiet NaN */
  u += 0x7fff + ((u >> 16) & 1);
  return (uint16_t)(u >> 16);
}

double ingot_tensor_get_f64(const ingot_tensor_t *t, int64_t i) {
  const void *d = t->data;
  switch (t->dtype) {
    case INGOT_DT_FLOAT: return ((const float *)d)[i];
    case INGOT_DT_DOUBLE: return ((const double *)d)[i];
    case INGOT_DT_FLOAT16: return ingot_f16_to_f32(((const uint16_t *)d)[i]);
    case INGOT_DT_BFLOAT16: return ingot_bf16_to_f32(((const uint16_t *)d)[i]);
    case INGOT_DT_INT8: return ((const int8_t *)d)[i];
    case INGOT_DT_UINT8: return ((const uint8_t *)d)[i];
    case INGOT_DT_INT16: return ((const int16_t *)d)[i];
    case INGOT_DT_UINT16: return ((const uint16_t *)d)[i];
    case INGOT_DT_INT32: return ((const int32_t *)d)[i];
    case INGOT_DT_UINT32: return ((const uint32_t *)d)[i];
    case INGOT_DT_INT64: return (double)((const int64_t *)d)[i];
    case INGOT_DT_UINT64: return (double)((const uint64_t *)d)[i];
    case INGOT_DT_BOOL: return ((const uint8_t *)d)[i] != 0;
    default: return 0;
  }
}

int64_t ingot_tensor_get_i64(const ingot_tensor_t *t, int64_t i) {
  const void *d = t->data;
  switch (t->dtype) {
    case INGOT_DT_INT64: return ((const int64_t *)d)[i];
    case INGOT_DT_INT32: return ((const int32_t *)d)[i];
    case INGOT_DT_UINT64: return (int64_t)((const uint64_t *)d)[i];
    case INGOT_DT_UINT32: return ((const uint32_t *)d)[i];
    case INGOT_DT_INT16: return ((const int16_t *)d)[i];
    case INGOT_DT_UINT16: return ((const uint16_t *)d)[i];
    case INGOT_DT_INT8: return ((const int8_t *)d)[i];
    case INGOT_DT_UINT8: return ((const uint8_t *)d)[i];
    case INGOT_DT_BOOL: return ((const uint8_t *)d)[i] != 0;
    default: {
      double v = ingot_tensor_get_f64(t, i);
      if (!(v == v)) return 0;
      if (v >= 9.2e18) return INT64_MAX;
      if (v <= -9.2e18) return INT64_MIN;
      return (int64_t)v;
    }
  }
}

void ingot_tensor_set_f64(ingot_tensor_t *t, int64_t i, double v) {
  void *d = t->data;
  switch (t->dtype) {
    case INGOT_DT_FLOAT: ((float *)d)[i] = (float)v; break;
    case INGOT_DT_DOUBLE: ((double *)d)[i] = v; break;
    case INGOT_DT_FLOAT16: ((uint16_t *)d)[i] = ingot_f32_to_f16((float)v); break;
    case INGOT_DT_BFLOAT16: ((uint16_t *)d)[i] = ingot_f32_to_bf16((float)v); break;
    case INGOT_DT_BOOL: ((uint8_t *)d)[i] = v != 0; break;
    default: {
      /* integers: truncate toward zero, saturating (C conversion would be UB) */
      int64_t x;
      if (!(v == v)) x = 0;
      else if (v >= 9.2e18) x = INT64_MAX;
      else if (v <= -9.2e18) x = INT64_MIN;
      else x = (int64_t)v;
      switch (t->dtype) {
        case INGOT_DT_INT64: ((int64_t *)d)[i] = x; break;
        case INGOT_DT_UINT64: ((uint64_t *)d)[i] = (uint64_t)x; break;
        case INGOT_DT_INT32: ((int32_t *)d)[i] = (int32_t)x; break;
        case INGOT_DT_UINT32: ((uint32_t *)d)[i] = (uint32_t)x; break;
        case INGOT_DT_INT16: ((int16_t *)d)[i] = (int16_t)x; break;
        case INGOT_DT_UINT16: ((uint16_t *)d)[i] = (uint16_t)x; break;
        case INGOT_DT_INT8: ((int8_t *)d)[i] = (int8_t)x; break;
        case INGOT_DT_UINT8: ((uint8_t *)d)[i] = (uint8_t)x; break;
        default: break;
      }
    }
  }
}

void ingot_tensor_set_i64(ingot_tensor_t *t, int64_t i, int64_t v) {
  void *d = t->data;
  uint64_t u = (uint64_t)v;
  switch (t->dtype) {
    case INGOT_DT_INT64: ((int64_t *)d)[i] = v; break;
    case INGOT_DT_UINT64: ((uint64_t *)d)[i] = u; break;
    case INGOT_DT_INT32: ((int32_t *)d)[i] = (int32_t)(uint32_t)u; break;
    case INGOT_DT_UINT32: ((uint32_t *)d)[i] = (uint32_t)u; break;
    case INGOT_DT_INT16: ((int16_t *)d)[i] = (int16_t)(uint16_t)u; break;
    case INGOT_DT_UINT16: ((uint16_t *)d)[i] = (uint16_t)u; break;
    case INGOT_DT_INT8: ((int8_t *)d)[i] = (int8_t)(uint8_t)u; break;
    case INGOT_DT_UINT8: ((uint8_t *)d)[i] = (uint8_t)u; break;
    case INGOT_DT_BOOL: ((uint8_t *)d)[i] = v != 0; break;
    default: ingot_tensor_set_f64(t, i, (double)v); break;
  }
}

ingot_status_t ingot_kerr(const ingot_kctx_t *k, ingot_code_t code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  ingot_status_t st = ingot_errorv(code, fmt, ap);
  va_end(ap);
  char where[512];
  ingot_node_where(k->g, k->node, where, sizeof where);
  return ingot_status_annotate(st, "%s: %s", k->g->source ? k->g->source : "<graph>", where);
}

ingot_status_t ingot_broadcast_shape(const ingot_kctx_t *k, const ingot_tensor_t *const *ts, uint32_t n, int *out_rank,
                                     int64_t *out_dims) {
  int r = 0;
  for (uint32_t i = 0; i < n; i++)
    if (ts[i] && ts[i]->rank > r) r = ts[i]->rank;
  for (int d = 0; d < r; d++) out_dims[d] = 1;
  for (uint32_t i = 0; i < n; i++) {
    if (!ts[i]) continue;
    int off = r - ts[i]->rank;
    for (int d = 0; d < ts[i]->rank; d++) {
      int64_t a = out_dims[off + d], b = ts[i]->dims[d];
      if (a == b || b == 1) continue;
      if (a == 1) {
        out_dims[off + d] = b;
        continue;
      }
      return ingot_kerr(k, INGOT_CODE_INPUT, "cannot broadcast dim %lld against %lld (input %u, axis %d)",
                        (long long)b, (long long)a, i, d);
    }
  }
  *out_rank = r;
  return INGOT_OK;
}

void ingot_broadcast_strides(const ingot_tensor_t *t, int out_rank, const int64_t *out_dims, int64_t *strides) {
  int off = out_rank - t->rank;
  int64_t s = 1;
  for (int d = out_rank - 1; d >= 0; d--) {
    if (d < off) {
      strides[d] = 0;
      continue;
    }
    int64_t dim = t->dims[d - off];
    strides[d] = (dim == 1 && out_dims[d] != 1) ? 0 : s;
    s *= dim;
  }
}
