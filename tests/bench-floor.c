/* bench-floor.c - the GMime floor of `bounced parse`, for tools/bench-parse
 *
 * What any GMime-based decoder pays at least for a message: read the file,
 * g_mime_parser_construct_message(), walk the MIME tree (multiparts and
 * message/rfc822 parts into their messages), free.  No decoding of parts,
 * no output.  A file starting with an mbox From_ line is read as an mbox
 * (GMime's mbox format), one message per From_ line, as `bounced parse`
 * counts it.  Not installed, not a test: tools/bench-parse runs it beside
 * bounced on the same files.
 *
 * Usage: bench-floor [-j N] [--count] FILE|DIR...
 *   prints the number of messages parsed; with --count, one line per file
 *   ("N<TAB>PATH") and nothing else.
 */
#include <gmime/gmime.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
  GPtrArray *files;
  guint thread;
  guint threads;
  gboolean count;
  guint64 messages;
} Work;

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

static void
collect (GPtrArray *files, const char *path)
{
  struct stat st;

  if (stat (path, &st) != 0)
    {
      fprintf (stderr, "bench-floor: could not stat \"%s\": %s\n", path, g_strerror (errno));
      exit (2);
    }
  if (S_ISDIR (st.st_mode))
    {
      g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
      DIR *dir = opendir (path);
      struct dirent *e;

      if (dir == NULL)
        return;
      while ((e = readdir (dir)) != NULL)
        if (e->d_name[0] != '.')
          g_ptr_array_add (names, g_strdup (e->d_name));
      closedir (dir);
      g_ptr_array_sort (names, compare_names);
      for (guint i = 0; i < names->len; i++)
        {
          g_autofree char *child = g_build_filename (path, g_ptr_array_index (names, i), NULL);
          collect (files, child);
        }
      return;
    }
  g_ptr_array_add (files, g_strdup (path));
}

/* Reads @path into @buffer (its previous contents dropped). */
static gboolean
read_file (const char *path, GByteArray *buffer)
{
  int fd = open (path, O_RDONLY | O_CLOEXEC);
  struct stat st;
  gsize done = 0;

  if (fd < 0 || fstat (fd, &st) != 0)
    {
      if (fd >= 0)
        close (fd);
      return FALSE;
    }
  g_byte_array_set_size (buffer, (guint) st.st_size);
  while (done < (gsize) st.st_size)
    {
      ssize_t n = read (fd, buffer->data + done, (gsize) st.st_size - done);
      if (n <= 0)
        break;
      done += (gsize) n;
    }
  close (fd);
  g_byte_array_set_size (buffer, (guint) done);
  return TRUE;
}

static guint
walk (GMimeObject *object)
{
  guint parts = 1;

  if (GMIME_IS_MULTIPART (object))
    {
      GMimeMultipart *mp = GMIME_MULTIPART (object);
      int n = g_mime_multipart_get_count (mp);

      for (int i = 0; i < n; i++)
        parts += walk (g_mime_multipart_get_part (mp, i));
    }
  else if (GMIME_IS_MESSAGE_PART (object))
    {
      GMimeMessage *inner = g_mime_message_part_get_message (GMIME_MESSAGE_PART (object));

      if (inner != NULL && g_mime_message_get_mime_part (inner) != NULL)
        parts += walk (g_mime_message_get_mime_part (inner));
    }
  return parts;
}

/* Parses the messages of one file; returns how many. */
static guint
parse_file (const char *path, GByteArray *buffer)
{
  GMimeStream *stream;
  GMimeParser *parser;
  gboolean mbox;
  guint n = 0;

  if (!read_file (path, buffer))
    return 0;
  mbox = buffer->len >= 5 && memcmp (buffer->data, "From ", 5) == 0;
  stream = g_mime_stream_mem_new_with_byte_array (buffer);
  g_mime_stream_mem_set_owner (GMIME_STREAM_MEM (stream), FALSE);
  parser = g_mime_parser_new_with_stream (stream);
  g_mime_parser_set_format (parser, mbox ? GMIME_FORMAT_MBOX : GMIME_FORMAT_MESSAGE);
  do
    {
      GMimeMessage *message = g_mime_parser_construct_message (parser, NULL);

      if (message == NULL)
        break;
      if (g_mime_message_get_mime_part (message) != NULL)
        walk (g_mime_message_get_mime_part (message));
      g_object_unref (message);
      n++;
    }
  while (mbox && !g_mime_parser_eos (parser));
  g_object_unref (parser);
  g_object_unref (stream);
  /* A file that is no message at all is still one input. */
  return n > 0 ? n : 1;
}

static gpointer
run (gpointer data)
{
  Work *w = data;
  g_autoptr(GByteArray) buffer = g_byte_array_new ();

  for (guint i = w->thread; i < w->files->len; i += w->threads)
    {
      const char *path = g_ptr_array_index (w->files, i);
      guint n = parse_file (path, buffer);

      if (w->count)
        printf ("%u\t%s\n", n, path);
      w->messages += n;
    }
  return NULL;
}

int
main (int argc, char **argv)
{
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func (g_free);
  guint threads = 1;
  gboolean count = FALSE;
  guint64 total = 0;
  Work *works;
  GThread **ids;
  int i = 1;

  for (; i < argc && argv[i][0] == '-'; i++)
    {
      if (strcmp (argv[i], "-j") == 0 && i + 1 < argc)
        threads = (guint) MAX (1, atoi (argv[++i]));
      else if (strncmp (argv[i], "-j", 2) == 0 && argv[i][2] != '\0')
        threads = (guint) MAX (1, atoi (argv[i] + 2));
      else if (strcmp (argv[i], "--count") == 0)
        count = TRUE;
      else
        {
          fprintf (stderr, "usage: bench-floor [-j N] [--count] FILE|DIR...\n");
          return 2;
        }
    }
  if (i == argc)
    {
      fprintf (stderr, "usage: bench-floor [-j N] [--count] FILE|DIR...\n");
      return 2;
    }
  for (; i < argc; i++)
    collect (files, argv[i]);
  g_mime_init ();
  if (count)
    threads = 1;    /* lines in the files' order */
  works = g_new0 (Work, threads);
  ids = g_new0 (GThread *, threads);
  for (guint t = 0; t < threads; t++)
    {
      works[t] = (Work) { .files = files, .thread = t, .threads = threads, .count = count };
      ids[t] = g_thread_new ("floor", run, &works[t]);
    }
  for (guint t = 0; t < threads; t++)
    {
      g_thread_join (ids[t]);
      total += works[t].messages;
    }
  if (!count)
    printf ("%" G_GUINT64_FORMAT "\n", total);
  g_free (works);
  g_free (ids);
  g_mime_shutdown ();
  return 0;
}
