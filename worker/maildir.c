/* maildir.c - the Maildir protocol of the worker
 *
 * Implements the reader's side of the Maildir format (D. J. Bernstein,
 * "Using maildir format", cr.yp.to/proto/maildir.html) and of Maildir++
 * subfolders (Courier, Dovecot): messages are read from new/ and from the
 * unflagged leftovers of cur/, never from tmp/; file names are never parsed
 * beyond the ":2," info part, whose flags are kept in ASCII order.
 *
 * Life cycle of one message (every arrow is one rename(2), atomic within the
 * Maildir's file system; nothing is ever deleted):
 *
 *                 delivery (tmp/ -> new/, by the MTA)
 *                          |
 *                          v
 *   +------------------> new/NAME            cur/NAME:2,FLAGS  (no S, no T)
 *   |  recover            |                        |
 *   |  (owner dead)       +-------- claim ---------+
 *   |  or release         |   (ENOENT: another worker won; skip)
 *   |                     v
 *   +------------ bounced-claims/ID/{new,cur}/NAME   <-- flock on ID.lock
 *                         |
 *                  read, parse, COPY ... COMMIT
 *                         |
 *            +------------+----------------+--------------------+
 *            | bounce, auto-reply,         | not a bounce       | unparseable
 *            | feedback report             |                    | (+ messages row
 *            v                             v                    v   with the error)
 *   cur/NAME:2,FLAGS+S           .NotBounce/new/NAME      .Failed/new/NAME
 *   (or DONE/cur/NAME:2,...S)    (cur/ if NAME has info)  (cur/ if NAME has info)
 *
 * Invariants:
 *  1. A message is in exactly one place at every instant: its Maildir
 *     directory, one worker's claim directory, or its final folder.  Every
 *     move is a rename() that never replaces an existing file (RENAME_NOREPLACE;
 *     a taken name gets a fresh unique name), so no move can destroy a file.
 *  2. Claim by rename: of several workers renaming the same file, exactly one
 *     succeeds; the others get ENOENT, which means "taken", not an error.
 *  3. A message leaves the claim directory for its final place only after
 *     the database has committed it.  A crash before that leaves it in the
 *     claim directory, and recovery returns it to where it was claimed from;
 *     a crash after COMMIT but before the final rename re-ingests it, which
 *     the content hash in the database makes a no-op.
 *  4. A claim directory ID/ is live exactly while its worker holds flock()
 *     on ID.lock beside it.  The kernel drops the lock when the process dies,
 *     however it dies (SIGKILL included), so no claim is judged stale by its
 *     age or by a process id that may have been reused.  The lock file is
 *     created (O_EXCL) and locked before the directory, and removed after
 *     it: a lock file without a directory is a worker that died before it
 *     claimed anything, and a crash at any point leaves nothing that the
 *     next recovery does not clean up.
 *  5. The directory is streamed (readdir), never listed: memory is flat in
 *     the number of messages.
 *  6. The file system is not trusted.  Every directory inside the Maildir
 *     (new/, cur/, folders, claim directories) is opened from the Maildir's
 *     own descriptor with O_NOFOLLOW and must be a directory of the
 *     Maildir's device and owner (or the worker's): a symbolic link to a
 *     directory elsewhere is refused, with one log line, and nothing is ever
 *     created or moved through one.  Only regular files are claimed; other
 *     entries of new/ and cur/ (links, FIFOs, directories) stay where they
 *     are, each named once in the log.  A claimed name that changed into
 *     something else meanwhile is read O_NOFOLLOW|O_NONBLOCK and refused
 *     (msgfile.c).
 *
 * Deliberate deviation: the brief form of Maildir++ delivery writes into a
 * folder's tmp/ and renames into new/.  Our files are complete before they
 * move, so they are renamed straight into the folder's new/ or cur/: going
 * through tmp/ would open a window in which a committed message sits in a
 * directory that no reader looks at.
 */
#include "maildir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

G_DEFINE_QUARK (maildir-error-quark, maildir_error)

/* The Maildir "info" separator of version 2 (flags follow, in ASCII order). */
#define INFO_SEPARATOR ":2,"
/* Directories the worker creates (folders, claim directories) get the
 * permission bits of the Maildir itself, whatever the umask, so that a
 * mail server or a human of the Maildir's group sees .NotBounce as it sees
 * the Maildir; files it creates get them without the execute bits. */
#define DIR_MODE_BITS 07777
#define FILE_MODE_OF(dir_mode) ((dir_mode) & 0666)
/* A worker's lock file is MAILDIR_CLAIM_DIR/ID.lock, its claims are in
 * MAILDIR_CLAIM_DIR/ID/. */
#define LOCK_SUFFIX ".lock"

typedef enum { SUB_NEW, SUB_CUR, N_SUBS } Sub;
static const char *const sub_names[N_SUBS] = { "new", "cur" };

typedef struct {
  int fd[N_SUBS];   /* the folder's new/ and cur/, or -1 */
} Folder;

struct _Maildir {
  char *path;
  mode_t dir_mode;          /* permission bits of the Maildir, for what we create */
  char *done_folder, *other_folder, *failed_folder;
  gboolean include_cur;

  DIR *dir[N_SUBS];         /* the Maildir's new/ and cur/ (streamed) */
  int claims_fd;            /* MAILDIR_CLAIM_DIR */
  char *id;                 /* this worker's claim directory name */
  char *lock_name;          /* ID.lock, beside the claim directory */
  int lock_fd;              /* ID.lock, flock()ed while we live */
  int claim_fd[N_SUBS];     /* ID/new, ID/cur */
  Folder done, other, failed;

  int pass;                 /* the Sub being read, N_SUBS when the pass is over */
  guint unique_counter;

  /* The file system is not trusted (invariant 6). */
  dev_t dev;                /* the Maildir's device and owner */
  uid_t uid;
  const char *refusal;      /* why open_dir() refused the last directory */
  GHashTable *reported;     /* what was skipped and logged once */
};

/* Entries logged as skipped, at most; past that, one line says so. */
#define MAILDIR_REPORTED_MAX 10000

void
maildir_settings_init (MaildirSettings *settings)
{
  settings->done_folder = NULL;
  settings->other_folder = MAILDIR_DEFAULT_OTHER_FOLDER;
  settings->failed_folder = MAILDIR_DEFAULT_FAILED_FOLDER;
  settings->include_cur = TRUE;
}

static gboolean
set_io_error (GError **error_out, int e, const char *what, const char *path)
{
  g_set_error (error_out, MAILDIR_ERROR, MAILDIR_ERROR_IO, "could not %s \"%s\": %s",
               what, path, g_strerror (e));
  return FALSE;
}

/* The flags of a name's info part ("" when it has none), or NULL. */
static const char *
name_flags (const char *name)
{
  const char *info = strstr (name, INFO_SEPARATOR);

  return info ? info + strlen (INFO_SEPARATOR) : NULL;
}

static gboolean
name_has_flag (const char *name, char flag)
{
  const char *flags = name_flags (name);

  return flags != NULL && strchr (flags, flag) != NULL;
}

/* NAME with the S flag added to its info part, flags kept in ASCII order as
 * the Maildir specification asks.  Returns: (transfer full). */
static char *
name_with_seen (const char *name)
{
  const char *flags = name_flags (name);
  GString *out;

  if (flags == NULL)
    return g_strconcat (name, INFO_SEPARATOR "S", NULL);
  if (strchr (flags, 'S') != NULL)
    return g_strdup (name);
  out = g_string_new_len (name, flags - name);
  for (; *flags != '\0' && *flags < 'S'; flags++)
    g_string_append_c (out, *flags);
  g_string_append_c (out, 'S');
  g_string_append (out, flags);
  return g_string_free (out, FALSE);
}

/* A fresh unique name in the form the Maildir specification recommends
 * (seconds.MmicrosecondsPpidQcounter.host), keeping @name's info part. */
static char *
name_unique (Maildir *md, const char *name)
{
  const char *info = strstr (name, INFO_SEPARATOR);
  struct timeval tv;
  char host[256];

  gettimeofday (&tv, NULL);
  if (gethostname (host, sizeof host) != 0)
    g_strlcpy (host, "localhost", sizeof host);
  host[sizeof host - 1] = '\0';
  /* '/' and ':' may not appear in the host part (the specification's
   * escapes are \057 and \072); replace them. */
  for (char *p = host; *p; p++)
    if (*p == '/' || *p == ':')
      *p = '_';
  return g_strdup_printf ("%lld.M%ldP%dQ%u.%s%s", (long long) tv.tv_sec, (long) tv.tv_usec,
                          (int) getpid (), ++md->unique_counter, host, info ? info : "");
}

/* rename() that never replaces an existing file: EEXIST instead. */
static int
rename_noreplace (int from_fd, const char *from, int to_fd, const char *to)
{
  if (renameat2 (from_fd, from, to_fd, to, RENAME_NOREPLACE) == 0)
    return 0;
  if (errno != EINVAL && errno != ENOSYS)
    return -1;
  /* A file system without RENAME_NOREPLACE: link() refuses to replace too. */
  if (linkat (from_fd, from, to_fd, to, 0) == 0)
    {
      unlinkat (from_fd, from, 0);
      return 0;
    }
  return -1;
}

/* Moves @from (in @from_fd) to @to_fd under @to, or under a fresh unique
 * name if @to is taken.  Returns 0, or -1 with errno set (ENOENT: @from is
 * gone). */
static int
move_keeping_all_to (Maildir *md, int from_fd, const char *from, int to_fd, const char *to,
                     char **name_out)
{
  for (int attempt = 0; attempt < 8; attempt++)
    {
      g_autofree char *fresh = NULL;

      if (attempt > 0)
        to = fresh = name_unique (md, to);
      if (rename_noreplace (from_fd, from, to_fd, to) == 0)
        {
          if (name_out != NULL)
            *name_out = g_strdup (to);
          return 0;
        }
      if (errno != EEXIST)
        return -1;
    }
  errno = EEXIST;
  return -1;
}

static int
move_keeping_all (Maildir *md, int from_fd, const char *from, int to_fd, const char *to)
{
  return move_keeping_all_to (md, from_fd, from, to_fd, to, NULL);
}

/* Opens the directory @name of @at_fd, a part of the Maildir (invariant 6):
 * never through a symbolic link (O_NOFOLLOW), and only a directory of the
 * Maildir's own device and owner (or the worker's, for what it created).
 * Returns the descriptor, or -1 with errno set and, when the directory was
 * refused rather than missing, md->refusal saying why. */
static int
open_dir (Maildir *md, int at_fd, const char *name)
{
  int fd = openat (at_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  struct stat st;

  md->refusal = NULL;
  if (fd < 0)
    {
      int e = errno;
      struct stat lst;

      if (e == ELOOP || (e == ENOTDIR && fstatat (at_fd, name, &lst, AT_SYMLINK_NOFOLLOW) == 0
                         && S_ISLNK (lst.st_mode)))
        md->refusal = "it is a symbolic link, which is not followed";
      else if (e == ENOTDIR)
        md->refusal = "it is not a directory";
      errno = e;
      return -1;
    }
  if (fstat (fd, &st) != 0)
    md->refusal = "it could not be examined";
  else if (st.st_dev != md->dev)
    md->refusal = "it is on another file system than the Maildir";
  else if (st.st_uid != md->uid && st.st_uid != geteuid ())
    md->refusal = "it belongs to another user than the Maildir";
  if (md->refusal != NULL)
    {
      close (fd);
      errno = EPERM;
      return -1;
    }
  return fd;
}

/* Like set_io_error(), saying why open_dir() refused a directory. */
static gboolean
set_dir_error (const Maildir *md, GError **error_out, int e, const char *what,
               const char *path)
{
  if (md->refusal == NULL)
    return set_io_error (error_out, e, what, path);
  g_set_error (error_out, MAILDIR_ERROR, MAILDIR_ERROR_UNSAFE, "could not %s \"%s\": %s",
               what, path, md->refusal);
  return FALSE;
}

/* Logs @line once per Maildir and @key (what is skipped stays where it is
 * and would be seen again on every pass). */
static void
report_once (Maildir *md, const char *key, const char *line)
{
  if (md->reported == NULL)
    md->reported = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  if (g_hash_table_contains (md->reported, key))
    return;
  if (g_hash_table_size (md->reported) == MAILDIR_REPORTED_MAX)
    {
      g_warning ("more entries skipped in \"%s\"; not logging them one by one", md->path);
      g_hash_table_add (md->reported, g_strdup (key));
      return;
    }
  if (g_hash_table_size (md->reported) > MAILDIR_REPORTED_MAX)
    return;
  g_hash_table_add (md->reported, g_strdup (key));
  g_warning ("%s", line);
}

/* Creates the directory @name of @at_fd with @mode exactly (the umask
 * would take bits away), unless it exists; returns 0 or -1 with errno. */
static int
mkdir_mode (int at_fd, const char *name, mode_t mode)
{
  int fd;

  if (mkdirat (at_fd, name, mode) != 0)
    return errno == EEXIST ? 0 : -1;
  fd = openat (at_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd >= 0)
    {
      if (fchmod (fd, mode) != 0)
        g_debug ("could not set the mode of \"%s\": %s", name, g_strerror (errno));
      close (fd);
    }
  return 0;
}

static int
mkdir_open (Maildir *md, int at_fd, const char *name)
{
  md->refusal = NULL;
  if (mkdir_mode (at_fd, name, md->dir_mode) != 0)
    return -1;
  return open_dir (md, at_fd, name);
}

static gboolean
folder_name_valid (const char *name)
{
  return name[0] == '.' && name[1] != '\0' && strchr (name, '/') == NULL
         && strcmp (name, "..") != 0;
}

/* Opens (creating it if needed) the Maildir++ folder @name of @root_fd. */
static gboolean
folder_open (Maildir *md, int root_fd, const char *name, Folder *folder, GError **error_out)
{
  g_autofree char *where = g_build_filename (md->path, name, NULL);
  int fd;

  if (!folder_name_valid (name))
    {
      g_set_error (error_out, MAILDIR_ERROR, MAILDIR_ERROR_NOT_MAILDIR,
                   "invalid folder name \"%s\": a Maildir++ folder starts with a dot "
                   "and contains no slash", name);
      return FALSE;
    }
  fd = mkdir_open (md, root_fd, name);
  if (fd < 0)
    return set_dir_error (md, error_out, errno, "open folder", where);
  for (int s = 0; s < N_SUBS; s++)
    if ((folder->fd[s] = mkdir_open (md, fd, sub_names[s])) < 0)
      {
        int e = errno;
        g_autofree char *part = g_build_filename (where, sub_names[s], NULL);
        close (fd);
        return set_dir_error (md, error_out, e, "open folder", part);
      }
  if (mkdir_mode (fd, "tmp", md->dir_mode) != 0)
    {
      int e = errno;
      close (fd);
      return set_io_error (error_out, e, "create folder", where);
    }
  /* The marker file by which Courier and Dovecot know a Maildir++ folder. */
  {
    int marker = openat (fd, "maildirfolder", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
                         FILE_MODE_OF (md->dir_mode));
    if (marker >= 0)
      {
        if (fchmod (marker, FILE_MODE_OF (md->dir_mode)) != 0)
          g_debug ("could not set the mode of \"%s/maildirfolder\": %s", where,
                   g_strerror (errno));
        close (marker);
      }
  }
  close (fd);
  return TRUE;
}

static void
folder_close (Folder *folder)
{
  for (int s = 0; s < N_SUBS; s++)
    if (folder->fd[s] >= 0)
      {
        close (folder->fd[s]);
        folder->fd[s] = -1;
      }
}

/* Returns every file of the claim directory @id_fd to the Maildir's new/
 * and cur/; counts them into @returned.  A file already gone was taken by
 * another recoverer. */
static gboolean
claims_return (Maildir *md, int id_fd, const char *id, int *returned, GError **error_out)
{
  for (int s = 0; s < N_SUBS; s++)
    {
      int fd = open_dir (md, id_fd, sub_names[s]);
      DIR *dir;
      struct dirent *entry;

      if (fd < 0)
        {
          if (errno == ENOENT)
            continue;
          if (md->refusal != NULL)
            {
              /* A forged claim (NAME/new a link to a directory elsewhere):
               * nothing of it is taken in; it is left for a human. */
              g_autofree char *key = g_strdup_printf ("claim %s/%s", id, sub_names[s]);
              g_autofree char *line = g_strdup_printf (
                "not recovering \"%s/%s/%s/%s\": %s", md->path, MAILDIR_CLAIM_DIR, id,
                sub_names[s], md->refusal);
              report_once (md, key, line);
              return TRUE;
            }
          return set_io_error (error_out, errno, "open claim directory", id);
        }
      dir = fdopendir (fd);
      if (dir == NULL)
        {
          close (fd);
          return set_io_error (error_out, errno, "open claim directory", id);
        }
      while ((entry = readdir (dir)) != NULL)
        {
          if (entry->d_name[0] == '.')
            continue;
          if (move_keeping_all (md, fd, entry->d_name, dirfd (md->dir[s]), entry->d_name) == 0)
            (*returned)++;
          else if (errno != ENOENT)
            {
              int e = errno;
              closedir (dir);
              return set_io_error (error_out, e, "return claimed message", entry->d_name);
            }
        }
      closedir (dir);
      unlinkat (id_fd, sub_names[s], AT_REMOVEDIR);
    }
  return TRUE;
}

/* Whether @fd is still the file @name of @dir_fd (not unlinked or
 * replaced since it was opened). */
static gboolean
same_file (int fd, int dir_fd, const char *name)
{
  struct stat a, b;

  return fstat (fd, &a) == 0 && fstatat (dir_fd, name, &b, AT_SYMLINK_NOFOLLOW) == 0
         && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* Recovers the claims of the worker whose lock file is @lock_name
 * ("ID.lock"), if that worker is dead. */
static gboolean
recover_one (Maildir *md, const char *lock_name, int *returned, GError **error_out)
{
  g_autofree char *id = g_strndup (lock_name, strlen (lock_name) - strlen (LOCK_SUFFIX));
  int lock_fd = openat (md->claims_fd, lock_name, O_RDWR | O_CLOEXEC);
  int id_fd;
  gboolean ok = TRUE;

  if (lock_fd < 0)
    return TRUE;   /* removed by another recoverer meanwhile */
  /* EWOULDBLOCK: alive.  A lock file unlinked since we opened it was
   * recovered by someone else. */
  if (flock (lock_fd, LOCK_EX | LOCK_NB) != 0 || !same_file (lock_fd, md->claims_fd, lock_name))
    {
      close (lock_fd);
      return TRUE;
    }
  id_fd = open_dir (md, md->claims_fd, id);
  if (id_fd < 0 && md->refusal != NULL)
    {
      g_autofree char *key = g_strdup_printf ("claim %s", id);
      g_autofree char *line = g_strdup_printf ("not recovering \"%s/%s/%s\": %s", md->path,
                                               MAILDIR_CLAIM_DIR, id, md->refusal);

      report_once (md, key, line);
      close (lock_fd);
      return TRUE;
    }
  if (id_fd >= 0)
    {
      ok = claims_return (md, id_fd, id, returned, error_out);
      close (id_fd);
    }
  /* The directory goes first, the lock file last (invariant 4): a lock
   * file without a directory is a worker that died before claiming. */
  if (ok && (unlinkat (md->claims_fd, id, AT_REMOVEDIR) == 0 || errno == ENOENT))
    unlinkat (md->claims_fd, lock_name, 0);
  close (lock_fd);
  return ok;
}

int
maildir_recover (Maildir *md, GError **error_out)
{
  int fd = dup (md->claims_fd);
  DIR *dir = fd >= 0 ? fdopendir (fd) : NULL;
  struct dirent *entry;
  int returned = 0;
  gboolean ok = TRUE;

  g_return_val_if_fail (md != NULL, -1);
  if (dir == NULL)
    {
      int e = errno;
      if (fd >= 0)
        close (fd);
      set_io_error (error_out, e, "read", MAILDIR_CLAIM_DIR);
      return -1;
    }
  rewinddir (dir);
  while (ok && (entry = readdir (dir)) != NULL)
    {
      if (entry->d_name[0] == '.' || !g_str_has_suffix (entry->d_name, LOCK_SUFFIX)
          || strcmp (entry->d_name, md->lock_name) == 0)
        continue;
      ok = recover_one (md, entry->d_name, &returned, error_out);
    }
  closedir (dir);
  if (returned > 0)
    g_message ("returned %d message%s claimed by stopped workers in \"%s\"", returned,
               returned == 1 ? "" : "s", md->path);
  return ok ? returned : -1;
}

/* Creates and locks this worker's lock file, then its claim directory.
 * The lock file is created exclusively and checked after locking, so that
 * a recoverer that removed it in between (taking it for a dead worker's)
 * cannot leave us holding a lock on a file nobody else can see. */
static gboolean
claims_setup (Maildir *md, int root_fd, GError **error_out)
{
  g_autofree char *where = g_build_filename (md->path, MAILDIR_CLAIM_DIR, NULL);
  char host[256];
  int id_fd;

  md->claims_fd = mkdir_open (md, root_fd, MAILDIR_CLAIM_DIR);
  if (md->claims_fd < 0)
    return set_dir_error (md, error_out, errno, "open", where);

  if (gethostname (host, sizeof host) != 0)
    g_strlcpy (host, "localhost", sizeof host);
  host[sizeof host - 1] = '\0';
  for (char *p = host; *p; p++)
    if (*p == '/')
      *p = '_';
  for (int attempt = 0; md->lock_fd < 0; attempt++)
    {
      g_free (md->id);
      g_free (md->lock_name);
      md->id = g_strdup_printf ("%s.%d.%08x", host, (int) getpid (), g_random_int ());
      md->lock_name = g_strconcat (md->id, LOCK_SUFFIX, NULL);
      md->lock_fd = openat (md->claims_fd, md->lock_name,
                            O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
      if (md->lock_fd < 0)
        {
          if (errno == EEXIST && attempt < 8)
            continue;
          return set_io_error (error_out, errno, "create lock file in", where);
        }
      if (flock (md->lock_fd, LOCK_EX | LOCK_NB) != 0
          || !same_file (md->lock_fd, md->claims_fd, md->lock_name))
        {
          close (md->lock_fd);
          md->lock_fd = -1;
          if (attempt < 8)
            continue;
          return set_io_error (error_out, EAGAIN, "lock claim directory in", where);
        }
    }
  if (mkdirat (md->claims_fd, md->id, md->dir_mode) != 0)
    return set_io_error (error_out, errno, "create claim directory in", where);
  id_fd = open_dir (md, md->claims_fd, md->id);
  if (id_fd < 0)
    return set_dir_error (md, error_out, errno, "open claim directory in", where);
  if (fchmod (id_fd, md->dir_mode) != 0)
    g_debug ("could not set the mode of \"%s/%s\": %s", where, md->id, g_strerror (errno));
  for (int s = 0; s < N_SUBS; s++)
    if ((md->claim_fd[s] = mkdir_open (md, id_fd, sub_names[s])) < 0)
      {
        int e = errno;
        close (id_fd);
        return set_io_error (error_out, e, "create claim directory in", where);
      }
  close (id_fd);
  return TRUE;
}

Maildir *
maildir_open (const char *path, const MaildirSettings *settings, GError **error_out)
{
  g_autoptr(Maildir) md = g_new0 (Maildir, 1);
  MaildirSettings defaults;
  int root_fd;

  g_return_val_if_fail (path != NULL, NULL);
  if (settings == NULL)
    {
      maildir_settings_init (&defaults);
      settings = &defaults;
    }
  md->path = g_strdup (path);
  md->done_folder = g_strdup (settings->done_folder);
  md->other_folder = g_strdup (settings->other_folder ? settings->other_folder
                                                      : MAILDIR_DEFAULT_OTHER_FOLDER);
  md->failed_folder = g_strdup (settings->failed_folder ? settings->failed_folder
                                                        : MAILDIR_DEFAULT_FAILED_FOLDER);
  md->include_cur = settings->include_cur;
  md->claims_fd = md->lock_fd = -1;
  for (int s = 0; s < N_SUBS; s++)
    md->claim_fd[s] = md->done.fd[s] = md->other.fd[s] = md->failed.fd[s] = -1;
  md->pass = 0;

  /* The Maildir itself is the path the administrator named (a symbolic
   * link there is theirs); everything inside it is opened from its
   * descriptor and checked against its device and owner. */
  root_fd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (root_fd < 0)
    {
      set_io_error (error_out, errno, "open Maildir", path);
      return NULL;
    }
  {
    struct stat st;

    if (fstat (root_fd, &st) != 0)
      {
        set_io_error (error_out, errno, "open Maildir", path);
        close (root_fd);
        return NULL;
      }
    md->dir_mode = st.st_mode & DIR_MODE_BITS;
    md->dev = st.st_dev;
    md->uid = st.st_uid;
  }
  for (int s = 0; s < N_SUBS; s++)
    {
      int fd = open_dir (md, root_fd, sub_names[s]);

      if (fd < 0 || (md->dir[s] = fdopendir (fd)) == NULL)
        {
          int e = errno;

          if (fd >= 0)
            close (fd);
          g_set_error (error_out, MAILDIR_ERROR,
                       md->refusal ? MAILDIR_ERROR_UNSAFE : MAILDIR_ERROR_NOT_MAILDIR,
                       "\"%s\" is not a Maildir: could not open %s/: %s", path,
                       sub_names[s], md->refusal ? md->refusal : g_strerror (e));
          close (root_fd);
          return NULL;
        }
    }
  {
    struct stat st;

    if (fstatat (root_fd, "tmp", &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR (st.st_mode))
      {
        g_set_error (error_out, MAILDIR_ERROR, MAILDIR_ERROR_UNSAFE,
                     "\"%s\" is not a Maildir: its tmp/ is not a directory%s", path,
                     S_ISLNK (st.st_mode) ? " but a symbolic link" : "");
        close (root_fd);
        return NULL;
      }
  }
  if (faccessat (root_fd, "tmp", F_OK, AT_SYMLINK_NOFOLLOW) != 0)
    {
      g_set_error (error_out, MAILDIR_ERROR, MAILDIR_ERROR_NOT_MAILDIR,
                   "\"%s\" is not a Maildir: it has no tmp/", path);
      close (root_fd);
      return NULL;
    }
  if ((md->done_folder != NULL
       && !folder_open (md, root_fd, md->done_folder, &md->done, error_out))
      || !folder_open (md, root_fd, md->other_folder, &md->other, error_out)
      || !folder_open (md, root_fd, md->failed_folder, &md->failed, error_out)
      || !claims_setup (md, root_fd, error_out))
    {
      close (root_fd);
      return NULL;
    }
  close (root_fd);
  if (maildir_recover (md, error_out) < 0)
    return NULL;
  return g_steal_pointer (&md);
}

const char *
maildir_get_path (const Maildir *md)
{
  return md->path;
}

void
maildir_rewind (Maildir *md)
{
  g_return_if_fail (md != NULL);
  md->pass = 0;
  rewinddir (md->dir[SUB_NEW]);
}

/* Whether the entry is a message this pass should claim. */
static gboolean
entry_wanted (Maildir *md, Sub sub, const struct dirent *entry)
{
  struct stat st;

  if (entry->d_name[0] == '.')
    return FALSE;
  /* Seen or trashed mail in cur/ belongs to a human or to an earlier run. */
  if (sub == SUB_CUR && (name_has_flag (entry->d_name, 'S') || name_has_flag (entry->d_name, 'T')))
    return FALSE;
  if (entry->d_type == DT_REG)
    return TRUE;
  if (entry->d_type == DT_UNKNOWN)
    {
      if (fstatat (dirfd (md->dir[sub]), entry->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
        return FALSE;   /* gone meanwhile */
      if (S_ISREG (st.st_mode))
        return TRUE;
    }
  /* Invariant 6: only regular files are messages.  What else is there
   * stays where it is, named once in the log. */
  {
    const char *what;
    g_autofree char *key = g_strdup_printf ("%s/%s", sub_names[sub], entry->d_name);
    g_autofree char *line = NULL;

    switch (entry->d_type)
      {
      case DT_LNK: what = "a symbolic link"; break;
      case DT_DIR: what = "a directory"; break;
      case DT_FIFO: what = "a FIFO"; break;
      case DT_SOCK: what = "a socket"; break;
      case DT_CHR: case DT_BLK: what = "a device"; break;
      default:
        what = S_ISLNK (st.st_mode) ? "a symbolic link" : S_ISDIR (st.st_mode) ? "a directory"
               : S_ISFIFO (st.st_mode) ? "a FIFO" : "not a regular file";
      }
    line = g_strdup_printf ("skipping \"%s/%s/%s\": it is %s; only regular files are "
                            "messages", md->path, sub_names[sub], entry->d_name, what);
    report_once (md, key, line);
  }
  return FALSE;
}

MaildirClaim *
maildir_claim_next (Maildir *md, GError **error_out)
{
  g_return_val_if_fail (md != NULL, NULL);

  while (md->pass < N_SUBS)
    {
      Sub sub = (Sub) md->pass;
      struct dirent *entry;

      errno = 0;
      entry = readdir (md->dir[sub]);
      if (entry == NULL)
        {
          if (errno != 0)
            {
              set_io_error (error_out, errno, "read directory", sub_names[sub]);
              return NULL;
            }
          md->pass++;
          if (md->pass == SUB_CUR && !md->include_cur)
            md->pass++;
          if (md->pass < N_SUBS)
            rewinddir (md->dir[md->pass]);
          continue;
        }
      if (!entry_wanted (md, sub, entry))
        continue;
      if (rename_noreplace (dirfd (md->dir[sub]), entry->d_name,
                            md->claim_fd[sub], entry->d_name) != 0)
        {
          g_autofree char *where = NULL;
          int e = errno;

          if (e == ENOENT)
            continue;   /* another worker claimed it first (invariant 2) */
          where = g_build_filename (md->path, sub_names[sub], entry->d_name, NULL);
          set_io_error (error_out, e, "claim", where);
          return NULL;
        }
      {
        MaildirClaim *claim = g_new0 (MaildirClaim, 1);
        struct stat st;

        /* The file's time stands in only for a name that gives none: a
         * stat per message is not paid for nothing. */
        claim->name_time = maildir_name_time (entry->d_name);
        if (claim->name_time == 0
            && fstatat (md->claim_fd[sub], entry->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0)
          claim->mtime = st.st_mtime;
        claim->name = g_strdup (entry->d_name);
        claim->from_cur = sub == SUB_CUR;
        claim->source = g_build_filename (md->path, sub_names[sub], entry->d_name, NULL);
        claim->path = g_build_filename (md->path, MAILDIR_CLAIM_DIR, md->id, sub_names[sub],
                                        entry->d_name, NULL);
        return claim;
      }
    }
  return NULL;
}

gint64
maildir_name_time (const char *name)
{
  gint64 t = 0;
  const char *p = name;

  g_return_val_if_fail (name != NULL, 0);
  for (; g_ascii_isdigit (*p) && p - name < 12; p++)
    t = t * 10 + (*p - '0');
  /* 631152000 is 1990-01-01, 4102444800 2100-01-01 (UTC). */
  if (p == name || *p != '.' || t < 631152000 || t >= G_GINT64_CONSTANT (4102444800))
    return 0;
  return t;
}

gboolean
maildir_acknowledge (Maildir *md, const MaildirClaim *claim, MaildirDest dest,
                     GError **error_out)
{
  return maildir_acknowledge_to (md, claim, dest, NULL, error_out);
}

/* Where @claim goes for @dest: the directory (@to_fd_out), the name it is
 * to take (@to_name_out, transfer full; NULL when the name with its flags
 * is too long and a fresh one must be made, which @planned_only refuses to
 * do) and, for its path, the folder (NULL: the Maildir itself) and the
 * part (cur or new). */
static gboolean
destination (Maildir *md, const MaildirClaim *claim, MaildirDest dest, gboolean planned_only,
             int *to_fd_out, char **to_name_out, const char **folder_out, const char **sub_out)
{
  char *to_name = NULL;

  *folder_out = NULL;
  *sub_out = "cur";
  switch (dest)
    {
    case MAILDIR_DEST_DONE:
      to_name = name_with_seen (claim->name);
      *to_fd_out = md->done_folder != NULL ? md->done.fd[SUB_CUR] : dirfd (md->dir[SUB_CUR]);
      *folder_out = md->done_folder;
      /* A name of up to 255 bytes (NAME_MAX) may not take ":2,S" more: it
       * gets a fresh short name, else the rename fails, the message goes
       * back to new/ and is ingested again on every pass. */
      if (strlen (to_name) > NAME_MAX)
        {
          char *fresh;

          if (planned_only)
            {
              g_free (to_name);
              return FALSE;
            }
          fresh = name_unique (md, to_name);
          if (strlen (fresh) > NAME_MAX)
            {
              g_free (fresh);
              fresh = name_unique (md, INFO_SEPARATOR "S");
            }
          g_message ("acknowledging \"%s\" as \"%s\": with its flags the name is longer "
                     "than %d bytes", claim->source, fresh, NAME_MAX);
          g_free (to_name);
          to_name = fresh;
        }
      break;
    case MAILDIR_DEST_OTHER:
    case MAILDIR_DEST_FAILED:
      {
        const Folder *folder = dest == MAILDIR_DEST_OTHER ? &md->other : &md->failed;

        /* Unread, so that a human sees it; a name with an info part belongs
         * in cur/ (the specification keeps new/ for names without one). */
        to_name = g_strdup (claim->name);
        *to_fd_out = folder->fd[name_flags (claim->name) != NULL ? SUB_CUR : SUB_NEW];
        *folder_out = dest == MAILDIR_DEST_OTHER ? md->other_folder : md->failed_folder;
        *sub_out = name_flags (claim->name) != NULL ? "cur" : "new";
      }
      break;
    default:
      g_return_val_if_reached (FALSE);
    }
  *to_name_out = to_name;
  return TRUE;
}

static char *
destination_path (const Maildir *md, const char *folder, const char *sub, const char *name)
{
  return folder != NULL ? g_build_filename (md->path, folder, sub, name, NULL)
                        : g_build_filename (md->path, sub, name, NULL);
}

char *
maildir_planned_path (Maildir *md, const MaildirClaim *claim, MaildirDest dest)
{
  g_autofree char *to_name = NULL;
  const char *folder, *sub;
  int to_fd;

  g_return_val_if_fail (md != NULL && claim != NULL, NULL);
  if (!destination (md, claim, dest, TRUE, &to_fd, &to_name, &folder, &sub))
    return NULL;
  return destination_path (md, folder, sub, to_name);
}

gboolean
maildir_acknowledge_to (Maildir *md, const MaildirClaim *claim, MaildirDest dest,
                        char **final_path_out, GError **error_out)
{
  const char *folder_name, *sub_name;
  int from_fd;
  g_autofree char *to_name = NULL;
  g_autofree char *final_name = NULL;
  int to_fd;

  g_return_val_if_fail (md != NULL && claim != NULL, FALSE);
  from_fd = md->claim_fd[claim->from_cur ? SUB_CUR : SUB_NEW];
  if (!destination (md, claim, dest, FALSE, &to_fd, &to_name, &folder_name, &sub_name))
    return FALSE;
  if (move_keeping_all_to (md, from_fd, claim->name, to_fd, to_name, &final_name) != 0)
    return set_io_error (error_out, errno, "acknowledge", claim->source);
  if (final_path_out != NULL)
    *final_path_out = destination_path (md, folder_name, sub_name, final_name);
  return TRUE;
}

gboolean
maildir_release (Maildir *md, const MaildirClaim *claim, GError **error_out)
{
  Sub sub;

  g_return_val_if_fail (md != NULL && claim != NULL, FALSE);
  sub = claim->from_cur ? SUB_CUR : SUB_NEW;
  if (move_keeping_all (md, md->claim_fd[sub], claim->name, dirfd (md->dir[sub]),
                        claim->name) != 0)
    return set_io_error (error_out, errno, "release", claim->source);
  return TRUE;
}

void
maildir_claim_free (MaildirClaim *claim)
{
  if (claim == NULL)
    return;
  g_free (claim->path);
  g_free (claim->source);
  g_free (claim->name);
  g_free (claim);
}

void
maildir_close (Maildir *md)
{
  if (md == NULL)
    return;
  if (md->lock_fd >= 0 && md->claims_fd >= 0)
    {
      int id_fd = open_dir (md, md->claims_fd, md->id);
      int returned = 0;
      g_autoptr(GError) error = NULL;

      for (int s = 0; s < N_SUBS; s++)
        if (md->claim_fd[s] >= 0)
          close (md->claim_fd[s]);
      if (id_fd >= 0)
        {
          if (!claims_return (md, id_fd, md->id, &returned, &error))
            g_warning ("%s", error->message);
          close (id_fd);
        }
      /* Directory first, lock file last, as in recover_one(). */
      if (unlinkat (md->claims_fd, md->id, AT_REMOVEDIR) == 0 || errno == ENOENT)
        unlinkat (md->claims_fd, md->lock_name, 0);
    }
  else
    for (int s = 0; s < N_SUBS; s++)
      if (md->claim_fd[s] >= 0)
        close (md->claim_fd[s]);
  if (md->lock_fd >= 0)
    close (md->lock_fd);
  if (md->claims_fd >= 0)
    close (md->claims_fd);
  for (int s = 0; s < N_SUBS; s++)
    if (md->dir[s] != NULL)
      closedir (md->dir[s]);
  folder_close (&md->done);
  folder_close (&md->other);
  folder_close (&md->failed);
  g_free (md->path);
  g_free (md->done_folder);
  g_free (md->other_folder);
  g_free (md->failed_folder);
  g_free (md->id);
  g_free (md->lock_name);
  g_clear_pointer (&md->reported, g_hash_table_unref);
  g_free (md);
}

/* ---- status: the last batch, and a read-only look ------------------------ */

gboolean
maildir_record_batch (Maildir *md, guint messages, gint64 when, GError **error_out)
{
  g_autofree char *text = NULL;
  g_autofree char *tmp_name = g_strdup_printf ("%s.%s", MAILDIR_LAST_BATCH_FILE, md->id);
  g_autofree char *tmp = g_build_filename (md->path, tmp_name, NULL);
  g_autofree char *where = g_build_filename (md->path, MAILDIR_LAST_BATCH_FILE, NULL);
  int fd;
  gsize len;
  gboolean ok;

  g_return_val_if_fail (md != NULL, FALSE);
  /* One line: time, messages, the worker (host.pid.random). */
  text = g_strdup_printf ("%" G_GINT64_FORMAT " %u %s\n", when, messages, md->id);
  len = strlen (text);
  fd = open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
               FILE_MODE_OF (md->dir_mode));
  if (fd < 0)
    return set_io_error (error_out, errno, "record the last batch in", where);
  ok = write (fd, text, len) == (ssize_t) len;
  if (close (fd) != 0)
    ok = FALSE;
  if (!ok || rename (tmp, where) != 0)
    {
      int e = errno;

      unlink (tmp);
      return set_io_error (error_out, e, "record the last batch in", where);
    }
  return TRUE;
}

/* Files of @dir_fd/@name that a pass would claim (see entry_wanted()). */
static gboolean
count_messages (int dir_fd, const char *name, gboolean unflagged_only, guint64 *count,
                GError **error_out, const char *where)
{
  int fd = openat (dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  DIR *dir;
  struct dirent *entry;

  if (fd < 0)
    {
      if (errno == ENOENT)
        return TRUE;
      return set_io_error (error_out, errno, "read", where);
    }
  dir = fdopendir (fd);
  if (dir == NULL)
    {
      int e = errno;
      close (fd);
      return set_io_error (error_out, e, "read", where);
    }
  while ((entry = readdir (dir)) != NULL)
    {
      struct stat st;

      if (entry->d_name[0] == '.')
        continue;
      if (unflagged_only && (name_has_flag (entry->d_name, 'S') || name_has_flag (entry->d_name, 'T')))
        continue;
      if (entry->d_type == DT_REG
          || (entry->d_type == DT_UNKNOWN
              && fstatat (fd, entry->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0
              && S_ISREG (st.st_mode)))
        (*count)++;
    }
  closedir (dir);
  return TRUE;
}

gboolean
maildir_inspect (const char *path, MaildirInspection *out, GError **error_out)
{
  MaildirInspection result = { 0 };
  int root_fd, claims_fd;
  DIR *claims;
  struct dirent *entry;
  gboolean ok = TRUE;

  g_return_val_if_fail (path != NULL && out != NULL, FALSE);
  root_fd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (root_fd < 0)
    return set_io_error (error_out, errno, "open Maildir", path);
  for (int s = 0; s < N_SUBS; s++)
    if (faccessat (root_fd, sub_names[s], F_OK, 0) != 0)
      {
        g_set_error (error_out, MAILDIR_ERROR, MAILDIR_ERROR_NOT_MAILDIR,
                     "\"%s\" is not a Maildir: it has no %s/", path, sub_names[s]);
        close (root_fd);
        return FALSE;
      }
  if (!count_messages (root_fd, "new", FALSE, &result.backlog_new, error_out, path)
      || !count_messages (root_fd, "cur", TRUE, &result.backlog_cur, error_out, path))
    {
      close (root_fd);
      return FALSE;
    }
  /* The last batch. */
  {
    int fd = openat (root_fd, MAILDIR_LAST_BATCH_FILE, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

    if (fd >= 0)
      {
        char line[512];
        ssize_t n = read (fd, line, sizeof line - 1);

        close (fd);
        if (n > 0)
          {
            gint64 when = 0;
            guint messages = 0;

            line[n] = '\0';
            if (sscanf (line, "%" G_GINT64_FORMAT " %u", &when, &messages) == 2)
              {
                result.last_batch = when;
                result.last_batch_messages = messages;
              }
          }
      }
  }

  claims_fd = openat (root_fd, MAILDIR_CLAIM_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  close (root_fd);
  if (claims_fd < 0)
    {
      *out = result;
      return errno == ENOENT ? TRUE : set_io_error (error_out, errno, "read", path);
    }
  /* The workers: a lock that cannot be taken belongs to a live one. */
  claims = fdopendir (dup (claims_fd));
  while (ok && claims != NULL && (entry = readdir (claims)) != NULL)
    {
      g_autofree char *id = NULL;
      gboolean live;
      int lock_fd, id_fd;

      if (entry->d_name[0] == '.' || !g_str_has_suffix (entry->d_name, LOCK_SUFFIX))
        continue;
      id = g_strndup (entry->d_name, strlen (entry->d_name) - strlen (LOCK_SUFFIX));
      lock_fd = openat (claims_fd, entry->d_name, O_RDONLY | O_CLOEXEC);
      if (lock_fd < 0)
        continue;
      live = flock (lock_fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
      close (lock_fd);
      if (live)
        result.workers++;
      id_fd = openat (claims_fd, id, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (id_fd < 0)
        continue;
      for (int s = 0; s < N_SUBS && ok; s++)
        ok = count_messages (id_fd, sub_names[s], FALSE,
                             live ? &result.claims_live : &result.claims_stale, error_out, path);
      close (id_fd);
    }
  if (claims != NULL)
    closedir (claims);
  close (claims_fd);
  if (ok)
    *out = result;
  return ok;
}
