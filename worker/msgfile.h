/* msgfile.h - reading one message file, within a size limit */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define MSGFILE_ERROR (msgfile_error_quark ())

typedef enum {
  MSGFILE_ERROR_UNREADABLE,   /* missing, permission, I/O: see the message */
  MSGFILE_ERROR_TOO_LARGE,    /* larger than the limit; nothing was read */
} MsgfileError;

GQuark msgfile_error_quark (void);

/**
 * msgfile_read:
 * @path: a file, or "-" for standard input.
 * @max_size: the largest size accepted.
 * @buffer: reused between calls; on success holds exactly the file's bytes.
 *
 * Reads the whole file.  A file larger than @max_size is refused before any
 * of it is read (standard input: as soon as the limit is passed).
 * Returns: TRUE, or FALSE with @error_out set (MSGFILE_ERROR).
 */
gboolean msgfile_read (const char *path, gsize max_size, GByteArray *buffer,
                       GError **error_out);

/* Hex SHA-256 of @data into @hex_out (65 bytes). */
void msgfile_sha256 (const guint8 *data, gsize len, char *hex_out);

G_END_DECLS
