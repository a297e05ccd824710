/* input-walk.c - expanding command-line inputs into message files
 *
 * A depth-first walk with a stack of open directories.  Each frame either
 * holds its sorted entry names (small directories) or streams a GDir (large
 * ones): memory is bounded by depth times INPUT_WALK_SORT_MAX names.
 *
 * The file system is not trusted:
 *  - a symbolic link to a directory found inside the walk is not followed
 *    (a link loop would print every message forty times), and is named once
 *    on standard error; one named on the command line is followed;
 *  - a directory that cannot be read is given back as an input of its own,
 *    so that the caller reports it (an error object, exit status 1) rather
 *    than skipping it in silence;
 *  - files are opened by the caller (msgfile.c), which reads regular files
 *    only and never waits on a FIFO.
 */
#include "input-walk.h"

#include <string.h>
#include <sys/stat.h>

typedef struct {
  char *path;
  gboolean maildir;      /* read only cur/, new/ and .Sub folders */
  GPtrArray *names;      /* sorted names, or NULL when streaming */
  guint index;
  GDir *dir;             /* when streaming */
} Frame;

struct _InputWalk {
  char **paths;
  guint next_arg;
  GPtrArray *stack;      /* Frame* */
};

static void
frame_free (gpointer data)
{
  Frame *f = data;

  g_free (f->path);
  if (f->names)
    g_ptr_array_unref (f->names);
  if (f->dir)
    g_dir_close (f->dir);
  g_free (f);
}

static gboolean
is_dir (const char *path)
{
  struct stat st;
  return stat (path, &st) == 0 && S_ISDIR (st.st_mode);
}

static gboolean
is_maildir (const char *path)
{
  g_autofree char *cur = g_build_filename (path, "cur", NULL);
  g_autofree char *new_ = g_build_filename (path, "new", NULL);

  return is_dir (cur) && is_dir (new_);
}

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* Pushes the directory @path; FALSE when it cannot be read (then nothing
 * is pushed, and the caller hands @path on as an input, whose reading
 * fails with the reason). */
static gboolean
push_dir (InputWalk *walk, const char *path)
{
  Frame *f;
  GDir *dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir == NULL)
    return FALSE;
  f = g_new0 (Frame, 1);
  f->path = g_strdup (path);
  f->maildir = is_maildir (path);
  f->names = g_ptr_array_new_with_free_func (g_free);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_ptr_array_add (f->names, g_strdup (name));
      if (f->names->len > INPUT_WALK_SORT_MAX)
        break;
    }
  if (f->names->len > INPUT_WALK_SORT_MAX)
    f->dir = dir;  /* stream the rest after the names read so far */
  else
    {
      g_dir_close (dir);
      g_ptr_array_sort (f->names, compare_names);
    }
  g_ptr_array_add (walk->stack, f);
  return TRUE;
}

/* What an entry of a walked directory is, without following a link to a
 * directory. */
typedef enum { ENTRY_FILE, ENTRY_DIR, ENTRY_DIR_LINK, ENTRY_GONE } EntryType;

static EntryType
entry_type (const char *path)
{
  struct stat st;

  if (lstat (path, &st) != 0)
    return ENTRY_GONE;
  if (S_ISDIR (st.st_mode))
    return ENTRY_DIR;
  if (S_ISLNK (st.st_mode))
    return is_dir (path) ? ENTRY_DIR_LINK : ENTRY_FILE;
  return ENTRY_FILE;
}

InputWalk *
input_walk_new (char **paths)
{
  InputWalk *walk = g_new0 (InputWalk, 1);

  walk->paths = paths;
  walk->stack = g_ptr_array_new_with_free_func (frame_free);
  return walk;
}

void
input_walk_free (InputWalk *walk)
{
  if (walk == NULL)
    return;
  g_ptr_array_unref (walk->stack);
  g_free (walk);
}

/* Whether entry @name of a frame is to be visited. */
static gboolean
wanted (const Frame *f, const char *name, gboolean dir)
{
  if (f->maildir)
    {
      if (!dir)
        return FALSE;   /* files at a Maildir's top are its own state */
      return strcmp (name, "cur") == 0 || strcmp (name, "new") == 0
             || (name[0] == '.' && strcmp (name, ".") != 0 && strcmp (name, "..") != 0);
    }
  return name[0] != '.';
}

char *
input_walk_next (InputWalk *walk)
{
  for (;;)
    {
      Frame *f;
      const char *name = NULL;
      g_autofree char *path = NULL;

      if (walk->stack->len == 0)
        {
          const char *arg = walk->paths[walk->next_arg];

          if (arg == NULL)
            return NULL;
          walk->next_arg++;
          if (strcmp (arg, "-") != 0 && is_dir (arg) && push_dir (walk, arg))
            continue;
          return g_strdup (arg);
        }

      f = g_ptr_array_index (walk->stack, walk->stack->len - 1);
      if (f->index < f->names->len)
        name = g_ptr_array_index (f->names, f->index++);
      else if (f->dir != NULL)
        name = g_dir_read_name (f->dir);
      if (name == NULL)
        {
          g_ptr_array_remove_index (walk->stack, walk->stack->len - 1);
          continue;
        }
      path = g_build_filename (f->path, name, NULL);
      switch (entry_type (path))
        {
        case ENTRY_GONE:
          continue;
        case ENTRY_DIR_LINK:
          if (wanted (f, name, TRUE))
            g_warning ("not following \"%s\": a symbolic link to a directory", path);
          continue;
        case ENTRY_DIR:
          if (wanted (f, name, TRUE) && !push_dir (walk, path))
            return g_steal_pointer (&path);   /* unreadable: the caller says why */
          continue;
        case ENTRY_FILE:
        default:
          break;
        }
      if (wanted (f, name, FALSE))
        return g_steal_pointer (&path);
    }
}
