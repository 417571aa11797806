/* Thread pool: a fixed set of workers woken per parallel_for.  The caller
 * runs the first chunk itself, so a pool of N threads starts N-1 workers. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "ingot_rt.h"

struct ingot_rt_pool {
  int threads;
  pthread_t *workers;
  pthread_mutex_t mu;
  pthread_cond_t wake, done;
  uint64_t generation; /* bumped per job */
  int pending;         /* workers still running the current job */
  int stop;
  /* the current job */
  ingot_rt_task_fn fn;
  void *ctx;
  int64_t n;
};

typedef struct {
  ingot_rt_pool_t *p;
  int index;
} worker_arg_t;

static void chunk(int64_t n, int parts, int i, int64_t *b, int64_t *e) {
  int64_t q = n / parts, r = n % parts;
  *b = i * q + (i < r ? i : r);
  *e = *b + q + (i < r ? 1 : 0);
}

static void *worker_main(void *arg) {
  worker_arg_t *wa = arg;
  ingot_rt_pool_t *p = wa->p;
  int index = wa->index;
  free(wa);
  uint64_t seen = 0;
  pthread_mutex_lock(&p->mu);
  for (;;) {
    while (!p->stop && p->generation == seen) pthread_cond_wait(&p->wake, &p->mu);
    if (p->stop) break;
    seen = p->generation;
    ingot_rt_task_fn fn = p->fn;
    void *ctx = p->ctx;
    int64_t n = p->n, b, e;
    pthread_mutex_unlock(&p->mu);
    chunk(n, p->threads, index, &b, &e);
    if (b < e) fn(ctx, b, e);
    pthread_mutex_lock(&p->mu);
    if (--p->pending == 0) pthread_cond_signal(&p->done);
  }
  pthread_mutex_unlock(&p->mu);
  return NULL;
}

ingot_rt_status_t ingot_rt_pool_create(int threads, ingot_rt_pool_t **out) {
  *out = NULL;
  if (threads < 1) threads = 1;
  if (threads > 1024) threads = 1024;
  ingot_rt_pool_t *p = calloc(1, sizeof *p);
  if (!p) return INGOT_RT_ERR_NOMEM;
  p->threads = threads;
  pthread_mutex_init(&p->mu, NULL);
  pthread_cond_init(&p->wake, NULL);
  pthread_cond_init(&p->done, NULL);
  if (threads > 1) {
    p->workers = calloc((size_t)threads, sizeof *p->workers);
    if (!p->workers) {
      ingot_rt_pool_destroy(p);
      return INGOT_RT_ERR_NOMEM;
    }
    for (int i = 1; i < threads; i++) {
      worker_arg_t *wa = malloc(sizeof *wa);
      if (!wa || pthread_create(&p->workers[i], NULL, worker_main, wa ? (wa->p = p, wa->index = i, wa) : NULL)) {
        free(wa);
        p->threads = i; /* only these exist; destroy joins them */
        ingot_rt_pool_destroy(p);
        return INGOT_RT_ERR_NOMEM;
      }
    }
  }
  *out = p;
  return INGOT_RT_OK;
}

void ingot_rt_pool_destroy(ingot_rt_pool_t *p) {
  if (!p) return;
  if (p->workers) {
    pthread_mutex_lock(&p->mu);
    p->stop = 1;
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->mu);
    for (int i = 1; i < p->threads; i++) pthread_join(p->workers[i], NULL);
    free(p->workers);
  }
  pthread_mutex_destroy(&p->mu);
  pthread_cond_destroy(&p->wake);
  pthread_cond_destroy(&p->done);
  free(p);
}

int ingot_rt_pool_threads(const ingot_rt_pool_t *p) { return p ? p->threads : 1; }

void ingot_rt_parallel_for(ingot_rt_pool_t *p, int64_t n, ingot_rt_task_fn fn, void *ctx) {
  if (n <= 0) return;
  if (!p || p->threads <= 1 || n == 1) {
    fn(ctx, 0, n);
    return;
  }
  pthread_mutex_lock(&p->mu);
  p->fn = fn;
  p->ctx = ctx;
  p->n = n;
  p->pending = p->threads - 1;
  p->generation++;
  pthread_cond_broadcast(&p->wake);
  pthread_mutex_unlock(&p->mu);
  int64_t b, e;
  chunk(n, p->threads, 0, &b, &e);
  if (b < e) fn(ctx, b, e);
  pthread_mutex_lock(&p->mu);
  while (p->pending > 0) pthread_cond_wait(&p->done, &p->mu);
  pthread_mutex_unlock(&p->mu);
}

void *ingot_rt_aligned_alloc(size_t bytes) {
  void *p = NULL;
  size_t n = (bytes + 63) & ~(size_t)63;
  if (n < bytes) return NULL;
  if (posix_memalign(&p, 64, n ? n : 64) != 0) return NULL;
  memset(p, 0, n ? n : 64);
  return p;
}

void ingot_rt_aligned_free(void *p) { free(p); }
