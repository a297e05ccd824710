/* test-msgfile.c - reading message files: regular files only, never
 * through a symbolic link when told so, never waiting on a FIFO, and
 * nothing of a file past the size limit
 *
 * Each case builds its file in a temporary directory.
 */
#include "msgfile.h"

#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
  char *dir;
  char *file;       /* a regular file of 100 bytes */
  char *link;       /* a symbolic link to it */
  char *fifo;
  char *sub;        /* a directory */
} Files;

static void
files_setup (Files *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  char content[100];

  memset (content, 'x', sizeof content);
  f->dir = g_dir_make_tmp ("test-msgfile-XXXXXX", &error);
  g_assert_no_error (error);
  f->file = g_build_filename (f->dir, "message", NULL);
  f->link = g_build_filename (f->dir, "link", NULL);
  f->fifo = g_build_filename (f->dir, "fifo", NULL);
  f->sub = g_build_filename (f->dir, "sub", NULL);
  g_assert_true (g_file_set_contents (f->file, content, sizeof content, &error));
  g_assert_cmpint (symlink (f->file, f->link), ==, 0);
  g_assert_cmpint (mkfifo (f->fifo, 0600), ==, 0);
  g_assert_cmpint (g_mkdir (f->sub, 0700), ==, 0);
}

static void
files_teardown (Files *f, gconstpointer data)
{
  g_unlink (f->file);
  g_unlink (f->link);
  g_unlink (f->fifo);
  g_rmdir (f->sub);
  g_rmdir (f->dir);
  g_free (f->file);
  g_free (f->link);
  g_free (f->fifo);
  g_free (f->sub);
  g_free (f->dir);
}

static void
test_cases (Files *f, gconstpointer data)
{
  struct {
    const char *name;
    const char *path;
    MsgfileFlags flags;
    gsize max_size;
    gint error;             /* -1: read */
    const char *says;       /* in the error message */
    guint64 size;           /* size_out */
  } cases[] = {
    { "regular file", f->file, MSGFILE_NOFOLLOW, 1000, -1, NULL, 100 },
    { "at the limit", f->file, MSGFILE_NOFOLLOW, 100, -1, NULL, 100 },
    /* Refused by its size alone, the size given back for the record. */
    { "past the limit", f->file, MSGFILE_NOFOLLOW, 99, MSGFILE_ERROR_TOO_LARGE, "exceeds", 100 },
    { "link followed", f->link, MSGFILE_FOLLOW, 1000, -1, NULL, 100 },
    { "link not followed", f->link, MSGFILE_NOFOLLOW, 1000, MSGFILE_ERROR_NOT_REGULAR,
      "symbolic link", 0 },
    /* Opened without waiting for a writer, then refused. */
    { "FIFO", f->fifo, MSGFILE_FOLLOW, 1000, MSGFILE_ERROR_NOT_REGULAR, "FIFO", 0 },
    { "directory", f->sub, MSGFILE_FOLLOW, 1000, MSGFILE_ERROR_NOT_REGULAR, "directory", 0 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GByteArray) buffer = g_byte_array_new ();
      g_autoptr(GError) error = NULL;
      guint64 size = 12345;
      gboolean ok = msgfile_read_file (cases[i].path, cases[i].flags, cases[i].max_size,
                                       buffer, &size, &error);

      g_test_message ("case: %s", cases[i].name);
      if (cases[i].error < 0)
        {
          g_assert_no_error (error);
          g_assert_true (ok);
          g_assert_cmpuint (buffer->len, ==, 100);
        }
      else
        {
          g_assert_false (ok);
          g_assert_error (error, MSGFILE_ERROR, cases[i].error);
          g_assert_nonnull (strstr (error->message, cases[i].says));
        }
      g_assert_cmpuint (size, ==, cases[i].size);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/msgfile/read/kinds-of-file", Files, NULL, files_setup, test_cases,
              files_teardown);
  return g_test_run ();
}
