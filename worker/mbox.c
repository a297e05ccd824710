/* mbox.c - reading an mbox as its messages
 *
 * RFC 4155 (the application/mbox type): each message starts with a line
 * "From " (the From_ line, not part of the message) and ends before the
 * empty line that precedes the next From_ line.  The boundaries are those
 * of GMime's parser in mbox mode (g_mime_parser_get_mbox_marker_offset()
 * gives where each From_ line starts); the bytes of each message are then
 * read from the file itself, so that the hash is that of what is stored.
 *
 * Invariants:
 *  1. The file is opened read-only and never locked, moved or written: a
 *     mail server may be appending to it; what was complete when read is
 *     read.
 *  2. Memory is one message (plus GMime's parse of the one after it).
 *
 * Deliberate deviation: ">From " lines (mboxrd quoting) are left as they
 * are; unquoting would change the hash of a message between mbox variants
 * and the parser reads the quoted line as the body text it is.
 */
#include "mbox.h"
#include "msgfile.h"

#include "bounce.h"

#include <gmime/gmime.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

G_DEFINE_QUARK (mbox-error-quark, mbox_error)

#define MBOX_MARKER "From "

struct _Mbox {
  char *path;
  int fd;                 /* for pread() of each message's bytes */
  GMimeStream *stream;
  GMimeParser *parser;
  gint64 size;            /* of the file when opened */
  gint64 next_marker;     /* offset of the next From_ line, -1 when none */
  guint ordinal;
};

/* Bytes of the first line read to see how it ends. */
#define MBOX_SNIFF_BYTES 1024

gboolean
mbox_sniff (const char *path)
{
  char head[MBOX_SNIFF_BYTES];
  struct stat st;
  ssize_t n;
  int fd;
  gboolean is_mbox = FALSE;

  if (strcmp (path, "-") == 0)
    return FALSE;
  fd = open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0)
    return FALSE;
  if (fstat (fd, &st) == 0 && S_ISREG (st.st_mode)
      && (n = read (fd, head, sizeof head)) >= (ssize_t) strlen (MBOX_MARKER)
      && memcmp (head, MBOX_MARKER, strlen (MBOX_MARKER)) == 0)
    {
      /* An mbox's lines end in LF (or CRLF); a message saved with bare CR
       * line ends (old Mac mail) is no mbox GMime can split, but it is a
       * message: its From_ line must end in LF to be read as an mbox. */
      const char *nl = memchr (head, '\n', (gsize) n);
      const char *cr = memchr (head, '\r', (gsize) n);

      is_mbox = nl != NULL && (cr == NULL || cr + 1 >= nl);
    }
  close (fd);
  return is_mbox;
}

/* Moves the parser past the next message; returns the offset of the From_
 * line after it, or -1 at the end. */
static gint64
advance (Mbox *mbox)
{
  GMimeMessage *message;

  if (g_mime_parser_eos (mbox->parser))
    return -1;
  message = g_mime_parser_construct_message (mbox->parser, NULL);
  if (message == NULL)
    return -1;
  g_object_unref (message);
  return g_mime_parser_get_mbox_marker_offset (mbox->parser);
}

Mbox *
mbox_open (const char *path, GError **error_out)
{
  Mbox *mbox;
  struct stat st;
  int fd, parser_fd;

  g_return_val_if_fail (path != NULL, NULL);
  /* The parser's initialisation, not one of our own: parse threads may
   * be initialising GMime at this moment (bounce_parse_init()). */
  bounce_parse_init ();
  fd = open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0 || fstat (fd, &st) != 0 || (parser_fd = dup (fd)) < 0)
    {
      int e = errno;

      if (fd >= 0)
        close (fd);
      g_set_error (error_out, MBOX_ERROR, MBOX_ERROR_UNREADABLE, "could not open mbox \"%s\": %s",
                   path, g_strerror (e));
      return NULL;
    }
  mbox = g_new0 (Mbox, 1);
  mbox->path = g_strdup (path);
  mbox->fd = fd;
  mbox->size = st.st_size;
  /* GMime reads its own descriptor; what it has read past the size at open
   * time (a message being appended) is not used: see mbox_next(). */
  mbox->stream = g_mime_stream_fs_new (parser_fd);
  mbox->parser = g_mime_parser_new_with_stream (mbox->stream);
  g_mime_parser_set_format (mbox->parser, GMIME_FORMAT_MBOX);
  /* The first message's From_ line: the parser reports it once it has
   * parsed the message, so the first advance gives it. */
  mbox->next_marker = -2;
  return mbox;
}

MboxNext
mbox_next (Mbox *mbox, gsize max_size, GByteArray *buffer, guint *ordinal_out,
           GError **error_out)
{
  gint64 marker, body, end;
  char line[1024];
  ssize_t n;
  char *newline;

  g_return_val_if_fail (mbox != NULL && buffer != NULL, MBOX_NEXT_FAILED);
  if (mbox->next_marker == -2)
    mbox->next_marker = advance (mbox);
  marker = mbox->next_marker;
  if (marker < 0 || marker >= mbox->size)
    return MBOX_NEXT_END;
  /* Where this message ends: the next From_ line, or the end of what the
   * file held when opened. */
  mbox->next_marker = advance (mbox);
  end = mbox->next_marker > marker ? MIN (mbox->next_marker, mbox->size) : mbox->size;

  /* The message starts after its From_ line. */
  body = marker;
  for (;;)
    {
      n = pread (mbox->fd, line, sizeof line, body);
      if (n <= 0)
        break;
      newline = memchr (line, '\n', (gsize) n);
      if (newline != NULL)
        {
          body += newline - line + 1;
          break;
        }
      body += n;
    }
  if (n < 0)
    {
      g_set_error (error_out, MBOX_ERROR, MBOX_ERROR_UNREADABLE, "could not read mbox \"%s\": %s",
                   mbox->path, g_strerror (errno));
      return MBOX_NEXT_FAILED;
    }
  body = MIN (body, end);
  mbox->ordinal++;
  *ordinal_out = mbox->ordinal;
  if ((guint64) (end - body) > max_size)
    {
      g_autofree char *source = mbox_source (mbox->path, mbox->ordinal);

      g_set_error (error_out, MSGFILE_ERROR, MSGFILE_ERROR_TOO_LARGE,
                   "message \"%s\" of %" G_GINT64_FORMAT " bytes exceeds the limit of %"
                   G_GSIZE_FORMAT " bytes", source, end - body, max_size);
      return MBOX_NEXT_TOO_LARGE;
    }
  g_byte_array_set_size (buffer, (guint) (end - body));
  for (gsize got = 0; got < buffer->len;)
    {
      n = pread (mbox->fd, buffer->data + got, buffer->len - got, body + (gint64) got);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          g_set_error (error_out, MBOX_ERROR, MBOX_ERROR_UNREADABLE,
                       "could not read mbox \"%s\": %s", mbox->path,
                       n < 0 ? g_strerror (errno) : "file shrank while read");
          return MBOX_NEXT_FAILED;
        }
      got += (gsize) n;
    }
  /* The empty line before the next From_ line separates, it is not the
   * message's (RFC 4155, section 2). */
  if (buffer->len >= 2 && buffer->data[buffer->len - 1] == '\n'
      && buffer->data[buffer->len - 2] == '\n')
    g_byte_array_set_size (buffer, buffer->len - 1);
  else if (buffer->len >= 4 && memcmp (buffer->data + buffer->len - 4, "\r\n\r\n", 4) == 0)
    g_byte_array_set_size (buffer, buffer->len - 2);
  return MBOX_NEXT_MESSAGE;
}

gboolean
mbox_is_single (const Mbox *mbox)
{
  g_return_val_if_fail (mbox != NULL, FALSE);
  return mbox->ordinal == 1 && (mbox->next_marker < 0 || mbox->next_marker >= mbox->size);
}

char *
mbox_source (const char *path, guint ordinal)
{
  return g_strdup_printf ("%s#%u", path, ordinal);
}

void
mbox_free (Mbox *mbox)
{
  if (mbox == NULL)
    return;
  g_clear_object (&mbox->parser);
  g_clear_object (&mbox->stream);
  close (mbox->fd);
  g_free (mbox->path);
  g_free (mbox);
}
