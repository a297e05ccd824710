/* pgcluster.c - bounced's private PostgreSQL cluster
 *
 * Life cycle of the cluster (every step under an exclusive flock() of
 * pg.lock beside the data directory, so that concurrent bounced processes
 * set it up once):
 *
 *   ABSENT --initdb + config--> STOPPED --pg_ctl start -w--> RUNNING
 *                                  ^                           |
 *                                  +------ pg_ctl stop --------+
 *
 * After the first start the database "bounced" is created with createdb
 * and a marker file (bounced.created) records that it exists.
 *
 * Invariants:
 *  1. The server listens on no TCP address (listen_addresses = ''), only on
 *     a Unix socket in the data directory, which is mode 0700: only its
 *     owner (and root) can reach it.  Authentication is "peer" through the
 *     ident map "bounced" (pg_hba.conf, pg_ident.conf, rewritten at every
 *     start when they differ), never "trust": the administrator (the user,
 *     or root for the cluster of the system user bounced) may be the
 *     cluster's superuser; the worker's session is always the role
 *     bounced_ingest (PGCLUSTER_INGEST_ROLE), which the first migration
 *     creates and store.c makes a login, so that no worker runs as a
 *     superuser (a superuser's COPY ... TO PROGRAM would step out of any
 *     sandbox).  In the root case the system user bounced, the one the
 *     packaged units run as, maps to bounced_ingest only.  Those users
 *     come from the sysusers.d entry of the installation; bounced never
 *     creates users itself.
 *  1a. In the root case the cluster belongs to a system user of its own,
 *     bounced-pg, never to bounced, which the workers run as: a compromised
 *     worker reaches the server through its socket, as bounced_ingest, and
 *     cannot read the data files (the data directory is bounced-pg's, mode
 *     0700).  The socket is in a directory of its own,
 *     /var/lib/bounced/pg-socket (bounced-pg's, group bounced, mode 0750;
 *     the socket group bounced, mode 0770), given to the server on pg_ctl's
 *     command line, so that a cluster made by an older bounced gets it
 *     too; such a cluster, owned by another user, is stopped as that user,
 *     given to bounced-pg and started again.  The server runs with
 *     bounced-pg's groups (bounced among them, from the sysusers.d entry),
 *     which it needs to enter /var/lib/bounced and to give the socket its
 *     group.
 *  2. The programs come from the PostgreSQL version that created the data
 *     directory (PG_VERSION), or, for a new cluster, the highest version
 *     installed under /usr/lib/postgresql (Debian's layout), else PATH.
 *  3. Child programs get an environment without PG* variables, so that a
 *     PGPORT or PGDATA meant for another server cannot redirect them.
 *  4. The server is left running when bounced exits; `bounced db stop`
 *     stops it.
 */
#include "pgcluster.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define PGCLUSTER_SYSTEM_USER    "bounced"      /* the workers' (the units') */
#define PGCLUSTER_SERVER_USER    "bounced-pg"   /* the root cluster's (invariant 1a) */
#define PGCLUSTER_ROOT_HOME      "/var/lib/bounced"
#define PGCLUSTER_ROOT_SOCKET    PGCLUSTER_ROOT_HOME "/pg-socket"
#define PGCLUSTER_DATABASE       "bounced"
#define PGCLUSTER_PORT           "5432"
#define PGCLUSTER_SOCKET_NAME    ".s.PGSQL." PGCLUSTER_PORT
#define PGCLUSTER_VERSIONS_DIR   "/usr/lib/postgresql"
#define PGCLUSTER_START_TIMEOUT  "120"   /* seconds pg_ctl waits for startup */
#define PGCLUSTER_LOG_NAME       "server.log"
#define PGCLUSTER_CREATED_MARKER "bounced.created"
#define PGCLUSTER_LOG_TAIL       2048    /* bytes of the server log shown */
#define PGCLUSTER_INGEST_ROLE    "bounced_ingest"
#define PGCLUSTER_IDENT_MAP      "bounced"

G_DEFINE_QUARK (pgcluster-error-quark, pgcluster_error)

typedef struct {
  char *data_dir;
  char *parent_dir;
  char *bin_dir;        /* NULL until found */
  gboolean as_root;
  uid_t uid;            /* who programs run as, when as_root: bounced-pg, or
                         * the owner of an older cluster while it is stopped
                         * and given to bounced-pg (invariant 1a) */
  gid_t gid;
  gid_t *groups;        /* and with these supplementary groups */
  int n_groups;
  uid_t server_uid;     /* bounced-pg */
  gid_t server_gid;
  gid_t worker_gid;     /* the group of bounced, the socket's */
  int lock_fd;
  gboolean keep_root;   /* run the next program as root (it connects as the
                         * administrator, whom only root maps to) */
} Cluster;

static void
cluster_clear (Cluster *c)
{
  g_clear_pointer (&c->data_dir, g_free);
  g_clear_pointer (&c->parent_dir, g_free);
  g_clear_pointer (&c->bin_dir, g_free);
  g_clear_pointer (&c->groups, g_free);
  if (c->lock_fd >= 0)
    close (c->lock_fd);   /* releases the flock */
  c->lock_fd = -1;
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Cluster, cluster_clear)

char *
pgcluster_data_dir (void)
{
  if (geteuid () == 0)
    return g_build_filename (PGCLUSTER_ROOT_HOME, "pg", NULL);
  return g_build_filename (g_get_user_data_dir (), "bounced", "pg", NULL);
}

/* A value for a libpq connection string (quoted, \ and ' escaped). */
static void
append_conninfo_value (GString *out, const char *value)
{
  g_string_append_c (out, '\'');
  for (const char *p = value; *p; p++)
    {
      if (*p == '\\' || *p == '\'')
        g_string_append_c (out, '\\');
      g_string_append_c (out, *p);
    }
  g_string_append_c (out, '\'');
}

/* The cluster's superuser: the name initdb gave it (its owner's). */
static const char *
admin_role (void)
{
  return geteuid () == 0 ? PGCLUSTER_SYSTEM_USER : g_get_user_name ();
}

/* Where the server's socket is: the data directory, or for root a
 * directory the workers may enter (invariant 1a). */
static char *
socket_dir (void)
{
  if (geteuid () == 0)
    return g_strdup (PGCLUSTER_ROOT_SOCKET);
  return pgcluster_data_dir ();
}

static char *
conninfo_for (const char *user)
{
  g_autofree char *dir = socket_dir ();
  GString *out = g_string_new ("host=");

  append_conninfo_value (out, dir);
  g_string_append (out, " port=" PGCLUSTER_PORT " dbname=" PGCLUSTER_DATABASE " user=");
  append_conninfo_value (out, user);
  return g_string_free (out, FALSE);
}

char *
pgcluster_conninfo (void)
{
  return conninfo_for (PGCLUSTER_INGEST_ROLE);
}

char *
pgcluster_admin_conninfo (void)
{
  return conninfo_for (admin_role ());
}

static void
cluster_init (Cluster *c)
{
  memset (c, 0, sizeof *c);
  c->lock_fd = -1;
  c->data_dir = pgcluster_data_dir ();
  c->parent_dir = g_path_get_dirname (c->data_dir);
  c->as_root = geteuid () == 0;
}

/* ---- running programs ------------------------------------------------ */

/* In the child, before exec: become the system user (root case). */
static void
drop_privileges (gpointer data)
{
  const Cluster *c = data;

  if (setgroups ((size_t) c->n_groups, c->groups) != 0 || setgid (c->gid) != 0
      || setuid (c->uid) != 0)
    _exit (127);
}

/**
 * run:
 * Runs @argv (as the system user in the root case) and waits for it.
 * Returns TRUE if it exited with status 0; else FALSE with @error_out set
 * to what it printed, unless @exit_status_out (nullable) is given, which
 * then receives the exit status of a program that ran.
 */
static gboolean
run (const Cluster *c, const char *const *argv, int *exit_status_out, char **stderr_out,
     GError **error_out)
{
  g_auto(GStrv) env = g_get_environ ();
  g_auto(GStrv) names = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;
  int status = 0;

  names = g_listenv ();
  for (char **n = names; *n; n++)
    if (g_str_has_prefix (*n, "PG"))
      env = g_environ_unsetenv (env, *n);
  /* A directory the program may enter (the system user cannot enter
   * root's working directory); before setup, the root directory. */
  if (!g_spawn_sync (g_file_test (c->parent_dir, G_FILE_TEST_IS_DIR) ? c->parent_dir : "/",
                     (char **) argv, env, G_SPAWN_DEFAULT,
                     c->as_root && !c->keep_root ? drop_privileges : NULL, (gpointer) c,
                     &out, &err, &status, &error))
    {
      g_set_error (error_out, PGCLUSTER_ERROR, PGCLUSTER_ERROR_FAILED,
                   "could not run \"%s\": %s", argv[0], error->message);
      return FALSE;
    }
  if (stderr_out != NULL)
    *stderr_out = g_strdup (err);
  if (g_spawn_check_wait_status (status, NULL))
    {
      if (exit_status_out != NULL)
        *exit_status_out = 0;
      return TRUE;
    }
  if (exit_status_out != NULL && WIFEXITED (status))
    {
      *exit_status_out = WEXITSTATUS (status);
      return FALSE;
    }
  {
    const char *text = err && *g_strstrip (err) ? err : out ? g_strstrip (out) : "";

    g_set_error (error_out, PGCLUSTER_ERROR, PGCLUSTER_ERROR_FAILED,
                 "%s failed: %s", argv[0], *text ? text : "no message");
  }
  return FALSE;
}

static char *
bin (const Cluster *c, const char *program)
{
  return g_build_filename (c->bin_dir, program, NULL);
}

/* ---- finding PostgreSQL ---------------------------------------------- */

static gboolean
has_programs (const char *dir)
{
  g_autofree char *initdb = g_build_filename (dir, "initdb", NULL);
  g_autofree char *pg_ctl = g_build_filename (dir, "pg_ctl", NULL);

  return g_file_test (initdb, G_FILE_TEST_IS_EXECUTABLE)
         && g_file_test (pg_ctl, G_FILE_TEST_IS_EXECUTABLE);
}

/* Invariant 2. */
static gboolean
find_bin_dir (Cluster *c, GError **error_out)
{
  g_autofree char *version_file = g_build_filename (c->data_dir, "PG_VERSION", NULL);
  g_autofree char *version = NULL;
  g_autoptr(GDir) dir = NULL;
  g_autofree char *initdb = NULL;
  double best = 0;

  if (g_file_get_contents (version_file, &version, NULL, NULL))
    {
      g_strstrip (version);
      c->bin_dir = g_build_filename (PGCLUSTER_VERSIONS_DIR, version, "bin", NULL);
      if (has_programs (c->bin_dir))
        return TRUE;
      g_set_error (error_out, PGCLUSTER_ERROR, PGCLUSTER_ERROR_NOT_INSTALLED,
                   "the private cluster in \"%s\" was created by PostgreSQL %s, "
                   "whose programs are not installed (no %s)", c->data_dir, version, c->bin_dir);
      g_clear_pointer (&c->bin_dir, g_free);
      return FALSE;
    }

  dir = g_dir_open (PGCLUSTER_VERSIONS_DIR, 0, NULL);
  for (const char *name; dir != NULL && (name = g_dir_read_name (dir)) != NULL;)
    {
      g_autofree char *candidate = g_build_filename (PGCLUSTER_VERSIONS_DIR, name, "bin", NULL);
      char *end;
      double v = g_ascii_strtod (name, &end);

      if (*end != '\0' || v <= best || !has_programs (candidate))
        continue;
      best = v;
      g_free (c->bin_dir);
      c->bin_dir = g_steal_pointer (&candidate);
    }
  if (c->bin_dir != NULL)
    return TRUE;

  initdb = g_find_program_in_path ("initdb");
  if (initdb != NULL)
    {
      g_autofree char *d = g_path_get_dirname (initdb);

      if (has_programs (d))
        {
          c->bin_dir = g_steal_pointer (&d);
          return TRUE;
        }
    }
  g_set_error (error_out, PGCLUSTER_ERROR, PGCLUSTER_ERROR_NOT_INSTALLED,
               "PostgreSQL is not installed: no initdb and pg_ctl under %s/*/bin or in PATH "
               "(install the postgresql package, or name a server with --db or DATABASE_URL)",
               PGCLUSTER_VERSIONS_DIR);
  return FALSE;
}

/* ---- setting up ------------------------------------------------------ */

/* Root case: the system users, bounced (the workers') and bounced-pg (the
 * cluster's, invariant 1a).  bounced does not create users: the package's
 * sysusers.d entry (dist/bounced.sysusers, installed as
 * SYSUSERSDIR/bounced.conf) does, so that uid, home and shell are the
 * distribution's decision. */
static struct passwd *
system_user (const char *name, GError **error_out)
{
  struct passwd *pw = getpwnam (name);

  if (pw == NULL)
    g_set_error (error_out, PGCLUSTER_ERROR, PGCLUSTER_ERROR_FAILED,
                 "system user \"%s\" does not exist; create it with "
                 "\"systemd-sysusers bounced.conf\" (the sysusers.d entry bounced installs) "
                 "or \"useradd --system --home-dir %s %s\", or name a database with --db",
                 name, PGCLUSTER_ROOT_HOME, name);
  return pw;
}

static gboolean
ensure_system_user (Cluster *c, GError **error_out)
{
  struct passwd *pw = system_user (PGCLUSTER_SYSTEM_USER, error_out);
  int n = 0;

  if (pw == NULL)
    return FALSE;
  c->worker_gid = pw->pw_gid;
  pw = system_user (PGCLUSTER_SERVER_USER, error_out);
  if (pw == NULL)
    return FALSE;
  c->uid = c->server_uid = pw->pw_uid;
  c->gid = c->server_gid = pw->pw_gid;
  /* Its groups, looked up here: the child between fork and exec may not. */
  getgrouplist (PGCLUSTER_SERVER_USER, pw->pw_gid, NULL, &n);
  g_clear_pointer (&c->groups, g_free);
  c->groups = g_new0 (gid_t, MAX (n, 1));
  c->n_groups = MAX (n, 1);
  if (getgrouplist (PGCLUSTER_SERVER_USER, pw->pw_gid, c->groups, &c->n_groups) < 0)
    {
      c->groups[0] = pw->pw_gid;
      c->n_groups = 1;
    }
  return TRUE;
}

/* Root case: the socket's directory, bounced-pg's with the group of
 * bounced, mode 0750 (invariant 1a), made or put right. */
static gboolean
ensure_socket_dir (const Cluster *c, GError **error_out)
{
  if ((mkdir (PGCLUSTER_ROOT_SOCKET, 0750) != 0 && errno != EEXIST)
      || lchown (PGCLUSTER_ROOT_SOCKET, c->server_uid, c->worker_gid) != 0
      || chmod (PGCLUSTER_ROOT_SOCKET, 0750) != 0)
    {
      int e = errno;

      g_set_error (error_out, PGCLUSTER_ERROR, PGCLUSTER_ERROR_FAILED,
                   "could not prepare the socket directory \"%s\": %s", PGCLUSTER_ROOT_SOCKET,
                   g_strerror (e));
      return FALSE;
    }
  return TRUE;
}

/* Gives @path and everything under it to @uid:@gid (links themselves, never
 * what they point to). */
static gboolean
chown_tree (const char *path, uid_t uid, gid_t gid, GError **error_out)
{
  struct stat st;

  if (lstat (path, &st) != 0 || lchown (path, uid, gid) != 0)
    {
      int e = errno;

      g_set_error (error_out, PGCLUSTER_ERROR, PGCLUSTER_ERROR_FAILED,
                   "could not give \"%s\" to user \"%s\": %s", path, PGCLUSTER_SERVER_USER,
                   g_strerror (e));
      return FALSE;
    }
  if (S_ISDIR (st.st_mode))
    {
      g_autoptr(GDir) dir = g_dir_open (path, 0, error_out);

      if (dir == NULL)
        return FALSE;
      for (const char *name; (name = g_dir_read_name (dir)) != NULL;)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);

          if (!chown_tree (child, uid, gid, error_out))
            return FALSE;
        }
    }
  return TRUE;
}

/* Root case: programs run as the owner of the data directory when it has
 * one that is not root (an older bounced's cluster), else as bounced-pg. */
static void
run_as_owner (Cluster *c)
{
  struct stat st;

  if (stat (c->data_dir, &st) == 0 && st.st_uid != 0 && st.st_uid != c->server_uid)
    {
      c->uid = st.st_uid;
      c->gid = st.st_gid;
      c->n_groups = 0;
    }
}

static gboolean
make_dir (const char *path, int mode, GError **error_out)
{
  if (g_mkdir_with_parents (path, mode) != 0)
    {
      int e = errno;

      g_set_error (error_out, PGCLUSTER_ERROR, PGCLUSTER_ERROR_FAILED,
                   "could not create directory \"%s\": %s", path, g_strerror (e));
      return FALSE;
    }
  return TRUE;
}

/* Takes the setup lock (released by cluster_clear). */
static gboolean
cluster_lock (Cluster *c, GError **error_out)
{
  g_autofree char *path = NULL;

  if (c->as_root && !ensure_system_user (c, error_out))
    return FALSE;
  if (!make_dir (c->parent_dir, c->as_root ? 0755 : 0700, error_out))
    return FALSE;
  path = g_build_filename (c->parent_dir, "pg.lock", NULL);
  c->lock_fd = open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (c->lock_fd < 0 || flock (c->lock_fd, LOCK_EX) != 0)
    {
      int e = errno;

      g_set_error (error_out, PGCLUSTER_ERROR, PGCLUSTER_ERROR_FAILED,
                   "could not lock \"%s\": %s", path, g_strerror (e));
      return FALSE;
    }
  return TRUE;
}

static gboolean
cluster_exists (const Cluster *c)
{
  g_autofree char *version_file = g_build_filename (c->data_dir, "PG_VERSION", NULL);

  return g_file_test (version_file, G_FILE_TEST_EXISTS);
}

/* Invariant 1: who may connect as whom.  Writes pg_hba.conf and
 * pg_ident.conf when they differ from what they should be (a cluster made
 * by an older bounced trusted root, or had no map); *@changed_out tells
 * whether the server must reload them. */
static gboolean
cluster_write_auth (const Cluster *c, gboolean *changed_out, GError **error_out)
{
  const char *me = g_get_user_name ();
  g_autofree char *hba = g_strdup (
    "# Written by bounced: the private cluster, reachable only through the Unix\n"
    "# socket in its data directory.  Peer authentication through the map\n"
    "# \"" PGCLUSTER_IDENT_MAP "\" of pg_ident.conf, for every connection.\n"
    "local   all   all   peer map=" PGCLUSTER_IDENT_MAP "\n"
    "host    all   all   all   reject\n");
  g_autofree char *ident = NULL;
  struct {
    const char *name;
    const char *text;
  } files[2];

  *changed_out = FALSE;
  if (c->as_root)
    ident = g_strdup_printf (
      "# Written by bounced.  MAP SYSTEM-USER DATABASE-ROLE\n"
      "# root administers the cluster; the system user %s, which the\n"
      "# packaged units run as, is the worker and nothing else.\n"
      PGCLUSTER_IDENT_MAP "   root   %s\n"
      PGCLUSTER_IDENT_MAP "   root   " PGCLUSTER_INGEST_ROLE "\n"
      PGCLUSTER_IDENT_MAP "   %s   " PGCLUSTER_INGEST_ROLE "\n",
      PGCLUSTER_SYSTEM_USER, PGCLUSTER_SYSTEM_USER, PGCLUSTER_SYSTEM_USER);
  else
    ident = g_strdup_printf (
      "# Written by bounced.  MAP SYSTEM-USER DATABASE-ROLE\n"
      "# The cluster's owner administers it; the worker's sessions are\n"
      "# " PGCLUSTER_INGEST_ROLE ", which is no superuser.\n"
      PGCLUSTER_IDENT_MAP "   %s   %s\n"
      PGCLUSTER_IDENT_MAP "   %s   " PGCLUSTER_INGEST_ROLE "\n", me, me, me);
  files[0].name = "pg_hba.conf";
  files[0].text = hba;
  files[1].name = "pg_ident.conf";
  files[1].text = ident;
  for (gsize i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *path = g_build_filename (c->data_dir, files[i].name, NULL);
      g_autofree char *old = NULL;
      g_autoptr(GError) error = NULL;

      if (g_file_get_contents (path, &old, NULL, NULL) && strcmp (old, files[i].text) == 0)
        continue;
      if (!g_file_set_contents_full (path, files[i].text, -1, G_FILE_SET_CONTENTS_CONSISTENT,
                                     0600, &error)
          || (c->as_root && chown (path, c->uid, c->gid) != 0))
        {
          g_set_error (error_out, PGCLUSTER_ERROR, PGCLUSTER_ERROR_FAILED,
                       "could not write \"%s\": %s", path,
                       error ? error->message : g_strerror (errno));
          return FALSE;
        }
      *changed_out = TRUE;
    }
  return TRUE;
}

/* A value for postgresql.conf (single quotes doubled). */
static char *
conf_quote (const char *value)
{
  g_auto(GStrv) parts = g_strsplit (value, "'", -1);
  g_autofree char *joined = g_strjoinv ("''", parts);

  return g_strdup_printf ("'%s'", joined);
}

static gboolean
cluster_create (Cluster *c, GError **error_out)
{
  g_autofree char *initdb = NULL;
  g_autofree char *conf_path = NULL;
  g_autofree char *socket_dir = NULL;
  g_autofree char *conf = NULL;
  g_autoptr(GDir) existing = NULL;
  struct sockaddr_un addr;

  if (!find_bin_dir (c, error_out))
    return FALSE;
  /* The socket lives in the data directory; its path must fit in
   * sun_path, or the server could not create it. */
  if (strlen (c->as_root ? PGCLUSTER_ROOT_SOCKET : c->data_dir) + 1
      + strlen (PGCLUSTER_SOCKET_NAME) >= sizeof addr.sun_path)
    {
      g_set_error (error_out, PGCLUSTER_ERROR, PGCLUSTER_ERROR_FAILED,
                   "the data directory \"%s\" is too long for a Unix socket path "
                   "(at most %zu bytes; set XDG_DATA_HOME to a shorter directory)",
                   c->data_dir, sizeof addr.sun_path - 2 - strlen (PGCLUSTER_SOCKET_NAME));
      return FALSE;
    }
  existing = g_dir_open (c->data_dir, 0, NULL);
  if (existing != NULL && g_dir_read_name (existing) != NULL)
    {
      g_set_error (error_out, PGCLUSTER_ERROR, PGCLUSTER_ERROR_FAILED,
                   "\"%s\" exists but is not a PostgreSQL cluster; move it away", c->data_dir);
      return FALSE;
    }
  if (!make_dir (c->data_dir, 0700, error_out))
    return FALSE;
  if (c->as_root && chown (c->data_dir, c->uid, c->gid) != 0)
    {
      int e = errno;

      g_set_error (error_out, PGCLUSTER_ERROR, PGCLUSTER_ERROR_FAILED,
                   "could not give \"%s\" to user \"%s\": %s", c->data_dir,
                   PGCLUSTER_SERVER_USER, g_strerror (e));
      return FALSE;
    }

  initdb = bin (c, "initdb");
  {
    /* The superuser keeps the name root administers it by (admin_role()),
     * whoever owns the files. */
    const char *argv[] = { initdb, "--pgdata", c->data_dir, "--encoding", "UTF8",
                           "--locale", "C", "--auth-local=peer",
                           "--auth-host=reject", "--no-instructions",
                           "--username", admin_role (), NULL };
    g_autoptr(GError) error = NULL;

    if (!run (c, argv, NULL, NULL, &error))
      {
        g_set_error (error_out, PGCLUSTER_ERROR, PGCLUSTER_ERROR_FAILED,
                     "could not create the private cluster in \"%s\": %s", c->data_dir,
                     error->message);
        return FALSE;
      }
  }

  {
    gboolean changed;

    if (!cluster_write_auth (c, &changed, error_out))
      return FALSE;
  }
  /* Invariant 1.  The configuration file belongs to the cluster's owner;
   * root writes it and hands it back. */
  conf_path = g_build_filename (c->data_dir, "postgresql.conf", NULL);
  socket_dir = conf_quote (c->as_root ? PGCLUSTER_ROOT_SOCKET : c->data_dir);
  if (c->as_root)
    conf = g_strdup_printf ("\n# Added by bounced: a private cluster, reachable only through the\n"
                            "# Unix socket in %s, for the group of the workers.\n"
                            "listen_addresses = ''\n"
                            "unix_socket_directories = %s\n"
                            "unix_socket_group = '" PGCLUSTER_SYSTEM_USER "'\n"
                            "unix_socket_permissions = 0770\n"
                            "port = " PGCLUSTER_PORT "\n", PGCLUSTER_ROOT_SOCKET, socket_dir);
  else
    conf = g_strdup_printf ("\n# Added by bounced: a private cluster, reachable only through the\n"
                            "# Unix socket in its data directory.\n"
                            "listen_addresses = ''\n"
                            "unix_socket_directories = %s\n"
                            "unix_socket_permissions = 0700\n"
                            "port = " PGCLUSTER_PORT "\n", socket_dir);
  {
    FILE *f = fopen (conf_path, "a");

    if (f == NULL || fputs (conf, f) < 0 || fclose (f) != 0)
      {
        int e = errno;

        g_set_error (error_out, PGCLUSTER_ERROR, PGCLUSTER_ERROR_FAILED,
                     "could not write \"%s\": %s", conf_path, g_strerror (e));
        return FALSE;
      }
  }
  return TRUE;
}

/* pg_ctl status: 0 running, 3 not running (pg_ctl(1), EXIT STATUS). */
static gboolean
cluster_running (const Cluster *c, gboolean *running_out, GError **error_out)
{
  g_autofree char *pg_ctl = bin (c, "pg_ctl");
  const char *argv[] = { pg_ctl, "status", "--pgdata", c->data_dir, NULL };
  g_autofree char *err = NULL;
  int status = 0;

  if (run (c, argv, &status, &err, error_out))
    {
      *running_out = TRUE;
      return TRUE;
    }
  if (error_out != NULL && *error_out != NULL)
    return FALSE;
  if (status == 3)
    {
      *running_out = FALSE;
      return TRUE;
    }
  g_set_error (error_out, PGCLUSTER_ERROR, PGCLUSTER_ERROR_FAILED,
               "could not tell whether the private cluster in \"%s\" runs: pg_ctl status exited with %d: %s",
               c->data_dir, status, err ? g_strstrip (err) : "");
  return FALSE;
}

static gboolean
cluster_start (const Cluster *c, GError **error_out)
{
  g_autofree char *pg_ctl = bin (c, "pg_ctl");
  g_autofree char *log = g_build_filename (c->data_dir, PGCLUSTER_LOG_NAME, NULL);
  /* Invariant 1a: the socket's place and group, whatever an older
   * bounced wrote in postgresql.conf. */
  const char *argv[] = { pg_ctl, "start", "--pgdata", c->data_dir, "--log", log, "--wait",
                         "--timeout", PGCLUSTER_START_TIMEOUT, "--silent",
                         c->as_root ? "-o" : NULL,
                         "-c unix_socket_directories=" PGCLUSTER_ROOT_SOCKET
                         " -c unix_socket_group=" PGCLUSTER_SYSTEM_USER
                         " -c unix_socket_permissions=0770", NULL };
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  gsize len = 0;

  if (run (c, argv, NULL, NULL, &error))
    return TRUE;
  /* The reason is in the server log, not in pg_ctl's output. */
  if (g_file_get_contents (log, &text, &len, NULL) && len > 0)
    {
      const char *tail = text + (len > PGCLUSTER_LOG_TAIL ? len - PGCLUSTER_LOG_TAIL : 0);

      g_set_error (error_out, PGCLUSTER_ERROR, PGCLUSTER_ERROR_FAILED,
                   "could not start the private cluster in \"%s\": %s; end of %s:\n%s",
                   c->data_dir, error->message, log, tail);
    }
  else
    g_set_error (error_out, PGCLUSTER_ERROR, PGCLUSTER_ERROR_FAILED,
                 "could not start the private cluster in \"%s\": %s", c->data_dir, error->message);
  return FALSE;
}

static gboolean
cluster_create_database (const Cluster *c, GError **error_out)
{
  g_autofree char *marker = g_build_filename (c->data_dir, PGCLUSTER_CREATED_MARKER, NULL);
  g_autofree char *createdb = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;
  int status = 0;

  if (g_file_test (marker, G_FILE_TEST_EXISTS))
    return TRUE;
  createdb = bin (c, "createdb");
  {
    g_autofree char *host = socket_dir ();
    const char *argv[] = { createdb, "--host", host, "--port", PGCLUSTER_PORT,
                           "--username", admin_role (), PGCLUSTER_DATABASE, NULL };
    gboolean ok;

    /* As the administrator, whom only root maps to (invariant 1). */
    ((Cluster *) c)->keep_root = TRUE;
    ok = run (c, argv, &status, &err, &error);
    ((Cluster *) c)->keep_root = FALSE;
    /* "already exists" is success: a marker lost after createdb. */
    if (!ok
        && (error != NULL || err == NULL || strstr (err, "already exists") == NULL))
      {
        g_set_error (error_out, PGCLUSTER_ERROR, PGCLUSTER_ERROR_FAILED,
                     "could not create database \"%s\" in the private cluster: %s",
                     PGCLUSTER_DATABASE,
                     error ? error->message : err ? g_strstrip (err) : "createdb failed");
        return FALSE;
      }
  }
  if (!g_file_set_contents (marker, "database " PGCLUSTER_DATABASE " created\n", -1, &error))
    {
      g_set_error (error_out, PGCLUSTER_ERROR, PGCLUSTER_ERROR_FAILED,
                   "could not write \"%s\": %s", marker, error->message);
      return FALSE;
    }
  return TRUE;
}

char *
pgcluster_ensure (GError **error_out)
{
  g_auto(Cluster) c;
  gboolean running = FALSE;

  cluster_init (&c);
  if (!cluster_lock (&c, error_out))
    return NULL;
  if (c.as_root && !ensure_socket_dir (&c, error_out))
    return NULL;
  if (!cluster_exists (&c))
    {
      if (!cluster_create (&c, error_out))
        return NULL;
    }
  else if (!find_bin_dir (&c, error_out))
    return NULL;
  else if (c.as_root)
    {
      /* Invariant 1a: a cluster of an older bounced, owned by the workers'
       * user, stopped as its owner and given to bounced-pg. */
      run_as_owner (&c);
      if (c.uid != c.server_uid)
        {
          gboolean was_running = FALSE;

          if (!cluster_running (&c, &was_running, error_out))
            return NULL;
          if (was_running)
            {
              g_autofree char *pg_ctl = bin (&c, "pg_ctl");
              const char *argv[] = { pg_ctl, "stop", "--pgdata", c.data_dir, "--mode", "fast",
                                     "--wait", "--silent", NULL };

              if (!run (&c, argv, NULL, NULL, error_out))
                return NULL;
            }
          if (!chown_tree (c.data_dir, c.server_uid, c.server_gid, error_out))
            return NULL;
          g_message ("gave the private cluster in \"%s\" to the system user \"%s\"",
                     c.data_dir, PGCLUSTER_SERVER_USER);
          g_clear_pointer (&c.groups, g_free);
          if (!ensure_system_user (&c, error_out))
            return NULL;
        }
    }
  {
    gboolean changed = FALSE;

    if (!cluster_write_auth (&c, &changed, error_out)
        || !cluster_running (&c, &running, error_out))
      return NULL;
    if (running && changed)
      {
        g_autofree char *pg_ctl = bin (&c, "pg_ctl");
        const char *argv[] = { pg_ctl, "reload", "--pgdata", c.data_dir, "--silent", NULL };

        if (!run (&c, argv, NULL, NULL, error_out))
          return NULL;
      }
  }
  if (!running && !cluster_start (&c, error_out))
    return NULL;
  if (!cluster_create_database (&c, error_out))
    return NULL;
  return pgcluster_conninfo ();
}

gboolean
pgcluster_status (PgclusterState *state_out, GError **error_out)
{
  g_auto(Cluster) c;
  gboolean running = FALSE;

  cluster_init (&c);
  if (!cluster_exists (&c))
    {
      *state_out = PGCLUSTER_ABSENT;
      return TRUE;
    }
  if (c.as_root && !ensure_system_user (&c, error_out))
    return FALSE;
  if (c.as_root)
    run_as_owner (&c);
  if (!find_bin_dir (&c, error_out) || !cluster_running (&c, &running, error_out))
    return FALSE;
  *state_out = running ? PGCLUSTER_RUNNING : PGCLUSTER_STOPPED;
  return TRUE;
}

gboolean
pgcluster_stop (gboolean *was_running_out, GError **error_out)
{
  g_auto(Cluster) c;
  g_autofree char *pg_ctl = NULL;
  gboolean running = FALSE;

  cluster_init (&c);
  if (was_running_out != NULL)
    *was_running_out = FALSE;
  if (!cluster_exists (&c))
    return TRUE;
  if (!cluster_lock (&c, error_out))
    return FALSE;
  if (c.as_root)
    run_as_owner (&c);
  if (!find_bin_dir (&c, error_out) || !cluster_running (&c, &running, error_out))
    return FALSE;
  if (!running)
    return TRUE;
  pg_ctl = bin (&c, "pg_ctl");
  {
    /* Fast shutdown: open sessions are ended, their transactions rolled
     * back; a worker retries them later (that is its protocol). */
    const char *argv[] = { pg_ctl, "stop", "--pgdata", c.data_dir, "--mode", "fast",
                           "--wait", "--silent", NULL };

    if (!run (&c, argv, NULL, NULL, error_out))
      return FALSE;
  }
  if (was_running_out != NULL)
    *was_running_out = TRUE;
  return TRUE;
}
