/* pgcluster.h - bounced's private PostgreSQL cluster
 *
 * With no database configured, bounced runs a PostgreSQL cluster of its own:
 * initdb and pg_ctl of the installed PostgreSQL, listening on a Unix socket
 * inside its data directory only (no TCP), started on demand and left
 * running for the next run.  The data directory is
 * $XDG_DATA_HOME/bounced/pg (g_get_user_data_dir()), or, for root,
 * /var/lib/bounced/pg owned by the system user "bounced-pg", never by
 * "bounced", the workers' user (both from the sysusers.d entry of the
 * installation; bounced says so when one is missing), since PostgreSQL
 * refuses to run as root; its socket is then in /var/lib/bounced/pg-socket,
 * which the group bounced may enter.
 *
 * This module runs programs and manages files; it never connects to the
 * server (the store module does, with the conninfo it returns).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define PGCLUSTER_ERROR (pgcluster_error_quark ())

typedef enum {
  PGCLUSTER_ERROR_NOT_INSTALLED,  /* no usable initdb/pg_ctl found */
  PGCLUSTER_ERROR_FAILED,         /* setting up, starting or stopping failed */
} PgclusterError;

typedef enum {
  PGCLUSTER_ABSENT,   /* no cluster was created yet */
  PGCLUSTER_STOPPED,
  PGCLUSTER_RUNNING,
} PgclusterState;

GQuark pgcluster_error_quark (void);

/* The data directory of the private cluster.  Returns: (transfer full). */
char *pgcluster_data_dir (void);

/* The libpq connection string of the private cluster, whether it runs or
 * not, for the worker: as the role bounced_ingest, which is no superuser
 * (see pgcluster.c, invariant 1).  Returns: (transfer full). */
char *pgcluster_conninfo (void);

/* The same as the cluster's superuser, for migrations and the policy
 * (bounced migrate, recompute); only the administrator (the cluster's
 * owner, or root) may use it.  Returns: (transfer full). */
char *pgcluster_admin_conninfo (void);

/**
 * pgcluster_ensure:
 *
 * Creates the private cluster and its database "bounced" if they do not
 * exist, and starts the server unless it runs.  Safe to call from several
 * processes at once (a lock file serialises them).
 *
 *   g_autofree char *conninfo = pgcluster_ensure (&error);
 *   if (conninfo == NULL)
 *     fail (error->message);
 *
 * Returns: (transfer full): the worker's connection string
 *   (pgcluster_conninfo()), or NULL with @error_out set
 *   (PGCLUSTER_ERROR_NOT_INSTALLED or PGCLUSTER_ERROR_FAILED).
 */
char *pgcluster_ensure (GError **error_out);

/* Stops the server (fast shutdown) if it runs; @was_running_out (nullable)
 * tells whether it did.  Returns FALSE with @error_out set on failure. */
gboolean pgcluster_stop (gboolean *was_running_out, GError **error_out);

/* Whether the cluster exists and runs.  Returns FALSE with @error_out set
 * when that cannot be told (PostgreSQL not installed, pg_ctl failed). */
gboolean pgcluster_status (PgclusterState *state_out, GError **error_out);

G_END_DECLS
