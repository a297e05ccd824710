/* msgfile.c - reading message files
 *
 * One read path for every command, so that size limits and error messages
 * are the same everywhere.  The file is opened O_NONBLOCK (a FIFO would
 * block the open forever) and, for files of a Maildir, O_NOFOLLOW; the
 * descriptor is then checked with fstat() (no stat-then-open race): only a
 * regular file is read, and nothing of one past the size limit.
 */
#include "msgfile.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

G_DEFINE_QUARK (msgfile-error-quark, msgfile_error)

/* What a file that is not a regular one is, for the error message. */
static const char *
file_type_name (mode_t mode)
{
  if (S_ISDIR (mode))
    return "a directory";
  if (S_ISFIFO (mode))
    return "a FIFO";
  if (S_ISSOCK (mode))
    return "a socket";
  if (S_ISCHR (mode) || S_ISBLK (mode))
    return "a device";
  if (S_ISLNK (mode))
    return "a symbolic link";
  return "not a regular file";
}

gboolean
msgfile_read_file (const char *path, MsgfileFlags flags, gsize max_size, GByteArray *buffer,
                   guint64 *size_out, GError **error_out)
{
  gboolean is_stdin = strcmp (path, "-") == 0;
  /* O_NONBLOCK: opening a FIFO (or a device) waits for a writer forever
   * otherwise; on a regular file it changes nothing.  O_NOFOLLOW for the
   * Maildir's files: a name swapped for a symbolic link between scan and
   * claim must not read (and store the size and hash of) its target. */
  int oflags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK
               | ((flags & MSGFILE_NOFOLLOW) ? O_NOFOLLOW : 0);
  int fd = is_stdin ? STDIN_FILENO : open (path, oflags);
  struct stat st;
  gsize want, got = 0;

  if (size_out != NULL)
    *size_out = 0;
  if (fd < 0)
    {
      int e = errno;
      if (e == ELOOP && (flags & MSGFILE_NOFOLLOW))
        g_set_error (error_out, MSGFILE_ERROR, MSGFILE_ERROR_NOT_REGULAR,
                     "could not read \"%s\": it is a symbolic link, not followed", path);
      else
        g_set_error (error_out, MSGFILE_ERROR, MSGFILE_ERROR_UNREADABLE,
                     "could not open \"%s\": %s", path, g_strerror (e));
      return FALSE;
    }
  if (fstat (fd, &st) != 0 || (!is_stdin && !S_ISREG (st.st_mode)))
    {
      g_set_error (error_out, MSGFILE_ERROR, MSGFILE_ERROR_NOT_REGULAR,
                   "could not read \"%s\": it is %s", path, file_type_name (st.st_mode));
      if (!is_stdin)
        close (fd);
      return FALSE;
    }
  if (S_ISREG (st.st_mode) && size_out != NULL)
    *size_out = (guint64) st.st_size;
  /* The size first, from the descriptor: nothing of a file past the limit
   * is read, let alone hashed. */
  if (S_ISREG (st.st_mode) && (guint64) st.st_size > max_size)
    {
      g_set_error (error_out, MSGFILE_ERROR, MSGFILE_ERROR_TOO_LARGE,
                   "message \"%s\" of %" G_GUINT64_FORMAT " bytes exceeds the limit of %"
                   G_GSIZE_FORMAT " bytes", path, (guint64) st.st_size, max_size);
      if (!is_stdin)
        close (fd);
      return FALSE;
    }

  /* Read one byte past the expected size to notice files that grew, and
   * streams (stdin) in chunks up to the limit plus one byte. */
  want = S_ISREG (st.st_mode) ? (gsize) st.st_size + 1 : 65536;
  g_byte_array_set_size (buffer, want);
  for (;;)
    {
      ssize_t n = read (fd, buffer->data + got, buffer->len - got);

      if (n < 0)
        {
          int e = errno;
          if (e == EINTR)
            continue;
          g_set_error (error_out, MSGFILE_ERROR, MSGFILE_ERROR_UNREADABLE,
                       "could not read \"%s\": %s", path, g_strerror (e));
          if (!is_stdin)
            close (fd);
          return FALSE;
        }
      if (n == 0)
        break;
      got += (gsize) n;
      if (got > max_size)
        {
          g_set_error (error_out, MSGFILE_ERROR, MSGFILE_ERROR_TOO_LARGE,
                       "message \"%s\" exceeds the limit of %" G_GSIZE_FORMAT " bytes",
                       path, max_size);
          if (!is_stdin)
            close (fd);
          if (size_out != NULL)
            *size_out = got;
          return FALSE;
        }
      if (got == buffer->len)
        g_byte_array_set_size (buffer, MIN (buffer->len * 2, max_size + 1));
    }
  if (!is_stdin)
    close (fd);
  g_byte_array_set_size (buffer, got);
  if (size_out != NULL)
    *size_out = got;
  return TRUE;
}

gboolean
msgfile_read (const char *path, gsize max_size, GByteArray *buffer, GError **error_out)
{
  return msgfile_read_file (path, MSGFILE_FOLLOW, max_size, buffer, NULL, error_out);
}

/* The algorithm fetched once per process: EVP_sha256() is looked up in
 * OpenSSL 3's provider store on every digest (a fetch under the store's
 * lock, which parse threads took in turn). */
static gpointer
sha256_fetch (gpointer unused)
{
  return EVP_MD_fetch (NULL, "SHA256", NULL);
}

/* SHA-256 through libcrypto (already loaded by libpq): it uses the CPU's
 * SHA extensions, about ten times GLib's portable GChecksum, which took a
 * fifth of the parse time. */
void
msgfile_sha256 (const guint8 *data, gsize len, char *hex_out)
{
  static const char hex[] = "0123456789abcdef";
  static GOnce once = G_ONCE_INIT;
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  const EVP_MD *sha256 = g_once (&once, sha256_fetch, NULL);

  if (sha256 == NULL || !EVP_Digest (data, len, md, &md_len, sha256, NULL) || md_len != 32)
    {
      g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
      g_checksum_update (sum, data, len);
      memcpy (hex_out, g_checksum_get_string (sum), 64);
      hex_out[64] = '\0';
      return;
    }
  for (unsigned int i = 0; i < 32; i++)
    {
      hex_out[2 * i] = hex[md[i] >> 4];
      hex_out[2 * i + 1] = hex[md[i] & 15];
    }
  hex_out[64] = '\0';
}
