/* msgfile.h - reading one message file, within a size limit */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define MSGFILE_ERROR (msgfile_error_quark ())

typedef enum {
  MSGFILE_ERROR_UNREADABLE,   /* missing, permission, I/O: see the message */
  MSGFILE_ERROR_TOO_LARGE,    /* larger than the limit; nothing was read */
  MSGFILE_ERROR_NOT_REGULAR,  /* a FIFO, device, directory, socket, or a symbolic
                               * link not followed: nothing was read */
} MsgfileError;

typedef enum {
  MSGFILE_FOLLOW = 0,         /* a symbolic link named is followed */
  MSGFILE_NOFOLLOW = 1 << 0,  /* ... or refused (files of a Maildir) */
} MsgfileFlags;

GQuark msgfile_error_quark (void);

/**
 * msgfile_read:
 * @path: a file, or "-" for standard input.
 * @max_size: the largest size accepted.
 * @buffer: reused between calls; on success holds exactly the file's bytes.
 *
 * Reads the whole file.  A file larger than @max_size is refused before any
 * of it is read (standard input: as soon as the limit is passed); so is
 * anything but a regular file (a FIFO is not waited for).
 * Returns: TRUE, or FALSE with @error_out set (MSGFILE_ERROR).
 */
gboolean msgfile_read (const char *path, gsize max_size, GByteArray *buffer,
                       GError **error_out);

/* msgfile_read() with @flags, and the file's size in @size_out (also when
 * it is refused as too large: its size by fstat(); 0 when not known). */
gboolean msgfile_read_file (const char *path, MsgfileFlags flags, gsize max_size,
                            GByteArray *buffer, guint64 *size_out, GError **error_out);

/* Hex SHA-256 of @data into @hex_out (65 bytes). */
void msgfile_sha256 (const guint8 *data, gsize len, char *hex_out);

G_END_DECLS
