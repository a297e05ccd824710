/* test-maildir.c - the Maildir protocol (worker/maildir.c), no database
 *
 * Every test builds a fresh Maildir in a temporary directory.  Cases follow
 * the Maildir specification (cr.yp.to/proto/maildir.html) and the claim
 * life cycle drawn at the top of worker/maildir.c.
 */
#include "maildir.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct {
  char *root;
} Fixture;

static void
write_file (const char *root, const char *rel, const char *content)
{
  g_autofree char *path = g_build_filename (root, rel, NULL);
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, content, -1, &error);
  g_assert_no_error (error);
}

static void
make_dir (const char *root, const char *rel)
{
  g_autofree char *path = g_build_filename (root, rel, NULL);

  g_assert_cmpint (g_mkdir (path, 0700), ==, 0);
}

static gboolean
exists (const char *root, const char *rel)
{
  g_autofree char *path = g_build_filename (root, rel, NULL);

  return g_file_test (path, G_FILE_TEST_EXISTS);
}

/* Number of regular files below @root (recursively). */
static guint
count_files (const char *root)
{
  g_autoptr(GDir) dir = g_dir_open (root, 0, NULL);
  const char *name;
  guint n = 0;

  if (dir == NULL)
    return 0;
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (root, name, NULL);

      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        n += count_files (path);
      else if (!g_str_has_suffix (name, ".lock") && strcmp (name, "maildirfolder") != 0)
        n++;
    }
  return n;
}

static guint
count_dir (const char *root, const char *rel)
{
  g_autofree char *path = g_build_filename (root, rel, NULL);

  return count_files (path);
}

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  f->root = g_dir_make_tmp ("test-maildir-XXXXXX", &error);
  g_assert_no_error (error);
  for (guint i = 0; i < 3; i++)
    {
      static const char *const subs[] = { "cur", "new", "tmp" };
      g_autofree char *sub = g_build_filename (f->root, subs[i], NULL);
      g_assert_cmpint (g_mkdir (sub, 0700), ==, 0);
    }
}

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir != NULL)
    while ((name = g_dir_read_name (dir)) != NULL)
      {
        g_autofree char *child = g_build_filename (path, name, NULL);
        if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
          remove_tree (child);
        else
          g_unlink (child);
      }
  g_rmdir (path);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  remove_tree (f->root);
  g_free (f->root);
}

static void
test_not_maildir (Fixture *f, gconstpointer data)
{
  g_autofree char *sub = g_build_filename (f->root, "new", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(Maildir) md = NULL;

  g_rmdir (sub);
  md = maildir_open (f->root, NULL, &error);
  g_assert_null (md);
  g_assert_error (error, MAILDIR_ERROR, MAILDIR_ERROR_NOT_MAILDIR);
}

static void
test_bad_folder_name (Fixture *f, gconstpointer data)
{
  static const char *const bad[] = { "Failed", "../x", ".a/b", "." };
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      MaildirSettings settings;
      g_autoptr(GError) error = NULL;
      g_autoptr(Maildir) md = NULL;

      maildir_settings_init (&settings);
      settings.failed_folder = bad[i];
      md = maildir_open (f->root, &settings, &error);
      g_assert_null (md);
      g_assert_error (error, MAILDIR_ERROR, MAILDIR_ERROR_NOT_MAILDIR);
    }
}

static void
test_creates_folders (Fixture *f, gconstpointer data)
{
  MaildirSettings settings;
  g_autoptr(GError) error = NULL;
  g_autoptr(Maildir) md = NULL;

  maildir_settings_init (&settings);
  settings.done_folder = ".Done";
  md = maildir_open (f->root, &settings, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < 3; i++)
    {
      static const char *const folders[] = { ".Done", ".NotBounce", ".Failed" };
      static const char *const subs[] = { "cur", "new", "tmp", "maildirfolder" };
      for (guint j = 0; j < G_N_ELEMENTS (subs); j++)
        {
          g_autofree char *rel = g_build_filename (folders[i], subs[j], NULL);
          g_assert_true (exists (f->root, rel));
        }
    }
}

/* Folders and claim directories get the Maildir's own mode, whatever the
 * umask (a mail server of the Maildir's group must see .NotBounce); the
 * marker file gets it without the execute bits. */
static void
test_folder_modes (Fixture *f, gconstpointer data)
{
  static const struct { mode_t maildir; mode_t umask; } cases[] = {
    { 0750, 0077 },     /* group may read: the usual shared Maildir */
    { 02770, 0022 },    /* setgid, group may write */
    { 0700, 0000 },     /* private stays private under a lax umask */
  };

  for (gsize c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      g_autofree char *root = g_strdup_printf ("%s/m%u", f->root, (guint) c);
      MaildirSettings settings;
      g_autoptr(GError) error = NULL;
      g_autoptr(Maildir) md = NULL;
      static const char *const dirs[] = { ".Done", ".Done/cur", ".Done/new", ".Done/tmp",
                                          ".NotBounce", ".NotBounce/new", ".Failed/cur",
                                          "bounced-claims" };
      mode_t old_umask;
      struct stat st;

      g_assert_cmpint (g_mkdir (root, 0700), ==, 0);
      make_dir (root, "cur");
      make_dir (root, "new");
      make_dir (root, "tmp");
      g_assert_cmpint (chmod (root, cases[c].maildir), ==, 0);
      maildir_settings_init (&settings);
      settings.done_folder = ".Done";
      old_umask = umask (cases[c].umask);
      md = maildir_open (root, &settings, &error);
      umask (old_umask);
      g_assert_no_error (error);
      for (gsize d = 0; d < G_N_ELEMENTS (dirs); d++)
        {
          g_autofree char *path = g_build_filename (root, dirs[d], NULL);

          g_assert_cmpint (stat (path, &st), ==, 0);
          g_test_message ("%s: %o", dirs[d], (guint) (st.st_mode & 07777));
          g_assert_cmpint (st.st_mode & 07777, ==, cases[c].maildir);
        }
      {
        g_autofree char *marker = g_build_filename (root, ".NotBounce", "maildirfolder", NULL);

        g_assert_cmpint (stat (marker, &st), ==, 0);
        g_assert_cmpint (st.st_mode & 07777, ==, cases[c].maildir & 0666);
      }
    }
}

/* Which files a pass claims: new/ all, cur/ only without S or T, never tmp/
 * (the specification: "a reader ... never looks in tmp"), never dot files. */
static void
test_claims_what (Fixture *f, gconstpointer data)
{
  static const struct {
    const char *rel;
    gboolean claimed;
  } cases[] = {
    { "new/1.a.host", TRUE },
    { "new/2.b.host", TRUE },
    { "new/.hidden", FALSE },
    { "cur/3.c.host:2,", TRUE },
    { "cur/4.d.host:2,F", TRUE },
    { "cur/5.e.host:2,S", FALSE },
    { "cur/6.f.host:2,FS", FALSE },
    { "cur/7.g.host:2,T", FALSE },
    { "tmp/8.h.host", FALSE },
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(Maildir) md = NULL;
  g_autoptr(GHashTable) claimed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  MaildirClaim *claim;

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    write_file (f->root, cases[i].rel, cases[i].rel);
  md = maildir_open (f->root, NULL, &error);
  g_assert_no_error (error);
  while ((claim = maildir_claim_next (md, &error)) != NULL)
    {
      g_autofree char *content = NULL;

      g_assert_true (g_file_get_contents (claim->path, &content, NULL, NULL));
      g_assert_true (g_str_has_suffix (claim->source, content));
      g_assert_false (g_file_test (claim->source, G_FILE_TEST_EXISTS));
      g_hash_table_add (claimed, g_steal_pointer (&content));
      maildir_claim_free (claim);
    }
  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_test_message ("case %s", cases[i].rel);
      g_assert_cmpint (g_hash_table_contains (claimed, cases[i].rel), ==, cases[i].claimed);
    }
}

/* Where each destination puts a message (maildir.c, life cycle). */
static void
test_acknowledge (Fixture *f, gconstpointer data)
{
  static const struct {
    const char *name;
    const char *done_folder;
    const char *rel;          /* where the message starts */
    MaildirDest dest;
    const char *expected;     /* where it must end */
  } cases[] = {
    { "bounce from new/ gets :2,S", NULL, "new/1.a.h", MAILDIR_DEST_DONE, "cur/1.a.h:2,S" },
    { "flags stay in ASCII order", NULL, "cur/2.b.h:2,FR", MAILDIR_DEST_DONE, "cur/2.b.h:2,FRS" },
    { "S before keyword letters", NULL, "cur/3.c.h:2,Da", MAILDIR_DEST_DONE, "cur/3.c.h:2,DSa" },
    { "empty flags", NULL, "cur/4.d.h:2,", MAILDIR_DEST_DONE, "cur/4.d.h:2,S" },
    { "done folder", ".Done", "new/5.e.h", MAILDIR_DEST_DONE, ".Done/cur/5.e.h:2,S" },
    { "not a bounce, unread", NULL, "new/6.f.h", MAILDIR_DEST_OTHER, ".NotBounce/new/6.f.h" },
    { "not a bounce with info", NULL, "cur/7.g.h:2,F", MAILDIR_DEST_OTHER, ".NotBounce/cur/7.g.h:2,F" },
    { "unparseable", NULL, "new/8.h.h", MAILDIR_DEST_FAILED, ".Failed/new/8.h.h" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      MaildirSettings settings;
      g_autoptr(GError) error = NULL;
      g_autoptr(Maildir) md = NULL;
      g_autoptr(MaildirClaim) claim = NULL;
      g_autoptr(MaildirClaim) none = NULL;

      g_test_message ("case: %s", cases[i].name);
      write_file (f->root, cases[i].rel, cases[i].name);
      maildir_settings_init (&settings);
      settings.done_folder = cases[i].done_folder;
      md = maildir_open (f->root, &settings, &error);
      g_assert_no_error (error);
      claim = maildir_claim_next (md, &error);
      g_assert_no_error (error);
      g_assert_nonnull (claim);
      none = maildir_claim_next (md, &error);
      g_assert_null (none);
      g_assert_true (maildir_acknowledge (md, claim, cases[i].dest, &error));
      g_assert_no_error (error);
      g_assert_true (exists (f->root, cases[i].expected));
      g_assert_false (exists (f->root, cases[i].rel));
      g_assert_cmpuint (count_files (f->root), ==, i + 1);
    }
}

/* A destination name already taken is never replaced (invariant 1). */
static void
test_acknowledge_no_replace (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(Maildir) md = NULL;
  g_autoptr(MaildirClaim) claim = NULL;
  g_autofree char *kept = NULL;
  g_autofree char *taken = g_build_filename (f->root, "cur/1.a.h:2,S", NULL);

  write_file (f->root, "new/1.a.h", "incoming");
  write_file (f->root, "cur/1.a.h:2,S", "already there");
  md = maildir_open (f->root, NULL, &error);
  g_assert_no_error (error);
  claim = maildir_claim_next (md, &error);
  g_assert_nonnull (claim);
  g_assert_true (maildir_acknowledge (md, claim, MAILDIR_DEST_DONE, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (count_dir (f->root, "cur"), ==, 2);
  g_assert_true (g_file_get_contents (taken, &kept, NULL, NULL));
  g_assert_cmpstr (kept, ==, "already there");
}

static void
test_release (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(Maildir) md = NULL;
  MaildirClaim *claim;

  write_file (f->root, "new/1.a.h", "x");
  write_file (f->root, "cur/2.b.h:2,F", "y");
  md = maildir_open (f->root, NULL, &error);
  g_assert_no_error (error);
  while ((claim = maildir_claim_next (md, &error)) != NULL)
    {
      g_assert_true (maildir_release (md, claim, &error));
      maildir_claim_free (claim);
    }
  g_assert_no_error (error);
  g_assert_true (exists (f->root, "new/1.a.h"));
  g_assert_true (exists (f->root, "cur/2.b.h:2,F"));
  /* A new pass sees them again. */
  maildir_rewind (md);
  claim = maildir_claim_next (md, &error);
  g_assert_nonnull (claim);
  maildir_claim_free (claim);
}

/* Two workers on one Maildir: every message is claimed by exactly one. */
static void
test_two_workers (Fixture *f, gconstpointer data)
{
  const guint n = 200;
  g_autoptr(GError) error = NULL;
  g_autoptr(Maildir) a = NULL;
  g_autoptr(Maildir) b = NULL;
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  gboolean a_done = FALSE, b_done = FALSE;
  guint turn = 0;

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *rel = g_strdup_printf ("new/%u.x.h", i);
      write_file (f->root, rel, rel);
    }
  a = maildir_open (f->root, NULL, &error);
  g_assert_no_error (error);
  b = maildir_open (f->root, NULL, &error);
  g_assert_no_error (error);
  /* Interleave the two streams so that each tries names the other took. */
  while (!a_done || !b_done)
    {
      Maildir *md = (turn++ % 3 == 0) ? a : b;
      gboolean *done = md == a ? &a_done : &b_done;
      g_autoptr(MaildirClaim) claim = NULL;

      if (*done)
        md = md == a ? b : a, done = md == a ? &a_done : &b_done;
      claim = maildir_claim_next (md, &error);
      g_assert_no_error (error);
      if (claim == NULL)
        {
          *done = TRUE;
          continue;
        }
      g_assert_false (g_hash_table_contains (seen, claim->source));
      g_hash_table_add (seen, g_strdup (claim->source));
      g_assert_true (maildir_acknowledge (md, claim, MAILDIR_DEST_DONE, &error));
    }
  g_assert_cmpuint (g_hash_table_size (seen), ==, n);
  g_assert_cmpuint (count_dir (f->root, "cur"), ==, n);
  g_assert_cmpuint (count_dir (f->root, "new"), ==, 0);
}

/* A worker killed while holding claims: the next worker returns them
 * (invariant 4); a live worker's claims are left alone. */
static void
test_recover (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(Maildir) live = NULL;
  g_autoptr(Maildir) md = NULL;
  g_autoptr(MaildirClaim) live_claim = NULL;
  int status;
  pid_t pid;

  write_file (f->root, "new/1.a.h", "1");
  write_file (f->root, "new/2.b.h", "2");
  write_file (f->root, "cur/3.c.h:2,", "3");
  write_file (f->root, "new/4.d.h", "4");

  live = maildir_open (f->root, NULL, &error);
  g_assert_no_error (error);
  live_claim = maildir_claim_next (live, &error);
  g_assert_nonnull (live_claim);

  pid = fork ();
  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    {
      /* The child claims everything left and dies without cleaning up. */
      Maildir *child = maildir_open (f->root, NULL, NULL);
      if (child == NULL)
        _exit (3);
      for (guint i = 0; i < 3; i++)
        if (maildir_claim_next (child, NULL) == NULL)
          _exit (4);
      _exit (0);
    }
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_assert_true (WIFEXITED (status));
  g_assert_cmpint (WEXITSTATUS (status), ==, 0);
  g_assert_cmpuint (count_dir (f->root, "new") + count_dir (f->root, "cur"), ==, 0);

  md = maildir_open (f->root, NULL, &error);
  g_assert_no_error (error);
  /* The dead child's three are back where they were; the live claim is not. */
  g_assert_cmpuint (count_dir (f->root, "new") + count_dir (f->root, "cur"), ==, 3);
  g_assert_true (exists (f->root, "cur/3.c.h:2,"));
  g_assert_false (g_file_test (live_claim->source, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (live_claim->path, G_FILE_TEST_EXISTS));
  g_assert_cmpint (maildir_recover (md, &error), ==, 0);

  /* Closing the live worker returns what it still holds, and leaves no
   * claim directory behind. */
  g_clear_pointer (&live, maildir_close);
  g_assert_true (g_file_test (live_claim->source, G_FILE_TEST_EXISTS));
  g_clear_pointer (&md, maildir_close);
  g_assert_cmpuint (count_dir (f->root, MAILDIR_CLAIM_DIR), ==, 0);
  g_assert_cmpuint (count_files (f->root), ==, 4);
}

/* Leftovers of workers killed at any point of their start or run: a lock
 * file alone (killed before its directory existed), a lock file with claims.
 * Both are cleaned up and the claims returned (invariant 4). */
static void
test_recover_leftovers (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(Maildir) md = NULL;

  make_dir (f->root, MAILDIR_CLAIM_DIR);
  write_file (f->root, MAILDIR_CLAIM_DIR "/early.1.1.lock", "");
  write_file (f->root, MAILDIR_CLAIM_DIR "/late.2.2.lock", "");
  make_dir (f->root, MAILDIR_CLAIM_DIR "/late.2.2");
  make_dir (f->root, MAILDIR_CLAIM_DIR "/late.2.2/new");
  make_dir (f->root, MAILDIR_CLAIM_DIR "/late.2.2/cur");
  write_file (f->root, MAILDIR_CLAIM_DIR "/late.2.2/new/1.a.h", "1");
  write_file (f->root, MAILDIR_CLAIM_DIR "/late.2.2/cur/2.b.h:2,F", "2");

  md = maildir_open (f->root, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (exists (f->root, "new/1.a.h"));
  g_assert_true (exists (f->root, "cur/2.b.h:2,F"));
  g_assert_false (exists (f->root, MAILDIR_CLAIM_DIR "/early.1.1.lock"));
  g_assert_false (exists (f->root, MAILDIR_CLAIM_DIR "/late.2.2.lock"));
  g_assert_false (exists (f->root, MAILDIR_CLAIM_DIR "/late.2.2"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_set_up, fn, fixture_tear_down)
  ADD ("/maildir/open/not-a-maildir", test_not_maildir);
  ADD ("/maildir/open/bad-folder-name", test_bad_folder_name);
  ADD ("/maildir/open/creates-folders", test_creates_folders);
  ADD ("/maildir/open/folder-modes", test_folder_modes);
  ADD ("/maildir/claim/what", test_claims_what);
  ADD ("/maildir/claim/two-workers", test_two_workers);
  ADD ("/maildir/acknowledge/destinations", test_acknowledge);
  ADD ("/maildir/acknowledge/no-replace", test_acknowledge_no_replace);
  ADD ("/maildir/release", test_release);
  ADD ("/maildir/recover/dead-worker", test_recover);
  ADD ("/maildir/recover/leftovers", test_recover_leftovers);
#undef ADD
  return g_test_run ();
}
