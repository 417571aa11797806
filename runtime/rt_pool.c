/* Thread pool: a fixed set of workers that help with each parallel_for.
 *
 * Kernels are launched back to back (a DiT step is ~100-400 launches of
 * 10 us - 1 ms), so wake-up latency matters, and the machine may be shared
 * (CI, other processes), so no thread may be waited for if it is not
 * running:
 *   - work is claimed in grains from an atomic counter by every thread,
 *     the caller included; the caller returns when all ITEMS are done, not
 *     when all workers have checked in, so a descheduled worker costs
 *     nothing (the others take its grains);
 *   - jobs are published with a seqlock-style generation (odd while the
 *     caller writes the job, even when published) and an `active` count, so
 *     a late worker can never run a half-written job;
 *   - idle workers spin briefly, then sleep on a condition variable. */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "ingot_rt.h"

enum { SPIN_ITERS = 100000 }; /* polling before sleeping */

struct ingot_rt_pool {
  int threads;
  pthread_t *workers;
  pthread_mutex_t mu;
  pthread_cond_t wake;
  atomic_uint_fast64_t generation; /* even: a job is published; odd: being written */
  atomic_int active;               /* workers inside the current job */
  atomic_int sleepers;             /* workers blocked on `wake` */
  atomic_int stop;
  /* the current job (written only while generation is odd and active == 0) */
  ingot_rt_task_fn fn;
  void *ctx;
  int64_t n, grain;
  atomic_int_fast64_t next; /* next unclaimed item */
  atomic_int_fast64_t done; /* items finished */
};

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

/* Claims grains of the current job until none are left. */
static void run_grains(ingot_rt_pool_t *p) {
  ingot_rt_task_fn fn = p->fn;
  void *ctx = p->ctx;
  int64_t n = p->n, grain = p->grain;
  for (;;) {
    int64_t b = atomic_fetch_add(&p->next, grain);
    if (b >= n) break;
    int64_t e = b + grain < n ? b + grain : n;
    fn(ctx, b, e);
    atomic_fetch_add(&p->done, e - b);
  }
}

static void *worker_main(void *arg) {
  ingot_rt_pool_t *p = arg;
  uint64_t seen = 0;
  for (;;) {
    uint64_t g;
    int spins = 0;
    /* wait for a published job newer than the last one seen */
    while (((g = atomic_load(&p->generation)) == seen || (g & 1)) && !atomic_load(&p->stop)) {
      if (++spins < SPIN_ITERS) {
        cpu_relax();
        continue;
      }
      pthread_mutex_lock(&p->mu);
      atomic_fetch_add(&p->sleepers, 1);
      while (atomic_load(&p->generation) == seen && !atomic_load(&p->stop)) pthread_cond_wait(&p->wake, &p->mu);
      atomic_fetch_sub(&p->sleepers, 1);
      pthread_mutex_unlock(&p->mu);
      spins = 0;
    }
    if (atomic_load(&p->stop)) break;
    seen = g;
    atomic_fetch_add(&p->active, 1);
    if (atomic_load(&p->generation) == g) run_grains(p); /* else a newer job is being written: skip */
    atomic_fetch_sub(&p->active, 1);
  }
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
  atomic_init(&p->generation, 0);
  atomic_init(&p->active, 0);
  atomic_init(&p->sleepers, 0);
  atomic_init(&p->stop, 0);
  atomic_init(&p->next, 0);
  atomic_init(&p->done, 0);
  if (threads > 1) {
    p->workers = calloc((size_t)threads, sizeof *p->workers);
    if (!p->workers) {
      ingot_rt_pool_destroy(p);
      return INGOT_RT_ERR_NOMEM;
    }
    for (int i = 1; i < threads; i++) {
      if (pthread_create(&p->workers[i], NULL, worker_main, p)) {
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
    atomic_store(&p->stop, 1);
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->mu);
    for (int i = 1; i < p->threads; i++) pthread_join(p->workers[i], NULL);
    free(p->workers);
  }
  pthread_mutex_destroy(&p->mu);
  pthread_cond_destroy(&p->wake);
  free(p);
}

int ingot_rt_pool_threads(const ingot_rt_pool_t *p) { return p ? p->threads : 1; }

void ingot_rt_parallel_for(ingot_rt_pool_t *p, int64_t n, ingot_rt_task_fn fn, void *ctx) {
  if (n <= 0) return;
  if (!p || p->threads <= 1 || n == 1) {
    fn(ctx, 0, n);
    return;
  }
  /* 1. mark the job slot as being written, then wait out late workers of
   *    the previous job (they only claim from an exhausted counter) */
  atomic_fetch_add(&p->generation, 1);
  for (int spins = 0; atomic_load(&p->active) > 0;) {
    if (++spins < SPIN_ITERS) cpu_relax();
    else sched_yield(); /* a late worker was preempted between its checks */
  }
  /* 2. write and publish */
  p->fn = fn;
  p->ctx = ctx;
  p->n = n;
  p->grain = n / (4 * (int64_t)p->threads); /* ~4 grains a thread: rebalances, costs nothing */
  if (p->grain < 1) p->grain = 1;
  atomic_store(&p->next, 0);
  atomic_store(&p->done, 0);
  atomic_fetch_add(&p->generation, 1);
  if (atomic_load(&p->sleepers) > 0) {
    pthread_mutex_lock(&p->mu);
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->mu);
  }
  /* 3. work, then wait for the items others claimed */
  run_grains(p);
  int spins = 0;
  while (atomic_load(&p->done) < n) {
    if (++spins < SPIN_ITERS) cpu_relax();
    else sched_yield();
  }
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
