#include "arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct ingot_arena_block_s {
  ingot_arena_block_t *next;
  size_t cap, used;
  _Alignas(16) unsigned char data[];
};

enum { ARENA_BLOCK = 64 * 1024 };

void ingot_arena_init(ingot_arena_t *a, size_t limit) {
  a->head = NULL;
  a->used_total = 0;
  a->limit = limit;
}

void *ingot_arena_alloc(ingot_arena_t *a, size_t size) {
  if (size > SIZE_MAX - 32) return NULL;
  size_t need = (size + 15) & ~(size_t)15;
  if (need == 0) need = 16;
  if (a->limit && (need > a->limit || a->used_total > a->limit - need)) return NULL;
  ingot_arena_block_t *b = a->head;
  if (!b || b->cap - b->used < need) {
    /* Big requests get their own block, placed after the head so the head's
     * remaining space keeps serving small ones. */
    size_t cap = need > ARENA_BLOCK / 4 ? need : ARENA_BLOCK;
    ingot_arena_block_t *nb = malloc(sizeof *nb + cap);
    if (!nb) return NULL;
    nb->cap = cap;
    nb->used = 0;
    if (cap == need && b) {
      nb->next = b->next;
      b->next = nb;
    } else {
      nb->next = b;
      a->head = nb;
    }
    b = nb;
  }
  void *p = b->data + b->used;
  b->used += need;
  a->used_total += need;
  memset(p, 0, need);
  return p;
}

void *ingot_arena_calloc(ingot_arena_t *a, size_t n, size_t size) {
  if (size && n > SIZE_MAX / size) return NULL;
  return ingot_arena_alloc(a, n * size);
}

char *ingot_arena_strndup(ingot_arena_t *a, const char *s, size_t n) {
  char *p = ingot_arena_alloc(a, n + 1);
  if (!p) return NULL;
  memcpy(p, s, n);
  p[n] = 0;
  return p;
}

char *ingot_arena_strdup(ingot_arena_t *a, const char *s) {
  return ingot_arena_strndup(a, s ? s : "", s ? strlen(s) : 0);
}

void ingot_arena_free(ingot_arena_t *a) {
  ingot_arena_block_t *b = a->head;
  while (b) {
    ingot_arena_block_t *n = b->next;
    free(b);
    b = n;
  }
  a->head = NULL;
  a->used_total = 0;
}
