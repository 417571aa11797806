/* PNG reading and writing for the example apps (libpng 1.6).
 *
 *   app_image_t img;
 *   char err[256];
 *   if (app_png_read("in.png", &img, err, sizeof err) != 0) { fprintf(stderr, "error: %s\n", err); ... }
 *   ...                     // img.pixels: height rows of width * channels bytes
 *   app_png_write("out.png", &img, err, sizeof err);
 *   app_image_free(&img);
 *
 * Only 8-bit images are read as they are: gray (1 channel), gray+alpha (2),
 * RGB (3) and RGBA (4).  Palette images and 16-bit images are refused, and so
 * are gray images of 1, 2 or 4 bits.  The caller then knows each pixel byte
 * is exactly what the file holds, so "unchanged" has a precise meaning.  The
 * writer is deterministic: there are no timestamps or text chunks, and the
 * compression settings are fixed.  The same pixels always give the same
 * bytes. */
#ifndef APP_PNG_IO_H
#define APP_PNG_IO_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
  int width, height;
  int channels; /* 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA */
  uint8_t *pixels;
} app_image_t;

/* Largest width or height accepted (keeps a hostile header from asking for
 * gigabytes). */
#define APP_PNG_MAX_SIDE 8192

int app_png_read(const char *path, app_image_t *out, char *err, size_t errlen);
int app_png_write(const char *path, const app_image_t *img, char *err, size_t errlen);
int app_image_alloc(app_image_t *img, int width, int height, int channels);
void app_image_free(app_image_t *img);
const char *app_png_kind(int channels); /* "gray", "gray+alpha", "RGB", "RGBA" */

#endif
