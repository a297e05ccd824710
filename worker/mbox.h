/* mbox.h - an mbox file read as its messages, never changed
 *
 * The mbox format (RFC 4155): messages one after another, each introduced
 * by a "From " line (the envelope sender and a date), separated by an empty
 * line.  bounced reads an mbox as the messages it holds, each hashed,
 * parsed and stored on its own, and never moves, locks or rewrites it: a
 * mail server may be appending to it.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define MBOX_ERROR (mbox_error_quark ())

typedef enum {
  MBOX_ERROR_UNREADABLE,   /* open, read: see the message */
} MboxError;

GQuark mbox_error_quark (void);

/* Whether @path is a regular file that starts like an mbox ("From "). */
gboolean mbox_sniff (const char *path);

typedef struct _Mbox Mbox;

/**
 * mbox_open:
 * Opens @path for reading (read-only, no lock).  The messages are found
 * with GMime's parser in mbox mode.
 *
 *   g_autoptr(Mbox) mbox = mbox_open (path, &error);
 *   while (mbox_next (mbox, max, buffer, &ordinal, &error) == MBOX_NEXT_MESSAGE)
 *     ... buffer holds message number ordinal ...
 *
 * Returns: (transfer full): the mbox, or NULL with @error_out set.
 */
Mbox *mbox_open (const char *path, GError **error_out);

typedef enum {
  MBOX_NEXT_MESSAGE,    /* @buffer holds the next message */
  MBOX_NEXT_TOO_LARGE,  /* the next message is larger than @max_size; skipped,
                         * @error_out says so (MSGFILE_ERROR_TOO_LARGE) */
  MBOX_NEXT_END,        /* no more messages */
  MBOX_NEXT_FAILED,     /* @error_out set */
} MboxNext;

/**
 * mbox_next:
 * Reads the next message: its bytes from the line after its "From " line
 * up to the empty line that separates it from the next one (as stored:
 * ">From " lines are not unquoted, so that its hash is that of the bytes
 * in the file).  @ordinal_out is its number in the file, from 1.
 */
MboxNext mbox_next (Mbox *mbox, gsize max_size, GByteArray *buffer, guint *ordinal_out,
                    GError **error_out);

/* Whether the message mbox_next() last gave is the file's only one (a
 * message saved with its From_ line): then it is the file, and parse names
 * it by its path. */
gboolean mbox_is_single (const Mbox *mbox);

/* "PATH#N": how message N of an mbox is named in output and in the
 * database's source column.  Returns: (transfer full). */
char *mbox_source (const char *path, guint ordinal);

void mbox_free (Mbox *mbox);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Mbox, mbox_free)

G_END_DECLS
