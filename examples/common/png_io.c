/* PNG I/O on libpng's classic API (setjmp error handling).  The error and
 * warning handlers write the message into the caller's buffer, so a bad file
 * gives one clear line and not libpng's own stderr chatter. */
#include "png_io.h"

#include <errno.h>
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  char *err;
  size_t errlen;
  const char *path;
} png_ctx_t;

static void on_error(png_structp png, png_const_charp msg) {
  png_ctx_t *c = png_get_error_ptr(png);
  snprintf(c->err, c->errlen, "%s: not a valid PNG (%s)", c->path, msg);
  png_longjmp(png, 1);
}

static void on_warning(png_structp png, png_const_charp msg) {
  (void)png;
  (void)msg; /* warnings (unknown chunks, gamma quirks) do not stop us */
}

const char *app_png_kind(int channels) {
  switch (channels) {
    case 1: return "gray";
    case 2: return "gray+alpha";
    case 3: return "RGB";
    case 4: return "RGBA";
  }
  return "?";
}

int app_image_alloc(app_image_t *img, int width, int height, int channels) {
  img->width = width;
  img->height = height;
  img->channels = channels;
  img->pixels = calloc((size_t)width * (size_t)height * (size_t)channels, 1);
  return img->pixels ? 0 : -1;
}

void app_image_free(app_image_t *img) {
  free(img->pixels);
  img->pixels = NULL;
}

int app_png_read(const char *path, app_image_t *out, char *err, size_t errlen) {
  memset(out, 0, sizeof *out);
  FILE *f = fopen(path, "rb");
  if (!f) {
    snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
    return -1;
  }
  uint8_t sig[8];
  if (fread(sig, 1, 8, f) != 8 || png_sig_cmp(sig, 0, 8) != 0) {
    snprintf(err, errlen, "%s: not a PNG file (bad signature)", path);
    fclose(f);
    return -1;
  }
  png_ctx_t ctx = {err, errlen, path};
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &ctx, on_error, on_warning);
  png_infop info = png ? png_create_info_struct(png) : NULL;
  /* volatile: modified between setjmp and a possible longjmp */
  png_bytep *volatile rows = NULL;
  uint8_t *volatile pixels = NULL;
  volatile int rc = -1;
  if (!png || !info) {
    snprintf(err, errlen, "%s: out of memory", path);
    goto out;
  }
  if (setjmp(png_jmpbuf(png))) goto out;
  png_set_user_limits(png, APP_PNG_MAX_SIDE, APP_PNG_MAX_SIDE);
  png_init_io(png, f);
  png_set_sig_bytes(png, 8);
  png_read_info(png, info);
  png_uint_32 w, h;
  int depth, ctype;
  png_get_IHDR(png, info, &w, &h, &depth, &ctype, NULL, NULL, NULL);
  int ch = ctype == PNG_COLOR_TYPE_GRAY         ? 1
           : ctype == PNG_COLOR_TYPE_GRAY_ALPHA ? 2
           : ctype == PNG_COLOR_TYPE_RGB        ? 3
           : ctype == PNG_COLOR_TYPE_RGB_ALPHA  ? 4
                                                : 0;
  if (ch == 0 || depth != 8) {
    snprintf(err, errlen, "%s: unsupported PNG format (%s, %d-bit): use 8-bit gray, RGB or RGBA", path,
             ctype == PNG_COLOR_TYPE_PALETTE ? "palette" : ch ? app_png_kind(ch) : "unknown color type", depth);
    goto out;
  }
  if (png_get_interlace_type(png, info) != PNG_INTERLACE_NONE) png_set_interlace_handling(png);
  png_read_update_info(png, info);
  size_t stride = (size_t)w * (size_t)ch;
  if (png_get_rowbytes(png, info) != stride) {
    snprintf(err, errlen, "%s: unexpected row size", path);
    goto out;
  }
  pixels = malloc(stride * h);
  rows = malloc(h * sizeof *rows);
  if (!pixels || !rows) {
    snprintf(err, errlen, "%s: out of memory for a %ux%u image", path, (unsigned)w, (unsigned)h);
    goto out;
  }
  for (png_uint_32 y = 0; y < h; y++) rows[y] = pixels + y * stride;
  png_read_image(png, rows);
  png_read_end(png, NULL);
  out->width = (int)w;
  out->height = (int)h;
  out->channels = ch;
  out->pixels = pixels;
  pixels = NULL;
  rc = 0;
out:
  png_destroy_read_struct(png ? &png : NULL, info ? &info : NULL, NULL);
  free(rows);
  free(pixels);
  fclose(f);
  return rc;
}

int app_png_write(const char *path, const app_image_t *img, char *err, size_t errlen) {
  static const int types[] = {0, PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA, PNG_COLOR_TYPE_RGB,
                              PNG_COLOR_TYPE_RGB_ALPHA};
  if (img->channels < 1 || img->channels > 4 || img->width < 1 || img->height < 1) {
    snprintf(err, errlen, "%s: bad image to write", path);
    return -1;
  }
  FILE *f = fopen(path, "wb");
  if (!f) {
    snprintf(err, errlen, "%s: cannot write: %s", path, strerror(errno));
    return -1;
  }
  png_ctx_t ctx = {err, errlen, path};
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &ctx, on_error, on_warning);
  png_infop info = png ? png_create_info_struct(png) : NULL;
  png_bytep *volatile rows = NULL;
  volatile int rc = -1;
  if (!png || !info) {
    snprintf(err, errlen, "%s: out of memory", path);
    goto out;
  }
  if (setjmp(png_jmpbuf(png))) goto out;
  png_init_io(png, f);
  png_set_compression_level(png, 9);
  png_set_filter(png, 0, PNG_ALL_FILTERS);
  png_set_IHDR(png, info, (png_uint_32)img->width, (png_uint_32)img->height, 8, types[img->channels],
               PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  rows = malloc((size_t)img->height * sizeof *rows);
  if (!rows) {
    snprintf(err, errlen, "%s: out of memory", path);
    goto out;
  }
  size_t stride = (size_t)img->width * (size_t)img->channels;
  for (int y = 0; y < img->height; y++) rows[y] = img->pixels + (size_t)y * stride;
  png_write_image(png, rows);
  png_write_end(png, NULL);
  rc = 0;
out:
  png_destroy_write_struct(png ? &png : NULL, info ? &info : NULL);
  free(rows);
  if (fclose(f) != 0 && rc == 0) {
    snprintf(err, errlen, "%s: cannot write: %s", path, strerror(errno));
    rc = -1;
  }
  if (rc != 0) remove(path);
  return rc;
}
