/* Artifact writer.  Every output is written atomically and
 * deterministically (no timestamps, fixed archive metadata), so the same
 * model and flags give byte-identical files. */
#include "codegen/artifact.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/ingot_rt.h"

ingot_status_t ingot_write_file(const char *path, const void *data, size_t len) {
  size_t n = strlen(path) + 16;
  char *tmp = malloc(n);
  if (!tmp) return ingot_error(INGOT_CODE_NOMEM, "out of memory");
  snprintf(tmp, n, "%s.tmp%d", path, (int)getpid());
  FILE *f = fopen(tmp, "wb");
  ingot_status_t st = INGOT_OK;
  if (!f) {
    st = ingot_error(INGOT_CODE_IO, "cannot write '%s': %s", path, strerror(errno));
  } else {
    if (len && fwrite(data, 1, len, f) != len) st = ingot_error(INGOT_CODE_IO, "cannot write '%s': %s", path, strerror(errno));
    if (fclose(f) != 0 && !st) st = ingot_error(INGOT_CODE_IO, "cannot write '%s': %s", path, strerror(errno));
    if (!st && rename(tmp, path) != 0) st = ingot_error(INGOT_CODE_IO, "cannot write '%s': %s", path, strerror(errno));
    if (st) unlink(tmp);
  }
  free(tmp);
  return st;
}

static void ar_header(uint8_t *h, const char *name, size_t size) {
  char buf[61];
  snprintf(buf, sizeof buf, "%-16s%-12d%-6d%-6d%-8o%-10zu`\n", name, 0, 0, 0, 0644, size);
  memcpy(h, buf, 60);
}

static void put_be32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

ingot_status_t ingot_write_ar(const char *path, const char *member_name, const uint8_t *obj, size_t len,
                              const char *const *symbols, int nsymbols) {
  if (strlen(member_name) > 15) return ingot_error(INGOT_CODE_INTERNAL, "archive member name too long");
  size_t names = 0;
  for (int i = 0; i < nsymbols; i++) names += strlen(symbols[i]) + 1;
  size_t symtab = 4 + 4 * (size_t)nsymbols + names;
  size_t symtab_padded = symtab + (symtab & 1);
  size_t obj_padded = len + (len & 1);
  size_t total = 8 + 60 + symtab_padded + 60 + obj_padded;
  uint8_t *a = calloc(1, total);
  if (!a) return ingot_error(INGOT_CODE_NOMEM, "out of memory");
  memcpy(a, "!<arch>\n", 8);
  size_t o = 8;
  ar_header(a + o, "/", symtab);
  o += 60;
  uint32_t member_off = (uint32_t)(8 + 60 + symtab_padded);
  put_be32(a + o, (uint32_t)nsymbols);
  for (int i = 0; i < nsymbols; i++) put_be32(a + o + 4 + 4 * (size_t)i, member_off);
  size_t p = o + 4 + 4 * (size_t)nsymbols;
  for (int i = 0; i < nsymbols; i++) {
    size_t l = strlen(symbols[i]) + 1;
    memcpy(a + p, symbols[i], l);
    p += l;
  }
  o += symtab_padded;
  if (symtab & 1) a[o - 1] = '\n';
  char mname[20];
  snprintf(mname, sizeof mname, "%s/", member_name);
  ar_header(a + o, mname, len);
  o += 60;
  memcpy(a + o, obj, len);
  if (len & 1) a[o + len] = '\n';
  ingot_status_t st = ingot_write_file(path, a, total);
  free(a);
  return st;
}

void ingot_c_identifier(const char *name, char *buf, size_t len) {
  static const char *const keywords[] = {"auto", "break", "case", "char", "const", "continue", "default", "do",
                                         "double", "else", "enum", "extern", "float", "for", "goto", "if", "inline",
                                         "int", "long", "register", "restrict", "return", "short", "signed", "sizeof",
                                         "static", "struct", "switch", "typedef", "union", "unsigned", "void",
                                         "volatile", "while", "m", "bucket", NULL};
  size_t o = 0;
  if (len < 4) return;
  if (!((*name >= 'a' && *name <= 'z') || (*name >= 'A' && *name <= 'Z') || *name == '_')) buf[o++] = '_';
  for (const char *p = name; *p && o + 2 < len; p++) {
    char c = *p;
    int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    buf[o++] = ok ? c : '_';
  }
  buf[o] = 0;
  for (int i = 0; keywords[i]; i++)
    if (!strcmp(buf, keywords[i]) && o + 2 < len) {
      buf[o++] = '_';
      buf[o] = 0;
    }
}

static const char *c_type(int dtype) {
  switch (dtype) {
    case INGOT_DT_FLOAT: return "float";
    case INGOT_DT_DOUBLE: return "double";
    case INGOT_DT_INT64: return "int64_t";
    case INGOT_DT_INT32: return "int32_t";
    case INGOT_DT_INT16: return "int16_t";
    case INGOT_DT_INT8: return "int8_t";
    case INGOT_DT_UINT64: return "uint64_t";
    case INGOT_DT_UINT32: return "uint32_t";
    case INGOT_DT_UINT16:
    case INGOT_DT_FLOAT16:
    case INGOT_DT_BFLOAT16: return "uint16_t";
    default: return "uint8_t"; /* uint8, bool */
  }
}

/* Unique C parameter names for a bucket's inputs and outputs. */
static void param_names(const ingot_graph_t *g, char (*names)[64]) {
  uint32_t n = g->ninputs + g->noutputs;
  for (uint32_t i = 0; i < n; i++) {
    int32_t v = i < g->ninputs ? g->inputs[i] : g->outputs[i - g->ninputs];
    ingot_c_identifier(g->values[v].name, names[i], 56);
    for (uint32_t j = 0; j < i; j++)
      if (!strcmp(names[i], names[j])) {
        size_t l = strlen(names[i]);
        snprintf(names[i] + l, 64 - l, "_%u", i);
        break;
      }
  }
}

/* The whole-sampler entry (codegen/sampler.h), when compiled with --sampler. */
static void write_sampler_decl(FILE *f, const ingot_sampler_plan_t *p, const ingot_graph_t *g, const char *name,
                               const char *up) {
  const char *kind = ingot_sampler_kind_name(p->o.kind);
  char tb[256];
  const ingot_value_t *x = &g->values[g->inputs[p->x_input]];
  fprintf(f, "/* Whole sampler (ingot compile --sampler %s --steps %d --guidance %g): runs the\n", kind, p->o.steps,
          p->o.guidance);
  fprintf(f, " * full loop in generated code for %lld sample(s): %d %s steps over the linear\n", (long long)p->batch,
          p->o.steps, kind);
  fprintf(f, " * beta schedule (1e-4..0.02, 1000 training steps), classifier-free guidance\n");
  fprintf(f, " * eps = eps_u + %g * (eps_c - eps_u), each step one model run on the doubled\n", p->o.guidance);
  fprintf(f, " * batch (conditional rows, then unconditional ones).\n");
  fprintf(f, " *   noise       float[%lld]: x_T for each sample, shaped like %s %s with batch %lld\n",
          (long long)(p->batch * p->latent_numel), x->name, ingot_type_str(g, &x->type, tb, sizeof tb),
          (long long)p->batch);
  for (int k = 0; k < p->ncond; k++) {
    const ingot_value_t *v = &g->values[g->inputs[p->cond_input[k]]];
    if (p->cond_dtype[k] == INGOT_DT_INT64)
      fprintf(f, " *   %-11s int64_t[%lld]: %s per sample (class %lld is unconditional)\n", p->cond_name[k],
              (long long)(p->batch * p->cond_row_numel[k]), v->name, (long long)p->o.null_class);
    else
      fprintf(f, " *   %-11s float[%lld]: %s per sample (zeros are unconditional)\n", p->cond_name[k],
              (long long)(p->batch * p->cond_row_numel[k]), v->name);
  }
  fprintf(f, " *   out_latent  float[%lld]: the sampled latents x_0\n", (long long)(p->batch * p->latent_numel));
  fprintf(f, " * Returns 0 or an ingot_rt_status_t (%s_error says why).  Scratch memory is\n", name);
  fprintf(f, " * allocated and freed per call. */\n");
  fprintf(f, "#define %s_SAMPLER \"%s\"\n", up, kind);
  fprintf(f, "#define %s_SAMPLER_STEPS %d\n", up, p->o.steps);
  fprintf(f, "#define %s_SAMPLER_GUIDANCE %.17g\n", up, p->o.guidance);
  fprintf(f, "#define %s_SAMPLER_NULL_CLASS %lld\n", up, (long long)p->o.null_class);
  fprintf(f, "#define %s_SAMPLE_BATCH %lld\n", up, (long long)p->batch);
  fprintf(f, "#define %s_SAMPLE_LATENT_NUMEL %lld\n", up, (long long)(p->batch * p->latent_numel));
  fprintf(f, "int32_t %s_sample(%s_model *m, const float *noise", name, name);
  for (int k = 0; k < p->ncond; k++)
    fprintf(f, ", const %s *%s", p->cond_dtype[k] == INGOT_DT_INT64 ? "int64_t" : "float", p->cond_name[k]);
  fprintf(f, ", float *out_latent);\n\n");
}

static ingot_status_t write_header(ingot_cg_t *cg, const ingot_artifact_opts_t *o, const char *dir, const char *name) {
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  if (!f) return ingot_error(INGOT_CODE_NOMEM, "out of memory");
  const ingot_graph_t *g0 = o->graphs[0];
  char (*pn)[64] = calloc(g0->ninputs + g0->noutputs + 1, sizeof *pn);
  if (!pn) {
    fclose(f);
    free(buf);
    return ingot_error(INGOT_CODE_NOMEM, "out of memory");
  }
  param_names(g0, pn);
  char up[256];
  size_t i;
  for (i = 0; name[i] && i + 1 < sizeof up; i++) up[i] = (char)(name[i] >= 'a' && name[i] <= 'z' ? name[i] - 32 : name[i]);
  up[i] = 0;
  const char *src = strrchr(o->source, '/');
  src = src ? src + 1 : o->source;
  size_t wlen;
  ingot_cg_weights(cg, &wlen);
  fprintf(f, "/* %s.h: generated by ingot %s from %s.  Do not edit.\n *\n", name, INGOT_RT_VERSION, src);
  fprintf(f, " * Usage:\n");
  fprintf(f, " *   %s_options opts;\n *   %s_options_init(&opts);\n *   opts.threads = 2;\n", name, name);
  fprintf(f, " *   %s_model *m = NULL;\n", name);
  fprintf(f, " *   if (%s_create(&m, %s, &opts) != 0) {\n", name, o->embed_weights ? "NULL" : "\"NAME.weights\"");
  fprintf(f, " *     fprintf(stderr, \"error: %%s\\n\", %s_error(m));\n *   }\n", name);
  fprintf(f, " *   %s_run(m", name);
  for (uint32_t k = 0; k < g0->ninputs + g0->noutputs; k++) fprintf(f, ", %s", pn[k]);
  fprintf(f, ");\n *   %s_destroy(m);\n *\n", name);
  fprintf(f, " * Ownership: a model from %s_create is the caller's and is freed by\n", name);
  fprintf(f, " * %s_destroy (also after a failed create).  Input and output buffers are\n", name);
  fprintf(f, " * always the caller's: dense, C order, of exactly the shapes below.\n");
  fprintf(f, " * Functions return 0 (INGOT_RT_OK) or an ingot_rt_status_t; %s_error()\n", name);
  fprintf(f, " * says what went wrong.  Link with lib%s.a and libingot_rt.a, -lm -lpthread.\n", name);
  fprintf(f, " * A model may be run from one thread at a time; use one model per thread.\n */\n");
  fprintf(f, "#ifndef %s_H_\n#define %s_H_\n\n#include <stdint.h>\n\n#include \"ingot_rt.h\"\n\n", up, up);
  fprintf(f, "#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n");
  fprintf(f, "#define %s_NUM_BUCKETS %d\n", up, o->nbuckets);
  uint64_t maxa = 0;
  for (int b = 0; b < o->nbuckets; b++) {
    fprintf(f, "#define %s_BUCKET%d_ARENA_BYTES %" PRIu64 "ull /* %s */\n", up, b, o->arena_bytes[b], o->bucket_names[b]);
    if (o->arena_bytes[b] > maxa) maxa = o->arena_bytes[b];
  }
  fprintf(f, "/* activation memory every bucket fits in (for opts.arena) */\n");
  fprintf(f, "#define %s_ARENA_BYTES %" PRIu64 "ull\n", up, maxa);
  fprintf(f, "#define %s_WEIGHTS_BYTES %zuull%s\n\n", up, wlen, o->embed_weights ? " /* embedded */" : "");
  for (int b = 0; b < o->nbuckets; b++) {
    const ingot_graph_t *g = o->graphs[b];
    fprintf(f, "/* bucket %d (%s):\n", b, o->bucket_names[b]);
    for (uint32_t k = 0; k < g->ninputs + g->noutputs; k++) {
      int32_t v = k < g->ninputs ? g->inputs[k] : g->outputs[k - g->ninputs];
      char tb[256];
      fprintf(f, " *   %-6s %-20s %s%s  '%s'\n", k < g->ninputs ? "input" : "output", pn[k],
              ingot_dtype_name(g->values[v].type.dtype), ingot_type_str(g, &g->values[v].type, tb, sizeof tb),
              g->values[v].name);
    }
    fprintf(f, " */\n");
  }
  fprintf(f, "\nextern const ingot_rt_model_desc_t %s__descriptor;\n\n", name);
  fprintf(f, "typedef ingot_rt_model_t %s_model;\ntypedef ingot_rt_options_t %s_options;\n\n", name, name);
  fprintf(f, "static inline void %s_options_init(%s_options *o) { ingot_rt_options_init(o); }\n\n", name, name);
  fprintf(f, "/* weights_path: the %s.weights file written next to this header%s. */\n", name,
          o->embed_weights ? " (NULL: weights are embedded)" : "");
  fprintf(f, "static inline int %s_create(%s_model **out, const char *weights_path, const %s_options *o) {\n", name, name,
          name);
  fprintf(f, "  return (int)ingot_rt_model_create(&%s__descriptor, weights_path, o, out);\n}\n\n", name);
  /* typed run for bucket b */
  fprintf(f, "/* Runs bucket `bucket` (0..%s_NUM_BUCKETS-1); inputs and outputs have that\n", up);
  fprintf(f, " * bucket's shapes (see above). */\n");
  fprintf(f, "static inline int %s_run_bucket(%s_model *m, int bucket", name, name);
  for (uint32_t k = 0; k < g0->ninputs + g0->noutputs; k++) {
    int32_t v = k < g0->ninputs ? g0->inputs[k] : g0->outputs[k - g0->ninputs];
    fprintf(f, ",\n    %s%s *%s", k < g0->ninputs ? "const " : "", c_type(g0->values[v].type.dtype), pn[k]);
  }
  fprintf(f, ") {\n  void *in_[] = {");
  for (uint32_t k = 0; k < g0->ninputs; k++) fprintf(f, "%s(void *)%s", k ? ", " : "", pn[k]);
  if (!g0->ninputs) fprintf(f, "0");
  fprintf(f, "};\n  void *out_[] = {");
  for (uint32_t k = 0; k < g0->noutputs; k++) fprintf(f, "%s(void *)%s", k ? ", " : "", pn[g0->ninputs + k]);
  fprintf(f, "};\n  return (int)ingot_rt_model_run(m, bucket, in_, out_);\n}\n\n");
  fprintf(f, "/* Runs bucket 0. */\nstatic inline int %s_run(%s_model *m", name, name);
  for (uint32_t k = 0; k < g0->ninputs + g0->noutputs; k++) {
    int32_t v = k < g0->ninputs ? g0->inputs[k] : g0->outputs[k - g0->ninputs];
    fprintf(f, ",\n    %s%s *%s", k < g0->ninputs ? "const " : "", c_type(g0->values[v].type.dtype), pn[k]);
  }
  fprintf(f, ") {\n  return %s_run_bucket(m, 0", name);
  for (uint32_t k = 0; k < g0->ninputs + g0->noutputs; k++) fprintf(f, ", %s", pn[k]);
  fprintf(f, ");\n}\n\n");
  if (o->sampler) write_sampler_decl(f, o->sampler, g0, name, up);
  fprintf(f, "static inline const char *%s_error(const %s_model *m) { return ingot_rt_last_error(m); }\n", name, name);
  fprintf(f, "static inline void %s_destroy(%s_model *m) { ingot_rt_model_destroy(m); }\n\n", name, name);
  fprintf(f, "#ifdef __cplusplus\n}\n#endif\n#endif\n");
  fclose(f);
  free(pn);
  size_t plen = strlen(dir) + strlen(name) + 8;
  char *path = malloc(plen);
  ingot_status_t st = path ? INGOT_OK : ingot_error(INGOT_CODE_NOMEM, "out of memory");
  if (path) {
    snprintf(path, plen, "%s/%s.h", dir, name);
    st = ingot_write_file(path, buf, len);
  }
  free(path);
  free(buf);
  return st;
}

ingot_status_t ingot_copy_file(const char *from, const char *to) {
  FILE *f = fopen(from, "rb");
  if (!f) return ingot_error(INGOT_CODE_IO, "cannot read '%s': %s (set INGOT_RT_DIR?)", from, strerror(errno));
  char *buf = NULL;
  size_t len = 0, cap = 0, r;
  char chunk[65536];
  ingot_status_t st = INGOT_OK;
  while ((r = fread(chunk, 1, sizeof chunk, f)) > 0) {
    if (len + r > cap) {
      cap = (len + r) * 2;
      char *nb = realloc(buf, cap);
      if (!nb) {
        st = ingot_error(INGOT_CODE_NOMEM, "out of memory");
        break;
      }
      buf = nb;
    }
    memcpy(buf + len, chunk, r);
    len += r;
  }
  fclose(f);
  if (!st) st = ingot_write_file(to, buf, len);
  free(buf);
  return st;
}

ingot_status_t ingot_link_shared(const char *dir, const char *name, const char *extra_lib) {
  char objp[4096], sop[4096], rtp[4096];
  snprintf(objp, sizeof objp, "%s/%s.o", dir, name);
  snprintf(sop, sizeof sop, "%s/lib%s.so", dir, name);
  snprintf(rtp, sizeof rtp, "%s/libingot_rt.a", dir);
  const char *cc = getenv("CC");
  char *argv[] = {(char *)(cc && *cc ? cc : "cc"), "-shared", "-o", sop, objp, rtp, "-lm", "-lpthread",
                  (char *)extra_lib, NULL};
  pid_t pid = fork();
  if (pid < 0) return ingot_error(INGOT_CODE_IO, "cannot start the C compiler: %s", strerror(errno));
  if (pid == 0) {
    execvp(argv[0], argv);
    _exit(127);
  }
  int status;
  if (waitpid(pid, &status, 0) < 0) return ingot_error(INGOT_CODE_IO, "waiting for the C compiler failed");
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return ingot_error(INGOT_CODE_IO, "linking the shared library with '%s' failed (exit %d)", argv[0],
                       WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  return INGOT_OK;
}

ingot_status_t ingot_write_artifacts(ingot_cg_t *cg, const ingot_artifact_opts_t *o) {
  const char *slash = strrchr(o->out_prefix, '/');
  char *dir = slash ? strndup(o->out_prefix, (size_t)(slash - o->out_prefix)) : strdup(".");
  const char *name = slash ? slash + 1 : o->out_prefix;
  if (!dir) return ingot_error(INGOT_CODE_NOMEM, "out of memory");
  if (!*dir) {
    free(dir);
    dir = strdup("/");
  }
  size_t plen = strlen(dir) + strlen(name) + 32;
  char *path = malloc(plen);
  uint8_t *obj = NULL;
  size_t objlen = 0;
  ingot_status_t st = path ? INGOT_OK : ingot_error(INGOT_CODE_NOMEM, "out of memory");
  if (!st) st = write_header(cg, o, dir, name);
  if (!st) st = ingot_cg_emit(cg, INGOT_EMIT_OBJ, &obj, &objlen);
  if (!st) {
    snprintf(path, plen, "%s/%s.o", dir, name);
    st = ingot_write_file(path, obj, objlen);
  }
  if (!st) {
    char sym1[300];
    snprintf(sym1, sizeof sym1, "%s__descriptor", name);
    char sym2[300];
    snprintf(sym2, sizeof sym2, "%s_sample", name);
    const char *syms[2] = {sym1, sym2};
    char member[16];
    snprintf(member, sizeof member, "%.13s.o", name);
    snprintf(path, plen, "%s/lib%s.a", dir, name);
    st = ingot_write_ar(path, member, obj, objlen, syms, o->sampler ? 2 : 1);
  }
  if (!st && !o->embed_weights) {
    size_t wlen;
    const uint8_t *w = ingot_cg_weights(cg, &wlen);
    uint8_t *file = malloc(INGOT_RT_WEIGHTS_HEADER + wlen);
    if (!file) {
      st = ingot_error(INGOT_CODE_NOMEM, "out of memory");
    } else {
      ingot_rt_weights_header(file, wlen, ingot_cg_weights_checksum(cg), ingot_cg_model_id(cg));
      if (wlen) memcpy(file + INGOT_RT_WEIGHTS_HEADER, w, wlen);
      snprintf(path, plen, "%s/%s.weights", dir, name);
      st = ingot_write_file(path, file, INGOT_RT_WEIGHTS_HEADER + wlen);
      free(file);
    }
  }
  for (int k = 0; !st && k < 2; k++) {
    bool want = k == 0 ? o->emit_llvm_ir : o->emit_asm;
    if (!want) continue;
    uint8_t *buf;
    size_t len;
    st = ingot_cg_emit(cg, k == 0 ? INGOT_EMIT_LLVM_IR : INGOT_EMIT_ASM, &buf, &len);
    if (st) break;
    snprintf(path, plen, "%s/%s.%s", dir, name, k == 0 ? "ll" : "s");
    st = ingot_write_file(path, buf, len);
    free(buf);
  }
  /* the runtime next to the artifact, so the folder is all an app needs */
  if (!st && o->rt_header) {
    snprintf(path, plen, "%s/ingot_rt.h", dir);
    st = ingot_copy_file(o->rt_header, path);
    /* the .npy reader/writer is part of the runtime too */
    const char *sl = strrchr(o->rt_header, '/');
    size_t dl = sl ? (size_t)(sl - o->rt_header) : 1;
    char npy[4096];
    snprintf(npy, sizeof npy, "%.*s/ingot_npy.h", (int)dl, sl ? o->rt_header : ".");
    snprintf(path, plen, "%s/ingot_npy.h", dir);
    if (!st) st = ingot_copy_file(npy, path);
  }
  if (!st && o->rt_lib) {
    snprintf(path, plen, "%s/libingot_rt.a", dir);
    st = ingot_copy_file(o->rt_lib, path);
  }
  if (!st && o->shared) st = ingot_link_shared(dir, name, NULL);
  free(obj);
  free(path);
  free(dir);
  return st;
}

ingot_status_t ingot_write_header(ingot_cg_t *cg, const ingot_artifact_opts_t *o) {
  const char *slash = strrchr(o->out_prefix, '/');
  char *dir = slash ? strndup(o->out_prefix, (size_t)(slash - o->out_prefix)) : strdup(".");
  if (!dir) return ingot_error(INGOT_CODE_NOMEM, "out of memory");
  ingot_status_t st = write_header(cg, o, *dir || !slash ? dir : "/", slash ? slash + 1 : o->out_prefix);
  free(dir);
  return st;
}
