/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fwht-encode: raw frames on stdin to an FWHT stream, one file per frame,
 * with a V4L2 stateful FWHT encoder (vicodec), for decode-display --stream.
 *
 *   gst-launch-1.0 -q videotestsrc num-buffers=30 \
 *       ! video/x-raw,format=BGRx,width=640,height=480 ! fdsink \
 *     | fwht-encode --width 640 --height 480 --output /tmp/fwht-%03d.fwht
 *
 * GStreamer's own v4l2fwhtenc does this within a pipeline on 1.22, but from
 * 1.24 on it sets the encoded format before the raw one; vicodec sizes its
 * encoded buffers for its default 1280x720 until the raw format comes, and
 * the element refuses the smaller buffers it then gets. Here the raw
 * (OUTPUT) format is set first, as the V4L2 stateful encoder interface
 * describes.
 */

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <libv4l2.h>
#include <linux/videodev2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* GStreamer format names of the packed and planar layouts vicodec takes.
 * Both name bytes in memory order for these, but V4L2's 32-bit RGB names
 * are little-endian words: GStreamer's BGRx (B, G, R, x in memory) is
 * V4L2_PIX_FMT_XBGR32, not XRGB32 (x, R, G, B). */
static const struct
{
  const gchar *gst;
  guint32 v4l2;
  guint num, den;               /* bytes per pixel over the whole frame */
} formats[] = {
  {"BGRx", V4L2_PIX_FMT_XBGR32, 4, 1},
  {"BGRA", V4L2_PIX_FMT_ABGR32, 4, 1},
  {"RGB", V4L2_PIX_FMT_RGB24, 3, 1},
  {"NV12", V4L2_PIX_FMT_NV12, 3, 2},
  {"I420", V4L2_PIX_FMT_YUV420, 3, 2},
  {"YUY2", V4L2_PIX_FMT_YUYV, 2, 1},
};

typedef struct
{
  void *data;
  gsize length;
} Mapping;

static gboolean
has_capture_format (int fd, guint32 fourcc)
{
  struct v4l2_fmtdesc desc = {.type = V4L2_BUF_TYPE_VIDEO_CAPTURE };

  for (desc.index = 0; v4l2_ioctl (fd, VIDIOC_ENUM_FMT, &desc) == 0;
      desc.index++)
    if (desc.pixelformat == fourcc)
      return TRUE;
  return FALSE;
}

/* The first single-planar memory-to-memory device that encodes to FWHT. */
static int
open_encoder (const gchar * device, gchar ** found)
{
  GDir *dir;
  const gchar *name;
  int fd = -1;

  if (device) {
    fd = v4l2_open (device, O_RDWR);
    if (fd < 0)
      g_printerr ("fwht-encode: cannot open %s: %s\n", device,
          g_strerror (errno));
    *found = g_strdup (device);
    return fd;
  }
  dir = g_dir_open ("/dev", 0, NULL);
  while (dir && (name = g_dir_read_name (dir))) {
    struct v4l2_capability cap = { 0, };
    gchar *path;

    if (!g_str_has_prefix (name, "video"))
      continue;
    path = g_build_filename ("/dev", name, NULL);
    fd = v4l2_open (path, O_RDWR);
    if (fd >= 0 && v4l2_ioctl (fd, VIDIOC_QUERYCAP, &cap) == 0 &&
        ((cap.capabilities & V4L2_CAP_DEVICE_CAPS) ? cap.device_caps :
            cap.capabilities) & V4L2_CAP_VIDEO_M2M &&
        has_capture_format (fd, V4L2_PIX_FMT_FWHT)) {
      *found = path;
      break;
    }
    if (fd >= 0)
      v4l2_close (fd);
    fd = -1;
    g_free (path);
  }
  if (dir)
    g_dir_close (dir);
  if (fd < 0)
    g_printerr ("fwht-encode: no V4L2 FWHT encoder in /dev/video* "
        "(load vicodec: modprobe vicodec), or pass --device\n");
  return fd;
}

static gboolean
set_format (int fd, guint32 type, guint32 fourcc, gint width, gint height,
    struct v4l2_format *fmt)
{
  memset (fmt, 0, sizeof (*fmt));
  fmt->type = type;
  fmt->fmt.pix.width = width;
  fmt->fmt.pix.height = height;
  fmt->fmt.pix.pixelformat = fourcc;
  fmt->fmt.pix.field = V4L2_FIELD_NONE;
  if (v4l2_ioctl (fd, VIDIOC_S_FMT, fmt) < 0) {
    g_printerr ("fwht-encode: VIDIOC_S_FMT (%s %.4s %dx%d): %s\n",
        type == V4L2_BUF_TYPE_VIDEO_OUTPUT ? "raw" : "FWHT",
        (const gchar *) &fourcc, width, height, g_strerror (errno));
    return FALSE;
  }
  if (fmt->fmt.pix.pixelformat != fourcc ||
      (gint) fmt->fmt.pix.width != width ||
      (gint) fmt->fmt.pix.height != height) {
    g_printerr ("fwht-encode: the encoder offers %.4s %ux%u instead of "
        "%.4s %dx%d\n",
        (const gchar *) &fmt->fmt.pix.pixelformat, fmt->fmt.pix.width,
        fmt->fmt.pix.height, (const gchar *) &fourcc, width, height);
    return FALSE;
  }
  return TRUE;
}

/* REQBUFS + QUERYBUF + mmap of @count MMAP buffers of @type. */
static gint
map_buffers (int fd, guint32 type, guint count, Mapping * maps)
{
  struct v4l2_requestbuffers req = {.count = count,.type = type,
    .memory = V4L2_MEMORY_MMAP
  };
  guint i;

  if (v4l2_ioctl (fd, VIDIOC_REQBUFS, &req) < 0 || req.count == 0) {
    g_printerr ("fwht-encode: VIDIOC_REQBUFS: %s\n", g_strerror (errno));
    return -1;
  }
  for (i = 0; i < req.count && i < count; i++) {
    struct v4l2_buffer buf = {.index = i,.type = type,
      .memory = V4L2_MEMORY_MMAP
    };

    if (v4l2_ioctl (fd, VIDIOC_QUERYBUF, &buf) < 0) {
      g_printerr ("fwht-encode: VIDIOC_QUERYBUF: %s\n", g_strerror (errno));
      return -1;
    }
    maps[i].length = buf.length;
    maps[i].data = v4l2_mmap (NULL, buf.length, PROT_READ | PROT_WRITE,
        MAP_SHARED, fd, buf.m.offset);
    if (maps[i].data == MAP_FAILED) {
      maps[i].data = NULL;
      g_printerr ("fwht-encode: mmap: %s\n", g_strerror (errno));
      return -1;
    }
  }
  return i;
}

static gboolean
queue (int fd, guint32 type, guint index, guint bytesused)
{
  struct v4l2_buffer buf = {.index = index,.type = type,
    .memory = V4L2_MEMORY_MMAP,.bytesused = bytesused
  };

  if (v4l2_ioctl (fd, VIDIOC_QBUF, &buf) < 0) {
    g_printerr ("fwht-encode: VIDIOC_QBUF: %s\n", g_strerror (errno));
    return FALSE;
  }
  return TRUE;
}

static gboolean
dequeue (int fd, guint32 type, struct v4l2_buffer *buf)
{
  memset (buf, 0, sizeof (*buf));
  buf->type = type;
  buf->memory = V4L2_MEMORY_MMAP;
  if (v4l2_ioctl (fd, VIDIOC_DQBUF, buf) < 0) {
    g_printerr ("fwht-encode: VIDIOC_DQBUF: %s\n", g_strerror (errno));
    return FALSE;
  }
  return TRUE;
}

static gboolean
read_frame (guint8 * dst, gsize size, gboolean * eof)
{
  gsize got = 0;

  while (got < size) {
    ssize_t n = read (STDIN_FILENO, dst + got, size - got);

    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      g_printerr ("fwht-encode: reading stdin: %s\n", g_strerror (errno));
      return FALSE;
    }
    if (n == 0)
      break;
    got += n;
  }
  *eof = got == 0;
  if (got && got < size) {
    g_printerr ("fwht-encode: stdin ended inside a frame (%" G_GSIZE_FORMAT
        " of %" G_GSIZE_FORMAT " bytes): are --width, --height and "
        "--format those of the raw frames?\n", got, size);
    return FALSE;
  }
  return TRUE;
}

static gint
encode (int fd, guint32 fourcc, gint width, gint height, gsize frame_size,
    const gchar * output)
{
  const guint32 out_type = V4L2_BUF_TYPE_VIDEO_OUTPUT;
  const guint32 cap_type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
  Mapping raw[1] = { {0,}, }, enc[2] = { {0,}, };
  struct v4l2_format fmt;
  gint n_enc, frames = 0, ret = -1;
  guint32 type;
  guint i;

  /* raw first: the encoder sizes its FWHT buffers from it */
  if (!set_format (fd, out_type, fourcc, width, height, &fmt))
    return -1;
  if (fmt.fmt.pix.sizeimage < frame_size) {
    g_printerr ("fwht-encode: the encoder takes %u-byte frames, %"
        G_GSIZE_FORMAT " expected: a padded layout it cannot be fed\n",
        fmt.fmt.pix.sizeimage, frame_size);
    return -1;
  }
  if (!set_format (fd, cap_type, V4L2_PIX_FMT_FWHT, width, height, &fmt))
    return -1;
  if (map_buffers (fd, out_type, 1, raw) != 1)
    goto unmap;
  n_enc = map_buffers (fd, cap_type, G_N_ELEMENTS (enc), enc);
  if (n_enc < 1)
    goto unmap;
  for (i = 0; i < (guint) n_enc; i++)
    if (!queue (fd, cap_type, i, 0))
      goto unmap;
  type = out_type;
  if (v4l2_ioctl (fd, VIDIOC_STREAMON, &type) < 0)
    goto streamon_failed;
  type = cap_type;
  if (v4l2_ioctl (fd, VIDIOC_STREAMON, &type) < 0)
    goto streamon_failed;

  for (;;) {
    struct v4l2_buffer done;
    gboolean eof;
    gchar *path;
    GError *err = NULL;
    gboolean written;

    if (!read_frame (raw[0].data, frame_size, &eof))
      goto stop;
    if (eof)
      break;
    if (!queue (fd, out_type, 0, frame_size) || !dequeue (fd, cap_type, &done))
      goto stop;
    path = g_strdup_printf (output, frames);
    written = g_file_set_contents (path, enc[done.index].data,
        done.bytesused, &err);
    g_free (path);
    if (!written) {
      g_printerr ("fwht-encode: %s\n", err->message);
      g_clear_error (&err);
      goto stop;
    }
    frames++;
    if (!queue (fd, cap_type, done.index, 0) || !dequeue (fd, out_type, &done))
      goto stop;
  }
  ret = frames;

stop:
  type = out_type;
  v4l2_ioctl (fd, VIDIOC_STREAMOFF, &type);
  type = cap_type;
  v4l2_ioctl (fd, VIDIOC_STREAMOFF, &type);
  goto unmap;

streamon_failed:
  g_printerr ("fwht-encode: VIDIOC_STREAMON: %s\n", g_strerror (errno));
unmap:
  for (i = 0; i < G_N_ELEMENTS (raw); i++)
    if (raw[i].data)
      v4l2_munmap (raw[i].data, raw[i].length);
  for (i = 0; i < G_N_ELEMENTS (enc); i++)
    if (enc[i].data)
      v4l2_munmap (enc[i].data, enc[i].length);
  return ret;
}

int
main (int argc, char **argv)
{
  gint width = 640, height = 480;
  gchar *format = NULL, *output = NULL, *device = NULL, *found = NULL;
  GOptionEntry entries[] = {
    {"width", 'w', 0, G_OPTION_ARG_INT, &width, "Frame width (640)", "W"},
    {"height", 'h', 0, G_OPTION_ARG_INT, &height, "Frame height (480)", "H"},
    {"format", 'f', 0, G_OPTION_ARG_STRING, &format,
        "GStreamer name of the raw frames' format (BGRx)", "FORMAT"},
    {"output", 'o', 0, G_OPTION_ARG_FILENAME, &output,
        "printf pattern of the files, one per frame (multifilesrc's "
          "location), e.g. /tmp/fwht-%03d.fwht", "PATTERN"},
    {"device", 'd', 0, G_OPTION_ARG_FILENAME, &device,
        "V4L2 encoder (default: the first FWHT encoder)", "PATH"},
    {NULL}
  };
  GOptionContext *ctx = g_option_context_new ("- raw frames on stdin to FWHT");
  GError *err = NULL;
  const gchar *fmt;
  guint i;
  gint fd, frames = -1;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &err)) {
    g_printerr ("fwht-encode: %s\n", err->message);
    return 2;
  }
  g_option_context_free (ctx);
  fmt = format ? format : "BGRx";
  for (i = 0; i < G_N_ELEMENTS (formats); i++)
    if (!strcmp (formats[i].gst, fmt))
      break;
  if (i == G_N_ELEMENTS (formats) || width <= 0 || height <= 0 ||
      width % 2 || height % 2 || !output ||
      !g_strrstr (output, "%") || strchr (strchr (output, '%') + 1, '%')) {
    g_printerr ("fwht-encode: needs an even --width and --height, --format "
        "one of BGRx BGRA RGB NV12 I420 YUY2, and --output with one "
        "%%d-style conversion (e.g. /tmp/fwht-%%03d.fwht)\n");
    return 2;
  }

  fd = open_encoder (device, &found);
  if (fd >= 0) {
    frames = encode (fd, formats[i].v4l2, width, height,
        (gsize) width * height * formats[i].num / formats[i].den, output);
    v4l2_close (fd);
  }
  if (frames >= 0)
    g_printerr ("fwht-encode: %d frame(s) encoded with %s\n", frames, found);
  g_free (found);
  g_free (format);
  g_free (output);
  g_free (device);
  return frames > 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
