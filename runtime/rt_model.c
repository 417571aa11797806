/* Compiled-model lifecycle: weights loading with checksums, arena, pool,
 * runs, and kernel timing / Chrome traces. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ingot_rt.h"
#include "rt_cuda.h"

typedef struct {
  int32_t kernel;
  int32_t bucket;
  double start_us, dur_us;
} trace_event_t;

struct ingot_rt_exec {
  ingot_rt_model_t *m;
  int bucket;
};

struct ingot_rt_model {
  const ingot_rt_model_desc_t *d;
  uint8_t *weights_alloc; /* NULL when embedded */
  const uint8_t *weights;
  uint8_t *arena;
  uint64_t arena_bytes;
  int own_arena;
  ingot_rt_pool_t *pool;
  char err[512];
  /* timing */
  int timing;
  double **kernel_seconds; /* per bucket, per kernel */
  char *trace_path;
  trace_event_t *events;
  size_t nevents, events_cap;
  double t0;
  ingot_rt_cuda_t *cuda; /* GPU artifacts (rt_cuda.c) */
};

const char *ingot_rt_version(void) { return INGOT_RT_VERSION; }

const char *ingot_rt_status_name(ingot_rt_status_t s) {
  switch (s) {
    case INGOT_RT_OK: return "ok";
    case INGOT_RT_ERR_ARGUMENT: return "bad argument";
    case INGOT_RT_ERR_IO: return "i/o error";
    case INGOT_RT_ERR_WEIGHTS: return "bad weights";
    case INGOT_RT_ERR_NOMEM: return "out of memory";
    case INGOT_RT_ERR_ABI: return "incompatible artifact";
    case INGOT_RT_ERR_RUN: return "run failed";
    case INGOT_RT_ERR_DEVICE: return "GPU device error";
  }
  return "unknown status";
}

static ingot_rt_status_t fail(ingot_rt_model_t *m, ingot_rt_status_t s, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(m->err, sizeof m->err, fmt, ap);
  va_end(ap);
  return s;
}

/* 64-bit multiply-xorshift over 8-byte words (little-endian), then the tail.
 * Not cryptographic: it catches truncation, corruption and mix-ups. */
uint64_t ingot_rt_checksum(const void *data, size_t len) {
  const uint8_t *p = data;
  uint64_t h = 0x9e3779b97f4a7c15ull ^ (uint64_t)len;
  size_t i = 0;
  for (; i + 8 <= len; i += 8) {
    uint64_t w;
    memcpy(&w, p + i, 8);
    h ^= w;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 32;
  }
  for (; i < len; i++) {
    h ^= p[i];
    h *= 0xc4ceb9fe1a85ec53ull;
  }
  h ^= h >> 33;
  return h;
}

static void put64(uint8_t *p, uint64_t v) {
  for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static uint64_t get64(const uint8_t *p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; i++) v |= (uint64_t)p[i] << (8 * i);
  return v;
}

void ingot_rt_weights_header(uint8_t hdr[INGOT_RT_WEIGHTS_HEADER], uint64_t payload_bytes, uint64_t checksum,
                             uint64_t model_id) {
  memset(hdr, 0, INGOT_RT_WEIGHTS_HEADER);
  memcpy(hdr, "INGOTWTS", 8);
  hdr[8] = 1; /* version, u32 LE */
  hdr[12] = INGOT_RT_WEIGHTS_HEADER;
  put64(hdr + 16, payload_bytes);
  put64(hdr + 24, checksum);
  put64(hdr + 32, model_id);
}

static ingot_rt_status_t load_weights(ingot_rt_model_t *m, const char *path) {
  const ingot_rt_model_desc_t *d = m->d;
  if (d->embedded_weights) {
    m->weights = d->embedded_weights;
    return INGOT_RT_OK;
  }
  if (d->weights_bytes == 0) return INGOT_RT_OK;
  if (!path) return fail(m, INGOT_RT_ERR_ARGUMENT, "%s: a weights file is needed (%s.weights)", d->model_name,
                         d->model_name);
  FILE *f = fopen(path, "rb");
  if (!f) return fail(m, INGOT_RT_ERR_IO, "%s: cannot open weights: %s", path, strerror(errno));
  uint8_t hdr[INGOT_RT_WEIGHTS_HEADER];
  ingot_rt_status_t s = INGOT_RT_OK;
  if (fread(hdr, 1, sizeof hdr, f) != sizeof hdr || memcmp(hdr, "INGOTWTS", 8) != 0) {
    s = fail(m, INGOT_RT_ERR_WEIGHTS, "%s: not an ingot weights file (bad header)", path);
  } else if (hdr[8] != 1 || hdr[12] != INGOT_RT_WEIGHTS_HEADER) {
    s = fail(m, INGOT_RT_ERR_WEIGHTS, "%s: unsupported weights format version %u", path, hdr[8]);
  } else if (get64(hdr + 32) != d->model_id) {
    s = fail(m, INGOT_RT_ERR_WEIGHTS, "%s: weights belong to another model or compile (id %016llx, expected %016llx)",
             path, (unsigned long long)get64(hdr + 32), (unsigned long long)d->model_id);
  } else if (get64(hdr + 16) != d->weights_bytes) {
    s = fail(m, INGOT_RT_ERR_WEIGHTS, "%s: header says %llu payload bytes, the model needs %llu", path,
             (unsigned long long)get64(hdr + 16), (unsigned long long)d->weights_bytes);
  }
  if (s == INGOT_RT_OK) {
    m->weights_alloc = ingot_rt_aligned_alloc((size_t)d->weights_bytes);
    if (!m->weights_alloc) s = fail(m, INGOT_RT_ERR_NOMEM, "%s: out of memory for weights", path);
  }
  if (s == INGOT_RT_OK) {
    size_t got = fread(m->weights_alloc, 1, (size_t)d->weights_bytes, f);
    uint8_t extra;
    if (got != d->weights_bytes)
      s = fail(m, INGOT_RT_ERR_WEIGHTS, "%s: truncated: %zu of %llu payload bytes", path, got,
               (unsigned long long)d->weights_bytes);
    else if (fread(&extra, 1, 1, f) == 1)
      s = fail(m, INGOT_RT_ERR_WEIGHTS, "%s: trailing bytes after the payload", path);
    else if (ingot_rt_checksum(m->weights_alloc, got) != d->weights_checksum ||
             get64(hdr + 24) != d->weights_checksum)
      s = fail(m, INGOT_RT_ERR_WEIGHTS, "%s: checksum mismatch: the weights file is corrupted", path);
  }
  fclose(f);
  m->weights = m->weights_alloc;
  return s;
}

void ingot_rt_options_init(ingot_rt_options_t *o) {
  memset(o, 0, sizeof *o);
  o->threads = 1;
}

static double now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

void ingot_rt_model_enable_timing(ingot_rt_model_t *m) {
  if (!m || m->kernel_seconds) {
    if (m) m->timing = 1;
    return;
  }
  m->kernel_seconds = calloc((size_t)m->d->nbuckets, sizeof *m->kernel_seconds);
  if (!m->kernel_seconds) return;
  for (int b = 0; b < m->d->nbuckets; b++)
    m->kernel_seconds[b] = calloc((size_t)m->d->buckets[b].nkernels + 1, sizeof(double));
  m->timing = 1;
}

const double *ingot_rt_model_kernel_seconds(const ingot_rt_model_t *m, int bucket) {
  if (!m || !m->kernel_seconds || bucket < 0 || bucket >= m->d->nbuckets) return NULL;
  return m->kernel_seconds[bucket];
}

ingot_rt_status_t ingot_rt_model_create(const ingot_rt_model_desc_t *d, const char *weights_path,
                                        const ingot_rt_options_t *o, ingot_rt_model_t **out) {
  if (!out) return INGOT_RT_ERR_ARGUMENT;
  *out = NULL;
  ingot_rt_model_t *m = calloc(1, sizeof *m);
  if (!m) return INGOT_RT_ERR_NOMEM;
  *out = m;
  if (!d) return fail(m, INGOT_RT_ERR_ARGUMENT, "no model descriptor");
  m->d = d;
  if (d->abi != INGOT_RT_ABI && d->abi != INGOT_RT_ABI_CUDA)
    return fail(m, INGOT_RT_ERR_ABI, "%s: built for runtime ABI %u, this runtime is ABI %u", d->model_name, d->abi,
                INGOT_RT_ABI);
  ingot_rt_options_t defaults;
  ingot_rt_options_init(&defaults);
  if (!o) o = &defaults;
  ingot_rt_status_t s = load_weights(m, weights_path);
  if (s) return s;
  if (d->abi == INGOT_RT_ABI_CUDA) {
    /* tensors live in device memory: no host arena */
    s = ingot_rt_cuda_create((const ingot_rt_cuda_desc_t *)d, m->weights, o->device, &m->cuda, m->err, sizeof m->err);
    if (s) return s;
  }
  for (int b = 0; d->abi != INGOT_RT_ABI_CUDA && b < d->nbuckets; b++)
    if (d->buckets[b].arena_bytes > m->arena_bytes) m->arena_bytes = d->buckets[b].arena_bytes;
  if (o->arena) {
    if (o->arena_bytes < m->arena_bytes)
      return fail(m, INGOT_RT_ERR_ARGUMENT, "%s: the supplied arena has %zu bytes, the model needs %llu",
                  d->model_name, o->arena_bytes, (unsigned long long)m->arena_bytes);
    if (((uintptr_t)o->arena & 63) != 0)
      return fail(m, INGOT_RT_ERR_ARGUMENT, "%s: the supplied arena must be 64-byte aligned", d->model_name);
    m->arena = o->arena;
  } else if (m->arena_bytes) {
    m->arena = ingot_rt_aligned_alloc((size_t)m->arena_bytes);
    if (!m->arena)
      return fail(m, INGOT_RT_ERR_NOMEM, "%s: out of memory for a %llu-byte arena", d->model_name,
                  (unsigned long long)m->arena_bytes);
    m->own_arena = 1;
  }
  if (ingot_rt_pool_create(o->threads, &m->pool) != INGOT_RT_OK)
    return fail(m, INGOT_RT_ERR_NOMEM, "%s: cannot start %d threads", d->model_name, o->threads);
  const char *tp = o->trace_path ? o->trace_path : getenv("INGOT_TRACE");
  if (tp && *tp) {
    m->trace_path = strdup(tp);
    ingot_rt_model_enable_timing(m);
    m->t0 = now_us();
  }
  return INGOT_RT_OK;
}

/* Below this much estimated work (flops + bytes moved) a kernel runs on the
 * calling thread: waking workers costs more than it saves. */
#define SERIAL_WORK 65536.0

static void run_kernel(ingot_rt_model_t *m, const ingot_rt_kernel_info_t *k, int64_t n, ingot_rt_task_fn fn,
                       void *ctx) {
  if (k && k->flops + k->bytes > 0 && k->flops + k->bytes < SERIAL_WORK) fn(ctx, 0, n);
  else ingot_rt_parallel_for(m->pool, n, fn, ctx);
}

/* Adds one timed kernel launch (start t, duration dur, microseconds) to the
 * profile and the trace. */
static void record_kernel(ingot_rt_model_t *m, int bucket, int32_t kernel, double t, double dur) {
  if (m->kernel_seconds && m->kernel_seconds[bucket] && kernel >= 0 && kernel < m->d->buckets[bucket].nkernels)
    m->kernel_seconds[bucket][kernel] += dur / 1e6;
  if (m->trace_path) {
    if (m->nevents == m->events_cap) {
      size_t cap = m->events_cap ? m->events_cap * 2 : 1024;
      trace_event_t *e = realloc(m->events, cap * sizeof *e);
      if (!e) return;
      m->events = e;
      m->events_cap = cap;
    }
    trace_event_t *e = &m->events[m->nevents++];
    e->kernel = kernel;
    e->bucket = bucket;
    e->start_us = t - m->t0;
    e->dur_us = dur;
  }
}

static void record_cuda_kernel(void *user, int bucket, int kernel, double t, double dur) {
  record_kernel(user, bucket, kernel, t, dur);
}

void ingot_rt_launch(ingot_rt_exec_t *ex, int32_t kernel, int64_t n, ingot_rt_task_fn fn, void *ctx) {
  ingot_rt_model_t *m = ex->m;
  const ingot_rt_bucket_t *bk = &m->d->buckets[ex->bucket];
  const ingot_rt_kernel_info_t *ki = kernel >= 0 && kernel < bk->nkernels ? &bk->kernels[kernel] : NULL;
  if (!m->timing) {
    run_kernel(m, ki, n, fn, ctx);
    return;
  }
  double t = now_us();
  run_kernel(m, ki, n, fn, ctx);
  record_kernel(m, ex->bucket, kernel, t, now_us() - t);
}

ingot_rt_status_t ingot_rt_model_run(ingot_rt_model_t *m, int bucket, void *const *inputs, void *const *outputs) {
  if (!m || !m->d) return INGOT_RT_ERR_ARGUMENT;
  if (!m->pool) return fail(m, INGOT_RT_ERR_ARGUMENT, "model was not created successfully");
  if (bucket < 0 || bucket >= m->d->nbuckets)
    return fail(m, INGOT_RT_ERR_ARGUMENT, "%s: no bucket %d (the model has %d)", m->d->model_name, bucket,
                m->d->nbuckets);
  const ingot_rt_bucket_t *b = &m->d->buckets[bucket];
  if ((b->ninputs && !inputs) || (b->noutputs && !outputs))
    return fail(m, INGOT_RT_ERR_ARGUMENT, "%s: NULL input or output array", m->d->model_name);
  for (int i = 0; i < b->ninputs; i++)
    if (!inputs[i]) return fail(m, INGOT_RT_ERR_ARGUMENT, "%s: input '%s' is NULL", m->d->model_name, b->inputs[i].name);
  for (int i = 0; i < b->noutputs; i++)
    if (!outputs[i])
      return fail(m, INGOT_RT_ERR_ARGUMENT, "%s: output '%s' is NULL", m->d->model_name, b->outputs[i].name);
  if (m->cuda)
    return ingot_rt_cuda_run(m->cuda, bucket, inputs, outputs, m->timing ? record_cuda_kernel : NULL, m, m->err,
                             sizeof m->err);
  ingot_rt_exec_t ex = {m, bucket};
  int32_t rc = b->run(inputs, outputs, m->arena, m->weights, &ex);
  if (rc != 0) return fail(m, INGOT_RT_ERR_RUN, "%s: kernel reported error %d", m->d->model_name, rc);
  return INGOT_RT_OK;
}

int ingot_rt_model_find_bucket(const ingot_rt_model_t *m, const int64_t *const *dims, const int32_t *ranks) {
  if (!m || !m->d) return -1;
  for (int b = 0; b < m->d->nbuckets; b++) {
    const ingot_rt_bucket_t *bk = &m->d->buckets[b];
    int ok = 1;
    for (int i = 0; ok && i < bk->ninputs; i++) {
      if (ranks[i] != bk->inputs[i].rank) ok = 0;
      for (int k = 0; ok && k < ranks[i]; k++)
        if (dims[i][k] != bk->inputs[i].dims[k]) ok = 0;
    }
    if (ok) return b;
  }
  return -1;
}

const char *ingot_rt_last_error(const ingot_rt_model_t *m) {
  if (!m) return "out of memory creating the model";
  return m->err[0] ? m->err : "no error";
}

const ingot_rt_model_desc_t *ingot_rt_model_descriptor(const ingot_rt_model_t *m) { return m ? m->d : NULL; }

static void json_str(FILE *f, const char *s) {
  fputc('"', f);
  for (; s && *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') fprintf(f, "\\%c", c);
    else if (c < 0x20) fprintf(f, "\\u%04x", c);
    else fputc(c, f);
  }
  fputc('"', f);
}

static void write_trace(ingot_rt_model_t *m) {
  FILE *f = fopen(m->trace_path, "w");
  if (!f) {
    fprintf(stderr, "ingot: cannot write trace '%s': %s\n", m->trace_path, strerror(errno));
    return;
  }
  fprintf(f, "{\"traceEvents\":[\n");
  for (size_t i = 0; i < m->nevents; i++) {
    const trace_event_t *e = &m->events[i];
    const ingot_rt_bucket_t *b = &m->d->buckets[e->bucket];
    const ingot_rt_kernel_info_t *k = e->kernel >= 0 && e->kernel < b->nkernels ? &b->kernels[e->kernel] : NULL;
    fprintf(f, "%s{\"name\":", i ? ",\n" : "");
    json_str(f, k ? k->name : "kernel");
    fprintf(f, ",\"cat\":\"kernel\",\"ph\":\"X\",\"pid\":1,\"tid\":1,\"ts\":%.3f,\"dur\":%.3f,\"args\":{\"node\":",
            e->start_us, e->dur_us);
    json_str(f, k ? k->node : "");
    fprintf(f, ",\"op\":");
    json_str(f, k ? k->op : "");
    fprintf(f, ",\"bucket\":");
    json_str(f, b->name);
    fprintf(f, ",\"threads\":%d}}", ingot_rt_pool_threads(m->pool));
  }
  fprintf(f, "\n],\"displayTimeUnit\":\"ms\"}\n");
  fclose(f);
}

void ingot_rt_model_destroy(ingot_rt_model_t *m) {
  if (!m) return;
  if (m->trace_path) {
    write_trace(m);
    free(m->trace_path);
  }
  free(m->events);
  if (m->kernel_seconds) {
    for (int b = 0; b < m->d->nbuckets; b++) free(m->kernel_seconds[b]);
    free(m->kernel_seconds);
  }
  ingot_rt_cuda_destroy(m->cuda);
  ingot_rt_pool_destroy(m->pool);
  if (m->own_arena) ingot_rt_aligned_free(m->arena);
  ingot_rt_aligned_free(m->weights_alloc);
  free(m);
}
